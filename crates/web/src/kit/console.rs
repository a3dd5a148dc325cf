//! The program office's console pages: the audit trail (filters, chain verified on demand),
//! every notice with its deliveries, organisations and their members. Forms only, no
//! JavaScript; a mistake shows the page again with what was typed.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::flash::{DoneParam, see_other};
use crate::AppState;
use crate::error::{WebError, urlencode};
use crate::extract::{Ctx, T};
use crate::forms::decode;
use crate::views::{FieldErrors, Nav, Opt, Pager, PagerItem, render};
use app::console::{Invite, Invited, MemberAction, NewOrg};
use app::{AppError, jst_datetime};
use domain::{FieldError, OrgKind};

/// A page number from the query: anything unreadable is the first page.
fn page_no(s: &str) -> i64 {
    domain::text::normalize_width(s)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .unwrap_or(1)
        .min(app::console::MAX_PAGE)
}

fn done_text(t: T, code: &str) -> Option<&'static str> {
    Some(match code {
        "org" => {
            t.s("組織を作成しました。メンバーを招待してください。", "The organisation was created; invite its members.")
        }
        "invited" => t.s(
            "招待しました。パスワードを設定するためのリンク（7日間有効）をメールで送りました。",
            "Invited: a link to choose a password (valid for 7 days) was sent by e-mail.",
        ),
        "added" => t.s(
            "登録済みのアカウントをこの組織のメンバーに加えました。",
            "The existing account was added to this organisation.",
        ),
        "make-admin" => t.s("管理者にしました。", "The member is now an admin."),
        "make-member" => t.s("担当者にしました。", "The member is now a member without admin rights."),
        "disable" => t.s(
            "アカウントを無効にし、すべてのセッションを終了しました。API トークンも使えなくなります。",
            "The account is disabled and all its sessions ended; its API tokens no longer work.",
        ),
        "enable" => t.s("アカウントを有効に戻しました。", "The account is enabled again."),
        "end-sessions" => t.s(
            "すべてのセッションを終了しました。次の操作でログインが求められます。",
            "All sessions ended; the member must log in again.",
        ),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// The audit trail

#[derive(Deserialize, Default, Clone)]
pub struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    verify: String,
}

impl AuditParams {
    fn query_string(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("subject", &self.subject),
            ("from", &self.from),
            ("until", &self.until),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// The store's filter; a date that cannot be read is a field error.
    fn filter(&self) -> Result<app::console::AuditFilter, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut day = |field: &'static str, s: &str| -> Option<i64> {
            let s = domain::text::normalize_width(s);
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            match domain::registry::parse_date(s) {
                // the day starts at midnight in Japan
                Some(d) => Some(d.midnight().assume_utc().unix_timestamp() - 9 * 3600),
                None => {
                    errs.push(FieldError::new(
                        field,
                        "日付は 2026-12-03 の形で入力してください",
                        "Enter the date as 2026-12-03",
                    ));
                    None
                }
            }
        };
        let from = day("from", &self.from);
        let until = day("until", &self.until).map(|t| t + 86_400);
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(app::console::AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject: self.subject.clone(),
            from,
            until,
        })
    }
}

pub struct AuditLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub summary: String,
    pub hash: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    nav: Nav,
    p: AuditParams,
    errors: FieldErrors,
    total: i64,
    lines: Vec<AuditLine>,
    pager: Pager,
    /// The chain check, when asked for: Ok(entries checked) or where it breaks.
    verified: Option<Result<u64, String>>,
    verify_href: String,
}

pub async fn audit(ctx: Ctx, State(s): State<AppState>, Query(p): Query<AuditParams>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let page = page_no(&p.page);
    let (filter, errors) = match p.filter() {
        Ok(f) => (f, FieldErrors::default()),
        Err(e) => (app::console::AuditFilter::default(), FieldErrors::new(ctx.t, &e)),
    };
    let list = s.app.audit_page(a, &filter, if errors.is_empty() { page } else { 1 }).await.map_err(|e| ctx.err(e))?;
    let verified = if p.verify == "1" { Some(s.app.audit_verify_for(a).await.map_err(|e| ctx.err(e))?) } else { None };
    let qs = p.query_string();
    let href =
        |n: usize| if qs.is_empty() { format!("/admin/audit?page={n}") } else { format!("/admin/audit?{qs}&page={n}") };
    let has_errors = !errors.is_empty();
    let verify_href =
        if qs.is_empty() { "/admin/audit?verify=1".to_string() } else { format!("/admin/audit?{qs}&verify=1") };
    let mut res = render(&AuditPage {
        nav: Nav::new(&ctx, "監査ログ", "Audit trail", "admin"),
        total: list.total,
        lines: list
            .items
            .iter()
            .map(|e| AuditLine {
                seq: e.seq,
                at: jst_datetime(e.at),
                actor: e.actor.clone(),
                action: e.action.clone(),
                subject: e.subject.clone(),
                summary: e.summary.clone(),
                hash: e.hash.chars().take(12).collect(),
            })
            .collect(),
        pager: Pager::new(list.page as usize, list.pages as usize, href),
        verified,
        verify_href,
        errors,
        p,
    });
    if has_errors {
        // a filter mistake is shown on the page, with what was typed
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Notices

#[derive(Deserialize, Default)]
pub struct NoticeParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

pub struct NoticeLine {
    pub id: i64,
    pub at: String,
    pub org: String,
    pub kind: String,
    pub subject: String,
    pub link: String,
    pub outcome: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "admin_notices.html")]
struct NoticesPage {
    nav: Nav,
    states: Vec<Opt>,
    total: i64,
    lines: Vec<NoticeLine>,
    pager: Pager,
}

pub async fn notices(ctx: Ctx, State(s): State<AppState>, Query(p): Query<NoticeParams>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    let list = s.app.notices_page(a, &p.state, page_no(&p.page)).await.map_err(|e| ctx.err(e))?;
    let state = if matches!(p.state.as_str(), "pending" | "failed" | "sent") { p.state.as_str() } else { "" };
    let href = |n: usize| {
        if state.is_empty() {
            format!("/admin/notifications?page={n}")
        } else {
            format!("/admin/notifications?state={state}&page={n}")
        }
    };
    Ok(render(&NoticesPage {
        nav: Nav::new(&ctx, "通知の一覧", "Notifications", "admin"),
        states: [
            ("", t.s("すべて", "All")),
            ("pending", t.s("配信中", "Being delivered")),
            ("failed", t.s("配信に失敗あり", "With a failed delivery")),
            ("sent", t.s("配信済み", "Delivered")),
        ]
        .into_iter()
        .map(|(c, l)| Opt::new(c, l, c == state))
        .collect(),
        total: list.total,
        lines: list
            .items
            .iter()
            .map(|n| NoticeLine {
                id: n.id,
                at: jst_datetime(n.created_at),
                org: if t.en && !n.org_name_en.is_empty() { n.org_name_en.clone() } else { n.org_name.clone() },
                kind: n.kind.clone(),
                subject: if t.en { n.subject_en.clone() } else { n.subject_ja.clone() },
                // a local path only (never `//host`)
                link: if n.link.starts_with('/') && !n.link.starts_with("//") { n.link.clone() } else { String::new() },
                outcome: outcome(t, n),
                failed: n.failed > 0,
            })
            .collect(),
        pager: Pager::new(list.page as usize, list.pages as usize, href),
    }))
}

fn outcome(t: T, n: &app::console::NoticeRow) -> String {
    let mut parts = Vec::new();
    if n.delivered > 0 {
        parts.push(format!("{} {}", t.s("配信済み", "delivered"), n.delivered));
    }
    if n.failed > 0 {
        parts.push(format!("{} {}", t.s("失敗", "failed"), n.failed));
    }
    if n.pending > 0 {
        parts.push(format!("{} {}", t.s("送信中", "sending"), n.pending));
    }
    match (parts.is_empty(), n.sent_at.is_some()) {
        (true, true) => t
            .s("サイト内のみ（メール・Webhook の宛先なし）", "On this site only (no e-mail or webhook to send to)")
            .into(),
        (true, false) => t.s("配信待ち", "Waiting to be delivered").into(),
        (false, _) => parts.join(" · "),
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations and members

#[derive(Deserialize, Default)]
pub struct OrgsParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    done: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
}

pub struct OrgLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub members: i64,
}

#[derive(Template)]
#[template(path = "admin_orgs.html")]
struct OrgsPage {
    nav: Nav,
    q: String,
    orgs: Vec<OrgLine>,
    kinds: Vec<Opt>,
    f: OrgForm,
    errors: FieldErrors,
    done: Option<&'static str>,
    manage: bool,
}

fn kind_opts(t: T, sel: &str) -> Vec<Opt> {
    OrgKind::ALL.iter().map(|k| Opt::new(k.code(), k.label(t.en), k.code() == sel)).collect()
}

async fn orgs_page(
    ctx: &Ctx,
    s: &AppState,
    q: &str,
    f: OrgForm,
    errs: &[FieldError],
    done: &str,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    let orgs = s.app.org_list(a, q).await.map_err(|e| ctx.err(e))?;
    let mut res = render(&OrgsPage {
        nav: Nav::new(ctx, "組織とメンバー", "Organisations and members", "admin"),
        q: q.to_string(),
        orgs: orgs
            .iter()
            .map(|o| OrgLine {
                id: o.id,
                name: if t.en && !o.name_en.is_empty() { o.name_en.clone() } else { o.name.clone() },
                kind: OrgKind::parse(&o.kind).map(|k| k.label(t.en).to_string()).unwrap_or_else(|| o.kind.clone()),
                members: o.members,
            })
            .collect(),
        kinds: kind_opts(t, &f.kind),
        f,
        errors: FieldErrors::new(t, errs),
        done: done_text(t, done),
        manage: app::console::may_manage(a),
    });
    if !errs.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub async fn orgs(ctx: Ctx, State(s): State<AppState>, Query(p): Query<OrgsParams>) -> Result<Response, WebError> {
    orgs_page(&ctx, &s, &p.q, OrgForm::default(), &[], &p.done).await
}

pub async fn create_org(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: OrgForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let new = NewOrg { kind: f.kind.clone(), name: f.name.clone(), name_en: f.name_en.clone() };
    match s.app.office_create_org(a, &new).await {
        Ok(id) => Ok(see_other(&format!("/admin/orgs/{id}"), "org")),
        Err(AppError::Invalid(errs)) => orgs_page(&ctx, &s, "", f, &errs, "").await,
        Err(e) => Err(ctx.err(e)),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

pub struct MemberLine {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub state: &'static str,
    pub disabled: bool,
    pub sessions: i64,
    /// (action code, button label, whether it is a danger action)
    pub actions: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "admin_org.html")]
struct OrgPage {
    nav: Nav,
    id: i64,
    name: String,
    kind: String,
    members: Vec<MemberLine>,
    roles: Vec<Opt>,
    f: InviteForm,
    errors: FieldErrors,
    done: Option<&'static str>,
    self_id: i64,
    /// The viewer may change accounts (an operator or an office admin); others only read.
    manage: bool,
}

fn action_label(t: T, a: MemberAction) -> (&'static str, bool) {
    match a {
        MemberAction::MakeAdmin => (t.s("管理者にする", "Make admin"), false),
        MemberAction::MakeMember => (t.s("担当者にする", "Make member"), false),
        MemberAction::Disable => (t.s("無効にする", "Disable"), true),
        MemberAction::Enable => (t.s("有効に戻す", "Enable"), false),
        MemberAction::EndSessions => (t.s("セッションを終了", "End sessions"), false),
    }
}

async fn org_page(
    ctx: &Ctx,
    s: &AppState,
    id: i64,
    f: InviteForm,
    errs: &[FieldError],
    status: StatusCode,
    done: &str,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    let d = s.app.org_detail(a, id).await.map_err(|e| ctx.err(e))?;
    let members = d
        .members
        .iter()
        .map(|m| MemberLine {
            user_id: m.user_id,
            name: m.display_name.clone(),
            email: m.email.clone(),
            role: if m.role == "admin" { t.s("管理者", "Admin") } else { t.s("担当者", "Member") },
            state: if m.disabled { t.s("無効", "Disabled") } else { t.s("有効", "Active") },
            disabled: m.disabled,
            sessions: m.sessions,
            actions: MemberAction::valid_for(m)
                .into_iter()
                .filter(|_| app::console::may_manage(a) && (!m.is_operator || a.is_operator))
                // the office does not lock itself out from here
                .filter(|x| m.user_id != a.user_id || !matches!(x, MemberAction::Disable | MemberAction::EndSessions))
                .map(|x| {
                    let (label, danger) = action_label(t, x);
                    (x.code(), label, danger)
                })
                .collect(),
        })
        .collect();
    let role = if f.role.is_empty() { "member".to_string() } else { f.role.clone() };
    let mut res = render(&OrgPage {
        nav: Nav::new(ctx, &d.org.name, if d.org.name_en.is_empty() { &d.org.name } else { &d.org.name_en }, "admin"),
        id,
        name: if t.en && !d.org.name_en.is_empty() { d.org.name_en.clone() } else { d.org.name.clone() },
        kind: OrgKind::parse(&d.org.kind).map(|k| k.label(t.en).to_string()).unwrap_or_else(|| d.org.kind.clone()),
        members,
        roles: [("member", t.s("担当者", "Member")), ("admin", t.s("管理者", "Admin"))]
            .into_iter()
            .map(|(c, l)| Opt::new(c, l, c == role))
            .collect(),
        f,
        errors: FieldErrors::new(t, errs),
        done: done_text(t, done),
        self_id: a.user_id,
        manage: app::console::may_manage(a),
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn org(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(d): Query<DoneParam>,
) -> Result<Response, WebError> {
    org_page(&ctx, &s, id, InviteForm::default(), &[], StatusCode::OK, &d.done).await
}

pub async fn invite(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: InviteForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let inv = Invite { email: f.email.clone(), display_name: f.display_name.clone(), role: f.role.clone() };
    match s.app.invite(a, id, &inv).await {
        Ok(Invited::NewAccount) => Ok(see_other(&format!("/admin/orgs/{id}"), "invited")),
        Ok(Invited::AddedExisting) => Ok(see_other(&format!("/admin/orgs/{id}"), "added")),
        Err(AppError::Invalid(errs)) => org_page(&ctx, &s, id, f, &errs, StatusCode::UNPROCESSABLE_ENTITY, "").await,
        Err(e) => Err(ctx.err(e)),
    }
}

pub async fn member(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, uid, action)): Path<(i64, i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: crate::forms::CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let act = MemberAction::parse(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    s.app.member_action(a, id, uid, act).await.map_err(|e| ctx.err(e))?;
    Ok(see_other(&format!("/admin/orgs/{id}"), act.code()))
}
