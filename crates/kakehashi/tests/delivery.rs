//! Delivery of notifications through the jobs, against real servers: e-mail to a real SMTP
//! server (aiosmtpd) in each member's language with per-kind opt-out, at most once per target;
//! the SMTP server down and back; webhooks signed the Standard Webhooks way, retried with backoff,
//! turned off after repeated failure with a notice to the admin, a hanging endpoint bounded by a
//! timeout; and the webhook form's bad input.

mod common;

use std::time::Duration;

use app::jobs::{JobState, NewJob};
use common::*;
use reqwest::StatusCode;

fn config(smtp: Option<String>, insecure_webhooks: bool) -> app::AppConfig {
    app::AppConfig {
        jobs: app::jobs::JobsConfig { backoff_base_ms: 100, backoff_max_ms: 400, poll_ms: 20, ..Default::default() },
        delivery: app::notify::DeliveryConfig {
            smtp_url: smtp,
            public_url: "https://kakehashi.example.jp".into(),
            allow_insecure_webhooks: insecure_webhooks,
            webhook_timeout: Duration::from_secs(1),
            webhook_disable_after: 3,
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn spawn(db: Db, cfg: app::AppConfig) -> TestApp {
    TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await
}

const NAME: &str = "通知テスト 脆弱性診断";

async fn email_in_each_language_once(db: Db) {
    let Some(smtp) = SmtpServer::start(None).await else { return };
    let t = spawn(db, config(Some(smtp.url()), false)).await;
    t.jobs_settle(60).await; // the demo's own notices
    let before = smtp.messages().len();
    assert!(before > 0, "the demo's notices were mailed");

    // The reviewer reads English; the provider admin turns off e-mail for approvals.
    let reviewer = t.as_reviewer().await;
    let r = reviewer
        .post_form("/account/notifications", &[("lang", "en"), ("email", "submit"), ("email", "request_change")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let admin = t.as_provider_admin().await;
    let r = admin.post_form("/account/notifications", &[("lang", "ja"), ("email", "return")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get("/account/notifications").await;
    assert!(page.body.contains("value=\"return\" checked") && !page.body.contains("value=\"approve\" checked"));
    let bad = admin.post_form("/account/notifications", &[("lang", "fr")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = admin.post_form("/account/notifications", &[("lang", "ja"), ("email", "<script>")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown kind is refused, not ignored");

    let id = t.submitted_application(NAME).await;
    let m = smtp.wait_for(30, |m| m.to.contains("reviewer@") && m.subject.contains(NAME)).await;
    assert!(m.subject.starts_with("[Kakehashi]"), "English subject: {}", m.subject);
    assert!(m.body.contains(&format!("https://kakehashi.example.jp/services/{id}")), "{}", m.body);
    assert!(m.body.contains("Dear"), "{}", m.body);

    let r = reviewer.post_form(&format!("/review/{id}/approve"), &[("comment", "適合")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let m = smtp.wait_for(30, |m| m.to.contains("provider@") && m.subject.contains(NAME)).await;
    assert!(m.subject.starts_with("[架け橋]"), "Japanese by default: {}", m.subject);
    assert!(m.body.contains("様"), "{}", m.body);
    t.jobs_settle(30).await;
    let all = smtp.messages();
    assert!(
        !all.iter().any(|m| m.to.contains("provider-admin@") && m.subject.contains(NAME)),
        "the admin turned approvals off"
    );

    // Running the delivery again sends nothing twice.
    let outbox: i64 = m.message_id.trim_start_matches("<outbox-").split('.').next().unwrap().parse().unwrap();
    let again = NewJob::new(store::DELIVER_JOB, format!("{{\"outbox_id\": {outbox}}}"), t.app.now_ms());
    t.app.enqueue(again).await.unwrap();
    t.jobs_settle(30).await;
    let same: Vec<_> = smtp.messages().into_iter().filter(|x| x.message_id == m.message_id).collect();
    assert_eq!(same.len(), 1, "delivered at most once per target");
}

async fn smtp_down_then_back(db: Db) {
    if SmtpServer::start(None).await.is_none() {
        return;
    }
    let port = free_port();
    let t = spawn(db, config(Some(format!("smtp://127.0.0.1:{port}")), false)).await;
    let id = t.submitted_application(NAME).await;
    // The change itself is committed whatever the mail server does.
    assert_eq!(
        t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(),
        "submitted"
    );
    // Delivery fails and is retried.
    let end = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let failed = t.store.jobs(Some(JobState::Failed), 100).await.unwrap();
        if let Some(j) = failed.iter().find(|j| j.kind == store::DELIVER_JOB && j.attempts >= 2) {
            assert!(j.last_error.as_deref().unwrap_or("").contains("e-mail"), "{j:?}");
            break;
        }
        assert!(std::time::Instant::now() < end, "no retried delivery job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The server comes back on the same port: everything queued arrives.
    let smtp = SmtpServer::start(Some(port)).await.unwrap();
    smtp.wait_for(60, |m| m.to.contains("reviewer@") && m.subject.contains(NAME)).await;
    t.jobs_settle(60).await;
    assert_eq!(t.store.jobs(Some(JobState::Dead), 10).await.unwrap().len(), 0, "nothing lost");
    assert_eq!(t.store.outbox_pending().await.unwrap(), 0);
}

fn secret_of(page: &str) -> String {
    let i = page.find("whsec_").expect("secret shown once");
    page[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c)).collect()
}

async fn add_hook(t: &TestApp, url: &str) -> String {
    let admin = t.as_provider_admin().await;
    let org = t.org_id("北斗セキュリティ").await.to_string();
    let r = admin.post_form("/account/webhooks", &[("org", &org), ("url", url)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The page that shows the secret is never cached.
    assert_eq!(r.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    secret_of(&r.body)
}

async fn approve(t: &TestApp, name: &str) -> i64 {
    let id = t.submitted_application(name).await;
    let r = t.as_reviewer().await.post_form(&format!("/review/{id}/approve"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id
}

async fn webhooks_signed_and_retried(db: Db) {
    let sink = WebhookSink::start(SinkMode::Statuses(vec![500, 503, 200])).await;
    let t = spawn(db, config(None, true)).await;
    t.jobs_settle(60).await;
    let secret = add_hook(&t, &sink.url()).await;
    // A member who is not the org's admin cannot add one, nor learn the org's hooks exist.
    let member = t.as_provider().await;
    let org = t.org_id("北斗セキュリティ").await.to_string();
    let r = member.post_form("/account/webhooks", &[("org", &org), ("url", &sink.url())]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let id = approve(&t, NAME).await;
    t.jobs_settle(60).await;
    let hooks = sink.hooks();
    assert_eq!(hooks.len(), 3, "two failures, then success: {hooks:#?}");
    let h = |x: &Hook, k: &str| x.headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let msg_id = h(&hooks[0], "webhook-id");
    assert!(msg_id.starts_with("msg_"), "{msg_id}");
    for x in &hooks {
        assert_eq!(h(x, "webhook-id"), msg_id, "the same message id on every retry");
        let ts: i64 = h(x, "webhook-timestamp").parse().unwrap();
        let expected = app::notify::sign(&secret, &msg_id, ts, &x.body).unwrap();
        assert_eq!(h(x, "webhook-signature"), expected);
        assert!((ts - t.app.now()).abs() < 120);
    }
    let body: serde_json::Value = serde_json::from_str(&hooks[2].body).unwrap();
    assert_eq!(body["type"], "approve");
    assert_eq!(body["data"]["link"], format!("/services/{id}"));
    // The org sees the delivery log.
    let page = t.as_provider_admin().await.get("/account/notifications").await;
    assert!(page.body.contains("sent") && page.body.contains(&sink.url()), "{}", page.body);
    // Another member of another org does not see it.
    let page = t.as_reviewer().await.get("/account/notifications").await;
    assert!(!page.body.contains(&sink.url()));
}

async fn failing_webhook_is_turned_off_and_admin_told(db: Db) {
    let sink = WebhookSink::start(SinkMode::Statuses(vec![500])).await;
    let t = spawn(db, config(None, true)).await;
    t.jobs_settle(60).await;
    add_hook(&t, &sink.url()).await;
    approve(&t, NAME).await;
    t.jobs_settle(60).await;
    assert_eq!(sink.hooks().len(), 3, "three tries, then off");
    let org = t.org_id("北斗セキュリティ").await;
    let hooks = t.store.webhooks_of(domain::OrgId(org)).await.unwrap();
    assert!(!hooks[0].enabled, "{hooks:?}");
    assert!(hooks[0].disabled_reason.as_deref().unwrap_or("").contains("consecutive"));
    let notes = t.store.notifications(&[domain::OrgId(org)], 5).await.unwrap();
    assert!(notes.iter().any(|n| n.kind == "webhook_disabled"), "{notes:?}");
    // Later notices do not go to a webhook that is off; turning it on again works.
    approve(&t, "通知テスト 二件目").await;
    t.jobs_settle(60).await;
    assert_eq!(sink.hooks().len(), 3);
    let admin = t.as_provider_admin().await;
    let r = admin.post_form(&format!("/account/webhooks/{}/enable", hooks[0].id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(t.store.webhook(domain::WebhookId(hooks[0].id)).await.unwrap().enabled);
}

async fn hanging_webhook_times_out_and_is_retried(db: Db) {
    let sink = WebhookSink::start(SinkMode::Hang).await;
    let t = spawn(db, config(None, true)).await;
    t.jobs_settle(60).await;
    add_hook(&t, &sink.url()).await;
    approve(&t, NAME).await;
    let org = t.org_id("北斗セキュリティ").await;
    let end = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = t.store.deliveries_of(domain::OrgId(org), 10).await.unwrap();
        // (a third attempt may already hold it as 'sending'; the last error stays recorded)
        if let Some(d) = log.iter().find(|d| d.channel == "webhook" && d.attempts >= 2) {
            assert!(d.state == "failed" || d.state == "sending", "{d:?}");
            assert!(d.last_error.as_deref().unwrap_or("").contains("in time"), "{d:?}");
            break;
        }
        assert!(std::time::Instant::now() < end, "no retried webhook delivery: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn webhook_form_bad_input(db: Db) {
    let t = spawn(db, config(None, false)).await;
    let admin = t.as_provider_admin().await;
    let org = t.org_id("北斗セキュリティ").await.to_string();
    for (url, says) in [
        ("http://hooks.example.jp/x", "https://"),
        ("https://10.1.2.3/x", "private"),
        ("https://127.0.0.1/x", "private"),
        ("https://localhost./x", "private"),
        ("not a url", "full URL"),
    ] {
        let r = admin.post_form("/account/webhooks?lang=en", &[("org", &org), ("url", url)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.body.contains(&format!("value=\"{url}\"")), "what was typed is kept: {url}");
        assert!(r.body.contains("error-summary") && r.body.contains("aria-describedby"), "{url}");
        assert!(r.body.contains(says), "the message says what is wrong ({says}): {url}");
    }
    assert!(t.store.webhooks_of(domain::OrgId(org.parse().unwrap())).await.unwrap().is_empty(), "nothing stored");
    // An API token (even the admin's) cannot touch webhooks: a leaked token must not add one
    // and read its secret.
    let token = admin.create_token("ci", &["registry:read", "registry:write"]).await;
    let r = admin.api(reqwest::Method::GET, "/account/notifications", &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let form = serde_html_form_encode(&[("org", &org), ("url", "https://hooks.example.jp/x")]);
    let r = reqwest::Client::new()
        .post(admin.base.clone() + "/account/webhooks")
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // No CSRF token: refused.
    let body = serde_html_form_encode(&[("org", &org), ("url", "https://hooks.example.jp/x")]);
    let r = admin.post_raw("/account/webhooks", body, Some(&admin.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An org the user does not administer: as if it did not exist.
    let other = t.org_id("日本セキュリティサービス審査協会").await.to_string();
    let r = admin.post_form("/account/webhooks", &[("org", &other), ("url", "https://hooks.example.jp/x")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = admin.post_form("/account/webhooks/999999/delete", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Another organisation's webhook: as if it did not exist.
    let body_org: i64 = other.parse().unwrap();
    let hook =
        t.store.add_webhook(domain::OrgId(body_org), "https://hooks.example.jp/body", "whsec_AAAA", 0).await.unwrap();
    for action in ["disable", "enable", "delete"] {
        let r = admin.post_form(&format!("/account/webhooks/{hook}/{action}"), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert!(t.store.webhook(hook).await.unwrap().enabled, "untouched");
    // Anonymous: to the login page.
    assert_eq!(t.client().get("/account/notifications").await.status, StatusCode::SEE_OTHER);
}

both_backends!(
    email_in_each_language_once,
    smtp_down_then_back,
    webhooks_signed_and_retried,
    failing_webhook_is_turned_off_and_admin_told,
    hanging_webhook_times_out_and_is_retried,
    webhook_form_bad_input,
);
