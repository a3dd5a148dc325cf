//! Provider pages: my applications, the application form (new, edit, change request),
//! submission, evidence upload and withdrawal.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::FieldError;
use domain::registry::{
    ApplicationError, ApplicationInput, Category, INDUSTRIES, REGIONS, ServiceApplication, code_label,
};

use super::public::{action_label, status_label};
use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, T};
use crate::forms::{ApplicationForm, CommentForm, CsrfOnly, decode, read_parts};
use crate::kit::flash::see_other;
use crate::views::{FieldErrors, Nav, Opt, render};
use app::registry::{Permissions, SURVEILLANCE_OUTCOMES, ServiceDetail, ServiceView};
use app::{AppError, jst_date, jst_datetime};
#[allow(unused_imports)]
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub comment: String,
}

pub struct SurvView {
    pub id: i64,
    pub period: String,
    pub notice: String,
    pub noticed: String,
    pub outcome: String,
    pub note: String,
    pub open: bool,
}

/// Everything the service page shows, in the page language.
pub struct DetailView {
    pub id: i64,
    /// Where the page sits: the public list for a listed service, else the viewer's own page
    /// (review queue, program office, applications): (link, label, menu entry).
    pub crumb: (&'static str, &'static str, &'static str),
    pub name: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub ledger: String,
    pub provider: String,
    pub body: String,
    pub category: String,
    pub subcategory: String,
    pub pentest: bool,
    pub description: String,
    pub specification: String,
    pub experts: Vec<(String, String, String)>,
    pub quality_manager: String,
    pub quality_manual_ref: String,
    pub improvement_procedure: String,
    pub industries: String,
    pub regions: String,
    pub options: String,
    pub price: String,
    pub listed: String,
    pub valid_until: String,
    /// A change under review, field by field in words: (field, current, proposed), only the
    /// fields that change.
    pub pending: Option<Vec<(&'static str, String, String)>>,
    pub events: Vec<EventView>,
    /// id, file name, size, uploaded, the engine's analysis (empty when none)
    pub evidence: Vec<(i64, String, String, String, String)>,
    pub surveillances: Vec<SurvView>,
    pub checklist: Vec<(String, String, bool)>,
    pub can: Permissions,
    pub outcomes: Vec<Opt>,
    /// The office's operations valid now: (URL code, button label, cannot be undone).
    pub operations: Vec<(&'static str, &'static str, bool)>,
    /// What the provider should do next, at the top of the page.
    pub next: Option<Banner>,
}

/// A next-step banner: what happened, the words that came with it, what to do, and the action.
pub struct Banner {
    pub title: &'static str,
    pub detail: String,
    pub todo: String,
    pub action: Option<(String, &'static str)>,
    /// A warning (returned, suspended, rejected, expired) rather than a reminder.
    pub warn: bool,
}

fn banner(step: &app::registry::NextStep, id: i64, t: T) -> Banner {
    use app::registry::NextStep as N;
    match step {
        N::Draft { unmet } => Banner {
            title: t.s("下書きです", "This is a draft"),
            detail: String::new(),
            todo: if *unmet > 0 {
                if t.en {
                    format!("{unmet} requirement(s) of the checklist below are not met yet. Complete the application and attach evidence, then submit it for review.")
                } else {
                    format!("下のチェックリストに未充足の要件が {unmet} 件あります。申請内容を補い、根拠資料を添付してから審査を申請してください。")
                }
            } else {
                t.s("要件はすべて満たしています。内容を確認して審査を申請してください。", "Every requirement is met. Check the application and submit it for review.").into()
            },
            action: Some((
                if *unmet > 0 { format!("/my/services/{id}/edit") } else { format!("/my/services/{id}/submit") },
                if *unmet > 0 { t.s("申請内容を編集", "Edit the application") } else { t.s("内容を確認して申請", "Check and submit") },
            )),
            warn: false,
        },
        N::Correct { comment } => Banner {
            title: t.s("差し戻されました", "Returned for corrections"),
            detail: comment.clone(),
            todo: t.s("審査登録機関のコメントに沿って申請内容を直し、もう一度審査を申請してください。", "Correct the application as the registration body's comments ask, then submit it again.").into(),
            action: Some((format!("/my/services/{id}/edit"), t.s("申請内容を編集", "Edit the application"))),
            warn: true,
        },
        N::Rejected { reason } => Banner {
            title: t.s("申請は却下されました", "The application was rejected"),
            detail: reason.clone(),
            todo: t.s("この申請は終了しました。理由を踏まえて、新しく申請することができます。", "This application is closed. You may start a new application that addresses the reasons.").into(),
            action: Some(("/my/services/new".into(), t.s("新しく申請する", "Start a new application"))),
            warn: true,
        },
        N::Suspended { reason } => Banner {
            title: t.s("登録は一時停止されています", "The registration is suspended"),
            detail: reason.clone(),
            todo: t.s("理由に沿って是正し、制度事務局に報告してください。停止が解除されるまで、一覧には現在の登録として表示されません。", "Correct what the reason names and report to the program office; until it reinstates the service, the list does not show it as a current registration.").into(),
            action: Some(("/contact".into(), t.s("制度事務局への連絡先", "How to reach the program office"))),
            warn: true,
        },
        N::Surveillance { period, notice } => Banner {
            title: t.s("サーベイランスの通知があります", "A surveillance notice is open"),
            detail: notice.clone(),
            todo: if t.en {
                format!("Prepare the records the notice asks for and answer the program office within the period ({period}).")
            } else {
                format!("通知の内容に沿って記録を用意し、実施期間（{period}）内に制度事務局の確認に対応してください。")
            },
            action: None,
            warn: false,
        },
        N::Renew { valid_until } => Banner {
            title: t.s("更新の申請ができます", "You can apply to renew"),
            detail: String::new(),
            todo: if t.en {
                format!("The registration is valid until {}. Apply to renew now: the listing stays while the renewal is reviewed, and approval adds two years with no gap.", app::jst_date(*valid_until))
            } else {
                format!("登録の有効期限は {} です。いま更新を申請すると、審査の間も掲載が続き、承認されると空白なく2年延長されます。", app::jst_date(*valid_until))
            },
            action: Some(("#renew-comment".into(), t.s("更新の申請へ", "Go to the renewal form"))),
            warn: false,
        },
        N::Expired { valid_until } => Banner {
            title: t.s("登録の有効期限が切れました", "The registration has expired"),
            detail: String::new(),
            todo: if t.en {
                format!("It ended on {}. To be listed again, start a new application.", app::jst_date(*valid_until))
            } else {
                format!("{} で有効期限が切れました。再び掲載するには、新しく申請してください。", app::jst_date(*valid_until))
            },
            action: Some(("/my/services/new".into(), t.s("新しく申請する", "Start a new application"))),
            warn: true,
        },
    }
}

/// One line saying what an engine found in an evidence file.
fn analysis_line(a: &app::AnalysisRow, t: T) -> String {
    let v: serde_json::Value = serde_json::from_str(&a.summary).unwrap_or_default();
    let n = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    let counts = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_object())
            .map(|m| m.iter().map(|(k, c)| format!("{k} {c}")).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    match (a.state.as_str(), a.engine.as_str()) {
        ("queued", _) => t.s("解析中…（再読み込みで結果を表示）", "Being analysed… (reload for the result)").into(),
        ("failed", _) => {
            format!("{}: {}", t.s("解析できませんでした", "Could not be analysed"), a.error.clone().unwrap_or_default())
        }
        (_, "sbom") if v.get("index").and_then(|x| x.as_bool()) != Some(true) => format!(
            "SBOM（{}）: {} {}{}",
            v.get("format").and_then(|x| x.as_str()).unwrap_or(""),
            t.s("部品", "components"),
            n("components"),
            t.s("（脆弱性データベースが未設定のため照合していません）", " (no advisory index configured: not matched)")
        ),
        (_, "sbom") => {
            let top: Vec<String> = v
                .get("top")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .take(3)
                        .map(|f| {
                            format!(
                                "{} ({} {}, {})",
                                f["id"].as_str().unwrap_or(""),
                                f["package"].as_str().unwrap_or(""),
                                f["version"].as_str().unwrap_or(""),
                                f["severity"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "SBOM（{}）: {} {}, {} {}{}{}",
                v.get("format").and_then(|x| x.as_str()).unwrap_or(""),
                t.s("部品", "components"),
                n("components"),
                t.s("既知の脆弱性", "known vulnerabilities"),
                n("findings"),
                if n("findings") > 0 { format!(" [{}]", counts("by_severity")) } else { String::new() },
                if top.is_empty() { String::new() } else { format!(": {}", top.join("; ")) }
            )
        }
        _ => format!(
            "{}: {} {}, {} {}{}",
            t.s("通信キャプチャ", "Capture"),
            n("packets"),
            t.s("パケット", "packets"),
            t.s("指摘", "findings"),
            n("findings"),
            if n("findings") > 0 { format!(" [{}]", counts("by_kind")) } else { String::new() }
        ),
    }
}

fn labels(codes: &[String], list: domain::registry::CodeList, t: T) -> String {
    codes.iter().filter_map(|c| code_label(list, c, t.en)).collect::<Vec<_>>().join(t.s("、", ", "))
}

fn yen(v: Option<i64>) -> String {
    v.map(|v| {
        let s = v.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    })
    .unwrap_or_default()
}

/// An application's fields as the service page shows them, with their names in the page's
/// language: what a change request is compared on (in words, never `price_max`).
/// The price range in words: "1,000 〜 5,000 円", or "on request".
fn price_text(a: &ServiceApplication, t: T) -> String {
    match (a.price_min, a.price_max) {
        (None, None) => t.s("要見積もり", "On request").to_string(),
        (lo, hi) => format!("{} 〜 {} {}", yen(lo), yen(hi), t.s("円", "JPY")),
    }
}

fn shown_fields(a: &ServiceApplication, t: T) -> Vec<(&'static str, String)> {
    let price = price_text(a, t);
    let experts = a
        .experts
        .iter()
        .map(|e| {
            format!(
                "{} — {}（{}）",
                e.name,
                e.qualification,
                e.expires_on.as_deref().unwrap_or(t.s("期限なし", "no expiry"))
            )
        })
        .collect::<Vec<_>>()
        .join("、");
    let yes_no = |b: bool| t.s(if b { "あり" } else { "なし" }, if b { "yes" } else { "no" }).to_string();
    vec![
        (t.s("サービス名", "Name"), a.name.clone()),
        (t.s("区分", "Category"), a.category.label(t.en).to_string()),
        (t.s("細区分", "Sub-category"), a.subcategory.map(|x| x.label(t.en)).unwrap_or("").to_string()),
        (t.s("ペネトレーションテスト", "Penetration testing"), yes_no(a.pentest_option)),
        (t.s("サービス概要", "Description"), a.description.clone()),
        (t.s("サービス仕様", "Specification"), a.specification.clone()),
        (t.s("資格を持つ専門家", "Qualified experts"), experts),
        (t.s("品質管理責任者", "Quality manager"), a.quality_manager.clone()),
        (t.s("品質マニュアル", "Quality manual"), a.quality_manual_ref.clone()),
        (t.s("改善手順", "Improvement procedure"), a.improvement_procedure.clone()),
        (t.s("得意業種", "Industries"), labels(&a.industries, INDUSTRIES, t)),
        (t.s("対応地域", "Regions"), labels(&a.regions, REGIONS, t)),
        (t.s("オプション", "Options"), a.options.clone()),
        (t.s("価格帯", "Price range"), price),
    ]
}

impl DetailView {
    pub fn new(d: &ServiceDetail, t: T) -> Self {
        let s = &d.service;
        let a = &s.app;
        let price = price_text(a, t);
        DetailView {
            id: s.id,
            name: a.name.clone(),
            crumb: if s.status.is_public() && s.ledger_number.is_some() {
                ("/services", t.s("登録サービス一覧", "Registered services"), "services")
            } else if d.can.review || d.can.review_change || d.can.review_renewal {
                ("/review", t.s("審査", "Review"), "review")
            } else if d.can.operate {
                ("/admin", t.s("制度運用", "Program office"), "admin")
            } else {
                ("/my", t.s("申請・登録管理", "My applications"), "my")
            },
            status: s.status.code(),
            status_label: s.status.label(t.en),
            ledger: s.ledger_number.clone().unwrap_or_default(),
            provider: if t.en && !s.provider_name_en.is_empty() {
                s.provider_name_en.clone()
            } else {
                s.provider_name.clone()
            },
            body: if t.en && !s.body_name_en.is_empty() { s.body_name_en.clone() } else { s.body_name.clone() },
            category: a.category.label(t.en).into(),
            subcategory: a.subcategory.map(|x| x.label(t.en)).unwrap_or("").into(),
            pentest: a.pentest_option,
            description: a.description.clone(),
            specification: a.specification.clone(),
            experts: a
                .experts
                .iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        e.qualification.clone(),
                        e.expires_on.clone().unwrap_or_else(|| t.s("期限なし", "No expiry").into()),
                    )
                })
                .collect(),
            quality_manager: a.quality_manager.clone(),
            quality_manual_ref: a.quality_manual_ref.clone(),
            improvement_procedure: a.improvement_procedure.clone(),
            industries: labels(&a.industries, INDUSTRIES, t),
            regions: labels(&a.regions, REGIONS, t),
            options: a.options.clone(),
            price,
            listed: s.listed_at.map(jst_date).unwrap_or_default(),
            valid_until: s.valid_until.map(jst_date).unwrap_or_default(),
            pending: s.pending_change.as_ref().filter(|_| d.can.view_private).map(|p| {
                shown_fields(a, t)
                    .into_iter()
                    .zip(shown_fields(p, t))
                    .filter(|((_, old), (_, new))| old != new)
                    .map(|((label, old), (_, new))| (label, old, new))
                    .collect()
            }),
            events: d
                .events
                .iter()
                .map(|e| EventView {
                    at: jst_datetime(e.at),
                    actor: e.actor_name.clone(),
                    action: action_label(&e.action, t),
                    from: e.from_state.as_deref().map(|f| status_label(f, t)).unwrap_or("").into(),
                    to: status_label(&e.to_state, t).into(),
                    comment: e.comment.clone(),
                })
                .collect(),
            evidence: d
                .evidence
                .iter()
                .map(|e| {
                    let analysis = d
                        .analyses
                        .iter()
                        .filter(|a| a.subject_id == e.id)
                        .map(|a| analysis_line(a, t))
                        .collect::<Vec<_>>()
                        .join(" / ");
                    (
                        e.id,
                        e.filename.clone(),
                        format!("{} KiB", (e.size + 1023) / 1024),
                        jst_datetime(e.uploaded_at),
                        analysis,
                    )
                })
                .collect(),
            surveillances: d
                .surveillances
                .iter()
                .map(|x| SurvView {
                    id: x.id,
                    period: x.period.clone(),
                    notice: x.notice.clone(),
                    noticed: jst_date(x.noticed_at),
                    outcome: x
                        .outcome
                        .as_deref()
                        .and_then(|o| SURVEILLANCE_OUTCOMES.iter().find(|(c, _, _)| *c == o))
                        .map(|(_, ja, en)| t.s(ja, en).to_string())
                        .unwrap_or_else(|| t.s("実施中", "In progress").into()),
                    note: x.outcome_note.clone(),
                    open: x.completed_at.is_none(),
                })
                .collect(),
            checklist: d
                .checklist
                .iter()
                .map(|c| {
                    (
                        t.s(
                            if c.group == "technical" { "技術" } else { "品質" },
                            if c.group == "technical" { "Technical" } else { "Quality" },
                        )
                        .into(),
                        t.s(c.ja, c.en).into(),
                        c.ok,
                    )
                })
                .collect(),
            // only the office's operations valid for the service as it is now
            operations: d
                .office_operations()
                .into_iter()
                .map(|x| match x {
                    domain::registry::Transition::Suspend => (x.code(), t.s("一時停止…", "Suspend…"), false),
                    domain::registry::Transition::Reinstate => (x.code(), t.s("停止解除…", "Reinstate…"), false),
                    _ => (x.code(), t.s("登録取消…", "Revoke…"), true),
                })
                .collect(),
            next: d.next_step().map(|n| banner(&n, s.id, t)),
            can: d.can.clone(),
            outcomes: SURVEILLANCE_OUTCOMES.iter().map(|(c, ja, en)| Opt::new(*c, t.s(ja, en), false)).collect(),
        }
    }
}

pub struct MyRow {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub ledger: String,
    pub valid_until: String,
    pub updated: String,
}

pub fn my_row(s: &ServiceView, t: T) -> MyRow {
    MyRow {
        id: s.id,
        name: s.app.name.clone(),
        category: s.app.category.label(t.en).into(),
        status: s.status.code(),
        status_label: s.status.label(t.en),
        ledger: s.ledger_number.clone().unwrap_or_default(),
        valid_until: s.valid_until.map(jst_date).unwrap_or_default(),
        updated: jst_datetime(s.updated_at),
    }
}

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    nav: Nav,
    rows: Vec<MyRow>,
    notifications: Vec<(String, String, String)>,
}

pub async fn my_services(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    if a.provider_orgs().next().is_none() {
        return Err(ctx.err(AppError::Forbidden));
    }
    let rows =
        s.app.registry().my_services(a).await.map_err(|e| ctx.err(e))?.iter().map(|v| my_row(v, ctx.t)).collect();
    let notifications = s
        .app
        .notifications_for(a, 20)
        .await
        .map_err(|e| ctx.err(e))?
        .into_iter()
        .map(|n| (jst_datetime(n.created_at), if ctx.t.en { n.subject_en } else { n.subject_ja }, n.link))
        .collect();
    Ok(render(&MyPage { nav: Nav::new(&ctx, "申請・登録管理", "My applications", "my"), rows, notifications }))
}

/// The application form page (new, edit, change request).
#[derive(Template)]
#[template(path = "application_form.html")]
pub struct FormPage {
    nav: Nav,
    heading: String,
    action: String,
    intro: String,
    f: ApplicationForm,
    errors: FieldErrors,
    providers: Vec<Opt>,
    bodies: Vec<Opt>,
    categories: Vec<Opt>,
    subcategories: Vec<(String, Vec<Opt>)>,
    industries: Vec<Opt>,
    regions: Vec<Opt>,
    experts: Vec<(String, String, String)>,
    lock_body: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    New,
    Edit(ServiceId),
    Change(ServiceId),
}

async fn form_page(
    ctx: &Ctx,
    s: &AppState,
    mode: Mode,
    f: ApplicationForm,
    errors: &[FieldError],
) -> Result<FormPage, WebError> {
    let t = ctx.t;
    let a = ctx.require()?;
    let bodies = s.app.registry().registration_bodies().await.map_err(|e| ctx.err(e))?;
    let (heading, action, intro) = match mode {
        Mode::New => (
            t.s("サービスの登録申請", "Apply for a service"),
            "/my/services".to_string(),
            t.s(
                "サービスごとに申請します。保存すると下書きになり、根拠資料を添付してから申請できます。",
                "Apply for each service separately. Saving creates a draft; attach evidence, then submit.",
            ),
        ),
        Mode::Edit(id) => (
            t.s("申請内容の編集", "Edit application"),
            format!("/my/services/{id}/edit"),
            t.s("下書きまたは差戻しの申請を編集できます。", "Drafts and returned applications can be edited."),
        ),
        Mode::Change(id) => (
            t.s("変更申請", "Change request"),
            format!("/my/services/{id}/change"),
            t.s(
                "登録済みサービスの変更は再審査されます。承認されるまで現在の内容が掲載されます。",
                "Changes to a listed service are re-reviewed; the current listing stays until approval.",
            ),
        ),
    };
    let mut experts: Vec<(String, String, String)> = (0..f.expert_name.len().max(f.expert_qualification.len()))
        .map(|i| {
            (
                f.expert_name.get(i).cloned().unwrap_or_default(),
                f.expert_qualification.get(i).cloned().unwrap_or_default(),
                f.expert_expires_on.get(i).cloned().unwrap_or_default(),
            )
        })
        .collect();
    while experts.len() < 3 {
        experts.push(Default::default());
    }
    let sub_opts = subcategory_groups(t, &f.category, &f.subcategory);
    Ok(FormPage {
        nav: Nav::new(ctx, heading, heading, "my"),
        heading: heading.into(),
        action,
        intro: intro.into(),
        errors: FieldErrors::new(t, errors),
        providers: a
            .provider_orgs()
            .map(|m| Opt::new(m.org_id.to_string(), &m.org_name, m.org_id.to_string() == f.provider_org_id))
            .collect(),
        bodies: bodies
            .iter()
            .map(|b| {
                Opt::new(
                    b.id.to_string(),
                    if t.en { &b.name_en } else { &b.name },
                    b.id.to_string() == f.registration_body_id,
                )
            })
            .collect(),
        categories: Category::ALL.iter().map(|c| Opt::new(c.code(), c.label(t.en), c.code() == f.category)).collect(),
        subcategories: sub_opts,
        industries: INDUSTRIES
            .iter()
            .map(|(c, ja, en)| Opt::new(*c, t.s(ja, en), f.industries.iter().any(|x| x == c)))
            .collect(),
        regions: REGIONS
            .iter()
            .map(|(c, ja, en)| Opt::new(*c, t.s(ja, en), f.regions.iter().any(|x| x == c)))
            .collect(),
        experts,
        lock_body: matches!(mode, Mode::Change(_)),
        f,
    })
}

async fn render_form(
    ctx: &Ctx,
    s: &AppState,
    mode: Mode,
    f: ApplicationForm,
    err: AppError,
) -> Result<Response, WebError> {
    let (status, errors) = match err {
        AppError::Invalid(errs) => (StatusCode::UNPROCESSABLE_ENTITY, errs),
        AppError::UnknownCategory(c) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError::new("category", format!("不明なサービス区分です: {c}"), format!("Unknown category: {c}"))],
        ),
        AppError::Conflict { ja, en } => (StatusCode::CONFLICT, vec![FieldError::new("name", ja, en)]),
        other => return Err(ctx.err(other)),
    };
    let page = form_page(ctx, s, mode, f, &errors).await?;
    let mut res = render(&page);
    *res.status_mut() = status;
    Ok(res)
}

/// Format errors found while decoding, plus the domain's own field errors, so the user sees
/// every problem at once.
fn with_domain_errors(input: &ApplicationInput, mut errs: Vec<FieldError>) -> AppError {
    if let Err(ApplicationError::Fields(f)) = ServiceApplication::parse(input) {
        errs.extend(f.into_iter().filter(|e| !errs.iter().any(|x| x.field == e.field)).collect::<Vec<_>>());
    }
    AppError::Invalid(errs)
}

pub async fn new_form(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    if a.provider_orgs().next().is_none() {
        return Err(ctx.err(AppError::Forbidden));
    }
    Ok(render(&form_page(&ctx, &s, Mode::New, ApplicationForm::default(), &[]).await?))
}

/// Decodes an application form, checking Origin and CSRF first.
fn read_form(ctx: &Ctx, body: &[u8]) -> Result<(ApplicationForm, ApplicationInput, Vec<FieldError>), WebError> {
    let f: ApplicationForm = decode(body).map_err(|e| ctx.err(e))?;
    ctx.check_write(Some(&f.csrf))?;
    let (input, errs) = f.to_input();
    Ok((f, input, errs))
}

pub async fn create(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let (f, input, errs) = read_form(&ctx, &body)?;
    let a = ctx.require()?;
    let provider = f
        .provider_org_id
        .trim()
        .parse::<i64>()
        .ok()
        .or_else(|| a.provider_orgs().next().map(|m| m.org_id))
        .unwrap_or(0);
    if !errs.is_empty() {
        return render_form(&ctx, &s, Mode::New, f, with_domain_errors(&input, errs)).await;
    }
    match s.app.registry().apply(a, domain::OrgId(provider), &input).await {
        Ok(id) => Ok(see_other(&format!("/services/{id}"), "created")),
        Err(e) => render_form(&ctx, &s, Mode::New, f, e).await,
    }
}

pub async fn edit_form(ctx: Ctx, State(s): State<AppState>, Path(id): Path<ServiceId>) -> Result<Response, WebError> {
    let d = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    if !d.can.edit {
        return Err(ctx.err(AppError::Forbidden));
    }
    let f = ApplicationForm::from_input(&d.service.app.to_input());
    Ok(render(&form_page(&ctx, &s, Mode::Edit(id), f, &[]).await?))
}

pub async fn edit(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (f, input, errs) = read_form(&ctx, &body)?;
    let a = ctx.require()?;
    if !errs.is_empty() {
        return render_form(&ctx, &s, Mode::Edit(id), f, with_domain_errors(&input, errs)).await;
    }
    match s.app.registry().update_application(a, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/services/{id}"), "saved")),
        Err(e) => render_form(&ctx, &s, Mode::Edit(id), f, e).await,
    }
}

pub async fn change_form(ctx: Ctx, State(s): State<AppState>, Path(id): Path<ServiceId>) -> Result<Response, WebError> {
    let d = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    if !d.can.request_change {
        return Err(ctx.err(AppError::Forbidden));
    }
    let f = ApplicationForm::from_input(&d.service.app.to_input());
    Ok(render(&form_page(&ctx, &s, Mode::Change(id), f, &[]).await?))
}

pub async fn change(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (f, input, errs) = read_form(&ctx, &body)?;
    let a = ctx.require()?;
    if !errs.is_empty() {
        return render_form(&ctx, &s, Mode::Change(id), f, with_domain_errors(&input, errs)).await;
    }
    match s.app.registry().request_change(a, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/services/{id}"), "change")),
        Err(e @ (AppError::Transition(_) | AppError::Forbidden | AppError::NotFound)) => Err(ctx.err(e)),
        Err(e) => render_form(&ctx, &s, Mode::Change(id), f, e).await,
    }
}

pub async fn submit(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.registry().submit(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/services/{id}"), "submitted"))
}

pub async fn withdraw(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CommentForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.registry().withdraw_own(a, id, &f.comment).await {
        Ok(_) => Ok(see_other(&format!("/services/{id}"), "withdrawn")),
        Err(AppError::Invalid(errs)) => {
            super::confirm::confirm_page(&ctx, &s, id, super::confirm::Ask::Withdraw, &f.comment, &errs).await
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// The provider applies to renew a registration whose renewal window is open.
pub async fn renew(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CommentForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.registry().request_renewal(a, id, &f.comment).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/services/{id}"), "renewal"))
}

/// Multipart upload: the CSRF field and one file. The body limit is enforced by the router
/// (413 before anything is read past it) and again by the use case.
pub async fn upload_evidence(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut parts = read_parts(&ctx, &s, &mut mp, &[("file", "evidence")]).await?;
    let a = ctx.check_write(Some(parts.text("csrf")))?;
    let result = match parts.take_file("file") {
        Some((name, data)) => s.app.registry().upload_evidence(a, id, &name, &data).await.map(|_| ()),
        None => Err(AppError::field(
            "file",
            "添付するファイルを選んでから「添付する」を押してください",
            "Choose the file to attach, then press Upload",
        )),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/services/{id}"), "uploaded")),
        // a refused file: the service page again, the message at the file field
        Err(e @ (AppError::Invalid(_) | AppError::UnsupportedMedia | AppError::TooLarge { .. })) => {
            // the field's own words where the use case gave them, else the error's
            let field_msgs: Vec<String> = match &e {
                AppError::Invalid(errs) => {
                    errs.iter().map(|f| if ctx.t.en { f.en.clone() } else { f.ja.clone() }).collect()
                }
                _ => Vec::new(),
            };
            let err = ctx.err(e);
            let (ja, en) = err.messages();
            let msg = if field_msgs.is_empty() { if ctx.t.en { en } else { ja } } else { field_msgs.join(" ") };
            super::public::service_page(&ctx, &s, id, "", Some((err.status(), msg))).await
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// Sub-categories grouped by their category (works without JavaScript): the chosen category's
/// group first, then the others'; categories without sub-categories are left out.
pub fn subcategory_groups(t: T, category: &str, selected: &str) -> Vec<(String, Vec<Opt>)> {
    let mut groups: Vec<(bool, String, Vec<Opt>)> = Category::ALL
        .iter()
        .filter(|c| !c.subcategories().is_empty())
        .map(|c| {
            let opts =
                c.subcategories().iter().map(|x| Opt::new(x.code(), x.label(t.en), x.code() == selected)).collect();
            (c.code() == category, c.label(t.en).to_string(), opts)
        })
        .collect();
    groups.sort_by_key(|g| !g.0);
    groups.into_iter().map(|(_, label, opts)| (label, opts)).collect()
}
