//! VEX input: CycloneDX VEX and OpenVEX statements. A `not_affected` statement about a
//! vulnerability (any of its IDs) and a product (purl, qualifiers ignored; no product means
//! every product) suppresses the finding and carries the justification.

use serde::Serialize;
use serde_json::Value;

use crate::matcher::Finding;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub vulnerability: String,
    pub products: Vec<String>,
    pub status: String,
    pub justification: String,
}

/// A finding a VEX statement suppressed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    pub vex_status: String,
    pub justification: String,
}

fn base_purl(p: &str) -> &str {
    p.split(['?', '#']).next().unwrap_or(p)
}

/// Reads CycloneDX VEX (a BOM with `vulnerabilities[].analysis`) or OpenVEX (`statements`).
/// A statement's justification with its free-text explanation, whichever of the two is given.
fn reason(justification: String, explanation: String) -> String {
    match (justification.is_empty(), explanation.is_empty()) {
        (_, true) => justification,
        (true, false) => explanation,
        (false, false) => format!("{justification}: {explanation}"),
    }
}

pub fn parse(bytes: &[u8]) -> Result<Vec<Statement>, crate::Error> {
    parse_statements(bytes).map_err(crate::Error::Vex)
}

fn parse_statements(bytes: &[u8]) -> Result<Vec<Statement>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let s = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut out = Vec::new();
    if let Some(vulns) = v.get("vulnerabilities").and_then(Value::as_array) {
        for x in vulns {
            let a = x.get("analysis").cloned().unwrap_or(Value::Null);
            let products = x
                .get("affects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("ref").and_then(Value::as_str))
                .map(|r| base_purl(r).to_string())
                .collect();
            let detail = s(&a, "detail");
            let just = s(&a, "justification");
            out.push(Statement {
                vulnerability: s(x, "id"),
                products,
                status: s(&a, "state"),
                justification: reason(just, detail),
            });
        }
        return Ok(out);
    }
    if let Some(stmts) = v.get("statements").and_then(Value::as_array) {
        for x in stmts {
            let vuln = match x.get("vulnerability") {
                Some(Value::String(id)) => id.clone(),
                Some(o) => s(o, "name"),
                None => String::new(),
            };
            let products = x
                .get("products")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    p.as_str().map(str::to_string).or_else(|| p.get("@id").and_then(Value::as_str).map(str::to_string))
                })
                .map(|p| base_purl(&p).to_string())
                .collect();
            let imp = s(x, "impact_statement");
            let just = s(x, "justification");
            out.push(Statement {
                vulnerability: vuln,
                products,
                status: s(x, "status"),
                justification: reason(just, imp),
            });
        }
        return Ok(out);
    }
    Err("neither CycloneDX VEX (vulnerabilities) nor OpenVEX (statements)".into())
}

/// Splits findings into those that stand and those a `not_affected` statement suppresses.
pub fn apply(findings: Vec<Finding>, statements: &[Statement]) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut keep = Vec::new();
    let mut gone = Vec::new();
    for f in findings {
        let purl = f.package.purl.as_deref().map(base_purl).unwrap_or("");
        let hit = statements.iter().find(|st| {
            st.status == "not_affected"
                && (st.vulnerability == f.id || f.aliases.contains(&st.vulnerability))
                && (st.products.is_empty() || st.products.iter().any(|p| p == purl))
        });
        match hit {
            Some(st) => gone.push(Suppressed {
                finding: f,
                vex_status: st.status.clone(),
                justification: st.justification.clone(),
            }),
            None => keep.push(f),
        }
    }
    (keep, gone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cvss::Level;
    use crate::matcher::Package;

    fn finding(id: &str, alias: &str, purl: &str) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![alias.into()],
            package: Package {
                name: "regex".into(),
                ecosystem: "crates.io".into(),
                version: "1.2.0".into(),
                purl: Some(purl.into()),
                source: None,
            },
            fixed: vec![],
            severity: Level::High,
            score: None,
            summary: String::new(),
            kind: "vulnerability".into(),
        }
    }

    #[test]
    fn cyclonedx_and_openvex() {
        let cdx = br#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-2022-24713","analysis":{"state":"not_affected","justification":"code_not_reachable","detail":"no untrusted regexes"},"affects":[{"ref":"pkg:cargo/regex@1.2.0?x=y"}]}]}"#;
        let st = parse(cdx).unwrap();
        let (keep, gone) = apply(
            vec![
                finding("RUSTSEC-2022-0013", "CVE-2022-24713", "pkg:cargo/regex@1.2.0"),
                finding("RUSTSEC-X", "CVE-X", "pkg:cargo/regex@1.2.0"),
            ],
            &st,
        );
        assert_eq!(keep.len(), 1);
        assert_eq!(gone[0].justification, "code_not_reachable: no untrusted regexes");
        let open = br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"RUSTSEC-X"},"products":[{"@id":"pkg:cargo/regex@1.2.0"}],"status":"affected"},{"vulnerability":"CVE-X","products":["pkg:cargo/other@1"],"status":"not_affected","justification":"component_not_present"}]}"#;
        let st = parse(open).unwrap();
        let (keep, gone) = apply(vec![finding("RUSTSEC-X", "CVE-X", "pkg:cargo/regex@1.2.0")], &st);
        assert_eq!((keep.len(), gone.len()), (1, 0), "affected statements and other products do not suppress");
        assert!(parse(b"{\"x\":1}").is_err());
        assert!(parse(b"not json").is_err());
    }
}
