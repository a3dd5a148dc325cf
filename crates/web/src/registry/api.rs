//! The registry's JSON API (`/api/v1`). Machine clients authenticate with `Authorization: Bearer <token>`;
//! a browser session may call it too, with its CSRF token in `X-CSRF-Token` for writes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::registry::{ApplicationInput, Category, Transition};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, json_body, write_actor};
use crate::forms::ListParams;
use super::public::item_json;
use app::registry::ServiceDetail;
use app::{AppError, jst_date, rfc3339};

pub async fn categories() -> Json<serde_json::Value> {
    Json(serde_json::json!(Category::ALL
        .iter()
        .map(|c| serde_json::json!({
            "code": c.code(),
            "label_ja": c.label(false),
            "label_en": c.label(true),
            "subcategories": c.subcategories().iter().map(|s| serde_json::json!({"code": s.code(), "label_ja": s.label(false), "label_en": s.label(true)})).collect::<Vec<_>>(),
            "pentest_option": c.allows_pentest_option(),
        }))
        .collect::<Vec<_>>()))
}

pub async fn services(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<serde_json::Value>, WebError> {
    let q = p.to_query(20).map_err(|e| ctx.err(e))?;
    let r = s.app.registry().public_list(&q).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({
        "total": r.total,
        "page": r.page,
        "per_page": r.per_page,
        "pages": r.pages(),
        "items": r.items.iter().map(item_json).collect::<Vec<_>>(),
        "category_counts": r.category_counts.iter().map(|(c, n)| (c.code().to_string(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
    })))
}

pub fn detail_json(d: &ServiceDetail) -> serde_json::Value {
    let s = &d.service;
    let a = &s.app;
    let mut v = serde_json::json!({
        "id": s.id,
        "name": a.name,
        "status": s.status.code(),
        "ledger_number": s.ledger_number,
        "provider": {"id": s.provider_org_id, "name": s.provider_name, "name_en": s.provider_name_en},
        "registration_body": {"id": s.body_org_id, "name": s.body_name, "name_en": s.body_name_en},
        "category": a.category.code(),
        "subcategory": a.subcategory.map(|x| x.code()),
        "pentest_option": a.pentest_option,
        "description": a.description,
        "specification": a.specification,
        "industries": a.industries,
        "regions": a.regions,
        "options": a.options,
        "price_min": a.price_min,
        "price_max": a.price_max,
        "listed_on": s.listed_at.map(jst_date),
        "valid_until": s.valid_until.map(jst_date),
        "qualifications": a.experts.iter().map(|e| e.qualification.clone()).collect::<Vec<_>>(),
        "version": s.version,
        "history": d.events.iter().map(|e| serde_json::json!({
            "at": rfc3339(e.at), "actor": e.actor_name, "action": e.action, "from": e.from_state, "to": e.to_state, "comment": e.comment
        })).collect::<Vec<_>>(),
    });
    if d.can.view_private {
        v["experts"] = serde_json::to_value(&a.experts).unwrap_or_default();
        v["quality_manager"] = a.quality_manager.clone().into();
        v["quality_manual_ref"] = a.quality_manual_ref.clone().into();
        v["improvement_procedure"] = a.improvement_procedure.clone().into();
        v["registration_body_id"] = a.registration_body.0.into();
        v["pending_change"] = serde_json::to_value(&s.pending_change).unwrap_or_default();
        v["checklist"] = serde_json::to_value(&d.checklist).unwrap_or_default();
        v["evidence"] = d
            .evidence
            .iter()
            .map(|e| serde_json::json!({"id": e.id, "filename": e.filename, "content_type": e.content_type, "size": e.size, "sha256": e.sha256}))
            .collect();
    }
    v
}

pub async fn service(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, WebError> {
    let d = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(detail_json(&d)))
}

#[derive(Deserialize)]
struct NewApplication {
    #[serde(default)]
    provider_org_id: Option<i64>,
    #[serde(flatten)]
    input: ApplicationInput,
}

pub async fn apply(ctx: Ctx, State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let n: NewApplication = json_body(&ctx, &body)?;
    let provider = n.provider_org_id.or_else(|| a.provider_orgs().next().map(|m| m.org_id)).unwrap_or(0);
    let id = s.app.registry().apply(a, provider, &n.input).await.map_err(|e| ctx.err(e))?;
    Ok((
        StatusCode::CREATED,
        [("location", format!("/api/v1/services/{id}"))],
        Json(serde_json::json!({"id": id, "status": "draft"})),
    )
        .into_response())
}

pub async fn update(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let input: ApplicationInput = json_body(&ctx, &body)?;
    s.app.registry().update_application(a, id, &input).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id})))
}

pub async fn submit(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let to = s.app.registry().submit(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id, "status": to.code()})))
}

pub async fn change(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let input: ApplicationInput = json_body(&ctx, &body)?;
    let to = s.app.registry().request_change(a, id, &input).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id, "status": to.code()})))
}

#[derive(Deserialize, Default)]
struct Reason {
    #[serde(default, alias = "reason")]
    comment: String,
}

fn reason(ctx: &Ctx, body: &[u8]) -> Result<Reason, WebError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) { Ok(Reason::default()) } else { json_body(ctx, body) }
}

pub async fn withdraw(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let r = reason(&ctx, &body)?;
    let to = s.app.registry().withdraw_own(a, id, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id, "status": to.code()})))
}

pub async fn decide(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, d)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let t = super::review::decision(&d).ok_or_else(|| ctx.err(AppError::NotFound))?;
    let r = reason(&ctx, &body)?;
    let d = s.app.registry().decide(a, id, t, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(
        serde_json::json!({"id": id, "status": d.status.code(), "ledger_number": d.ledger_number, "valid_until": d.valid_until.map(jst_date)}),
    ))
}

/// `POST /api/v1/applications/{id}/renew`: apply to renew (from 90 days before expiry).
pub async fn renew(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let r = reason(&ctx, &body)?;
    let to = s.app.registry().request_renewal(a, id, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id, "status": to.code()})))
}

pub async fn operate(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let t = match action.as_str() {
        "suspend" => Transition::Suspend,
        "reinstate" => Transition::Reinstate,
        "withdraw" => Transition::Withdraw,
        _ => return Err(ctx.err(AppError::NotFound)),
    };
    let r = reason(&ctx, &body)?;
    let to = s.app.registry().operate(a, id, t, &r.comment).await.map_err(|e| ctx.err(e))?;
    Ok(Json(serde_json::json!({"id": id, "status": to.code()})))
}

#[derive(Deserialize, Default)]
pub struct FileName {
    #[serde(default)]
    filename: String,
}

/// Raw body upload: `POST /api/v1/applications/{id}/evidence?filename=NAME`.
pub async fn upload_evidence(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(f): Query<FileName>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    if body.is_empty() {
        return Err(ctx.err(AppError::field("body", "ファイルの中身が空です", "The file is empty")));
    }
    let eid = s.app.registry().upload_evidence(a, id, &f.filename, &body).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": eid, "size": body.len()}))).into_response())
}

