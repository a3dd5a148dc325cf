//! Report writers for a scan: SARIF 2.1.0 (code-scanning tools), CycloneDX VEX (the findings
//! and what VEX suppressed, as analysis states) and a plain-text table.

use serde_json::{Value, json};

use crate::matcher::Finding;
use crate::vex::Suppressed;

/// SARIF 2.1.0 of a scan: one rule per advisory, one result per finding, located at `uri`.
pub fn sarif(findings: &[Finding], uri: &str) -> Value {
    let entries: Vec<VexEntry<'_>> = findings.iter().map(|f| VexEntry::of(f, "in_triage")).collect();
    sarif_of(&entries, uri)
}

/// SARIF 2.1.0 of VEX entries: one rule per advisory, one result per finding, located at `uri`;
/// a finding decided not to need work (not_affected, false_positive, resolved) carries an
/// accepted external suppression with the reason.
pub fn sarif_of(entries: &[VexEntry<'_>], uri: &str) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in entries {
        if seen.insert(f.id) {
            rules.push(json!({
                "id": f.id,
                "shortDescription": {"text": if f.summary.is_empty() { f.id } else { f.summary }},
                "properties": match f.score {
                    // code-scanning tools read the score as a string; none is given when unknown
                    Some(s) => json!({"security-severity": format!("{s:.1}"), "aliases": f.aliases}),
                    None => json!({"aliases": f.aliases}),
                },
            }));
        }
    }
    let results: Vec<Value> = entries
        .iter()
        .map(|f| {
            let level = match f.severity {
                "critical" | "high" => "error",
                "medium" => "warning",
                _ => "note",
            };
            let fixed = if f.fixed.is_empty() { "none".to_string() } else { f.fixed.join(", ") };
            let mut r = json!({
                "ruleId": f.id,
                "level": level,
                "message": {"text": format!("{} ({}) is affected by {}; fixed: {fixed}", f.component, f.ecosystem, f.id)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            });
            if matches!(f.state, "not_affected" | "false_positive" | "resolved") {
                let why = [f.state, f.justification.unwrap_or(""), f.detail].iter().filter(|x| !x.is_empty()).copied().collect::<Vec<_>>().join(": ");
                r["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": why}]);
            }
            r
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "kakehashi", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}

/// One vulnerability statement of a CycloneDX or CSAF VEX document.
#[derive(Debug, Clone)]
pub struct VexEntry<'a> {
    /// The component as people name it (`openssl 1.1.1k`), for CSAF's product names.
    pub component: String,
    pub ecosystem: &'a str,
    /// Versions that fix it (from the advisory).
    pub fixed: &'a [String],
    pub summary: &'a str,
    /// CycloneDX `analysis.response` (update, workaround_available, …), if decided.
    pub response: &'a str,
    pub id: &'a str,
    pub aliases: &'a [String],
    /// The engine's level name (`critical` … `none`, `unknown`).
    pub severity: &'a str,
    pub score: Option<f64>,
    /// The affected component's purl (or `name@version`).
    pub affects: String,
    /// CycloneDX `analysis.state`.
    pub state: &'a str,
    /// CycloneDX `analysis.justification` (one of its enumerated values) for `not_affected`.
    pub justification: Option<&'a str>,
    pub detail: &'a str,
}

impl<'a> VexEntry<'a> {
    /// A scan's finding in a state.
    pub fn of(f: &'a Finding, state: &'a str) -> VexEntry<'a> {
        VexEntry {
            component: format!("{} {}", f.package.name, f.package.version),
            ecosystem: &f.package.ecosystem,
            fixed: &f.fixed,
            summary: &f.summary,
            response: "",
            id: &f.id,
            aliases: &f.aliases,
            severity: f.severity.name(),
            score: f.score,
            affects: f.package.purl.clone().unwrap_or_else(|| format!("{}@{}", f.package.name, f.package.version)),
            state,
            justification: None,
            detail: "",
        }
    }
}

/// CycloneDX `analysis.justification` values.
pub const CDX_JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// A CycloneDX 1.5 document of VEX statements; `metadata` (the product the statements are
/// about) is added when given. What is not known is left out (a record without a CVSS score
/// has a rating with a severity and no score), so the document validates against the
/// published 1.5 schema.
pub fn cyclonedx_vex_document(entries: &[VexEntry<'_>], metadata: Option<Value>) -> Value {
    let v: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut rating = json!({"severity": e.severity});
            if let Some(score) = e.score {
                rating["score"] = json!(score);
            }
            let mut analysis = json!({"state": e.state});
            if let Some(j) = e.justification.filter(|j| CDX_JUSTIFICATIONS.contains(j)) {
                analysis["justification"] = json!(j);
            }
            if !e.detail.is_empty() {
                analysis["detail"] = json!(e.detail);
            }
            json!({
                "id": e.id,
                "references": e.aliases.iter().map(|a| json!({"id": a, "source": {"name": "alias"}})).collect::<Vec<_>>(),
                "ratings": [rating],
                "affects": [{"ref": e.affects}],
                "analysis": analysis,
            })
        })
        .collect();
    let mut doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1});
    if let Some(m) = metadata {
        doc["metadata"] = m;
    }
    doc["vulnerabilities"] = json!(v);
    doc
}

/// CycloneDX 1.5 VEX of a scan: findings `in_triage`, suppressed ones `not_affected` with the
/// reason.
pub fn cyclonedx_vex(findings: &[Finding], suppressed: &[Suppressed]) -> Value {
    let mut v: Vec<VexEntry<'_>> = findings.iter().map(|f| VexEntry::of(f, "in_triage")).collect();
    v.extend(
        suppressed.iter().map(|s| VexEntry { detail: &s.justification, ..VexEntry::of(&s.finding, "not_affected") }),
    );
    cyclonedx_vex_document(&v, None)
}

/// What a CSAF document is about: the vendor, the product and its version.
#[derive(Debug, Clone)]
pub struct CsafProduct<'a> {
    pub vendor: &'a str,
    /// A URI naming the vendor (CSAF's publisher namespace).
    pub vendor_namespace: String,
    pub product: &'a str,
    pub version: &'a str,
    /// The document's id (`tracking.id`).
    pub tracking_id: String,
    /// RFC 3339.
    pub now: String,
    pub lang: &'a str,
}

/// CSAF 2.0 VEX (profile `csaf_vex`), the format national CERTs and vendors publish advisories
/// in: the product version and its components in the product tree (each component "default
/// component of" the version), one vulnerability per advisory with the product status its
/// findings' triage states give (in_triage → under_investigation, exploitable → known_affected
/// with a remediation, not_affected and false_positive → known_not_affected with a flag or an
/// impact statement, resolved → fixed).
pub fn csaf_vex(p: &CsafProduct<'_>, entries: &[VexEntry<'_>]) -> Value {
    let mut components: Vec<(&str, &str)> = Vec::new();
    for e in entries {
        if !components.iter().any(|(a, _)| *a == e.affects) {
            components.push((&e.affects, &e.component));
        }
    }
    let cid =
        |affects: &str| components.iter().position(|(a, _)| *a == affects).map(|i| format!("CSAFPID-{:04}", i + 1));
    let full_names: Vec<Value> = components
        .iter()
        .enumerate()
        .map(|(i, (purl, name))| {
            let mut v = json!({"name": name, "product_id": format!("CSAFPID-{:04}", i + 1)});
            if purl.starts_with("pkg:") {
                v["product_identification_helper"] = json!({"purl": purl});
            }
            v
        })
        .collect();
    let relationships: Vec<Value> = components
        .iter()
        .enumerate()
        .map(|(i, (_, name))| {
            json!({
                "category": "default_component_of",
                "product_reference": format!("CSAFPID-{:04}", i + 1),
                "relates_to_product_reference": "PRODUCT",
                "full_product_name": {"name": format!("{name} in {} {}", p.product, p.version), "product_id": format!("PRODUCT:CSAFPID-{:04}", i + 1)},
            })
        })
        .collect();
    // one vulnerability per advisory, in first-seen order
    let mut ids: Vec<&str> = Vec::new();
    for e in entries {
        if !ids.contains(&e.id) {
            ids.push(e.id);
        }
    }
    let vulnerabilities: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mine: Vec<&VexEntry<'_>> = entries.iter().filter(|e| e.id == *id).collect();
            let first = mine[0];
            let cve = std::iter::once(*id)
                .chain(first.aliases.iter().map(String::as_str))
                .find(|a| a.starts_with("CVE-") && a.len() >= 13 && a[4..8].chars().all(|c| c.is_ascii_digit()));
            let mut all_ids: Vec<Value> = Vec::new();
            for x in std::iter::once(*id).chain(first.aliases.iter().map(String::as_str)) {
                if Some(x) != cve {
                    let system = x.split(['-', ':']).next().filter(|s| !s.is_empty()).unwrap_or("OSV");
                    all_ids.push(json!({"system_name": system, "text": x}));
                }
            }
            let mut status: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
            let mut flags: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
            let mut threats: Vec<Value> = Vec::new();
            let mut remediations: Vec<Value> = Vec::new();
            for e in &mine {
                let pid = format!("PRODUCT:{}", cid(&e.affects).unwrap_or_default());
                match e.state {
                    "exploitable" => {
                        status.entry("known_affected").or_default().push(pid.clone());
                        let (category, details) = match e.response {
                            "update" => ("vendor_fix", "Update to a fixed version"),
                            "workaround_available" => ("workaround", "A workaround is available"),
                            "rollback" => ("vendor_fix", "Roll back to an unaffected version"),
                            "will_not_fix" => ("no_fix_planned", "The vendor will not fix this"),
                            "can_not_fix" => ("none_available", "The vendor cannot fix this"),
                            _ => ("none_available", "The vendor is preparing a response"),
                        };
                        let details = if e.detail.is_empty() { details.to_string() } else { e.detail.to_string() };
                        remediations.push(json!({"category": category, "details": details, "product_ids": [pid]}));
                    }
                    "not_affected" | "false_positive" => {
                        status.entry("known_not_affected").or_default().push(pid.clone());
                        let label = match e.justification.unwrap_or("") {
                            "code_not_present" => Some("vulnerable_code_not_present"),
                            "code_not_reachable" => Some("vulnerable_code_not_in_execute_path"),
                            "requires_dependency" => Some("component_not_present"),
                            "requires_configuration" | "requires_environment" => {
                                Some("vulnerable_code_cannot_be_controlled_by_adversary")
                            }
                            "protected_by_compiler"
                            | "protected_at_runtime"
                            | "protected_at_perimeter"
                            | "protected_by_mitigating_control" => Some("inline_mitigations_already_exist"),
                            _ => None,
                        };
                        if let Some(l) = label {
                            flags.entry(l).or_default().push(pid.clone());
                        }
                        let why = match (e.state, e.detail.is_empty()) {
                            ("false_positive", true) => {
                                "False positive: the finding does not apply to this product".to_string()
                            }
                            ("false_positive", false) => format!("False positive: {}", e.detail),
                            (_, false) => e.detail.to_string(),
                            (_, true) => "Not affected".to_string(),
                        };
                        threats.push(json!({"category": "impact", "details": why, "product_ids": [pid]}));
                    }
                    "resolved" => status.entry("fixed").or_default().push(pid),
                    _ => status.entry("under_investigation").or_default().push(pid),
                }
            }
            let mut v = json!({"product_status": status});
            if let Some(c) = cve {
                v["cve"] = json!(c);
            }
            if !all_ids.is_empty() {
                v["ids"] = json!(all_ids);
            }
            if !first.summary.is_empty() {
                v["notes"] = json!([{"category": "summary", "text": first.summary, "title": "Summary"}]);
            }
            if !flags.is_empty() {
                v["flags"] = json!(
                    flags.into_iter().map(|(l, ids)| json!({"label": l, "product_ids": ids})).collect::<Vec<_>>()
                );
            }
            if !threats.is_empty() {
                v["threats"] = json!(threats);
            }
            if !remediations.is_empty() {
                v["remediations"] = json!(remediations);
            }
            // (CSAF scores need a full CVSS object with its vector; findings keep the base score only)
            v
        })
        .collect();
    let mut tree = json!({
        "branches": [{"category": "vendor", "name": p.vendor, "branches": [{"category": "product_name", "name": p.product,
            "branches": [{"category": "product_version", "name": p.version,
                "product": {"name": format!("{} {}", p.product, p.version), "product_id": "PRODUCT"}}]}]}],
    });
    if !full_names.is_empty() {
        tree["full_product_names"] = json!(full_names);
        tree["relationships"] = json!(relationships);
    }
    let mut doc = json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "lang": p.lang,
            "title": format!("{} {} — VEX", p.product, p.version),
            "publisher": {"category": "vendor", "name": p.vendor, "namespace": p.vendor_namespace},
            "notes": [{"category": "summary", "title": "About this document",
                "text": format!("The known vulnerabilities of the components of {} {} and the vendor's assessment of each.", p.product, p.version)}],
            "tracking": {
                "id": p.tracking_id, "status": "final", "version": "1",
                "initial_release_date": p.now, "current_release_date": p.now,
                "revision_history": [{"date": p.now, "number": "1", "summary": "Generated from the platform's findings"}],
                "generator": {"engine": {"name": "Kakehashi", "version": env!("CARGO_PKG_VERSION")}, "date": p.now},
            },
        },
        "product_tree": tree,
    });
    if !vulnerabilities.is_empty() {
        doc["vulnerabilities"] = json!(vulnerabilities);
    }
    doc
}

/// The plain-text table of a scan of `components` components.
pub fn text(
    components: usize,
    findings: &[Finding],
    suppressed: &[Suppressed],
    unsupported: usize,
    not_matched: &[crate::matcher::NotMatched],
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{components} components, {} findings", findings.len());
    if !findings.is_empty() {
        let _ =
            writeln!(out, "{:<9} {:<14} {:<24} {:<36} {:<14} FIXED", "SEVERITY", "KIND", "ID", "PACKAGE", "VERSION");
    }
    for f in findings {
        let _ = writeln!(
            out,
            "{:<9} {:<14} {:<24} {:<36} {:<14} {}",
            f.severity.name(),
            f.kind,
            f.id,
            match &f.package.source {
                Some(src) => format!("{} ({}, source {src})", f.package.name, f.package.ecosystem),
                None => format!("{} ({})", f.package.name, f.package.ecosystem),
            },
            f.package.version,
            f.fixed.join(", ")
        );
    }
    for x in suppressed {
        let _ = writeln!(
            out,
            "suppressed by VEX: {} in {} {} ({})",
            x.finding.id, x.finding.package.name, x.finding.package.version, x.justification
        );
    }
    if unsupported > 0 {
        let _ = writeln!(
            out,
            "note: {unsupported} components are in ecosystems whose version order is not implemented yet"
        );
    }
    for n in not_matched {
        let _ = writeln!(out, "not matched: {} components of {}: {}", n.components, n.ecosystem, n.reason);
    }
    out
}
