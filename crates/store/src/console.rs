//! What the program office's console reads and changes: the audit trail by filter, every notice
//! with its deliveries, organisations with their members, and accounts (disable, roles, sessions,
//! one-time links that set a password).

use domain::audit::AuditEntry;
use sqlx::Row;

use crate::{Result, Store, StoreError, Tx, flag};

/// Filters of the audit-trail view; empty fields do not filter. Text matches a part, any case.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// A notice as the office sees it: whom it was for and how far its deliveries got.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_name_en: String,
    pub kind: String,
    pub channel: String,
    pub subject_ja: String,
    pub subject_en: String,
    pub link: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
}

/// An organisation in the console's list.
#[derive(Debug, Clone)]
pub struct OrgSummary {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub name_en: String,
    pub members: i64,
}

/// A member of an organisation as the office manages it.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub is_operator: bool,
    pub sessions: i64,
}

/// Binds text filters as `LOWER(col) LIKE $n`, escaping the pattern's own wildcards.
fn like(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn audit_where(f: &AuditFilter) -> (String, Vec<String>, Vec<i64>) {
    let mut clauses = Vec::new();
    let mut texts = Vec::new();
    let mut ints = Vec::new();
    for (col, v) in [("actor", &f.actor), ("action", &f.action), ("subject", &f.subject)] {
        if !v.trim().is_empty() {
            texts.push(like(v.trim()));
            clauses.push(format!("LOWER({col}) LIKE ${} ESCAPE '\\'", texts.len()));
        }
    }
    let n = texts.len();
    if let Some(from) = f.from {
        ints.push(from);
        clauses.push(format!("at >= ${}", n + ints.len()));
    }
    if let Some(until) = f.until {
        ints.push(until);
        clauses.push(format!("at < ${}", n + ints.len()));
    }
    let w = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (w, texts, ints)
}

impl Store {
    /// Audit entries matching the filter, newest first, and how many match in all.
    pub async fn audit_search(&self, f: &AuditFilter, limit: i64, offset: i64) -> Result<(i64, Vec<AuditEntry>)> {
        let (w, texts, ints) = audit_where(f);
        let n = texts.len() + ints.len();
        let count_sql = format!("SELECT COUNT(*) FROM audit_log{w}");
        let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
        for t in &texts {
            q = q.bind(t.clone());
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let total = q.fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT seq, at, actor, action, subject, summary, prev_hash, hash FROM audit_log{w} \
             ORDER BY seq DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&sql);
        for t in &texts {
            q = q.bind(t.clone());
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok((total, crate::audit::audit_rows(&rows)?))
    }

    /// Every notice, newest first (optionally of one delivery state: `pending`, `failed`,
    /// `sent`), with its organisation and the count of deliveries per outcome.
    pub async fn notices(&self, state: &str, limit: i64, offset: i64) -> Result<(i64, Vec<NoticeRow>)> {
        let failed = "EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id AND d.state = 'failed')";
        let w = match state {
            "pending" => " WHERE o.sent_at IS NULL".to_string(),
            "failed" => format!(" WHERE {failed}"),
            "sent" => format!(" WHERE o.sent_at IS NOT NULL AND NOT {failed}"),
            _ => String::new(),
        };
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM outbox o{w}")).fetch_one(&self.pool).await?;
        let rows = sqlx::query(&format!(
            "SELECT o.id, COALESCE(o.org_id, 0) AS org_id, COALESCE(g.name, '') AS org_name, \
             COALESCE(g.name_en, '') AS org_name_en, o.kind, o.channel, o.payload, o.created_at, o.sent_at, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.outbox_id = o.id AND d.state = 'sent') AS delivered, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.outbox_id = o.id AND d.state = 'failed') AS failed, \
             (SELECT COUNT(*) FROM deliveries d WHERE d.outbox_id = o.id AND d.state NOT IN ('sent', 'failed')) AS pending \
             FROM outbox o LEFT JOIN organizations g ON g.id = o.org_id{w} ORDER BY o.id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
                let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                Ok(NoticeRow {
                    id: r.try_get("id")?,
                    org_id: r.try_get("org_id")?,
                    org_name: r.try_get("org_name")?,
                    org_name_en: r.try_get("org_name_en")?,
                    kind: r.try_get("kind")?,
                    channel: r.try_get("channel")?,
                    subject_ja: s("subject_ja"),
                    subject_en: s("subject_en"),
                    link: s("link"),
                    created_at: r.try_get("created_at")?,
                    sent_at: r.try_get("sent_at")?,
                    delivered: r.try_get("delivered")?,
                    failed: r.try_get("failed")?,
                    pending: r.try_get("pending")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((total, items))
    }

    /// Organisations with their member counts, by kind then name; `q` matches a part of either name.
    pub async fn org_summaries(&self, q: &str) -> Result<Vec<OrgSummary>> {
        let rows = sqlx::query(
            "SELECT o.id, o.kind, o.name, o.name_en, (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id) AS members \
             FROM organizations o WHERE $1 = '%%' OR LOWER(o.name) LIKE $1 ESCAPE '\\' OR LOWER(o.name_en) LIKE $1 ESCAPE '\\' \
             ORDER BY o.kind, o.name, o.id",
        )
        .bind(like(q.trim()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgSummary {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    name: r.try_get("name")?,
                    name_en: r.try_get("name_en")?,
                    members: r.try_get("members")?,
                })
            })
            .collect()
    }

    /// The members of an organisation with their e-mail, role, state and open sessions.
    pub async fn members_of(&self, org_id: i64, now: i64) -> Result<Vec<MemberRow>> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.display_name, m.role, u.disabled, u.is_operator, \
             (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > $2) AS sessions \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.display_name, u.id",
        )
        .bind(org_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MemberRow {
                    user_id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    role: r.try_get("role")?,
                    disabled: flag(r.try_get("disabled")?),
                    is_operator: flag(r.try_get("is_operator")?),
                    sessions: r.try_get("sessions")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Removes password links past their expiry (the daily purge).
    pub async fn purge_password_links(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM password_links WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }

    /// What a password link is for, while it works (it is not used up by looking).
    pub async fn password_link(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT purpose FROM password_links WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash.to_string())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }
}

impl Tx {
    /// A one-time link that sets a user's password (`reset` or `invite`).
    pub async fn insert_password_link(
        &mut self,
        token_hash: &str,
        user_id: i64,
        purpose: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO password_links (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(user_id)
        .bind(purpose.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Takes a link (it works once): the user and the purpose, or None when unknown or expired.
    /// Every other link of that user is removed with it.
    pub async fn take_password_link(&mut self, token_hash: &str, now: i64) -> Result<Option<(i64, String)>> {
        let r = sqlx::query("DELETE FROM password_links WHERE token_hash = $1 RETURNING user_id, purpose, expires_at")
            .bind(token_hash.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(r) = r else { return Ok(None) };
        let (user_id, purpose, expires_at): (i64, String, i64) =
            (r.try_get("user_id")?, r.try_get("purpose")?, r.try_get("expires_at")?);
        sqlx::query("DELETE FROM password_links WHERE user_id = $1").bind(user_id).execute(&mut *self.tx).await?;
        Ok((expires_at > now).then_some((user_id, purpose)))
    }

    /// Removes every password link of a user (the account was disabled).
    pub async fn delete_password_links_of(&mut self, user_id: i64) -> Result<u64> {
        let r =
            sqlx::query("DELETE FROM password_links WHERE user_id = $1").bind(user_id).execute(&mut *self.tx).await?;
        Ok(r.rows_affected())
    }

    pub async fn user_disabled(&mut self, user_id: i64) -> Result<bool> {
        let v: i64 = sqlx::query_scalar("SELECT disabled FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(flag(v))
    }

    /// Revokes every API token of a user still in force; returns how many.
    pub async fn revoke_tokens_of(&mut self, user_id: i64, now: i64) -> Result<u64> {
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn set_password_hash(&mut self, user_id: i64, hash: &str) -> Result<()> {
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_string())
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_sessions_of(&mut self, user_id: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *self.tx).await?;
        Ok(r.rows_affected())
    }

    pub async fn set_user_disabled(&mut self, user_id: i64, disabled: bool) -> Result<()> {
        let r = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Changes a member's role; NotFound when the user is not a member of the organisation.
    pub async fn set_member_role(&mut self, user_id: i64, org_id: i64, role: &str) -> Result<()> {
        let r = sqlx::query("UPDATE memberships SET role = $1 WHERE user_id = $2 AND org_id = $3")
            .bind(role.to_string())
            .bind(user_id)
            .bind(org_id)
            .execute(&mut *self.tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether the user belongs to the organisation, read inside the transaction.
    pub async fn is_member(&mut self, user_id: i64, org_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n > 0)
    }

    pub async fn user_email(&mut self, user_id: i64) -> Result<String> {
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(user_id).fetch_one(&mut *self.tx).await?)
    }

    /// The user with this (normalised) e-mail address, read inside the transaction.
    pub async fn user_id_by_email(&mut self, email: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.to_string())
            .fetch_optional(&mut *self.tx)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards_and_fold_case() {
        assert_eq!(like("Review"), "%review%");
        assert_eq!(like("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like(""), "%%");
    }

    #[test]
    fn audit_filters_number_their_parameters_in_order() {
        let f = AuditFilter {
            actor: "op".into(),
            subject: "service:1".into(),
            from: Some(10),
            until: Some(20),
            ..Default::default()
        };
        let (w, texts, ints) = audit_where(&f);
        assert_eq!(
            w,
            " WHERE LOWER(actor) LIKE $1 ESCAPE '\\' AND LOWER(subject) LIKE $2 ESCAPE '\\' AND at >= $3 AND at < $4"
        );
        assert_eq!(texts.len(), 2);
        assert_eq!(ints, vec![10, 20]);
        assert_eq!(audit_where(&AuditFilter::default()).0, "");
    }
}
