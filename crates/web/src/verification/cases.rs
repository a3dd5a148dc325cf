//! Verification cases and trusted bodies over HTTP: the public list of trusted bodies, the case
//! list of those involved, a case page with its plan, claims table, history and the actions the
//! viewer may take (forms, no JavaScript), the vendor's request form, and the JSON API.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldError;
use domain::verification::ProductId;
use domain::verification::case::{CaseId, CaseKind, CasePlan, CaseTransition, Decision, LIFECYCLE_STAGES};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, json_body, write_actor};
use crate::forms::decode;
use crate::kit::flash::{done_message, see_other};
use crate::views::{FieldErrors, Nav, Opt, csv_safe, document, render};
use app::verification::cases::{BodyView, CaseDetail, CaseStepInput, CaseView};
use app::{AppError, jst_date, jst_datetime};

pub struct BodyRowView {
    pub name: String,
    pub kinds: String,
    pub categories: String,
    pub valid_until: String,
    pub summary: String,
}

fn body_row(t: crate::extract::T, b: &BodyView) -> BodyRowView {
    BodyRowView {
        name: if t.en && !b.row.name_en.is_empty() { b.row.name_en.clone() } else { b.row.name.clone() },
        kinds: b.kinds.iter().map(|k| k.label(t.en)).collect::<Vec<_>>().join(t.s("、", ", ")),
        categories: b.categories.iter().map(|c| c.label(t.en)).collect::<Vec<_>>().join(t.s("、", ", ")),
        valid_until: b.row.valid_until.map(jst_date).unwrap_or_default(),
        summary: b.row.summary.clone(),
    }
}

#[derive(Template)]
#[template(path = "bodies.html")]
struct BodiesPage {
    nav: Nav,
    rows: Vec<BodyRowView>,
}

/// The public list of trusted verification bodies with their scopes.
pub async fn bodies(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let list = s.app.verification().trusted_bodies().await.map_err(|e| ctx.err(e))?;
    Ok(render(&BodiesPage {
        nav: Nav::new(&ctx, "信頼された検証機関", "Trusted verification bodies", "products"),
        rows: list.iter().map(|b| body_row(ctx.t, b)).collect(),
    }))
}

pub struct CaseRowView {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    pub body: String,
    pub updated: String,
}

pub fn case_row(t: crate::extract::T, c: &CaseView) -> CaseRowView {
    CaseRowView {
        id: c.row.id,
        title: c.row.title.clone(),
        kind: c.kind.label(t.en),
        state: c.state.code(),
        state_label: c.state.label(t.en),
        body: if t.en && !c.row.body_name_en.is_empty() { c.row.body_name_en.clone() } else { c.row.body_name.clone() },
        updated: jst_date(c.row.updated_at),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    nav: Nav,
    rows: Vec<CaseRowView>,
}

/// The cases the viewer is involved in.
pub async fn cases(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let list = s.app.verification().my_cases(a).await.map_err(|e| ctx.err(e))?;
    Ok(render(&CasesPage {
        nav: Nav::new(&ctx, "検証案件", "Verification cases", "cases"),
        rows: list.iter().map(|c| case_row(ctx.t, c)).collect(),
    }))
}

/// An evidence file as the case page lists it.
pub struct EvidenceRowView {
    pub id: i64,
    pub kind: &'static str,
    pub filename: String,
    pub size: String,
    pub uploaded: String,
    /// none | queued | running | done | failed
    pub state: &'static str,
    pub state_label: &'static str,
    pub progress: Option<u8>,
    pub error: String,
    pub note: String,
    pub summary: String,
    pub report: bool,
}

/// A capture finding as the case page lists it.
pub struct CaptureRowView {
    pub severity: &'static str,
    pub kind: String,
    pub protocol: String,
    pub endpoints: String,
    pub packets: String,
    pub first_seen: String,
    pub detail: String,
}

/// The case page's evidence section.
#[derive(Default)]
pub struct EvidencePageView {
    pub involved: bool,
    pub can_add: bool,
    pub busy: bool,
    pub rows: Vec<EvidenceRowView>,
    pub captures: Vec<CaptureRowView>,
}

fn human_size(n: i64) -> String {
    let n = n as f64;
    match n {
        n if n >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GiB", n / (1024.0 * 1024.0 * 1024.0)),
        n if n >= 1024.0 * 1024.0 => format!("{:.1} MiB", n / (1024.0 * 1024.0)),
        n if n >= 1024.0 => format!("{:.1} KiB", n / 1024.0),
        n => format!("{n} B"),
    }
}

/// The evidence section of a case for the viewer (empty for those not involved).
pub async fn evidence_view(ctx: &Ctx, s: &AppState, id: CaseId) -> Result<EvidencePageView, WebError> {
    let t = ctx.t;
    let ev = s.app.verification().case_evidence(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let rows = ev
        .files
        .iter()
        .map(|e| {
            let state = match e.row.analysis_state.as_deref() {
                Some("queued") => "queued",
                Some("running") => "running",
                Some("done") => "done",
                Some("failed") => "failed",
                _ => "none",
            };
            let state_label = match state {
                "queued" => t.s("解析待ち", "Queued"),
                "running" => t.s("解析中", "Analysing"),
                "done" => t.s("解析済み", "Analysed"),
                "failed" => t.s("解析失敗", "Analysis failed"),
                _ => t.s("保管", "Kept"),
            };
            let n = |k: &str| e.summary.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let summary = match (state, e.kind) {
                ("done", domain::verification::case::EvidenceKind::Sbom) => format!(
                    "{} {} / {} {}",
                    n("components"),
                    t.s("コンポーネント", "components"),
                    n("findings"),
                    t.s("件の脆弱性", "vulnerabilities")
                ),
                ("done", domain::verification::case::EvidenceKind::Firmware) => format!(
                    "{} {} / {} {} / {} {}",
                    n("files"),
                    t.s("ファイル", "files"),
                    n("components"),
                    t.s("コンポーネント", "components"),
                    n("findings"),
                    t.s("件の検出", "findings")
                ),
                ("done", domain::verification::case::EvidenceKind::Capture) => format!(
                    "{} {} / {} {}",
                    n("packets"),
                    t.s("パケット", "packets"),
                    n("findings"),
                    t.s("件の検出", "findings")
                ),
                _ => String::new(),
            };
            EvidenceRowView {
                id: e.row.id,
                kind: e.kind.label(t.en),
                filename: e.row.filename.clone(),
                size: human_size(e.row.size),
                uploaded: jst_datetime(e.row.uploaded_at),
                state,
                state_label,
                progress: e.progress,
                error: e.row.analysis_error.clone().unwrap_or_default(),
                note: e.row.note.clone(),
                summary,
                report: e.row.report_sha256.is_some(),
            }
        })
        .collect();
    let captures = ev
        .capture_findings
        .iter()
        .map(|f| CaptureRowView {
            severity: domain::verification::SEVERITIES.iter().find(|s| **s == f.severity).copied().unwrap_or("unknown"),
            kind: f.kind.clone(),
            protocol: f.protocol.clone(),
            endpoints: format!("{} → {}", f.src, f.dst),
            packets: f.packets.replace(',', ", "),
            first_seen: jst_datetime(f.first_seen_ms / 1000),
            detail: f.detail.clone(),
        })
        .collect();
    Ok(EvidencePageView {
        involved: ev.involved,
        can_add: ev.can_add,
        busy: ev.files.iter().any(|e| e.busy()),
        rows,
        captures,
    })
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    nav: Nav,
    flash: Option<&'static str>,
    d: CaseDetail,
    row: CaseRowView,
    decision: String,
    stages: Vec<(String, bool)>,
    history: Vec<(String, String, String, String)>,
    actions: Vec<(&'static str, &'static str, bool)>,
    needs_plan: bool,
    decisions: Vec<Opt>,
    stage_opts: Vec<Opt>,
    tester_opts: Vec<Opt>,
    errors: FieldErrors,
    f: StepForm,
    /// The testers' findings: (finding link, label, title, severity code, severity label, score, state).
    findings: Vec<(String, String, String, &'static str, String, String, &'static str)>,
    nf: domain::verification::case::ManualFindingInput,
    /// Evidence files the finding being entered points to.
    nf_evidence: Vec<i64>,
    /// A trial's observations: (when, who, organisation, text).
    notes: Vec<(String, String, String, String)>,
    /// The host's consent: who and when, if given.
    host_consent: Option<(String, String)>,
    pub ev: EvidencePageView,
    /// The evidence form as typed, and its mistakes.
    pub evf: super::evidence::EvidenceForm,
    pub ev_errors: FieldErrors,
    evidence_kinds: Vec<Opt>,
    /// The observation form's mistakes and text.
    note_errors: FieldErrors,
    note_typed: String,
}

pub fn case_page(ctx: &Ctx, d: CaseDetail, flash: Option<&'static str>, f: StepForm, errs: &[FieldError]) -> CasePage {
    let t = ctx.t;
    let row = case_row(t, &d.case);
    CasePage {
        nav: Nav::new(ctx, &d.case.row.title, &d.case.row.title, "cases"),
        flash,
        decision: d.case.decision.map(|x| x.label(t.en)).unwrap_or("").to_string(),
        stages: LIFECYCLE_STAGES
            .iter()
            .map(|(code, ja, en)| (t.s(ja, en).to_string(), d.case.plan.stages.iter().any(|s| s == code)))
            .collect(),
        history: d
            .history
            .iter()
            .map(|h| {
                let to = domain::verification::case::CaseState::parse(&h.to_state).map(|s| s.label(t.en)).unwrap_or("");
                (jst_datetime(h.at), h.actor_name.clone(), to.to_string(), h.comment.clone())
            })
            .collect(),
        actions: d
            .actions
            .iter()
            .map(|a| {
                (
                    a.code(),
                    a.label(t.en),
                    matches!(a, CaseTransition::Decide | CaseTransition::Withdraw | CaseTransition::Cancel),
                )
            })
            .collect(),
        needs_plan: d.actions.contains(&CaseTransition::Scope),
        decisions: Decision::ALL.iter().map(|x| Opt::new(x.code(), x.label(t.en), x.code() == f.decision)).collect(),
        tester_opts: d
            .body_members
            .iter()
            .map(|(id, name)| {
                Opt::new(id.to_string(), name.clone(), f.testers.iter().any(|t| t.trim() == id.to_string()))
            })
            .collect(),
        stage_opts: LIFECYCLE_STAGES
            .iter()
            .map(|(c, ja, en)| Opt::new(*c, t.s(ja, en), f.stages.iter().any(|s| s == c)))
            .collect(),
        errors: FieldErrors::new(t, errs),
        findings: d
            .findings
            .iter()
            .map(|x| {
                let sev =
                    domain::verification::SEVERITIES.iter().find(|s| **s == x.severity).copied().unwrap_or("unknown");
                (
                    format!("/products/{}/findings/{}", d.case.row.product_id, x.id),
                    x.advisory_id.clone(),
                    x.summary.clone(),
                    sev,
                    x.severity.clone(),
                    x.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                    domain::verification::TriageState::parse(&x.state).map(|s| s.label(t.en)).unwrap_or(""),
                )
            })
            .collect(),
        nf: Default::default(),
        nf_evidence: Vec::new(),
        notes: d
            .notes
            .iter()
            .map(|n| (jst_datetime(n.created_at), n.author_name.clone(), n.org_name.clone(), n.body.clone()))
            .collect(),
        host_consent: d.case.consents.host.as_ref().map(|c| (c.by.clone(), jst_datetime(c.at))),
        ev: EvidencePageView::default(),
        evf: Default::default(),
        ev_errors: FieldErrors::default(),
        note_errors: FieldErrors::default(),
        note_typed: String::new(),
        evidence_kinds: domain::verification::case::EvidenceKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label(t.en), false))
            .collect(),
        row,
        f,
        d,
    }
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    pub done: String,
}

/// A case: plan, claims, decision, history, and the viewer's actions (404 to those not involved
/// unless published).
pub async fn case(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> Result<Response, WebError> {
    let d = s.app.verification().case_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let mut page = case_page(&ctx, d, done_message(ctx.t, &q.done), StepForm::default(), &[]);
    page.ev = evidence_view(&ctx, &s, id).await?;
    Ok(render(&page))
}

/// A step's form as posted (the plan fields are used by `scope`, the decision by `decide`).
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub time_windows: String,
    #[serde(default)]
    pub allowed_techniques: String,
    #[serde(default)]
    pub out_of_scope: String,
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub host_org_id: String,
    #[serde(default)]
    pub trial_from: String,
    #[serde(default)]
    pub trial_until: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub devices: String,
    #[serde(default)]
    pub testers: Vec<String>,
}

impl StepForm {
    fn input(&self) -> CaseStepInput {
        CaseStepInput {
            plan: Some(CasePlan {
                scope: self.scope.clone(),
                time_windows: self.time_windows.clone(),
                allowed_techniques: self.allowed_techniques.clone(),
                out_of_scope: self.out_of_scope.clone(),
                stages: self.stages.clone(),
                host_org_id: self.host_org_id.trim().parse().ok(),
                trial_from: self.trial_from.clone(),
                trial_until: self.trial_until.clone(),
                method: self.method.clone(),
                devices: self
                    .devices
                    .split([',', ' ', '\n'])
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect(),
                testers: self.testers.iter().filter_map(|t| t.trim().parse().ok()).collect(),
                claims: Vec::new(),
            }),
            decision: self.decision.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// A step from the case page's forms; a mistake shows the page again with what was typed.
pub async fn step(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(CaseId, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: StepForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let t = CaseTransition::parse(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    match s.app.verification().case_step(a, id, t, &f.input()).await {
        Ok(_) => Ok(see_other(&format!("/cases/{}", id.0), "case_step")),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().case_detail(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let mut page = case_page(&ctx, d, None, f, &errs);
            page.ev = evidence_view(&ctx, &s, id).await?;
            let mut res = render(&page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// A tester's finding from the case page's form (a mistake shows the page again, input kept).
pub async fn add_finding(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|_| ctx.err(AppError::field("body", "フォームを読み取れません", "The form could not be read")))?;
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let a = ctx.check_write(Some(&field("csrf")))?;
    let input = domain::verification::case::ManualFindingInput {
        title: field("title"),
        description: field("description"),
        vector: field("vector"),
        reproduction: field("reproduction"),
    };
    let evidence: Vec<i64> =
        pairs.iter().filter(|(k, _)| k == "evidence").filter_map(|(_, v)| v.trim().parse().ok()).collect();
    let f = NewFindingForm { input, evidence };
    match s.app.verification().add_manual_finding(a, id, &f.input, &f.evidence).await {
        Ok(_) => Ok(see_other(&format!("/cases/{}", id.0), "finding_added")),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().case_detail(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let mut page = case_page(&ctx, d, None, StepForm::default(), &errs);
            page.nf = f.input;
            page.nf_evidence = f.evidence;
            page.ev = evidence_view(&ctx, &s, id).await?;
            let mut res = render(&page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// A tester's finding as posted from the case page.
struct NewFindingForm {
    input: domain::verification::case::ManualFindingInput,
    evidence: Vec<i64>,
}

/// A tester's finding created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManualFindingCreated {
    pub id: i64,
    /// KH-C{case}-{n}
    pub advisory_id: String,
}

/// A tester's finding in the API.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ManualFindingBody {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// CVSS v3.0, v3.1 or v4.0 vector; the score and severity are computed.
    #[serde(default)]
    pub vector: String,
    #[serde(default)]
    pub reproduction: String,
    /// Ids of the case's evidence files that show it.
    #[serde(default)]
    pub evidence: Vec<i64>,
}

/// Record a tester's finding in a case being tested (the assigned body).
#[utoipa::path(post, path = "/api/v1/cases/{id}/findings", tag = "verification", params(("id" = i64, Path)),
    request_body = ManualFindingBody, security(("bearer" = [])),
    responses((status = 201, body = ManualFindingCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_add_finding(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ManualFindingCreated>), WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: ManualFindingBody = json_body(&ctx, &headers, &body)?;
    let input = domain::verification::case::ManualFindingInput {
        title: b.title,
        description: b.description,
        vector: b.vector,
        reproduction: b.reproduction,
    };
    let (fid, label) =
        s.app.verification().add_manual_finding(a, id, &input, &b.evidence).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(ManualFindingCreated { id: fid, advisory_id: label })))
}

/// A trial's observation from the case page (a mistake shows the page again, text kept).
pub async fn add_observation(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: crate::forms::NoteForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.verification().add_observation(a, id, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{}?done=observation#observations", id.0)).into_response()),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().case_detail(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let mut page = case_page(&ctx, d, None, StepForm::default(), &[]);
            page.note_errors = FieldErrors::new(ctx.t, &errs);
            page.note_typed = f.note;
            page.ev = evidence_view(&ctx, &s, id).await?;
            let mut res = render(&page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// The trial host's consent to publishing the track record.
pub async fn consent(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: crate::forms::CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.verification().consent_trial(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/cases/{}", id.0), "consented"))
}

/// A case's findings (its version's scans and its testers') as CSV.
pub async fn case_findings_csv(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
) -> Result<Response, WebError> {
    let d = s.app.verification().case_report(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(super::pages::findings_csv_of(&d, &format!("case-{}-findings.csv", id.0)))
}

/// A case's findings as SARIF 2.1.0.
pub async fn case_findings_sarif(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
) -> Result<Response, WebError> {
    let d = s.app.verification().case_report(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let doc = app::verification::Verification::sarif_doc(&d);
    Ok(document("application/sarif+json", "inline", &format!("case-{}.sarif.json", id.0), doc.to_string()))
}

/// A case's printable report (Japanese or English).
pub async fn case_report(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let d = s.app.verification().case_report(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(super::pages::report_of(&ctx, &s, d))
}

/// A case's findings (its version's scans and its testers', as the caller may see them) as
/// CycloneDX 1.5 VEX.
#[utoipa::path(get, path = "/api/v1/cases/{id}/vex", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, description = "CycloneDX 1.5 JSON with vulnerabilities[].analysis.state"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_case_vex(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let d = s.app.verification().case_report(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let doc = s.app.verification().vex_doc(&d);
    Ok(document("application/vnd.cyclonedx+json", "inline", &format!("case-{}.cdx.json", id.0), doc.to_string()))
}

/// A case's findings as CSAF 2.0 VEX (`lang=en` for English).
#[utoipa::path(get, path = "/api/v1/cases/{id}/csaf", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, description = "CSAF 2.0 VEX JSON"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_case_csaf(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let d = s.app.verification().case_report(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let doc = s.app.verification().csaf_doc(&d, ctx.t.en, Some(id.0));
    Ok(document("application/json", "inline", &format!("case-{}.csaf.json", id.0), doc.to_string()))
}

/// The claims table as CSV (those who may see the case).
pub async fn claims_csv(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let d = s.app.verification().case_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record([t.s("主張", "Claim"), t.s("試験の根拠", "Test evidence"), t.s("結果", "Result")]);
    for c in &d.case.plan.claims {
        let _ = w.write_record([csv_safe(&c.claim), csv_safe(&c.evidence), c.result.clone()]);
    }
    let body = w.into_inner().unwrap_or_default();
    Ok(document("text/csv; charset=utf-8", "attachment", &format!("case-{}-claims.csv", id.0), body))
}

/// The claims table as posted: `evidence` and `result` once per claim, in order.
pub async fn record_claims(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body)
        .map_err(|_| ctx.err(AppError::field("body", "フォームを読み取れません", "The form could not be read")))?;
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    let a = ctx.check_write(csrf)?;
    let evidence: Vec<&String> = pairs.iter().filter(|(k, _)| k == "evidence").map(|(_, v)| v).collect();
    let results: Vec<&String> = pairs.iter().filter(|(k, _)| k == "result").map(|(_, v)| v).collect();
    let claims: Vec<(String, String)> =
        evidence.iter().zip(results.iter()).map(|(e, r)| ((*e).clone(), (*r).clone())).collect();
    s.app.verification().record_claims(a, id, &claims).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/cases/{}", id.0), "saved"))
}

/// The vendor's request form (on the product page).
#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub body_org_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub note: String,
}

pub async fn request(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: RequestForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let kind = CaseKind::parse(f.kind.trim()).ok_or_else(|| {
        ctx.err(AppError::field("kind", "検証の種類を選択してください", "Choose a kind of verification"))
    })?;
    let body_org = f.body_org_id.trim().parse::<i64>().unwrap_or(0);
    let version = Some(f.version.trim()).filter(|v| !v.is_empty());
    let case =
        s.app.verification().request_case(a, id, version, body_org, kind, &f.note).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/cases/{}", case.0), "case_requested"))
}

/// A case in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBody {
    pub id: i64,
    pub product_id: i64,
    pub version: Option<String>,
    pub body_org_id: i64,
    /// effectiveness | trial | white_hat
    pub kind: String,
    /// requested | scoped | in_progress | findings_review | decided | published | withdrawn | cancelled
    pub state: String,
    pub title: String,
    /// pass | conditional | fail
    pub decision: Option<String>,
    pub decision_reason: String,
    #[schema(value_type = Object)]
    pub plan: serde_json::Value,
    /// The transitions the caller may take now.
    pub actions: Vec<String>,
    pub history: Vec<CaseEventBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseEventBody {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub to_state: String,
    pub comment: String,
}

fn case_body(d: &CaseDetail) -> CaseBody {
    let c = &d.case;
    CaseBody {
        id: c.row.id,
        product_id: c.row.product_id,
        version: c.row.version.clone(),
        body_org_id: c.row.body_org_id,
        kind: c.kind.code().into(),
        state: c.state.code().into(),
        title: c.row.title.clone(),
        decision: c.decision.map(|x| x.code().into()),
        decision_reason: c.row.decision_reason.clone(),
        // the device's addresses are for those involved
        // the device's addresses, the testers and the host are for those involved
        plan: serde_json::to_value(if d.involved {
            c.plan.clone()
        } else {
            CasePlan { devices: Vec::new(), testers: Vec::new(), host_org_id: None, ..c.plan.clone() }
        })
        .unwrap_or_default(),
        actions: d.actions.iter().map(|a| a.code().to_string()).collect(),
        history: d
            .history
            .iter()
            .filter(|_| d.involved)
            .map(|h| CaseEventBody {
                at: app::rfc3339(h.at),
                actor: h.actor_name.clone(),
                action: h.action.clone(),
                to_state: h.to_state.clone(),
                comment: h.comment.clone(),
            })
            .collect(),
    }
}

/// One case (those involved; everyone once published).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, body = CaseBody), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_case(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Json<CaseBody>, WebError> {
    let d = s.app.verification().case_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(case_body(&d)))
}

/// A step's body in the API.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CaseStepBody {
    /// The reason (required for decide, withdraw and cancel).
    #[serde(default)]
    pub comment: String,
    /// For decide: pass | conditional | fail.
    #[serde(default)]
    pub decision: String,
    /// For scope: the plan (scope, time_windows, allowed_techniques, out_of_scope, stages,
    /// host_org_id, trial_from, trial_until, method, claims, devices).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub plan: Option<serde_json::Value>,
}

/// Move a case: scope, start, submit_findings, resume, decide, publish, withdraw, cancel.
#[utoipa::path(post, path = "/api/v1/cases/{id}/{action}", tag = "verification",
    params(("id" = i64, Path), ("action" = String, Path)), request_body = CaseStepBody, security(("bearer" = [])),
    responses((status = 200, body = CaseBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_step(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(CaseId, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CaseBody>, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: CaseStepBody = json_body(&ctx, &headers, &body)?;
    let t = CaseTransition::parse(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    let plan = match b.plan {
        Some(v) => Some(serde_json::from_value::<CasePlan>(v).map_err(|e| {
            ctx.err(AppError::field(
                "plan",
                &format!("計画を読み取れません: {e}"),
                &format!("The plan could not be read: {e}"),
            ))
        })?),
        None => None,
    };
    let input = CaseStepInput { plan, decision: b.decision, comment: b.comment };
    s.app.verification().case_step(a, id, t, &input).await.map_err(|e| ctx.err(e))?;
    let d = s.app.verification().case_detail(Some(a), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(case_body(&d)))
}

/// A verification request.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CaseRequestBody {
    #[serde(default)]
    pub body_org_id: i64,
    /// effectiveness | trial | white_hat
    #[serde(default)]
    pub kind: String,
    /// A version of the product (optional).
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Request a verification of a product by a trusted body (the product's vendor).
#[utoipa::path(post, path = "/api/v1/products/{id}/cases", tag = "verification", params(("id" = i64, Path)),
    request_body = CaseRequestBody, security(("bearer" = [])),
    responses((status = 201, body = CaseBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_request(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CaseBody>), WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: CaseRequestBody = json_body(&ctx, &headers, &body)?;
    let kind = CaseKind::parse(b.kind.trim()).ok_or_else(|| {
        ctx.err(AppError::field("kind", "検証の種類が正しくありません", "Unknown kind of verification"))
    })?;
    let v = s.app.verification();
    let case =
        v.request_case(a, id, b.version.as_deref(), b.body_org_id, kind, &b.note).await.map_err(|e| ctx.err(e))?;
    let d = v.case_detail(Some(a), case).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(case_body(&d))))
}
