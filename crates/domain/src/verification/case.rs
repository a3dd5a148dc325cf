//! Verification cases (検証案件): one lifecycle for the three kinds of verification, with the
//! plan each kind needs, and the trusted verification bodies (検証機関) that run them.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::identity::id_type;
use crate::text::{char_len, clean_line, clean_text};
use crate::workflow::{Lifecycle, Party};

id_type!(CaseId);

/// The three kinds of verification in the deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 有効性検証: the catalogue claims, each traced to test evidence and a result.
    Effectiveness,
    /// 実環境試行検証: a user organisation hosts the product for a trial period.
    Trial,
    /// ホワイトハッカー実攻撃検証: scoped attacks under rules of engagement.
    WhiteHat,
}

impl CaseKind {
    pub const ALL: [CaseKind; 3] = [CaseKind::Effectiveness, CaseKind::Trial, CaseKind::WhiteHat];
    pub fn code(self) -> &'static str {
        match self {
            CaseKind::Effectiveness => "effectiveness",
            CaseKind::Trial => "trial",
            CaseKind::WhiteHat => "white_hat",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (CaseKind::Effectiveness, false) => "有効性検証",
            (CaseKind::Effectiveness, true) => "Effectiveness verification",
            (CaseKind::Trial, false) => "実環境試行検証",
            (CaseKind::Trial, true) => "Real-environment trial",
            (CaseKind::WhiteHat, false) => "ホワイトハッカー実攻撃検証",
            (CaseKind::WhiteHat, true) => "White-hat attack verification",
        }
    }
}

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Requested,
    Scoped,
    InProgress,
    FindingsReview,
    Decided,
    Published,
    Withdrawn,
    Cancelled,
}

impl CaseState {
    pub const ALL: [CaseState; 8] = [
        CaseState::Requested,
        CaseState::Scoped,
        CaseState::InProgress,
        CaseState::FindingsReview,
        CaseState::Decided,
        CaseState::Published,
        CaseState::Withdrawn,
        CaseState::Cancelled,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CaseState::Requested => "requested",
            CaseState::Scoped => "scoped",
            CaseState::InProgress => "in_progress",
            CaseState::FindingsReview => "findings_review",
            CaseState::Decided => "decided",
            CaseState::Published => "published",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (CaseState::Requested, false) => "依頼受付",
            (CaseState::Requested, true) => "Requested",
            (CaseState::Scoped, false) => "計画確定",
            (CaseState::Scoped, true) => "Scoped",
            (CaseState::InProgress, false) => "検証中",
            (CaseState::InProgress, true) => "In progress",
            (CaseState::FindingsReview, false) => "検出事項の確認中",
            (CaseState::FindingsReview, true) => "Findings review",
            (CaseState::Decided, false) => "判定済み",
            (CaseState::Decided, true) => "Decided",
            (CaseState::Published, false) => "公表",
            (CaseState::Published, true) => "Published",
            (CaseState::Withdrawn, false) => "取下げ",
            (CaseState::Withdrawn, true) => "Withdrawn",
            (CaseState::Cancelled, false) => "中止",
            (CaseState::Cancelled, true) => "Cancelled",
        }
    }
    /// Still moving (not decided, published, withdrawn or cancelled).
    pub fn is_active(self) -> bool {
        matches!(self, CaseState::Requested | CaseState::Scoped | CaseState::InProgress | CaseState::FindingsReview)
    }
}

/// What can happen to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseTransition {
    /// The body accepts the request with a plan.
    Scope,
    Start,
    /// Testing is done: the vendor sees the findings and may respond.
    SubmitFindings,
    /// Back to testing after the vendor's response.
    Resume,
    /// Pass, conditional pass or fail, with reasons.
    Decide,
    /// The vendor consents to publication.
    Publish,
    /// The vendor withdraws the request (a reason).
    Withdraw,
    /// The body or the office cancels (a reason).
    Cancel,
}

impl CaseTransition {
    pub const ALL: [CaseTransition; 8] = [
        CaseTransition::Scope,
        CaseTransition::Start,
        CaseTransition::SubmitFindings,
        CaseTransition::Resume,
        CaseTransition::Decide,
        CaseTransition::Publish,
        CaseTransition::Withdraw,
        CaseTransition::Cancel,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CaseTransition::Scope => "scope",
            CaseTransition::Start => "start",
            CaseTransition::SubmitFindings => "submit_findings",
            CaseTransition::Resume => "resume",
            CaseTransition::Decide => "decide",
            CaseTransition::Publish => "publish",
            CaseTransition::Withdraw => "withdraw",
            CaseTransition::Cancel => "cancel",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (CaseTransition::Scope, false) => "計画を確定して受託",
            (CaseTransition::Scope, true) => "Accept with a plan",
            (CaseTransition::Start, false) => "検証を開始",
            (CaseTransition::Start, true) => "Start testing",
            (CaseTransition::SubmitFindings, false) => "検出事項をベンダーに提示",
            (CaseTransition::SubmitFindings, true) => "Show the findings to the vendor",
            (CaseTransition::Resume, false) => "検証を再開",
            (CaseTransition::Resume, true) => "Resume testing",
            (CaseTransition::Decide, false) => "判定",
            (CaseTransition::Decide, true) => "Decide",
            (CaseTransition::Publish, false) => "公表に同意",
            (CaseTransition::Publish, true) => "Consent to publication",
            (CaseTransition::Withdraw, false) => "依頼を取り下げる",
            (CaseTransition::Withdraw, true) => "Withdraw the request",
            (CaseTransition::Cancel, false) => "中止",
            (CaseTransition::Cancel, true) => "Cancel",
        }
    }
}

/// A transition not possible from the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a case that is {}", .transition.code(), .from.code())]
pub struct InvalidCaseTransition {
    pub from: CaseState,
    pub transition: CaseTransition,
}

impl InvalidCaseTransition {
    pub fn message_ja(&self) -> String {
        format!("「{}」の案件に「{}」はできません", self.from.label(false), self.transition.label(false))
    }
}

/// The case lifecycle for the kit's workflow.
pub struct CaseLifecycle;

impl Lifecycle for CaseLifecycle {
    type State = CaseState;
    type Transition = CaseTransition;
    type Error = InvalidCaseTransition;
    const SUBJECT: &'static str = "verification.case";

    fn state_code(s: CaseState) -> &'static str {
        s.code()
    }
    fn transition_code(t: CaseTransition) -> &'static str {
        t.code()
    }
    fn transition_label(t: CaseTransition, en: bool) -> &'static str {
        t.label(en)
    }
    fn next(from: CaseState, t: CaseTransition) -> Result<CaseState, InvalidCaseTransition> {
        use CaseState as S;
        use CaseTransition as T;
        Ok(match (from, t) {
            (S::Requested, T::Scope) => S::Scoped,
            (S::Scoped, T::Start) => S::InProgress,
            (S::InProgress, T::SubmitFindings) => S::FindingsReview,
            (S::FindingsReview, T::Resume) => S::InProgress,
            (S::FindingsReview, T::Decide) => S::Decided,
            (S::Decided, T::Publish) => S::Published,
            (S::Requested | S::Scoped | S::InProgress | S::FindingsReview | S::Decided, T::Withdraw) => S::Withdrawn,
            (S::Requested | S::Scoped | S::InProgress | S::FindingsReview, T::Cancel) => S::Cancelled,
            _ => return Err(InvalidCaseTransition { from, transition: t }),
        })
    }
    fn parties(t: CaseTransition) -> &'static [Party] {
        match t {
            CaseTransition::Scope
            | CaseTransition::Start
            | CaseTransition::SubmitFindings
            | CaseTransition::Resume
            | CaseTransition::Decide => &[Party::Reviewer],
            CaseTransition::Publish | CaseTransition::Withdraw => &[Party::Owner],
            CaseTransition::Cancel => &[Party::Reviewer, Party::Operator],
        }
    }
    fn needs_reason(t: CaseTransition) -> bool {
        matches!(t, CaseTransition::Withdraw | CaseTransition::Cancel | CaseTransition::Decide)
    }
    fn is_public(to: CaseState) -> bool {
        to == CaseState::Published
    }
}

/// Where a product stands in the program, as the public may know it: verified (a published
/// pass or conditional pass) or not. Cases under way are not public (404 to outsiders), so they
/// do not show here either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Verified,
    #[default]
    None,
}

impl VerificationStatus {
    pub const ALL: [VerificationStatus; 2] = [VerificationStatus::Verified, VerificationStatus::None];
    pub fn code(self) -> &'static str {
        match self {
            VerificationStatus::Verified => "verified",
            VerificationStatus::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (VerificationStatus::Verified, false) => "検証済み",
            (VerificationStatus::Verified, true) => "Verified",
            (VerificationStatus::None, false) => "未検証",
            (VerificationStatus::None, true) => "Not verified",
        }
    }

    /// From a product's cases (state and decision codes): only published ones count.
    pub fn of<'a>(cases: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> VerificationStatus {
        let verified = cases.into_iter().any(|(state, decision)| {
            CaseState::parse(state) == Some(CaseState::Published)
                && matches!(decision.and_then(Decision::parse), Some(Decision::Pass | Decision::Conditional))
        });
        if verified { VerificationStatus::Verified } else { VerificationStatus::None }
    }
}

/// A verification's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pass,
    Conditional,
    Fail,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Pass, Decision::Conditional, Decision::Fail];
    pub fn code(self) -> &'static str {
        match self {
            Decision::Pass => "pass",
            Decision::Conditional => "conditional",
            Decision::Fail => "fail",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Decision::Pass, false) => "合格",
            (Decision::Pass, true) => "Pass",
            (Decision::Conditional, false) => "条件付き合格",
            (Decision::Conditional, true) => "Conditional pass",
            (Decision::Fail, false) => "不合格",
            (Decision::Fail, true) => "Fail",
        }
    }
}

/// The lifecycle stages white-hat methods are chosen for (deck: 製品ライフサイクル).
pub const LIFECYCLE_STAGES: [(&str, &str, &str); 6] = [
    ("design", "設計", "Design"),
    ("manufacturing", "製造", "Manufacturing"),
    ("build_operate", "構築・運用", "Build and operate"),
    ("maintenance", "保守", "Maintenance"),
    ("disposal", "廃棄", "Disposal"),
    ("sbom", "SBOM（全段階）", "SBOM (all stages)"),
];

/// One catalogue claim of an effectiveness case: the evidence it is traced to and the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimCheck {
    pub claim: String,
    /// Test evidence (a test id, a file name, a procedure): empty until traced.
    #[serde(default)]
    pub evidence: String,
    /// met | partly | not_met, or empty until tested.
    #[serde(default)]
    pub result: String,
}

/// A case's plan, by kind (stored as JSON on the case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePlan {
    /// Effectiveness: the claims table (PSQ-style claim ↔ evidence ↔ result).
    #[serde(default)]
    pub claims: Vec<ClaimCheck>,
    /// Trial: the hosting user organisation and the period (YYYY-MM-DD).
    #[serde(default)]
    pub host_org_id: Option<i64>,
    #[serde(default)]
    pub trial_from: String,
    #[serde(default)]
    pub trial_until: String,
    /// White hat: what is in scope, the rules of engagement, the stages' methods.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub time_windows: String,
    #[serde(default)]
    pub allowed_techniques: String,
    #[serde(default)]
    pub out_of_scope: String,
    #[serde(default)]
    pub stages: Vec<String>,
    /// Free-text method or note for any kind.
    #[serde(default)]
    pub method: String,
    /// IP or MAC addresses of the device under test: captures of the case are analysed for them.
    #[serde(default)]
    pub devices: Vec<String>,
    /// The body's testers assigned to the case (user ids); when any are, only they (and the
    /// body's admins) record findings.
    #[serde(default)]
    pub testers: Vec<i64>,
}

impl CasePlan {
    /// The plan the body accepts a case with: what its kind needs, checked.
    pub fn check(&self, kind: CaseKind) -> Result<CasePlan, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut p = self.clone();
        p.scope = clean_text(&p.scope);
        p.time_windows = clean_text(&p.time_windows);
        p.allowed_techniques = clean_text(&p.allowed_techniques);
        p.out_of_scope = clean_text(&p.out_of_scope);
        p.method = clean_text(&p.method);
        p.trial_from = clean_line(&p.trial_from);
        p.trial_until = clean_line(&p.trial_until);
        match parse_devices(&p.devices.join(",")) {
            Ok(d) => p.devices = d,
            Err(e) => errs.push(e),
        }
        for t in [&p.scope, &p.time_windows, &p.allowed_techniques, &p.out_of_scope, &p.method] {
            if char_len(t) > super::TEXT_MAX {
                errs.push(FieldError::new(
                    "plan",
                    "計画の各欄は4000文字以内です",
                    "Each plan field: at most 4000 characters",
                ));
                break;
            }
        }
        match kind {
            CaseKind::Effectiveness => {
                if p.claims.is_empty() {
                    errs.push(FieldError::new(
                        "claims",
                        "検証するカタログ上の主張がありません（製品情報に主張を登録してください）",
                        "No catalogue claims to verify (add claims to the product first)",
                    ));
                }
            }
            CaseKind::Trial => {
                if p.host_org_id.is_none() {
                    errs.push(FieldError::new(
                        "host_org_id",
                        "試行先の利用組織を選択してください",
                        "Choose the hosting user organisation",
                    ));
                }
                let from = crate::registry::parse_date(&p.trial_from);
                let until = crate::registry::parse_date(&p.trial_until);
                match (from, until) {
                    (Some(f), Some(u)) if f <= u => {}
                    _ => errs.push(FieldError::new(
                        "trial_from",
                        "試行期間を YYYY-MM-DD で、開始日 ≦ 終了日となるよう入力してください",
                        "Give the trial period as YYYY-MM-DD, start on or before end",
                    )),
                }
            }
            CaseKind::WhiteHat => {
                if p.scope.is_empty() {
                    errs.push(FieldError::new("scope", "検証の範囲を入力してください", "Describe the scope"));
                }
                if p.time_windows.is_empty() || p.allowed_techniques.is_empty() {
                    errs.push(FieldError::new(
                        "time_windows",
                        "実施時間帯と許可する手法（ルール・オブ・エンゲージメント）を入力してください",
                        "Give the time windows and the allowed techniques (rules of engagement)",
                    ));
                }
                p.stages.retain(|s| LIFECYCLE_STAGES.iter().any(|x| x.0 == s));
                p.stages.sort();
                p.stages.dedup();
                if p.stages.is_empty() {
                    errs.push(FieldError::new(
                        "stages",
                        "対象のライフサイクル段階を選択してください",
                        "Choose the lifecycle stages",
                    ));
                }
            }
        }
        if errs.is_empty() { Ok(p) } else { Err(errs) }
    }

    /// Effectiveness: a claim not yet traced to evidence and a result blocks the decision.
    pub fn untraced_claims(&self) -> Vec<&str> {
        self.claims
            .iter()
            .filter(|c| c.evidence.trim().is_empty() || !matches!(c.result.as_str(), "met" | "partly" | "not_met"))
            .map(|c| c.claim.as_str())
            .collect()
    }
}

/// What an evidence file of a case is; captures and SBOMs are run through the engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// CycloneDX, SPDX or a lockfile: scanned into the version's findings.
    Sbom,
    /// pcap or pcapng (plain or gzip): analysed for the device's traffic.
    Capture,
    /// Anything else kept as evidence (test reports, manuals, photos).
    Document,
    /// A device firmware image: unpacked and inventoried by the firmware engine, its SBOM
    /// scanned into the case's version.
    Firmware,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 4] =
        [EvidenceKind::Sbom, EvidenceKind::Capture, EvidenceKind::Firmware, EvidenceKind::Document];

    pub fn code(self) -> &'static str {
        match self {
            EvidenceKind::Sbom => "sbom",
            EvidenceKind::Capture => "capture",
            EvidenceKind::Document => "document",
            EvidenceKind::Firmware => "firmware",
        }
    }

    pub fn parse(s: &str) -> Option<EvidenceKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (EvidenceKind::Sbom, false) => "SBOM・ロックファイル",
            (EvidenceKind::Sbom, true) => "SBOM or lockfile",
            (EvidenceKind::Capture, false) => "通信キャプチャ",
            (EvidenceKind::Capture, true) => "Network capture",
            (EvidenceKind::Document, false) => "文書",
            (EvidenceKind::Document, true) => "Document",
            (EvidenceKind::Firmware, false) => "ファームウェア",
            (EvidenceKind::Firmware, true) => "Firmware image",
        }
    }
}

/// Device addresses as typed (comma, space or line separated): each an IPv4/IPv6 address or a
/// MAC address (`aa:bb:cc:dd:ee:ff` or with `-`), normalised to lower case; at most 16.
pub fn parse_devices(text: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for d in text.split(|c: char| c == ',' || c == '、' || c == '，' || c.is_whitespace()).filter(|d| !d.is_empty()) {
        let d = crate::text::normalize_width(d).to_ascii_lowercase();
        let ip = d.parse::<std::net::IpAddr>().is_ok();
        let mac = {
            let parts: Vec<&str> = d.split([':', '-']).collect();
            parts.len() == 6 && parts.iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
        };
        if !(ip || mac) {
            return Err(FieldError::new(
                "devices",
                format!("機器のアドレス「{d}」は IP アドレスでも MAC アドレスでもありません"),
                format!("Device address \"{d}\" is neither an IP nor a MAC address"),
            ));
        }
        let d = if mac { d.replace('-', ":") } else { d };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 16 {
        return Err(FieldError::new("devices", "機器のアドレスは16個までです", "At most 16 device addresses"));
    }
    Ok(out)
}

/// A tester's finding as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ManualFindingInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A CVSS v3.0, v3.1 or v4.0 vector; the score is computed from it.
    #[serde(default)]
    pub vector: String,
    #[serde(default)]
    pub reproduction: String,
}

/// A tester's finding, checked (the vector's score is computed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualFinding {
    pub title: String,
    pub description: String,
    pub vector: String,
    pub reproduction: String,
}

impl ManualFinding {
    pub fn parse(i: &ManualFindingInput) -> Result<ManualFinding, Vec<FieldError>> {
        let mut errs = Vec::new();
        let title = clean_line(&i.title);
        if title.is_empty() {
            errs.push(FieldError::new("title", "件名を入力してください", "Title is required"));
        } else if char_len(&title) > super::LINE_MAX {
            errs.push(FieldError::new("title", "件名は200文字以内です", "Title: at most 200 characters"));
        }
        let description = clean_text(&i.description);
        let reproduction = clean_text(&i.reproduction);
        if description.is_empty() {
            errs.push(FieldError::new("description", "内容を入力してください", "Describe the finding"));
        }
        if reproduction.is_empty() {
            errs.push(FieldError::new("reproduction", "再現手順を入力してください", "Give the steps to reproduce it"));
        }
        if char_len(&description) > super::TEXT_MAX || char_len(&reproduction) > super::TEXT_MAX {
            errs.push(FieldError::new("description", "4000文字以内で入力してください", "At most 4000 characters"));
        }
        let vector = i.vector.trim().to_string();
        if !(vector.starts_with("CVSS:3.0/") || vector.starts_with("CVSS:3.1/") || vector.starts_with("CVSS:4.0/")) {
            errs.push(FieldError::new(
                "vector",
                "CVSS ベクトル（CVSS:3.1/… または CVSS:4.0/…）を入力してください",
                "Give a CVSS vector (CVSS:3.1/… or CVSS:4.0/…)",
            ));
        }
        if errs.is_empty() { Ok(ManualFinding { title, description, vector, reproduction }) } else { Err(errs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_goes_forward_and_can_stop() {
        use CaseState as S;
        use CaseTransition as T;
        let walk = [T::Scope, T::Start, T::SubmitFindings, T::Resume, T::SubmitFindings, T::Decide, T::Publish];
        let mut s = S::Requested;
        for t in walk {
            s = CaseLifecycle::next(s, t).unwrap();
        }
        assert_eq!(s, S::Published);
        assert!(CaseLifecycle::next(S::Requested, T::Decide).is_err(), "no decision without testing");
        assert!(CaseLifecycle::next(S::Published, T::Withdraw).is_err());
        assert!(
            CaseLifecycle::next(S::Decided, T::Cancel).is_err(),
            "a decided case is withdrawn by its vendor, not cancelled"
        );
        assert_eq!(CaseLifecycle::next(S::InProgress, T::Cancel), Ok(S::Cancelled));
        assert!(CaseLifecycle::needs_reason(T::Withdraw) && CaseLifecycle::needs_reason(T::Decide));
        assert_eq!(CaseLifecycle::parties(T::Publish), &[Party::Owner], "only the vendor consents");
    }

    #[test]
    fn plans_are_checked_by_kind() {
        let p = CasePlan::default();
        assert_eq!(p.check(CaseKind::Effectiveness).unwrap_err()[0].field, "claims");
        let e = p.check(CaseKind::WhiteHat).unwrap_err();
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["scope", "time_windows", "stages"]);
        let t = CasePlan {
            host_org_id: Some(3),
            trial_from: "2027-02-01".into(),
            trial_until: "2027-01-01".into(),
            ..p.clone()
        };
        assert_eq!(t.check(CaseKind::Trial).unwrap_err()[0].field, "trial_from");
        let w = CasePlan {
            scope: "管理画面と Wi-Fi".into(),
            time_windows: "平日 10-17 時".into(),
            allowed_techniques: "ファジング、認証回避".into(),
            stages: vec!["sbom".into(), "design".into(), "nonsense".into(), "design".into()],
            ..p
        };
        assert_eq!(w.check(CaseKind::WhiteHat).unwrap().stages, vec!["design", "sbom"]);
        let claims = CasePlan {
            claims: vec![
                ClaimCheck { claim: "a".into(), evidence: "T-1".into(), result: "met".into() },
                ClaimCheck { claim: "b".into(), evidence: "".into(), result: "met".into() },
                ClaimCheck { claim: "c".into(), evidence: "T-3".into(), result: "".into() },
            ],
            ..Default::default()
        };
        assert_eq!(claims.untraced_claims(), vec!["b", "c"]);
    }
}
