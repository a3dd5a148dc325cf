//! The registry's JSON API (`/api/v1`). Machine clients authenticate with `Authorization: Bearer <token>`;
//! a browser session may call it too, with its CSRF token in `X-CSRF-Token` for writes. The
//! bodies are the API's own types ([`super::bodies`]); the `#[utoipa::path]` attributes generate
//! the OpenAPI document.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::registry::{ApplicationInput, Category, Transition};
use serde::Deserialize;

use super::bodies::{
    ApplicationBody, CategoryBody, DecisionBody, NewApplicationBody, ReasonBody, ServiceDetailBody, ServiceList,
    ServiceListItem, StatusBody, UploadedBody,
};
use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, json_body, write_actor};
use crate::forms::ListParams;
use app::{AppError, jst_date};
#[allow(unused_imports)]
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};

/// Categories and sub-categories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "registry", responses((status = 200, body = Vec<CategoryBody>)))]
pub async fn categories() -> Json<Vec<CategoryBody>> {
    Json(Category::ALL.iter().map(CategoryBody::from).collect())
}

/// Search registered services (partial Japanese or English words, filters, sorting, pages).
#[utoipa::path(get, path = "/api/v1/services", tag = "registry", params(ListParams),
    responses((status = 200, body = ServiceList), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn services(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<ServiceList>, WebError> {
    let q = p.to_query(20).map_err(|e| ctx.err(e))?;
    let r = s.app.registry().public_list(&q).await.map_err(|e| ctx.err(e))?;
    Ok(Json(ServiceList {
        total: r.total,
        page: r.page,
        per_page: r.per_page,
        pages: r.pages(),
        items: r.items.iter().map(ServiceListItem::from).collect(),
        category_counts: r.category_counts.iter().map(|(c, n)| (c.code().to_string(), *n)).collect(),
    }))
}

/// One service with its history (private fields for those allowed; 404 to others if not public).
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "registry", params(("id" = i64, Path)),
    responses((status = 200, body = ServiceDetailBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn service(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
) -> Result<Json<ServiceDetailBody>, WebError> {
    let d = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(ServiceDetailBody::from(&d)))
}

/// Apply for a service (creates a draft).
#[utoipa::path(post, path = "/api/v1/applications", tag = "registry", request_body = NewApplicationBody,
    security(("bearer" = [])),
    responses((status = 201, body = StatusBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn apply(ctx: Ctx, State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let n: NewApplicationBody = json_body(&ctx, &headers, &body)?;
    let provider = n.provider_org_id.or_else(|| a.provider_orgs().next().map(|m| m.org_id)).unwrap_or(0);
    let input = ApplicationInput::from(n.application);
    let id = s.app.registry().apply(a, domain::OrgId(provider), &input).await.map_err(|e| ctx.err(e))?;
    Ok((
        StatusCode::CREATED,
        [("location", format!("/api/v1/services/{id}"))],
        Json(StatusBody { id: id.0, status: "draft".into() }),
    )
        .into_response())
}

/// Edit a draft or returned application.
#[utoipa::path(put, path = "/api/v1/applications/{id}", tag = "registry", params(("id" = i64, Path)),
    request_body = ApplicationBody, security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn update(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: ApplicationBody = json_body(&ctx, &headers, &body)?;
    let status =
        s.app.registry().update_application(a, id, &ApplicationInput::from(b)).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: status.code().into() }))
}

/// Submit for review.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "registry", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn submit(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    headers: HeaderMap,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let to = s.app.registry().submit(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: to.code().into() }))
}

/// Request a change to a listed service (re-reviewed; the listing stays until approved).
#[utoipa::path(post, path = "/api/v1/applications/{id}/change", tag = "registry", params(("id" = i64, Path)),
    request_body = ApplicationBody, security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn change(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: ApplicationBody = json_body(&ctx, &headers, &body)?;
    let to = s.app.registry().request_change(a, id, &ApplicationInput::from(b)).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: to.code().into() }))
}

fn reason(ctx: &Ctx, headers: &HeaderMap, body: &[u8]) -> Result<ReasonBody, WebError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) { Ok(ReasonBody::default()) } else { json_body(ctx, headers, body) }
}

/// Withdraw (provider admin; a reason is required).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "registry", params(("id" = i64, Path)),
    request_body = ReasonBody, security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn withdraw(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let r = reason(&ctx, &headers, &body)?;
    let to = s.app.registry().withdraw_own(a, id, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: to.code().into() }))
}

/// Registration body decision: approve | return | reject | approve-change | reject-change |
/// approve-renewal | reject-renewal. Returns what was decided.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/{decision}", tag = "registry",
    params(("id" = i64, Path), ("decision" = String, Path, description = "approve | return | reject | approve-change | reject-change | approve-renewal | reject-renewal")),
    request_body = ReasonBody, security(("bearer" = [])),
    responses((status = 200, body = DecisionBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn decide(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, d)): Path<(ServiceId, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DecisionBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let t = super::review::decision(&d).ok_or_else(|| ctx.err(AppError::NotFound))?;
    let r = reason(&ctx, &headers, &body)?;
    let d = s.app.registry().decide(a, id, t, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(DecisionBody {
        id: id.0,
        status: d.status.code().into(),
        ledger_number: d.ledger_number,
        valid_until: d.valid_until.map(jst_date),
    }))
}

/// Apply to renew a registration (from 90 days before it expires; 409 outside that window).
#[utoipa::path(post, path = "/api/v1/applications/{id}/renew", tag = "registry", params(("id" = i64, Path)),
    request_body = ReasonBody, security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn renew(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let r = reason(&ctx, &headers, &body)?;
    let to = s.app.registry().request_renewal(a, id, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: to.code().into() }))
}

/// Program office: suspend | reinstate | withdraw (revoke); a reason is required.
#[utoipa::path(post, path = "/api/v1/admin/services/{id}/{action}", tag = "registry",
    params(("id" = i64, Path), ("action" = String, Path, description = "suspend | reinstate | withdraw")),
    request_body = ReasonBody, security(("bearer" = [])),
    responses((status = 200, body = StatusBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn operate(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(ServiceId, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StatusBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let t = match action.as_str() {
        "suspend" => Transition::Suspend,
        "reinstate" => Transition::Reinstate,
        "withdraw" => Transition::Withdraw,
        _ => return Err(ctx.err(AppError::NotFound)),
    };
    let r = reason(&ctx, &headers, &body)?;
    let to = s.app.registry().operate(a, id, t, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(StatusBody { id: id.0, status: to.code().into() }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileName {
    /// The file's name as the provider knows it.
    #[serde(default)]
    filename: String,
}

/// Upload an evidence file as the raw body (413 over the limit; the type is sniffed).
#[utoipa::path(post, path = "/api/v1/applications/{id}/evidence", tag = "registry", params(("id" = i64, Path), FileName),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), security(("bearer" = [])),
    responses((status = 201, body = UploadedBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn upload_evidence(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    Query(f): Query<FileName>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    if body.is_empty() {
        return Err(ctx.err(AppError::field("body", "ファイルの中身が空です", "The file is empty")));
    }
    let eid = s.app.registry().upload_evidence(a, id, &f.filename, &body).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(UploadedBody { id: eid.0, size: body.len() })).into_response())
}
