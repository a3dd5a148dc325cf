//! In-app notifications and the outbox (e-mail and webhooks are delivered from it), written in
//! the same transaction as the change they announce.

use sqlx::Row;

use crate::{Result, Store, Tx};

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

impl Tx {
    pub async fn notify(
        &mut self,
        org_id: i64,
        kind: &str,
        subject_ja: &str,
        subject_en: &str,
        link: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (org_id, kind, subject_ja, subject_en, link, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org_id)
        .bind(kind.to_string())
        .bind(subject_ja.to_string())
        .bind(subject_en.to_string())
        .bind(link.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn outbox(&mut self, channel: &str, payload: &str, now: i64) -> Result<()> {
        sqlx::query("INSERT INTO outbox (channel, payload, created_at) VALUES ($1, $2, $3)")
            .bind(channel.to_string())
            .bind(payload.to_string())
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    pub async fn notifications(&self, org_ids: &[i64], limit: i64) -> Result<Vec<NotificationRow>> {
        let mut out = Vec::new();
        for org in org_ids {
            let rows = sqlx::query(
                "SELECT id, kind, subject_ja, subject_en, link, created_at, read_at FROM notifications WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(*org)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            for r in rows {
                out.push(NotificationRow {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    subject_ja: r.try_get(2)?,
                    subject_en: r.try_get(3)?,
                    link: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    read_at: r.try_get(6)?,
                });
            }
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    pub async fn outbox_pending(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&self.pool).await?)
    }
}
