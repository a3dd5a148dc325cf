//! The verification platform's JSON API: the public product list and product, the product's
//! VEX, product registration, SBOM pushes from build pipelines, and job status.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::verification::{ProductId, ProductInput, SeverityCounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pages::ProductParams;
use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, json_body, write_actor};
use crate::views::document;
use app::verification::{JobStatus, ListedProduct, ProductDetail};
use app::{AppError, rfc3339};

/// Open findings by severity.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingCounts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    /// Findings whose advisory gives no severity.
    pub unknown: i64,
}

impl From<SeverityCounts> for FindingCounts {
    fn from(c: SeverityCounts) -> Self {
        FindingCounts { critical: c.critical, high: c.high, medium: c.medium, low: c.low, unknown: c.unknown }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductListItem {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    /// The vendor's name.
    pub vendor: String,
    /// security_product | iot_device | control_system | software
    pub category: String,
    pub model: String,
    /// The latest public version, if any.
    pub latest_version: Option<String>,
    /// Open findings (in_triage, exploitable) of the latest public version.
    pub findings: FindingCounts,
    /// verified (a published pass or conditional pass) | none
    pub verification: String,
}

impl From<&ListedProduct> for ProductListItem {
    fn from(l: &ListedProduct) -> Self {
        let p = &l.product;
        ProductListItem {
            id: p.id,
            name: p.product.name.clone(),
            name_en: p.product.name_en.clone(),
            vendor: p.vendor_name.clone(),
            category: p.category.code().into(),
            model: p.product.model.clone(),
            latest_version: l.latest_version.clone(),
            findings: l.open.into(),
            verification: l.status.code().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductListBody {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<ProductListItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    pub version: String,
    pub public: bool,
    /// RFC 3339.
    pub created_at: String,
    pub findings: FindingCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingBody {
    pub id: i64,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    /// The component's purl (qualifiers dropped) or `name@version`.
    pub component: String,
    pub name: String,
    pub version: String,
    pub ecosystem: String,
    /// critical | high | medium | low | none | unknown
    pub severity: String,
    pub score: Option<f64>,
    pub fixed: Vec<String>,
    /// in_triage | exploitable | false_positive | not_affected | resolved
    pub state: String,
    /// For not_affected: code_not_present, code_not_reachable, requires_configuration, …
    pub justification: String,
    pub detail: String,
    /// For exploitable: update, workaround_available, rollback, will_not_fix, can_not_fix.
    pub response: String,
    /// For resolved: the product version that fixes it.
    pub resolved_in: String,
    pub summary: String,
    /// scan | manual
    pub source: String,
    pub first_seen: String,
}

/// A product with its versions and the findings of one version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductBody {
    pub id: i64,
    pub vendor_org_id: i64,
    pub vendor: String,
    pub name: String,
    pub name_en: String,
    pub model: String,
    pub category: String,
    pub description: String,
    pub claims: Vec<String>,
    /// End of security support, YYYY-MM-DD.
    pub support_end: Option<String>,
    pub vuln_contact: String,
    pub public: bool,
    pub versions: Vec<VersionBody>,
    /// The version whose findings follow (the newest unless `?version=` was given).
    pub version: Option<String>,
    pub components: i64,
    pub findings: Vec<FindingBody>,
}

impl From<&ProductDetail> for ProductBody {
    fn from(d: &ProductDetail) -> Self {
        let p = &d.product;
        ProductBody {
            id: p.id,
            vendor_org_id: p.vendor_org_id,
            vendor: p.vendor_name.clone(),
            name: p.product.name.clone(),
            name_en: p.product.name_en.clone(),
            model: p.product.model.clone(),
            category: p.category.code().into(),
            description: p.product.description.clone(),
            claims: p.product.claims.clone(),
            support_end: p.product.support_end.clone(),
            vuln_contact: p.product.vuln_contact.clone(),
            public: p.product.public,
            versions: d
                .versions
                .iter()
                .map(|v| VersionBody {
                    version: v.version.clone(),
                    public: v.public,
                    created_at: rfc3339(v.created_at),
                    findings: v.open.into(),
                })
                .collect(),
            version: d.selected.as_ref().map(|v| v.version.clone()),
            components: d.components,
            findings: d
                .findings
                .iter()
                .map(|f| FindingBody {
                    id: f.id,
                    advisory_id: f.advisory_id.clone(),
                    aliases: f.aliases.clone(),
                    component: f.component.clone(),
                    name: f.component_name.clone(),
                    version: f.component_version.clone(),
                    ecosystem: f.ecosystem.clone(),
                    severity: f.severity.clone(),
                    score: f.score,
                    fixed: f.fixed.clone(),
                    state: f.state.clone(),
                    justification: f.justification.clone(),
                    detail: f.detail.clone(),
                    response: f.response.clone(),
                    resolved_in: f.resolved_in.clone(),
                    summary: f.summary.clone(),
                    source: f.source.clone(),
                    first_seen: rfc3339(f.first_seen),
                })
                .collect(),
        }
    }
}

/// Search public products (partial Japanese or English words, category, pages of 20).
#[utoipa::path(get, path = "/api/v1/products", tag = "verification", params(ProductParams),
    responses((status = 200, body = ProductListBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn products(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ProductParams>,
) -> Result<Json<ProductListBody>, WebError> {
    let q = p.to_query(20).map_err(|e| ctx.err(e))?;
    let r = s.app.verification().public_products(&q).await.map_err(|e| ctx.err(e))?;
    Ok(Json(ProductListBody {
        total: r.total,
        page: r.page,
        per_page: r.per_page,
        items: r.items.iter().map(ProductListItem::from).collect(),
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// A version label; the newest the caller may see when absent.
    #[serde(default)]
    pub version: Option<String>,
}

/// One product: public products to everyone, private ones to their vendor and the office (404
/// to others).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "verification", params(("id" = i64, Path), VersionParam),
    responses((status = 200, body = ProductBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn product(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(v): Query<VersionParam>,
) -> Result<Json<ProductBody>, WebError> {
    let d = s.app.verification().product_detail(ctx.actor(), id, v.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    Ok(Json(ProductBody::from(&d)))
}

/// The product's latest version (or `?version=`) as CycloneDX 1.5 VEX (`vulnerabilities[].analysis.state`).
#[utoipa::path(get, path = "/api/v1/products/{id}/vex", tag = "verification", params(("id" = i64, Path), VersionParam),
    responses((status = 200, description = "CycloneDX 1.5 JSON", content_type = "application/vnd.cyclonedx+json"),
        (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn vex(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(v): Query<VersionParam>,
) -> Result<Response, WebError> {
    let doc = s.app.verification().vex(ctx.actor(), id, v.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    let name = format!("product-{}-vex.cdx.json", id.0);
    Ok(document("application/vnd.cyclonedx+json; version=1.5", "inline", &name, doc.to_string()))
}

/// A product to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProductBody {
    /// The vendor organisation (the caller's first vendor when absent).
    #[serde(default)]
    pub vendor_org_id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub model: String,
    /// security_product | iot_device | control_system | software
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub claims: Vec<String>,
    /// YYYY-MM-DD
    #[serde(default)]
    pub support_end: String,
    /// E-mail address or https URL for vulnerability reports.
    #[serde(default)]
    pub vuln_contact: String,
    #[serde(default)]
    pub public: bool,
    /// A sub-category of the category (the product map's groups): utm, endpoint, log_analysis,
    /// waf, router, camera, smart_home, terminal, gateway, controller, agent, cloud.
    #[serde(default)]
    pub subcategory: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedBody {
    pub id: i64,
}

/// Register a product (vendor; scope verification:write).
#[utoipa::path(post, path = "/api/v1/products", tag = "verification", request_body = NewProductBody,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let n: NewProductBody = json_body(&ctx, &headers, &body)?;
    let vendor = n.vendor_org_id.or_else(|| a.provider_orgs().next().map(|m| m.org_id)).unwrap_or(0);
    let input = ProductInput {
        name: n.name,
        name_en: n.name_en,
        model: n.model,
        category: n.category,
        description: n.description,
        claims: n.claims.join("\n"),
        support_end: n.support_end,
        vuln_contact: n.vuln_contact,
        public: n.public,
        subcategory: n.subcategory,
    };
    let id = s.app.verification().register_product(a, domain::OrgId(vendor), &input).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, [("location", format!("/api/v1/products/{}", id.0))], Json(CreatedBody { id: id.0 }))
        .into_response())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SbomParams {
    /// The file name to record (e.g. `bom.cdx.json`).
    #[serde(default)]
    pub filename: Option<String>,
}

/// An SBOM accepted: the job that scans it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SbomAcceptedBody {
    pub job_id: i64,
    pub product_id: i64,
    pub version: String,
    /// Whether this upload created the version.
    pub version_created: bool,
    /// Where to poll for the job's state and result counts.
    pub status_url: String,
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

type Part = Option<(String, Vec<u8>)>;

/// The `sbom` and `vex` parts of a multipart body.
async fn sbom_and_vex(ctx: &Ctx, s: &AppState, headers: &HeaderMap, body: Bytes) -> Result<(Part, Part), WebError> {
    use axum::extract::FromRequest;
    let mut req = axum::http::Request::new(axum::body::Body::from(body));
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    let mut mp = axum::extract::Multipart::from_request(req, &()).await.map_err(|_| {
        ctx.err(AppError::field("body", "multipart を読み取れません", "The multipart body could not be read"))
    })?;
    let mut parts = crate::forms::read_parts(ctx, s, &mut mp, &[("sbom", "sbom"), ("vex", "vex.json")]).await?;
    Ok((parts.take_file("sbom"), parts.take_file("vex")))
}

/// Content types an SBOM push may carry: JSON, XML, plain text (tag-value, lockfiles) or bytes.
fn sbom_content_type_ok(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else { return true };
    let essence = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json"
            | "application/xml"
            | "text/xml"
            | "text/plain"
            | "text/spdx"
            | "application/octet-stream"
            | "application/toml"
            | "text/x-toml"
    ) || (essence.starts_with("application/") && (essence.ends_with("+json") || essence.ends_with("+xml")))
}

/// Push an SBOM or lockfile for a product version from a build pipeline (the version is
/// created if new). The body is the document in any format the engine reads; the scan runs
/// as a job: poll `status_url`.
#[utoipa::path(post, path = "/api/v1/products/{id}/versions/{version}/sbom", tag = "verification",
    params(("id" = i64, Path), ("version" = String, Path), SbomParams),
    request_body(content = String, description = "CycloneDX, SPDX or a lockfile", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 202, body = SbomAcceptedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn push_sbom(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, version)): Path<(ProductId, String)>,
    Query(q): Query<SbomParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let v = s.app.verification();
    let filename = q.filename.unwrap_or_else(|| "sbom".into());
    let r = if is_multipart(&headers) {
        // the SBOM and the VEX document that describes it, applied together
        let (sbom, vex) = sbom_and_vex(&ctx, &s, &headers, body).await?;
        let Some((name, data)) = sbom else {
            return Err(ctx.err(AppError::field(
                "sbom",
                "sbom パートがありません",
                "The multipart body has no sbom part",
            )));
        };
        v.upload_sbom_with_vex(a, id, &version, &name, &data, vex.as_ref().map(|(n, d)| (n.as_str(), d.as_slice())))
            .await
            .map_err(|e| ctx.err(e))?
    } else {
        if !sbom_content_type_ok(&headers) {
            return Err(ctx.err(AppError::UnsupportedMedia).with_detail(
                "SBOM は JSON・XML・テキストのいずれか（VEX と同時なら multipart/form-data）で送ってください",
                "Send the SBOM as JSON, XML or text (with a VEX document: multipart/form-data with parts sbom and vex)",
            ));
        }
        if body.is_empty() {
            return Err(ctx.err(AppError::field("body", "SBOM の中身が空です", "The SBOM is empty")));
        }
        v.upload_sbom(a, id, &version, &filename, &body).await.map_err(|e| ctx.err(e))?
    };
    let status_url = format!("/api/v1/jobs/{}", r.job_id);
    Ok((
        StatusCode::ACCEPTED,
        [("location", status_url.clone())],
        Json(SbomAcceptedBody {
            job_id: r.job_id,
            product_id: id.0,
            version: domain::verification::version_label(&version).unwrap_or(version),
            version_created: r.version_created,
            status_url,
        }),
    )
        .into_response())
}

/// A job's state and, once done, its result counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    pub id: i64,
    pub kind: String,
    /// queued | running | retrying | done | failed | cancelled
    pub state: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub product_id: Option<i64>,
    pub version: Option<String>,
    /// For an SBOM scan: `format`, `components`, `findings`, `by_severity`, `new`,
    /// `new_by_severity` (critical/high/medium/low), `resolved`.
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
}

impl From<JobStatus> for JobBody {
    fn from(j: JobStatus) -> Self {
        JobBody {
            id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            error: j.error,
            created_at: rfc3339(j.created_at),
            finished_at: j.finished_at.map(rfc3339),
            product_id: j.product_id,
            version: j.version,
            result: j.result,
        }
    }
}

/// A job's state and result (its owner; 404 to others).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "verification", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = JobBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn job(ctx: Ctx, State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<JobBody>, WebError> {
    let a = ctx.require()?;
    let j = s.app.verification().job_status(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(JobBody::from(j)))
}

/// A triage decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TriageBody {
    /// in_triage | exploitable | false_positive | not_affected | resolved
    #[serde(default)]
    pub state: String,
    /// Required for not_affected: code_not_present, code_not_reachable, requires_configuration,
    /// requires_dependency, requires_environment, protected_by_compiler, protected_at_runtime,
    /// protected_at_perimeter, protected_by_mitigating_control.
    #[serde(default)]
    pub justification: String,
    /// Why (required for not_affected and false_positive).
    #[serde(default)]
    pub detail: String,
    /// For exploitable: update, workaround_available, rollback, will_not_fix, can_not_fix.
    #[serde(default)]
    pub response: String,
    /// Required for resolved: the product version that fixes it.
    #[serde(default)]
    pub resolved_in: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TriagedBody {
    pub id: i64,
    pub state: String,
}

/// Record a triage decision on a finding (the product's vendor; scope verification:write).
#[utoipa::path(post, path = "/api/v1/products/{id}/findings/{fid}/triage", tag = "verification",
    params(("id" = i64, Path), ("fid" = i64, Path)), request_body = TriageBody, security(("bearer" = [])),
    responses((status = 200, body = TriagedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn triage(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, fid)): Path<(ProductId, i64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TriagedBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: TriageBody = json_body(&ctx, &headers, &body)?;
    let input = domain::verification::TriageInput {
        state: b.state,
        justification: b.justification,
        detail: b.detail,
        response: b.response,
        resolved_in: b.resolved_in,
    };
    let state = s.app.verification().triage(a, id, fid, &input).await.map_err(|e| ctx.err(e))?;
    Ok(Json(TriagedBody { id: fid, state: state.code().into() }))
}

/// What a VEX document did.
#[derive(Debug, Serialize, ToSchema)]
pub struct VexAppliedBody {
    pub statements: usize,
    /// Findings whose triage state the statements set now.
    pub applied: usize,
    /// Statements that matched no finding yet (they also apply to later scans of the version).
    pub unmatched: usize,
}

/// Upload a VEX document for a product version (CycloneDX VEX, OpenVEX 0.2 or CSAF 2.0 VEX):
/// kept as evidence; its statements set the triage state of the matching findings, with the
/// change in each finding's history. The version is created if new.
#[utoipa::path(post, path = "/api/v1/products/{id}/versions/{version}/vex", tag = "verification",
    params(("id" = i64, Path), ("version" = String, Path), SbomParams),
    request_body(content = String, description = "CycloneDX VEX, OpenVEX or CSAF 2.0 VEX JSON", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 200, body = VexAppliedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn push_vex(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, version)): Path<(ProductId, String)>,
    Query(q): Query<SbomParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<VexAppliedBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !(essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))) {
        return Err(ctx.err(AppError::UnsupportedMedia).with_detail(
            "VEX 文書は JSON で送ってください（Content-Type: application/json）",
            "Send the VEX document as JSON (Content-Type: application/json)",
        ));
    }
    let name = q.filename.unwrap_or_else(|| "vex.json".into());
    let r = s.app.verification().upload_vex(a, id, &version, &name, &body).await.map_err(|e| ctx.err(e))?;
    Ok(Json(VexAppliedBody { statements: r.statements, applied: r.applied, unmatched: r.unmatched }))
}

/// A product version (the latest unless `?version=`) as CSAF 2.0 VEX.
#[utoipa::path(get, path = "/api/v1/products/{id}/csaf", tag = "verification", params(("id" = i64, Path), VersionParam),
    responses((status = 200, description = "CSAF 2.0 JSON (csaf_vex profile)", content_type = "application/json"),
        (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn csaf(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(v): Query<VersionParam>,
) -> Result<Response, WebError> {
    let doc =
        s.app.verification().csaf(ctx.actor(), id, v.version.as_deref(), ctx.t.en).await.map_err(|e| ctx.err(e))?;
    Ok(document("application/json", "inline", &format!("product-{}-csaf.json", id.0), doc.to_string()))
}
