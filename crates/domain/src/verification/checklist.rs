//! Checklists as data (ETSI EN 303 645, NISTIR 8259A, JC-STAR ★1): versioned TOML files shipped
//! with the binary and loadable by the program office; each item's verdict on a case; and the
//! automatic evidence rules (also data) that turn facts from the engines into verdicts.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

/// The checklists shipped with the binary.
pub const BUILTIN: [&str; 3] = [
    include_str!("../../checklists/jc-star-1.toml"),
    include_str!("../../checklists/etsi-en-303-645.toml"),
    include_str!("../../checklists/nistir-8259a.toml"),
];
/// The automatic evidence rules shipped with the binary.
pub const RULES: &str = include_str!("../../checklists/rules.toml");

/// Longest checklist file the office may load.
pub const SOURCE_MAX: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 文書審査
    Document,
    /// 実機検証
    Device,
    Both,
}

impl Method {
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Method::Document, false) => "文書審査",
            (Method::Document, true) => "Document review",
            (Method::Device, false) => "実機検証",
            (Method::Device, true) => "Device test",
            (Method::Both, false) => "文書審査・実機検証",
            (Method::Both, true) => "Document review and device test",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub method: Method,
    /// Cross-references to items of other schemes, `scheme:item`.
    #[serde(default)]
    pub refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub scheme: String,
    pub version: String,
    pub title: String,
    pub title_en: String,
    /// The level a pass against this checklist verifies (the label's `verifiedLevels`).
    pub level: String,
    pub level_label: String,
    pub level_label_en: String,
    pub items: Vec<Item>,
}

impl Checklist {
    /// `scheme@version`, how a case names the checklist it uses.
    pub fn key(&self) -> String {
        format!("{}@{}", self.scheme, self.version)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// Reads a checklist file: well-formed TOML, ids present, no duplicate ids, references
    /// written `scheme:item`. Every problem is named; nothing is returned unless all is right.
    pub fn parse(text: &str) -> Result<Checklist, Vec<String>> {
        if text.len() > SOURCE_MAX {
            return Err(vec![format!("the file is larger than {} KiB", SOURCE_MAX / 1024)]);
        }
        let c: Checklist = toml::from_str(text).map_err(|e| vec![format!("not a checklist: {}", e.message())])?;
        let mut errs = Vec::new();
        let token = |s: &str| {
            !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        };
        if !token(&c.scheme) {
            errs.push(format!("scheme {:?}: letters, digits, '.', '-' and '_' only", c.scheme));
        }
        if !token(&c.version) {
            errs.push(format!("version {:?}: letters, digits, '.', '-' and '_' only", c.version));
        }
        if c.items.is_empty() {
            errs.push("the checklist has no items".into());
        }
        let mut seen = HashSet::new();
        for i in &c.items {
            if !token(&i.id) {
                errs.push(format!("item id {:?}: letters, digits, '.', '-' and '_' only", i.id));
            }
            if !seen.insert(i.id.as_str()) {
                errs.push(format!("duplicate item id {}", i.id));
            }
            if i.title.trim().is_empty() || i.title_en.trim().is_empty() {
                errs.push(format!("item {}: a Japanese and an English title are needed", i.id));
            }
            for r in &i.refs {
                if r.split_once(':').is_none_or(|(s, id)| !token(s) || !token(id)) {
                    errs.push(format!("item {}: reference {r:?} is not scheme:item", i.id));
                }
            }
        }
        if errs.is_empty() { Ok(c) } else { Err(errs) }
    }
}

/// Checks that every cross-reference of `c` names an item of a known checklist (`known`: the
/// newest version of each scheme, `c` included).
pub fn unknown_refs(c: &Checklist, known: &[&Checklist]) -> Vec<String> {
    let mut errs = Vec::new();
    for i in &c.items {
        for r in &i.refs {
            let Some((scheme, id)) = r.split_once(':') else { continue };
            match known.iter().find(|k| k.scheme == scheme) {
                None => errs.push(format!("item {}: reference {r}: no checklist {scheme} is loaded", i.id)),
                Some(k) if k.item(id).is_none() => {
                    errs.push(format!("item {}: reference {r}: {scheme} has no item {id}", i.id))
                }
                Some(_) => {}
            }
        }
    }
    errs
}

/// An item's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    NotApplicable,
    NotEvaluated,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [Verdict::Pass, Verdict::Fail, Verdict::NotApplicable, Verdict::NotEvaluated];
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotApplicable => "not_applicable",
            Verdict::NotEvaluated => "not_evaluated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == s)
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Verdict::Pass, false) => "適合",
            (Verdict::Pass, true) => "Pass",
            (Verdict::Fail, false) => "不適合",
            (Verdict::Fail, true) => "Fail",
            (Verdict::NotApplicable, false) => "対象外",
            (Verdict::NotApplicable, true) => "Not applicable",
            (Verdict::NotEvaluated, false) => "未評価",
            (Verdict::NotEvaluated, true) => "Not evaluated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleVerdict {
    /// Fails the items while the fact holds.
    Fail,
    /// Records evidence; passes items not yet evaluated.
    Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub fact: String,
    pub verdict: RuleVerdict,
    pub items: Vec<String>,
    pub reason: String,
    pub reason_en: String,
}

/// The facts the platform derives from evidence (the names rules use).
pub const FACTS: [&str; 7] = [
    "capture_credentials",
    "capture_cleartext_sensitive",
    "insecure_listener",
    "sbom_fixable_untriaged",
    "sbom_attached",
    "disclosure_contact",
    "firmware_weak_password",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<Rule>,
}

/// Reads rules: known facts, unique ids, items written `scheme:item`.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, Vec<String>> {
    let f: RulesFile = toml::from_str(text).map_err(|e| vec![format!("not a rules file: {}", e.message())])?;
    let mut errs = Vec::new();
    let mut ids = HashSet::new();
    for r in &f.rules {
        if !ids.insert(r.id.as_str()) {
            errs.push(format!("duplicate rule id {}", r.id));
        }
        if !FACTS.contains(&r.fact.as_str()) {
            errs.push(format!("rule {}: unknown fact {}", r.id, r.fact));
        }
        if r.items.iter().any(|i| !i.contains(':')) {
            errs.push(format!("rule {}: items are written scheme:item", r.id));
        }
    }
    if errs.is_empty() { Ok(f.rules) } else { Err(errs) }
}

/// The shipped rules (checked by a test).
pub fn builtin_rules() -> Vec<Rule> {
    parse_rules(RULES).unwrap_or_default()
}

/// The shipped checklists (checked by a test).
pub fn builtin() -> Vec<Checklist> {
    BUILTIN.iter().filter_map(|t| Checklist::parse(t).ok()).collect()
}

/// A fact that holds for a case, with the evidence behind it (evidence ids and a line of text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fact {
    pub evidence: BTreeSet<i64>,
    pub detail: String,
}

/// What the rules say about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoVerdict {
    pub verdict: Verdict,
    pub reason_ja: String,
    pub reason_en: String,
    pub evidence: BTreeSet<i64>,
}

/// Applies the rules to a checklist given the facts that hold: per item, a fail rule wins over an
/// evidence rule; items no rule speaks to are absent.
pub fn evaluate(c: &Checklist, rules: &[Rule], facts: &BTreeMap<String, Fact>) -> BTreeMap<String, AutoVerdict> {
    let mut out: BTreeMap<String, AutoVerdict> = BTreeMap::new();
    for r in rules {
        let Some(fact) = facts.get(&r.fact) else { continue };
        for target in &r.items {
            let Some((scheme, id)) = target.split_once(':') else { continue };
            if scheme != c.scheme || c.item(id).is_none() {
                continue;
            }
            let verdict = match r.verdict {
                RuleVerdict::Fail => Verdict::Fail,
                RuleVerdict::Evidence => Verdict::Pass,
            };
            let reason_ja =
                if fact.detail.is_empty() { r.reason.clone() } else { format!("{}（{}）", r.reason, fact.detail) };
            let reason_en =
                if fact.detail.is_empty() { r.reason_en.clone() } else { format!("{} ({})", r.reason_en, fact.detail) };
            match out.get_mut(id) {
                Some(v) if v.verdict == Verdict::Fail && verdict != Verdict::Fail => {}
                Some(v) if v.verdict == verdict => {
                    v.evidence.extend(fact.evidence.iter().copied());
                    v.reason_ja = format!("{}; {}", v.reason_ja, reason_ja);
                    v.reason_en = format!("{}; {}", v.reason_en, reason_en);
                }
                _ => {
                    out.insert(
                        id.to_string(),
                        AutoVerdict { verdict, reason_ja, reason_en, evidence: fact.evidence.clone() },
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_checklists_and_rules_are_valid_and_consistent() {
        let all = builtin();
        assert_eq!(all.len(), BUILTIN.len(), "every shipped checklist parses");
        let etsi = all.iter().find(|c| c.scheme == "etsi-en-303-645").unwrap();
        assert_eq!(etsi.items.len(), 13, "the 13 provisions");
        let nist = all.iter().find(|c| c.scheme == "nistir-8259a").unwrap();
        assert_eq!(nist.items.len(), 6, "the 6 capabilities");
        let jc = all.iter().find(|c| c.scheme == "jc-star-1").unwrap();
        assert!(jc.item("S1.1-02").unwrap().refs.contains(&"etsi-en-303-645:5.1".to_string()));
        let refs: Vec<&Checklist> = all.iter().collect();
        for c in &all {
            assert_eq!(unknown_refs(c, &refs), Vec::<String>::new(), "{}", c.scheme);
        }
        let rules = parse_rules(RULES).unwrap();
        for r in &rules {
            for t in &r.items {
                let (s, id) = t.split_once(':').unwrap();
                assert!(all.iter().any(|c| c.scheme == s && c.item(id).is_some()), "rule {} names {t}", r.id);
            }
        }
    }

    #[test]
    fn bad_checklists_are_refused_whole() {
        let dup = BUILTIN[1].replace("id = \"5.2\"", "id = \"5.1\"");
        let errs = Checklist::parse(&dup).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("duplicate item id 5.1")), "{errs:?}");
        let unknown = BUILTIN[0].replace("etsi-en-303-645:5.12", "etsi-en-303-645:9.99");
        let c = Checklist::parse(&unknown).unwrap();
        let all = builtin();
        let refs: Vec<&Checklist> = all.iter().filter(|k| k.scheme != c.scheme).chain([&c]).collect();
        let errs = unknown_refs(&c, &refs);
        assert!(errs.iter().any(|e| e.contains("has no item 9.99")), "{errs:?}");
        assert!(Checklist::parse("scheme = 1").is_err());
        assert!(Checklist::parse(&BUILTIN[1].replace("method = \"both\"", "method = \"guess\"")).is_err());
        let extra =
            format!("{}\n[[items]]\nid = \"x y\"\ntitle = \"a\"\ntitle_en = \"\"\nmethod = \"device\"\n", BUILTIN[1]);
        let errs = Checklist::parse(&extra).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn rules_turn_facts_into_verdicts() {
        let all = builtin();
        let jc = all.iter().find(|c| c.scheme == "jc-star-1").unwrap();
        let rules = builtin_rules();
        let mut facts = BTreeMap::new();
        facts.insert(
            "capture_credentials".to_string(),
            Fact { evidence: [7].into(), detail: "telnet admin/admin".into() },
        );
        facts.insert("sbom_attached".to_string(), Fact { evidence: [3].into(), detail: String::new() });
        let v = evaluate(jc, &rules, &facts);
        assert_eq!(v["S1.1-02"].verdict, Verdict::Fail);
        assert!(v["S1.1-02"].reason_en.contains("telnet admin/admin"));
        assert_eq!(v["S1.1-06"].verdict, Verdict::Pass);
        assert_eq!(v["S1.1-06"].evidence, [3].into());
        assert!(!v.contains_key("S1.1-12"), "no fact, no verdict");
        assert!(
            parse_rules("[[rules]]\nid='a'\nfact='guess'\nverdict='fail'\nitems=['x:y']\nreason=''\nreason_en=''")
                .is_err()
        );
    }
}
