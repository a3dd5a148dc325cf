//! 情報セキュリティサービス審査登録制度 — the security-service registry.
//!
//! A provider (事業者) applies for each service separately; a registration body (審査登録機関)
//! reviews it against the requirement checklist; listed services are valid for two years,
//! change requests are re-reviewed, the program office runs surveillance, and services can be
//! suspended, withdrawn or expire.

mod application;
mod category;
mod lifecycle;

pub use application::*;
pub use category::*;
pub use lifecycle::*;

crate::identity::id_type!(ServiceId);
crate::identity::id_type!(SurveillanceId);
crate::identity::id_type!(EvidenceId);
