//! Registration-body pages: the review queue and decisions.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::registry::Transition;

use super::provider::{MyRow, my_row};
use crate::AppState;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::forms::{CommentForm, decode};
use crate::kit::flash::see_other;
use crate::views::{Nav, render};
use app::AppError;
#[allow(unused_imports)]
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    nav: Nav,
    rows: Vec<MyRow>,
}

pub async fn queue(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let rows =
        s.app.registry().review_queue(a).await.map_err(|e| ctx.err(e))?.iter().map(|v| my_row(v, ctx.t)).collect();
    Ok(render(&ReviewPage { nav: Nav::new(&ctx, "審査待ちの申請", "Review queue", "review"), rows }))
}

/// Decision names in URLs.
pub fn decision(code: &str) -> Option<Transition> {
    Some(match code {
        "approve" => Transition::Approve,
        "return" => Transition::Return,
        "reject" => Transition::Reject,
        "approve-change" => Transition::ApproveChange,
        "reject-change" => Transition::RejectChange,
        "approve-renewal" => Transition::ApproveRenewal,
        "reject-renewal" => Transition::RejectRenewal,
        _ => return None,
    })
}

pub async fn decide(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, d)): Path<(ServiceId, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CommentForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let t = decision(&d).ok_or_else(|| ctx.err(AppError::NotFound))?;
    match s.app.registry().decide(a, id, t, &f.comment).await {
        // the message says what happened ("登録しました", not "処理しました")
        Ok(_) => Ok(see_other(&format!("/services/{id}"), t.code())),
        // a missing reason: the confirmation page again, with what was typed
        Err(AppError::Invalid(errs)) => {
            super::confirm::confirm_page(&ctx, &s, id, super::confirm::Ask::Review(t), &f.comment, &errs).await
        }
        Err(e) => Err(ctx.err(e)),
    }
}
