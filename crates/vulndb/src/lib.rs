//! The vulnerability engine. Stands alone: no dependency on the platform crates, no network.
//!
//! - [`version`]: version ordering per ecosystem, the basis of every range check;
//! - [`osv`]: reading OSV records (zips, directories) and RustSec's native advisories;
//! - [`db`]: the local index (import, update, lookup);
//! - [`matcher`]: which advisories affect which components, with aliases merged;
//! - [`cvss`]: severity from CVSS v3 vectors;
//! - [`report`]: SARIF, CycloneDX VEX and text reports of a scan.

pub mod cvss;
pub mod db;
pub mod matcher;
pub mod osv;
pub mod report;
pub mod reverse;
pub mod version;
pub mod vex;

/// What the engine reports instead of a result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: no advisory index here (run `kakehashi osv import --db {0}` first)")]
    NoIndex(String),
    #[error("{0}: index made by another version; import the advisories again into a new directory")]
    OtherVersion(String),
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    Read(String),
    #[error("{0}")]
    Import(String),
    #[error("VEX: {0}")]
    Vex(String),
}
