//! The kit's JSON API: the caller, and the program office's job queue.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, write_actor};
use app::AppError;

pub async fn me(ctx: Ctx) -> Result<Json<serde_json::Value>, WebError> {
    let a = ctx.require()?;
    Ok(Json(serde_json::json!({
        "id": a.user_id,
        "name": a.name,
        "email": a.email,
        "program_operator": a.is_program_operator(),
        "memberships": a.memberships.iter().map(|m| serde_json::json!({"org_id": m.org_id, "kind": m.kind.code(), "role": m.role.code(), "name": m.org_name})).collect::<Vec<_>>(),
        "scopes": a.token_scopes.as_ref().map(|s| s.iter().map(|x| x.code()).collect::<Vec<_>>()),
    })))
}

#[derive(Deserialize, Default)]
pub struct JobsQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /api/v1/admin/jobs?state=failed&limit=100` (program operator).
pub async fn jobs(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<JobsQuery>,
) -> Result<Json<crate::openapi::JobsBody>, WebError> {
    let a = ctx.require()?;
    let state = if q.state.is_empty() || q.state == "all" {
        None
    } else {
        Some(app::jobs::JobState::parse(&q.state).ok_or_else(|| {
            ctx.err(AppError::field(
                "state",
                "状態は queued, running, failed, dead, done, cancelled のいずれかです",
                "state is one of queued, running, failed, dead, done, cancelled",
            ))
        })?)
    };
    let o = s.app.jobs_overview(a, state, q.limit.unwrap_or(100).clamp(1, 1000)).await.map_err(|e| ctx.err(e))?;
    Ok(Json(crate::openapi::JobsBody::from(&o)))
}

/// `POST /api/v1/admin/jobs/{id}/retry|cancel`.
pub async fn job_action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<Json<crate::openapi::JobBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let id = app::jobs::JobId(id);
    match action.as_str() {
        "retry" => s.app.retry_job(a, id).await,
        "cancel" => s.app.cancel_job(a, id).await,
        _ => Err(AppError::NotFound),
    }
    .map_err(|e| ctx.err(e))?;
    let job = s.app.job(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(crate::openapi::JobBody::from(&job)))
}
