//! Verification labels: signing keys, labels and their status, the signed status list, the
//! advisories marked as known exploited, loaded checklists and case verdicts.

use sqlx::Row;

use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
    pub keyid: String,
    pub public_key: String,
    pub sealed_private: String,
    /// active | retired | revoked
    pub state: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revocation_reason: String,
}

#[derive(Debug, Clone)]
pub struct LabelRow {
    pub id: i64,
    pub case_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub product_name_en: String,
    pub product_public: bool,
    pub version_id: Option<i64>,
    pub version: String,
    pub vendor_org_id: i64,
    pub vendor_name: String,
    pub body_org_id: i64,
    pub body_name: String,
    /// Comma-separated level codes.
    pub levels: String,
    pub status: String,
    pub reason: String,
    pub envelope: String,
    pub sbom_sha256: String,
    pub keyid: String,
    pub issued_at: i64,
    pub valid_until: i64,
    pub status_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewLabel<'a> {
    pub case_id: i64,
    pub product_id: i64,
    pub version_id: Option<i64>,
    pub vendor_org_id: i64,
    pub body_org_id: i64,
    pub levels: &'a str,
    pub sbom_sha256: &'a str,
    pub issued_at: i64,
    pub valid_until: i64,
}

/// A label's entry in the status list.
#[derive(Debug, Clone)]
pub struct LabelStatusRow {
    pub id: i64,
    pub status: String,
    pub status_at: i64,
    pub reason: String,
}

/// An open finding on the version an active label covers (what the automatic suspension reads).
#[derive(Debug, Clone)]
pub struct CoveredFinding {
    pub label_id: i64,
    pub finding_id: i64,
    pub advisory_id: String,
    pub aliases: String,
    pub score: Option<f64>,
    pub severity: String,
    pub state: String,
    pub first_seen: i64,
}

#[derive(Debug, Clone)]
pub struct ChecklistRow {
    pub id: i64,
    pub scheme: String,
    pub version: String,
    pub source: String,
    pub loaded_by: String,
    pub loaded_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct VerdictRow {
    pub item: String,
    pub verdict: String,
    pub auto_verdict: String,
    pub auto_reason: String,
    pub evidence: String,
    pub note: String,
    pub overridden: bool,
    pub updated_by: String,
    pub updated_at: i64,
}

const KEY_COLS: &str = "k.id, k.org_id, o.name, k.role, k.keyid, k.public_key, k.sealed_private, k.state, \
     k.created_at, k.retired_at, k.revoked_at, k.revocation_reason";

fn key_row(r: &sqlx::any::AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        org_name: r.try_get(2)?,
        role: r.try_get(3)?,
        keyid: r.try_get(4)?,
        public_key: r.try_get(5)?,
        sealed_private: r.try_get(6)?,
        state: r.try_get(7)?,
        created_at: r.try_get(8)?,
        retired_at: r.try_get(9)?,
        revoked_at: r.try_get(10)?,
        revocation_reason: r.try_get(11)?,
    })
}

const LABEL_COLS: &str = "l.id, l.case_id, l.product_id, p.name, p.name_en, p.public, l.version_id, \
     COALESCE(v.version, ''), l.vendor_org_id, vo.name, l.body_org_id, bo.name, l.levels, l.status, l.reason, \
     l.envelope, l.sbom_sha256, l.keyid, l.issued_at, l.valid_until, l.status_at";
const LABEL_FROM: &str = "FROM labels l JOIN products p ON p.id = l.product_id \
     LEFT JOIN product_versions v ON v.id = l.version_id \
     JOIN organizations vo ON vo.id = l.vendor_org_id JOIN organizations bo ON bo.id = l.body_org_id";

fn label_row(r: &sqlx::any::AnyRow) -> Result<LabelRow> {
    Ok(LabelRow {
        id: r.try_get(0)?,
        case_id: r.try_get(1)?,
        product_id: r.try_get(2)?,
        product_name: r.try_get(3)?,
        product_name_en: r.try_get(4)?,
        product_public: crate::flag(r.try_get(5)?),
        version_id: r.try_get(6)?,
        version: r.try_get(7)?,
        vendor_org_id: r.try_get(8)?,
        vendor_name: r.try_get(9)?,
        body_org_id: r.try_get(10)?,
        body_name: r.try_get(11)?,
        levels: r.try_get(12)?,
        status: r.try_get(13)?,
        reason: r.try_get(14)?,
        envelope: r.try_get(15)?,
        sbom_sha256: r.try_get(16)?,
        keyid: r.try_get(17)?,
        issued_at: r.try_get(18)?,
        valid_until: r.try_get(19)?,
        status_at: r.try_get(20)?,
    })
}

fn verdict_row(r: &sqlx::any::AnyRow) -> Result<VerdictRow> {
    Ok(VerdictRow {
        item: r.try_get(0)?,
        verdict: r.try_get(1)?,
        auto_verdict: r.try_get(2)?,
        auto_reason: r.try_get(3)?,
        evidence: r.try_get(4)?,
        note: r.try_get(5)?,
        overridden: crate::flag(r.try_get(6)?),
        updated_by: r.try_get(7)?,
        updated_at: r.try_get(8)?,
    })
}

impl Tx {
    pub async fn insert_signing_key(
        &mut self,
        org_id: i64,
        role: &str,
        keyid: &str,
        public_key: &str,
        sealed: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO signing_keys (org_id, role, keyid, public_key, sealed_private, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id",
        )
        .bind(org_id)
        .bind(role.to_string())
        .bind(keyid.to_string())
        .bind(public_key.to_string())
        .bind(sealed.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Retires (no longer signs) or revokes (nothing it signed is trusted) a key; false when the
    /// key was not in `from`.
    pub async fn set_key_state(
        &mut self,
        keyid: &str,
        from: &[&str],
        to: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let (retired, revoked) = match to {
            "retired" => (Some(now), None),
            "revoked" => (None, Some(now)),
            _ => (None, None),
        };
        let marks: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "UPDATE signing_keys SET state = $1, retired_at = COALESCE(retired_at, $2), revoked_at = COALESCE($3, revoked_at), \
             revocation_reason = CASE WHEN $1 = 'revoked' THEN $4 ELSE revocation_reason END, sealed_private = '' \
             WHERE keyid = ${} AND state IN ({})",
            from.len() + 5,
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(to.to_string()).bind(retired).bind(revoked).bind(reason.to_string());
        for f in from {
            q = q.bind(f.to_string());
        }
        Ok(q.bind(keyid.to_string()).execute(&mut *self.tx).await?.rows_affected() == 1)
    }

    pub async fn insert_label(&mut self, l: &NewLabel<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO labels (case_id, product_id, version_id, vendor_org_id, body_org_id, levels, status, \
             sbom_sha256, issued_at, valid_until, status_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $8) RETURNING id",
        )
        .bind(l.case_id)
        .bind(l.product_id)
        .bind(l.version_id)
        .bind(l.vendor_org_id)
        .bind(l.body_org_id)
        .bind(l.levels.to_string())
        .bind(l.sbom_sha256.to_string())
        .bind(l.issued_at)
        .bind(l.valid_until)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn set_label_envelope(&mut self, id: i64, envelope: &str, keyid: &str) -> Result<()> {
        sqlx::query("UPDATE labels SET envelope = $1, keyid = $2 WHERE id = $3")
            .bind(envelope.to_string())
            .bind(keyid.to_string())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Moves a label from `from` to `to`; false when it was no longer in `from`.
    pub async fn set_label_status(&mut self, id: i64, from: &str, to: &str, reason: &str, now: i64) -> Result<bool> {
        Ok(sqlx::query("UPDATE labels SET status = $1, reason = $2, status_at = $3 WHERE id = $4 AND status = $5")
            .bind(to.to_string())
            .bind(reason.to_string())
            .bind(now)
            .bind(id)
            .bind(from.to_string())
            .execute(&mut *self.tx)
            .await?
            .rows_affected()
            == 1)
    }

    /// Every label's status, by id (what the status list lists), read in this transaction.
    pub async fn label_statuses(&mut self) -> Result<Vec<LabelStatusRow>> {
        let rows = sqlx::query(
            "SELECT l.id, l.status, l.status_at, CASE WHEN p.public <> 0 THEN l.reason ELSE '' END \
             FROM labels l JOIN products p ON p.id = l.product_id ORDER BY l.id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LabelStatusRow {
                    id: r.try_get(0)?,
                    status: r.try_get(1)?,
                    status_at: r.try_get(2)?,
                    reason: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Takes the status list's row lock and the next sequence number: call it before reading
    /// the labels' statuses, so that of two concurrent changes the later one signs both.
    pub async fn next_status_sequence(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("UPDATE status_lists SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence")
            .fetch_one(&mut *self.tx)
            .await?)
    }

    pub async fn put_status_list(&mut self, sequence: i64, document: &str, issued_at: i64) -> Result<()> {
        sqlx::query("UPDATE status_lists SET sequence = $1, document = $2, issued_at = $3 WHERE id = 1")
            .bind(sequence)
            .bind(document.to_string())
            .bind(issued_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Labels signed with a key that are still active or suspended (revoking the key revokes them).
    pub async fn labels_signed_by(&mut self, keyid: &str) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, status FROM labels WHERE keyid = $1 AND status IN ('active', 'suspended') ORDER BY id",
        )
        .bind(keyid.to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Forgets a case's verdicts (its checklist changed).
    pub async fn clear_verdicts(&mut self, case_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM case_verdicts WHERE case_id = $1").bind(case_id).execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Marks (or unmarks) an advisory as known exploited.
    pub async fn set_known_exploited(&mut self, advisory: &str, on: bool, by: &str, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM known_exploited WHERE advisory_id = $1")
            .bind(advisory.to_string())
            .execute(&mut *self.tx)
            .await?;
        if on {
            sqlx::query("INSERT INTO known_exploited (advisory_id, marked_by, marked_at) VALUES ($1, $2, $3)")
                .bind(advisory.to_string())
                .bind(by.to_string())
                .bind(now)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Stores a checklist version; a conflict when that scheme and version is already loaded.
    pub async fn insert_checklist(
        &mut self,
        scheme: &str,
        version: &str,
        source: &str,
        by: &str,
        now: i64,
    ) -> Result<i64> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM checklists WHERE scheme = $1 AND version = $2")
            .bind(scheme.to_string())
            .bind(version.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("checklist {scheme} {version} is already loaded")));
        }
        Ok(sqlx::query_scalar(
            "INSERT INTO checklists (scheme, version, source, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(scheme.to_string())
        .bind(version.to_string())
        .bind(source.to_string())
        .bind(by.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn set_case_checklist(&mut self, case_id: i64, checklist: &str) -> Result<()> {
        sqlx::query("UPDATE cases SET checklist = $1 WHERE id = $2")
            .bind(checklist.to_string())
            .bind(case_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn case_verdicts_tx(&mut self, case_id: i64) -> Result<Vec<VerdictRow>> {
        let rows = sqlx::query(
            "SELECT item, verdict, auto_verdict, auto_reason, evidence, note, overridden, updated_by, updated_at \
             FROM case_verdicts WHERE case_id = $1",
        )
        .bind(case_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(verdict_row).collect()
    }

    pub async fn put_verdict(&mut self, case_id: i64, v: &VerdictRow) -> Result<()> {
        sqlx::query("DELETE FROM case_verdicts WHERE case_id = $1 AND item = $2")
            .bind(case_id)
            .bind(v.item.clone())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_verdicts (case_id, item, verdict, auto_verdict, auto_reason, evidence, note, overridden, \
             updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(case_id)
        .bind(v.item.clone())
        .bind(v.verdict.clone())
        .bind(v.auto_verdict.clone())
        .bind(v.auto_reason.clone())
        .bind(v.evidence.clone())
        .bind(v.note.clone())
        .bind(i64::from(v.overridden))
        .bind(v.updated_by.clone())
        .bind(v.updated_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The program office's organisation (the oldest, if several).
    pub async fn office_org_id(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM organizations WHERE kind = 'program_office' ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest SBOM of a case (its evidence), or of the version it covers: (sha256, filename).
    pub async fn case_sbom(&self, case_id: i64, version_id: Option<i64>) -> Result<Option<(String, String)>> {
        let r = sqlx::query(
            "SELECT sha256, filename FROM case_evidence WHERE case_id = $1 AND kind = 'sbom' ORDER BY id DESC LIMIT 1",
        )
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = r {
            return Ok(Some((r.try_get(0)?, r.try_get(1)?)));
        }
        let Some(v) = version_id else { return Ok(None) };
        let r = sqlx::query(
            "SELECT sha256, filename FROM product_files WHERE product_version_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(v)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Signing keys, oldest first: of one organisation, or all.
    pub async fn signing_keys(&self, org: Option<i64>) -> Result<Vec<KeyRow>> {
        let filter = if org.is_some() { "WHERE k.org_id = $1" } else { "WHERE $1 = 0" };
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM signing_keys k JOIN organizations o ON o.id = k.org_id {filter} ORDER BY k.id"
        ))
        .bind(org.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_row).collect()
    }

    /// The key an organisation signs with now, for a role.
    pub async fn active_key(&self, org_id: i64, role: &str) -> Result<Option<KeyRow>> {
        let r = sqlx::query(&format!(
            "SELECT {KEY_COLS} FROM signing_keys k JOIN organizations o ON o.id = k.org_id \
             WHERE k.org_id = $1 AND k.role = $2 AND k.state = 'active' ORDER BY k.id DESC LIMIT 1"
        ))
        .bind(org_id)
        .bind(role.to_string())
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(key_row).transpose()
    }

    pub async fn label(&self, id: i64) -> Result<LabelRow> {
        let r = sqlx::query(&format!("SELECT {LABEL_COLS} {LABEL_FROM} WHERE l.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        label_row(&r)
    }

    pub async fn label_of_case(&self, case_id: i64) -> Result<Option<LabelRow>> {
        let r = sqlx::query(&format!("SELECT {LABEL_COLS} {LABEL_FROM} WHERE l.case_id = $1"))
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(label_row).transpose()
    }

    /// Labels, newest first, with a status filter; (total, page).
    pub async fn labels(&self, status: Option<&str>, limit: i64, offset: i64) -> Result<(i64, Vec<LabelRow>)> {
        let (filter, value) = match status {
            Some(s) => ("l.status = $1 AND p.public <> 0", s.to_string()),
            None => ("$1 = '' AND p.public <> 0", String::new()),
        };
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM labels l JOIN products p ON p.id = l.product_id WHERE {filter}"
        ))
        .bind(value.clone())
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {LABEL_COLS} {LABEL_FROM} WHERE {filter} ORDER BY l.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(value)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((total, rows.iter().map(label_row).collect::<Result<_>>()?))
    }

    pub async fn labels_of_product(&self, product_id: i64) -> Result<Vec<LabelRow>> {
        let rows = sqlx::query(&format!("SELECT {LABEL_COLS} {LABEL_FROM} WHERE l.product_id = $1 ORDER BY l.id DESC"))
            .bind(product_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(label_row).collect()
    }

    /// The current signed status list: (sequence, document, issued at).
    pub async fn status_list(&self) -> Result<Option<(i64, String, i64)>> {
        let r = sqlx::query("SELECT sequence, document, issued_at FROM status_lists WHERE id = 1 AND document <> ''")
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
    }

    /// Open critical or known-exploited findings seen before `before` on the versions that active
    /// labels cover (the use case applies the exact rule).
    pub async fn covered_open_findings(&self, before: i64) -> Result<Vec<CoveredFinding>> {
        let rows = sqlx::query(
            "SELECT l.id, f.id, f.advisory_id, f.aliases, f.score, f.severity, f.state, f.first_seen \
             FROM labels l JOIN findings f ON f.product_version_id = l.version_id \
             WHERE l.status = 'active' AND f.state IN ('in_triage', 'exploitable') AND f.first_seen < $1 \
             AND (f.severity = 'critical' OR f.advisory_id IN (SELECT advisory_id FROM known_exploited) \
                  OR EXISTS (SELECT 1 FROM known_exploited k WHERE f.aliases LIKE '%' || k.advisory_id || '%')) \
             ORDER BY l.id, f.id",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let score: Option<String> = r.try_get(4)?;
                Ok(CoveredFinding {
                    label_id: r.try_get(0)?,
                    finding_id: r.try_get(1)?,
                    advisory_id: r.try_get(2)?,
                    aliases: r.try_get(3)?,
                    score: score.and_then(|s| s.parse().ok()),
                    severity: r.try_get(5)?,
                    state: r.try_get(6)?,
                    first_seen: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Labels still active or suspended whose validity ended before `now`.
    pub async fn labels_past_validity(&self, now: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, status FROM labels WHERE status IN ('active', 'suspended') AND valid_until <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn known_exploited(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT advisory_id, marked_by, marked_at FROM known_exploited ORDER BY advisory_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    pub async fn checklists(&self) -> Result<Vec<ChecklistRow>> {
        let rows =
            sqlx::query("SELECT id, scheme, version, source, loaded_by, loaded_at FROM checklists ORDER BY scheme, id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(ChecklistRow {
                    id: r.try_get(0)?,
                    scheme: r.try_get(1)?,
                    version: r.try_get(2)?,
                    source: r.try_get(3)?,
                    loaded_by: r.try_get(4)?,
                    loaded_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    pub async fn case_checklist(&self, case_id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT checklist FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn case_verdicts(&self, case_id: i64) -> Result<Vec<VerdictRow>> {
        let rows = sqlx::query(
            "SELECT item, verdict, auto_verdict, auto_reason, evidence, note, overridden, updated_by, updated_at \
             FROM case_verdicts WHERE case_id = $1 ORDER BY item",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(verdict_row).collect()
    }
}
