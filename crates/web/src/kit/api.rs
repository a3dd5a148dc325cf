//! The kit's JSON API: the caller, and the program office's job queue. Bodies are the API's own
//! types; their schemas and these paths are generated into the OpenAPI document.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, write_actor};
use app::AppError;
use app::jobs::{JobId, JobRow, JobsOverview};

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipBody {
    pub org_id: i64,
    /// vendor | sme | insurer | chamber | registration_body | verification_body | program_office
    pub kind: String,
    /// admin | member
    pub role: String,
    pub name: String,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeBody {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub program_operator: bool,
    pub memberships: Vec<MembershipBody>,
    /// The token's scopes; null for a browser session (every scope of the user).
    pub scopes: Option<Vec<String>>,
}

/// The caller (a token or a session).
#[utoipa::path(get, path = "/api/v1/me", tag = "platform", security(("bearer" = [])),
    responses((status = 200, body = MeBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn me(ctx: Ctx) -> Result<Json<MeBody>, WebError> {
    let a = ctx.require()?;
    Ok(Json(MeBody {
        id: a.user_id,
        name: a.name.clone(),
        email: a.email.clone(),
        program_operator: a.is_program_operator(),
        memberships: a
            .memberships
            .iter()
            .map(|m| MembershipBody {
                org_id: m.org_id,
                kind: m.kind.code().into(),
                role: m.role.code().into(),
                name: m.org_name.clone(),
            })
            .collect(),
        scopes: a.token_scopes.as_ref().map(|s| s.iter().map(|x| x.code().to_string()).collect()),
    }))
}

/// A job as the program office sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    pub id: i64,
    pub kind: String,
    /// queued | running | failed | dead | done | cancelled
    pub state: String,
    pub priority: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    /// RFC 3339, UTC
    pub run_at: String,
    pub created_at: String,
    pub last_error: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobsBody {
    /// Jobs per state.
    pub counts: std::collections::BTreeMap<String, i64>,
    pub jobs: Vec<JobBody>,
}

fn ms_rfc3339(ms: i64) -> String {
    app::rfc3339(ms.div_euclid(1000))
}

impl From<&JobRow> for JobBody {
    fn from(j: &JobRow) -> Self {
        JobBody {
            id: j.id.0,
            kind: j.kind.clone(),
            state: j.state.code().into(),
            priority: j.priority,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: ms_rfc3339(j.run_at),
            created_at: ms_rfc3339(j.created_at),
            last_error: j.last_error.clone(),
            idempotency_key: j.idempotency_key.clone(),
        }
    }
}

impl From<&JobsOverview> for JobsBody {
    fn from(o: &JobsOverview) -> Self {
        JobsBody {
            counts: o.counts.iter().map(|(s, n)| (s.code().to_string(), *n)).collect(),
            jobs: o.jobs.iter().map(JobBody::from).collect(),
        }
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// queued | running | failed | dead | done | cancelled | all (default)
    #[serde(default)]
    state: String,
    /// At most this many jobs, newest first (1 to 1000, default 100).
    #[serde(default)]
    limit: Option<i64>,
}

/// Program office: jobs and counts per state.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "platform", params(JobsQuery), security(("bearer" = [])),
    responses((status = 200, body = JobsBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn jobs(ctx: Ctx, State(s): State<AppState>, Query(q): Query<JobsQuery>) -> Result<Json<JobsBody>, WebError> {
    let a = ctx.require()?;
    s.app.may_see_jobs(a).map_err(|e| ctx.err(e))?;
    let state = super::pages::parse_state(&ctx, &q.state)?;
    let o = s.app.jobs_overview(a, state, q.limit.unwrap_or(100).clamp(1, 1000)).await.map_err(|e| ctx.err(e))?;
    Ok(Json(JobsBody::from(&o)))
}

/// Program office: retry (failed, dead, cancelled) or cancel (queued, failed) a job.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/{action}", tag = "platform",
    params(("id" = i64, Path), ("action" = String, Path, description = "retry | cancel")), security(("bearer" = [])),
    responses((status = 200, body = JobBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn job_action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(JobId, String)>,
    headers: HeaderMap,
) -> Result<Json<JobBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    match action.as_str() {
        "retry" => s.app.retry_job(a, id).await,
        "cancel" => s.app.cancel_job(a, id).await,
        _ => Err(AppError::NotFound),
    }
    .map_err(|e| ctx.err(e))?;
    let job = s.app.job(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(JobBody::from(&job)))
}
