//! The kit's discussion threads: notes on a subject, oldest first.

use sqlx::Row;

use crate::{Result, Store, Tx};

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: i64,
    pub kind: String,
    pub org_id: Option<i64>,
    pub org_name: String,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewNote<'a> {
    pub subject_kind: &'a str,
    pub subject_id: i64,
    pub kind: &'a str,
    pub org_id: Option<i64>,
    pub org_name: &'a str,
    pub user_id: Option<i64>,
    pub author_name: &'a str,
    pub body: &'a str,
}

impl Tx {
    pub async fn insert_note(&mut self, n: &NewNote<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO notes (subject_kind, subject_id, kind, org_id, org_name, user_id, author_name, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(n.subject_kind.to_string())
        .bind(n.subject_id)
        .bind(n.kind.to_string())
        .bind(n.org_id)
        .bind(n.org_name.to_string())
        .bind(n.user_id)
        .bind(n.author_name.to_string())
        .bind(n.body.to_string())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Records the consents of a case (JSON).
    pub async fn set_case_consents(&mut self, case_id: i64, json: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE cases SET consents = $1, updated_at = $2 WHERE id = $3")
            .bind(json.to_string())
            .bind(now)
            .bind(case_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// A subject's notes, oldest first.
    pub async fn notes(&self, subject_kind: &str, subject_id: i64) -> Result<Vec<NoteRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, org_id, org_name, user_id, author_name, body, created_at FROM notes \
             WHERE subject_kind = $1 AND subject_id = $2 ORDER BY id",
        )
        .bind(subject_kind.to_string())
        .bind(subject_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoteRow {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    org_id: r.try_get(2)?,
                    org_name: r.try_get(3)?,
                    user_id: r.try_get(4)?,
                    author_name: r.try_get(5)?,
                    body: r.try_get(6)?,
                    created_at: r.try_get(7)?,
                })
            })
            .collect()
    }
}
