//! The verification platform's tables: products, versions, files, components, findings.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, Tx};

/// The columns a product is written with.
#[derive(Debug, Clone)]
pub struct ProductWrite {
    pub name: String,
    pub name_en: String,
    pub model: String,
    pub category: String,
    pub description: String,
    /// JSON array of the catalogue claims.
    pub claims_json: String,
    pub support_end: Option<String>,
    pub vuln_contact: String,
    pub public: bool,
    pub search_text: String,
    /// A sub-category code of the category (the product map's groups); empty: none.
    pub subcategory: String,
}

#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: i64,
    pub vendor_org_id: i64,
    pub vendor_name: String,
    pub vendor_name_en: String,
    pub name: String,
    pub name_en: String,
    pub model: String,
    pub category: String,
    pub description: String,
    pub claims_json: String,
    pub support_end: Option<String>,
    pub vuln_contact: String,
    pub public: bool,
    pub subcategory: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const PRODUCT_COLS: &str = "p.id AS id, p.vendor_org_id AS vendor_org_id, o.name AS vendor_name, \
     o.name_en AS vendor_name_en, p.name AS name, p.name_en AS name_en, p.model AS model, p.category AS category, \
     p.description AS description, p.claims AS claims, p.support_end AS support_end, \
     p.vuln_contact AS vuln_contact, p.public AS public, p.created_at AS created_at, p.updated_at AS updated_at, \
     p.subcategory AS subcategory";
const PRODUCT_FROM: &str = "FROM products p JOIN organizations o ON o.id = p.vendor_org_id";

fn product_row(r: &AnyRow) -> Result<ProductRow> {
    Ok(ProductRow {
        id: r.try_get("id")?,
        vendor_org_id: r.try_get("vendor_org_id")?,
        vendor_name: r.try_get("vendor_name")?,
        vendor_name_en: r.try_get("vendor_name_en")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        model: r.try_get("model")?,
        category: r.try_get("category")?,
        description: r.try_get("description")?,
        claims_json: r.try_get("claims")?,
        support_end: r.try_get("support_end")?,
        vuln_contact: r.try_get("vuln_contact")?,
        public: r.try_get::<i64, _>("public")? != 0,
        subcategory: r.try_get("subcategory")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: i64,
    pub product_id: i64,
    pub version: String,
    pub public: bool,
    pub created_at: i64,
}

fn version_row(r: &AnyRow) -> Result<VersionRow> {
    Ok(VersionRow {
        id: r.try_get("id")?,
        product_id: r.try_get("product_id")?,
        version: r.try_get("version")?,
        public: r.try_get::<i64, _>("public")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct ProductFileRow {
    pub id: i64,
    pub product_version_id: i64,
    /// sbom | capture | vex | document
    pub kind: String,
    pub filename: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_at: i64,
}

fn file_row(r: &AnyRow) -> Result<ProductFileRow> {
    Ok(ProductFileRow {
        id: r.try_get("id")?,
        product_version_id: r.try_get("product_version_id")?,
        kind: r.try_get("kind")?,
        filename: r.try_get("filename")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

/// One component of a scanned SBOM, as stored for re-matching.
#[derive(Debug, Clone)]
pub struct ComponentWrite {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
}

/// A finding as written by a scan or a tester.
#[derive(Debug, Clone)]
pub struct FindingWrite {
    /// scan | manual
    pub source: String,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub component: String,
    pub component_name: String,
    pub component_version: String,
    pub ecosystem: String,
    pub fixed: Vec<String>,
    pub severity: String,
    pub score: Option<f64>,
    pub summary: String,
    pub file_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct FindingRow {
    pub id: i64,
    pub product_version_id: i64,
    pub source: String,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub component: String,
    pub component_name: String,
    pub component_version: String,
    pub ecosystem: String,
    pub fixed: Vec<String>,
    pub severity: String,
    pub score: Option<f64>,
    pub summary: String,
    pub state: String,
    pub justification: String,
    pub detail: String,
    pub response: String,
    pub resolved_in: String,
    pub case_id: Option<i64>,
    pub vector: String,
    pub description: String,
    pub reproduction: String,
    /// Case evidence ids a tester's finding points to, comma-separated.
    pub evidence: String,
    pub first_seen: i64,
    pub updated_at: i64,
}

const FINDING_COLS: &str = "id, product_version_id, source, advisory_id, aliases, component, component_name, \
     component_version, ecosystem, fixed, severity, score, summary, state, justification, detail, response, resolved_in, \
     case_id, vector, description, reproduction, evidence, first_seen, updated_at";

fn split_list(s: String) -> Vec<String> {
    s.split('\n').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn finding_row(r: &AnyRow) -> Result<FindingRow> {
    let score: Option<String> = r.try_get("score")?;
    Ok(FindingRow {
        id: r.try_get("id")?,
        product_version_id: r.try_get("product_version_id")?,
        source: r.try_get("source")?,
        advisory_id: r.try_get("advisory_id")?,
        aliases: split_list(r.try_get("aliases")?),
        component: r.try_get("component")?,
        component_name: r.try_get("component_name")?,
        component_version: r.try_get("component_version")?,
        ecosystem: r.try_get("ecosystem")?,
        fixed: split_list(r.try_get("fixed")?),
        severity: r.try_get("severity")?,
        score: score.and_then(|s| s.parse().ok()),
        summary: r.try_get("summary")?,
        state: r.try_get("state")?,
        justification: r.try_get("justification")?,
        detail: r.try_get("detail")?,
        response: r.try_get("response")?,
        resolved_in: r.try_get("resolved_in")?,
        case_id: r.try_get("case_id")?,
        vector: r.try_get("vector")?,
        description: r.try_get("description")?,
        reproduction: r.try_get("reproduction")?,
        evidence: r.try_get("evidence")?,
        first_seen: r.try_get("first_seen")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A public product as the list's index needs it.
#[derive(Debug, Clone)]
pub struct PublicProductRow {
    pub product: ProductRow,
    /// The product's cases: (state, decision).
    pub cases: Vec<(String, Option<String>)>,
    pub search_text: String,
    pub latest_version: Option<String>,
    /// Open findings of the latest public version: (severity, count).
    pub open: Vec<(String, i64)>,
}

impl Tx {
    pub async fn insert_product(&mut self, vendor_org_id: i64, p: &ProductWrite, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO products (vendor_org_id, name, name_en, model, category, description, claims, support_end, \
             vuln_contact, public, search_text, created_at, updated_at, subcategory) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
        )
        .bind(vendor_org_id)
        .bind(p.name.clone())
        .bind(p.name_en.clone())
        .bind(p.model.clone())
        .bind(p.category.clone())
        .bind(p.description.clone())
        .bind(p.claims_json.clone())
        .bind(p.support_end.clone())
        .bind(p.vuln_contact.clone())
        .bind(p.public as i64)
        .bind(p.search_text.clone())
        .bind(now)
        .bind(p.subcategory.clone())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn update_product(&mut self, id: i64, p: &ProductWrite, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE products SET name = $1, name_en = $2, model = $3, category = $4, description = $5, claims = $6, \
             support_end = $7, vuln_contact = $8, public = $9, search_text = $10, updated_at = $11, subcategory = $13 \
             WHERE id = $12",
        )
        .bind(p.name.clone())
        .bind(p.name_en.clone())
        .bind(p.model.clone())
        .bind(p.category.clone())
        .bind(p.description.clone())
        .bind(p.claims_json.clone())
        .bind(p.support_end.clone())
        .bind(p.vuln_contact.clone())
        .bind(p.public as i64)
        .bind(p.search_text.clone())
        .bind(now)
        .bind(id)
        .bind(p.subcategory.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The version's id, creating it when new; the bool says whether it was created.
    pub async fn version_or_insert(&mut self, product_id: i64, version: &str, now: i64) -> Result<(i64, bool)> {
        self.version_or_insert_with(product_id, version, true, now).await
    }

    /// A version's id, made (public or not) when new; and whether it was made.
    pub async fn version_or_insert_with(
        &mut self,
        product_id: i64,
        version: &str,
        public: bool,
        now: i64,
    ) -> Result<(i64, bool)> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM product_versions WHERE product_id = $1 AND version = $2")
                .bind(product_id)
                .bind(version.to_string())
                .fetch_optional(&mut *self.tx)
                .await?;
        if let Some(id) = found {
            return Ok((id, false));
        }
        let id = sqlx::query_scalar(
            "INSERT INTO product_versions (product_id, version, public, created_at) VALUES ($1, $2, $4, $3) RETURNING id",
        )
        .bind(product_id)
        .bind(version.to_string())
        .bind(now)
        .bind(public as i64)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((id, true))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_product_file(
        &mut self,
        version_id: i64,
        kind: &str,
        filename: &str,
        sha256: &str,
        size: i64,
        now: i64,
        by: Option<i64>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO product_files (product_version_id, kind, filename, sha256, size, uploaded_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(version_id)
        .bind(kind.to_string())
        .bind(filename.to_string())
        .bind(sha256.to_string())
        .bind(size)
        .bind(now)
        .bind(by)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Replaces a version's component list (the latest scanned SBOM's), in batches.
    pub async fn replace_components(&mut self, version_id: i64, components: &[ComponentWrite]) -> Result<()> {
        sqlx::query("DELETE FROM product_components WHERE product_version_id = $1")
            .bind(version_id)
            .execute(&mut *self.tx)
            .await?;
        // one JSON parameter per 10,000 rows: binding a value per cell costs more than the insert
        let sql = format!(
            "INSERT INTO product_components (product_version_id, ecosystem, name, version, purl) SELECT CAST($1 AS BIGINT), * FROM ({}) AS rows",
            self.backend.json_rows("$2", 4)
        );
        for chunk in components.chunks(10_000) {
            let rows: Vec<serde_json::Value> =
                chunk.iter().map(|c| serde_json::json!([c.ecosystem, c.name, c.version, c.purl])).collect();
            sqlx::query(&sql)
                .bind(version_id)
                .bind(serde_json::Value::Array(rows).to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// The (id, advisory, component, state) of a version's findings from a source, for the merge.
    pub async fn finding_keys(&mut self, version_id: i64, source: &str) -> Result<Vec<(i64, String, String, String)>> {
        let rows = sqlx::query(
            "SELECT id, advisory_id, component, state FROM findings WHERE product_version_id = $1 AND source = $2",
        )
        .bind(version_id)
        .bind(source.to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
    }

    /// Stores new findings (state `in_triage`) of one version; one already stored for the same
    /// advisory and component is left as it is. Returns how many were new.
    pub async fn insert_findings(&mut self, version_id: i64, fs: &[FindingWrite], now: i64) -> Result<usize> {
        let rows: Vec<(i64, &FindingWrite)> = fs.iter().map(|f| (version_id, f)).collect();
        Ok(self.insert_findings_of(&rows, now).await?.len())
    }

    /// Stores new findings of several versions in bulk (one JSON parameter per 2,000 rows);
    /// returns the (version, advisory, component) of those that were new.
    pub async fn insert_findings_of(
        &mut self,
        fs: &[(i64, &FindingWrite)],
        now: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        let sql = format!(
            "INSERT INTO findings (product_version_id, source, advisory_id, aliases, component, component_name, \
             component_version, ecosystem, fixed, severity, score, summary, file_id, state, first_seen, updated_at) \
             SELECT CAST(c0 AS BIGINT), c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, CAST(c12 AS BIGINT), 'in_triage', \
             CAST($2 AS BIGINT), CAST($2 AS BIGINT) FROM ({}) AS rows \
             WHERE true ON CONFLICT (product_version_id, advisory_id, component) DO NOTHING \
             RETURNING product_version_id, advisory_id, component",
            self.backend.json_rows("$1", 13)
        );
        let mut out = Vec::new();
        for chunk in fs.chunks(2_000) {
            let rows: Vec<serde_json::Value> = chunk
                .iter()
                .map(|(v, f)| {
                    serde_json::json!([
                        v.to_string(),
                        f.source,
                        f.advisory_id,
                        f.aliases.join("\n"),
                        f.component,
                        f.component_name,
                        f.component_version,
                        f.ecosystem,
                        f.fixed.join("\n"),
                        f.severity,
                        f.score.map(|s| format!("{s:.1}")),
                        f.summary,
                        f.file_id.map(|x| x.to_string()),
                    ])
                })
                .collect();
            let got = sqlx::query(&sql)
                .bind(serde_json::Value::Array(rows).to_string())
                .bind(now)
                .fetch_all(&mut *self.tx)
                .await?;
            for r in &got {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// Closes the open findings of withdrawn advisories (as false positives, with a note);
    /// returns the (version, advisory) pairs closed.
    pub async fn close_withdrawn(
        &mut self,
        advisory_ids: &[String],
        detail: &str,
        now: i64,
    ) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for chunk in advisory_ids.chunks(500) {
            let marks: Vec<String> = (4..chunk.len() + 4).map(|i| format!("${i}")).collect();
            let sql = format!(
                "UPDATE findings SET state = 'false_positive', detail = $1, updated_at = $2 \
                 WHERE state IN ('in_triage', 'exploitable') AND source = $3 AND advisory_id IN ({}) \
                 RETURNING product_version_id, advisory_id",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(detail.to_string()).bind(now).bind("scan".to_string());
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
        Ok(out)
    }

    /// A version's findings as a VEX document is applied to them: (id, advisory, aliases,
    /// component, state). Testers' findings are left out: they are triaged by hand, and a vendor
    /// must not touch (or learn of) those of a case still being tested.
    pub async fn findings_for_vex(
        &mut self,
        version_id: i64,
    ) -> Result<Vec<(i64, String, Vec<String>, String, String)>> {
        let rows = sqlx::query(
            "SELECT id, advisory_id, aliases, component, state FROM findings WHERE product_version_id = $1 AND case_id IS NULL",
        )
        .bind(version_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, split_list(r.try_get(2)?), r.try_get(3)?, r.try_get(4)?)))
            .collect()
    }

    /// A tester's finding in a case, on a version: numbered within the case (`KH-C{case}-{n}`).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_manual_finding(
        &mut self,
        version_id: i64,
        case_id: i64,
        product: &str,
        version: &str,
        title: &str,
        severity: &str,
        score: Option<f64>,
        vector: &str,
        description: &str,
        reproduction: &str,
        now: i64,
    ) -> Result<(i64, String)> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM findings WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let label = format!("KH-C{case_id}-{:03}", n + 1);
        let id = sqlx::query_scalar(
            "INSERT INTO findings (product_version_id, source, advisory_id, component, component_name, component_version, \
             severity, score, summary, state, case_id, vector, description, reproduction, first_seen, updated_at) \
             VALUES ($1, 'manual', $2, $3, $4, $5, $6, $7, $8, 'in_triage', $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(version_id)
        .bind(label.clone())
        .bind(format!("{product}@{version}"))
        .bind(product.to_string())
        .bind(version.to_string())
        .bind(severity.to_string())
        .bind(score.map(|s| format!("{s:.1}")))
        .bind(title.to_string())
        .bind(case_id)
        .bind(vector.to_string())
        .bind(description.to_string())
        .bind(reproduction.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((id, label))
    }

    /// The case evidence a tester's finding points to.
    pub async fn set_finding_evidence(&mut self, finding_id: i64, evidence: &[i64]) -> Result<()> {
        let list: Vec<String> = evidence.iter().map(i64::to_string).collect();
        sqlx::query("UPDATE findings SET evidence = $1 WHERE id = $2")
            .bind(list.join(","))
            .bind(finding_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records a triage decision on one finding.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_triage(
        &mut self,
        id: i64,
        state: &str,
        justification: &str,
        detail: &str,
        response: &str,
        resolved_in: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE findings SET state = $1, justification = $2, detail = $3, response = $4, resolved_in = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(state.to_string())
        .bind(justification.to_string())
        .bind(detail.to_string())
        .bind(response.to_string())
        .bind(resolved_in.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    pub async fn product(&self, id: i64) -> Result<ProductRow> {
        let r = sqlx::query(&format!("SELECT {PRODUCT_COLS} {PRODUCT_FROM} WHERE p.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        product_row(&r)
    }

    /// The products of these vendor organisations, newest first.
    pub async fn products_of(&self, vendor_org_ids: &[i64]) -> Result<Vec<ProductRow>> {
        let mut out = Vec::new();
        for org in vendor_org_ids {
            let rows = sqlx::query(&format!(
                "SELECT {PRODUCT_COLS} {PRODUCT_FROM} WHERE p.vendor_org_id = $1 ORDER BY p.id DESC"
            ))
            .bind(*org)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(product_row(r)?);
            }
        }
        Ok(out)
    }

    /// Every public product with its search text, the latest public version (id, label) and
    /// that version's open findings by severity: what the public list's index is built from.
    pub async fn public_product_list(&self) -> Result<Vec<PublicProductRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PRODUCT_COLS}, p.search_text AS search_text {PRODUCT_FROM} WHERE p.public = 1"
        ))
        .fetch_all(&self.pool)
        .await?;
        let latest = sqlx::query(
            "SELECT v.product_id, v.id, v.version FROM product_versions v \
             WHERE v.id IN (SELECT MAX(id) FROM product_versions WHERE public = 1 GROUP BY product_id)",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_product = std::collections::HashMap::new();
        for r in &latest {
            let pid: i64 = r.try_get(0)?;
            by_product.insert(pid, (r.try_get::<i64, _>(1)?, r.try_get::<String, _>(2)?));
        }
        let counts = sqlx::query(
            "SELECT product_version_id, severity, COUNT(*) FROM findings \
             WHERE state IN ('in_triage', 'exploitable') AND (case_id IS NULL OR case_id IN (SELECT id FROM cases WHERE state = 'published')) \
             AND product_version_id IN (SELECT MAX(id) FROM product_versions WHERE public = 1 GROUP BY product_id) \
             GROUP BY product_version_id, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_version: std::collections::HashMap<i64, Vec<(String, i64)>> = std::collections::HashMap::new();
        for r in &counts {
            by_version.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?));
        }
        let mut cases: std::collections::HashMap<i64, Vec<(String, Option<String>)>> = Default::default();
        for r in sqlx::query("SELECT product_id, state, decision FROM cases").fetch_all(&self.pool).await? {
            cases.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?));
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let product = product_row(r)?;
            let latest = by_product.remove(&product.id);
            let open = latest.as_ref().and_then(|(v, _)| by_version.remove(v)).unwrap_or_default();
            out.push(PublicProductRow {
                search_text: r.try_get("search_text")?,
                latest_version: latest.map(|(_, l)| l),
                open,
                cases: cases.remove(&product.id).unwrap_or_default(),
                product,
            });
        }
        Ok(out)
    }

    /// A product's versions, newest first.
    pub async fn product_versions(&self, product_id: i64) -> Result<Vec<VersionRow>> {
        let rows = sqlx::query(
            "SELECT id, product_id, version, public, created_at FROM product_versions WHERE product_id = $1 ORDER BY id DESC",
        )
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_row).collect()
    }

    pub async fn product_version(&self, id: i64) -> Result<VersionRow> {
        let r = sqlx::query("SELECT id, product_id, version, public, created_at FROM product_versions WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        version_row(&r)
    }

    /// Open findings by severity of each of these versions.
    pub async fn open_finding_counts(&self, version_ids: &[i64]) -> Result<Vec<(i64, String, i64)>> {
        let mut out = Vec::new();
        for v in version_ids {
            let rows = sqlx::query(
                "SELECT severity, COUNT(*) FROM findings WHERE product_version_id = $1 \
                 AND state IN ('in_triage', 'exploitable') \
                 AND (case_id IS NULL OR case_id IN (SELECT id FROM cases WHERE state = 'published')) GROUP BY severity",
            )
            .bind(*v)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push((*v, r.try_get(0)?, r.try_get(1)?));
            }
        }
        Ok(out)
    }

    /// A version's findings, most severe first.
    pub async fn findings(&self, version_id: i64) -> Result<Vec<FindingRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {FINDING_COLS} FROM findings WHERE product_version_id = $1 ORDER BY \
             CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, \
             advisory_id, component"
        ))
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_row).collect()
    }

    pub async fn finding(&self, id: i64) -> Result<FindingRow> {
        let r = sqlx::query(&format!("SELECT {FINDING_COLS} FROM findings WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        finding_row(&r)
    }

    /// A case's findings (testers'), in the order found.
    pub async fn findings_of_case(&self, case_id: i64) -> Result<Vec<FindingRow>> {
        let rows = sqlx::query(&format!("SELECT {FINDING_COLS} FROM findings WHERE case_id = $1 ORDER BY id"))
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(finding_row).collect()
    }

    /// Files uploaded to a version, newest first.
    pub async fn product_files(&self, version_id: i64) -> Result<Vec<ProductFileRow>> {
        let rows = sqlx::query(
            "SELECT id, product_version_id, kind, filename, sha256, size, uploaded_at FROM product_files \
             WHERE product_version_id = $1 ORDER BY id DESC",
        )
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(file_row).collect()
    }

    pub async fn product_file(&self, id: i64) -> Result<ProductFileRow> {
        let r = sqlx::query(
            "SELECT id, product_version_id, kind, filename, sha256, size, uploaded_at FROM product_files WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        file_row(&r)
    }

    /// The stored components with these names (advisory-facing names), by product version: what
    /// an advisory import re-matches.
    pub async fn components_named(&self, names: &[String]) -> Result<Vec<(i64, ComponentWrite)>> {
        let mut out = Vec::new();
        for chunk in names.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT product_version_id, ecosystem, name, version, purl FROM product_components WHERE name IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for n in chunk {
                q = q.bind(n.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push((
                    r.try_get(0)?,
                    ComponentWrite {
                        ecosystem: r.try_get(1)?,
                        name: r.try_get(2)?,
                        version: r.try_get(3)?,
                        purl: r.try_get(4)?,
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Versions with their product's name and vendor: (version id, version, product id, product
    /// name, vendor org id).
    pub async fn version_products(&self, version_ids: &[i64]) -> Result<Vec<(i64, String, i64, String, i64)>> {
        let mut out = Vec::new();
        for chunk in version_ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT v.id, v.version, p.id, p.name, p.vendor_org_id FROM product_versions v \
                 JOIN products p ON p.id = v.product_id WHERE v.id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?));
            }
        }
        Ok(out)
    }

    /// How many components a version's latest scanned SBOM has.
    pub async fn component_count(&self, version_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM product_components WHERE product_version_id = $1")
            .bind(version_id)
            .fetch_one(&self.pool)
            .await?)
    }
}
