//! Delivery of notifications: e-mail over SMTP to each member who takes it (in the member's
//! language) and webhooks per organisation, signed the Standard Webhooks way
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`).
//!
//! One `notify.deliver` job per outbox row. Each (row, channel, target) is claimed in
//! `deliveries` before anything is sent and its outcome recorded after, so a retried or
//! concurrent job sends only what failed and never sends twice what was sent. A webhook that fails `webhook_disable_after` times in a row is turned off and
//! the organisation's admins are told.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;
use store::{ClaimedJob, DeliveryRow, Notice, OutboxRow, Recipient, WebhookRow};

use crate::jobs::{Done, JobResult};
use crate::{Actor, App, AppError, Result};
use domain::{OrgId, WebhookId};

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `smtp://HOST:PORT` (plain), `smtp://USER:PASS@HOST:587?tls=required` (STARTTLS) or
    /// `smtps://USER:PASS@HOST:465` (TLS). None: e-mail is not sent (in-app only).
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Base URL for links in messages.
    pub public_url: String,
    pub webhook_timeout: Duration,
    /// Allow `http://` and private or loopback webhook addresses (tests, closed networks).
    pub allow_insecure_webhooks: bool,
    pub webhook_disable_after: i64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            smtp_url: None,
            mail_from: "Kakehashi <no-reply@kakehashi.invalid>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            webhook_timeout: Duration::from_secs(10),
            allow_insecure_webhooks: false,
            webhook_disable_after: 5,
        }
    }
}

/// Where e-mail goes: an SMTP server, or (`file:///DIR`, for the demo and development) one
/// `.eml` file per message in a directory, to be opened with any mail reader.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub async fn send(&self, m: Message) -> std::result::Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(m).await.map(|_| ()).map_err(err),
            Mailer::Files(t) => t.send(m).await.map(|_| ()).map_err(err),
        }
    }
}

/// Builds the transport from its URL (checked at start so a typo fails loudly).
pub fn mailer(url: &str) -> std::result::Result<Mailer, String> {
    if let Some(dir) = url.strip_prefix("file://") {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the mail directory {dir}: {e}"))?;
        return Ok(Mailer::Files(AsyncFileTransport::<Tokio1Executor>::new(dir)));
    }
    Ok(Mailer::Smtp(
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("bad SMTP URL {}: {e}", store::redact_url(url)))?
            .timeout(Some(Duration::from_secs(20)))
            .build(),
    ))
}

/// The kinds of notice a user can turn e-mail off for.
pub const EMAIL_KINDS: &[(&str, &str, &str)] = &[
    ("submit", "申請の提出（審査員）", "Application submitted (reviewers)"),
    ("approve", "登録", "Registration approved"),
    ("return", "差戻し", "Application returned"),
    ("reject", "却下", "Application rejected"),
    ("request_change", "変更申請（審査員）", "Change requested (reviewers)"),
    ("surveillance", "サーベイランス", "Surveillance"),
    ("suspend", "一時停止", "Suspension"),
    ("reminder_90", "有効期限90日前", "Expiry in 90 days"),
    ("reminder_30", "有効期限30日前", "Expiry in 30 days"),
    ("expire", "期限切れ", "Expired"),
    ("webhook_disabled", "Webhook の停止", "Webhook turned off"),
];

/// Kinds only the organisation's admins receive.
fn admins_only(kind: &str) -> bool {
    kind == "webhook_disabled"
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The `notify.deliver` job.
pub(crate) async fn deliver(app: App, job: ClaimedJob) -> JobResult {
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(err)?;
    let id = p.get("outbox_id").and_then(|v| v.as_i64()).ok_or("payload has no outbox_id")?;
    let row = app.store.outbox_row(domain::OutboxId(id)).await.map_err(err)?;
    // A target left 'sending' by a worker that died mid-send is tried again after a lease, with
    // the same Message-ID / webhook-id so the receiver can drop the duplicate.
    let stale = app.now() - (app.config.jobs.lease_ms / 1000).max(1);
    let mut failures = Vec::new();
    if let Some(mailer) = app.mailer.as_deref() {
        let mut recipients = app.store.email_recipients(domain::OrgId(row.org_id), &row.kind).await.map_err(err)?;
        if admins_only(&row.kind) {
            let admins = app.store.org_admin_ids(domain::OrgId(row.org_id)).await.map_err(err)?;
            recipients.retain(|r| admins.contains(&r.user_id));
        }
        for r in recipients {
            if !app.store.claim_delivery(id, "email", r.user_id, row.org_id, app.now(), stale).await.map_err(err)? {
                continue;
            }
            let sent = match email(&app.config.delivery, &row, &r) {
                Ok(m) => mailer.send(m).await,
                Err(e) => Err(e),
            };
            let now = app.now();
            match sent {
                Ok(()) => app.store.record_delivery(id, "email", r.user_id, row.org_id, true, None, None, now).await,
                Err(e) => {
                    failures.push(format!("e-mail to user {}: {e}", r.user_id));
                    app.store.record_delivery(id, "email", r.user_id, row.org_id, false, None, Some(&e), now).await
                }
            }
            .map_err(err)?;
        }
    }
    for w in app.store.webhooks_of(domain::OrgId(row.org_id)).await.map_err(err)? {
        if !w.enabled
            || !app.store.claim_delivery(id, "webhook", w.id, row.org_id, app.now(), stale).await.map_err(err)?
        {
            continue;
        }
        let (status, outcome) = post_webhook(&app, &w, &row).await;
        let now = app.now();
        match outcome {
            Ok(()) => app.store.record_delivery(id, "webhook", w.id, row.org_id, true, status, None, now).await,
            Err(e) => {
                failures.push(format!("webhook {}: {e}", w.id));
                app.store.record_delivery(id, "webhook", w.id, row.org_id, false, status, Some(&e), now).await
            }
        }
        .map_err(err)?;
        if w.consecutive_failures + 1 >= app.config.delivery.webhook_disable_after && status.is_none_or(|s| s >= 300) {
            disable_webhook(&app, &w).await.map_err(err)?;
        }
    }
    if failures.is_empty() {
        app.store.outbox_sent(domain::OutboxId(id), app.now()).await.map_err(err)?;
        Ok(Done::Ok)
    } else {
        Err(failures.join("; "))
    }
}

async fn disable_webhook(app: &App, w: &WebhookRow) -> Result<()> {
    let w = app.store.webhook(domain::WebhookId(w.id)).await?;
    if !w.enabled || w.consecutive_failures < app.config.delivery.webhook_disable_after {
        return Ok(());
    }
    let reason = format!("{} consecutive failures", w.consecutive_failures);
    app.store.set_webhook_enabled(domain::WebhookId(w.id), false, Some(&reason)).await?;
    let mut tx = app.store.begin().await?;
    // The URL may carry a secret: the notice names the webhook by its number only.
    let ja = format!("Webhook #{} は{}回続けて配信に失敗したため停止しました", w.id, w.consecutive_failures);
    let en = format!("Webhook #{} was turned off after {} failed deliveries in a row", w.id, w.consecutive_failures);
    tx.notify(
        &Notice {
            org_id: w.org_id,
            kind: "webhook_disabled",
            subject_ja: &ja,
            subject_en: &en,
            link: "/account/notifications",
        },
        app.now(),
    )
    .await?;
    tx.commit().await?;
    app.job_wake.notify_waiters();
    tracing::warn!(webhook = w.id, org = w.org_id, "webhook turned off after repeated failures");
    Ok(())
}

/// A single e-mail to an address that need not belong to a user (sign-up confirmations), sent
/// by a job so that it is written in the transaction of the change that causes it and retried
/// when the server is down.
pub const MAIL_JOB: &str = "platform.mail";

/// Enqueues [`MAIL_JOB`] in `tx`.
pub(crate) async fn enqueue_mail(tx: &mut store::Tx, now_ms: i64, to: &str, subject: &str, body: &str) -> Result<()> {
    let payload = serde_json::json!({"to": to, "subject": subject, "body": body}).to_string();
    tx.enqueue(&store::NewJob::new(MAIL_JOB, payload, now_ms).max_attempts(8), now_ms).await?;
    Ok(())
}

pub(crate) async fn send_mail(app: App, job: ClaimedJob) -> JobResult {
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(err)?;
    let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string).ok_or(format!("payload has no {k}"));
    let (to, subject, body) = (field("to")?, field("subject")?, field("body")?);
    let Some(mailer) = app.mailer.as_deref() else {
        // The address is personal data and the body may hold a one-time link: neither is logged.
        tracing::warn!(job = job.id.0, "no smtp_url configured: an e-mail was not sent");
        return Ok(Done::Ok);
    };
    let cfg = &app.config.delivery;
    let from: Mailbox = cfg.mail_from.parse().map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("bad recipient address: {e}"))?;
    let domain = from.email.domain().to_string();
    let m = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<job-{}@{domain}>", job.id.0)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(err)?;
    mailer.send(m).await?;
    Ok(Done::Ok)
}

/// The e-mail for one member, in the member's language.
fn email(cfg: &DeliveryConfig, row: &OutboxRow, r: &Recipient) -> std::result::Result<Message, String> {
    let url = format!("{}{}", cfg.public_url.trim_end_matches('/'), row.link);
    let settings = format!("{}/account/notifications", cfg.public_url.trim_end_matches('/'));
    let (subject, body) = if r.lang == "en" {
        (
            format!("[Kakehashi] {}", row.subject_en),
            format!(
                "Dear {},\n\n{}\n\nDetails: {url}\n\nYou can choose which notices you receive by e-mail at {settings}\n\n-- \nKakehashi\n",
                r.display_name, row.subject_en
            ),
        )
    } else {
        (
            format!("[架け橋] {}", row.subject_ja),
            format!(
                "{} 様\n\n{}\n\n詳細: {url}\n\nメールで受け取る通知の種類は {settings} で選べます。\n\n-- \n架け橋 Kakehashi\n",
                r.display_name, row.subject_ja
            ),
        )
    };
    let from: Mailbox = cfg.mail_from.parse().map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = r.email.parse().map_err(|e| format!("bad recipient address: {e}"))?;
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<outbox-{}.{}@{domain}>", row.id, r.user_id)))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(err)
}

/// The webhook body (Standard Webhooks: `type`, `timestamp`, `data`).
pub fn webhook_body(row: &OutboxRow) -> String {
    serde_json::json!({
        "type": row.kind,
        "timestamp": crate::rfc3339(row.created_at),
        "data": {
            "org_id": row.org_id,
            "subject_ja": row.subject_ja,
            "subject_en": row.subject_en,
            "link": row.link,
        }
    })
    .to_string()
}

/// `v1,<base64 HMAC-SHA256 over "id.timestamp.body">` with the secret's key bytes.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> std::result::Result<String, String> {
    let key = B64.decode(secret.trim_start_matches("whsec_")).map_err(|_| "the webhook secret is not base64")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(err)?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

async fn post_webhook(app: &App, w: &WebhookRow, row: &OutboxRow) -> (Option<i64>, std::result::Result<(), String>) {
    let body = webhook_body(row);
    let msg_id = format!("msg_outbox_{}", row.id);
    let ts = app.now();
    let sig = match sign(&w.secret, &msg_id, ts, &body) {
        Ok(s) => s,
        Err(e) => return (None, Err(e)),
    };
    if let Err(e) = check_webhook_url(&w.url, app.config.delivery.allow_insecure_webhooks) {
        return (None, Err(e.to_string()));
    }
    let sent = app
        .http
        .post(&w.url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => (Some(i64::from(r.status().as_u16())), Ok(())),
        Ok(r) => (Some(i64::from(r.status().as_u16())), Err(format!("the endpoint answered {}", r.status()))),
        Err(e) if e.is_timeout() => (None, Err("the endpoint did not answer in time".into())),
        Err(e) => (None, Err(format!("cannot reach the endpoint: {}", without_url(&e)))),
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "(url)");
    }
    s
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// multicast, unspecified or documentation space), IPv4-mapped IPv6 addresses included.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// Resolves webhook hosts and keeps only public addresses, so a name that points (or is
/// re-pointed) at an internal address is refused at connect time, not only when the URL is saved.
pub(crate) struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err("the webhook host resolves to no public address".into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A webhook URL must be https to a public address, unless insecure webhooks are allowed.
pub fn check_webhook_url(url: &str, allow_insecure: bool) -> Result<()> {
    let bad = |ja: &str, en: &str| AppError::field("url", ja, en);
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| bad("URL の形式が正しくありません（https://… ）", "Enter a full URL (https://…)"))?;
    if url.len() > 2000 {
        return Err(bad("URL が長すぎます", "The URL is too long"));
    }
    let scheme_ok = parsed.scheme() == "https" || (allow_insecure && parsed.scheme() == "http");
    if !scheme_ok {
        return Err(bad("https:// で始まる URL を入力してください", "The URL must start with https://"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("URL に利用者名やパスワードを含めないでください", "Do not put credentials in the URL"));
    }
    let Some(host) = parsed.host() else {
        return Err(bad("URL にホスト名がありません", "The URL has no host"));
    };
    if !allow_insecure {
        let private = match host {
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
            url::Host::Ipv4(ip) => !is_public(ip.into()),
            url::Host::Ipv6(ip) => !is_public(ip.into()),
        };
        if private {
            return Err(bad(
                "内部ネットワークのアドレスには送信できません",
                "Webhooks cannot be sent to private or loopback addresses",
            ));
        }
    }
    Ok(())
}

/// What the notification settings page shows.
#[derive(Debug, Clone)]
pub struct NotificationSettings {
    pub lang: String,
    pub email_off: Vec<String>,
    /// Webhooks of the organisations the user administers, with the org's name.
    pub webhooks: Vec<(store::OrgRow, Vec<WebhookRow>, Vec<DeliveryRow>)>,
    pub smtp_configured: bool,
}

/// Notification settings and webhooks are an account's own business: a browser session only,
/// never an API token (a leaked read token must not be able to add a webhook and read its secret).
fn session_only(actor: &Actor) -> Result<()> {
    actor.require_session()
}

impl App {
    pub async fn notification_settings(&self, actor: &Actor) -> Result<NotificationSettings> {
        session_only(actor)?;
        let mut webhooks = Vec::new();
        for m in actor.memberships.iter().filter(|m| m.role == domain::MembershipRole::Admin) {
            let org = self.store.org(domain::OrgId(m.org_id)).await?;
            webhooks.push((
                org,
                self.store.webhooks_of(domain::OrgId(m.org_id)).await?,
                self.store.deliveries_of(domain::OrgId(m.org_id), 50).await?,
            ));
        }
        Ok(NotificationSettings {
            lang: self.store.user_lang(domain::UserId(actor.user_id)).await?,
            email_off: self.store.email_opt_outs(domain::UserId(actor.user_id)).await?,
            webhooks,
            smtp_configured: self.mailer.is_some(),
        })
    }

    /// Sets the user's language for messages and the kinds they take by e-mail.
    pub async fn set_notification_prefs(&self, actor: &Actor, lang: &str, email_on: &[String]) -> Result<()> {
        session_only(actor)?;
        if lang != "ja" && lang != "en" {
            return Err(AppError::field("lang", "日本語か英語を選んでください", "Choose Japanese or English"));
        }
        if email_on.iter().any(|k| !EMAIL_KINDS.iter().any(|(code, _, _)| code == k)) {
            return Err(AppError::field("email", "通知の種類が正しくありません", "Unknown kind of notice"));
        }
        let prefs: Vec<(String, bool)> =
            EMAIL_KINDS.iter().map(|(k, _, _)| (k.to_string(), email_on.iter().any(|e| e == k))).collect();
        self.store.set_user_lang(domain::UserId(actor.user_id), lang).await?;
        self.store.set_email_prefs(domain::UserId(actor.user_id), &prefs).await?;
        Ok(())
    }

    fn admin_of(actor: &Actor, org_id: OrgId) -> Result<()> {
        session_only(actor)?;
        if actor.memberships.iter().any(|m| m.org_id == org_id.0 && m.role == domain::MembershipRole::Admin) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// An org admin adds a webhook; returns its id and the signing secret (shown once).
    pub async fn add_webhook(&self, actor: &Actor, org_id: OrgId, url: &str) -> Result<(WebhookId, String)> {
        Self::admin_of(actor, org_id)?;
        let url = url.trim();
        check_webhook_url(url, self.config.delivery.allow_insecure_webhooks)?;
        if self.store.webhooks_of(org_id).await?.len() >= 10 {
            return Err(AppError::conflict("Webhook は10件までです", "At most 10 webhooks per organisation"));
        }
        let mut key = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let secret = format!("whsec_{}", B64.encode(key));
        let id = self.store.add_webhook(org_id, url, &secret, self.now()).await?;
        self.audit_alone(actor, "notify.webhook_add", &format!("webhook#{id}"), url).await?;
        Ok((id, secret))
    }

    async fn webhook_of_admin(&self, actor: &Actor, id: WebhookId) -> Result<WebhookRow> {
        let w = self.store.webhook(id).await?;
        Self::admin_of(actor, OrgId(w.org_id))?;
        Ok(w)
    }

    pub async fn set_webhook_enabled(&self, actor: &Actor, id: WebhookId, enabled: bool) -> Result<()> {
        let w = self.webhook_of_admin(actor, id).await?;
        self.store.set_webhook_enabled(id, enabled, (!enabled).then_some("turned off by an admin")).await?;
        self.audit_alone(
            actor,
            if enabled { "notify.webhook_enable" } else { "notify.webhook_disable" },
            &format!("webhook#{id}"),
            &w.url,
        )
        .await
    }

    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        let w = self.webhook_of_admin(actor, id).await?;
        self.store.delete_webhook(id).await?;
        self.audit_alone(actor, "notify.webhook_delete", &format!("webhook#{id}"), &w.url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn webhook_urls() {
        assert!(check_webhook_url("https://hooks.example.jp/k", false).is_ok());
        assert!(check_webhook_url("http://hooks.example.jp/k", false).is_err());
        assert!(check_webhook_url("https://127.0.0.1/k", false).is_err());
        assert!(check_webhook_url("https://10.1.2.3/k", false).is_err());
        assert!(check_webhook_url("https://localhost/k", false).is_err());
        assert!(check_webhook_url("https://localhost./k", false).is_err());
        assert!(check_webhook_url("https://LOCALHOST/k", false).is_err());
        assert!(check_webhook_url("https://u:p@hooks.example.jp/k", false).is_err());
        assert!(check_webhook_url("https://[::ffff:169.254.169.254]/k", false).is_err(), "IPv4-mapped");
        assert!(check_webhook_url("https://[fe80::1]/k", false).is_err());
        assert!(check_webhook_url("https://100.64.0.1/k", false).is_err());
        assert!(check_webhook_url("https://0.0.0.0/k", false).is_err());
        assert!(check_webhook_url("https://203.0.113.7/k", false).is_err(), "documentation space");
        assert!(check_webhook_url("https://93.184.215.14/k", false).is_ok());
        assert!(check_webhook_url("not a url", false).is_err());
        assert!(check_webhook_url("http://127.0.0.1:9/k", true).is_ok());
        assert!(check_webhook_url("ftp://127.0.0.1/k", true).is_err());
    }

    #[tokio::test]
    async fn resolver_refuses_names_of_internal_addresses() {
        use reqwest::dns::Resolve;
        let r = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(r.is_err(), "localhost resolves to loopback only");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let cfg = crate::jobs::JobsConfig { backoff_base_ms: 1000, backoff_max_ms: 10_000, ..Default::default() };
        let b: Vec<i64> = (1..=6).map(|a| crate::jobs::backoff_ms(&cfg, a)).collect();
        assert!((800..=1200).contains(&b[0]), "{b:?}");
        assert!((1600..=2400).contains(&b[1]), "{b:?}");
        assert!((3200..=4800).contains(&b[2]), "{b:?}");
        assert!(b[5] <= 12_000 && b[5] >= 8_000, "{b:?}");
    }
}
