//! VEX input: CycloneDX VEX, OpenVEX and CSAF 2.0 VEX statements. A `not_affected` statement
//! about a vulnerability (any of its IDs) and a product (purl, qualifiers ignored; no product
//! means every product) suppresses the finding and carries the justification.

use serde::Serialize;
use serde_json::Value;

use crate::matcher::Finding;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub vulnerability: String,
    pub products: Vec<String>,
    /// As the document says it: CycloneDX's analysis state, OpenVEX's status, or CSAF's product
    /// status group mapped to OpenVEX's words (not_affected, affected, fixed, under_investigation).
    pub status: String,
    /// The justification and the free text together, for people.
    pub justification: String,
    /// The justification code alone (CycloneDX justification, OpenVEX justification, CSAF flag label).
    pub code: String,
    /// The free text alone (CycloneDX detail, OpenVEX impact statement, CSAF impact threat).
    pub detail: String,
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
    // CSAF has `vulnerabilities` too, in its own shape
    if v.pointer("/document/csaf_version").is_some() {
        return csaf(&v);
    }
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
                justification: reason(just.clone(), detail.clone()),
                code: just,
                detail,
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
                justification: reason(just.clone(), imp.clone()),
                code: just,
                detail: imp,
            });
        }
        return Ok(out);
    }
    Err("neither CycloneDX VEX (vulnerabilities), OpenVEX (statements) nor CSAF 2.0 (document.csaf_version)".into())
}

/// CSAF 2.0 (a `csaf_vex` document, or any with vulnerabilities and product status): one
/// statement per vulnerability, status group and flag; product ids resolved to purls through
/// the product tree (branches, full product names, relationships). Ids without a purl name the
/// product as a whole: such a statement applies to every component.
fn csaf(v: &Value) -> Result<Vec<Statement>, String> {
    let mut purls: std::collections::HashMap<String, String> = Default::default();
    fn product(p: &Value, purls: &mut std::collections::HashMap<String, String>) {
        let id = p.get("product_id").and_then(Value::as_str);
        let purl = p.pointer("/product_identification_helper/purl").and_then(Value::as_str);
        if let (Some(id), Some(purl)) = (id, purl) {
            purls.insert(id.to_string(), base_purl(purl).to_string());
        }
    }
    fn branches(b: &Value, purls: &mut std::collections::HashMap<String, String>, depth: usize) {
        for x in b.as_array().into_iter().flatten() {
            if let Some(p) = x.get("product") {
                product(p, purls);
            }
            if depth < 30
                && let Some(sub) = x.get("branches")
            {
                branches(sub, purls, depth + 1);
            }
        }
    }
    if let Some(tree) = v.get("product_tree") {
        if let Some(b) = tree.get("branches") {
            branches(b, &mut purls, 0);
        }
        for p in tree.get("full_product_names").and_then(Value::as_array).into_iter().flatten() {
            product(p, &mut purls);
        }
        // "component X installed on product Y": the statement is about component X
        for r in tree.get("relationships").and_then(Value::as_array).into_iter().flatten() {
            if let (Some(id), Some(component)) = (
                r.pointer("/full_product_name/product_id").and_then(Value::as_str),
                r.get("product_reference").and_then(Value::as_str),
            ) && let Some(purl) = purls.get(component).cloned()
            {
                purls.insert(id.to_string(), purl);
            }
        }
    }
    let ids_of = |x: Option<&Value>| -> Vec<String> {
        x.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    };
    let to_purls = |ids: &[String]| -> Vec<String> {
        // any id without a purl is the product as a whole: no constraint
        if ids.iter().any(|i| !purls.contains_key(i)) {
            Vec::new()
        } else {
            ids.iter().map(|i| purls[i].clone()).collect()
        }
    };
    let mut out = Vec::new();
    let vulns = v.get("vulnerabilities").and_then(Value::as_array).ok_or("CSAF document without vulnerabilities")?;
    for x in vulns {
        let id = x
            .get("cve")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| x.pointer("/ids/0/text").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        if id.is_empty() {
            continue;
        }
        let flags: Vec<(String, Vec<String>)> = x
            .get("flags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| (f.get("label").and_then(Value::as_str).unwrap_or("").to_string(), ids_of(f.get("product_ids"))))
            .collect();
        let impact: Vec<(String, Vec<String>)> = x
            .get("threats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t.get("category").and_then(Value::as_str) == Some("impact"))
            .map(|t| (t.get("details").and_then(Value::as_str).unwrap_or("").to_string(), ids_of(t.get("product_ids"))))
            .collect();
        let groups = [
            ("known_not_affected", "not_affected"),
            ("fixed", "fixed"),
            ("first_fixed", "fixed"),
            ("known_affected", "affected"),
            ("first_affected", "affected"),
            ("last_affected", "affected"),
            ("under_investigation", "under_investigation"),
        ];
        for (group, status) in groups {
            let ids = ids_of(x.pointer(&format!("/product_status/{group}")));
            for pid in &ids {
                let code = flags.iter().find(|(_, p)| p.contains(pid)).map(|f| f.0.clone()).unwrap_or_default();
                let detail = impact.iter().find(|(_, p)| p.contains(pid)).map(|f| f.0.clone()).unwrap_or_default();
                out.push(Statement {
                    vulnerability: id.clone(),
                    products: to_purls(std::slice::from_ref(pid)),
                    status: status.to_string(),
                    justification: reason(code.clone(), detail.clone()),
                    code,
                    detail,
                });
            }
        }
    }
    Ok(out)
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

    #[test]
    fn csaf_vex() {
        let doc = br#"{"document":{"category":"csaf_vex","csaf_version":"2.0","title":"t","publisher":{"category":"vendor","name":"v","namespace":"https://example.jp"},
          "tracking":{"id":"X","status":"final","version":"1","initial_release_date":"2026-01-01T00:00:00Z","current_release_date":"2026-01-01T00:00:00Z","revision_history":[{"date":"2026-01-01T00:00:00Z","number":"1","summary":"s"}]}},
          "product_tree":{"branches":[{"category":"vendor","name":"v","branches":[{"category":"product_name","name":"gw","branches":[{"category":"product_version","name":"1.0","product":{"name":"gw 1.0","product_id":"GW-1.0"}}]}]}],
            "full_product_names":[{"name":"regex 1.2.0","product_id":"REGEX","product_identification_helper":{"purl":"pkg:cargo/regex@1.2.0?arch=x"}}],
            "relationships":[{"category":"default_component_of","product_reference":"REGEX","relates_to_product_reference":"GW-1.0","full_product_name":{"name":"regex in gw","product_id":"GW-REGEX"}}]},
          "vulnerabilities":[{"cve":"CVE-2022-24713","product_status":{"known_not_affected":["GW-REGEX"]},
            "flags":[{"label":"vulnerable_code_not_in_execute_path","product_ids":["GW-REGEX"]}],
            "threats":[{"category":"impact","details":"no untrusted patterns","product_ids":["GW-REGEX"]}]},
            {"ids":[{"system_name":"RUSTSEC","text":"RUSTSEC-X"}],"product_status":{"fixed":["GW-1.0"]}}]}"#;
        let st = parse(doc).unwrap();
        assert_eq!(st.len(), 2);
        assert_eq!(st[0].products, vec!["pkg:cargo/regex@1.2.0"]);
        assert_eq!(
            (st[0].status.as_str(), st[0].code.as_str()),
            ("not_affected", "vulnerable_code_not_in_execute_path")
        );
        assert_eq!(st[0].detail, "no untrusted patterns");
        assert_eq!(st[1].vulnerability, "RUSTSEC-X");
        assert!(st[1].products.is_empty(), "the product as a whole");
        assert_eq!(st[1].status, "fixed");
        let (keep, gone) = apply(vec![finding("RUSTSEC-2022-0013", "CVE-2022-24713", "pkg:cargo/regex@1.2.0")], &st);
        assert_eq!((keep.len(), gone.len()), (0, 1));
    }
}
