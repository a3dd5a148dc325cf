//! The verification platform (検証基盤 "Checked by Japan"): products and their versions, the
//! findings the engines and testers record against a version, and the triage states those
//! findings move through (the CycloneDX / VEX analysis states).

pub mod body;
pub mod case;
pub mod checklist;
pub mod label;
pub mod priority;
pub mod review;

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::identity::id_type;
use crate::registry::parse_date;
use crate::text::{char_len, clean_line, clean_text};

id_type!(ProductId);
id_type!(ProductVersionId);
id_type!(FindingId);

pub const NAME_MAX: usize = 120;
pub const TEXT_MAX: usize = 4000;
pub const LINE_MAX: usize = 200;
pub const VERSION_MAX: usize = 64;
pub const CLAIMS_MAX: usize = 50;

/// What kind of thing a product is (the deck's verification targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductCategory {
    /// セキュリティ製品 (UTM, firewall, EDR …)
    SecurityProduct,
    /// IoT 機器 (routers, cameras, smart locks, tablets …)
    IotDevice,
    /// 制御システム (ICS / OT)
    ControlSystem,
    /// ソフトウェア
    Software,
}

impl ProductCategory {
    pub const ALL: [ProductCategory; 4] = [
        ProductCategory::SecurityProduct,
        ProductCategory::IotDevice,
        ProductCategory::ControlSystem,
        ProductCategory::Software,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProductCategory::SecurityProduct => "security_product",
            ProductCategory::IotDevice => "iot_device",
            ProductCategory::ControlSystem => "control_system",
            ProductCategory::Software => "software",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (ProductCategory::SecurityProduct, false) => "セキュリティ製品",
            (ProductCategory::SecurityProduct, true) => "Security product",
            (ProductCategory::IotDevice, false) => "IoT機器",
            (ProductCategory::IotDevice, true) => "IoT device",
            (ProductCategory::ControlSystem, false) => "制御システム",
            (ProductCategory::ControlSystem, true) => "Control system (ICS)",
            (ProductCategory::Software, false) => "ソフトウェア",
            (ProductCategory::Software, true) => "Software",
        }
    }
}

/// Sub-categories of each category (the product map's groups): (category, code, Japanese,
/// English).
pub const SUBCATEGORIES: [(ProductCategory, &str, &str, &str); 12] = [
    (ProductCategory::SecurityProduct, "utm", "UTM・ファイアウォール", "UTM / firewall"),
    (ProductCategory::SecurityProduct, "endpoint", "EDR・エンドポイント保護", "EDR / endpoint protection"),
    (ProductCategory::SecurityProduct, "log_analysis", "ログ分析・SIEM", "Log analysis / SIEM"),
    (ProductCategory::SecurityProduct, "waf", "WAF・Web 防御", "WAF / web protection"),
    (ProductCategory::IotDevice, "router", "ルーター・ネットワーク機器", "Router / network device"),
    (ProductCategory::IotDevice, "camera", "ネットワークカメラ", "Network camera"),
    (ProductCategory::IotDevice, "smart_home", "スマートロック・家電", "Smart lock / home appliance"),
    (ProductCategory::IotDevice, "terminal", "タブレット・業務端末", "Tablet / business terminal"),
    (ProductCategory::ControlSystem, "gateway", "ゲートウェイ・監視装置", "Gateway / monitoring"),
    (ProductCategory::ControlSystem, "controller", "PLC・コントローラ", "PLC / controller"),
    (ProductCategory::Software, "agent", "エージェント・ツール", "Agent / tool"),
    (ProductCategory::Software, "cloud", "クラウドサービス", "Cloud service"),
];

/// A sub-category's name, or None for an unknown code.
pub fn subcategory_label(code: &str, en: bool) -> Option<&'static str> {
    SUBCATEGORIES.iter().find(|s| s.1 == code).map(|s| if en { s.3 } else { s.2 })
}

/// What a vendor enters for a product, before validation (from a form or JSON).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProductInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// Catalogue claims, one per line (each is verified separately in an effectiveness case).
    #[serde(default)]
    pub claims: String,
    /// End of security support, `YYYY-MM-DD`; empty when not announced.
    #[serde(default)]
    pub support_end: String,
    /// Where vulnerability reports go (an e-mail address or an https URL).
    #[serde(default)]
    pub vuln_contact: String,
    /// Whether the product page is public.
    #[serde(default)]
    pub public: bool,
    /// A sub-category code of the category (optional).
    #[serde(default)]
    pub subcategory: String,
}

/// A validated product: every field holds a value the platform accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub name: String,
    pub name_en: String,
    pub model: String,
    pub category: ProductCategory,
    pub description: String,
    pub claims: Vec<String>,
    pub support_end: Option<String>,
    pub vuln_contact: String,
    pub public: bool,
    pub subcategory: String,
}

impl Product {
    pub fn parse(input: &ProductInput) -> Result<Product, Vec<FieldError>> {
        let mut errs = Vec::new();
        let name = line(&mut errs, "name", &input.name, NAME_MAX, true, "製品名", "Product name");
        let name_en = line(&mut errs, "name_en", &input.name_en, NAME_MAX, false, "製品名（英語）", "English name");
        let model = line(&mut errs, "model", &input.model, LINE_MAX, false, "型番", "Model");
        let category = match ProductCategory::parse(input.category.trim()) {
            Some(c) => Some(c),
            None => {
                errs.push(FieldError::new("category", "製品区分を選択してください", "Choose a product category"));
                None
            }
        };
        let description = clean_text(&input.description);
        if char_len(&description) > TEXT_MAX {
            errs.push(too_long("description", TEXT_MAX));
        }
        let claims: Vec<String> = clean_text(&input.claims).lines().map(clean_line).filter(|l| !l.is_empty()).collect();
        if claims.len() > CLAIMS_MAX {
            errs.push(FieldError::new(
                "claims",
                format!("カタログ上の主張は{CLAIMS_MAX}件までです"),
                format!("At most {CLAIMS_MAX} catalogue claims"),
            ));
        } else if claims.iter().any(|c| char_len(c) > LINE_MAX) {
            errs.push(FieldError::new(
                "claims",
                format!("主張は1件{LINE_MAX}文字以内で入力してください"),
                format!("Each claim at most {LINE_MAX} characters"),
            ));
        }
        let support_end = clean_line(&input.support_end);
        let support_end = if support_end.is_empty() {
            None
        } else if parse_date(&support_end).is_some() {
            Some(support_end)
        } else {
            errs.push(FieldError::new(
                "support_end",
                "サポート終了日は YYYY-MM-DD の形式で入力してください",
                "Support end date must be YYYY-MM-DD",
            ));
            None
        };
        let vuln_contact = line(
            &mut errs,
            "vuln_contact",
            &input.vuln_contact,
            LINE_MAX,
            true,
            "脆弱性の連絡先",
            "Vulnerability contact",
        );
        if !vuln_contact.is_empty() && !valid_contact(&vuln_contact) {
            errs.push(FieldError::new(
                "vuln_contact",
                "連絡先はメールアドレスか https:// で始まる URL を入力してください",
                "Give an e-mail address or an https:// URL",
            ));
        }
        let subcategory = input.subcategory.trim().to_string();
        if !subcategory.is_empty() && !SUBCATEGORIES.iter().any(|s| Some(s.0) == category && s.1 == subcategory) {
            errs.push(FieldError::new(
                "subcategory",
                "製品区分に合った小区分を選択してください",
                "Choose a sub-category of the product's category",
            ));
        }
        match (errs.is_empty(), category) {
            (true, Some(category)) => Ok(Product {
                subcategory,
                name,
                name_en,
                model,
                category,
                description,
                claims,
                support_end,
                vuln_contact,
                public: input.public,
            }),
            _ => Err(errs),
        }
    }

    /// The text product search matches (normalised for Japanese and English partial words).
    pub fn search_text(&self, vendor: &str) -> String {
        crate::search::normalize(&format!(
            "{} {} {} {} {}",
            self.name, self.name_en, self.model, vendor, self.description
        ))
    }
}

fn valid_contact(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("https://") {
        return !rest.is_empty() && !rest.contains(char::is_whitespace);
    }
    crate::identity::Email::parse(s).is_ok()
}

fn line(
    errs: &mut Vec<FieldError>,
    field: &'static str,
    v: &str,
    max: usize,
    required: bool,
    ja: &str,
    en: &str,
) -> String {
    let v = clean_line(v);
    if required && v.is_empty() {
        errs.push(FieldError::new(field, format!("{ja}を入力してください"), format!("{en} is required")));
    } else if char_len(&v) > max {
        errs.push(too_long(field, max));
    }
    v
}

fn too_long(field: &'static str, max: usize) -> FieldError {
    FieldError::new(field, format!("{max}文字以内で入力してください"), format!("At most {max} characters"))
}

/// A product version label as vendors write them (`2.4.1`, `v3 build 1207`, `FW 1.0.0-rc1`):
/// one line, 1–64 characters, no `/` (it is part of the API path).
pub fn version_label(v: &str) -> Result<String, FieldError> {
    let v = clean_line(v);
    if v.is_empty() {
        return Err(FieldError::new("version", "バージョンを入力してください", "Version is required"));
    }
    if char_len(&v) > VERSION_MAX || v.contains(['/', '\\']) {
        return Err(FieldError::new(
            "version",
            format!("バージョンは{VERSION_MAX}文字以内で、/ を含めずに入力してください"),
            format!("Version: at most {VERSION_MAX} characters, no /"),
        ));
    }
    Ok(v)
}

/// A finding's triage state: the CycloneDX `analysis.state` values (also OpenVEX's and CSAF's,
/// mapped in the exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageState {
    /// New, not yet looked at.
    InTriage,
    Exploitable,
    FalsePositive,
    /// With a justification (CycloneDX `analysis.justification`).
    NotAffected,
    /// Fixed in a later version (which one is recorded).
    Resolved,
}

impl TriageState {
    pub const ALL: [TriageState; 5] = [
        TriageState::InTriage,
        TriageState::Exploitable,
        TriageState::FalsePositive,
        TriageState::NotAffected,
        TriageState::Resolved,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TriageState::InTriage => "in_triage",
            TriageState::Exploitable => "exploitable",
            TriageState::FalsePositive => "false_positive",
            TriageState::NotAffected => "not_affected",
            TriageState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    /// Open findings count against a product (the public counts, the priority queue).
    pub fn is_open(self) -> bool {
        matches!(self, TriageState::InTriage | TriageState::Exploitable)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (TriageState::InTriage, false) => "未評価",
            (TriageState::InTriage, true) => "In triage",
            (TriageState::Exploitable, false) => "影響あり",
            (TriageState::Exploitable, true) => "Exploitable",
            (TriageState::FalsePositive, false) => "誤検知",
            (TriageState::FalsePositive, true) => "False positive",
            (TriageState::NotAffected, false) => "影響なし",
            (TriageState::NotAffected, true) => "Not affected",
            (TriageState::Resolved, false) => "解決済み",
            (TriageState::Resolved, true) => "Resolved",
        }
    }
}

/// CycloneDX `analysis.justification` values for `not_affected` (also CSAF's and OpenVEX's,
/// mapped in the exports).
pub const JUSTIFICATIONS: [(&str, &str, &str); 9] = [
    ("code_not_present", "該当するコードが含まれていない", "The vulnerable code is not present"),
    ("code_not_reachable", "該当コードに到達しない", "The vulnerable code is not reachable"),
    ("requires_configuration", "特定の設定が必要（製品では無効）", "Requires a configuration the product does not use"),
    ("requires_dependency", "特定の依存関係が必要", "Requires a dependency that is not present"),
    ("requires_environment", "特定の環境が必要", "Requires an environment the product does not run in"),
    ("protected_by_compiler", "コンパイラの保護により悪用不可", "Protected by the compiler"),
    ("protected_at_runtime", "実行時の保護により悪用不可", "Protected at runtime"),
    ("protected_at_perimeter", "境界での保護により悪用不可", "Protected at the perimeter"),
    ("protected_by_mitigating_control", "緩和策により悪用不可", "Protected by a mitigating control"),
];

/// CycloneDX `analysis.response` values: what the vendor does about an exploitable finding.
pub const RESPONSES: [(&str, &str, &str); 5] = [
    ("update", "修正版へ更新", "Update to a fixed version"),
    ("workaround_available", "回避策あり", "Workaround available"),
    ("rollback", "以前の版へ戻す", "Roll back"),
    ("will_not_fix", "修正しない", "Will not fix"),
    ("can_not_fix", "修正できない", "Cannot fix"),
];

/// A triage decision as entered (from a form, an API body or a VEX statement).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TriageInput {
    #[serde(default)]
    pub state: String,
    /// For not_affected: one of [`JUSTIFICATIONS`].
    #[serde(default)]
    pub justification: String,
    /// Why (required for not_affected and false_positive).
    #[serde(default)]
    pub detail: String,
    /// For exploitable: one of [`RESPONSES`] (optional).
    #[serde(default)]
    pub response: String,
    /// For resolved: the product version that fixes it.
    #[serde(default)]
    pub resolved_in: String,
}

/// A validated triage decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub state: TriageState,
    pub justification: String,
    pub detail: String,
    pub response: String,
    pub resolved_in: String,
}

impl Triage {
    pub fn parse(i: &TriageInput) -> Result<Triage, Vec<FieldError>> {
        let mut errs = Vec::new();
        let state = TriageState::parse(i.state.trim());
        if state.is_none() {
            errs.push(FieldError::new("state", "対応状況を選択してください", "Choose a triage state"));
        }
        let detail = clean_text(&i.detail);
        if char_len(&detail) > TEXT_MAX {
            errs.push(too_long("detail", TEXT_MAX));
        }
        let justification = i.justification.trim().to_string();
        let response = i.response.trim().to_string();
        let resolved_in = clean_line(&i.resolved_in);
        match state {
            Some(TriageState::NotAffected) => {
                if !JUSTIFICATIONS.iter().any(|j| j.0 == justification) {
                    errs.push(FieldError::new(
                        "justification",
                        "影響なしとする根拠を選択してください",
                        "Choose why the product is not affected",
                    ));
                }
                if detail.is_empty() {
                    errs.push(FieldError::new("detail", "説明を入力してください", "Explain the decision"));
                }
            }
            Some(TriageState::FalsePositive) if detail.is_empty() => {
                errs.push(FieldError::new(
                    "detail",
                    "誤検知とする理由を入力してください",
                    "Explain why it is a false positive",
                ));
            }
            Some(TriageState::Resolved) if resolved_in.is_empty() => {
                errs.push(FieldError::new(
                    "resolved_in",
                    "修正したバージョンを入力してください",
                    "Give the version that fixes it",
                ));
            }
            _ => {}
        }
        if !response.is_empty() && !RESPONSES.iter().any(|r| r.0 == response) {
            errs.push(FieldError::new("response", "対応方針が正しくありません", "Unknown response"));
        }
        if char_len(&resolved_in) > VERSION_MAX {
            errs.push(too_long("resolved_in", VERSION_MAX));
        }
        match (errs.is_empty(), state) {
            (true, Some(state)) => Ok(Triage {
                state,
                justification: if state == TriageState::NotAffected { justification } else { String::new() },
                detail,
                response: if state == TriageState::Exploitable { response } else { String::new() },
                resolved_in: if state == TriageState::Resolved { resolved_in } else { String::new() },
            }),
            _ => Err(errs),
        }
    }
}

/// A VEX statement's status and justification (CycloneDX, OpenVEX or CSAF words) as a triage
/// decision on a finding of product version `version`; None for a status this platform does not
/// record. OpenVEX's and CSAF's justification labels map onto CycloneDX's.
pub fn vex_decision(status: &str, code: &str, detail: &str, document: &str, version: &str) -> Option<Triage> {
    let state = match status {
        "in_triage" | "under_investigation" => TriageState::InTriage,
        "exploitable" | "affected" => TriageState::Exploitable,
        "false_positive" => TriageState::FalsePositive,
        "not_affected" => TriageState::NotAffected,
        "resolved" | "resolved_with_pedigree" | "fixed" => TriageState::Resolved,
        _ => return None,
    };
    let justification = match code {
        c if JUSTIFICATIONS.iter().any(|j| j.0 == c) => c,
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" | "inline_mitigations_already_exist" => {
            "protected_by_mitigating_control"
        }
        _ => "",
    };
    let said = clean_text(detail);
    Some(Triage {
        state,
        justification: if state == TriageState::NotAffected { justification.to_string() } else { String::new() },
        detail: if said.is_empty() { format!("VEX: {document}") } else { format!("VEX ({document}): {said}") },
        response: String::new(),
        resolved_in: if state == TriageState::Resolved { version.to_string() } else { String::new() },
    })
}

/// A triage decision that changes nothing (the finding is already in that state).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the finding is already {}", .0.code())]
pub struct SameState(pub TriageState);

/// A finding's triage as a lifecycle for the kit's workflow: any state may follow any other
/// (a decision can be revisited), each with who and why in the history.
pub struct FindingLifecycle;

impl crate::workflow::Lifecycle for FindingLifecycle {
    type State = TriageState;
    /// The state decided.
    type Transition = TriageState;
    type Error = SameState;
    const SUBJECT: &'static str = "verification.finding";

    fn state_code(s: TriageState) -> &'static str {
        s.code()
    }
    fn transition_code(t: TriageState) -> &'static str {
        t.code()
    }
    fn transition_label(t: TriageState, en: bool) -> &'static str {
        t.label(en)
    }
    fn next(from: TriageState, t: TriageState) -> Result<TriageState, SameState> {
        if from == t { Err(SameState(t)) } else { Ok(t) }
    }
    fn parties(_: TriageState) -> &'static [crate::workflow::Party] {
        use crate::workflow::Party as P;
        &[P::Owner, P::Reviewer, P::System]
    }
    fn needs_reason(t: TriageState) -> bool {
        matches!(t, TriageState::NotAffected | TriageState::FalsePositive)
    }
    fn is_public(_: TriageState) -> bool {
        false
    }
}

/// Severity as findings carry it (the engine's level names).
pub const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "none", "unknown"];

/// Open findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    /// No severity known (an advisory without a CVSS score, as distributions' often are).
    pub unknown: i64,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: &str, n: i64) {
        match severity {
            "critical" => self.critical += n,
            "high" => self.high += n,
            "medium" => self.medium += n,
            "low" => self.low += n,
            "none" => {}
            _ => self.unknown += n,
        }
    }
    pub fn total(&self) -> i64 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }
}

/// A finding as a scan reports it: the identity that merges it with earlier scans is the
/// advisory and the component (purl without qualifiers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingKey {
    pub advisory: String,
    pub component: String,
}

/// What one scan of a version changes in its stored findings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanMerge {
    /// Not seen before: stored `in_triage`.
    pub new: Vec<FindingKey>,
    /// Resolved earlier (the component left the SBOM) and reported again: back to `in_triage`.
    pub reopened: Vec<FindingKey>,
    /// Open before and no longer reported (the component left or changed): resolved by the scan.
    pub gone: Vec<FindingKey>,
}

/// Merges a scan's findings into a version's stored ones (`existing`: key and triage state of
/// the findings the engines recorded; manual findings are not the scan's to close). A finding
/// already stored keeps its triage state, so a re-scan never undoes a decision.
pub fn merge_scan(existing: &[(FindingKey, TriageState)], scanned: &[FindingKey]) -> ScanMerge {
    use std::collections::{BTreeMap, BTreeSet};
    let old: BTreeMap<&FindingKey, TriageState> = existing.iter().map(|(k, s)| (k, *s)).collect();
    let now: BTreeSet<&FindingKey> = scanned.iter().collect();
    let mut m = ScanMerge::default();
    for k in &now {
        match old.get(k) {
            None => m.new.push((*k).clone()),
            Some(TriageState::Resolved) => m.reopened.push((*k).clone()),
            Some(_) => {}
        }
    }
    for (k, s) in &old {
        if s.is_open() && !now.contains(k) {
            m.gone.push((*k).clone());
        }
    }
    m
}

/// The component part of a finding's identity: a purl without qualifiers or subpath, or
/// `name@version` when the component has no purl.
pub fn component_key(purl: Option<&str>, name: &str, version: &str) -> String {
    match purl {
        Some(p) if !p.is_empty() => p.split(['?', '#']).next().unwrap_or(p).to_string(),
        _ => format!("{name}@{version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProductInput {
        ProductInput {
            name: "  セキュアゲート UTM-300 ".into(),
            category: "security_product".into(),
            claims: "不正侵入を検知する\n\n  既知のマルウェアを遮断する  \n".into(),
            support_end: "2031-03-31".into(),
            vuln_contact: "psirt@example.jp".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_product_is_cleaned_and_checked() {
        let p = Product::parse(&input()).unwrap();
        assert_eq!(p.name, "セキュアゲート UTM-300");
        assert_eq!(p.claims, vec!["不正侵入を検知する", "既知のマルウェアを遮断する"]);
        assert_eq!(p.support_end.as_deref(), Some("2031-03-31"));

        let bad = ProductInput {
            name: "".into(),
            category: "toaster".into(),
            support_end: "31/03/2031".into(),
            vuln_contact: "javascript:alert(1)".into(),
            ..Default::default()
        };
        let errs = Product::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "category", "support_end", "vuln_contact"]);
        assert!(Product::parse(&ProductInput { vuln_contact: "https://example.jp/psirt".into(), ..input() }).is_ok());
    }

    #[test]
    fn version_labels() {
        assert_eq!(version_label(" v3 build 1207 ").unwrap(), "v3 build 1207");
        assert!(version_label("").is_err());
        assert!(version_label("1.0/../../etc").is_err());
        assert!(version_label(&"9".repeat(65)).is_err());
    }

    #[test]
    fn a_rescan_keeps_decisions_and_closes_what_left() {
        let k = |a: &str, c: &str| FindingKey { advisory: a.into(), component: c.into() };
        let existing = vec![
            (k("A", "pkg:cargo/x@1"), TriageState::NotAffected),
            (k("B", "pkg:cargo/y@1"), TriageState::InTriage),
            (k("C", "pkg:cargo/z@1"), TriageState::Resolved),
            (k("D", "pkg:cargo/w@1"), TriageState::FalsePositive),
        ];
        let scanned = vec![k("A", "pkg:cargo/x@1"), k("C", "pkg:cargo/z@1"), k("E", "pkg:cargo/v@1")];
        let m = merge_scan(&existing, &scanned);
        assert_eq!(m.new, vec![k("E", "pkg:cargo/v@1")]);
        assert_eq!(m.reopened, vec![k("C", "pkg:cargo/z@1")]);
        // B was open and is gone; D (a decision, not open) is left as decided
        assert_eq!(m.gone, vec![k("B", "pkg:cargo/y@1")]);
    }

    #[test]
    fn triage_decisions_carry_their_reasons() {
        let ok = |s: &str, j: &str, d: &str, r: &str| {
            Triage::parse(&TriageInput {
                state: s.into(),
                justification: j.into(),
                detail: d.into(),
                resolved_in: r.into(),
                ..Default::default()
            })
        };
        assert!(ok("not_affected", "code_not_reachable", "呼び出し経路がない", "").is_ok());
        let e = ok("not_affected", "because", "", "").unwrap_err();
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), vec!["justification", "detail"]);
        assert!(ok("false_positive", "", "", "").is_err());
        assert!(ok("resolved", "", "", "").is_err());
        let r = ok("resolved", "code_not_present", "", "2.0.1").unwrap();
        assert_eq!(
            (r.resolved_in.as_str(), r.justification.as_str()),
            ("2.0.1", ""),
            "only what the state uses is kept"
        );
        assert!(ok("fixed", "", "", "").is_err());
        use crate::workflow::Lifecycle;
        assert!(FindingLifecycle::next(TriageState::InTriage, TriageState::InTriage).is_err());
        assert_eq!(FindingLifecycle::next(TriageState::Resolved, TriageState::InTriage), Ok(TriageState::InTriage));
    }

    #[test]
    fn vex_words_map_onto_triage() {
        let d = vex_decision("not_affected", "vulnerable_code_not_in_execute_path", "", "vex.json", "1.0").unwrap();
        assert_eq!((d.state, d.justification.as_str()), (TriageState::NotAffected, "code_not_reachable"));
        assert_eq!(d.detail, "VEX: vex.json");
        let d = vex_decision("fixed", "", "patched", "csaf.json", "2.1").unwrap();
        assert_eq!(
            (d.state, d.resolved_in.as_str(), d.detail.as_str()),
            (TriageState::Resolved, "2.1", "VEX (csaf.json): patched")
        );
        assert_eq!(vex_decision("affected", "", "", "x", "1").unwrap().state, TriageState::Exploitable);
        assert!(vex_decision("maybe", "", "", "x", "1").is_none());
    }

    #[test]
    fn component_keys_drop_qualifiers() {
        assert_eq!(
            component_key(Some("pkg:apk/alpine/musl@1.1.24-r2?distro=3.11"), "musl", "1"),
            "pkg:apk/alpine/musl@1.1.24-r2"
        );
        assert_eq!(component_key(None, "busybox", "1.31"), "busybox@1.31");
    }
}
