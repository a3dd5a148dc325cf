//! Use cases: one function per operation. Each checks who may do it, opens one transaction,
//! applies the domain rules, and writes the audit entry, the visible history and the outbox
//! rows in that same transaction.

pub mod auth;
pub mod authz;
pub mod demo;
mod error;
pub mod identity;
pub mod registry;
pub mod search;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use authz::{Actor, Membership, Op, Scope};
pub use error::AppError;
pub use store;
pub use store::{
    Backend, EventRow, EvidenceRow, NotificationRow, OrgRow, Store, StoreConfig, StoreError, SurveillanceRow, TokenRow,
};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Largest evidence file accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Session lifetime in seconds.
    pub session_ttl: i64,
    /// Failed logins (per account and per address) tolerated in `login_window` seconds.
    pub login_max_failures: i64,
    pub login_window: i64,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self { max_upload_bytes: 20 * 1024 * 1024, session_ttl: 8 * 3600, login_max_failures: 5, login_window: 15 * 60 }
    }
}

/// The clock, read only here (the domain takes time as an argument). Tests may shift it.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.offset.load(Ordering::Relaxed)
    }
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// Everything a use case needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Arc<AppConfig>,
    pub clock: Arc<Clock>,
    pub search: Arc<search::PublicIndex>,
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> Self {
        App {
            store,
            config: Arc::new(config),
            clock: Arc::new(Clock::default()),
            search: Arc::new(search::PublicIndex::default()),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The database answers; returns the backend's name (for /healthz).
    pub async fn health(&self) -> Result<&'static str> {
        self.store.ping().await?;
        Ok(self.store.backend().name())
    }

    /// In-app notifications for the actor's organisations, newest first.
    pub async fn notifications_for(&self, actor: &Actor, limit: i64) -> Result<Vec<store::NotificationRow>> {
        let orgs: Vec<i64> = actor.memberships.iter().map(|m| m.org_id).collect();
        Ok(self.store.notifications(&orgs, limit).await?)
    }

    /// The actor's own API tokens.
    pub async fn tokens_of(&self, actor: &Actor) -> Result<Vec<store::TokenRow>> {
        Ok(self.store.tokens(actor.user_id).await?)
    }

    /// Verifies the whole audit chain; returns how many entries were checked.
    pub async fn audit_verify(&self) -> Result<std::result::Result<u64, domain::audit::ChainBreak>> {
        let head = self.store.audit_head().await?;
        let mut v = domain::audit::ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = self.store.audit_entries(after, 5000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for e in &batch {
                if let Err(b) = v.check(e) {
                    return Ok(Err(b));
                }
            }
        }
        Ok(v.finish(head.seq, &head.hash).map(|_| v.checked))
    }
}

/// Date of a timestamp as `YYYY-MM-DD` in Japan time (JST, UTC+9), as shown to users.
pub fn jst_date(ts: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(ts + 9 * 3600).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Date and time in JST, `YYYY-MM-DD HH:MM`.
pub fn jst_datetime(ts: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(ts + 9 * 3600).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", d.year(), d.month() as u8, d.day(), d.hour(), d.minute())
}

/// RFC 3339 in UTC (Atom, JSON).
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn today(ts: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ts + 9 * 3600).unwrap_or(time::OffsetDateTime::UNIX_EPOCH).date()
}
