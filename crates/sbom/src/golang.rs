//! go.mod `require` directives and go.sum entries.

use crate::{Component, Document, Error, err};

fn comp(path: &str, version: &str) -> Component {
    Component {
        ecosystem: "Go".into(),
        name: path.into(),
        version: version.into(),
        purl: Some(format!("pkg:golang/{path}@{version}")),
    }
}

pub fn looks_like_go_mod(t: &str) -> bool {
    t.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("//")).is_some_and(|l| l.starts_with("module "))
}

pub fn from_go_mod(t: &str) -> Result<Document, Error> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, raw) in t.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                [path, version, ..] if version.starts_with('v') => out.push(comp(path, version)),
                _ => return Err(err(format!("go.mod line {}: not `module/path vX.Y.Z`: {raw}", i + 1))),
            }
        } else if line == "require (" {
            in_block = true;
        } else if let Some(rest) = line.strip_prefix("require ") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            match parts.as_slice() {
                [path, version, ..] if version.starts_with('v') => out.push(comp(path, version)),
                _ => return Err(err(format!("go.mod line {}: not `require module/path vX.Y.Z`: {raw}", i + 1))),
            }
        }
    }
    Ok(Document { format: "go.mod".into(), components: out, os: None })
}

pub fn looks_like_go_sum(t: &str) -> bool {
    t.lines().take(5).all(|l| {
        let p: Vec<&str> = l.split_whitespace().collect();
        p.len() == 3 && p[1].starts_with('v') && p[2].starts_with("h1:")
    }) && !t.trim().is_empty()
}

pub fn from_go_sum(t: &str) -> Result<Document, Error> {
    let mut out: Vec<Component> = Vec::new();
    for line in t.lines() {
        let p: Vec<&str> = line.split_whitespace().collect();
        if let [path, version, _] = p.as_slice()
            && !version.ends_with("/go.mod")
            && !out.iter().any(|c| c.name == *path && c.version == *version)
        {
            out.push(comp(path, version));
        }
    }
    Ok(Document { format: "go.sum".into(), components: out, os: None })
}
