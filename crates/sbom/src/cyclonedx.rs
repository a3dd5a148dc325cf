//! CycloneDX JSON (1.2-1.6): components, nested components, with purls.

use serde_json::Value;

use crate::purl::Purl;
use crate::{Component, Document, Error, err};

pub(crate) fn component_from(name: &str, version: &str, purl: Option<&str>) -> Component {
    let parsed = purl.and_then(Purl::parse);
    let (ecosystem, pname) = parsed.as_ref().and_then(|p| p.osv_package()).unwrap_or_default();
    // the purl's version is canonical; some generators put qualifiers into the version field
    let version = parsed.as_ref().and_then(|p| p.version.clone()).unwrap_or_else(|| version.to_string());
    Component {
        ecosystem,
        name: if pname.is_empty() { name.to_string() } else { pname },
        version,
        purl: purl.map(str::to_string),
    }
}

fn walk(list: &Value, out: &mut Vec<Component>, depth: usize) -> Result<(), Error> {
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
        if !name.is_empty() || purl.is_some() {
            out.push(component_from(name, version, purl));
        }
        if let Some(children) = obj.get("components") {
            walk(children, out, depth + 1)?;
        }
    }
    Ok(())
}

pub fn from_json(v: &Value) -> Result<Document, Error> {
    let spec = v.get("specVersion").and_then(Value::as_str).unwrap_or("?");
    let mut components = Vec::new();
    if let Some(list) = v.get("components") {
        walk(list, &mut components, 0)?;
    }
    Ok(Document { format: format!("CycloneDX {spec} JSON"), components })
}
