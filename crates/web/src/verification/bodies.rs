//! Verification bodies' applications over HTTP: the body's own page (`/my/body`: its standing,
//! the office's review and comments, the application form against the criteria) and the office's
//! list and review page (`/admin/bodies`, `/admin/bodies/{org}`: a verdict and note per
//! criterion, approval with a validity date, return, rejection, suspension, reinstatement).
//! Forms only, no JavaScript; a mistake shows the page again with what was typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::FieldError;
use domain::verification::ProductCategory;
use domain::verification::body::{BodyApplication, BodyState, BodyTransition, CRITERIA, CriterionReview};
use domain::verification::case::CaseKind;
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::Ctx;
use crate::forms::decode;
use crate::kit::flash::{done_message, see_other};
use crate::views::{FieldErrors, Nav, Opt, render};
use app::verification::bodies::{BodyDecision, BodyDetail};
use app::{AppError, jst_date, jst_datetime};

/// One criterion as the pages show it: code, group label, label, the body's answer, the
/// office's verdict and note.
pub struct CriterionView {
    pub code: &'static str,
    pub group: &'static str,
    pub label: &'static str,
    pub answer: String,
    pub met: bool,
    pub note: String,
    /// The first criterion of its group (the form puts the group's heading before it).
    pub first_of_group: bool,
}

fn criteria(
    t: crate::extract::T,
    app: &BodyApplication,
    review: &BTreeMap<String, CriterionReview>,
) -> Vec<CriterionView> {
    CRITERIA
        .iter()
        .enumerate()
        .map(|(i, (code, group, ja, en))| CriterionView {
            first_of_group: i == 0 || CRITERIA[i - 1].1 != *group,
            code,
            group: if *group == "technical" {
                t.s("技術的基準", "Technical")
            } else {
                t.s("組織的基準", "Organisational")
            },
            label: t.s(ja, en),
            answer: app.answers.get(*code).cloned().unwrap_or_default(),
            met: review.get(*code).is_some_and(|r| r.met),
            note: review.get(*code).map(|r| r.note.clone()).unwrap_or_default(),
        })
        .collect()
}

fn state_label(t: crate::extract::T, s: Option<BodyState>) -> (&'static str, &'static str) {
    match s {
        Some(s) => (s.code(), s.label(t.en)),
        None => ("none", t.s("未申請", "Not applied")),
    }
}

/// History rows: when, who, what, comment.
fn history(t: crate::extract::T, d: &BodyDetail) -> Vec<(String, String, &'static str, String)> {
    d.history
        .iter()
        .map(|h| {
            let what = BodyTransition::parse(&h.action).map(|x| x.label(t.en)).unwrap_or("");
            (jst_datetime(h.at), h.actor_name.clone(), what, h.comment.clone())
        })
        .collect()
}

/// The office's latest word to the body (a return, rejection or suspension reason).
fn latest_reason(d: &BodyDetail) -> Option<String> {
    d.history
        .iter()
        .rev()
        .find(|h| matches!(h.action.as_str(), "return" | "reject" | "suspend") && !h.comment.is_empty())
        .map(|h| h.comment.clone())
}

#[derive(Template)]
#[template(path = "body_apply.html")]
struct MyBodyPage {
    nav: Nav,
    flash: Option<&'static str>,
    name: String,
    state: &'static str,
    state_label: &'static str,
    valid_until: String,
    reason: Option<String>,
    can_apply: bool,
    kinds: Vec<Opt>,
    categories: Vec<Opt>,
    summary: String,
    criteria: Vec<CriterionView>,
    /// The office's review is shown once it has decided (returned, rejected, trusted, suspended).
    reviewed: bool,
    history: Vec<(String, String, &'static str, String)>,
    errors: FieldErrors,
}

fn my_body_page(ctx: &Ctx, d: &BodyDetail, typed: Option<&BodyApplication>, errs: &[FieldError]) -> MyBodyPage {
    let t = ctx.t;
    let app = typed.unwrap_or(&d.application);
    let (state, state_label) = state_label(t, d.state);
    MyBodyPage {
        nav: Nav::new(ctx, "検証機関としての申請", "Application as a verification body", "my_body"),
        flash: None,
        name: if t.en && !d.name_en.is_empty() { d.name_en.clone() } else { d.name.clone() },
        state,
        state_label,
        valid_until: d.view.as_ref().and_then(|v| v.row.valid_until).map(jst_date).unwrap_or_default(),
        reason: latest_reason(d),
        can_apply: d.actions.contains(&BodyTransition::Apply),
        kinds: CaseKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label(t.en), app.kinds.iter().any(|x| x == k.code())))
            .collect(),
        categories: ProductCategory::ALL
            .iter()
            .map(|c| Opt::new(c.code(), c.label(t.en), app.categories.iter().any(|x| x == c.code())))
            .collect(),
        summary: app.summary.clone(),
        criteria: criteria(t, app, &d.review),
        reviewed: !d.review.is_empty() && d.state != Some(BodyState::Applied),
        history: history(t, d),
        errors: FieldErrors::new(t, errs),
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

/// The body's own page: standing, the office's review, the application form.
pub async fn my_body(ctx: Ctx, State(s): State<AppState>, Query(q): Query<DoneQuery>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let d = s.app.verification().my_body(a).await.map_err(|e| ctx.err(e))?;
    let mut page = my_body_page(&ctx, &d, None, &[]);
    page.flash = done_message(ctx.t, &q.done);
    Ok(render(&page))
}

/// The application form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub people: String,
    #[serde(default)]
    pub tools: String,
    #[serde(default)]
    pub process: String,
    #[serde(default)]
    pub attack_data: String,
    #[serde(default)]
    pub manual: String,
    #[serde(default)]
    pub security: String,
}

impl ApplyForm {
    fn input(&self) -> BodyApplication {
        let answers = [
            ("people", &self.people),
            ("tools", &self.tools),
            ("process", &self.process),
            ("attack_data", &self.attack_data),
            ("manual", &self.manual),
            ("security", &self.security),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
        BodyApplication {
            kinds: self.kinds.clone(),
            categories: self.categories.clone(),
            summary: self.summary.clone(),
            answers,
        }
    }
}

/// The body applies; a mistake shows the form again with what was typed.
pub async fn apply(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: ApplyForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let input = f.input();
    match s.app.verification().apply_body(a, &input).await {
        Ok(_) => Ok(see_other("/my/body", "body_applied")),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().my_body(a).await.map_err(|e| ctx.err(e))?;
            let mut res = render(&my_body_page(&ctx, &d, Some(&input), &errs));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

pub struct BodyListRow {
    pub org_id: i64,
    pub name: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub scope: String,
    pub valid_until: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "admin_bodies.html")]
struct AdminBodiesPage {
    nav: Nav,
    rows: Vec<BodyListRow>,
}

/// The office's list of bodies, applications first.
pub async fn admin_list(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    let list = s.app.verification().bodies_for_office(a).await.map_err(|e| ctx.err(e))?;
    let rows = list
        .iter()
        .map(|b| {
            let (state, state_label) = state_label(t, BodyState::parse(&b.row.state));
            let kinds: Vec<&str> = b.kinds.iter().map(|k| k.label(t.en)).collect();
            let cats: Vec<&str> = b.categories.iter().map(|c| c.label(t.en)).collect();
            BodyListRow {
                org_id: b.row.org_id,
                name: if t.en && !b.row.name_en.is_empty() { b.row.name_en.clone() } else { b.row.name.clone() },
                state,
                state_label,
                scope: format!("{} / {}", kinds.join(t.s("、", ", ")), cats.join(t.s("、", ", "))),
                valid_until: b.row.valid_until.map(jst_date).unwrap_or_default(),
                updated: jst_date(b.row.updated_at),
            }
        })
        .collect();
    Ok(render(&AdminBodiesPage {
        nav: Nav::new(&ctx, "検証機関の審査", "Verification bodies", "admin_bodies"), rows
    }))
}

#[derive(Template)]
#[template(path = "admin_body.html")]
struct AdminBodyPage {
    nav: Nav,
    flash: Option<&'static str>,
    org_id: i64,
    name: String,
    state: &'static str,
    state_label: &'static str,
    valid_until: String,
    scope: String,
    summary: String,
    criteria: Vec<CriterionView>,
    /// (code, label, needs the review form, is a danger)
    actions: Vec<(&'static str, &'static str, bool, bool)>,
    reviewing: bool,
    history: Vec<(String, String, &'static str, String)>,
    errors: FieldErrors,
    f: DecideForm,
}

fn admin_body_page(ctx: &Ctx, d: &BodyDetail, f: DecideForm, errs: &[FieldError]) -> AdminBodyPage {
    let t = ctx.t;
    let (state, state_label) = state_label(t, d.state);
    let mut crit = criteria(t, &d.application, &d.review);
    // what the office typed comes back on a mistake
    if !f.action.is_empty() {
        for c in &mut crit {
            c.met = f.met.iter().any(|m| m == c.code);
            c.note = f.notes.get(c.code).cloned().unwrap_or_default();
        }
    }
    let kinds: Vec<&str> =
        d.application.kinds.iter().filter_map(|k| CaseKind::parse(k)).map(|k| k.label(t.en)).collect();
    let cats: Vec<&str> =
        d.application.categories.iter().filter_map(|c| ProductCategory::parse(c)).map(|c| c.label(t.en)).collect();
    AdminBodyPage {
        nav: Nav::new(ctx, &d.name, &d.name, "admin_bodies"),
        flash: None,
        org_id: d.org_id,
        name: if t.en && !d.name_en.is_empty() { d.name_en.clone() } else { d.name.clone() },
        state,
        state_label,
        valid_until: d.view.as_ref().and_then(|v| v.row.valid_until).map(jst_date).unwrap_or_default(),
        scope: format!("{} / {}", kinds.join(t.s("、", ", ")), cats.join(t.s("、", ", "))),
        summary: d.application.summary.clone(),
        criteria: crit,
        actions: d
            .actions
            .iter()
            .map(|a| {
                (
                    a.code(),
                    a.label(t.en),
                    matches!(a, BodyTransition::Approve | BodyTransition::Return | BodyTransition::Reject),
                    matches!(a, BodyTransition::Reject | BodyTransition::Suspend),
                )
            })
            .collect(),
        reviewing: d.state == Some(BodyState::Applied),
        history: history(t, d),
        errors: FieldErrors::new(t, errs),
        f,
    }
}

/// A body under the office's review.
pub async fn admin_body(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(org): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    if !a.is_program_operator() {
        return Err(ctx.err(AppError::Forbidden));
    }
    let d = s.app.verification().body_detail(a, org).await.map_err(|e| ctx.err(e))?;
    let mut page = admin_body_page(&ctx, &d, DecideForm::default(), &[]);
    page.flash = done_message(ctx.t, &q.done);
    Ok(render(&page))
}

/// The office's decision as posted: the action, a verdict per criterion (`met` lists those met,
/// `note_{code}` their notes), the validity date and the reason.
#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub met: Vec<String>,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub comment: String,
    #[serde(flatten)]
    pub rest: BTreeMap<String, String>,
    #[serde(skip)]
    pub notes: BTreeMap<String, String>,
}

/// The office decides; a mistake shows the page again with what was typed.
pub async fn admin_decide(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(org): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let mut f: DecideForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let t = BodyTransition::parse(f.action.trim())
        .ok_or_else(|| ctx.err(AppError::field("action", "操作を選択してください", "Choose an action")))?;
    f.notes = CRITERIA
        .iter()
        .filter_map(|c| f.rest.get(&format!("note_{}", c.0)).map(|n| (c.0.to_string(), n.clone())))
        .collect();
    let review = CRITERIA
        .iter()
        .map(|c| {
            (
                c.0.to_string(),
                CriterionReview {
                    met: f.met.iter().any(|m| m == c.0),
                    note: f.notes.get(c.0).cloned().unwrap_or_default(),
                },
            )
        })
        .collect();
    let input = BodyDecision { review, valid_until: f.valid_until.clone(), comment: f.comment.clone() };
    match s.app.verification().decide_body(a, org, t, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/bodies/{org}"), "body_decided")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let errs = match e {
                AppError::Invalid(errs) => errs,
                AppError::Conflict { ja, en } => vec![FieldError::new("criteria", ja, en)],
                _ => Vec::new(),
            };
            let d = s.app.verification().body_detail(a, org).await.map_err(|e| ctx.err(e))?;
            let status = if errs.iter().any(|e| e.field == "criteria") {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut res = render(&admin_body_page(&ctx, &d, f, &errs));
            *res.status_mut() = status;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}
