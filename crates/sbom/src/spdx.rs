//! SPDX 2.2/2.3 JSON and tag-value, and SPDX 3.0 JSON-LD: packages with their purls.

use serde_json::Value;

use crate::cyclonedx::component_from;
use crate::{Document, Error, Os, err};

fn purl_of(refs: Option<&Value>) -> Option<&str> {
    refs?.as_array()?.iter().find_map(|r| {
        let t = r.get("referenceType").and_then(Value::as_str)?;
        (t == "purl").then(|| r.get("referenceLocator").and_then(Value::as_str)).flatten()
    })
}

pub fn from_json(v: &Value) -> Result<Document, Error> {
    let version = v.get("spdxVersion").and_then(Value::as_str).unwrap_or("SPDX-?");
    let mut components = Vec::new();
    let mut os = None;
    if let Some(pkgs) = v.get("packages") {
        let pkgs = pkgs.as_array().ok_or_else(|| err("`packages` is not an array"))?;
        for (i, p) in pkgs.iter().enumerate() {
            let o = p.as_object().ok_or_else(|| err(format!("packages[{i}] is not an object")))?;
            let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("");
            let (name, ver) = (s("name"), s("versionInfo"));
            // the operating system: trivy names it by its SPDX id, SPDX 2.3 by its purpose
            if s("SPDXID").starts_with("SPDXRef-OperatingSystem") || s("primaryPackagePurpose") == "OPERATING-SYSTEM" {
                os.get_or_insert(Os { name: name.to_string(), version: ver.to_string() });
                continue;
            }
            let mut c = component_from(name, ver, purl_of(o.get("externalRefs")));
            // trivy gives a distribution package's source package as "built package from: NAME VERSION"
            if let Some(src) =
                s("sourceInfo").strip_prefix("built package from: ").and_then(|r| r.split_whitespace().next())
                && crate::purl::distro_base(c.ecosystem.split(':').next().unwrap_or("")).is_some()
            {
                c.name = src.to_string();
            }
            components.push(c);
        }
    }
    Ok(Document { format: format!("{version} JSON"), components, os })
}

pub fn from_json_ld(v: &Value) -> Result<Document, Error> {
    let graph =
        v.get("@graph").and_then(Value::as_array).ok_or_else(|| err("SPDX 3 JSON-LD without an @graph array"))?;
    let mut components = Vec::new();
    for el in graph {
        let ty = el.get("type").or_else(|| el.get("@type")).and_then(Value::as_str).unwrap_or("");
        // software_Package, and the AI and dataset profiles' packages
        if !ty.ends_with("Package") {
            continue;
        }
        let s = |k: &str| el.get(k).and_then(Value::as_str);
        let name = s("name").unwrap_or("");
        let version = s("software_packageVersion").unwrap_or("");
        let purl = s("software_packageUrl");
        components.push(component_from(name, version, purl));
    }
    Ok(Document { format: "SPDX 3.0 JSON-LD".into(), components, os: None })
}

pub fn from_tag_value(t: &str) -> Result<Document, Error> {
    let version = t.lines().find_map(|l| l.strip_prefix("SPDXVersion:")).map(str::trim).unwrap_or("SPDX-?").to_string();
    let mut components = Vec::new();
    let mut cur: Option<(String, String, Option<String>)> = None;
    let flush = |cur: &mut Option<(String, String, Option<String>)>, out: &mut Vec<_>| {
        if let Some((n, v, p)) = cur.take() {
            out.push(component_from(&n, &v, p.as_deref()));
        }
    };
    for line in t.lines() {
        let Some((k, val)) = line.split_once(':') else { continue };
        let val = val.trim();
        match k.trim() {
            "PackageName" => {
                flush(&mut cur, &mut components);
                cur = Some((val.to_string(), String::new(), None));
            }
            "PackageVersion" => {
                if let Some(c) = cur.as_mut() {
                    c.1 = val.to_string();
                }
            }
            "ExternalRef" => {
                let parts: Vec<&str> = val.split_whitespace().collect();
                if let (Some(c), ["PACKAGE-MANAGER" | "PACKAGE_MANAGER", "purl", loc, ..]) =
                    (cur.as_mut(), parts.as_slice())
                {
                    c.2 = Some(loc.to_string());
                }
            }
            "FileName" | "SnippetSPDXID" => flush(&mut cur, &mut components),
            _ => {}
        }
    }
    flush(&mut cur, &mut components);
    Ok(Document { format: format!("{version} tag-value"), components, os: None })
}
