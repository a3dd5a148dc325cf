//! Notifications: the in-app row, the outbox row and the delivery job are written together in
//! the transaction of the change they announce ([`Tx::notify`]). Delivery (e-mail per member,
//! webhooks per organisation) is recorded per outbox row, channel and target in `deliveries`,
//! so each target gets a message at most once however often the job runs.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::jobs::NewJob;
use crate::{Result, Store, Tx};
use domain::{OrgId, OutboxId, UserId, WebhookId};

/// The job kind that delivers one outbox row.
pub const DELIVER_JOB: &str = "notify.deliver";

#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub subject_ja: String,
    pub subject_en: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// What a change announces to an organisation.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub org_id: i64,
    pub kind: &'a str,
    pub subject_ja: &'a str,
    pub subject_en: &'a str,
    pub link: &'a str,
}

/// An outbox row, as the delivery job reads it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub subject_ja: String,
    pub subject_en: String,
    pub link: String,
    pub created_at: i64,
}

/// A member who receives e-mail for a kind of notice.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub lang: String,
}

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

fn webhook_row(r: &AnyRow) -> Result<WebhookRow> {
    Ok(WebhookRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        enabled: crate::flag(r.try_get("enabled")?),
        consecutive_failures: r.try_get("consecutive_failures")?,
        disabled_reason: r.try_get("disabled_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// One delivery attempt's record.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub outbox_id: i64,
    pub channel: String,
    pub target: i64,
    pub state: String,
    pub attempts: i64,
    pub status_code: Option<i64>,
    pub last_error: Option<String>,
    pub updated_at: i64,
    pub kind: String,
}

impl Tx {
    /// Announces a change to an organisation: the in-app notification, the outbox row and the
    /// job that delivers it (e-mail, webhooks), all in this transaction.
    pub async fn notify(&mut self, n: &Notice<'_>, now: i64) -> Result<OutboxId> {
        sqlx::query(
            "INSERT INTO notifications (org_id, kind, subject_ja, subject_en, link, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(n.org_id)
        .bind(n.kind.to_string())
        .bind(n.subject_ja.to_string())
        .bind(n.subject_en.to_string())
        .bind(n.link.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        let payload =
            serde_json::json!({"subject_ja": n.subject_ja, "subject_en": n.subject_en, "link": n.link}).to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (channel, payload, created_at, org_id, kind) VALUES ('notify', $1, $2, $3, $4) RETURNING id",
        )
        .bind(payload)
        .bind(now)
        .bind(n.org_id)
        .bind(n.kind.to_string())
        .fetch_one(&mut *self.tx)
        .await?;
        let job = NewJob::new(DELIVER_JOB, serde_json::json!({"outbox_id": id}).to_string(), now * 1000)
            .key(format!("outbox:{id}"))
            .priority(10);
        self.enqueue(&job, now * 1000).await?;
        Ok(OutboxId(id))
    }
}

impl Store {
    pub async fn notifications(&self, org_ids: &[OrgId], limit: i64) -> Result<Vec<NotificationRow>> {
        let mut out = Vec::new();
        for org in org_ids.iter().map(|o| o.0) {
            let rows = sqlx::query(
                "SELECT id, kind, subject_ja, subject_en, link, created_at, read_at FROM notifications WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(org)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            for r in rows {
                out.push(NotificationRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    subject_ja: r.try_get("subject_ja")?,
                    subject_en: r.try_get("subject_en")?,
                    link: r.try_get("link")?,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                });
            }
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    /// Outbox rows not yet delivered to every target.
    pub async fn outbox_pending(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&self.pool).await?)
    }

    pub async fn outbox_row(&self, id: OutboxId) -> Result<OutboxRow> {
        let id = id.0;
        let r = sqlx::query("SELECT id, org_id, kind, payload, created_at FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let payload: String = r.try_get("payload")?;
        let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Ok(OutboxRow {
            id: r.try_get("id")?,
            org_id: r.try_get::<Option<i64>, _>("org_id")?.unwrap_or(0),
            kind: r.try_get("kind")?,
            subject_ja: s("subject_ja"),
            subject_en: s("subject_en"),
            link: s("link"),
            created_at: r.try_get("created_at")?,
        })
    }

    /// Marks an outbox row delivered to every target it had.
    pub async fn outbox_sent(&self, id: OutboxId, now: i64) -> Result<()> {
        let id = id.0;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE outbox SET sent_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *tx.tx).await?;
        tx.commit().await
    }

    /// Active members of an organisation who take e-mail for this kind (on unless turned off).
    pub async fn email_recipients(&self, org_id: OrgId, kind: &str) -> Result<Vec<Recipient>> {
        let org_id = org_id.0;
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.display_name, u.lang FROM memberships m JOIN users u ON u.id = m.user_id \
             LEFT JOIN notification_prefs p ON p.user_id = u.id AND p.kind = $2 \
             WHERE m.org_id = $1 AND u.disabled = 0 AND COALESCE(p.email, 1) = 1 ORDER BY u.id",
        )
        .bind(org_id)
        .bind(kind.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Recipient {
                    user_id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    lang: r.try_get("lang")?,
                })
            })
            .collect()
    }

    /// The kinds a user turned e-mail off for.
    pub async fn email_opt_outs(&self, user_id: UserId) -> Result<Vec<String>> {
        let user_id = user_id.0;
        let rows = sqlx::query("SELECT kind FROM notification_prefs WHERE user_id = $1 AND email = 0 ORDER BY kind")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("kind")?)).collect()
    }

    /// Sets whether a user takes e-mail for each of these kinds.
    pub async fn set_email_prefs(&self, user_id: UserId, prefs: &[(String, bool)]) -> Result<()> {
        let user_id = user_id.0;
        let mut tx = self.begin().await?;
        for (kind, on) in prefs {
            sqlx::query(
                "INSERT INTO notification_prefs (user_id, kind, email) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, kind) DO UPDATE SET email = $3",
            )
            .bind(user_id)
            .bind(kind.clone())
            .bind(i64::from(*on))
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await
    }

    pub async fn set_user_lang(&self, user_id: UserId, lang: &str) -> Result<()> {
        let user_id = user_id.0;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
            .bind(lang.to_string())
            .bind(user_id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    pub async fn user_lang(&self, user_id: UserId) -> Result<String> {
        let user_id = user_id.0;
        Ok(sqlx::query_scalar("SELECT lang FROM users WHERE id = $1").bind(user_id).fetch_one(&self.pool).await?)
    }

    pub async fn add_webhook(&self, org_id: OrgId, url: &str, secret: &str, now: i64) -> Result<WebhookId> {
        let org_id = org_id.0;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (org_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(org_id)
        .bind(url.to_string())
        .bind(secret.to_string())
        .bind(now)
        .fetch_one(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(WebhookId(id))
    }

    pub async fn webhooks_of(&self, org_id: OrgId) -> Result<Vec<WebhookRow>> {
        let org_id = org_id.0;
        let rows = sqlx::query("SELECT * FROM webhooks WHERE org_id = $1 ORDER BY id")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(webhook_row).collect()
    }

    pub async fn webhook(&self, id: WebhookId) -> Result<WebhookRow> {
        let id = id.0;
        let r = sqlx::query("SELECT * FROM webhooks WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        webhook_row(&r)
    }

    /// Turns a webhook on (failures start over) or off with a reason.
    pub async fn set_webhook_enabled(&self, id: WebhookId, enabled: bool, reason: Option<&str>) -> Result<()> {
        let id = id.0;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE webhooks SET enabled = $1, disabled_reason = $2, \
             consecutive_failures = CASE WHEN $1 = 1 THEN 0 ELSE consecutive_failures END WHERE id = $3",
        )
        .bind(i64::from(enabled))
        .bind(reason.map(str::to_string))
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    pub async fn delete_webhook(&self, id: WebhookId) -> Result<()> {
        let id = id.0;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&mut *tx.tx).await?;
        tx.commit().await
    }

    /// Claims a target before sending: true when this caller may send now (never tried, failed
    /// before, or left 'sending' since before `stale_before` by a worker that died); false when
    /// it was sent or another worker is sending it.
    pub async fn claim_delivery(
        &self,
        outbox_id: i64,
        channel: &str,
        target: i64,
        org_id: i64,
        now: i64,
        stale_before: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO deliveries (outbox_id, channel, target, org_id, state, attempts, updated_at) \
             VALUES ($1, $2, $3, $4, 'sending', 0, $5) \
             ON CONFLICT (outbox_id, channel, target) DO UPDATE SET state = 'sending', updated_at = $5 \
             WHERE deliveries.state = 'failed' OR (deliveries.state = 'sending' AND deliveries.updated_at < $6) \
             RETURNING id",
        )
        .bind(outbox_id)
        .bind(channel.to_string())
        .bind(target)
        .bind(org_id)
        .bind(now)
        .bind(stale_before)
        .fetch_optional(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(claimed.is_some())
    }

    /// Records one attempt to deliver to a target.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_delivery(
        &self,
        outbox_id: i64,
        channel: &str,
        target: i64,
        org_id: i64,
        ok: bool,
        status_code: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO deliveries (outbox_id, channel, target, org_id, state, attempts, status_code, last_error, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) \
             ON CONFLICT (outbox_id, channel, target) DO UPDATE SET state = $5, attempts = deliveries.attempts + 1, \
             status_code = $6, last_error = $7, updated_at = $8",
        )
        .bind(outbox_id)
        .bind(channel.to_string())
        .bind(target)
        .bind(org_id)
        .bind(if ok { "sent" } else { "failed" })
        .bind(status_code)
        .bind(error.map(str::to_string))
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        if channel == "webhook" {
            let sql = if ok {
                "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1"
            } else {
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1"
            };
            sqlx::query(sql).bind(target).execute(&mut *tx.tx).await?;
        }
        tx.commit().await
    }

    /// An organisation's delivery log, newest first.
    pub async fn deliveries_of(&self, org_id: OrgId, limit: i64) -> Result<Vec<DeliveryRow>> {
        let org_id = org_id.0;
        let rows = sqlx::query(
            "SELECT d.id, d.outbox_id, d.channel, d.target, d.state, d.attempts, d.status_code, d.last_error, \
             d.updated_at, o.kind FROM deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE d.org_id = $1 ORDER BY d.updated_at DESC, d.id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryRow {
                    id: r.try_get("id")?,
                    outbox_id: r.try_get("outbox_id")?,
                    channel: r.try_get("channel")?,
                    target: r.try_get("target")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    status_code: r.try_get("status_code")?,
                    last_error: r.try_get("last_error")?,
                    updated_at: r.try_get("updated_at")?,
                    kind: r.try_get("kind")?,
                })
            })
            .collect()
    }
}
