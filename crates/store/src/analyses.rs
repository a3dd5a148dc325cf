//! Engine analyses of stored files, and reading blobs back for them.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, Tx};

#[derive(Debug, Clone)]
pub struct AnalysisRow {
    pub id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub blob_sha256: String,
    /// sbom | capture
    pub engine: String,
    /// queued | done | failed
    pub state: String,
    /// JSON written by the engine job.
    pub summary: String,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

fn analysis_row(r: &AnyRow) -> Result<AnalysisRow> {
    Ok(AnalysisRow {
        id: r.try_get("id")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        blob_sha256: r.try_get("blob_sha256")?,
        engine: r.try_get("engine")?,
        state: r.try_get("state")?,
        summary: r.try_get("summary")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

const COLS: &str = "id, subject_kind, subject_id, blob_sha256, engine, state, summary, error, created_at, finished_at";

impl Tx {
    /// Records that a file is to be analysed by an engine; returns the analysis id.
    pub async fn insert_analysis(
        &mut self,
        subject_kind: &str,
        subject_id: i64,
        sha256: &str,
        engine: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO analyses (subject_kind, subject_id, blob_sha256, engine, state, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5) RETURNING id",
        )
        .bind(subject_kind.to_string())
        .bind(subject_id)
        .bind(sha256.to_string())
        .bind(engine.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }
}

impl Tx {
    /// Records an analysis' outcome in this transaction (with what a program stored from it).
    pub async fn finish_analysis(
        &mut self,
        id: i64,
        state: &str,
        summary: &str,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE analyses SET state = $1, summary = $2, error = $3, finished_at = $4 WHERE id = $5")
            .bind(state.to_string())
            .bind(summary.to_string())
            .bind(error.map(str::to_string))
            .bind(now)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    pub async fn analysis(&self, id: i64) -> Result<AnalysisRow> {
        let r =
            sqlx::query(&format!("SELECT {COLS} FROM analyses WHERE id = $1")).bind(id).fetch_one(&self.pool).await?;
        analysis_row(&r)
    }

    /// The analyses of these subjects.
    pub async fn analyses_of(&self, subject_kind: &str, subject_ids: &[i64]) -> Result<Vec<AnalysisRow>> {
        let mut out = Vec::new();
        for id in subject_ids {
            let rows = sqlx::query(&format!(
                "SELECT {COLS} FROM analyses WHERE subject_kind = $1 AND subject_id = $2 ORDER BY id"
            ))
            .bind(subject_kind.to_string())
            .bind(*id)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(analysis_row(r)?);
            }
        }
        Ok(out)
    }

    /// Records an analysis' outcome.
    pub async fn finish_analysis(
        &self,
        id: i64,
        state: &str,
        summary: &str,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.finish_analysis(id, state, summary, error, now).await?;
        tx.commit().await
    }

    /// How far a running analysis has come (a capture's bytes read), while it runs.
    pub async fn analysis_progress(&self, id: i64, summary: &str) -> Result<()> {
        sqlx::query(
            "UPDATE analyses SET state = 'running', summary = $1 WHERE id = $2 AND state IN ('queued', 'running')",
        )
        .bind(summary.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A stored file's bytes.
    pub async fn blob(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(sqlx::query_scalar("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256.to_string())
            .fetch_one(&self.pool)
            .await?)
    }
}
