//! The one transitions history every lifecycle writes (the kit's workflow).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, Tx};

/// One entry of a subject's history.
#[derive(Debug, Clone)]
pub struct TransitionRow {
    pub id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub comment: String,
}

/// What to record.
#[derive(Debug, Clone)]
pub struct NewTransition<'a> {
    pub subject_kind: &'a str,
    pub subject_id: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub comment: &'a str,
}

const COLS: &str = "t.id, t.subject_kind, t.subject_id, t.at, t.actor_user_id, t.actor_name, t.action, t.from_state, t.to_state, t.comment";

pub(crate) fn transition_row(r: &AnyRow) -> Result<TransitionRow> {
    Ok(TransitionRow {
        id: r.try_get("id")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        at: r.try_get("at")?,
        actor_user_id: r.try_get("actor_user_id")?,
        actor_name: r.try_get("actor_name")?,
        action: r.try_get("action")?,
        from_state: r.try_get("from_state")?,
        to_state: r.try_get("to_state")?,
        comment: r.try_get("comment")?,
    })
}

impl Tx {
    pub async fn record_transition(&mut self, t: &NewTransition<'_>, at: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO transitions (subject_kind, subject_id, at, actor_user_id, actor_name, action, from_state, to_state, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(t.subject_kind.to_string())
        .bind(t.subject_id)
        .bind(at)
        .bind(t.actor_user_id)
        .bind(t.actor_name.to_string())
        .bind(t.action.to_string())
        .bind(t.from_state.map(str::to_string))
        .bind(t.to_state.to_string())
        .bind(t.comment.to_string())
        .fetch_one(&mut *self.tx)
        .await?)
    }
}

impl Store {
    /// A subject's history, oldest first.
    pub async fn transitions_of(&self, subject_kind: &str, subject_id: i64) -> Result<Vec<TransitionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM transitions t WHERE t.subject_kind = $1 AND t.subject_id = $2 ORDER BY t.id"
        ))
        .bind(subject_kind.to_string())
        .bind(subject_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(transition_row).collect()
    }
}

pub(crate) const TRANSITION_COLS: &str = COLS;
