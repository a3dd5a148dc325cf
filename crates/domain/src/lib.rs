//! Pure domain types and rules for Kakehashi's programs.
//!
//! No SQL, no HTTP and no clock reads live here: time is always passed in.

pub mod audit;
pub mod identity;
pub mod jobs;
pub mod registry;
pub mod search;
pub mod text;
pub mod verification;
pub mod workflow;

pub use identity::{MembershipRole, OrgId, OrgKind, OutboxId, TokenId, UserId, WebhookId};
pub use registry::{Category, ServiceId, ServiceStatus, SubCategory};

/// A time instant as Unix seconds (UTC). Passed in by callers, never read here.
pub type Timestamp = i64;

/// One invalid field of a submitted form or API body, with a message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub ja: String,
    pub en: String,
}

impl FieldError {
    pub fn new(field: &'static str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Self { field, ja: ja.into(), en: en.into() }
    }
}
