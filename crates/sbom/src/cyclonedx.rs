//! CycloneDX JSON (1.2-1.6): components, nested components, with purls.

use serde_json::Value;

use crate::purl::Purl;
use crate::{Component, Document, Error, Os, err};

pub(crate) fn component_from(name: &str, version: &str, purl: Option<&str>) -> Component {
    let parsed = purl.and_then(Purl::parse);
    let (ecosystem, pname) = parsed.as_ref().and_then(|p| p.osv_package()).unwrap_or_default();
    // the purl's version is canonical; some generators put qualifiers into the version field
    let mut version = parsed.as_ref().and_then(|p| p.version.clone()).unwrap_or_else(|| version.to_string());
    // an RPM's epoch is a qualifier of its purl, and part of its version order
    if let Some(epoch) = parsed
        .as_ref()
        .filter(|p| p.ty == "rpm" && !version.contains(':'))
        .and_then(|p| p.qualifiers.iter().find(|(k, _)| k == "epoch"))
        .map(|(_, e)| e)
        .filter(|e| *e != "0")
    {
        version = format!("{epoch}:{version}");
    }
    Component {
        ecosystem,
        name: if pname.is_empty() { name.to_string() } else { pname },
        version,
        purl: purl.map(str::to_string),
    }
}

fn walk(list: &Value, out: &mut Vec<Component>, os: &mut Option<Os>, depth: usize) -> Result<(), Error> {
    if depth > 64 {
        return Err(err("components nested more than 64 levels deep"));
    }
    let Some(items) = list.as_array() else {
        return Err(err("`components` is not an array"));
    };
    for (i, c) in items.iter().enumerate() {
        let obj = c.as_object().ok_or_else(|| err(format!("components[{i}] is not an object")))?;
        let name = obj.get("name").and_then(Value::as_str).unwrap_or("");
        let version = obj.get("version").and_then(Value::as_str).unwrap_or("");
        let purl = obj.get("purl").and_then(Value::as_str);
        if obj.get("type").and_then(Value::as_str) == Some("operating-system") {
            os.get_or_insert(Os { name: name.to_string(), version: version.to_string() });
        } else if !name.is_empty() || purl.is_some() {
            out.push(component_from(name, version, purl));
        }
        if let Some(children) = obj.get("components") {
            walk(children, out, os, depth + 1)?;
        }
    }
    Ok(())
}

pub fn from_json(v: &Value) -> Result<Document, Error> {
    let spec = v.get("specVersion").and_then(Value::as_str).unwrap_or("?");
    let mut components = Vec::new();
    let mut os = None;
    if let Some(list) = v.get("components") {
        walk(list, &mut components, &mut os, 0)?;
    }
    // the BOM's subject may itself be the operating system (an image's base layer)
    if let Some(m) = v.pointer("/metadata/component").filter(|m| m["type"] == "operating-system") {
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        os.get_or_insert(Os { name: s("name"), version: s("version") });
    }
    Ok(Document { format: format!("CycloneDX {spec} JSON"), components, os })
}
