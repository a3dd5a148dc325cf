//! Organisations and users.

use domain::audit::AuditRecord;
use domain::identity::{Email, check_password_policy};
use domain::{MembershipRole, OrgKind};

use crate::auth::hash_password;
use crate::{Actor, App, AppError, Membership, Result, Scope};

/// A new user, as given to `admin create-user` or the demo loader.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub is_operator: bool,
    /// Organisation and role, if the user belongs to one.
    pub org: Option<(i64, MembershipRole)>,
}

/// What a provider enters to register as an applicant (申請者登録).
#[derive(Debug, Clone, Default)]
pub struct ProviderSignup {
    pub org_name: String,
    pub org_name_en: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
}

/// Sign-up attempts allowed from one client address per hour, and for one e-mail address.
pub const SIGNUPS_PER_HOUR: i64 = 5;
pub const SIGNUPS_PER_EMAIL_PER_HOUR: i64 = 3;
/// How long a confirmation link works.
pub const SIGNUP_LINK_SECS: i64 = 24 * 3600;

impl App {
    /// A provider asks to register as an applicant. The answer is the same whether the address
    /// is new or already registered, so the form tells nobody which addresses have accounts: a
    /// new address gets a confirmation link by e-mail (the organisation and its admin are made
    /// when it is followed), a registered one gets a notice saying so. Attempts are limited per
    /// client address and per e-mail address, counted before anything else.
    pub async fn request_signup(&self, s: &ProviderSignup, client_ip: &str) -> Result<()> {
        let now = self.now();
        let window = |max| domain::identity::ThrottlePolicy::Window { max, window: 3600 };
        let email_key = format!("signup-email:{}", s.email.trim().to_lowercase());
        let ip_key = format!("signup-ip:{client_ip}");
        self.count_attempt(
            &[(ip_key.as_str(), window(SIGNUPS_PER_HOUR)), (email_key.as_str(), window(SIGNUPS_PER_EMAIL_PER_HOUR))],
            now,
        )
        .await?;
        let (org_name, org_name_en, name, email) = check_signup(s)?;
        // hashed either way, so both answers take as long
        let hash = hash_password(s.password.clone()).await?;
        let base = self.config.delivery.public_url.trim_end_matches('/').to_string();
        let mut tx = self.store.begin().await?;
        if tx.email_taken(email.as_str()).await? {
            let body = format!(
                "架け橋（Kakehashi）で、このメールアドレスによる事業者の申請者登録が試みられました。\n\
                 このアドレスはすでに登録されています。ログインはこちら: {base}/login\n\
                 お心当たりがなければ、このメールは破棄してください。\n\n\
                 Someone tried to register a provider on Kakehashi with this e-mail address, which \
                 already has an account. Log in at {base}/login. If this was not you, ignore this mail.\n"
            );
            crate::notify::enqueue_mail(
                &mut tx,
                now * 1000,
                email.as_str(),
                "[架け橋] このメールアドレスは登録済みです / This address is already registered",
                &body,
            )
            .await?;
        } else {
            let token = crate::auth::random_token();
            tx.insert_signup_request(&store::SignupRequestRow {
                token_hash: crate::auth::token_hash(&token),
                email: email.as_str().to_string(),
                org_name,
                org_name_en,
                display_name: name,
                password_hash: hash,
                created_at: now,
                expires_at: now + SIGNUP_LINK_SECS,
            })
            .await?;
            let link = format!("{base}/signup/confirm?token={token}");
            let body = format!(
                "架け橋（Kakehashi）への事業者の申請者登録を完了するには、24時間以内に次のリンクを開いてください。\n{link}\n\
                 お心当たりがなければ、このメールは破棄してください。\n\n\
                 To finish registering your company on Kakehashi, open this link within 24 hours:\n{link}\n\
                 If this was not you, ignore this mail.\n"
            );
            crate::notify::enqueue_mail(
                &mut tx,
                now * 1000,
                email.as_str(),
                "[架け橋] 申請者登録の確認 / Confirm your registration",
                &body,
            )
            .await?;
        }
        tx.commit().await?;
        self.job_wake.notify_waiters();
        tracing::info!(target: "audit", "provider sign-up requested");
        Ok(())
    }

    /// Whether a confirmation link is still good (for the page that asks to confirm).
    pub async fn signup_link_valid(&self, token: &str) -> Result<bool> {
        Ok(self.store.signup_request_valid(&crate::auth::token_hash(token), self.now()).await?)
    }

    /// The confirmation link was followed: the vendor organisation and its first admin are made,
    /// in one transaction, and signed in. A link works once and for 24 hours.
    pub async fn confirm_signup(&self, token: &str) -> Result<crate::auth::NewSession> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(r) = tx.take_signup_request(&crate::auth::token_hash(token), now).await? else {
            return Err(AppError::NotFound);
        };
        if tx.email_taken(&r.email).await? {
            return Err(AppError::conflict(
                "このメールアドレスはすでに登録されています。ログインしてください",
                "This e-mail address is already registered; please log in",
            ));
        }
        let session = crate::auth::random_token();
        let csrf = crate::auth::random_token();
        let org = tx.insert_org(OrgKind::Vendor.code(), &r.org_name, &r.org_name_en, now).await?;
        let uid = tx.insert_user(&r.email, &r.display_name, &r.password_hash, false, now).await?;
        tx.insert_membership(domain::UserId(uid), domain::OrgId(org), MembershipRole::Admin.code()).await?;
        tx.insert_session(&crate::auth::token_hash(&session), uid, &csrf, now, now + self.config.session_ttl).await?;
        tx.audit(
            &AuditRecord {
                actor: format!("user#{uid} <{}>", r.email),
                action: "provider.register".into(),
                subject: format!("org#{org}"),
                summary: format!("name={}", r.org_name),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(crate::auth::NewSession { token: session, csrf, max_age: self.config.session_ttl })
    }

    /// The actor for a user (full rights of a session), for jobs and tools.
    pub async fn actor_for_user(&self, user_id: i64) -> Result<Option<Actor>> {
        self.load_actor(user_id, None).await
    }

    pub(crate) async fn load_actor(&self, user_id: i64, token_scopes: Option<Vec<Scope>>) -> Result<Option<Actor>> {
        let user = match self.store.user(domain::UserId(user_id)).await {
            Ok(u) => u,
            Err(store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if user.disabled {
            return Ok(None);
        }
        let memberships = self
            .store
            .memberships(domain::UserId(user_id))
            .await?
            .into_iter()
            .filter_map(|m| {
                Some(Membership {
                    org_id: m.org_id,
                    kind: OrgKind::parse(&m.org_kind)?,
                    role: MembershipRole::parse(&m.role)?,
                    org_name: m.org_name,
                })
            })
            .collect();
        Ok(Some(Actor {
            user_id,
            name: user.display_name,
            email: user.email,
            is_operator: user.is_operator,
            memberships,
            token_scopes,
        }))
    }

    /// Creates an organisation (system or operator action).
    pub async fn create_org(&self, actor: &str, kind: OrgKind, name: &str, name_en: &str) -> Result<i64> {
        let name = domain::text::clean_line(name);
        if name.is_empty() {
            return Err(AppError::field("name", "組織名を入力してください", "Organisation name is required"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_org(kind.code(), &name, name_en, now).await?;
        // registration bodies appear in the public list's filter
        store::Store::next_counter(&mut tx, crate::registry::LIST_VERSION).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.into(),
                action: "org.create".into(),
                subject: format!("org#{id}"),
                summary: format!("kind={} name={name}", kind.code()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a user with an argon2id password hash, and its membership.
    pub async fn create_user(&self, actor: &str, u: NewUser) -> Result<i64> {
        let email = Email::parse(&u.email).map_err(|e| AppError::Invalid(vec![e]))?;
        check_password_policy(&u.password).map_err(|e| AppError::Invalid(vec![e]))?;
        let name = domain::text::clean_line(&u.display_name);
        if name.is_empty() {
            return Err(AppError::field("display_name", "氏名を入力してください", "Name is required"));
        }
        if let Some((org, _)) = u.org {
            self.store.org(domain::OrgId(org)).await.map_err(|e| match e {
                store::StoreError::NotFound => AppError::field("org", "組織が見つかりません", "No such organisation"),
                e => e.into(),
            })?;
        }
        let hash = hash_password(u.password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_user(email.as_str(), &name, &hash, u.is_operator, now).await?;
        if let Some((org, role)) = u.org {
            tx.insert_membership(domain::UserId(id), domain::OrgId(org), role.code()).await?;
        }
        tx.audit(
            &AuditRecord {
                actor: actor.into(),
                action: "user.create".into(),
                subject: format!("user#{id}"),
                summary: format!(
                    "email={} operator={} org={}",
                    email.as_str(),
                    u.is_operator,
                    u.org.map(|(o, r)| format!("{o}:{}", r.code())).unwrap_or_default()
                ),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The sign-up form's checks: (organisation name, English name, person's name, e-mail).
fn check_signup(s: &ProviderSignup) -> Result<(String, String, String, Email)> {
    let mut errs = Vec::new();
    let org_name = domain::text::clean_line(&s.org_name);
    if org_name.is_empty() || org_name.chars().count() > 200 {
        errs.push(domain::FieldError::new(
            "org_name",
            "事業者名を200文字以内で入力してください",
            "Give the company name (at most 200 characters)",
        ));
    }
    let org_name_en = domain::text::clean_line(&s.org_name_en);
    if org_name_en.chars().count() > 200 {
        errs.push(domain::FieldError::new("org_name_en", "200文字以内で入力してください", "At most 200 characters"));
    }
    let name = domain::text::clean_line(&s.display_name);
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(domain::FieldError::new(
            "display_name",
            "氏名を100文字以内で入力してください",
            "Give your name (at most 100 characters)",
        ));
    }
    let email = Email::parse(&s.email);
    if let Err(e) = &email {
        errs.push(e.clone());
    }
    if let Err(e) = check_password_policy(&s.password) {
        errs.push(e);
    }
    match email {
        Ok(e) if errs.is_empty() => Ok((org_name, org_name_en, name, e)),
        _ => Err(AppError::Invalid(errs)),
    }
}
