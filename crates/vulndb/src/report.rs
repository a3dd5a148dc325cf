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

/// CycloneDX 1.5 VEX: findings `in_triage`, suppressed ones `not_affected` with the reason.
/// What is not known is left out (a record without a CVSS score has a rating with a severity
/// and no score), so the document validates against the published 1.5 schema.
pub fn cyclonedx_vex(findings: &[Finding], suppressed: &[Suppressed]) -> Value {
    let entry = |f: &Finding, state: &str, detail: &str| {
        let mut rating = json!({"severity": f.severity.name()});
        if let Some(score) = f.score {
            rating["score"] = json!(score);
        }
        let mut analysis = json!({"state": state});
        if !detail.is_empty() {
            analysis["detail"] = json!(detail);
        }
        json!({
            "id": f.id,
            "references": f.aliases.iter().map(|a| json!({"id": a, "source": {"name": "alias"}})).collect::<Vec<_>>(),
            "ratings": [rating],
            "affects": [{"ref": f.package.purl.clone().unwrap_or_else(|| format!("{}@{}", f.package.name, f.package.version))}],
            "analysis": analysis,
        })
    };
    let mut v: Vec<Value> = findings.iter().map(|f| entry(f, "in_triage", "")).collect();
    v.extend(suppressed.iter().map(|s| entry(&s.finding, "not_affected", &s.justification)));
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "vulnerabilities": v})
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
