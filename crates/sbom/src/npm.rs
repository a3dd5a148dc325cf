//! package-lock.json (lockfileVersion 1 to 3).

use serde_json::Value;

use crate::{Component, Document, Error, err};

fn push(out: &mut Vec<Component>, name: &str, version: &str) {
    if name.is_empty() || version.is_empty() || version.starts_with("file:") || version.starts_with("link:") {
        return;
    }
    out.push(Component {
        ecosystem: "npm".into(),
        name: name.into(),
        version: version.into(),
        purl: Some(format!("pkg:npm/{}@{version}", name.replace('@', "%40"))),
    });
}

fn walk_v1(deps: &Value, out: &mut Vec<Component>, depth: usize) {
    if depth > 256 {
        return;
    }
    if let Some(map) = deps.as_object() {
        for (name, d) in map {
            push(out, name, d.get("version").and_then(Value::as_str).unwrap_or(""));
            if let Some(inner) = d.get("dependencies") {
                walk_v1(inner, out, depth + 1);
            }
        }
    }
}

pub fn from_package_lock(v: &Value) -> Result<Document, Error> {
    let lv = v.get("lockfileVersion").and_then(Value::as_i64).ok_or_else(|| err("lockfileVersion is not a number"))?;
    let mut out = Vec::new();
    if let Some(pkgs) = v.get("packages").and_then(Value::as_object) {
        for (path, p) in pkgs {
            if path.is_empty() || p.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| path.rsplit_once("node_modules/").map_or(path.as_str(), |(_, n)| n).to_string());
            push(&mut out, &name, p.get("version").and_then(Value::as_str).unwrap_or(""));
        }
    } else if let Some(deps) = v.get("dependencies") {
        walk_v1(deps, &mut out, 0);
    }
    Ok(Document { format: format!("package-lock.json v{lv}"), components: out, os: None })
}
