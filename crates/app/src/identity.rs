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

/// Registrations allowed from one address per hour.
pub const SIGNUPS_PER_HOUR: i64 = 5;

impl App {
    /// A provider registers as an applicant: a vendor organisation and its first admin, in one
    /// transaction; then signs in. Limited per client address.
    pub async fn register_provider(&self, s: &ProviderSignup, client_ip: &str) -> Result<crate::auth::NewSession> {
        let now = self.now();
        let key = format!("signup:{client_ip}");
        if self.store.login_failures_since(&key, now - 3600).await? >= SIGNUPS_PER_HOUR {
            return Err(AppError::RateLimited { retry_after: 3600 });
        }
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
            errs.push(domain::FieldError::new(
                "org_name_en",
                "200文字以内で入力してください",
                "At most 200 characters",
            ));
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
        let email = match email {
            Ok(e) if errs.is_empty() => e,
            _ => return Err(AppError::Invalid(errs)),
        };
        if self.store.user_by_email(email.as_str()).await?.is_some() {
            return Err(AppError::Invalid(vec![domain::FieldError::new(
                "email",
                "このメールアドレスはすでに登録されています",
                "This e-mail address is already registered",
            )]));
        }
        let hash = hash_password(s.password.clone()).await?;
        let token = crate::auth::random_token();
        let csrf = crate::auth::random_token();
        let mut tx = self.store.begin().await?;
        let org = tx.insert_org(OrgKind::Vendor.code(), &org_name, &org_name_en, now).await?;
        let uid = tx.insert_user(email.as_str(), &name, &hash, false, now).await?;
        tx.insert_membership(domain::UserId(uid), domain::OrgId(org), MembershipRole::Admin.code()).await?;
        tx.insert_login_failure(&key, now).await?;
        tx.insert_session(&crate::auth::token_hash(&token), uid, &csrf, now, now + self.config.session_ttl).await?;
        tx.audit(
            &AuditRecord {
                actor: format!("user#{uid} <{}>", email.as_str()),
                action: "provider.register".into(),
                subject: format!("org#{org}"),
                summary: format!("name={org_name}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(crate::auth::NewSession { token, csrf, max_age: self.config.session_ttl })
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
