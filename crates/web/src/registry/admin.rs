//! Program-office pages: overview, surveillance, suspension, revocation, expiry sweep.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::registry::{ServiceStatus, Transition};
use serde::Deserialize;

use super::provider::{MyRow, my_row};
use crate::AppState;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::forms::{CommentForm, CsrfOnly, decode};
use crate::kit::flash::DoneParam;
use crate::kit::flash::see_other;
use crate::views::{Nav, render};
use app::{AppError, jst_date};
#[allow(unused_imports)]
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    nav: Nav,
    done: Option<&'static str>,
    counts: Vec<(String, i64)>,
    open: Vec<(i64, String, String, String)>,
    expiring: Vec<MyRow>,
    registered: Vec<MyRow>,
    outbox: i64,
    sweep: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SweepParam {
    #[serde(default)]
    r90: Option<usize>,
    #[serde(default)]
    r30: Option<usize>,
    #[serde(default)]
    exp: Option<usize>,
}

pub async fn overview(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(d): Query<DoneParam>,
    Query(sw): Query<SweepParam>,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let o = s.app.registry().operator_overview(a).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    let sweep = match (sw.r90, sw.r30, sw.exp) {
        (Some(a), Some(b), Some(c)) => Some(format!(
            "{}: 90{} {a} / 30{} {b} / {} {c}",
            t.s("結果", "Result"),
            t.s("日前通知", "-day reminders"),
            t.s("日前通知", "-day reminders"),
            t.s("期限切れ", "expired")
        )),
        _ => None,
    };
    Ok(render(&AdminPage {
        nav: Nav::new(&ctx, "制度運用", "Program office", "admin"),
        done: crate::kit::flash::done_message(t, &d.done),
        counts: o
            .counts
            .iter()
            .map(|(c, n)| (ServiceStatus::parse(c).map(|s| s.label(t.en)).unwrap_or("?").to_string(), *n))
            .collect(),
        open: o
            .open
            .iter()
            .map(|(x, v)| (v.id, v.app.name.clone(), x.period.clone(), jst_date(x.noticed_at)))
            .collect(),
        expiring: o.expiring.iter().map(|v| my_row(v, t)).collect(),
        registered: o.registered.iter().map(|v| my_row(v, t)).collect(),
        outbox: o.outbox_pending,
        sweep,
    }))
}

pub async fn operate(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(ServiceId, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CommentForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let t = operation(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    match s.app.registry().operate(a, id, t, &f.comment).await {
        Ok(_) => {
            Ok(see_other(&format!("/services/{id}"), if t == Transition::Withdraw { "revoked" } else { t.code() }))
        }
        // a missing reason: the confirmation page again, with what was typed
        Err(AppError::Invalid(errs)) => {
            super::confirm::confirm_page(&ctx, &s, id, super::confirm::Ask::Operate(t), &f.comment, &errs).await
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// The office's operations in URLs (`withdraw` is the revocation of a registration).
pub fn operation(code: &str) -> Option<Transition> {
    Some(match code {
        "suspend" => Transition::Suspend,
        "reinstate" => Transition::Reinstate,
        "withdraw" => Transition::Withdraw,
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub struct SurveillanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    notice: String,
}

pub async fn start_surveillance(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: SurveillanceForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.registry().start_surveillance(a, id, &f.period, &f.notice).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/services/{id}"), "surveillance"))
}

#[derive(Deserialize, Default)]
pub struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

pub async fn record_surveillance(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(sid): Path<SurveillanceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: OutcomeForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.registry().record_surveillance(a, sid, &f.outcome, &f.note).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/admin", "surveillance"))
}

pub async fn sweep(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let r = s.app.registry().sweep_as(a).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/admin?r90={}&r30={}&exp={}", r.reminders_90, r.reminders_30, r.expired), "swept"))
}

#[derive(Deserialize, Default)]
pub struct SampleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    notice: String,
}

/// Samples listed services for surveillance in a period and gives each notice.
pub async fn sample(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: SampleForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let count = f.count.trim().parse::<usize>().map_err(|_| {
        ctx.err(AppError::field("count", "件数を数字で入力してください", "Give the number of services"))
    })?;
    s.app.registry().sample_surveillance(a, count, &f.period, &f.notice).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/admin", "surveillance"))
}
