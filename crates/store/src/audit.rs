//! The append-only, hash-chained audit log. Appends lock the single `audit_head` row first, so
//! concurrent writers on PostgreSQL chain one after another.

use domain::audit::{AuditEntry, AuditRecord, entry_hash};
use sqlx::Row;

use crate::{Result, Store, Tx};

#[derive(Debug, Clone)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl Tx {
    /// Appends one entry in this transaction; returns its sequence number.
    pub async fn audit(&mut self, rec: &AuditRecord, now: i64) -> Result<i64> {
        // The UPDATE takes the row lock (PostgreSQL) before reading the previous hash.
        let r = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *self.tx)
            .await?;
        let seq: i64 = r.try_get("seq")?;
        let prev: String = r.try_get("hash")?;
        let hash = entry_hash(seq, now, &prev, &rec.actor, &rec.action, &rec.subject, &rec.summary);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, summary, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(now)
        .bind(rec.actor.clone())
        .bind(rec.action.clone())
        .bind(rec.subject.clone())
        .bind(rec.summary.clone())
        .bind(prev)
        .bind(hash.clone())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(hash).execute(&mut *self.tx).await?;
        Ok(seq)
    }
}

impl Store {
    pub async fn audit_head(&self) -> Result<AuditHead> {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(AuditHead { seq: r.try_get("seq")?, hash: r.try_get("hash")? })
    }

    /// The head and every entry read in one snapshot (one read transaction; REPEATABLE READ on
    /// PostgreSQL), so writes while it reads never look like deletions.
    pub async fn audit_snapshot(&self) -> Result<(AuditHead, Vec<AuditEntry>)> {
        let mut tx = self.read_snapshot().await?;
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *tx.tx).await?;
        let head = AuditHead { seq: r.try_get("seq")?, hash: r.try_get("hash")? };
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, summary, prev_hash, hash FROM audit_log WHERE seq <= $1 ORDER BY seq",
        )
        .bind(head.seq)
        .fetch_all(&mut *tx.tx)
        .await?;
        tx.rollback().await?;
        Ok((head, audit_rows(&rows)?))
    }

    /// Entries with seq > `after`, in order, at most `limit`.
    pub async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, summary, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        audit_rows(&rows)
    }
}

pub(crate) fn audit_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<AuditEntry>> {
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                summary: r.try_get("summary")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}
