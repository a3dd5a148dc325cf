//! The program office's console: the audit trail by filter with the chain verified on demand,
//! every notice with its deliveries, organisations and their members (invite, change roles,
//! disable, end sessions), and the one-time links that set a password (a reset asked for by
//! e-mail, an invitation). Every change is audited; the office acts with a browser session.

use domain::audit::{AuditEntry, AuditRecord};
use domain::identity::{Email, check_password_policy};
use domain::{FieldError, MembershipRole, OrgKind};

use crate::{Actor, App, AppError, Result};

pub use store::{AuditFilter, MemberRow, NoticeRow, OrgSummary};

/// How long a reset link works, and an invitation.
pub const RESET_LINK_SECS: i64 = 3600;
pub const INVITE_LINK_SECS: i64 = 7 * 24 * 3600;
/// Reset requests allowed per client address and per e-mail address in an hour.
pub const RESETS_PER_HOUR: i64 = 5;
pub const RESETS_PER_EMAIL_PER_HOUR: i64 = 3;
/// Lines of a console list per page.
pub const PAGE_SIZE: i64 = 50;

/// One page of a console list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<T>,
}

fn paged<T>(total: i64, page: i64, items: Vec<T>) -> Page<T> {
    Page { total, page, pages: pages_of(total), items }
}

/// How many pages `total` lines fill (at least one, so an empty list has its page).
pub fn pages_of(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

/// What the office may do to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAction {
    MakeAdmin,
    MakeMember,
    Disable,
    Enable,
    EndSessions,
}

impl MemberAction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "make-admin" => Self::MakeAdmin,
            "make-member" => Self::MakeMember,
            "disable" => Self::Disable,
            "enable" => Self::Enable,
            "end-sessions" => Self::EndSessions,
            _ => return None,
        })
    }
    pub fn code(self) -> &'static str {
        match self {
            Self::MakeAdmin => "make-admin",
            Self::MakeMember => "make-member",
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::EndSessions => "end-sessions",
        }
    }
    /// The actions that make sense for a member as they are now.
    pub fn valid_for(m: &store::MemberRow) -> Vec<MemberAction> {
        let mut v = vec![if m.role == "admin" { Self::MakeMember } else { Self::MakeAdmin }];
        v.push(if m.disabled { Self::Enable } else { Self::Disable });
        if m.sessions > 0 {
            v.push(Self::EndSessions);
        }
        v
    }
}

/// An organisation with its members, for the office.
#[derive(Debug, Clone)]
pub struct OrgDetail {
    pub org: store::OrgRow,
    pub members: Vec<store::MemberRow>,
}

/// An invitation as typed.
#[derive(Debug, Clone, Default)]
pub struct Invite {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

/// A new organisation as typed.
#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    pub kind: String,
    pub name: String,
    pub name_en: String,
}

/// What an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// A new account; a link to set its password was sent.
    NewAccount,
    /// The address already had an account; it now belongs to the organisation too.
    AddedExisting,
}

/// Reading the console: any member of the program office, with a browser session.
fn office(actor: &Actor) -> Result<()> {
    actor.require_session()?;
    if actor.acts_as_office() { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Changing accounts and organisations: an operator, or an admin of the program office.
fn office_admin(actor: &Actor) -> Result<()> {
    office(actor)?;
    let admin = actor.is_operator
        || actor.memberships.iter().any(|m| m.kind == OrgKind::ProgramOffice && m.role == MembershipRole::Admin);
    if admin { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Whether the actor may change accounts (for pages that offer the forms).
pub fn may_manage(actor: &Actor) -> bool {
    office_admin(actor).is_ok()
}

fn offset(page: i64) -> i64 {
    page.clamp(1, MAX_PAGE).saturating_sub(1).saturating_mul(PAGE_SIZE)
}

/// The highest page number read from a request.
pub const MAX_PAGE: i64 = 1_000_000;
/// Longest name of an organisation or a person.
pub const MAX_NAME_CHARS: usize = 200;
/// Password-link posts allowed per client address in an hour (each hashes a password).
pub const RESET_POSTS_PER_HOUR: i64 = 20;
/// The job that sends a reset link, so the request's answer takes the same time either way.
pub const RESET_JOB: &str = "platform.password_reset";

pub(crate) fn register(k: &mut crate::jobs::JobKinds) {
    k.register(RESET_JOB, |app: App, job| async move {
        let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
        let email = p.get("email").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        app.send_reset_link(&email).await.map_err(|e| e.to_string())?;
        Ok(crate::jobs::Done::Ok)
    });
}

impl App {
    /// The audit trail, newest first, filtered (office only).
    pub async fn audit_page(&self, actor: &Actor, f: &store::AuditFilter, page: i64) -> Result<Page<AuditEntry>> {
        office(actor)?;
        let (total, items) = self.store.audit_search(f, PAGE_SIZE, offset(page)).await?;
        Ok(paged(total, page, items))
    }

    /// The whole chain verified now (office only): entries checked, or where it breaks.
    pub async fn audit_verify_for(&self, actor: &Actor) -> Result<std::result::Result<u64, String>> {
        office(actor)?;
        Ok(self.audit_verify().await?.map_err(|b| b.to_string()))
    }

    /// Every notice with its deliveries, newest first (office only).
    pub async fn notices_page(&self, actor: &Actor, state: &str, page: i64) -> Result<Page<store::NoticeRow>> {
        office(actor)?;
        let state = if matches!(state, "pending" | "failed" | "sent") { state } else { "" };
        let (total, items) = self.store.notices(state, PAGE_SIZE, offset(page)).await?;
        Ok(paged(total, page, items))
    }

    /// Organisations with member counts (office only).
    pub async fn org_list(&self, actor: &Actor, q: &str) -> Result<Vec<store::OrgSummary>> {
        office(actor)?;
        Ok(self.store.org_summaries(q).await?)
    }

    pub async fn org_detail(&self, actor: &Actor, org_id: i64) -> Result<OrgDetail> {
        office(actor)?;
        let org = self.store.org(domain::OrgId(org_id)).await?;
        let members = self.store.members_of(org_id, self.now()).await?;
        Ok(OrgDetail { org, members })
    }

    /// The office creates an organisation.
    pub async fn office_create_org(&self, actor: &Actor, o: &NewOrg) -> Result<i64> {
        office_admin(actor)?;
        let mut errs = Vec::new();
        let kind = OrgKind::parse(&o.kind);
        if kind.is_none() {
            errs.push(FieldError::new("kind", "組織の種類を選んでください", "Choose the kind of organisation"));
        }
        if domain::text::clean_line(&o.name).is_empty() {
            errs.push(FieldError::new("name", "組織名を入力してください", "Enter the organisation's name"));
        }
        if domain::text::clean_line(&o.name_en).is_empty() {
            errs.push(FieldError::new("name_en", "英語名を入力してください", "Enter the organisation's English name"));
        }
        for (field, v) in [("name", &o.name), ("name_en", &o.name_en)] {
            if v.chars().count() > MAX_NAME_CHARS {
                errs.push(FieldError::new(field, "200文字以内で入力してください", "Use at most 200 characters"));
            }
        }
        match kind {
            Some(kind) if errs.is_empty() => {
                self.create_org(&actor.audit_name(), kind, &o.name, &domain::text::clean_line(&o.name_en)).await
            }
            _ => Err(AppError::Invalid(errs)),
        }
    }

    /// The office invites someone into an organisation: a new address gets an account and a link
    /// (7 days) to set its password; an address with an account is added as a member.
    pub async fn invite(&self, actor: &Actor, org_id: i64, inv: &Invite) -> Result<Invited> {
        office_admin(actor)?;
        let org = self.store.org(domain::OrgId(org_id)).await?;
        let mut errs = Vec::new();
        let email = Email::parse(&inv.email).map_err(|e| errs.push(e)).ok();
        let name = domain::text::clean_line(&inv.display_name);
        if name.is_empty() {
            errs.push(FieldError::new("display_name", "氏名を入力してください", "Enter the person's name"));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errs.push(FieldError::new("display_name", "200文字以内で入力してください", "Use at most 200 characters"));
        }
        let role = MembershipRole::parse(&inv.role);
        if role.is_none() {
            errs.push(FieldError::new("role", "役割を選んでください", "Choose a role"));
        }
        let (Some(email), Some(role)) = (email, role) else { return Err(AppError::Invalid(errs)) };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let now = self.now();
        // an account that nobody can log in to until the link is followed
        let unusable = crate::auth::hash_password(crate::auth::random_token()).await?;
        let mut tx = self.store.begin().await?;
        let (outcome, user_id) = match tx.user_id_by_email(email.as_str()).await? {
            Some(uid) => {
                if tx.is_member(uid, org_id).await? {
                    return Err(AppError::Invalid(vec![FieldError::new(
                        "email",
                        "この人はすでにこの組織のメンバーです",
                        "This person is already a member of this organisation",
                    )]));
                }
                tx.insert_membership(domain::UserId(uid), domain::OrgId(org_id), role.code()).await?;
                // the person learns of it, whoever added them
                let body = format!(
                    "架け橋（Kakehashi）の制度事務局が、あなたのアカウントを「{org_ja}」のメンバーに加えました。\n\
                     お心当たりがなければ、制度事務局に連絡してください: {base}/contact\n\n\
                     The Kakehashi program office added your account to \"{org_en}\". If you did not expect this, \
                     tell the program office: {base}/contact\n",
                    org_ja = org.name,
                    org_en = if org.name_en.is_empty() { &org.name } else { &org.name_en },
                    base = self.public_base(),
                );
                crate::notify::enqueue_mail(
                    &mut tx,
                    now * 1000,
                    email.as_str(),
                    "[架け橋] 組織のメンバーに追加されました / You were added to an organisation",
                    &body,
                )
                .await?;
                (Invited::AddedExisting, uid)
            }
            None => {
                let uid = tx.insert_user(email.as_str(), &name, &unusable, false, now).await?;
                tx.insert_membership(domain::UserId(uid), domain::OrgId(org_id), role.code()).await?;
                let token = crate::auth::random_token();
                tx.insert_password_link(&crate::auth::token_hash(&token), uid, "invite", now, now + INVITE_LINK_SECS)
                    .await?;
                let link = format!("{}/password/reset?token={token}", self.public_base());
                let body = format!(
                    "{name} 様\n\n架け橋（Kakehashi）の制度事務局が、あなたを「{org_ja}」のメンバーとして招待しました。\n\
                     7日以内に次のリンクを開き、パスワードを設定してください。\n{link}\n\
                     お心当たりがなければ、このメールは破棄してください。\n\n\
                     The Kakehashi program office invited you to join \"{org_en}\". Open this link within 7 days \
                     to choose your password:\n{link}\nIf you did not expect this, ignore this mail.\n",
                    org_ja = org.name,
                    org_en = if org.name_en.is_empty() { &org.name } else { &org.name_en },
                );
                crate::notify::enqueue_mail(
                    &mut tx,
                    now * 1000,
                    email.as_str(),
                    "[架け橋] 招待とパスワードの設定 / You are invited: choose your password",
                    &body,
                )
                .await?;
                (Invited::NewAccount, uid)
            }
        };
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "member.invite".into(),
                subject: format!("user#{user_id}"),
                summary: format!("org#{org_id} role:{}", role.code()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.job_wake.notify_waiters();
        Ok(outcome)
    }

    /// The office changes a member: role, disabled or not, sessions ended. Disabling ends the
    /// member's sessions at once (and API tokens stop working: a disabled user has no actor).
    /// The office cannot disable itself or end its own sessions here.
    pub async fn member_action(&self, actor: &Actor, org_id: i64, user_id: i64, a: MemberAction) -> Result<()> {
        office_admin(actor)?;
        let now = self.now();
        let member = self
            .store
            .members_of(org_id, now)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or(AppError::NotFound)?;
        if !MemberAction::valid_for(&member).contains(&a) {
            return Err(AppError::conflict(
                "この操作は現在の状態では行えません（画面を更新してください）",
                "That action does not apply to this member as they are now (reload the page)",
            ));
        }
        if member.is_operator && !actor.is_operator {
            return Err(AppError::Forbidden);
        }
        if user_id == actor.user_id && matches!(a, MemberAction::Disable | MemberAction::EndSessions) {
            return Err(AppError::conflict(
                "自分自身のアカウントは無効にできません",
                "You cannot disable your own account or end your own sessions here",
            ));
        }
        let mut tx = self.store.begin().await?;
        let summary = match a {
            MemberAction::MakeAdmin | MemberAction::MakeMember => {
                let role = if a == MemberAction::MakeAdmin { "admin" } else { "member" };
                tx.set_member_role(user_id, org_id, role).await?;
                format!("org#{org_id} role:{} -> {role}", member.role)
            }
            MemberAction::Disable => {
                tx.set_user_disabled(user_id, true).await?;
                // nothing of the account's keeps working: sessions, and links that set a password
                tx.delete_password_links_of(user_id).await?;
                let n = tx.delete_sessions_of(user_id).await?;
                format!("disabled; {n} sessions ended")
            }
            MemberAction::Enable => {
                tx.set_user_disabled(user_id, false).await?;
                "enabled".to_string()
            }
            MemberAction::EndSessions => {
                let n = tx.delete_sessions_of(user_id).await?;
                format!("{n} sessions ended")
            }
        };
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: format!("member.{}", a.code()),
                subject: format!("user#{user_id}"),
                summary,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Someone forgot their password. The answer is the same, and takes the same work, whether
    /// the address has an account or not: the request is counted (per client address and per
    /// address), then a job looks the address up and, for an active account, mails a link (1 hour,
    /// works once).
    pub async fn request_password_reset(&self, email: &str, client_ip: &str) -> Result<()> {
        let email = Email::parse(email).map_err(|e| AppError::Invalid(vec![e]))?;
        let now = self.now();
        let window = |max| domain::identity::ThrottlePolicy::Window { max, window: 3600 };
        let email_key = format!("reset-email:{}", email.as_str());
        let ip_key = format!("reset-ip:{client_ip}");
        self.count_attempt(
            &[(ip_key.as_str(), window(RESETS_PER_HOUR)), (email_key.as_str(), window(RESETS_PER_EMAIL_PER_HOUR))],
            now,
        )
        .await?;
        let payload = serde_json::json!({ "email": email.as_str() }).to_string();
        self.store
            .enqueue(&store::NewJob::new(RESET_JOB, payload, self.now_ms()).max_attempts(5), self.now_ms())
            .await?;
        self.job_wake.notify_waiters();
        tracing::info!(target: "audit", "password reset requested");
        Ok(())
    }

    /// The reset job: an active account gets a link by e-mail; anything else, nothing.
    async fn send_reset_link(&self, email: &str) -> Result<()> {
        let Some(user) = self.store.user_by_email(email).await? else { return Ok(()) };
        if user.disabled {
            return Ok(());
        }
        let now = self.now();
        let token = crate::auth::random_token();
        let link = format!("{}/password/reset?token={token}", self.public_base());
        let mut tx = self.store.begin().await?;
        tx.insert_password_link(&crate::auth::token_hash(&token), user.id, "reset", now, now + RESET_LINK_SECS).await?;
        let body = format!(
            "架け橋（Kakehashi）のパスワードを設定し直すには、1時間以内に次のリンクを開いてください。\n{link}\n\
             お心当たりがなければ、このメールは破棄してください。パスワードは変わりません。\n\n\
             To choose a new Kakehashi password, open this link within an hour:\n{link}\n\
             If this was not you, ignore this mail; your password stays as it is.\n"
        );
        crate::notify::enqueue_mail(
            &mut tx,
            now * 1000,
            &user.email,
            "[架け橋] パスワードの再設定 / Reset your password",
            &body,
        )
        .await?;
        tx.commit().await?;
        self.job_wake.notify_waiters();
        Ok(())
    }

    /// Whether a password link still works, and what it is for (`reset` or `invite`).
    pub async fn password_link(&self, token: &str) -> Result<Option<String>> {
        Ok(self.store.password_link(&crate::auth::token_hash(token), self.now()).await?)
    }

    /// A password link was followed and a new password chosen: it is set, every session of the
    /// account ends and its API tokens are revoked, the link and the account's other links stop
    /// working, and the owner is told by e-mail; the page then asks them to log in. Posts are
    /// counted per client address, and the link is checked before any password is hashed.
    pub async fn set_password_with_link(
        &self,
        token: &str,
        password: &str,
        again: &str,
        client_ip: &str,
    ) -> Result<()> {
        let window = domain::identity::ThrottlePolicy::Window { max: RESET_POSTS_PER_HOUR, window: 3600 };
        self.count_attempt(&[(format!("reset-post-ip:{client_ip}").as_str(), window)], self.now()).await?;
        if self.password_link(token).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let mut errs = Vec::new();
        if let Err(e) = check_password_policy(password) {
            errs.push(e);
        } else if password != again {
            errs.push(FieldError::new(
                "password_again",
                "確認用のパスワードが一致しません。同じものを入力してください",
                "The two passwords differ; type the same password twice",
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let hash = crate::auth::hash_password(password.to_string()).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some((user_id, purpose)) = tx.take_password_link(&crate::auth::token_hash(token), now).await? else {
            return Err(AppError::NotFound);
        };
        if tx.user_disabled(user_id).await? {
            return Err(AppError::NotFound);
        }
        tx.set_password_hash(user_id, &hash).await?;
        tx.delete_sessions_of(user_id).await?;
        // a token someone else made while holding the password stops working too
        let revoked = tx.revoke_tokens_of(user_id, now).await?;
        tx.audit(
            &AuditRecord {
                actor: format!("user#{user_id}"),
                action: if purpose == "invite" { "user.accept_invite" } else { "user.password_reset" }.into(),
                subject: format!("user#{user_id}"),
                summary: format!("{revoked} API tokens revoked"),
            },
            now,
        )
        .await?;
        let user = tx.user_email(user_id).await?;
        if purpose == "reset" {
            let body = format!(
                "架け橋（Kakehashi）のパスワードが変更されました。すべての端末でログアウトし、API トークンはすべて失効させました。\n\
                 お心当たりがなければ、すぐに {base}/password/forgot からパスワードを設定し直し、制度事務局に連絡してください。\n\n\
                 Your Kakehashi password was changed: every session was signed out and every API token revoked. If this \
                 was not you, reset it at {base}/password/forgot and tell the program office.\n",
                base = self.public_base()
            );
            crate::notify::enqueue_mail(
                &mut tx,
                now * 1000,
                &user,
                "[架け橋] パスワードが変更されました / Your password was changed",
                &body,
            )
            .await?;
        }
        tx.commit().await?;
        self.job_wake.notify_waiters();
        Ok(())
    }

    fn public_base(&self) -> String {
        self.config.delivery.public_url.trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: &str, disabled: bool, sessions: i64) -> store::MemberRow {
        store::MemberRow {
            user_id: 1,
            email: "a@example.jp".into(),
            display_name: "A".into(),
            role: role.into(),
            disabled,
            is_operator: false,
            sessions,
        }
    }

    #[test]
    fn only_actions_that_change_something_are_offered() {
        use MemberAction::*;
        assert_eq!(MemberAction::valid_for(&member("member", false, 0)), vec![MakeAdmin, Disable]);
        assert_eq!(MemberAction::valid_for(&member("admin", true, 0)), vec![MakeMember, Enable]);
        assert_eq!(MemberAction::valid_for(&member("admin", false, 2)), vec![MakeMember, Disable, EndSessions]);
        for a in [MakeAdmin, MakeMember, Disable, Enable, EndSessions] {
            assert_eq!(MemberAction::parse(a.code()), Some(a));
        }
        assert_eq!(MemberAction::parse("delete"), None);
    }

    #[test]
    fn pages_round_up_and_an_empty_list_has_one() {
        assert_eq!(pages_of(0), 1);
        assert_eq!(pages_of(PAGE_SIZE), 1);
        assert_eq!(pages_of(PAGE_SIZE + 1), 2);
    }
}
