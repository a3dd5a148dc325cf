//! SBOM and lockfile readers (CycloneDX JSON and XML, SPDX 2 JSON and tag-value, SPDX 3
//! JSON-LD, Cargo.lock, package-lock.json, requirements.txt, poetry.lock, go.mod, go.sum, dpkg
//! status, apk installed). The format is detected from the content, never the file name;
//! every reader returns components with an OSV ecosystem name, a package name as that
//! ecosystem spells it, a version and, where known, a package URL.

mod cargo;
mod cyclonedx;
mod distro;
mod golang;
mod npm;
mod poetry;
pub mod purl;
mod python;
mod spdx;
mod xml;

use std::fmt;

/// One software component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// OSV ecosystem name (`crates.io`, `PyPI`, `npm`, `Go`, `Maven`, ...), or empty if unknown.
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
}

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Document {
    /// What the content was recognised as, e.g. `CycloneDX 1.5 JSON`.
    pub format: String,
    pub components: Vec<Component>,
    /// The operating system the document describes, where it names one (a CycloneDX
    /// `operating-system` component, an SPDX operating-system package).
    pub os: Option<Os>,
}

/// An operating system and its release, as the document gives them (`alpine`, `3.11.6`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Os {
    pub name: String,
    pub version: String,
}

impl Document {
    /// The operating system the caller knows the document is about (`--distro debian-12` for a
    /// dpkg status file, which names no release): distribution packages without a release take
    /// it. `name-version` or `name:version`.
    pub fn assume_distro(mut self, distro: &str) -> Result<Self, Error> {
        let (name, version) = distro
            .split_once([':', '-'])
            .filter(|(n, v)| purl::distro_base(n).is_some() && !v.is_empty())
            .ok_or_else(|| {
                err(format!(
                    "--distro {distro}: use NAME-RELEASE, e.g. debian-12, ubuntu-22.04, alpine-3.19, almalinux-9"
                ))
            })?;
        self.os = Some(Os { name: name.to_string(), version: version.to_string() });
        Ok(self.apply_os())
    }

    /// Distribution packages whose purl gave no release take the release of the document's
    /// operating system, when it is the same distribution.
    fn apply_os(mut self) -> Self {
        let Some(os) = &self.os else { return self };
        let Some(base) = purl::distro_base(&os.name) else { return self };
        let eco = purl::distro_ecosystem(base, Some(&os.version));
        for c in &mut self.components {
            if c.ecosystem == base {
                c.ecosystem = eco.clone();
            }
        }
        self
    }
}

/// Why a document could not be read: which kind of problem, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub(crate) fn err(m: impl Into<String>) -> Error {
    Error { message: m.into() }
}

/// The top-level keys that tell JSON documents apart.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<serde::de::IgnoredAny>,
    #[serde(rename = "spdxVersion")]
    spdx: Option<serde::de::IgnoredAny>,
}

/// Reads a document, detecting its format from the content.
pub fn parse(bytes: &[u8]) -> Result<Document, Error> {
    parse_any(bytes).map(Document::apply_os)
}

fn parse_any(bytes: &[u8]) -> Result<Document, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| err(format!("not UTF-8 text (byte {})", e.valid_up_to())))?;
    let text = text.trim_start_matches('\u{feff}');
    let t = text.trim_start();
    if t.is_empty() {
        return Err(err("empty document"));
    }
    if t.starts_with('{') {
        // SPDX names its version first: read it straight from the text, skipping everything
        // but the packages (a wrong guess falls through to the checks below)
        let head = &t.as_bytes()[..t.len().min(4096)];
        let has = |k: &[u8]| head.windows(k.len()).any(|w| w == k);
        let tried = has(b"\"spdxVersion\"") && !has(b"\"bomFormat\"");
        if tried && let Some(doc) = spdx::from_json_text(t) {
            return Ok(doc);
        }
        // which JSON document it is, from its top-level keys only (nothing else is built)
        let probe: Probe = serde_json::from_str(t).map_err(|e| err(format!("invalid JSON: {e}")))?;
        if !tried
            && probe.spdx.is_some()
            && probe.bom_format.is_none()
            && let Some(doc) = spdx::from_json_text(t)
        {
            return Ok(doc);
        }
        let v: serde_json::Value = serde_json::from_str(t).map_err(|e| err(format!("invalid JSON: {e}")))?;
        if v.get("bomFormat").and_then(|x| x.as_str()) == Some("CycloneDX") {
            return cyclonedx::from_json(&v);
        }
        if v.get("spdxVersion").is_some() {
            return spdx::from_json(&v);
        }
        if v.get("lockfileVersion").is_some() {
            return npm::from_package_lock(&v);
        }
        if v.get("@context").is_some() && t.contains("spdx") {
            return spdx::from_json_ld(&v);
        }
        if v.get("licenses").is_some() || v.get("licenseListVersion").is_some() {
            return Err(err("this is a licence list, not an SBOM"));
        }
        return Err(err(
            "JSON, but neither CycloneDX (bomFormat), SPDX (spdxVersion) nor package-lock.json (lockfileVersion)",
        ));
    }
    if t.starts_with('<') {
        return xml::from_xml(t);
    }
    if t.starts_with("SPDXVersion:") || t.contains("\nSPDXVersion:") {
        return spdx::from_tag_value(t);
    }
    if poetry::looks_like_poetry(t) {
        return poetry::from_lock(t);
    }
    if t.contains("[[package]]") {
        return cargo::from_lock(t);
    }
    if golang::looks_like_go_mod(t) {
        return golang::from_go_mod(t);
    }
    if golang::looks_like_go_sum(t) {
        return golang::from_go_sum(t);
    }
    if distro::looks_like_dpkg(t) {
        return distro::from_dpkg_status(t);
    }
    if distro::looks_like_apk(t) {
        return distro::from_apk_installed(t);
    }
    if python::looks_like_requirements(t) {
        return python::from_requirements(t);
    }
    Err(err(
        "unknown format: not CycloneDX, SPDX, Cargo.lock, package-lock.json, requirements.txt, poetry.lock, go.mod, go.sum, a dpkg status file or an apk installed database",
    ))
}

/// Reads a file.
pub fn read(path: &std::path::Path) -> Result<Document, Error> {
    let bytes = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    parse(&bytes).map_err(|e| err(format!("{}: {}", path.display(), e.message)))
}

#[cfg(test)]
mod tests;
