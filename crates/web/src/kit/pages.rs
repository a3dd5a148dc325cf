//! Pages of the shared kit: the operator's job queue and each user's notification settings
//! (language, e-mail per kind, the organisation's webhooks and their delivery log).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::flash::DoneParam;
use super::flash::see_other;
use crate::AppState;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::forms::{CsrfOnly, decode};
use crate::views::{Nav, render};
use app::jobs::{JobId, JobState};
use app::{AppError, jst_datetime};

pub struct JobLine {
    pub id: i64,
    pub kind: String,
    pub state: &'static str,
    pub attempts: String,
    pub run_at: String,
    pub error: String,
    pub can_retry: bool,
    pub can_cancel: bool,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    nav: Nav,
    done: Option<&'static str>,
    counts: Vec<(&'static str, i64)>,
    filter: String,
    jobs: Vec<JobLine>,
}

#[derive(Deserialize, Default)]
pub struct JobsParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    done: String,
}

/// The `state` filter of the job list (page and API): empty or `all` for every state.
pub(crate) fn parse_state(ctx: &Ctx, s: &str) -> Result<Option<JobState>, WebError> {
    if s.is_empty() || s == "all" {
        return Ok(None);
    }
    JobState::parse(s).map(Some).ok_or_else(|| {
        ctx.err(AppError::field(
            "state",
            "状態は queued, running, failed, dead, done, cancelled のいずれかです",
            "state is one of queued, running, failed, dead, done, cancelled",
        ))
    })
}

fn ms_time(ms: i64) -> String {
    jst_datetime(ms / 1000)
}

pub async fn jobs(ctx: Ctx, State(s): State<AppState>, Query(p): Query<JobsParams>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    s.app.may_see_jobs(a).map_err(|e| ctx.err(e))?;
    let state = parse_state(&ctx, &p.state)?;
    let o = s.app.jobs_overview(a, state, 200).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    Ok(render(&JobsPage {
        nav: Nav::new(&ctx, "ジョブ", "Jobs", "admin"),
        done: match p.done.as_str() {
            "retried" => Some(t.s("再実行を予約しました。", "The job will run again.")),
            "cancelled" => Some(t.s("取り消しました。", "The job was cancelled.")),
            _ => None,
        },
        counts: o.counts.iter().map(|(s, n)| (s.code(), *n)).collect(),
        filter: state.map(|s| s.code().to_string()).unwrap_or_default(),
        jobs: o
            .jobs
            .iter()
            .map(|j| JobLine {
                id: j.id.0,
                kind: j.kind.clone(),
                state: j.state.code(),
                attempts: format!("{}/{}", j.attempts, j.max_attempts),
                run_at: ms_time(j.run_at),
                error: j.last_error.clone().unwrap_or_default(),
                can_retry: matches!(j.state, JobState::Failed | JobState::Dead | JobState::Cancelled),
                can_cancel: matches!(j.state, JobState::Queued | JobState::Failed),
            })
            .collect(),
    }))
}

pub async fn job_action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(JobId, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match action.as_str() {
        "retry" => s.app.retry_job(a, id).await.map_err(|e| ctx.err(e))?,
        "cancel" => s.app.cancel_job(a, id).await.map_err(|e| ctx.err(e))?,
        _ => return Err(ctx.err(AppError::NotFound)),
    }
    Ok(see_other("/admin/jobs", if action == "retry" { "retried" } else { "cancelled" }))
}

pub struct KindPref {
    pub code: &'static str,
    pub label: &'static str,
    pub on: bool,
}

pub struct HookLine {
    pub id: i64,
    pub url: String,
    pub enabled: bool,
    pub failures: i64,
    pub reason: String,
}

pub struct DeliveryLine {
    pub at: String,
    pub kind: String,
    pub channel: String,
    pub target: i64,
    pub state: String,
    pub attempts: i64,
    pub status: String,
    pub error: String,
}

pub struct OrgHooks {
    pub org_id: i64,
    pub org_name: String,
    pub hooks: Vec<HookLine>,
    pub log: Vec<DeliveryLine>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    nav: Nav,
    done: Option<&'static str>,
    lang_en: bool,
    kinds: Vec<KindPref>,
    smtp: bool,
    orgs: Vec<OrgHooks>,
    new_secret: Option<String>,
    errors: Vec<(String, String)>,
    url_value: String,
}

async fn notifications_page(
    ctx: &Ctx,
    s: &AppState,
    done: Option<&'static str>,
    new_secret: Option<String>,
    errors: Vec<(String, String)>,
    url_value: String,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let st = s.app.notification_settings(a).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    Ok(render(&NotificationsPage {
        nav: Nav::new(ctx, "通知の設定", "Notification settings", "account"),
        done,
        lang_en: st.lang == "en",
        kinds: app::notify::EMAIL_KINDS
            .iter()
            .map(|(code, ja, en)| KindPref { code, label: t.s(ja, en), on: !st.email_off.iter().any(|k| k == code) })
            .collect(),
        smtp: st.smtp_configured,
        orgs: st
            .webhooks
            .into_iter()
            .map(|(org, hooks, log)| OrgHooks {
                org_id: org.id,
                org_name: if t.en && !org.name_en.is_empty() { org.name_en } else { org.name },
                hooks: hooks
                    .into_iter()
                    .map(|w| HookLine {
                        id: w.id,
                        url: w.url,
                        enabled: w.enabled,
                        failures: w.consecutive_failures,
                        reason: w.disabled_reason.unwrap_or_default(),
                    })
                    .collect(),
                log: log
                    .into_iter()
                    .map(|d| DeliveryLine {
                        at: jst_datetime(d.updated_at),
                        kind: d.kind,
                        channel: d.channel,
                        target: d.target,
                        state: d.state,
                        attempts: d.attempts,
                        status: d.status_code.map(|c| c.to_string()).unwrap_or_default(),
                        error: d.last_error.unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        new_secret,
        errors,
        url_value,
    }))
}

pub async fn notifications(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(d): Query<DoneParam>,
) -> Result<Response, WebError> {
    let done = match d.done.as_str() {
        "saved" => Some(ctx.t.s("保存しました。", "Saved.")),
        "webhook" => Some(ctx.t.s("Webhook を更新しました。", "The webhook was updated.")),
        _ => None,
    };
    notifications_page(&ctx, &s, done, None, Vec::new(), String::new()).await
}

pub async fn save_prefs(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|_| ctx.err(AppError::field("body", "フォームを読み取れません", "The form could not be read")))?;
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    let a = ctx.check_write(csrf)?;
    let lang = pairs.iter().find(|(k, _)| k == "lang").map(|(_, v)| v.as_str()).unwrap_or("ja");
    let on: Vec<String> = pairs.iter().filter(|(k, _)| k == "email").map(|(_, v)| v.clone()).collect();
    s.app.set_notification_prefs(a, lang, &on).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/account/notifications", "saved"))
}

#[derive(Deserialize, Default)]
pub struct WebhookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    url: String,
}

pub async fn add_webhook(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: WebhookForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let org = domain::OrgId(f.org.trim().parse().map_err(|_| ctx.err(AppError::NotFound))?);
    match s.app.add_webhook(a, org, &f.url).await {
        Ok((_, secret)) => {
            let done = Some(ctx.t.s(
                "Webhook を追加しました。署名用の秘密鍵は今回だけ表示します。",
                "The webhook was added. The signing secret is shown only this once.",
            ));
            let mut r = notifications_page(&ctx, &s, done, Some(secret), Vec::new(), String::new()).await?;
            // The signing secret is on this page once: keep it out of every cache.
            r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(AppError::Invalid(fields)) => {
            let errors = fields.iter().map(|e| (e.field.to_string(), ctx.t.s(&e.ja, &e.en).to_string())).collect();
            let mut r = notifications_page(&ctx, &s, None, None, errors, f.url.clone()).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

pub async fn webhook_action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(domain::WebhookId, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match action.as_str() {
        "enable" => s.app.set_webhook_enabled(a, id, true).await,
        "disable" => s.app.set_webhook_enabled(a, id, false).await,
        "delete" => s.app.delete_webhook(a, id).await,
        _ => Err(AppError::NotFound),
    }
    .map_err(|e| ctx.err(e))?;
    Ok(see_other("/account/notifications", "webhook"))
}
