//! The registration lifecycle as a state machine. Each transition is a function from the
//! current state to the next one, or an error that says why it is not possible.

use serde::Serialize;

use crate::Timestamp;

/// Registration validity: two years, to the same calendar day (see [`two_years_on`]).
pub const VALIDITY_YEARS: i32 = 2;
/// Reminder offsets before expiry: 90 and 30 days.
pub const REMINDER_DAYS: [i64; 2] = [90, 30];

/// Where a service is in its registration lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// 下書き
    Draft,
    /// 審査中
    Submitted,
    /// 差戻し
    Returned,
    /// 掲載中 (登録済み)
    Listed,
    /// 変更審査中 — still listed while a change request is reviewed.
    ChangeRequested,
    /// 更新審査中 — still listed while a renewal (更新) is reviewed.
    RenewalRequested,
    /// 一時停止
    Suspended,
    /// 却下
    Rejected,
    /// 取下げ・登録取消
    Withdrawn,
    /// 有効期限切れ
    Expired,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 10] = [
        ServiceStatus::Draft,
        ServiceStatus::Submitted,
        ServiceStatus::Returned,
        ServiceStatus::Listed,
        ServiceStatus::ChangeRequested,
        ServiceStatus::RenewalRequested,
        ServiceStatus::Suspended,
        ServiceStatus::Rejected,
        ServiceStatus::Withdrawn,
        ServiceStatus::Expired,
    ];

    /// Statuses that appear on the public list (once a service was listed, its later
    /// states stay visible so buyers can see that a registration ended).
    pub const PUBLIC: [ServiceStatus; 6] = [
        ServiceStatus::Listed,
        ServiceStatus::ChangeRequested,
        ServiceStatus::RenewalRequested,
        ServiceStatus::Suspended,
        ServiceStatus::Withdrawn,
        ServiceStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ServiceStatus::Draft => "draft",
            ServiceStatus::Submitted => "submitted",
            ServiceStatus::Returned => "returned",
            ServiceStatus::Listed => "listed",
            ServiceStatus::ChangeRequested => "change_requested",
            ServiceStatus::RenewalRequested => "renewal_requested",
            ServiceStatus::Suspended => "suspended",
            ServiceStatus::Rejected => "rejected",
            ServiceStatus::Withdrawn => "withdrawn",
            ServiceStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (ServiceStatus::Draft, false) => "下書き",
            (ServiceStatus::Draft, true) => "Draft",
            (ServiceStatus::Submitted, false) => "審査中",
            (ServiceStatus::Submitted, true) => "Under review",
            (ServiceStatus::Returned, false) => "差戻し",
            (ServiceStatus::Returned, true) => "Returned",
            (ServiceStatus::Listed, false) => "登録・掲載中",
            (ServiceStatus::Listed, true) => "Listed",
            (ServiceStatus::ChangeRequested, false) => "変更審査中",
            (ServiceStatus::ChangeRequested, true) => "Change under review",
            (ServiceStatus::RenewalRequested, false) => "更新審査中",
            (ServiceStatus::RenewalRequested, true) => "Renewal under review",
            (ServiceStatus::Suspended, false) => "一時停止",
            (ServiceStatus::Suspended, true) => "Suspended",
            (ServiceStatus::Rejected, false) => "却下",
            (ServiceStatus::Rejected, true) => "Rejected",
            (ServiceStatus::Withdrawn, false) => "取下げ・取消",
            (ServiceStatus::Withdrawn, true) => "Withdrawn",
            (ServiceStatus::Expired, false) => "期限切れ",
            (ServiceStatus::Expired, true) => "Expired",
        }
    }

    pub fn is_public(self) -> bool {
        Self::PUBLIC.contains(&self)
    }

    /// Counts as a current registration (buyers may rely on it).
    pub fn is_registered(self) -> bool {
        matches!(self, ServiceStatus::Listed | ServiceStatus::ChangeRequested | ServiceStatus::RenewalRequested)
    }

    /// Statuses a registration's validity runs in (reminders and expiry apply).
    pub const VALID: [ServiceStatus; 4] = [
        ServiceStatus::Listed,
        ServiceStatus::ChangeRequested,
        ServiceStatus::RenewalRequested,
        ServiceStatus::Suspended,
    ];
}

/// Every action that moves a service between states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    Return,
    Approve,
    Reject,
    RequestChange,
    ApproveChange,
    RejectChange,
    RequestRenewal,
    ApproveRenewal,
    RejectRenewal,
    Suspend,
    Reinstate,
    Withdraw,
    Expire,
}

impl Transition {
    pub const ALL: [Transition; 14] = [
        Transition::Submit,
        Transition::Return,
        Transition::Approve,
        Transition::Reject,
        Transition::RequestChange,
        Transition::ApproveChange,
        Transition::RejectChange,
        Transition::RequestRenewal,
        Transition::ApproveRenewal,
        Transition::RejectRenewal,
        Transition::Suspend,
        Transition::Reinstate,
        Transition::Withdraw,
        Transition::Expire,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }

    pub fn code(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Return => "return",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::RequestChange => "request_change",
            Transition::ApproveChange => "approve_change",
            Transition::RejectChange => "reject_change",
            Transition::RequestRenewal => "request_renewal",
            Transition::ApproveRenewal => "approve_renewal",
            Transition::RejectRenewal => "reject_renewal",
            Transition::Suspend => "suspend",
            Transition::Reinstate => "reinstate",
            Transition::Withdraw => "withdraw",
            Transition::Expire => "expire",
        }
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Transition::Submit, false) => "申請",
            (Transition::Submit, true) => "Submitted",
            (Transition::Return, false) => "差戻し",
            (Transition::Return, true) => "Returned with comments",
            (Transition::Approve, false) => "登録（承認）",
            (Transition::Approve, true) => "Approved and listed",
            (Transition::Reject, false) => "却下",
            (Transition::Reject, true) => "Rejected",
            (Transition::RequestChange, false) => "変更申請",
            (Transition::RequestChange, true) => "Change requested",
            (Transition::ApproveChange, false) => "変更承認",
            (Transition::ApproveChange, true) => "Change approved",
            (Transition::RejectChange, false) => "変更却下",
            (Transition::RejectChange, true) => "Change rejected",
            (Transition::RequestRenewal, false) => "更新申請",
            (Transition::RequestRenewal, true) => "Renewal requested",
            (Transition::ApproveRenewal, false) => "更新承認",
            (Transition::ApproveRenewal, true) => "Renewal approved",
            (Transition::RejectRenewal, false) => "更新却下",
            (Transition::RejectRenewal, true) => "Renewal rejected",
            (Transition::Suspend, false) => "一時停止",
            (Transition::Suspend, true) => "Suspended",
            (Transition::Reinstate, false) => "停止解除",
            (Transition::Reinstate, true) => "Reinstated",
            (Transition::Withdraw, false) => "取下げ・取消",
            (Transition::Withdraw, true) => "Withdrawn",
            (Transition::Expire, false) => "期限満了",
            (Transition::Expire, true) => "Expired",
        }
    }

    /// Transitions the public sees in a listed service's history: listed, changed, renewed,
    /// suspended, reinstated, withdrawn, expired. Drafts, submissions, returns, rejections and
    /// requests under review stay with the provider, its body and the office.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            Transition::Approve
                | Transition::ApproveChange
                | Transition::ApproveRenewal
                | Transition::Suspend
                | Transition::Reinstate
                | Transition::Withdraw
                | Transition::Expire
        )
    }

    /// Transitions whose comment is mandatory (a reason must be recorded).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Transition::Return
                | Transition::Reject
                | Transition::RejectChange
                | Transition::RejectRenewal
                | Transition::Suspend
                | Transition::Withdraw
        )
    }
}

/// A transition that is not possible from the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a service that is {from}", action = .transition.code(), from = .from.code())]
pub struct InvalidTransition {
    pub from: ServiceStatus,
    pub transition: Transition,
}

impl InvalidTransition {
    pub fn message_ja(&self) -> String {
        format!(
            "「{}」の状態のサービスに対して「{}」はできません",
            self.from.label(false),
            self.transition.label(false)
        )
    }
}

/// The next state after `t` from `from`, or why not.
pub fn next_status(from: ServiceStatus, t: Transition) -> Result<ServiceStatus, InvalidTransition> {
    use ServiceStatus as S;
    use Transition as T;
    let to = match (from, t) {
        (S::Draft | S::Returned, T::Submit) => S::Submitted,
        (S::Submitted, T::Return) => S::Returned,
        (S::Submitted, T::Approve) => S::Listed,
        (S::Submitted, T::Reject) => S::Rejected,
        (S::Listed, T::RequestChange) => S::ChangeRequested,
        (S::ChangeRequested, T::ApproveChange | T::RejectChange) => S::Listed,
        (S::Listed, T::RequestRenewal) => S::RenewalRequested,
        (S::RenewalRequested, T::ApproveRenewal | T::RejectRenewal) => S::Listed,
        (S::Listed | S::ChangeRequested | S::RenewalRequested, T::Suspend) => S::Suspended,
        (S::Suspended, T::Reinstate) => S::Listed,
        (
            S::Draft | S::Submitted | S::Returned | S::Listed | S::ChangeRequested | S::RenewalRequested | S::Suspended,
            T::Withdraw,
        ) => S::Withdrawn,
        (S::Listed | S::ChangeRequested | S::RenewalRequested | S::Suspended, T::Expire) => S::Expired,
        _ => {
            return Err(InvalidTransition { from, transition: t });
        }
    };
    Ok(to)
}

/// The registry's lifecycle for the kit's workflow helper.
pub struct ServiceLifecycle;

impl crate::workflow::Lifecycle for ServiceLifecycle {
    type State = ServiceStatus;
    type Transition = Transition;
    type Error = InvalidTransition;
    const SUBJECT: &'static str = "registry.service";

    fn state_code(s: ServiceStatus) -> &'static str {
        s.code()
    }
    fn transition_code(t: Transition) -> &'static str {
        t.code()
    }
    fn transition_label(t: Transition, en: bool) -> &'static str {
        t.label(en)
    }
    fn next(from: ServiceStatus, t: Transition) -> Result<ServiceStatus, InvalidTransition> {
        next_status(from, t)
    }
    fn parties(t: Transition) -> &'static [crate::workflow::Party] {
        use crate::workflow::Party as P;
        match t {
            Transition::Submit | Transition::RequestChange | Transition::RequestRenewal => &[P::Owner],
            Transition::Return
            | Transition::Approve
            | Transition::Reject
            | Transition::ApproveChange
            | Transition::RejectChange
            | Transition::ApproveRenewal
            | Transition::RejectRenewal => &[P::Reviewer],
            Transition::Suspend | Transition::Reinstate => &[P::Operator],
            Transition::Withdraw => &[P::OwnerAdmin, P::Operator],
            Transition::Expire => &[P::System],
        }
    }
    fn needs_reason(t: Transition) -> bool {
        t.needs_reason()
    }
    fn is_public(to: ServiceStatus) -> bool {
        to.is_public()
    }
}

/// Days before expiry from which a registration can apply for renewal (更新).
pub const RENEWAL_WINDOW_DAYS: i64 = 90;

/// Whether a registration valid until `valid_until` may apply for renewal at `now`.
pub fn renewal_open(valid_until: Timestamp, now: Timestamp) -> bool {
    now >= valid_until - RENEWAL_WINDOW_DAYS * 86_400 && now < valid_until
}

/// The end (23:59:59 JST) of the same calendar day in Japan two years after `t`; 29 February
/// becomes 28 February. A registration approved on 2026-12-03 is valid through 2028-12-03.
pub fn two_years_on(t: Timestamp) -> Timestamp {
    use time::{Date, OffsetDateTime, UtcOffset};
    let jst = UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC);
    let day = OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(jst).date();
    let year = day.year() + VALIDITY_YEARS;
    let last = day.month().length(year);
    Date::from_calendar_date(year, day.month(), day.day().min(last))
        .ok()
        .and_then(|d| d.with_hms(23, 59, 59).ok())
        .map(|d| d.assume_offset(jst).unix_timestamp())
        .unwrap_or(t + 2 * 365 * 86_400)
}

/// The new validity end of an approved renewal: two more years from the current end, to the
/// same calendar day, so the registration has no gap whenever the renewal is approved within
/// its validity.
pub fn renewed_until(valid_until: Timestamp) -> Timestamp {
    two_years_on(valid_until)
}

/// Validity end for a registration approved at `approved_at`: the same calendar day two years
/// later (through its end, Japan time).
pub fn valid_until(approved_at: Timestamp) -> Timestamp {
    two_years_on(approved_at)
}

/// Which reminder (90 or 30 days) is due now, if any, given those already sent.
pub fn due_reminder(valid_until: Timestamp, now: Timestamp, sent: &[i64]) -> Option<i64> {
    // The nearest threshold passed is the one to send; an older one is skipped.
    REMINDER_DAYS
        .iter()
        .rev()
        .copied()
        .find(|d| now >= valid_until - d * 86_400 && now < valid_until)
        .filter(|d| !sent.contains(d) && !sent.iter().any(|s| s < d))
}

/// Ledger number (登録番号): category code, sequence, two-digit year, e.g. `002-0031-19`.
pub fn ledger_number(category: super::Category, seq: i64, year: i32) -> String {
    format!("{:03}-{:04}-{:02}", category.ledger_code(), seq, year.rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approving_a_withdrawn_service_is_refused_with_reason() {
        let e = next_status(ServiceStatus::Withdrawn, Transition::Approve).unwrap_err();
        assert_eq!(e.to_string(), "cannot approve a service that is withdrawn");
        assert!(e.message_ja().contains("取下げ"));
    }

    #[test]
    fn happy_path() {
        let mut s = ServiceStatus::Draft;
        for t in [Transition::Submit, Transition::Return, Transition::Submit, Transition::Approve] {
            s = next_status(s, t).unwrap();
        }
        assert_eq!(s, ServiceStatus::Listed);
        assert_eq!(next_status(s, Transition::RequestChange).unwrap(), ServiceStatus::ChangeRequested);
        assert_eq!(next_status(s, Transition::Expire).unwrap(), ServiceStatus::Expired);
        assert!(next_status(ServiceStatus::Expired, Transition::Reinstate).is_err());
        assert!(next_status(ServiceStatus::Rejected, Transition::Withdraw).is_err());
    }

    #[test]
    fn validity_is_two_calendar_years() {
        // approved 2026-12-03 10:00 JST (01:00 UTC): valid through 2028-12-03 23:59:59 JST
        let approved = 1_796_259_600;
        assert_eq!(valid_until(approved), 1_859_468_399);
        // approved 2028-02-29 12:00 JST: valid through 2030-02-28
        let leap = 1_835_406_000;
        let end = time::OffsetDateTime::from_unix_timestamp(valid_until(leap))
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
        assert_eq!((end.year(), end.month() as u8, end.day(), end.hour()), (2030, 2, 28, 23));
        // just before midnight JST (14:59 UTC) is still that day in Japan
        let late = 1_796_309_940; // 2026-12-03 23:59 JST
        assert_eq!(valid_until(late), valid_until(approved));
        // a renewal adds two calendar years to the end
        assert_eq!(renewed_until(valid_until(approved)), 1_922_540_399);
    }

    #[test]
    fn renewal() {
        let vu = 1_000 * 86_400;
        assert!(!renewal_open(vu, vu - 91 * 86_400));
        assert!(renewal_open(vu, vu - 90 * 86_400));
        assert!(renewal_open(vu, vu - 1));
        assert!(!renewal_open(vu, vu));
        assert_eq!(renewed_until(vu), two_years_on(vu));
        let s = next_status(ServiceStatus::Listed, Transition::RequestRenewal).unwrap();
        assert_eq!(s, ServiceStatus::RenewalRequested);
        assert!(s.is_registered() && s.is_public());
        assert_eq!(next_status(s, Transition::ApproveRenewal).unwrap(), ServiceStatus::Listed);
        assert_eq!(next_status(s, Transition::Expire).unwrap(), ServiceStatus::Expired);
        assert!(next_status(ServiceStatus::ChangeRequested, Transition::RequestRenewal).is_err());
        assert!(next_status(ServiceStatus::Expired, Transition::RequestRenewal).is_err());
    }

    #[test]
    fn reminders() {
        let vu = 1_000 * 86_400;
        assert_eq!(due_reminder(vu, vu - 100 * 86_400, &[]), None);
        assert_eq!(due_reminder(vu, vu - 89 * 86_400, &[]), Some(90));
        assert_eq!(due_reminder(vu, vu - 89 * 86_400, &[90]), None);
        assert_eq!(due_reminder(vu, vu - 29 * 86_400, &[90]), Some(30));
        assert_eq!(due_reminder(vu, vu - 29 * 86_400, &[]), Some(30));
        assert_eq!(due_reminder(vu, vu - 29 * 86_400, &[30]), None);
        assert_eq!(due_reminder(vu, vu + 1, &[]), None);
    }

    #[test]
    fn ledger_format() {
        assert_eq!(ledger_number(super::super::Category::VulnerabilityAssessment, 31, 2019), "002-0031-19");
    }
}
