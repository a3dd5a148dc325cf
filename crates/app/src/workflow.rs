//! The kit's one way to move any subject along its lifecycle: [`apply_transition`] checks the
//! transition against the program's [`Lifecycle`], requires a reason where the lifecycle says so,
//! and writes the history row, the audit entry and the notification (with its outbox row and
//! delivery job) in the caller's transaction. The program writes its own state column in the
//! same transaction, so all of it commits or none of it does.

use domain::audit::AuditRecord;
use domain::workflow::Lifecycle;
use store::{NewTransition, Notice, Tx};

use crate::{Actor, AppError, Result};

/// One transition to apply.
pub struct Step<'a, L: Lifecycle> {
    pub subject_id: i64,
    pub from: L::State,
    pub transition: L::Transition,
    /// None: the platform itself (expiry, scheduled checks).
    pub actor: Option<&'a Actor>,
    pub comment: &'a str,
    /// Who to tell, if anyone.
    pub notice: Option<Notice<'a>>,
}

/// Longest reason or comment kept with a transition.
pub const MAX_COMMENT_CHARS: usize = 4000;

/// Applies `step`: returns the new state after writing history, audit and notification.
pub async fn apply_transition<L: Lifecycle>(tx: &mut Tx, step: Step<'_, L>, now: i64) -> Result<L::State>
where
    AppError: From<L::Error>,
{
    let comment = domain::text::clean_text(step.comment);
    if L::needs_reason(step.transition) && comment.is_empty() {
        return Err(AppError::field("comment", "理由を入力してください", "Give a reason"));
    }
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::field("comment", "4000文字以内で入力してください", "At most 4000 characters"));
    }
    let to = L::next(step.from, step.transition)?;
    let (actor_id, actor_name, audit_actor) = match step.actor {
        Some(a) => (Some(a.user_id), a.name.clone(), a.audit_name()),
        None => (None, "システム / System".to_string(), "system".to_string()),
    };
    let (from_code, to_code, t_code) =
        (L::state_code(step.from), L::state_code(to), L::transition_code(step.transition));
    tx.record_transition(
        &NewTransition {
            subject_kind: L::SUBJECT,
            subject_id: step.subject_id,
            actor_user_id: actor_id,
            actor_name: &actor_name,
            action: t_code,
            from_state: Some(from_code),
            to_state: to_code,
            comment: &comment,
        },
        now,
    )
    .await?;
    let program = L::SUBJECT.split('.').next().unwrap_or(L::SUBJECT);
    tx.audit(
        &AuditRecord {
            actor: audit_actor,
            action: format!("{program}.{t_code}"),
            subject: format!("{}#{}", L::SUBJECT.rsplit('.').next().unwrap_or(L::SUBJECT), step.subject_id),
            summary: format!("{from_code} -> {to_code}; {comment}"),
        },
        now,
    )
    .await?;
    if let Some(n) = &step.notice {
        tx.notify(n, now).await?;
    }
    Ok(to)
}
