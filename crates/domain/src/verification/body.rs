//! A verification body's application to be trusted (検証機関の信頼性確認) and the program
//! office's review of it against the deck's criteria — technical: qualified people, tools, test
//! process, attack data sets; organisational: a management manual, security management — with a
//! validity period; the office can suspend a trusted body and reinstate it.

use serde::{Deserialize, Serialize};

use super::ProductCategory;
use super::case::CaseKind;
use crate::FieldError;
use crate::text::{char_len, clean_text};
use crate::workflow::{Lifecycle, Party};

/// Where a body stands with the program office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// Applied, waiting for the office's review.
    Applied,
    /// Sent back by the office to complete or correct.
    Returned,
    /// Trusted, within its validity period: listed publicly, takes cases in its scope.
    Trusted,
    /// Suspended by the office: not listed, takes no new cases.
    Suspended,
    /// Refused by the office; the body may apply again.
    Rejected,
}

impl BodyState {
    pub const ALL: [BodyState; 5] =
        [BodyState::Applied, BodyState::Returned, BodyState::Trusted, BodyState::Suspended, BodyState::Rejected];
    pub fn code(self) -> &'static str {
        match self {
            BodyState::Applied => "applied",
            BodyState::Returned => "returned",
            BodyState::Trusted => "trusted",
            BodyState::Suspended => "suspended",
            BodyState::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (BodyState::Applied, false) => "審査中",
            (BodyState::Applied, true) => "Under review",
            (BodyState::Returned, false) => "差戻し",
            (BodyState::Returned, true) => "Returned",
            (BodyState::Trusted, false) => "信頼済み",
            (BodyState::Trusted, true) => "Trusted",
            (BodyState::Suspended, false) => "一時停止",
            (BodyState::Suspended, true) => "Suspended",
            (BodyState::Rejected, false) => "不承認",
            (BodyState::Rejected, true) => "Rejected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyTransition {
    /// The body applies (first time, after a return or a rejection, or when its validity ended).
    Apply,
    Approve,
    Return,
    Reject,
    Suspend,
    Reinstate,
}

impl BodyTransition {
    pub const ALL: [BodyTransition; 6] = [
        BodyTransition::Apply,
        BodyTransition::Approve,
        BodyTransition::Return,
        BodyTransition::Reject,
        BodyTransition::Suspend,
        BodyTransition::Reinstate,
    ];
    pub fn code(self) -> &'static str {
        match self {
            BodyTransition::Apply => "apply",
            BodyTransition::Approve => "approve",
            BodyTransition::Return => "return",
            BodyTransition::Reject => "reject",
            BodyTransition::Suspend => "suspend",
            BodyTransition::Reinstate => "reinstate",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (BodyTransition::Apply, false) => "申請する",
            (BodyTransition::Apply, true) => "Apply",
            (BodyTransition::Approve, false) => "承認する",
            (BodyTransition::Approve, true) => "Approve",
            (BodyTransition::Return, false) => "差し戻す",
            (BodyTransition::Return, true) => "Return",
            (BodyTransition::Reject, false) => "不承認にする",
            (BodyTransition::Reject, true) => "Reject",
            (BodyTransition::Suspend, false) => "一時停止する",
            (BodyTransition::Suspend, true) => "Suspend",
            (BodyTransition::Reinstate, false) => "停止を解除する",
            (BodyTransition::Reinstate, true) => "Reinstate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a verification body that is {}", .transition.code(), .from.code())]
pub struct InvalidBodyTransition {
    pub from: BodyState,
    pub transition: BodyTransition,
}

impl InvalidBodyTransition {
    pub fn message_ja(&self) -> String {
        format!("「{}」の検証機関を「{}」ことはできません", self.from.label(false), self.transition.label(false))
    }
}

/// The body lifecycle for the kit's workflow. A new application has no state yet: the store
/// starts it as `Returned` (nothing to review) so that `Apply` is the first transition.
pub struct BodyLifecycle;

impl Lifecycle for BodyLifecycle {
    type State = BodyState;
    type Transition = BodyTransition;
    type Error = InvalidBodyTransition;
    const SUBJECT: &'static str = "verification.body";

    fn state_code(s: BodyState) -> &'static str {
        s.code()
    }
    fn transition_code(t: BodyTransition) -> &'static str {
        t.code()
    }
    fn transition_label(t: BodyTransition, en: bool) -> &'static str {
        t.label(en)
    }
    fn next(from: BodyState, t: BodyTransition) -> Result<BodyState, InvalidBodyTransition> {
        use BodyState as S;
        use BodyTransition as T;
        Ok(match (from, t) {
            (S::Returned | S::Rejected, T::Apply) => S::Applied,
            // once its validity has ended (the use case checks), a trusted or suspended body
            // applies again
            (S::Trusted | S::Suspended, T::Apply) => S::Applied,
            (S::Applied, T::Approve) => S::Trusted,
            (S::Applied, T::Return) => S::Returned,
            (S::Applied, T::Reject) => S::Rejected,
            (S::Trusted, T::Suspend) => S::Suspended,
            (S::Suspended, T::Reinstate) => S::Trusted,
            _ => return Err(InvalidBodyTransition { from, transition: t }),
        })
    }
    fn parties(t: BodyTransition) -> &'static [Party] {
        match t {
            BodyTransition::Apply => &[Party::Owner],
            _ => &[Party::Operator],
        }
    }
    fn needs_reason(t: BodyTransition) -> bool {
        matches!(t, BodyTransition::Return | BodyTransition::Reject | BodyTransition::Suspend)
    }
    fn is_public(to: BodyState) -> bool {
        matches!(to, BodyState::Trusted | BodyState::Suspended)
    }
}

/// The deck's criteria, in the order the office reviews them: (code, group, Japanese, English).
pub const CRITERIA: [(&str, &str, &str, &str); 6] = [
    (
        "people",
        "technical",
        "有資格者の体制（氏名・資格・経験）",
        "Qualified people (names, qualifications, experience)",
    ),
    ("tools", "technical", "検証に用いるツール・設備", "Tools and facilities used for testing"),
    (
        "process",
        "technical",
        "検証の手順（計画・実施・報告・品質確認）",
        "Test process (plan, execution, reporting, quality review)",
    ),
    (
        "attack_data",
        "technical",
        "攻撃データセット・脆弱性情報の入手と管理",
        "Attack data sets and vulnerability information: sources and handling",
    ),
    ("manual", "organisational", "マネジメントマニュアル（版・承認者）", "Management manual (edition, approver)"),
    (
        "security",
        "organisational",
        "情報セキュリティ管理（ISMS 等の認証、検体・結果の保護）",
        "Security management (ISMS or similar, protection of samples and results)",
    ),
];

/// A body's application as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyApplication {
    /// Verification kinds it asks to run (codes).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Product categories it asks to cover (codes).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Shown on the public list once trusted.
    #[serde(default)]
    pub summary: String,
    /// One answer per criterion, by code (see [`CRITERIA`]).
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
}

impl BodyApplication {
    /// The application checked: at least one kind and category, an answer to every criterion.
    pub fn check(&self) -> Result<(BodyApplication, Vec<CaseKind>, Vec<ProductCategory>), Vec<FieldError>> {
        let mut errs = Vec::new();
        let kinds: Vec<CaseKind> =
            CaseKind::ALL.into_iter().filter(|k| self.kinds.iter().any(|c| c == k.code())).collect();
        let categories: Vec<ProductCategory> =
            ProductCategory::ALL.into_iter().filter(|c| self.categories.iter().any(|x| x == c.code())).collect();
        if kinds.is_empty() || kinds.len() != self.kinds.len() {
            errs.push(FieldError::new(
                "kinds",
                "対応する検証の種類を選択してください",
                "Choose the kinds of verification",
            ));
        }
        if categories.is_empty() || categories.len() != self.categories.len() {
            errs.push(FieldError::new(
                "categories",
                "対象の製品区分を選択してください",
                "Choose the product categories",
            ));
        }
        let summary = clean_text(&self.summary);
        if summary.is_empty() {
            errs.push(FieldError::new("summary", "公開する紹介文を入力してください", "Give the public summary"));
        } else if char_len(&summary) > 1000 {
            errs.push(FieldError::new("summary", "紹介文は1000文字以内です", "Summary: at most 1000 characters"));
        }
        let mut answers = std::collections::BTreeMap::new();
        for (code, _, ja, en) in CRITERIA {
            let a = clean_text(self.answers.get(code).map(String::as_str).unwrap_or(""));
            if a.is_empty() {
                errs.push(FieldError::new(code, format!("「{ja}」を記入してください"), format!("Describe: {en}")));
            } else if char_len(&a) > super::TEXT_MAX {
                errs.push(FieldError::new(code, "4000文字以内で入力してください", "At most 4000 characters"));
            }
            answers.insert(code.to_string(), a);
        }
        if let Some(k) = self.answers.keys().find(|k| !CRITERIA.iter().any(|c| c.0 == k.as_str())) {
            errs.push(FieldError::new("answers", format!("不明な基準です: {k}"), format!("Unknown criterion: {k}")));
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let app = BodyApplication {
            kinds: kinds.iter().map(|k| k.code().to_string()).collect(),
            categories: categories.iter().map(|c| c.code().to_string()).collect(),
            summary,
            answers,
        };
        Ok((app, kinds, categories))
    }
}

/// The office's review of one criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionReview {
    pub met: bool,
    #[serde(default)]
    pub note: String,
}

/// The office's review: one entry per criterion. Approval needs every criterion met.
pub fn unmet(review: &std::collections::BTreeMap<String, CriterionReview>) -> Vec<&'static str> {
    CRITERIA.iter().filter(|c| !review.get(c.0).is_some_and(|r| r.met)).map(|c| c.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> BodyApplication {
        BodyApplication {
            kinds: vec!["white_hat".into()],
            categories: vec!["iot_device".into()],
            summary: "IoT 機器の実攻撃検証".into(),
            answers: CRITERIA.iter().map(|c| (c.0.to_string(), format!("{} の説明", c.2))).collect(),
        }
    }

    #[test]
    fn an_application_needs_every_criterion() {
        let (a, kinds, cats) = full().check().unwrap();
        assert_eq!((kinds, cats), (vec![CaseKind::WhiteHat], vec![ProductCategory::IotDevice]));
        assert_eq!(a.answers.len(), 6);
        let mut b = full();
        b.answers.remove("attack_data");
        b.kinds = vec!["audit".into()];
        let errs = b.check().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["kinds", "attack_data"]);
        let mut c = full();
        c.answers.insert("bribes".into(), "x".into());
        assert_eq!(c.check().unwrap_err()[0].field, "answers");
    }

    #[test]
    fn the_lifecycle() {
        use BodyState as S;
        use BodyTransition as T;
        assert_eq!(BodyLifecycle::next(S::Returned, T::Apply), Ok(S::Applied));
        assert_eq!(BodyLifecycle::next(S::Applied, T::Approve), Ok(S::Trusted));
        assert_eq!(BodyLifecycle::next(S::Trusted, T::Suspend), Ok(S::Suspended));
        assert_eq!(BodyLifecycle::next(S::Suspended, T::Reinstate), Ok(S::Trusted));
        assert!(BodyLifecycle::next(S::Suspended, T::Approve).is_err());
        assert!(BodyLifecycle::next(S::Rejected, T::Approve).is_err());
        assert_eq!(BodyLifecycle::parties(T::Apply), &[Party::Owner]);
        assert!(BodyLifecycle::needs_reason(T::Suspend) && !BodyLifecycle::needs_reason(T::Approve));
        let mut r = std::collections::BTreeMap::new();
        assert_eq!(unmet(&r).len(), 6);
        for c in CRITERIA {
            r.insert(c.0.to_string(), CriterionReview { met: true, note: String::new() });
        }
        assert!(unmet(&r).is_empty());
    }
}
