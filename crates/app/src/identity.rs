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

impl App {
    /// The actor for a user (full rights of a session), for jobs and tools.
    pub async fn actor_for_user(&self, user_id: i64) -> Result<Option<Actor>> {
        self.load_actor(user_id, None).await
    }

    pub(crate) async fn load_actor(&self, user_id: i64, token_scopes: Option<Vec<Scope>>) -> Result<Option<Actor>> {
        let user = match self.store.user(user_id).await {
            Ok(u) => u,
            Err(store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if user.disabled {
            return Ok(None);
        }
        let memberships = self
            .store
            .memberships(user_id)
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
        let name = domain::text::clean_text(name);
        if name.is_empty() {
            return Err(AppError::field("name", "組織名を入力してください", "Organisation name is required"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_org(kind.code(), &name, name_en, now).await?;
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
        let name = domain::text::clean_text(&u.display_name);
        if name.is_empty() {
            return Err(AppError::field("display_name", "氏名を入力してください", "Name is required"));
        }
        if let Some((org, _)) = u.org {
            self.store.org(org).await.map_err(|e| match e {
                store::StoreError::NotFound => AppError::field("org", "組織が見つかりません", "No such organisation"),
                e => e.into(),
            })?;
        }
        let hash = hash_password(u.password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_user(email.as_str(), &name, &hash, u.is_operator, now).await?;
        if let Some((org, role)) = u.org {
            tx.insert_membership(id, org, role.code()).await?;
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
