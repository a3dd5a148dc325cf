//! Verification labels (検証ラベル): what a pass issues, and the status it then lives through.
//! active → suspended (automatically when a critical finding on a covered version stays open past
//! the deadline, or by hand) → reinstated; revoked; expired after two years.

use serde::{Deserialize, Serialize};

use crate::identity::id_type;
use crate::workflow::{Lifecycle, NotAllowed, Party};

id_type!(LabelId);

/// How long a label is valid (JC-STAR: 2 years).
pub const VALIDITY_SECS: i64 = 2 * 365 * 86_400;
/// Default days a critical finding may stay untriaged or exploitable before the label is
/// suspended.
pub const DEFAULT_SUSPEND_DAYS: i64 = 30;
/// A finding at or above this CVSS score is critical for suspension.
pub const CRITICAL_SCORE: f64 = 9.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelStatus {
    Active,
    Suspended,
    Revoked,
    Expired,
}

impl LabelStatus {
    pub const ALL: [LabelStatus; 4] =
        [LabelStatus::Active, LabelStatus::Suspended, LabelStatus::Revoked, LabelStatus::Expired];
    pub fn code(self) -> &'static str {
        match self {
            LabelStatus::Active => "active",
            LabelStatus::Suspended => "suspended",
            LabelStatus::Revoked => "revoked",
            LabelStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (LabelStatus::Active, false) => "有効",
            (LabelStatus::Active, true) => "Active",
            (LabelStatus::Suspended, false) => "一時停止",
            (LabelStatus::Suspended, true) => "Suspended",
            (LabelStatus::Revoked, false) => "取消し",
            (LabelStatus::Revoked, true) => "Revoked",
            (LabelStatus::Expired, false) => "期限切れ",
            (LabelStatus::Expired, true) => "Expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelTransition {
    Suspend,
    Reinstate,
    Revoke,
    Expire,
}

impl LabelTransition {
    pub const ALL: [LabelTransition; 4] =
        [LabelTransition::Suspend, LabelTransition::Reinstate, LabelTransition::Revoke, LabelTransition::Expire];
    pub fn code(self) -> &'static str {
        match self {
            LabelTransition::Suspend => "suspend",
            LabelTransition::Reinstate => "reinstate",
            LabelTransition::Revoke => "revoke",
            LabelTransition::Expire => "expire",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (LabelTransition::Suspend, false) => "一時停止する",
            (LabelTransition::Suspend, true) => "Suspend",
            (LabelTransition::Reinstate, false) => "再開する",
            (LabelTransition::Reinstate, true) => "Reinstate",
            (LabelTransition::Revoke, false) => "取り消す",
            (LabelTransition::Revoke, true) => "Revoke",
            (LabelTransition::Expire, false) => "期限切れにする",
            (LabelTransition::Expire, true) => "Expire",
        }
    }
}

pub struct LabelLifecycle;

impl Lifecycle for LabelLifecycle {
    type State = LabelStatus;
    type Transition = LabelTransition;
    type Error = NotAllowed;
    const SUBJECT: &'static str = "verification.label";

    fn state_code(s: LabelStatus) -> &'static str {
        s.code()
    }
    fn transition_code(t: LabelTransition) -> &'static str {
        t.code()
    }
    fn transition_label(t: LabelTransition, en: bool) -> &'static str {
        t.label(en)
    }
    fn next(from: LabelStatus, t: LabelTransition) -> Result<LabelStatus, NotAllowed> {
        use LabelStatus as S;
        use LabelTransition as T;
        match (from, t) {
            (S::Active, T::Suspend) => Ok(S::Suspended),
            (S::Suspended, T::Reinstate) => Ok(S::Active),
            (S::Active | S::Suspended, T::Revoke) => Ok(S::Revoked),
            (S::Active | S::Suspended, T::Expire) => Ok(S::Expired),
            _ => Err(NotAllowed { from: from.code(), transition: t.code() }),
        }
    }
    fn parties(t: LabelTransition) -> &'static [Party] {
        match t {
            LabelTransition::Suspend => &[Party::Reviewer, Party::Operator, Party::System],
            LabelTransition::Reinstate | LabelTransition::Revoke => &[Party::Reviewer, Party::Operator],
            LabelTransition::Expire => &[Party::System],
        }
    }
    fn needs_reason(t: LabelTransition) -> bool {
        t != LabelTransition::Expire
    }
    fn is_public(_: LabelStatus) -> bool {
        true
    }
}

/// Why an open finding suspends a label: critical by score, or an advisory marked known
/// exploited; open past the deadline. None: it does not.
pub fn suspends(
    score: Option<f64>,
    known_exploited: bool,
    first_seen: i64,
    now: i64,
    deadline_days: i64,
) -> Option<&'static str> {
    if first_seen > now - deadline_days * 86_400 {
        return None;
    }
    if known_exploited {
        Some("known_exploited")
    } else if score.is_some_and(|s| s >= CRITICAL_SCORE) {
        Some("critical")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        use LabelStatus as S;
        use LabelTransition as T;
        assert_eq!(LabelLifecycle::next(S::Active, T::Suspend), Ok(S::Suspended));
        assert_eq!(LabelLifecycle::next(S::Suspended, T::Reinstate), Ok(S::Active));
        assert!(LabelLifecycle::next(S::Active, T::Reinstate).is_err());
        assert!(LabelLifecycle::next(S::Revoked, T::Reinstate).is_err(), "a revoked label stays revoked");
        assert!(LabelLifecycle::next(S::Expired, T::Suspend).is_err());
        assert_eq!(LabelLifecycle::next(S::Suspended, T::Expire), Ok(S::Expired));
        assert!(!LabelLifecycle::parties(T::Reinstate).contains(&Party::System), "only people reinstate");
    }

    #[test]
    fn suspension_rule() {
        let now = 100 * 86_400;
        let old = now - 31 * 86_400;
        assert_eq!(suspends(Some(9.8), false, old, now, 30), Some("critical"));
        assert_eq!(suspends(Some(9.0), false, old, now, 30), Some("critical"));
        assert_eq!(suspends(Some(8.9), false, old, now, 30), None);
        assert_eq!(suspends(Some(5.0), true, old, now, 30), Some("known_exploited"));
        assert_eq!(suspends(Some(9.8), false, now - 29 * 86_400, now, 30), None, "still within the deadline");
        assert_eq!(suspends(None, false, old, now, 30), None);
    }
}
