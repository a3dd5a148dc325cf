//! Verification bodies and verification cases.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, Tx};

#[derive(Debug, Clone)]
pub struct BodyRow {
    pub org_id: i64,
    pub name: String,
    pub name_en: String,
    /// trusted | suspended
    pub state: String,
    /// Case kinds it may run, comma-separated.
    pub kinds: String,
    /// Product categories it covers, comma-separated.
    pub categories: String,
    pub summary: String,
    pub valid_until: Option<i64>,
    /// The body's answers to the criteria (JSON).
    pub application_json: String,
    /// The office's review, one verdict and note per criterion (JSON).
    pub review_json: String,
    pub updated_at: i64,
}

fn body_row(r: &AnyRow) -> Result<BodyRow> {
    Ok(BodyRow {
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        state: r.try_get("state")?,
        kinds: r.try_get("kinds")?,
        categories: r.try_get("categories")?,
        summary: r.try_get("summary")?,
        valid_until: r.try_get("valid_until")?,
        application_json: r.try_get("application")?,
        review_json: r.try_get("review")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const BODY_SQL: &str = "SELECT b.org_id AS org_id, o.name AS name, o.name_en AS name_en, b.state AS state, \
     b.kinds AS kinds, b.categories AS categories, b.summary AS summary, b.valid_until AS valid_until, \
     b.application AS application, b.review AS review, b.updated_at AS updated_at \
     FROM verification_bodies b JOIN organizations o ON o.id = b.org_id";

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub vendor_org_id: i64,
    pub product_public: bool,
    pub version_id: Option<i64>,
    pub version: Option<String>,
    pub body_org_id: i64,
    pub body_name: String,
    pub body_name_en: String,
    pub kind: String,
    pub state: String,
    pub title: String,
    pub request_note: String,
    pub plan_json: String,
    pub decision: Option<String>,
    pub decision_reason: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Consents recorded on the case (JSON).
    pub consents_json: String,
}

const CASE_SQL: &str = "SELECT c.id AS id, c.product_id AS product_id, p.name AS product_name, \
     p.vendor_org_id AS vendor_org_id, p.public AS product_public, c.version_id AS version_id, v.version AS version, \
     c.body_org_id AS body_org_id, o.name AS body_name, o.name_en AS body_name_en, c.kind AS kind, c.state AS state, \
     c.title AS title, c.request_note AS request_note, c.plan AS plan, c.decision AS decision, \
     c.decision_reason AS decision_reason, c.created_at AS created_at, c.updated_at AS updated_at, c.consents AS consents \
     FROM cases c JOIN products p ON p.id = c.product_id JOIN organizations o ON o.id = c.body_org_id \
     LEFT JOIN product_versions v ON v.id = c.version_id";

fn case_row(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.try_get("id")?,
        product_id: r.try_get("product_id")?,
        product_name: r.try_get("product_name")?,
        vendor_org_id: r.try_get("vendor_org_id")?,
        product_public: r.try_get::<i64, _>("product_public")? != 0,
        version_id: r.try_get("version_id")?,
        version: r.try_get("version")?,
        body_org_id: r.try_get("body_org_id")?,
        body_name: r.try_get("body_name")?,
        body_name_en: r.try_get("body_name_en")?,
        kind: r.try_get("kind")?,
        state: r.try_get("state")?,
        title: r.try_get("title")?,
        request_note: r.try_get("request_note")?,
        plan_json: r.try_get("plan")?,
        decision: r.try_get("decision")?,
        decision_reason: r.try_get("decision_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        consents_json: r.try_get("consents")?,
    })
}

/// A new case.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub product_id: i64,
    pub version_id: Option<i64>,
    pub body_org_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub request_note: &'a str,
    pub plan_json: &'a str,
}

impl Tx {
    /// Records a verification body as trusted (or its new scope and validity).
    #[allow(clippy::too_many_arguments)]
    pub async fn put_body(
        &mut self,
        org_id: i64,
        state: &str,
        kinds: &str,
        categories: &str,
        summary: &str,
        valid_until: Option<i64>,
        application_json: &str,
        review_json: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO verification_bodies (org_id, state, kinds, categories, summary, valid_until, application, review, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $7) ON CONFLICT (org_id) DO UPDATE SET state = $2, kinds = $3, \
             categories = $4, summary = $5, valid_until = $6, application = $8, review = $9, updated_at = $7",
        )
        .bind(org_id)
        .bind(state.to_string())
        .bind(kinds.to_string())
        .bind(categories.to_string())
        .bind(summary.to_string())
        .bind(valid_until)
        .bind(now)
        .bind(application_json.to_string())
        .bind(review_json.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Keeps a body's application and moves it from `from` (None: its first application) to
    /// `to`; false when the body's state changed meanwhile (or it already has a row).
    #[allow(clippy::too_many_arguments)]
    pub async fn save_body_application(
        &mut self,
        org_id: i64,
        from: Option<&str>,
        to: &str,
        application_json: &str,
        kinds: &str,
        categories: &str,
        summary: &str,
        now: i64,
    ) -> Result<bool> {
        let n = match from {
            None => sqlx::query(
                "INSERT INTO verification_bodies (org_id, state, kinds, categories, summary, application, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id) DO NOTHING",
            )
            .bind(org_id)
            .bind(to.to_string())
            .bind(kinds.to_string())
            .bind(categories.to_string())
            .bind(summary.to_string())
            .bind(application_json.to_string())
            .bind(now)
            .execute(&mut *self.tx)
            .await?
            .rows_affected(),
            Some(from) => sqlx::query(
                "UPDATE verification_bodies SET state = $1, kinds = $2, categories = $3, summary = $4, application = $5, \
                 updated_at = $6 WHERE org_id = $7 AND state = $8",
            )
            .bind(to.to_string())
            .bind(kinds.to_string())
            .bind(categories.to_string())
            .bind(summary.to_string())
            .bind(application_json.to_string())
            .bind(now)
            .bind(org_id)
            .bind(from.to_string())
            .execute(&mut *self.tx)
            .await?
            .rows_affected(),
        };
        Ok(n == 1)
    }

    /// The office's decision on a body: its state, review and (on approval) validity; false when
    /// the state changed meanwhile.
    pub async fn review_body(
        &mut self,
        org_id: i64,
        from: &str,
        to: &str,
        review_json: &str,
        valid_until: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE verification_bodies SET state = $1, review = $2, valid_until = COALESCE($3, valid_until), updated_at = $4 \
             WHERE org_id = $5 AND state = $6",
        )
        .bind(to.to_string())
        .bind(review_json.to_string())
        .bind(valid_until)
        .bind(now)
        .bind(org_id)
        .bind(from.to_string())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn insert_case(&mut self, c: &NewCase<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO cases (product_id, version_id, body_org_id, kind, state, title, request_note, plan, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(c.product_id)
        .bind(c.version_id)
        .bind(c.body_org_id)
        .bind(c.kind.to_string())
        .bind(c.title.to_string())
        .bind(c.request_note.to_string())
        .bind(c.plan_json.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The case's state as this transaction sees it (after a lock it took, the latest).
    pub async fn case_state(&mut self, id: i64) -> Result<String> {
        let s: String =
            sqlx::query_scalar("SELECT state FROM cases WHERE id = $1").bind(id).fetch_one(&mut *self.tx).await?;
        Ok(s)
    }

    /// Moves a case from `from` to `to` (with its plan and decision); false when someone else
    /// moved it first.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_case(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        plan_json: &str,
        decision: Option<&str>,
        decision_reason: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE cases SET state = $1, plan = $2, decision = $3, decision_reason = $4, updated_at = $5 \
             WHERE id = $6 AND state = $7",
        )
        .bind(to.to_string())
        .bind(plan_json.to_string())
        .bind(decision.map(str::to_string))
        .bind(decision_reason.to_string())
        .bind(now)
        .bind(id)
        .bind(from.to_string())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// Every verification body with a row: trusted, suspended, and those applying.
    pub async fn bodies(&self) -> Result<Vec<BodyRow>> {
        let rows = sqlx::query(&format!("{BODY_SQL} ORDER BY o.name")).fetch_all(&self.pool).await?;
        rows.iter().map(body_row).collect()
    }

    pub async fn body(&self, org_id: i64) -> Result<BodyRow> {
        let r = sqlx::query(&format!("{BODY_SQL} WHERE b.org_id = $1")).bind(org_id).fetch_one(&self.pool).await?;
        body_row(&r)
    }

    pub async fn case(&self, id: i64) -> Result<CaseRow> {
        let r = sqlx::query(&format!("{CASE_SQL} WHERE c.id = $1")).bind(id).fetch_one(&self.pool).await?;
        case_row(&r)
    }

    /// Cases of these products or run by these bodies (or all, for the office), newest first.
    pub async fn cases_for(&self, vendor_orgs: &[i64], body_orgs: &[i64], all: bool) -> Result<Vec<CaseRow>> {
        let rows = if all {
            sqlx::query(&format!("{CASE_SQL} ORDER BY c.id DESC")).fetch_all(&self.pool).await?
        } else {
            let mut out = Vec::new();
            for org in vendor_orgs {
                out.extend(
                    sqlx::query(&format!("{CASE_SQL} WHERE p.vendor_org_id = $1 ORDER BY c.id DESC"))
                        .bind(*org)
                        .fetch_all(&self.pool)
                        .await?,
                );
            }
            for org in body_orgs {
                out.extend(
                    sqlx::query(&format!("{CASE_SQL} WHERE c.body_org_id = $1 ORDER BY c.id DESC"))
                        .bind(*org)
                        .fetch_all(&self.pool)
                        .await?,
                );
            }
            out
        };
        let mut cases: Vec<CaseRow> = rows.iter().map(case_row).collect::<Result<_>>()?;
        cases.sort_by_key(|c| std::cmp::Reverse(c.id));
        cases.dedup_by_key(|c| c.id);
        Ok(cases)
    }

    /// A product's cases, newest first.
    pub async fn cases_of_product(&self, product_id: i64) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query(&format!("{CASE_SQL} WHERE c.product_id = $1 ORDER BY c.id DESC"))
            .bind(product_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case_row).collect()
    }
}

/// A product as the priority queue needs it.
#[derive(Debug, Clone)]
pub struct PriorityRow {
    pub product_id: i64,
    pub name: String,
    pub vendor_name: String,
    pub category: String,
    pub public: bool,
    /// JSON of the four attributes.
    pub priority_json: String,
    /// Open findings of the newest version: (critical, high).
    pub open_critical: i64,
    pub open_high: i64,
}

impl Tx {
    pub async fn set_priority(&mut self, product_id: i64, json: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE products SET priority = $1, updated_at = $2 WHERE id = $3")
            .bind(json.to_string())
            .bind(now)
            .bind(product_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn set_priority_weights(&mut self, json: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO priority_weights (id, weights, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET weights = $1, updated_at = $2",
        )
        .bind(json.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The office's weights, if set.
    pub async fn priority_weights(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT weights FROM priority_weights WHERE id = 1").fetch_optional(&self.pool).await?)
    }

    /// Every product of these categories with its attributes and the open critical and high
    /// findings of its newest version.
    pub async fn priority_rows(&self, categories: &[&str]) -> Result<Vec<PriorityRow>> {
        let marks: Vec<String> = (1..=categories.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT p.id, p.name, o.name, p.category, p.public, p.priority, \
             (SELECT COUNT(*) FROM findings f WHERE f.state IN ('in_triage', 'exploitable') AND f.severity = 'critical' \
               AND f.product_version_id = (SELECT MAX(v.id) FROM product_versions v WHERE v.product_id = p.id)), \
             (SELECT COUNT(*) FROM findings f WHERE f.state IN ('in_triage', 'exploitable') AND f.severity = 'high' \
               AND f.product_version_id = (SELECT MAX(v.id) FROM product_versions v WHERE v.product_id = p.id)) \
             FROM products p JOIN organizations o ON o.id = p.vendor_org_id WHERE p.category IN ({}) ORDER BY p.id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for c in categories {
            q = q.bind(c.to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(PriorityRow {
                    product_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    vendor_name: r.try_get(2)?,
                    category: r.try_get(3)?,
                    public: r.try_get::<i64, _>(4)? != 0,
                    priority_json: r.try_get(5)?,
                    open_critical: r.try_get(6)?,
                    open_high: r.try_get(7)?,
                })
            })
            .collect()
    }
}
