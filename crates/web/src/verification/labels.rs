//! Verification labels over HTTP: the label (a DSSE envelope), its status, the signed status
//! list, the trust root; the public label page with its QR code; the body's and the office's
//! status changes; signing keys; checklists loaded by the office and a case's checklist.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::verification::case::CaseId;
use domain::verification::checklist::Verdict;
use domain::verification::label::{LabelStatus, LabelTransition};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, json_body, write_actor};
use crate::forms::decode;
use crate::kit::flash::see_other;
use crate::views::{Nav, PagerItem, render};
use app::AppError;
use app::verification::checklists::CaseChecklist;
use app::verification::labels::LabelView;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LabelListParams {
    /// active | suspended | revoked | expired
    pub status: Option<String>,
    /// 1-based.
    pub page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabelListItem {
    pub id: i64,
    /// The product's name.
    pub product: String,
    pub product_id: i64,
    pub version: String,
    pub vendor: String,
    pub body: String,
    /// active | suspended | revoked | expired
    pub status: String,
    pub levels: Vec<String>,
    /// RFC 3339.
    pub issued_at: String,
    pub valid_until: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabelListBody {
    pub total: i64,
    pub items: Vec<LabelListItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabelStatusBody {
    pub id: i64,
    /// active | suspended | revoked | expired
    pub status: String,
    /// RFC 3339: when the label entered this status.
    pub since: String,
    pub reason: String,
    pub valid_until: String,
}

const PER_PAGE: i64 = 100;

/// Labels of public products, newest first (`?status=` filters).
#[utoipa::path(get, path = "/api/v1/labels", tag = "verification", params(LabelListParams),
    responses((status = 200, body = LabelListBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_list(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<LabelListParams>,
) -> Result<Json<LabelListBody>, WebError> {
    let status = match p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(x) => Some(LabelStatus::parse(x).ok_or_else(|| {
            ctx.err(AppError::field(
                "status",
                "status は active, suspended, revoked, expired のいずれかです",
                "status is one of active, suspended, revoked, expired",
            ))
        })?),
    };
    let page = p.page.unwrap_or(1).clamp(1, 100_000);
    let (total, rows) =
        s.app.verification().labels(status, PER_PAGE, (page - 1) * PER_PAGE).await.map_err(|e| ctx.err(e))?;
    Ok(Json(LabelListBody {
        total,
        items: rows
            .iter()
            .map(|r| LabelListItem {
                id: r.id,
                product: r.product_name.clone(),
                product_id: r.product_id,
                version: r.version.clone(),
                vendor: r.vendor_name.clone(),
                body: r.body_name.clone(),
                status: r.status.clone(),
                levels: r.levels.split(',').map(str::to_string).collect(),
                issued_at: app::rfc3339(r.issued_at),
                valid_until: app::rfc3339(r.valid_until),
            })
            .collect(),
    }))
}

fn json_doc(content_type: &'static str, body: String, cache: &'static str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// The label as issued: a DSSE envelope (`payloadType` `application/vnd.in-toto+json`) whose
/// payload is an in-toto Statement v1 with the SLSA verification summary predicate.
#[utoipa::path(get, path = "/api/v1/labels/{id}", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, description = "DSSE envelope", content_type = "application/json"), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_label(ctx: Ctx, State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let l = s.app.verification().label(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let mut res = json_doc("application/json", l.row.envelope, "public, max-age=3600");
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("inline; filename=\"label-{id}.json\"")).expect("ascii header"),
    );
    Ok(res)
}

/// A label's current status.
#[utoipa::path(get, path = "/api/v1/labels/{id}/status", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, body = LabelStatusBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_status(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<LabelStatusBody>, WebError> {
    let l = s.app.verification().label(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(LabelStatusBody {
        id,
        status: l.row.status,
        since: app::rfc3339(l.row.status_at),
        reason: l.row.reason,
        valid_until: app::rfc3339(l.row.valid_until),
    }))
}

/// Every label's status, signed by the program office (a DSSE envelope whose payload type is
/// `application/vnd.kakehashi.status-list+json`): what `kakehashi label verify --status` takes.
/// Re-issued on every change and daily; stale after its `next_update`.
#[utoipa::path(get, path = "/api/v1/labels/status-list", tag = "verification",
    responses((status = 200, description = "DSSE envelope of the status list", content_type = "application/json"), (status = 409, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_status_list(ctx: Ctx, State(s): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let (seq, doc) = s.app.verification().status_list().await.map_err(|e| ctx.err(e))?;
    let etag = format!("\"sl-{seq}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii etag"));
        return Ok(res);
    }
    let mut res = json_doc("application/json", doc, "public, max-age=300");
    res.headers_mut().insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii etag"));
    Ok(res)
}

/// The trust root: every body's and the office's signing keys with their validity, retirement
/// and revocation: what `kakehashi label verify --trust-root` takes.
#[utoipa::path(get, path = "/api/v1/trust-root", tag = "verification",
    responses((status = 200, description = "Trust root JSON", content_type = "application/json"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_trust_root(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let root = s.app.verification().trust_root().await.map_err(|e| ctx.err(e))?;
    let body = serde_json::to_string_pretty(&root).map_err(|e| ctx.err(AppError::Internal(e.to_string())))?;
    Ok(json_doc("application/json", body, "public, max-age=300"))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LabelStepBody {
    /// Required for suspend, reinstate and revoke.
    #[serde(default)]
    pub reason: String,
}

/// The body or the office suspends, reinstates or revokes a label (with a reason).
#[utoipa::path(post, path = "/api/v1/labels/{id}/{action}", tag = "verification", request_body = LabelStepBody,
    params(("id" = i64, Path), ("action" = String, Path, description = "suspend | reinstate | revoke")),
    security(("bearer" = [])),
    responses((status = 200, body = LabelStatusBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_step(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<LabelStatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let t = person_transition(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    let b: LabelStepBody = json_body(&ctx, &headers, &body)?;
    s.app.verification().label_step(Some(a), id, t, &b.reason).await.map_err(|e| ctx.err(e))?;
    api_status(ctx, State(s), Path(id)).await
}

/// What a form shows again when the use case refused it: the messages, and 422 for invalid
/// input or 409 for a conflict; None for other errors (their own error page).
pub(crate) fn refusal(t: crate::extract::T, e: &AppError) -> Option<(Vec<String>, StatusCode)> {
    match e {
        AppError::Invalid(errs) => {
            Some((errs.iter().map(|x| t.s(&x.ja, &x.en).to_string()).collect(), StatusCode::UNPROCESSABLE_ENTITY))
        }
        AppError::Conflict { ja, en } => Some((vec![t.s(ja, en).to_string()], StatusCode::CONFLICT)),
        _ => None,
    }
}

/// The transitions a person asks for by name (expiry is the platform's).
fn person_transition(action: &str) -> Option<LabelTransition> {
    LabelTransition::parse(action).filter(|t| *t != LabelTransition::Expire)
}

#[derive(Template)]
#[template(path = "label.html")]
struct LabelPage {
    nav: Nav,
    l: LabelView,
    status_label: &'static str,
    levels: String,
    issued: String,
    valid_until: String,
    status_at: String,
    qr: String,
    url: String,
    actions: Vec<(&'static str, &'static str)>,
    history: Vec<(String, String, String, String)>,
    reason: String,
    errors: Vec<String>,
}

pub(crate) fn level_name(code: &str, en: bool) -> String {
    match code {
        "JC-STAR-STAR1" => if en { "JC-STAR STAR-1" } else { "JC-STAR ★1" }.into(),
        "ETSI-EN-303-645" => if en { "ETSI EN 303 645 baseline" } else { "ETSI EN 303 645 ベースライン" }.into(),
        "NISTIR-8259A" => if en { "NISTIR 8259A core baseline" } else { "NISTIR 8259A コアベースライン" }.into(),
        other => other.to_string(),
    }
}

/// The QR code (SVG) of a URL, remembered (a label page is read far more often than labels are
/// issued; at most 4,096 codes are kept).
pub fn qr_svg(url: &str) -> String {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(svg) = cache.lock().ok().and_then(|c| c.get(url).cloned()) {
        return svg;
    }
    let svg = render_qr(url);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(url.to_string(), svg.clone());
    }
    svg
}

fn render_qr(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(160, 160).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

fn label_page(ctx: &Ctx, s: &AppState, l: LabelView, reason: String, errors: Vec<String>) -> LabelPage {
    let t = ctx.t;
    let base = s.app.config.delivery.public_url.trim_end_matches('/').to_string();
    let url = format!("{base}/labels/{}", l.row.id);
    let product = if l.row.version.is_empty() {
        l.row.product_name.clone()
    } else {
        format!("{} {}", l.row.product_name, l.row.version)
    };
    LabelPage {
        nav: Nav::new(
            ctx,
            &format!("検証ラベル #{}: {product}", l.row.id),
            &format!("Verification label #{}: {product}", l.row.id),
            "products",
        ),
        status_label: l.status.label(t.en),
        levels: l.levels.iter().map(|c| level_name(c, t.en)).collect::<Vec<_>>().join(", "),
        issued: app::jst_date(l.row.issued_at),
        valid_until: app::jst_date(l.row.valid_until),
        status_at: app::jst_date(l.row.status_at),
        qr: qr_svg(&url),
        url,
        actions: l.actions.iter().map(|a| (a.code(), a.label(t.en))).collect(),
        history: l
            .history
            .iter()
            .map(|h| {
                let to = LabelStatus::parse(&h.to_state).map(|x| x.label(t.en)).unwrap_or(h.to_state.as_str());
                (app::jst_date(h.at), h.actor_name.clone(), to.to_string(), h.comment.clone())
            })
            .collect(),
        l,
        reason,
        errors,
    }
}

/// The public label page: what the QR code on the product points to.
pub async fn page(ctx: Ctx, State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let l = s.app.verification().label(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(render(&label_page(&ctx, &s, l, String::new(), Vec::new())))
}

/// The label page's QR code alone (SVG), for printing on the product.
pub async fn qr(ctx: Ctx, State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    s.app.verification().label(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let base = s.app.config.delivery.public_url.trim_end_matches('/').to_string();
    Ok(json_doc("image/svg+xml", qr_svg(&format!("{base}/labels/{id}")), "public, max-age=86400"))
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// A status change from the label page (a mistake shows the page again, the reason kept).
pub async fn step(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: StepForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let t = person_transition(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    match s.app.verification().label_step(Some(a), id, t, &f.reason).await {
        Ok(_) => Ok(see_other(&format!("/labels/{id}"), "label_step")),
        Err(e) => {
            let Some((msgs, status)) = refusal(ctx.t, &e) else { return Err(ctx.err(e)) };
            let l = s.app.verification().label(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let mut res = render(&label_page(&ctx, &s, l, f.reason, msgs));
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

// ---- checklists ----

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemBody {
    pub id: String,
    pub title: String,
    pub title_en: String,
    /// document | device | both
    pub method: String,
    pub refs: Vec<String>,
    /// pass | fail | not_applicable | not_evaluated (the tester's, else the automatic one)
    pub verdict: String,
    /// The automatic verdict from the evidence rules, if any.
    pub auto_verdict: Option<String>,
    pub auto_reason: String,
    /// The tester differs from the automatic verdict (with a reason).
    pub overridden: bool,
    pub evidence: Vec<i64>,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseChecklistBody {
    /// `scheme@version`, or empty when none was picked.
    pub checklist: String,
    pub level: String,
    pub items: Vec<ChecklistItemBody>,
}

fn checklist_body(c: &CaseChecklist) -> CaseChecklistBody {
    CaseChecklistBody {
        checklist: c.checklist.as_ref().map(|k| k.key()).unwrap_or_default(),
        level: c.checklist.as_ref().map(|k| k.level.clone()).unwrap_or_default(),
        items: c
            .items
            .iter()
            .map(|i| {
                let mut evidence: Vec<i64> = i
                    .recorded
                    .as_ref()
                    .map(|r| r.evidence.split(',').filter_map(|x| x.parse().ok()).collect())
                    .unwrap_or_default();
                if evidence.is_empty()
                    && let Some(a) = &i.auto
                {
                    evidence = a.evidence.iter().copied().collect();
                }
                ChecklistItemBody {
                    id: i.item.id.clone(),
                    title: i.item.title.clone(),
                    title_en: i.item.title_en.clone(),
                    method: serde_json::to_value(i.item.method)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    refs: i.item.refs.clone(),
                    verdict: i.verdict.code().into(),
                    auto_verdict: i.auto.as_ref().map(|a| a.verdict.code().to_string()),
                    auto_reason: i.auto.as_ref().map(|a| a.reason_en.clone()).unwrap_or_default(),
                    overridden: i.recorded.as_ref().is_some_and(|r| r.overridden),
                    evidence,
                    note: i.recorded.as_ref().map(|r| r.note.clone()).unwrap_or_default(),
                }
            })
            .collect(),
    }
}

/// A case's checklist with every item's verdict and the automatic verdicts from the evidence.
#[utoipa::path(get, path = "/api/v1/cases/{id}/checklist", tag = "verification", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = CaseChecklistBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_case_checklist(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
) -> Result<Json<CaseChecklistBody>, WebError> {
    let c = s.app.verification().case_checklist(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(checklist_body(&c)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerdictBody {
    /// For picking the checklist: `scheme@version`.
    #[serde(default)]
    pub checklist: Option<String>,
    /// The item to record a verdict for.
    #[serde(default)]
    pub item: Option<String>,
    /// pass | fail | not_applicable | not_evaluated
    #[serde(default)]
    pub verdict: String,
    #[serde(default)]
    pub evidence: Vec<i64>,
    /// The tester's note; the reason when differing from the automatic verdict.
    #[serde(default)]
    pub note: String,
}

/// The body picks the case's checklist (`checklist`) or records an item's verdict (`item`,
/// `verdict`, `evidence`, `note`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/checklist", tag = "verification", request_body = VerdictBody,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = CaseChecklistBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_record(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CaseChecklistBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: VerdictBody = json_body(&ctx, &headers, &body)?;
    let v = s.app.verification();
    if let Some(key) = &b.checklist {
        v.pick_checklist(a, id, key).await.map_err(|e| ctx.err(e))?;
    }
    if let Some(item) = &b.item {
        v.set_verdict(a, id, item, &b.verdict, &b.evidence, &b.note).await.map_err(|e| ctx.err(e))?;
    }
    let c = v.case_checklist(Some(a), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(checklist_body(&c)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoadedChecklistBody {
    /// `scheme@version`
    pub checklist: String,
    pub items: usize,
}

/// The program office loads a checklist (TOML, `Content-Type: application/toml` or
/// `text/plain`): unknown or duplicate ids are refused, naming each, and nothing is loaded.
#[utoipa::path(post, path = "/api/v1/checklists", tag = "verification", request_body(content = String, content_type = "text/plain", description = "The checklist as TOML (sent as `text/plain` or `application/toml`)"),
    security(("bearer" = [])),
    responses((status = 201, body = LoadedChecklistBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_load_checklist(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ctx.err(AppError::field("source", "UTF-8 のテキストで送ってください", "Send UTF-8 text")))?;
    let c = s.app.verification().load_checklist(a, text).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(LoadedChecklistBody { checklist: c.key(), items: c.items.len() })).into_response())
}

#[derive(Template)]
#[template(path = "case_checklist.html")]
struct ChecklistPage {
    nav: Nav,
    case_id: i64,
    c: CaseChecklist,
    rows: Vec<ItemRow>,
    verdicts: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    /// The item and values of a refused form, kept.
    kept: (String, String, String),
    /// The case's evidence files a verdict may point to: (id, file name, kind).
    evidence: Vec<(i64, String, &'static str)>,
    /// Evidence ids of the refused form, kept.
    kept_evidence: Vec<i64>,
}

struct ItemRow {
    id: String,
    /// Evidence the recorded (or automatic) verdict points to.
    evidence: Vec<i64>,
    title: String,
    method: &'static str,
    refs: String,
    verdict: &'static str,
    verdict_code: &'static str,
    auto: String,
    note: String,
}

impl ChecklistPage {
    /// Whether the row's form ticks this evidence file: what was typed in a refused form, else
    /// what the verdict points to.
    fn ticks(&self, row: &ItemRow, evidence: &i64) -> bool {
        if self.kept.0 == row.id { self.kept_evidence.contains(evidence) } else { row.evidence.contains(evidence) }
    }
}

fn checklist_page(
    ctx: &Ctx,
    id: CaseId,
    c: CaseChecklist,
    errors: Vec<String>,
    kept: (String, String, String),
) -> ChecklistPage {
    let t = ctx.t;
    let rows = c
        .items
        .iter()
        .map(|i| ItemRow {
            id: i.item.id.clone(),
            title: t.s(&i.item.title, &i.item.title_en).to_string(),
            method: i.item.method.label(t.en),
            refs: i.item.refs.join(", "),
            verdict: i.verdict.label(t.en),
            verdict_code: i.verdict.code(),
            auto: i
                .auto
                .as_ref()
                .map(|a| format!("{}: {}", a.verdict.label(t.en), t.s(&a.reason_ja, &a.reason_en)))
                .unwrap_or_default(),
            note: i.recorded.as_ref().map(|r| r.note.clone()).unwrap_or_default(),
            evidence: i
                .recorded
                .as_ref()
                .map(|r| r.evidence.split(',').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default(),
        })
        .collect();
    ChecklistPage {
        nav: Nav::new(
            ctx,
            &format!("案件 #{} のチェックリスト", id.0),
            &format!("Checklist of case #{}", id.0),
            "cases",
        ),
        case_id: id.0,
        c,
        rows,
        verdicts: Verdict::ALL.iter().map(|v| (v.code(), v.label(t.en))).collect(),
        errors,
        kept,
        evidence: Vec::new(),
        kept_evidence: Vec::new(),
    }
}

/// The case's evidence files, for the verdict forms.
async fn evidence_choices(ctx: &Ctx, s: &AppState, id: CaseId) -> Result<Vec<(i64, String, &'static str)>, WebError> {
    let ev = s.app.verification().case_evidence(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(ev.files.iter().map(|f| (f.row.id, f.row.filename.clone(), f.kind.label(ctx.t.en))).collect())
}

pub async fn checklist(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let c = s.app.verification().case_checklist(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let mut page = checklist_page(&ctx, id, c, Vec::new(), Default::default());
    if page.c.can_edit {
        page.evidence = evidence_choices(&ctx, &s, id).await?;
    }
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct VerdictForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    checklist: Option<String>,
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    note: String,
    /// Evidence ids (checkboxes, repeated).
    #[serde(default)]
    evidence: Vec<i64>,
}

/// Picks the checklist or records a verdict from the checklist page.
pub async fn record(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: VerdictForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let v = s.app.verification();
    let r = match (&f.checklist, &f.item) {
        (Some(k), _) => v.pick_checklist(a, id, k).await,
        (None, Some(item)) => v.set_verdict(a, id, item, &f.verdict, &f.evidence, &f.note).await,
        (None, None) => Err(AppError::field("item", "項目を選択してください", "Choose an item")),
    };
    match r {
        Ok(()) => Ok(see_other(&format!("/cases/{}/checklist", id.0), "verdict")),
        Err(e) => {
            let Some((msgs, status)) = refusal(ctx.t, &e) else { return Err(ctx.err(e)) };
            let c = v.case_checklist(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let kept = (f.item.unwrap_or_default(), f.verdict, f.note);
            let mut page = checklist_page(&ctx, id, c, msgs, kept);
            page.evidence = evidence_choices(&ctx, &s, id).await?;
            page.kept_evidence = f.evidence;
            let mut res = render(&page);
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

// ---- signing keys and known-exploited advisories ----

#[derive(Debug, Deserialize, IntoParams)]
pub struct KeyParams {
    /// An organisation (a body administers its own; the office any).
    pub org: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    pub keyid: String,
    pub org_id: i64,
    pub org_name: String,
    /// label | status
    pub role: String,
    /// active | retired | revoked
    pub state: String,
    pub created_at: String,
    pub retired_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revocation_reason: String,
}

/// Signing keys (never their private half): a body's admin sees its own, the office all.
#[utoipa::path(get, path = "/api/v1/keys", tag = "verification", params(KeyParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<KeyBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_keys(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<KeyParams>,
) -> Result<Json<Vec<KeyBody>>, WebError> {
    let a = ctx.require()?;
    let keys = s.app.verification().signing_keys(a, p.org).await.map_err(|e| ctx.err(e))?;
    Ok(Json(
        keys.into_iter()
            .map(|k| KeyBody {
                keyid: k.keyid,
                org_id: k.org_id,
                org_name: k.org_name,
                role: k.role,
                state: k.state,
                created_at: app::rfc3339(k.created_at),
                retired_at: k.retired_at.map(app::rfc3339),
                revoked_at: k.revoked_at.map(app::rfc3339),
                revocation_reason: k.revocation_reason,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedBody {
    /// The new key's id (the old one is retired).
    pub keyid: String,
}

/// Makes a new signing key for the organisation and retires its current one.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/keys/rotate", tag = "verification", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = RotatedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_rotate(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<RotatedBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let keyid = s.app.verification().rotate_key(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(RotatedBody { keyid }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndKeyBody {
    /// Required to revoke.
    #[serde(default)]
    pub reason: String,
}

/// Retires a key (it stops signing; what it signed stays valid) or revokes it (nothing it signed
/// is trusted any more; a reason is required).
#[utoipa::path(post, path = "/api/v1/keys/{keyid}/{action}", tag = "verification", request_body = EndKeyBody,
    params(("keyid" = String, Path), ("action" = String, Path, description = "retire | revoke")), security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_end_key(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((keyid, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let revoke = match action.as_str() {
        "retire" => false,
        "revoke" => true,
        _ => return Err(ctx.err(AppError::NotFound)),
    };
    let b: EndKeyBody = json_body(&ctx, &headers, &body)?;
    s.app.verification().end_key(a, &keyid, revoke, &b.reason).await.map_err(|e| ctx.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KnownExploitedBody {
    /// The advisory id (or an alias, e.g. a CVE).
    pub advisory: String,
    /// false unmarks it.
    #[serde(default = "yes")]
    pub known_exploited: bool,
}

fn yes() -> bool {
    true
}

/// The office marks an advisory as known exploited: a labelled version that keeps it untriaged
/// or exploitable past the deadline has its label suspended by the watch.
#[utoipa::path(post, path = "/api/v1/known-exploited", tag = "verification", request_body = KnownExploitedBody, security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_known_exploited(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: KnownExploitedBody = json_body(&ctx, &headers, &body)?;
    s.app.verification().set_known_exploited(a, &b.advisory, b.known_exploited).await.map_err(|e| ctx.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A row of the labels list: id, product, version, levels, body, status code, status, valid until.
type LabelRowView = (i64, String, String, String, String, String, &'static str, String);

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    nav: Nav,
    rows: Vec<LabelRowView>,
    total: i64,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    pager: crate::views::Pager,
}

/// The public list of labels, newest first, with a status filter.
pub async fn list_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<LabelListParams>,
) -> Result<Response, WebError> {
    let t = ctx.t;
    let status_code = p.status.clone().unwrap_or_default();
    let status = match status_code.trim() {
        "" => None,
        x => Some(
            LabelStatus::parse(x)
                .ok_or_else(|| ctx.err(AppError::field("status", "状態が正しくありません", "Unknown status")))?,
        ),
    };
    let page = p.page.unwrap_or(1).clamp(1, 100_000);
    let per = 50;
    let (total, rows) = s.app.verification().labels(status, per, (page - 1) * per).await.map_err(|e| ctx.err(e))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let st = LabelStatus::parse(&r.status).map(|x| x.label(t.en)).unwrap_or("");
            let levels = r.levels.split(',').map(|l| level_name(l, t.en)).collect::<Vec<_>>().join(", ");
            (r.id, r.product_name, r.version, levels, r.body_name, r.status, st, app::jst_date(r.valid_until))
        })
        .collect();
    let base = if status_code.is_empty() { "/labels?".to_string() } else { format!("/labels?status={status_code}&") };
    Ok(render(&LabelsPage {
        nav: Nav::new(&ctx, "検証ラベルの一覧", "Verification labels", "products"),
        rows,
        total,
        status: status_code,
        statuses: LabelStatus::ALL.iter().map(|x| (x.code(), x.label(t.en))).collect(),
        pager: crate::views::Pager::new(page as usize, ((total + per - 1) / per) as usize, |n| {
            format!("{base}page={n}")
        }),
    }))
}

#[derive(Template)]
#[template(path = "checklists.html")]
struct ChecklistsPage {
    nav: Nav,
    all: Vec<domain::verification::checklist::Checklist>,
    one: Option<domain::verification::checklist::Checklist>,
}

/// The public list of checklists (`/checklists`).
pub async fn checklists(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let all = s.app.verification().checklists().await.map_err(|e| ctx.err(e))?;
    Ok(render(&ChecklistsPage {
        nav: Nav::new(&ctx, "チェックリスト", "Checklists", "products"), all, one: None
    }))
}

/// One checklist (`/checklists/{scheme@version}`): the page a label's `policy.uri` names.
pub async fn checklist_page_public(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let all = s.app.verification().checklists().await.map_err(|e| ctx.err(e))?;
    let one = all.iter().find(|c| c.key() == key).cloned().ok_or_else(|| ctx.err(AppError::NotFound))?;
    let title = one.title.clone();
    let title_en = one.title_en.clone();
    Ok(render(&ChecklistsPage { nav: Nav::new(&ctx, &title, &title_en, "products"), all: Vec::new(), one: Some(one) }))
}

// ---- signing keys (pages) ----

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    nav: Nav,
    keys: Vec<app::verification::labels::KeyView>,
    /// Organisations whose key the viewer may rotate: (id, name).
    orgs: Vec<(i64, String)>,
    errors: Vec<String>,
}

async fn keys_page(ctx: &Ctx, s: &AppState, errors: Vec<String>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let (keys, orgs) = s.app.verification().key_overview(a).await.map_err(|e| ctx.err(e))?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut res =
        render(&KeysPage {
            nav: Nav::new(ctx, "ラベル署名鍵", "Label signing keys", "cases"), keys, orgs, errors
        });
    *res.status_mut() = status;
    Ok(res)
}

/// The body's (or, for the office, every) signing key, with rotate, retire and revoke.
pub async fn keys(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    keys_page(&ctx, &s, Vec::new()).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: Option<i64>,
    #[serde(default)]
    keyid: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

pub async fn key_action(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: KeyForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let v = s.app.verification();
    let r = match (f.action.as_str(), f.org) {
        ("rotate", Some(org)) => v.rotate_key(a, org).await.map(|_| ()),
        ("retire", _) => v.end_key(a, &f.keyid, false, &f.reason).await,
        ("revoke", _) => v.end_key(a, &f.keyid, true, &f.reason).await,
        _ => Err(AppError::NotFound),
    };
    match r {
        Ok(()) => Ok(see_other("/my/keys", "keys")),
        Err(e) => match refusal(ctx.t, &e) {
            Some((msgs, _)) => keys_page(&ctx, &s, msgs).await,
            None => Err(ctx.err(e)),
        },
    }
}
