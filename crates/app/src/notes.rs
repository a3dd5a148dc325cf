//! The kit's discussion threads: a program lets the parties of a subject write notes on it (a
//! trial's observations, a vendor's response to a finding and the tester's reply). The program
//! decides who may write and read; the kit checks the text and records the note with its author,
//! the author's organisation and an audit entry, in the caller's transaction.

use domain::audit::AuditRecord;
use store::{NewNote, Tx};

use crate::{Actor, AppError, Result};

/// Longest note kept.
pub const NOTE_MAX_CHARS: usize = 4000;

/// Adds a note to `subject_kind#subject_id` as `actor` of `org` (id and name) in `tx`.
#[allow(clippy::too_many_arguments)]
pub async fn add_note(
    tx: &mut Tx,
    subject_kind: &str,
    subject_id: i64,
    kind: &str,
    actor: &Actor,
    org: Option<(i64, &str)>,
    body: &str,
    now: i64,
) -> Result<i64> {
    let body = domain::text::clean_text(body);
    if body.is_empty() {
        return Err(AppError::field("note", "内容を入力してください", "Write something first"));
    }
    if body.chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::field("note", "4000文字以内で入力してください", "At most 4000 characters"));
    }
    let id = tx
        .insert_note(
            &NewNote {
                subject_kind,
                subject_id,
                kind,
                org_id: org.map(|o| o.0),
                org_name: org.map(|o| o.1).unwrap_or(""),
                user_id: Some(actor.user_id),
                author_name: &actor.name,
                body: &body,
            },
            now,
        )
        .await?;
    let program = subject_kind.split('.').next().unwrap_or(subject_kind);
    tx.audit(
        &AuditRecord {
            actor: actor.audit_name(),
            action: format!("{program}.note_{kind}"),
            subject: format!("{}#{subject_id}", subject_kind.rsplit('.').next().unwrap_or(subject_kind)),
            summary: format!("note#{id} chars={}", body.chars().count()),
        },
        now,
    )
    .await?;
    Ok(id)
}
