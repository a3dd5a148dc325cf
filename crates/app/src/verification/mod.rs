//! 検証基盤 ("Checked by Japan") use cases: vendors register products and their versions, push
//! SBOMs (from a page or their build pipelines), the engines scan them in jobs and the findings
//! are kept per version with their triage state; public product pages and a VEX per product.

pub mod bodies;
pub mod cases;
pub mod checklists;
pub mod demo;
pub mod evidence;
pub mod index;
pub mod labels;
pub mod priority;
pub mod reviews;

use domain::audit::AuditRecord;
use domain::verification::{
    FindingKey, FindingLifecycle, Product, ProductCategory, ProductId, ProductInput, SeverityCounts, Triage,
    TriageInput, TriageState, component_key, merge_scan, version_label,
};
use domain::workflow::Lifecycle;
use domain::{OrgId, OrgKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::{
    AnalysisRow, ComponentWrite, FindingRow, FindingWrite, Notice, ProductFileRow, ProductRow, ProductWrite, VersionRow,
};

use crate::authz::{VerifyOp, authorize_product, may_know_product};
use crate::engines::Engine;
use crate::workflow::{Step, apply_transition};
use crate::{Actor, App, AppError, Result, Scope};

/// The subject kind of product files in the kit's analyses.
pub const FILE_SUBJECT: &str = "verification.file";
pub use evidence::EVIDENCE_SUBJECT;

/// The verification program's use cases, reached as `app.verification().upload_sbom(..)`.
#[derive(Clone, Copy)]
pub struct Verification<'a> {
    app: &'a App,
}

impl std::ops::Deref for Verification<'_> {
    type Target = App;
    fn deref(&self) -> &App {
        self.app
    }
}

impl App {
    /// The verification platform (検証基盤).
    pub fn verification(&self) -> Verification<'_> {
        Verification { app: self }
    }
}

/// A product as the use cases see it.
#[derive(Debug, Clone)]
pub struct ProductView {
    pub id: i64,
    pub vendor_org_id: i64,
    pub vendor_name: String,
    pub vendor_name_en: String,
    pub category: ProductCategory,
    pub product: Product,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ProductView {
    fn from_row(r: ProductRow) -> Result<Self> {
        let category = ProductCategory::parse(&r.category)
            .ok_or_else(|| AppError::Internal(format!("product {} has category {:?}", r.id, r.category)))?;
        let claims: Vec<String> = serde_json::from_str(&r.claims_json).unwrap_or_default();
        Ok(ProductView {
            id: r.id,
            vendor_org_id: r.vendor_org_id,
            vendor_name: r.vendor_name,
            vendor_name_en: r.vendor_name_en,
            category,
            product: Product {
                name: r.name,
                name_en: r.name_en,
                model: r.model,
                category,
                description: r.description,
                claims,
                support_end: r.support_end,
                vuln_contact: r.vuln_contact,
                public: r.public,
                subcategory: r.subcategory,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// The form's values for editing.
    pub fn input(&self) -> ProductInput {
        let p = &self.product;
        ProductInput {
            name: p.name.clone(),
            name_en: p.name_en.clone(),
            model: p.model.clone(),
            category: p.category.code().into(),
            description: p.description.clone(),
            claims: p.claims.join("\n"),
            support_end: p.support_end.clone().unwrap_or_default(),
            vuln_contact: p.vuln_contact.clone(),
            public: p.public,
            subcategory: p.subcategory.clone(),
        }
    }
}

/// A version with its open findings.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub id: i64,
    pub version: String,
    pub public: bool,
    pub created_at: i64,
    pub open: SeverityCounts,
}

/// A file uploaded to a version, with its analysis (and the job running it).
#[derive(Debug, Clone)]
pub struct FileView {
    pub file: ProductFileRow,
    pub analysis: Option<AnalysisRow>,
}

/// What a product page shows to this viewer.
#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub product: ProductView,
    /// The versions the viewer may see, newest first.
    pub versions: Vec<VersionView>,
    /// The version shown (the one asked for, or the newest).
    pub selected: Option<VersionView>,
    pub findings: Vec<FindingRow>,
    pub components: i64,
    /// Files and their analyses: for the vendor and the office only.
    pub files: Vec<FileView>,
    pub can_manage: bool,
    pub sees_private: bool,
}

/// One product of the public list.
#[derive(Debug, Clone)]
pub struct ListedProduct {
    pub product: ProductView,
    pub latest_version: Option<String>,
    pub open: SeverityCounts,
    /// From the product's cases: verified, in verification, or neither.
    pub status: domain::verification::case::VerificationStatus,
}

#[derive(Debug, Clone)]
pub struct ProductList {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<ListedProduct>,
}

/// A validated product list query.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub q: String,
    pub category: Option<ProductCategory>,
    pub status: Option<domain::verification::case::VerificationStatus>,
    pub page: i64,
    pub per_page: i64,
}

/// An SBOM accepted for scanning.
#[derive(Debug, Clone, Copy)]
pub struct SbomAccepted {
    pub version_id: i64,
    pub version_created: bool,
    pub file_id: i64,
    pub job_id: i64,
}

/// A job as its owner sees it (`GET /api/v1/jobs/{id}`).
#[derive(Debug, Clone)]
pub struct JobStatus {
    pub id: i64,
    pub kind: String,
    /// queued | running | retrying | done | failed | cancelled
    pub state: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The analysis summary the job wrote (components, findings by severity, new findings).
    pub result: Option<Value>,
    pub product_id: Option<i64>,
    pub version: Option<String>,
}

/// The accepted SBOM and lockfile formats, named in the answer to a file no reader takes.
pub const SBOM_FORMATS: &str = "CycloneDX 1.1–1.6 (JSON, XML), SPDX 2.2/2.3 (JSON, tag-value), SPDX 3.0 JSON-LD, \
     Cargo.lock, package-lock.json, poetry.lock, requirements.txt, go.mod, go.sum, dpkg status, apk installed";

fn write_of(p: &Product, vendor_name: &str) -> ProductWrite {
    ProductWrite {
        name: p.name.clone(),
        name_en: p.name_en.clone(),
        model: p.model.clone(),
        category: p.category.code().into(),
        description: p.description.clone(),
        claims_json: serde_json::to_string(&p.claims).unwrap_or_else(|_| "[]".into()),
        support_end: p.support_end.clone(),
        vuln_contact: p.vuln_contact.clone(),
        public: p.public,
        search_text: p.search_text(vendor_name),
        subcategory: p.subcategory.clone(),
    }
}

fn counts_of(rows: &[(i64, String, i64)], version_id: i64) -> SeverityCounts {
    let mut c = SeverityCounts::default();
    for (v, sev, n) in rows {
        if *v == version_id {
            c.add(sev, *n);
        }
    }
    c
}

impl Verification<'_> {
    async fn product_view(&self, id: ProductId) -> Result<ProductView> {
        ProductView::from_row(self.store.product(id.0).await?)
    }

    /// The product, if this viewer may know it exists (public, or theirs, or the office).
    async fn visible(&self, actor: Option<&Actor>, id: ProductId) -> Result<(ProductView, bool)> {
        let p = self.product_view(id).await?;
        let knows = actor.is_some_and(|a| may_know_product(a, p.vendor_org_id));
        if !p.product.public && !knows {
            return Err(AppError::NotFound);
        }
        let private = knows && authorize_product(actor, VerifyOp::ViewPrivate, p.vendor_org_id).is_ok();
        Ok((p, private))
    }

    /// A vendor registers a product.
    pub async fn register_product(&self, actor: &Actor, vendor: OrgId, input: &ProductInput) -> Result<ProductId> {
        authorize_product(Some(actor), VerifyOp::RegisterProduct, vendor.0)?;
        let p = Product::parse(input).map_err(AppError::Invalid)?;
        let m = actor.member_of(vendor.0).ok_or(AppError::Forbidden)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_product(vendor.0, &write_of(&p, &m.org_name), now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.product".into(),
                subject: format!("product#{id}"),
                summary: format!("registered name={} category={} public={}", p.name, p.category.code(), p.public),
            },
            now,
        )
        .await?;
        self.list_changed(&mut tx).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(ProductId(id))
    }

    /// The vendor edits a product (name, claims, support end, whether it is public).
    pub async fn update_product(&self, actor: &Actor, id: ProductId, input: &ProductInput) -> Result<()> {
        let (cur, _) = self.visible(Some(actor), id).await?;
        authorize_product(Some(actor), VerifyOp::ManageProduct, cur.vendor_org_id)?;
        let p = Product::parse(input).map_err(AppError::Invalid)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.update_product(id.0, &write_of(&p, &cur.vendor_name), now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.product_edit".into(),
                subject: format!("product#{}", id.0),
                summary: format!("name={} public={}", p.name, p.public),
            },
            now,
        )
        .await?;
        self.list_changed(&mut tx).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(())
    }

    /// The vendor's products (every vendor organisation of the actor).
    pub async fn my_products(&self, actor: &Actor) -> Result<Vec<ListedProduct>> {
        actor.require_scope(Scope::VerificationRead)?;
        let orgs: Vec<i64> = actor.memberships.iter().filter(|m| m.kind == OrgKind::Vendor).map(|m| m.org_id).collect();
        let rows = self.store.products_of(&orgs).await?;
        self.listed(rows, true).await
    }

    async fn listed(&self, rows: Vec<ProductRow>, private: bool) -> Result<Vec<ListedProduct>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let product = ProductView::from_row(r)?;
            let versions = self.store.product_versions(product.id).await?;
            let latest = versions.into_iter().find(|v| private || v.public);
            let open = match &latest {
                Some(v) => counts_of(&self.store.open_finding_counts(&[v.id]).await?, v.id),
                None => SeverityCounts::default(),
            };
            let cases = self.store.cases_of_product(product.id).await?;
            let status = domain::verification::case::VerificationStatus::of(
                cases.iter().map(|c| (c.state.as_str(), c.decision.as_deref())),
            );
            out.push(ListedProduct { product, latest_version: latest.map(|v| v.version), open, status });
        }
        Ok(out)
    }

    /// The public product list: partial-word search in Japanese and English (NFKC, width and
    /// case folded, no word splitting), a category filter, pages; from the process's snapshot.
    pub async fn public_products(&self, q: &ProductQuery) -> Result<ProductList> {
        let store = &self.store;
        let snap = self
            .products_index
            .get(async { Ok(store.counter(index::LIST_VERSION).await?) }, |version| async move {
                let rows = store.public_product_list().await?;
                let snap = tokio::task::spawn_blocking(move || index::ProductSnapshot::build(version, rows))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
                tracing::info!(version, products = snap.len(), "product list index built");
                Ok(snap)
            })
            .await?;
        Ok(snap.query(q))
    }

    /// Records, in `tx`, that the public product list may have changed.
    async fn list_changed(&self, tx: &mut store::Tx) -> Result<()> {
        store::Store::next_counter(tx, index::LIST_VERSION).await?;
        Ok(())
    }

    /// A product page: the product, its versions and the selected version's findings. Private
    /// products and versions only for their vendor and the office (404 to others).
    pub async fn product_detail(
        &self,
        actor: Option<&Actor>,
        id: ProductId,
        version: Option<&str>,
    ) -> Result<ProductDetail> {
        let (product, private) = self.visible(actor, id).await?;
        let can_manage = authorize_product(actor, VerifyOp::ManageProduct, product.vendor_org_id).is_ok();
        let rows: Vec<VersionRow> =
            self.store.product_versions(id.0).await?.into_iter().filter(|v| private || v.public).collect();
        let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
        let counts = self.store.open_finding_counts(&ids).await?;
        let versions: Vec<VersionView> = rows
            .iter()
            .map(|v| VersionView {
                id: v.id,
                version: v.version.clone(),
                public: v.public,
                created_at: v.created_at,
                open: counts_of(&counts, v.id),
            })
            .collect();
        let selected = match version {
            Some(want) => Some(versions.iter().find(|v| v.version == want).cloned().ok_or(AppError::NotFound)?),
            None => versions.first().cloned(),
        };
        let (findings, components, files) = match &selected {
            Some(v) => {
                let files = if private {
                    let mut out = Vec::new();
                    let frs = self.store.product_files(v.id).await?;
                    let ids: Vec<i64> = frs.iter().map(|f| f.id).collect();
                    let analyses = self.store.analyses_of(FILE_SUBJECT, &ids).await?;
                    for f in frs {
                        let analysis = analyses.iter().find(|a| a.subject_id == f.id).cloned();
                        out.push(FileView { file: f, analysis });
                    }
                    out
                } else {
                    Vec::new()
                };
                let mut findings = self.store.findings(v.id).await?;
                if findings.iter().any(|f| f.case_id.is_some()) && !actor.is_some_and(|a| a.is_program_operator()) {
                    // a tester's finding: the vendor sees it from the case's findings review on,
                    // the public once the case is published
                    use domain::verification::case::CaseState as S;
                    let states: std::collections::HashMap<i64, Option<S>> =
                        self.store.cases_of_product(id.0).await?.iter().map(|c| (c.id, S::parse(&c.state))).collect();
                    findings.retain(|f| match f.case_id.map(|c| states.get(&c).copied().flatten()) {
                        None => true,
                        Some(Some(S::Published)) => true,
                        Some(Some(S::FindingsReview | S::Decided | S::Withdrawn | S::Cancelled)) => private,
                        Some(_) => false,
                    });
                }
                (findings, self.store.component_count(v.id).await?, files)
            }
            None => (Vec::new(), 0, Vec::new()),
        };
        Ok(ProductDetail {
            product,
            versions,
            selected,
            findings,
            components,
            files,
            can_manage,
            sees_private: private,
        })
    }

    /// An SBOM or lockfile for a product version (the version is created when new): stored
    /// content-addressed, scanned by a job; answers with the job. A file no reader accepts is
    /// refused (422, naming the formats accepted) and nothing is stored.
    pub async fn upload_sbom(
        &self,
        actor: &Actor,
        id: ProductId,
        version: &str,
        filename: &str,
        data: &[u8],
    ) -> Result<SbomAccepted> {
        self.upload_sbom_with_vex(actor, id, version, filename, data, None).await
    }

    /// An SBOM with the VEX document that describes it, in one request: both are checked before
    /// anything is stored, stored together, and the VEX statements set the triage state of the
    /// findings the scan records (and of the version's findings already stored).
    pub async fn upload_sbom_with_vex(
        &self,
        actor: &Actor,
        id: ProductId,
        version: &str,
        filename: &str,
        data: &[u8],
        vex: Option<(&str, &[u8])>,
    ) -> Result<SbomAccepted> {
        let (p, _) = self.visible(Some(actor), id).await?;
        authorize_product(Some(actor), VerifyOp::ManageProduct, p.vendor_org_id)?;
        let version = version_label(version).map_err(|e| AppError::Invalid(vec![e]))?;
        if data.len() > self.config.max_upload_bytes {
            return Err(AppError::TooLarge { limit: self.config.max_upload_bytes });
        }
        if let Err(e) = crate::engines::check_sbom(data) {
            return Err(AppError::Invalid(vec![domain::FieldError::new(
                "sbom",
                format!("SBOM として読めません（{e}）。読める形式: {SBOM_FORMATS}"),
                format!("Not a readable SBOM ({e}). Accepted formats: {SBOM_FORMATS}"),
            )]));
        }
        let vex = match vex {
            Some((name, doc)) => {
                if doc.len() > self.config.max_upload_bytes {
                    return Err(AppError::TooLarge { limit: self.config.max_upload_bytes });
                }
                Some((crate::engines::clean_filename(name, "vex.json"), doc, read_vex(doc)?))
            }
            None => None,
        };
        let filename = crate::engines::clean_filename(filename, "sbom");
        let sha = hex::encode(Sha256::digest(data));
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (version_id, created) = tx.version_or_insert(id.0, &version, now).await?;
        tx.put_blob(&sha, data).await?;
        let file_id = tx
            .insert_product_file(version_id, "sbom", &filename, &sha, data.len() as i64, now, Some(actor.user_id))
            .await?;
        if let Some((name, doc, statements)) = &vex {
            let vsha = hex::encode(Sha256::digest(doc));
            tx.put_blob(&vsha, doc).await?;
            tx.insert_product_file(version_id, "vex", name, &vsha, doc.len() as i64, now, Some(actor.user_id)).await?;
            apply_statements(&mut tx, version_id, &version, name, statements, Some(actor), None, now).await?;
        }
        let (_, job) =
            crate::engines::request_analysis(&mut tx, FILE_SUBJECT, file_id, &sha, Engine::Sbom, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.sbom".into(),
                subject: format!("product#{}", id.0),
                summary: format!(
                    "version={version}{} file={filename} size={} sha256={sha} job={job}",
                    if created { " (new)" } else { "" },
                    data.len()
                ),
            },
            now,
        )
        .await?;
        if created {
            self.list_changed(&mut tx).await?;
        }
        tx.commit().await?;
        if created {
            self.products_index.invalidate();
        }
        Ok(SbomAccepted { version_id, version_created: created, file_id, job_id: job.0 })
    }

    /// A job's state and result, for those who may see what it works on (404 to others).
    pub async fn job_status(&self, actor: &Actor, job_id: i64) -> Result<JobStatus> {
        let job = self.store.job(store::JobId(job_id)).await?;
        let analysis_id =
            serde_json::from_str::<Value>(&job.payload).ok().and_then(|p| p.get("analysis_id").and_then(Value::as_i64));
        let analysis = match analysis_id {
            Some(a) => Some(self.store.analysis(a).await?),
            None => None,
        };
        let mut product_id = None;
        let mut version = None;
        match &analysis {
            Some(a) if a.subject_kind == FILE_SUBJECT => {
                let f = self.store.product_file(a.subject_id).await?;
                let v = self.store.product_version(f.product_version_id).await?;
                let p = self.store.product(v.product_id).await?;
                if !may_know_product(actor, p.vendor_org_id) {
                    return Err(AppError::NotFound);
                }
                authorize_product(Some(actor), VerifyOp::ViewPrivate, p.vendor_org_id)?;
                product_id = Some(p.id);
                version = Some(v.version);
            }
            // a case's capture: those involved in the case (404 to others)
            Some(a) if a.subject_kind == EVIDENCE_SUBJECT => {
                let e = self.store.evidence_file(a.subject_id).await?;
                let (c, involved) = self.case_view(Some(actor), domain::verification::case::CaseId(e.case_id)).await?;
                if !involved {
                    return Err(AppError::NotFound);
                }
                product_id = Some(c.row.product_id);
                version = c.row.version.clone();
            }
            // other jobs (deliveries, sweeps, the registry's evidence) are the office's business
            _ if actor.is_program_operator() => {}
            _ => return Err(AppError::NotFound),
        }
        let result =
            analysis.as_ref().filter(|a| a.state == "done").and_then(|a| serde_json::from_str(&a.summary).ok());
        let error = analysis.as_ref().and_then(|a| a.error.clone()).or(job.last_error.clone());
        // A file its engine cannot read fails the analysis while the job itself completed; a job
        // that failed an attempt and will retry is `retrying`; one with no attempt left `failed`.
        let state = match (analysis.as_ref().map(|a| a.state.as_str()), job.state) {
            (Some("failed"), _) | (_, store::JobState::Dead) => "failed",
            (_, store::JobState::Failed) => "retrying",
            (_, s) => s.code(),
        };
        Ok(JobStatus {
            id: job.id.0,
            kind: job.kind,
            state: state.to_string(),
            attempts: job.attempts,
            error,
            created_at: job.created_at / 1000,
            finished_at: job.finished_at.map(|t| t / 1000),
            result,
            product_id,
            version,
        })
    }

    /// A version's findings as VEX entries (for the CycloneDX and CSAF writers).
    fn vex_entries(d: &ProductDetail) -> Vec<vulndb::report::VexEntry<'_>> {
        d.findings
            .iter()
            .map(|f| vulndb::report::VexEntry {
                component: format!("{} {}", f.component_name, f.component_version),
                ecosystem: &f.ecosystem,
                fixed: &f.fixed,
                summary: &f.summary,
                response: &f.response,
                id: &f.advisory_id,
                aliases: &f.aliases,
                severity: &f.severity,
                score: f.score,
                affects: f.component.clone(),
                state: &f.state,
                justification: Some(f.justification.as_str()).filter(|j| !j.is_empty()),
                detail: &f.detail,
            })
            .collect()
    }

    /// A version the viewer may see (the newest when none is named) with its findings.
    pub async fn version_report(
        &self,
        actor: Option<&Actor>,
        id: ProductId,
        version: Option<&str>,
    ) -> Result<ProductDetail> {
        let d = self.product_detail(actor, id, version).await?;
        if d.selected.is_none() {
            return Err(AppError::NotFound);
        }
        Ok(d)
    }

    /// A version (the newest the viewer may see unless named) as CycloneDX 1.5 VEX: every
    /// finding with its triage state as `analysis.state`.
    pub async fn vex(&self, actor: Option<&Actor>, id: ProductId, version: Option<&str>) -> Result<Value> {
        let d = self.product_detail(actor, id, version).await?;
        Ok(self.vex_doc(&d))
    }

    /// A version's findings (as a product page or a case chose them) as CycloneDX 1.5 VEX.
    pub fn vex_doc(&self, d: &ProductDetail) -> Value {
        let p = &d.product;
        let version = d.selected.as_ref().map(|v| v.version.clone()).unwrap_or_default();
        let kind = match p.category {
            ProductCategory::Software => "application",
            ProductCategory::SecurityProduct | ProductCategory::IotDevice | ProductCategory::ControlSystem => "device",
        };
        let now = crate::rfc3339(self.now());
        let bom_ref = format!("product-{}", p.id);
        let mut component =
            json!({"type": kind, "bom-ref": bom_ref, "name": p.product.name, "supplier": {"name": p.vendor_name}});
        if !version.is_empty() {
            component["version"] = json!(version);
        }
        let entries = Self::vex_entries(d);
        let mut doc =
            vulndb::report::cyclonedx_vex_document(&entries, Some(json!({"timestamp": now, "component": component})));
        doc["serialNumber"] =
            json!(format!("urn:uuid:{}", uuid_of(&format!("kakehashi-vex:{}:{version}:{now}", p.id))));
        doc
    }

    /// A version as SARIF 2.1.0 (code-scanning tools): decided findings carry accepted
    /// suppressions with the reason.
    pub async fn sarif(&self, actor: Option<&Actor>, id: ProductId, version: Option<&str>) -> Result<Value> {
        let d = self.version_report(actor, id, version).await?;
        Ok(Self::sarif_doc(&d))
    }

    /// A version's findings as SARIF 2.1.0.
    pub fn sarif_doc(d: &ProductDetail) -> Value {
        let v = d.selected.as_ref().map(|v| v.version.clone()).unwrap_or_default();
        let uri = format!("products/{}/versions/{}", d.product.id, query_value(&v));
        vulndb::report::sarif_of(&Self::vex_entries(d), &uri)
    }

    /// A version as CSAF 2.0 VEX (the format national CERTs and vendors publish advisories in).
    pub async fn csaf(&self, actor: Option<&Actor>, id: ProductId, version: Option<&str>, en: bool) -> Result<Value> {
        let d = self.version_report(actor, id, version).await?;
        Ok(self.csaf_doc(&d, en, None))
    }

    /// A version's findings as CSAF 2.0 VEX; `case` names the verification case they come from
    /// (its own tracking id).
    pub fn csaf_doc(&self, d: &ProductDetail, en: bool, case: Option<i64>) -> Value {
        let p = &d.product;
        let version = d.selected.as_ref().map(|v| v.version.clone()).unwrap_or_default();
        let entries = Self::vex_entries(d);
        let version_id = version.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_");
        let meta = vulndb::report::CsafProduct {
            vendor: if en && !p.vendor_name_en.is_empty() { &p.vendor_name_en } else { &p.vendor_name },
            vendor_namespace: format!("urn:kakehashi:vendor:{}", p.vendor_org_id),
            product: if en && !p.product.name_en.is_empty() { &p.product.name_en } else { &p.product.name },
            version: &version,
            tracking_id: match case {
                Some(c) => format!("KAKEHASHI-C{c}-{}-{version_id}", p.id),
                None => format!("KAKEHASHI-{}-{version_id}", p.id),
            },
            now: crate::rfc3339(self.now()),
            lang: if en { "en" } else { "ja" },
        };
        vulndb::report::csaf_vex(&meta, &entries)
    }

    /// The engines job's result for a product file: the version's components are replaced and
    /// its findings merged (new ones `in_triage`; decisions kept; open ones no longer reported
    /// resolved by the scan), the analysis finished, and the vendor told of new findings, in one
    /// transaction.
    pub(crate) async fn record_scan(
        &self,
        analysis: &AnalysisRow,
        mut summary: Value,
        components: &[sbom::Component],
        findings: &[vulndb::matcher::Finding],
    ) -> Result<()> {
        let file = self.store.product_file(analysis.subject_id).await?;
        let version = self.store.product_version(file.product_version_id).await?;
        let product = self.store.product(version.product_id).await?;
        let now = self.now();
        let comps: Vec<ComponentWrite> = components
            .iter()
            .map(|c| ComponentWrite {
                ecosystem: c.ecosystem.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                purl: c.purl.clone(),
            })
            .collect();
        let writes: Vec<FindingWrite> = findings.iter().map(|f| finding_write(f, Some(file.id))).collect();
        let started = std::time::Instant::now();
        let mut tx = self.store.begin().await?;
        tx.replace_components(version.id, &comps).await?;
        let t_components = started.elapsed();
        let stored = tx.finding_keys(version.id, "scan").await?;
        let existing: Vec<(FindingKey, TriageState)> = stored
            .iter()
            .filter_map(|(_, a, c, s)| {
                Some((FindingKey { advisory: a.clone(), component: c.clone() }, TriageState::parse(s)?))
            })
            .collect();
        let scanned: Vec<FindingKey> = writes
            .iter()
            .map(|w| FindingKey { advisory: w.advisory_id.clone(), component: w.component.clone() })
            .collect();
        let merge = merge_scan(&existing, &scanned);
        let new: Vec<FindingWrite> = writes
            .into_iter()
            .filter(|w| merge.new.iter().any(|k| k.advisory == w.advisory_id && k.component == w.component))
            .collect();
        tx.insert_findings(version.id, &new, now).await?;
        // the version's VEX documents speak for its new findings
        if !new.is_empty() {
            let fresh: std::collections::HashSet<(String, String)> =
                new.iter().map(|w| (w.advisory_id.clone(), w.component.clone())).collect();
            for f in self.store.product_files(version.id).await?.iter().filter(|f| f.kind == "vex") {
                let data = self.store.blob(&f.sha256).await?;
                let Ok(statements) = vulndb::vex::parse(&data) else { continue };
                apply_statements(
                    &mut tx,
                    version.id,
                    &version.version,
                    &f.filename,
                    &statements,
                    None,
                    Some(&fresh),
                    now,
                )
                .await?;
            }
        }
        let t_findings = started.elapsed();
        // what the scan itself decides, with the platform as the actor in each finding's history
        let decided = merge.reopened.iter().map(|k| (k, TriageState::InTriage, "reported again by a scan")).chain(
            merge.gone.iter().map(|k| {
                (k, TriageState::Resolved, "no longer reported: the component left the SBOM or changed version")
            }),
        );
        for (k, to, why) in decided {
            let Some((fid, from)) = stored
                .iter()
                .find(|(_, a, c, _)| *a == k.advisory && *c == k.component)
                .and_then(|(id, _, _, s)| Some((*id, TriageState::parse(s)?)))
            else {
                continue;
            };
            apply_transition::<FindingLifecycle>(
                &mut tx,
                Step { subject_id: fid, from, transition: to, actor: None, comment: why, notice: None },
                now,
            )
            .await?;
            let resolved_in = if to == TriageState::Resolved { version.version.as_str() } else { "" };
            tx.set_triage(fid, to.code(), "", why, "", resolved_in, now).await?;
        }
        let mut new_counts = SeverityCounts::default();
        for w in &new {
            new_counts.add(&w.severity, 1);
        }
        summary["new"] = json!(new.len());
        summary["resolved"] = json!(merge.gone.len());
        summary["new_by_severity"] = json!(new_counts);
        tx.finish_analysis(analysis.id, "done", &summary.to_string(), None, now).await?;
        self.list_changed(&mut tx).await?;
        if !new.is_empty() {
            let ja = format!("「{}」{} に新しい検出 {} 件", product.name, version.version, new.len());
            let en = format!("{} new findings on \"{}\" {}", new.len(), product.name, version.version);
            let link = format!("/products/{}?version={}", product.id, query_value(&version.version));
            tx.notify(
                &Notice {
                    org_id: product.vendor_org_id,
                    kind: "verification.findings",
                    subject_ja: &ja,
                    subject_en: &en,
                    link: &link,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.products_index.invalidate();
        tracing::debug!(
            components = comps.len(),
            new = new.len(),
            components_ms = t_components.as_millis() as u64,
            findings_ms = t_findings.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "scan recorded"
        );
        Ok(())
    }
}

/// A finding with its product, version and triage history, for its page.
#[derive(Debug, Clone)]
pub struct FindingDetail {
    pub product: ProductView,
    pub version: String,
    pub finding: FindingRow,
    pub history: Vec<store::TransitionRow>,
    pub can_triage: bool,
    /// The discussion of the finding: the vendor's responses, the tester's replies (those who
    /// may see the history, and the case's body).
    pub thread: Vec<store::NoteRow>,
    pub can_respond: bool,
    /// The case evidence a tester's finding points to: (id, file name), for those involved.
    pub evidence: Vec<(i64, String)>,
}

/// The subject kind of a finding's discussion.
pub const FINDING_NOTES: &str = "verification.finding";

impl Verification<'_> {
    /// A finding of a product the viewer may see (404 otherwise, also for a finding of another
    /// product or of a version the viewer may not see). The history is for the vendor and the
    /// office only.
    pub async fn finding_detail(&self, actor: Option<&Actor>, id: ProductId, finding_id: i64) -> Result<FindingDetail> {
        let finding = self.store.finding(finding_id).await?;
        let version = self.store.product_version(finding.product_version_id).await?;
        if version.product_id != id.0 {
            return Err(AppError::NotFound);
        }
        // a tester's finding: seen by its case's body (also on a private product), by the vendor
        // from the findings review on, by everyone once the case is published
        let case_ok = match finding.case_id {
            Some(c) => self.tester_finding_visible(actor, c).await?,
            None => true,
        };
        if !case_ok {
            return Err(AppError::NotFound);
        }
        let (product, private) = match self.visible(actor, id).await {
            Ok(v) => v,
            Err(AppError::NotFound) if finding.case_id.is_some() => (self.product_view(id).await?, false),
            Err(e) => return Err(e),
        };
        if !(version.public || private || finding.case_id.is_some()) {
            return Err(AppError::NotFound);
        }
        let history =
            if private { self.store.transitions_of(FindingLifecycle::SUBJECT, finding_id).await? } else { Vec::new() };
        let responder = self.finding_party(actor, &product, &finding).await?;
        // the vendor, and the body of a tester's finding's case
        let can_triage = authorize_product(actor, VerifyOp::ManageProduct, product.vendor_org_id).is_ok()
            || (finding.case_id.is_some() && responder.as_ref().is_some_and(|r| r.0 != product.vendor_org_id));
        let (thread, evidence) = if private || responder.is_some() {
            let thread = self.store.notes(FINDING_NOTES, finding_id).await?;
            let evidence = match finding.case_id {
                Some(c) => {
                    let wanted: Vec<i64> = finding.evidence.split(',').filter_map(|e| e.parse().ok()).collect();
                    self.store
                        .case_evidence(c)
                        .await?
                        .into_iter()
                        .filter(|e| wanted.contains(&e.id))
                        .map(|e| (e.id, e.filename))
                        .collect()
                }
                None => Vec::new(),
            };
            (thread, evidence)
        } else {
            (Vec::new(), Vec::new())
        };
        let can_respond = responder.is_some();
        Ok(FindingDetail {
            product,
            version: version.version,
            finding,
            history,
            can_triage,
            thread,
            can_respond,
            evidence,
        })
    }

    /// Who may write on a finding's discussion: the vendor (for its organisation) and, for a
    /// tester's finding, the case's body.
    async fn finding_party(
        &self,
        actor: Option<&Actor>,
        product: &ProductView,
        finding: &FindingRow,
    ) -> Result<Option<(i64, String)>> {
        let Some(a) = actor.filter(|a| a.has_scope(Scope::VerificationWrite)) else { return Ok(None) };
        if let Some(m) = a.member_of(product.vendor_org_id).filter(|m| m.kind == OrgKind::Vendor) {
            return Ok(Some((m.org_id, m.org_name.clone())));
        }
        if let Some(case) = finding.case_id {
            let c = self.store.case(case).await?;
            if let Some(m) = a.member_of(c.body_org_id).filter(|m| m.kind == OrgKind::VerificationBody) {
                return Ok(Some((m.org_id, m.org_name.clone())));
            }
        }
        Ok(None)
    }

    /// The vendor responds to a finding, or the case's tester replies; the other side is told.
    pub async fn respond_to_finding(&self, actor: &Actor, id: ProductId, finding_id: i64, text: &str) -> Result<i64> {
        let d = self.finding_detail(Some(actor), id, finding_id).await?;
        let Some((org, org_name)) = self.finding_party(Some(actor), &d.product, &d.finding).await? else {
            return Err(AppError::Forbidden);
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let note = crate::notes::add_note(
            &mut tx,
            FINDING_NOTES,
            finding_id,
            "response",
            actor,
            Some((org, &org_name)),
            text,
            now,
        )
        .await?;
        // the vendor's word goes to the case's body (a tester's finding), the body's to the vendor
        let to = if org == d.product.vendor_org_id {
            match d.finding.case_id {
                Some(c) => Some(self.store.case(c).await?.body_org_id),
                None => None,
            }
        } else {
            Some(d.product.vendor_org_id)
        };
        if let Some(to) = to {
            let (ja, en) = (
                format!("検出事項 {} に返信がありました", d.finding.advisory_id),
                format!("New reply on finding {}", d.finding.advisory_id),
            );
            let link = format!("/products/{}/findings/{finding_id}#thread", id.0);
            tx.notify(
                &Notice { org_id: to, kind: "verification.finding", subject_ja: &ja, subject_en: &en, link: &link },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(note)
    }

    /// The vendor records a triage decision on a finding (CycloneDX analysis state, with the
    /// justification, detail, response or fixing version it needs): history, audit and the
    /// finding in one transaction.
    pub async fn triage(
        &self,
        actor: &Actor,
        id: ProductId,
        finding_id: i64,
        input: &TriageInput,
    ) -> Result<TriageState> {
        let d = self.finding_detail(Some(actor), id, finding_id).await?;
        // the vendor triages its findings; the body also triages the findings of its own case
        // (a retest shows a fix, a false positive); each is told of the other's decision
        let by_body = authorize_product(Some(actor), VerifyOp::ManageProduct, d.product.vendor_org_id).is_err();
        if by_body && !d.can_triage {
            authorize_product(Some(actor), VerifyOp::ManageProduct, d.product.vendor_org_id)?;
        }
        let t = Triage::parse(input).map_err(AppError::Invalid)?;
        let from = TriageState::parse(&d.finding.state)
            .ok_or_else(|| AppError::Internal(format!("finding {finding_id} has state {:?}", d.finding.state)))?;
        let now = self.now();
        let (notice_ja, notice_en, notice_link) = (
            format!("検証機関が検出事項 {} の対応状況を「{}」にしました", d.finding.advisory_id, t.state.label(false)),
            format!("The body set finding {} to {}", d.finding.advisory_id, t.state.label(true)),
            format!("/products/{}/findings/{finding_id}", id.0),
        );
        let mut tx = self.store.begin().await?;
        let comment = triage_comment(&t);
        let to = apply_transition::<FindingLifecycle>(
            &mut tx,
            Step {
                subject_id: finding_id,
                from,
                transition: t.state,
                actor: Some(actor),
                comment: &comment,
                notice: if by_body {
                    Some(Notice {
                        org_id: d.product.vendor_org_id,
                        kind: "verification.finding",
                        subject_ja: &notice_ja,
                        subject_en: &notice_en,
                        link: &notice_link,
                    })
                } else {
                    None
                },
            },
            now,
        )
        .await?;
        tx.set_triage(finding_id, to.code(), &t.justification, &t.detail, &t.response, &t.resolved_in, now).await?;
        self.list_changed(&mut tx).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(to)
    }
}

impl Verification<'_> {
    /// Whether a tester's finding of this case may be seen: by the body and the office always, by
    /// the vendor from the findings review on, by everyone once the case is published.
    async fn tester_finding_visible(&self, actor: Option<&Actor>, case_id: i64) -> Result<bool> {
        use domain::verification::case::CaseState as S;
        let c = self.store.case(case_id).await?;
        let state = S::parse(&c.state);
        if state == Some(S::Published) && c.product_public {
            return Ok(true);
        }
        let Some(a) = actor.filter(|a| a.has_scope(Scope::VerificationRead)) else { return Ok(false) };
        let body = a.member_of(c.body_org_id).is_some_and(|m| m.kind == OrgKind::VerificationBody);
        let vendor = a.member_of(c.vendor_org_id).is_some_and(|m| m.kind == OrgKind::Vendor);
        Ok(body
            || a.is_program_operator()
            || (vendor && !matches!(state, Some(S::Requested | S::Scoped | S::InProgress))))
    }
}

/// The history's words for a decision: the detail, with the justification, response or fixing
/// version in front.
fn triage_comment(t: &Triage) -> String {
    let mut parts = Vec::new();
    if !t.justification.is_empty() {
        parts.push(t.justification.clone());
    }
    if !t.response.is_empty() {
        parts.push(format!("response: {}", t.response));
    }
    if !t.resolved_in.is_empty() {
        parts.push(format!("resolved in {}", t.resolved_in));
    }
    if !t.detail.is_empty() {
        parts.push(t.detail.clone());
    }
    parts.join(" — ")
}

/// What a VEX document did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VexApplied {
    pub statements: usize,
    /// Findings whose triage state the statements set.
    pub applied: usize,
    /// Statements that matched no finding of the version (yet: they also apply to later scans).
    pub unmatched: usize,
    pub file_id: i64,
}

/// The VEX formats read, named in the answer to a document no reader takes.
pub const VEX_FORMATS: &str = "CycloneDX VEX (1.4–1.6), OpenVEX 0.2, CSAF 2.0 VEX";

fn read_vex(data: &[u8]) -> Result<Vec<vulndb::vex::Statement>> {
    vulndb::vex::parse(data).map_err(|e| {
        AppError::Invalid(vec![domain::FieldError::new(
            "vex",
            format!("VEX として読めません（{e}）。読める形式: {VEX_FORMATS}"),
            format!("Not a readable VEX document ({e}). Accepted formats: {VEX_FORMATS}"),
        )])
    })
}

impl Verification<'_> {
    /// A VEX document for a product version (CycloneDX VEX, OpenVEX or CSAF 2.0 VEX): kept as
    /// evidence, its statements set the triage state of the matching findings now (with the
    /// document named in each finding's history), and of new findings of later scans.
    pub async fn upload_vex(
        &self,
        actor: &Actor,
        id: ProductId,
        version: &str,
        filename: &str,
        data: &[u8],
    ) -> Result<VexApplied> {
        let (p, _) = self.visible(Some(actor), id).await?;
        authorize_product(Some(actor), VerifyOp::ManageProduct, p.vendor_org_id)?;
        let version = version_label(version).map_err(|e| AppError::Invalid(vec![e]))?;
        if data.len() > self.config.max_upload_bytes {
            return Err(AppError::TooLarge { limit: self.config.max_upload_bytes });
        }
        let statements = read_vex(data)?;
        let filename = crate::engines::clean_filename(filename, "vex.json");
        let sha = hex::encode(Sha256::digest(data));
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (version_id, created) = tx.version_or_insert(id.0, &version, now).await?;
        tx.put_blob(&sha, data).await?;
        let file_id = tx
            .insert_product_file(version_id, "vex", &filename, &sha, data.len() as i64, now, Some(actor.user_id))
            .await?;
        let (applied, unmatched) =
            apply_statements(&mut tx, version_id, &version, &filename, &statements, Some(actor), None, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.vex".into(),
                subject: format!("product#{}", id.0),
                summary: format!(
                    "version={version}{} file={filename} sha256={sha} statements={} applied={applied}",
                    if created { " (new)" } else { "" },
                    statements.len()
                ),
            },
            now,
        )
        .await?;
        self.list_changed(&mut tx).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(VexApplied { statements: statements.len(), applied, unmatched, file_id })
    }
}

/// Applies VEX statements to a version's findings in `tx` (only to `only` when given: the new
/// findings of a scan, so that a later decision is not undone by an old document). Returns the
/// findings changed and the statements that matched none.
#[allow(clippy::too_many_arguments)]
async fn apply_statements(
    tx: &mut store::Tx,
    version_id: i64,
    version: &str,
    document: &str,
    statements: &[vulndb::vex::Statement],
    actor: Option<&Actor>,
    only: Option<&std::collections::HashSet<(String, String)>>,
    now: i64,
) -> Result<(usize, usize)> {
    let findings = tx.findings_for_vex(version_id).await?;
    let mut used = vec![false; statements.len()];
    let mut applied = 0;
    for (fid, advisory, aliases, component, state) in findings {
        if only.is_some_and(|o| !o.contains(&(advisory.clone(), component.clone()))) {
            continue;
        }
        let hit = statements.iter().position(|st| {
            (st.vulnerability == advisory || aliases.contains(&st.vulnerability))
                && (st.products.is_empty() || st.products.contains(&component))
        });
        let Some(i) = hit else { continue };
        used[i] = true;
        let st = &statements[i];
        let (Some(t), Some(from)) = (
            domain::verification::vex_decision(&st.status, &st.code, &st.detail, document, version),
            TriageState::parse(&state),
        ) else {
            continue;
        };
        if t.state == from {
            continue;
        }
        let comment = triage_comment(&t);
        apply_transition::<FindingLifecycle>(
            tx,
            Step { subject_id: fid, from, transition: t.state, actor, comment: &comment, notice: None },
            now,
        )
        .await?;
        tx.set_triage(fid, t.state.code(), &t.justification, &t.detail, &t.response, &t.resolved_in, now).await?;
        applied += 1;
    }
    Ok((applied, used.iter().filter(|u| !**u).count()))
}

/// What a re-check after an advisory import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecheckReport {
    /// Stored components whose names the import touched.
    pub components: usize,
    /// Product versions those components belong to.
    pub versions: usize,
    pub new_findings: usize,
    /// Open findings of withdrawn advisories, closed.
    pub closed: usize,
    /// Vendors told (one notice per vendor, naming its products with new findings).
    pub notices: usize,
}

impl Verification<'_> {
    /// After an advisory import: re-matches only the stored components whose package names
    /// the new or changed advisories name (`touched`), stores the new findings (in_triage)
    /// and tells each vendor, and closes the open findings of withdrawn advisories with a note;
    /// one transaction.
    pub async fn recheck(&self, touched: &[String], withdrawn: &[String]) -> Result<RecheckReport> {
        let mut report = RecheckReport::default();
        let index = self.advisories().map_err(AppError::Internal)?;
        let rows = match &index {
            Some(_) if !touched.is_empty() => self.store.components_named(touched).await?,
            _ => Vec::new(),
        };
        report.components = rows.len();
        let mut by_version: std::collections::BTreeMap<i64, Vec<sbom::Component>> = Default::default();
        for (v, c) in rows {
            by_version.entry(v).or_default().push(sbom::Component {
                ecosystem: c.ecosystem,
                name: c.name,
                version: c.version,
                purl: c.purl,
            });
        }
        report.versions = by_version.len();
        // matching is CPU work: off the async runtime
        let matched: Vec<(i64, Vec<vulndb::matcher::Finding>)> = match index {
            Some(index) => tokio::task::spawn_blocking(move || {
                by_version
                    .into_iter()
                    .map(|(v, comps)| Ok((v, vulndb::matcher::scan(&index, &comps)?.findings)))
                    .collect::<std::result::Result<Vec<_>, vulndb::Error>>()
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?,
            None => Vec::new(),
        };
        let now = self.now();
        let writes: Vec<(i64, FindingWrite)> =
            matched.iter().flat_map(|(v, fs)| fs.iter().map(move |f| (*v, finding_write(f, None)))).collect();
        let mut tx = self.store.begin().await?;
        // stored in bulk; what was already stored (an earlier scan) is left as it is
        let refs: Vec<(i64, &FindingWrite)> = writes.iter().map(|(v, w)| (*v, w)).collect();
        let inserted = tx.insert_findings_of(&refs, now).await?;
        report.new_findings = inserted.len();
        let mut per_version: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
        for (v, advisory, _) in inserted {
            per_version.entry(v).or_default().push(advisory);
        }
        // one notice per vendor, naming its products with new findings
        let ids: Vec<i64> = per_version.keys().copied().collect();
        let mut per_vendor: std::collections::BTreeMap<i64, Vec<(i64, String, String, usize)>> = Default::default();
        for (vid, version, pid, name, vendor) in self.store.version_products(&ids).await? {
            let n = per_version.get(&vid).map_or(0, Vec::len);
            per_vendor.entry(vendor).or_default().push((pid, name, version, n));
        }
        for (vendor, products) in &per_vendor {
            let total: usize = products.iter().map(|p| p.3).sum();
            let (pid, name, version, _) = &products[0];
            let more = products.len() - 1;
            let (ja, en) = if more == 0 {
                (
                    format!("新しい脆弱性情報により「{name}」{version} に検出 {total} 件"),
                    format!("New advisories: {total} new findings on \"{name}\" {version}"),
                )
            } else {
                (
                    format!("新しい脆弱性情報により「{name}」ほか {more} 製品に検出 {total} 件"),
                    format!("New advisories: {total} new findings on \"{name}\" and {more} more products"),
                )
            };
            let link = if more == 0 {
                format!("/products/{pid}?version={}", query_value(version))
            } else {
                "/my/products".to_string()
            };
            tx.notify(
                &Notice {
                    org_id: *vendor,
                    kind: "verification.findings",
                    subject_ja: &ja,
                    subject_en: &en,
                    link: &link,
                },
                now,
            )
            .await?;
            let list: Vec<String> =
                products.iter().take(20).map(|p| format!("product#{} {}={}", p.0, p.2, p.3)).collect();
            tx.audit(
                &AuditRecord {
                    actor: "system:advisory-import".into(),
                    action: "verification.recheck".into(),
                    subject: format!("org#{vendor}"),
                    summary: format!("new={total} {}", list.join(", ")),
                },
                now,
            )
            .await?;
            report.notices += 1;
        }
        if !withdrawn.is_empty() {
            let closed = tx
                .close_withdrawn(withdrawn, "the advisory was withdrawn by its source (closed on import)", now)
                .await?;
            report.closed = closed.len();
            if !closed.is_empty() {
                tx.audit(
                    &AuditRecord {
                        actor: "system:advisory-import".into(),
                        action: "verification.withdrawn".into(),
                        subject: "findings".into(),
                        summary: format!("closed={} advisories={}", closed.len(), withdrawn.join(", ")),
                    },
                    now,
                )
                .await?;
            }
        }
        if report.new_findings > 0 || report.closed > 0 {
            self.list_changed(&mut tx).await?;
        }
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(report)
    }
}

fn finding_write(f: &vulndb::matcher::Finding, file_id: Option<i64>) -> FindingWrite {
    FindingWrite {
        source: "scan".into(),
        advisory_id: f.id.clone(),
        aliases: f.aliases.clone(),
        component: component_key(f.package.purl.as_deref(), &f.package.name, &f.package.version),
        component_name: f.package.name.clone(),
        component_version: f.package.version.clone(),
        ecosystem: f.package.ecosystem.clone(),
        fixed: f.fixed.clone(),
        severity: f.severity.name().to_string(),
        score: f.score,
        summary: f.summary.chars().take(500).collect(),
        file_id,
    }
}

/// A stable UUID (v4 layout) from a name, for document serial numbers.
fn uuid_of(name: &str) -> String {
    let h = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

/// A query-string value, percent-encoded (all but RFC 3986's unreserved characters).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
