//! Passwords (argon2id, hashed off the async runtime), sessions and API tokens.
//! Session ids and API tokens are random 256-bit values; only their SHA-256 is stored.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use domain::audit::AuditRecord;
use domain::identity::{Email, ThrottlePolicy};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, Result, Scope};

/// A hash to verify against when the account does not exist, so timing tells nothing.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password_blocking("dummy password for timing").unwrap_or_default());

pub fn hash_password_blocking(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A fresh random token, hex encoded (64 characters).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A started session: the cookie value and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub max_age: i64,
}

/// Why a login did not succeed.
#[derive(Debug)]
pub enum LoginError {
    Invalid,
    RateLimited { retry_after: i64 },
    Other(AppError),
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> Self {
        LoginError::Other(e)
    }
}

/// The longest an account's owner waits after others' failed attempts (seconds).
pub const LOGIN_BACKOFF_CAP: i64 = 60;

impl App {
    /// Password login with per-account and per-address failure limits. Each attempt is counted
    /// before its password is checked, in one transaction that locks both counts, so parallel
    /// attempts are limited as tightly as serial ones; a success undoes its count.
    pub async fn login(&self, email: &str, password: &str, client_ip: &str) -> Result<NewSession, LoginError> {
        let now = self.now();
        let email_norm = email.trim().to_lowercase();
        let account = (format!("email:{email_norm}"), self.account_throttle());
        let address = (format!("ip:{client_ip}"), self.address_throttle());
        match self.count_attempt(&[(account.0.as_str(), account.1), (address.0.as_str(), address.1)], now).await {
            Ok(()) => {}
            Err(AppError::RateLimited { retry_after }) => {
                tracing::info!(target: "audit", retry_after, "login refused by the failure limit");
                return Err(LoginError::RateLimited { retry_after });
            }
            Err(e) => return Err(e.into()),
        }
        let user = match Email::parse(&email_norm) {
            Ok(e) => self.store.user_by_email(e.as_str()).await.map_err(AppError::from)?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = verify_password(password.to_string(), hash).await && user.as_ref().is_some_and(|u| !u.disabled);
        let Some(user) = user.filter(|_| ok) else {
            tracing::info!(target: "audit", "failed login");
            return Err(LoginError::Invalid);
        };
        let mut tx = self.store.begin().await.map_err(AppError::from)?;
        for (key, policy) in [&account, &address] {
            let state = tx.throttle_lock(key).await.map_err(AppError::from)?;
            tx.throttle_put(key, policy.succeeded(state)).await.map_err(AppError::from)?;
        }
        let token = random_token();
        let csrf = random_token();
        tx.insert_session(&token_hash(&token), user.id, &csrf, now, now + self.config.session_ttl)
            .await
            .map_err(AppError::from)?;
        tx.audit(
            &AuditRecord {
                actor: format!("user#{} <{}>", user.id, user.email),
                action: "session.login".into(),
                subject: format!("user#{}", user.id),
                summary: String::new(),
            },
            now,
        )
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(NewSession { token, csrf, max_age: self.config.session_ttl })
    }

    /// Counts one attempt under each (key, policy), in one transaction that locks every count, so
    /// attempts sent in parallel are limited as tightly as attempts sent one by one. Nothing is
    /// counted when any limit refuses: `RateLimited` with the seconds to wait.
    pub(crate) async fn count_attempt(&self, limits: &[(&str, ThrottlePolicy)], now: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        for (key, policy) in limits {
            let state = tx.throttle_lock(key).await?;
            match policy.attempt(state, now) {
                Ok(next) => tx.throttle_put(key, next).await?,
                Err(retry_after) => {
                    tx.rollback().await?;
                    return Err(AppError::RateLimited { retry_after });
                }
            }
        }
        Ok(tx.commit().await?)
    }

    fn account_throttle(&self) -> ThrottlePolicy {
        ThrottlePolicy::Backoff { free: self.config.login_max_failures, cap: LOGIN_BACKOFF_CAP, forget: 86_400 }
    }

    fn address_throttle(&self) -> ThrottlePolicy {
        ThrottlePolicy::Window { max: self.config.login_max_per_address, window: self.config.login_window }
    }

    /// The actor behind a session cookie, with the session's CSRF token.
    pub async fn session_actor(&self, token: &str) -> Result<Option<(Actor, String)>> {
        let Some(s) = self.store.session(&token_hash(token), self.now()).await? else {
            return Ok(None);
        };
        let actor = self.load_actor(s.user_id, None).await?;
        Ok(actor.map(|a| (a, s.csrf)))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_session(&token_hash(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind a bearer token, limited to the token's scopes.
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        let Some(t) = self.store.token_by_hash(&token_hash(token)).await? else {
            return Ok(None);
        };
        if t.revoked_at.is_some() {
            return Ok(None);
        }
        let scopes = t.scopes.split(' ').filter_map(Scope::parse).collect();
        self.load_actor(t.user_id, Some(scopes)).await
    }

    /// Issues an API token for the actor (scopes limited to what a session allows);
    /// returns (id, plaintext). The plaintext is shown once and never stored.
    pub async fn create_token(&self, actor: &Actor, name: &str, scopes: &[Scope]) -> Result<(i64, String)> {
        if actor.token_scopes.is_some() {
            return Err(AppError::Forbidden);
        }
        let name = domain::text::clean_line(name);
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::field(
                "name",
                "トークン名を100文字以内で入力してください",
                "Give the token a name of at most 100 characters",
            ));
        }
        if scopes.is_empty() {
            return Err(AppError::field("scopes", "権限を1つ以上選んでください", "Choose at least one scope"));
        }
        let token = format!("kh_{}", random_token());
        let scopes: Vec<Scope> = Scope::ALL.into_iter().filter(|s| scopes.contains(s)).collect();
        let scopes_s = scopes.iter().map(|s| s.code()).collect::<Vec<_>>().join(" ");
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_token(actor.user_id, &name, &token_hash(&token), &scopes_s, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "token.create".into(),
                subject: format!("token#{id}"),
                summary: format!("name={name} scopes={scopes_s}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    pub async fn revoke_token(&self, actor: &Actor, id: domain::TokenId) -> Result<()> {
        let id = id.0;
        if actor.token_scopes.is_some() {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.revoke_token(domain::TokenId(id), domain::UserId(actor.user_id), now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "token.revoke".into(),
                subject: format!("token#{id}"),
                summary: String::new(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
