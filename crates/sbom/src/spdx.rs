//! SPDX 2.2/2.3 JSON and tag-value, and SPDX 3.0 JSON-LD: packages with their purls.

use std::borrow::Cow;

use serde_json::Value;

use crate::cyclonedx::component_from;
use crate::{Document, Error, Os, err};

fn purl_of(refs: Option<&Value>) -> Option<&str> {
    refs?.as_array()?.iter().find_map(|r| {
        let t = r.get("referenceType").and_then(Value::as_str)?;
        (t == "purl").then(|| r.get("referenceLocator").and_then(Value::as_str)).flatten()
    })
}

/// The parts of an SPDX 2 JSON document read here, deserialised straight from the text: the
/// rest (files, relationships, licences: most of a large document) is skipped without building
/// it, which makes reading a 1.3 MB document several times faster than through a JSON tree.
#[derive(serde::Deserialize)]
struct Doc<'a> {
    #[serde(rename = "spdxVersion", borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    packages: Vec<Package<'a>>,
}

#[derive(serde::Deserialize)]
struct Package<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "versionInfo", default, borrow)]
    version: Cow<'a, str>,
    #[serde(rename = "SPDXID", default, borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "primaryPackagePurpose", default, borrow)]
    purpose: Option<Cow<'a, str>>,
    #[serde(rename = "sourceInfo", default, borrow)]
    source_info: Option<Cow<'a, str>>,
    #[serde(rename = "externalRefs", default, borrow)]
    refs: Vec<Ref<'a>>,
}

#[derive(serde::Deserialize)]
struct Ref<'a> {
    #[serde(rename = "referenceType", default, borrow)]
    ty: Option<Cow<'a, str>>,
    #[serde(rename = "referenceLocator", default, borrow)]
    locator: Option<Cow<'a, str>>,
}

/// SPDX 2 JSON from its text; None when the document does not have the expected shape (the
/// tree reader then says what is wrong with it).
pub fn from_json_text(t: &str) -> Option<Document> {
    let doc: Doc = serde_json::from_str(t).ok()?;
    // any JSON object deserialises into `Doc`: without its version it is not SPDX (e.g. a
    // document wrapped in another object), and the tree reader says what it is
    doc.version.as_ref()?;
    let mut components = Vec::with_capacity(doc.packages.len());
    let mut os = None;
    for p in &doc.packages {
        let purl = p.refs.iter().find(|r| r.ty.as_deref() == Some("purl")).and_then(|r| r.locator.as_deref());
        let (purpose, source) = (p.purpose.as_deref(), p.source_info.as_deref());
        package(&p.name, &p.version, &p.id, purpose, source, purl, &mut components, &mut os);
    }
    let version = doc.version.as_deref().unwrap_or("SPDX-?");
    Some(Document { format: format!("{version} JSON"), components, os })
}

/// One SPDX package: the operating system, or a component (a distribution package named by its
/// source package where trivy gives it).
#[allow(clippy::too_many_arguments)]
fn package(
    name: &str,
    ver: &str,
    id: &str,
    purpose: Option<&str>,
    source_info: Option<&str>,
    purl: Option<&str>,
    components: &mut Vec<crate::Component>,
    os: &mut Option<Os>,
) {
    // the operating system: trivy names it by its SPDX id, SPDX 2.3 by its purpose
    if id.starts_with("SPDXRef-OperatingSystem") || purpose == Some("OPERATING-SYSTEM") {
        os.get_or_insert(Os { name: name.to_string(), version: ver.to_string() });
        return;
    }
    let mut c = component_from(name, ver, purl);
    // trivy gives a distribution package's source package as "built package from: NAME VERSION";
    // Debian, Ubuntu and Alpine advisories name source packages (the RPM distributions' do not)
    if let Some(src) =
        source_info.and_then(|s| s.strip_prefix("built package from: ")).and_then(|r| r.split_whitespace().next())
        && crate::purl::names_source_packages(c.ecosystem.split(':').next().unwrap_or(""))
    {
        c.name = src.to_string();
    }
    components.push(c);
}

pub fn from_json(v: &Value) -> Result<Document, Error> {
    let version = v.get("spdxVersion").and_then(Value::as_str).unwrap_or("SPDX-?");
    let mut components = Vec::new();
    let mut os = None;
    if let Some(pkgs) = v.get("packages") {
        let pkgs = pkgs.as_array().ok_or_else(|| err("`packages` is not an array"))?;
        for (i, p) in pkgs.iter().enumerate() {
            let o = p.as_object().ok_or_else(|| err(format!("packages[{i}] is not an object")))?;
            let s = |k: &str| o.get(k).and_then(Value::as_str);
            let purl = purl_of(o.get("externalRefs"));
            let (name, ver, id) = (s("name").unwrap_or(""), s("versionInfo").unwrap_or(""), s("SPDXID").unwrap_or(""));
            package(name, ver, id, s("primaryPackagePurpose"), s("sourceInfo"), purl, &mut components, &mut os);
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
