//! The vulnerability engine. Stands alone: no dependency on the platform crates, no network.
//!
//! This first part holds version semantics per ecosystem ([`version`]): the ordering every
//! range check in an advisory depends on.

pub mod version;
