//! Report writers for a scan: SARIF 2.1.0 (code-scanning tools), CycloneDX VEX (the findings
//! and what VEX suppressed, as analysis states) and a plain-text table.

use serde_json::{Value, json};

use crate::cvss::Level;
use crate::matcher::Finding;
use crate::vex::Suppressed;

/// SARIF 2.1.0: one rule per advisory, one result per finding, located at `uri`.
pub fn sarif(findings: &[Finding], uri: &str) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in findings {
        if seen.insert(f.id.clone()) {
            rules.push(json!({
                "id": f.id,
                "shortDescription": {"text": if f.summary.is_empty() { f.id.clone() } else { f.summary.clone() }},
                "properties": match f.score {
                    // code-scanning tools read the score as a string; none is given when unknown
                    Some(s) => json!({"security-severity": format!("{s:.1}"), "aliases": f.aliases}),
                    None => json!({"aliases": f.aliases}),
                },
            }));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Level::Critical | Level::High => "error",
                Level::Medium => "warning",
                _ => "note",
            };
            json!({
                "ruleId": f.id,
                "level": level,
                "message": {"text": format!("{} {} ({}) is affected by {}; fixed: {}", f.package.name, f.package.version, f.package.ecosystem, f.id, if f.fixed.is_empty() { "none".to_string() } else { f.fixed.join(", ") })},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "kakehashi", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}

/// One vulnerability statement of a CycloneDX VEX document.
#[derive(Debug, Clone)]
pub struct VexEntry<'a> {
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
    fn entry<'a>(f: &'a Finding, state: &'a str) -> VexEntry<'a> {
        VexEntry {
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
    let mut v: Vec<VexEntry<'_>> = findings.iter().map(|f| entry(f, "in_triage")).collect();
    v.extend(suppressed.iter().map(|s| VexEntry { detail: &s.justification, ..entry(&s.finding, "not_affected") }));
    cyclonedx_vex_document(&v, None)
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
