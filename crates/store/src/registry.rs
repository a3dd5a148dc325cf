//! Services, their history, evidence files, surveillance, and the public list's read model.

use sqlx::Row;

use domain::OrgId;
use domain::registry::{EvidenceId, ServiceId, ServiceStatus, SurveillanceId, Transition};

use crate::{Result, Store, StoreError, Tx};

/// The columns a service is written with (new application or approved change).
#[derive(Debug, Clone)]
pub struct ServiceWrite {
    pub provider_org_id: i64,
    pub body_org_id: i64,
    pub name: String,
    pub name_key: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub application_json: String,
    pub search_text: String,
    pub regions: String,
    pub industries: String,
}

#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: i64,
    pub provider_org_id: i64,
    pub provider_name: String,
    pub provider_name_en: String,
    pub body_org_id: i64,
    pub body_name: String,
    pub body_name_en: String,
    pub name: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub status: String,
    pub application_json: String,
    pub pending_change: Option<String>,
    pub ledger_number: Option<String>,
    pub listed_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub reminders_sent: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SERVICE_COLS: &str = "s.id AS id, s.provider_org_id AS provider_org_id, p.name AS provider_name, \
     p.name_en AS provider_name_en, s.body_org_id AS body_org_id, b.name AS body_name, b.name_en AS body_name_en, \
     s.name AS name, s.category AS category, s.subcategory AS subcategory, s.status AS status, \
     s.application AS application_json, s.pending_change AS pending_change, s.ledger_number AS ledger_number, \
     s.listed_at AS listed_at, s.valid_until AS valid_until, s.reminders_sent AS reminders_sent, s.version AS version, \
     s.created_at AS created_at, s.updated_at AS updated_at";
const SERVICE_FROM: &str =
    "FROM services s JOIN organizations p ON p.id = s.provider_org_id JOIN organizations b ON b.id = s.body_org_id";

fn service_row(r: &sqlx::any::AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: r.try_get("id")?,
        provider_org_id: r.try_get("provider_org_id")?,
        provider_name: r.try_get("provider_name")?,
        provider_name_en: r.try_get("provider_name_en")?,
        body_org_id: r.try_get("body_org_id")?,
        body_name: r.try_get("body_name")?,
        body_name_en: r.try_get("body_name_en")?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        subcategory: r.try_get("subcategory")?,
        status: r.try_get("status")?,
        application_json: r.try_get("application_json")?,
        pending_change: r.try_get("pending_change")?,
        ledger_number: r.try_get("ledger_number")?,
        listed_at: r.try_get("listed_at")?,
        valid_until: r.try_get("valid_until")?,
        reminders_sent: r.try_get("reminders_sent")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// One entry of a service's visible history (a row of the shared transitions history).
pub type EventRow = crate::workflow::TransitionRow;

/// The registry's subject kind in the shared history.
pub const SERVICE_SUBJECT: &str = "registry.service";

#[derive(Debug, Clone)]
pub struct EvidenceRow {
    pub id: i64,
    pub service_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone)]
pub struct SurveillanceRow {
    pub id: i64,
    pub service_id: i64,
    pub period: String,
    pub notice: String,
    pub noticed_at: i64,
    pub outcome: Option<String>,
    pub outcome_note: String,
    pub completed_at: Option<i64>,
}

/// The fields the public list needs, for the in-memory read model.
#[derive(Debug, Clone)]
pub struct PublicRow {
    pub id: i64,
    pub name: String,
    pub provider_name: String,
    pub provider_name_en: String,
    pub body_org_id: i64,
    pub category: String,
    pub subcategory: Option<String>,
    pub status: String,
    pub ledger_number: Option<String>,
    pub listed_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub updated_at: i64,
    pub regions: String,
    pub industries: String,
    pub search_text: String,
}

fn in_list(statuses: &[&str], first: usize) -> String {
    (0..statuses.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}

impl Tx {
    pub async fn insert_service(&mut self, w: &ServiceWrite, status: ServiceStatus, now: i64) -> Result<ServiceId> {
        let status = status.code();
        sqlx::query_scalar(
            "INSERT INTO services (provider_org_id, body_org_id, name, name_key, category, subcategory, status, application, \
             search_text, regions, industries, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(w.provider_org_id)
        .bind(w.body_org_id)
        .bind(w.name.clone())
        .bind(w.name_key.clone())
        .bind(w.category.clone())
        .bind(w.subcategory.clone())
        .bind(status.to_string())
        .bind(w.application_json.clone())
        .bind(w.search_text.clone())
        .bind(w.regions.clone())
        .bind(w.industries.clone())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map(ServiceId)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("this provider already has a service named {:?}", w.name))
            }
            other => other,
        })
    }

    /// Re-reads a service inside the transaction.
    pub async fn service(&mut self, id: ServiceId) -> Result<ServiceRow> {
        let id = id.0;
        let r = sqlx::query(&format!("SELECT {SERVICE_COLS} {SERVICE_FROM} WHERE s.id = $1"))
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?;
        service_row(&r)
    }

    /// Replaces the application of a service, if nobody changed it since `version`.
    pub async fn update_service_application(
        &mut self,
        id: ServiceId,
        version: i64,
        w: &ServiceWrite,
        now: i64,
    ) -> Result<()> {
        let id = id.0;
        let r = sqlx::query(
            "UPDATE services SET body_org_id = $1, name = $2, name_key = $3, category = $4, subcategory = $5, application = $6, \
             search_text = $7, regions = $8, industries = $9, updated_at = $10, version = version + 1 \
             WHERE id = $11 AND version = $12",
        )
        .bind(w.body_org_id)
        .bind(w.name.clone())
        .bind(w.name_key.clone())
        .bind(w.category.clone())
        .bind(w.subcategory.clone())
        .bind(w.application_json.clone())
        .bind(w.search_text.clone())
        .bind(w.regions.clone())
        .bind(w.industries.clone())
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("this provider already has a service named {:?}", w.name))
            }
            other => other,
        })?;
        changed(r.rows_affected())
    }

    /// Moves a service to `status`, if nobody changed it since `version`.
    pub async fn set_status(&mut self, id: ServiceId, version: i64, status: ServiceStatus, now: i64) -> Result<()> {
        let (id, status) = (id.0, status.code());
        let r = sqlx::query(
            "UPDATE services SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(status.to_string())
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *self.tx)
        .await?;
        changed(r.rows_affected())
    }

    pub async fn set_registration(
        &mut self,
        id: ServiceId,
        ledger: &str,
        listed_at: i64,
        valid_until: i64,
    ) -> Result<()> {
        let id = id.0;
        sqlx::query("UPDATE services SET ledger_number = $1, listed_at = $2, valid_until = $3, reminders_sent = '' WHERE id = $4")
            .bind(ledger.to_string())
            .bind(listed_at)
            .bind(valid_until)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A renewal: the validity runs on to `valid_until`, and reminders start over.
    pub async fn extend_validity(&mut self, id: ServiceId, valid_until: i64) -> Result<()> {
        let id = id.0;
        sqlx::query("UPDATE services SET valid_until = $1, reminders_sent = '' WHERE id = $2")
            .bind(valid_until)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn set_pending_change(&mut self, id: ServiceId, json: Option<&str>) -> Result<()> {
        let id = id.0;
        sqlx::query("UPDATE services SET pending_change = $1 WHERE id = $2")
            .bind(json.map(str::to_string))
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records a reminder as sent; false if another process recorded it first.
    pub async fn mark_reminder(&mut self, id: ServiceId, before: &str, after: &str) -> Result<bool> {
        let id = id.0;
        let r = sqlx::query("UPDATE services SET reminders_sent = $1 WHERE id = $2 AND reminders_sent = $3")
            .bind(after.to_string())
            .bind(id)
            .bind(before.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records a history entry of a service that is not a state change (creation, notes).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_event(
        &mut self,
        service_id: ServiceId,
        at: i64,
        actor_user_id: Option<i64>,
        actor_name: &str,
        action: &str,
        from: Option<&str>,
        to: &str,
        comment: &str,
    ) -> Result<()> {
        let t = crate::workflow::NewTransition {
            subject_kind: SERVICE_SUBJECT,
            subject_id: service_id.0,
            actor_user_id,
            actor_name,
            action,
            from_state: from,
            to_state: to,
            comment,
        };
        self.record_transition(&t, at).await?;
        Ok(())
    }

    /// Stores a blob once per content hash (in the database).
    pub async fn put_blob(&mut self, sha256: &str, data: &[u8]) -> Result<()> {
        // the same bytes kept in the file store before: the database gets them too, so every
        // reader of the database's copy finds them
        sqlx::query(
            "INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO UPDATE \
             SET data = EXCLUDED.data, external = 0 WHERE blobs.external = 1",
        )
        .bind(sha256.to_string())
        .bind(data.len() as i64)
        .bind(data.to_vec())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_evidence(
        &mut self,
        service_id: ServiceId,
        filename: &str,
        content_type: &str,
        size: i64,
        sha256: &str,
        now: i64,
        user_id: i64,
    ) -> Result<i64> {
        let service_id = service_id.0;
        Ok(sqlx::query_scalar(
            "INSERT INTO evidence (service_id, filename, content_type, size, sha256, uploaded_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(service_id)
        .bind(filename.to_string())
        .bind(content_type.to_string())
        .bind(size)
        .bind(sha256.to_string())
        .bind(now)
        .bind(user_id)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn insert_surveillance(
        &mut self,
        service_id: ServiceId,
        period: &str,
        notice: &str,
        now: i64,
    ) -> Result<i64> {
        let service_id = service_id.0;
        Ok(sqlx::query_scalar(
            "INSERT INTO surveillances (service_id, period, notice, noticed_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(service_id)
        .bind(period.to_string())
        .bind(notice.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn complete_surveillance(
        &mut self,
        id: SurveillanceId,
        outcome: &str,
        note: &str,
        now: i64,
    ) -> Result<()> {
        let id = id.0;
        let r = sqlx::query(
            "UPDATE surveillances SET outcome = $1, outcome_note = $2, completed_at = $3 WHERE id = $4 AND completed_at IS NULL",
        )
        .bind(outcome.to_string())
        .bind(note.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        changed(r.rows_affected())
    }

    pub async fn surveillance(&mut self, id: SurveillanceId) -> Result<SurveillanceRow> {
        let id = id.0;
        let r = sqlx::query(&format!("SELECT {SURV_COLS} FROM surveillances WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?;
        surveillance_row(&r)
    }
}

const SURV_COLS: &str = "id, service_id, period, notice, noticed_at, outcome, outcome_note, completed_at";

fn surveillance_row(r: &sqlx::any::AnyRow) -> Result<SurveillanceRow> {
    Ok(SurveillanceRow {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        period: r.try_get("period")?,
        notice: r.try_get("notice")?,
        noticed_at: r.try_get("noticed_at")?,
        outcome: r.try_get("outcome")?,
        outcome_note: r.try_get("outcome_note")?,
        completed_at: r.try_get("completed_at")?,
    })
}

fn changed(rows: u64) -> Result<()> {
    if rows == 0 {
        Err(StoreError::Conflict("the service was changed by someone else; reload and try again".into()))
    } else {
        Ok(())
    }
}

const EVIDENCE_COLS: &str = "id, service_id, filename, content_type, size, sha256, uploaded_at";

fn evidence_row(r: &sqlx::any::AnyRow) -> Result<EvidenceRow> {
    Ok(EvidenceRow {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

impl Store {
    pub async fn service(&self, id: ServiceId) -> Result<ServiceRow> {
        let id = id.0;
        let r = sqlx::query(&format!("SELECT {SERVICE_COLS} {SERVICE_FROM} WHERE s.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        service_row(&r)
    }

    /// Services of one provider organisation, newest first.
    pub async fn services_of_provider(&self, org_id: OrgId) -> Result<Vec<ServiceRow>> {
        let org_id = org_id.0;
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLS} {SERVICE_FROM} WHERE s.provider_org_id = $1 ORDER BY s.id DESC"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(service_row).collect()
    }

    /// Services in the given states, optionally only those of one registration body.
    pub async fn services_in(
        &self,
        statuses: &[ServiceStatus],
        body_org_id: Option<OrgId>,
        limit: i64,
    ) -> Result<Vec<ServiceRow>> {
        let statuses: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
        let body_org_id = body_org_id.map(|o| o.0);
        let sql = format!(
            "SELECT {SERVICE_COLS} {SERVICE_FROM} WHERE s.status IN ({}) AND ($1 = 0 OR s.body_org_id = $1) ORDER BY s.updated_at, s.id LIMIT $2",
            in_list(&statuses, 3)
        );
        let mut q = sqlx::query(&sql).bind(body_org_id.unwrap_or(0)).bind(limit);
        for s in statuses {
            q = q.bind(s.to_string());
        }
        q.fetch_all(&self.pool).await?.iter().map(service_row).collect()
    }

    /// Registered services whose validity ends before `until` (for reminders and expiry).
    pub async fn services_expiring_before(&self, until: i64, limit: i64) -> Result<Vec<ServiceRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLS} {SERVICE_FROM} WHERE s.status IN ('listed', 'change_requested', 'renewal_requested', 'suspended') \
             AND s.valid_until IS NOT NULL AND s.valid_until <= $1 ORDER BY s.valid_until LIMIT $2"
        ))
        .bind(until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(service_row).collect()
    }

    /// (id, valid_until, reminders_sent) of registered services expiring before `until`: the
    /// sweep reads these small rows and loads a whole service only when something is due.
    pub async fn expiring_brief(&self, until: i64) -> Result<Vec<(i64, i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, valid_until, reminders_sent FROM services WHERE status IN ('listed', 'change_requested', 'renewal_requested', 'suspended') \
             AND valid_until IS NOT NULL AND valid_until <= $1 ORDER BY valid_until",
        )
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("valid_until")?, r.try_get("reminders_sent")?))).collect()
    }

    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM services GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    pub async fn events(&self, service_id: ServiceId) -> Result<Vec<EventRow>> {
        let service_id = service_id.0;
        self.transitions_of(SERVICE_SUBJECT, service_id).await
    }

    /// Latest history entries of publicly listed services with one of these actions (the
    /// domain says which are public), for the Atom feed.
    /// The newest public events of listed services; with `services`, of those services only
    /// (bound as one JSON parameter, so a filter matching thousands of services is one query).
    pub async fn recent_public_events(
        &self,
        actions: &[Transition],
        services: Option<&[i64]>,
        limit: i64,
    ) -> Result<Vec<(EventRow, String)>> {
        let codes: Vec<&str> = actions.iter().map(|t| t.code()).collect();
        let only = match services {
            Some(_) => {
                format!(" AND t.subject_id IN (SELECT CAST(c0 AS BIGINT) FROM ({}) j)", self.backend.json_rows("$3", 1))
            }
            None => String::new(),
        };
        let first = if services.is_some() { 4 } else { 3 };
        let sql = format!(
            "SELECT {}, s.name AS service_name FROM transitions t JOIN services s ON s.id = t.subject_id \
             WHERE t.subject_kind = $1 AND t.action IN ({}) \
             AND s.ledger_number IS NOT NULL{only} ORDER BY t.id DESC LIMIT $2",
            crate::workflow::TRANSITION_COLS,
            in_list(&codes, first)
        );
        let mut q = sqlx::query(&sql).bind(SERVICE_SUBJECT).bind(limit);
        if let Some(ids) = services {
            let rows: Vec<serde_json::Value> = ids.iter().map(|i| serde_json::json!([i])).collect();
            q = q.bind(serde_json::Value::Array(rows).to_string());
        }
        for c in codes {
            q = q.bind(c);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((crate::workflow::transition_row(r)?, r.try_get("service_name")?))).collect()
    }

    pub async fn evidence_of(&self, service_id: ServiceId) -> Result<Vec<EvidenceRow>> {
        let service_id = service_id.0;
        let rows = sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE service_id = $1 ORDER BY id"))
            .bind(service_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(evidence_row).collect()
    }

    pub async fn evidence(&self, id: EvidenceId) -> Result<(EvidenceRow, Vec<u8>)> {
        let id = id.0;
        let r = sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let row = evidence_row(&r)?;
        let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(row.sha256.clone())
            .fetch_one(&self.pool)
            .await?;
        Ok((row, data))
    }

    pub async fn surveillances_of(&self, service_id: ServiceId) -> Result<Vec<SurveillanceRow>> {
        let service_id = service_id.0;
        let rows = sqlx::query(&format!("SELECT {SURV_COLS} FROM surveillances WHERE service_id = $1 ORDER BY id"))
            .bind(service_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(surveillance_row).collect()
    }

    pub async fn open_surveillances(&self) -> Result<Vec<SurveillanceRow>> {
        let rows =
            sqlx::query(&format!("SELECT {SURV_COLS} FROM surveillances WHERE completed_at IS NULL ORDER BY id"))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(surveillance_row).collect()
    }

    /// Everything the public list shows, streamed row by row into `out` (the in-memory read
    /// model is built while rows arrive, so the whole result never sits in memory twice).
    pub async fn stream_public_rows(&self, out: tokio::sync::mpsc::Sender<PublicRow>) -> Result<()> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(
            "SELECT s.id AS id, s.name AS name, p.name AS provider_name, p.name_en AS provider_name_en, \
             s.body_org_id AS body_org_id, s.category AS category, s.subcategory AS subcategory, s.status AS status, \
             s.ledger_number AS ledger_number, s.listed_at AS listed_at, s.valid_until AS valid_until, \
             s.updated_at AS updated_at, s.regions AS regions, s.industries AS industries, s.search_text AS search_text \
             FROM services s JOIN organizations p ON p.id = s.provider_org_id \
             WHERE s.status IN ('listed', 'change_requested', 'renewal_requested', 'suspended', 'withdrawn', 'expired') AND s.ledger_number IS NOT NULL",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let row = PublicRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                provider_name: r.try_get("provider_name")?,
                provider_name_en: r.try_get("provider_name_en")?,
                body_org_id: r.try_get("body_org_id")?,
                category: r.try_get("category")?,
                subcategory: r.try_get("subcategory")?,
                status: r.try_get("status")?,
                ledger_number: r.try_get("ledger_number")?,
                listed_at: r.try_get("listed_at")?,
                valid_until: r.try_get("valid_until")?,
                updated_at: r.try_get("updated_at")?,
                regions: r.try_get("regions")?,
                industries: r.try_get("industries")?,
                search_text: r.try_get("search_text")?,
            };
            if out.send(row).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}
