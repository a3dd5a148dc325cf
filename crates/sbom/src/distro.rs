//! Installed-package databases: Debian's dpkg `status` file and Alpine's `installed` database.
//! Advisories for distributions name source packages, so the source name is used when given.

use crate::{Component, Document, Error};

pub fn looks_like_dpkg(t: &str) -> bool {
    t.starts_with("Package: ") && t.contains("\nVersion: ")
}

pub fn from_dpkg_status(t: &str) -> Result<Document, Error> {
    let mut out = Vec::new();
    for para in t.split("\n\n") {
        let field = |k: &str| para.lines().find_map(|l| l.strip_prefix(k)).map(str::trim);
        let (Some(pkg), Some(version)) = (field("Package:"), field("Version:")) else { continue };
        if field("Status:").is_some_and(|s| !s.ends_with("installed")) {
            continue;
        }
        let source = field("Source:").map(|s| s.split_whitespace().next().unwrap_or(s)).unwrap_or(pkg);
        out.push(Component {
            ecosystem: "Debian".into(),
            name: source.to_string(),
            version: version.to_string(),
            purl: Some(format!("pkg:deb/debian/{pkg}@{version}")),
        });
    }
    Ok(Document { format: "Debian dpkg status".into(), components: out, os: None })
}

pub fn looks_like_apk(t: &str) -> bool {
    t.starts_with("C:") || (t.starts_with("P:") && t.contains("\nV:"))
}

pub fn from_apk_installed(t: &str) -> Result<Document, Error> {
    let mut out = Vec::new();
    for rec in t.split("\n\n") {
        let field = |k: &str| rec.lines().find_map(|l| l.strip_prefix(k)).map(str::trim);
        let (Some(pkg), Some(version)) = (field("P:"), field("V:")) else { continue };
        let origin = field("o:").unwrap_or(pkg);
        out.push(Component {
            ecosystem: "Alpine".into(),
            name: origin.to_string(),
            version: version.to_string(),
            purl: Some(format!("pkg:apk/alpine/{pkg}@{version}")),
        });
    }
    Ok(Document { format: "Alpine installed database".into(), components: out, os: None })
}
