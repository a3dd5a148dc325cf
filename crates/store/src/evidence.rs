//! Evidence files of verification cases, the capture analyser's findings in them, and blobs kept
//! in the file store (the database row names them; their bytes live outside it).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, Tx};

/// An evidence file of a case, with the state of its analysis (if one runs on it).
#[derive(Debug, Clone)]
pub struct CaseEvidenceRow {
    pub id: i64,
    pub case_id: i64,
    /// sbom | capture | document
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    /// IP or MAC addresses of the devices under test (captures), comma-separated.
    pub devices: String,
    /// What the analysis had to say beside its result (a truncated capture's stop).
    pub note: String,
    pub analysis_id: Option<i64>,
    /// The capture analyser's HTML report (a blob).
    pub report_sha256: Option<String>,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
    /// queued | running | done | failed (none without an analysis)
    pub analysis_state: Option<String>,
    pub analysis_summary: Option<String>,
    pub analysis_error: Option<String>,
    /// The blob is in the file store.
    pub external: bool,
}

const EVIDENCE_SQL: &str = "SELECT e.id AS id, e.case_id AS case_id, e.kind AS kind, e.filename AS filename, \
     e.content_type AS content_type, e.sha256 AS sha256, e.size AS size, e.devices AS devices, e.note AS note, \
     e.analysis_id AS analysis_id, e.report_sha256 AS report_sha256, e.uploaded_by AS uploaded_by, \
     e.uploaded_at AS uploaded_at, a.state AS analysis_state, a.summary AS analysis_summary, a.error AS analysis_error, \
     b.external AS external \
     FROM case_evidence e JOIN blobs b ON b.sha256 = e.sha256 LEFT JOIN analyses a ON a.id = e.analysis_id";

fn evidence_row(r: &AnyRow) -> Result<CaseEvidenceRow> {
    Ok(CaseEvidenceRow {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        kind: r.try_get("kind")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        devices: r.try_get("devices")?,
        note: r.try_get("note")?,
        analysis_id: r.try_get("analysis_id")?,
        report_sha256: r.try_get("report_sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
        analysis_state: r.try_get("analysis_state")?,
        analysis_summary: r.try_get("analysis_summary")?,
        analysis_error: r.try_get("analysis_error")?,
        external: r.try_get::<i64, _>("external")? != 0,
    })
}

/// A new evidence file of a case.
#[derive(Debug, Clone)]
pub struct NewCaseEvidence<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    pub devices: &'a str,
    pub uploaded_by: Option<i64>,
}

/// What the capture analyser found in an evidence file.
#[derive(Debug, Clone)]
pub struct CaptureFindingRow {
    pub id: i64,
    pub evidence_id: i64,
    pub kind: String,
    pub protocol: String,
    pub severity: String,
    pub src: String,
    pub dst: String,
    /// Packet numbers, comma-separated.
    pub packets: String,
    pub first_seen_ms: i64,
    pub detail: String,
}

/// A capture finding to store.
#[derive(Debug, Clone)]
pub struct CaptureFindingWrite {
    pub kind: String,
    pub protocol: String,
    pub severity: String,
    pub src: String,
    pub dst: String,
    pub packets: String,
    pub first_seen_ms: i64,
    pub detail: String,
}

impl Tx {
    /// Records a blob whose bytes are in the file store (once per content hash).
    pub async fn put_external_blob(&mut self, sha256: &str, size: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO blobs (sha256, size, data, external) VALUES ($1, $2, $3, 1) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256.to_string())
        .bind(size)
        .bind(Vec::<u8>::new())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_case_evidence(&mut self, e: &NewCaseEvidence<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO case_evidence (case_id, kind, filename, content_type, sha256, size, devices, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(e.case_id)
        .bind(e.kind.to_string())
        .bind(e.filename.to_string())
        .bind(e.content_type.to_string())
        .bind(e.sha256.to_string())
        .bind(e.size)
        .bind(e.devices.to_string())
        .bind(e.uploaded_by)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn set_evidence_analysis(&mut self, evidence_id: i64, analysis_id: i64) -> Result<()> {
        sqlx::query("UPDATE case_evidence SET analysis_id = $1 WHERE id = $2")
            .bind(analysis_id)
            .bind(evidence_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Keeps the capture report and the analysis' note on an evidence file, and replaces what the
    /// capture analyser found in it.
    pub async fn record_capture(
        &mut self,
        case_id: i64,
        evidence_id: i64,
        report_sha256: Option<&str>,
        note: &str,
        findings: &[CaptureFindingWrite],
    ) -> Result<()> {
        sqlx::query("UPDATE case_evidence SET report_sha256 = $1, note = $2 WHERE id = $3")
            .bind(report_sha256.map(str::to_string))
            .bind(note.to_string())
            .bind(evidence_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM capture_findings WHERE evidence_id = $1")
            .bind(evidence_id)
            .execute(&mut *self.tx)
            .await?;
        let sql = format!(
            "INSERT INTO capture_findings (case_id, evidence_id, kind, protocol, severity, src, dst, packets, first_seen_ms, detail) \
             SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), c0, c1, c2, c3, c4, c5, CAST(c6 AS BIGINT), c7 FROM ({}) AS rows",
            self.backend.json_rows("$3", 8)
        );
        for chunk in findings.chunks(5_000) {
            let rows: Vec<serde_json::Value> = chunk
                .iter()
                .map(|f| {
                    serde_json::json!([
                        f.kind,
                        f.protocol,
                        f.severity,
                        f.src,
                        f.dst,
                        f.packets,
                        f.first_seen_ms.to_string(),
                        f.detail
                    ])
                })
                .collect();
            sqlx::query(&sql)
                .bind(case_id)
                .bind(evidence_id)
                .bind(serde_json::Value::Array(rows).to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Puts a finished or failed analysis back in the queue (a retry); false if it is not there.
    pub async fn requeue_analysis(&mut self, id: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE analyses SET state = 'queued', error = NULL, finished_at = NULL WHERE id = $1 AND state = 'failed'",
        )
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// Whether a blob is in the file store, and its size.
    pub async fn blob_info(&self, sha256: &str) -> Result<(bool, i64)> {
        let r = sqlx::query("SELECT external, size FROM blobs WHERE sha256 = $1")
            .bind(sha256.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok((r.try_get::<i64, _>(0)? != 0, r.try_get(1)?))
    }

    /// A case's evidence files, oldest first.
    pub async fn case_evidence(&self, case_id: i64) -> Result<Vec<CaseEvidenceRow>> {
        let rows = sqlx::query(&format!("{EVIDENCE_SQL} WHERE e.case_id = $1 ORDER BY e.id"))
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(evidence_row).collect()
    }

    pub async fn evidence_file(&self, id: i64) -> Result<CaseEvidenceRow> {
        let r = sqlx::query(&format!("{EVIDENCE_SQL} WHERE e.id = $1")).bind(id).fetch_one(&self.pool).await?;
        evidence_row(&r)
    }

    /// What the capture analyser found in a case's captures, most severe first.
    pub async fn capture_findings(&self, case_id: i64) -> Result<Vec<CaptureFindingRow>> {
        let rows = sqlx::query(
            "SELECT id, evidence_id, kind, protocol, severity, src, dst, packets, first_seen_ms, detail \
             FROM capture_findings WHERE case_id = $1 ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
             WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, first_seen_ms, id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaptureFindingRow {
                    id: r.try_get(0)?,
                    evidence_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    protocol: r.try_get(3)?,
                    severity: r.try_get(4)?,
                    src: r.try_get(5)?,
                    dst: r.try_get(6)?,
                    packets: r.try_get(7)?,
                    first_seen_ms: r.try_get(8)?,
                    detail: r.try_get(9)?,
                })
            })
            .collect()
    }
}
