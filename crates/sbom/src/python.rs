//! Pinned requirements.txt (`name==version`).

use crate::purl::pep503;
use crate::{Component, Document, Error, err};

pub fn looks_like_requirements(t: &str) -> bool {
    t.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(20).any(|l| l.contains("=="))
}

pub fn from_requirements(t: &str) -> Result<Document, Error> {
    let mut out = Vec::new();
    for (i, raw) in t.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let spec = line.split(';').next().unwrap_or("").trim();
        let Some((name, version)) = spec.split_once("==") else { continue };
        let name = name.split('[').next().unwrap_or("").trim();
        let version = version.split([',', ' ']).next().unwrap_or("").trim();
        if name.is_empty()
            || version.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(err(format!("line {}: not a pinned requirement: {raw}", i + 1)));
        }
        out.push(Component {
            ecosystem: "PyPI".into(),
            name: pep503(name),
            version: version.to_string(),
            purl: Some(format!("pkg:pypi/{}@{version}", pep503(name))),
        });
    }
    Ok(Document { format: "requirements.txt".into(), components: out, os: None })
}
