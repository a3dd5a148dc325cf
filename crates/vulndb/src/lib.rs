//! The vulnerability engine. Stands alone: no dependency on the platform crates, no network.
//!
//! - [`version`]: version ordering per ecosystem, the basis of every range check;
//! - [`osv`]: reading OSV records (zips, directories) and RustSec's native advisories;
//! - [`db`]: the local index (import, update, lookup);
//! - [`matcher`]: which advisories affect which components, with aliases merged;
//! - [`cvss`]: severity from CVSS v3 vectors.

pub mod cvss;
pub mod db;
pub mod matcher;
pub mod osv;
pub mod reverse;
pub mod version;
pub mod vex;
