//! Organisations, users, memberships, sessions, API tokens, login failures.

use sqlx::Row;

use crate::{Result, Store, StoreError, Tx, flag};

/// A provider sign-up waiting for its e-mail address to be confirmed.
#[derive(Debug, Clone)]
pub struct SignupRequestRow {
    pub token_hash: String,
    pub email: String,
    pub org_name: String,
    pub org_name_en: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}
use domain::{OrgId, TokenId, UserId};

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_operator: bool,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub org_id: i64,
    pub org_kind: String,
    pub org_name: String,
    pub org_name_en: String,
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const USER_COLS: &str = "id, email, display_name, password_hash, is_operator, disabled";

fn user_row(r: &sqlx::any::AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        is_operator: flag(r.try_get("is_operator")?),
        disabled: flag(r.try_get("disabled")?),
    })
}

fn org_row(r: &sqlx::any::AnyRow) -> Result<OrgRow> {
    Ok(OrgRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
    })
}

impl Tx {
    pub async fn insert_org(&mut self, kind: &str, name: &str, name_en: &str, now: i64) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO organizations (kind, name, name_en, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(kind.to_string())
        .bind(name.to_string())
        .bind(name_en.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(id)
    }

    pub async fn insert_user(
        &mut self,
        email: &str,
        display_name: &str,
        password_hash: &str,
        is_operator: bool,
        now: i64,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, is_operator, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email.to_string())
        .bind(display_name.to_string())
        .bind(password_hash.to_string())
        .bind(is_operator as i64)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("a user with e-mail {email} already exists")),
            other => other,
        })
    }

    pub async fn insert_membership(&mut self, user_id: UserId, org_id: OrgId, role: &str) -> Result<()> {
        let (user_id, org_id) = (user_id.0, org_id.0);
        sqlx::query("INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(org_id)
            .bind(role.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn insert_session(
        &mut self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash.to_string())
        .bind(user_id)
        .bind(csrf.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id_hash: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn insert_token(
        &mut self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scopes: &str,
        now: i64,
    ) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(name.to_string())
        .bind(token_hash.to_string())
        .bind(scopes.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(id)
    }

    /// Revokes a token of this user; NotFound when it is not theirs or already revoked.
    pub async fn revoke_token(&mut self, id: TokenId, user_id: UserId, now: i64) -> Result<()> {
        let (id, user_id) = (id.0, user_id.0);
        let r =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .bind(user_id)
                .execute(&mut *self.tx)
                .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The failed-login count for `key`, locked until this transaction ends (a row lock on
    /// PostgreSQL, so processes sharing the database count together; SQLite's write
    /// transaction already excludes every other writer).
    pub async fn throttle_lock(&mut self, key: &str) -> Result<domain::identity::Throttle> {
        sqlx::query("INSERT INTO login_throttle (key) VALUES ($1) ON CONFLICT (key) DO NOTHING")
            .bind(key.to_string())
            .execute(&mut *self.tx)
            .await?;
        let lock = if self.backend == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let r =
            sqlx::query(&format!("SELECT failures, first_at, blocked_until FROM login_throttle WHERE key = $1{lock}"))
                .bind(key.to_string())
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(domain::identity::Throttle {
            failures: r.try_get("failures")?,
            first_at: r.try_get("first_at")?,
            blocked_until: r.try_get("blocked_until")?,
        })
    }

    pub async fn throttle_put(&mut self, key: &str, t: domain::identity::Throttle) -> Result<()> {
        sqlx::query("UPDATE login_throttle SET failures = $2, first_at = $3, blocked_until = $4 WHERE key = $1")
            .bind(key.to_string())
            .bind(t.failures)
            .bind(t.first_at)
            .bind(t.blocked_until)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Whether a user has this (normalised) e-mail address, read inside the transaction.
    pub async fn email_taken(&mut self, email: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
            .bind(email.to_string())
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n > 0)
    }

    pub async fn insert_signup_request(&mut self, r: &SignupRequestRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO signup_requests (token_hash, email, org_name, org_name_en, display_name, password_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.token_hash.clone())
        .bind(r.email.clone())
        .bind(r.org_name.clone())
        .bind(r.org_name_en.clone())
        .bind(r.display_name.clone())
        .bind(r.password_hash.clone())
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Takes a pending sign-up (deleting it, so a link works once); None when unknown or expired.
    pub async fn take_signup_request(&mut self, token_hash: &str, now: i64) -> Result<Option<SignupRequestRow>> {
        let r = sqlx::query(
            "DELETE FROM signup_requests WHERE token_hash = $1 RETURNING token_hash, email, org_name, org_name_en, \
             display_name, password_hash, created_at, expires_at",
        )
        .bind(token_hash.to_string())
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let row = SignupRequestRow {
            token_hash: r.try_get("token_hash")?,
            email: r.try_get("email")?,
            org_name: r.try_get("org_name")?,
            org_name_en: r.try_get("org_name_en")?,
            display_name: r.try_get("display_name")?,
            password_hash: r.try_get("password_hash")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
        };
        Ok((row.expires_at > now).then_some(row))
    }
}

impl Store {
    pub async fn orgs(&self, kind: Option<&str>) -> Result<Vec<OrgRow>> {
        let rows = match kind {
            Some(k) => {
                sqlx::query("SELECT id, kind, name, name_en FROM organizations WHERE kind = $1 ORDER BY id")
                    .bind(k.to_string())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT id, kind, name, name_en FROM organizations ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(org_row).collect()
    }

    pub async fn org(&self, id: OrgId) -> Result<OrgRow> {
        let id = id.0;
        let r = sqlx::query("SELECT id, kind, name, name_en FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        org_row(&r)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let r = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email.to_string())
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(user_row).transpose()
    }

    pub async fn user(&self, id: UserId) -> Result<UserRow> {
        let id = id.0;
        let r =
            sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1")).bind(id).fetch_one(&self.pool).await?;
        user_row(&r)
    }

    pub async fn memberships(&self, user_id: UserId) -> Result<Vec<MembershipRow>> {
        let user_id = user_id.0;
        let rows = sqlx::query(
            "SELECT o.id AS org_id, o.kind AS org_kind, o.name AS org_name, o.name_en AS org_name_en, m.role AS role FROM memberships m JOIN organizations o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY o.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipRow {
                    org_id: r.try_get("org_id")?,
                    org_kind: r.try_get("org_kind")?,
                    org_name: r.try_get("org_name")?,
                    org_name_en: r.try_get("org_name_en")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// The admins of an organisation (for notices only admins receive).
    pub async fn org_admin_ids(&self, org_id: OrgId) -> Result<Vec<i64>> {
        let org_id = org_id.0;
        Ok(sqlx::query_scalar("SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'admin' ORDER BY user_id")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let r = sqlx::query("SELECT user_id, csrf, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash.to_string())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            Ok(SessionRow {
                user_id: r.try_get("user_id")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let r = sqlx::query(
            "SELECT id, user_id, name, scopes, created_at, revoked_at FROM api_tokens WHERE token_hash = $1",
        )
        .bind(token_hash.to_string())
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(token_row).transpose()
    }

    pub async fn tokens(&self, user_id: UserId) -> Result<Vec<TokenRow>> {
        let user_id = user_id.0;
        let rows = sqlx::query(
            "SELECT id, user_id, name, scopes, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Drops failed-login counts with nothing left to limit (quiet since `before`).
    pub async fn purge_login_throttle(&self, before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM login_throttle WHERE blocked_until < $1 AND first_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Whether a pending sign-up with this token exists and has not expired.
    pub async fn signup_request_valid(&self, token_hash: &str, now: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signup_requests WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash.to_string())
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    pub async fn purge_signup_requests(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM signup_requests WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}

fn token_row(r: &sqlx::any::AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        scopes: r.try_get("scopes")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}
