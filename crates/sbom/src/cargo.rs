//! Cargo.lock (format versions 1 to 4).

use serde::Deserialize;

use crate::{Component, Document, Error, err};

#[derive(Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
}

pub fn from_lock(t: &str) -> Result<Document, Error> {
    let lock: Lock = toml::from_str(t).map_err(|e| err(format!("invalid Cargo.lock: {}", e.message())))?;
    let components = lock
        .package
        .into_iter()
        // the workspace's own crates and path or git dependencies are not registry packages
        .filter(|p| p.source.as_deref().is_some_and(|s| s.starts_with("registry+")))
        .map(|p| Component {
            ecosystem: "crates.io".into(),
            purl: Some(format!("pkg:cargo/{}@{}", p.name, p.version)),
            name: p.name,
            version: p.version,
        })
        .collect();
    Ok(Document { format: format!("Cargo.lock v{}", lock.version.unwrap_or(1)), components, os: None })
}
