//! Lifecycles every program shares the shape of: states, transitions, who may make each, and
//! whether a reason is required. A program describes its lifecycle by implementing
//! [`Lifecycle`]; the kit's one "apply a transition" function (app::workflow) then writes the
//! history row, the audit entry and the notification in the same transaction for every program.

use std::fmt::Debug;

/// Who makes a transition, as a lifecycle sees the parties of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// A member of the organisation that owns the subject (provider, vendor, SME).
    Owner,
    /// An admin of the owning organisation (withdrawals and other binding acts).
    OwnerAdmin,
    /// The body assigned to review or decide (registration body, verification body, desk).
    Reviewer,
    /// The program office.
    Operator,
    /// The platform itself (expiry, scheduled checks).
    System,
}

/// A transition that is not possible from the current state, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition} from {from}")]
pub struct NotAllowed {
    pub from: &'static str,
    pub transition: &'static str,
}

/// A program's lifecycle as data and pure functions.
pub trait Lifecycle {
    type State: Copy + Eq + Debug + Send + Sync + 'static;
    type Transition: Copy + Eq + Debug + Send + Sync + 'static;
    type Error: std::error::Error + Send + Sync + 'static;

    /// The kind of subject in the shared history and the audit trail, e.g. `registry.service`.
    const SUBJECT: &'static str;

    fn state_code(s: Self::State) -> &'static str;
    fn transition_code(t: Self::Transition) -> &'static str;
    fn transition_label(t: Self::Transition, en: bool) -> &'static str;
    /// The next state, or why the transition is not possible from `from`.
    fn next(from: Self::State, t: Self::Transition) -> Result<Self::State, Self::Error>;
    /// Who may make the transition.
    fn parties(t: Self::Transition) -> &'static [Party];
    /// Whether the transition must carry a reason (kept in the history).
    fn needs_reason(t: Self::Transition) -> bool;
    /// Whether the history entry may be shown to the public.
    fn is_public(to: Self::State) -> bool;
}
