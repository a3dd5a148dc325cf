//! Use cases: one function per operation. Each checks who may do it, opens one transaction,
//! applies the domain rules, and writes the audit entry, the visible history and the outbox
//! rows in that same transaction.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod blobs;
pub mod console;
pub mod demo;
pub mod engines;
mod error;
pub mod identity;
pub mod jobs;
pub mod notes;
pub mod notify;
pub mod registry;
pub mod search;
pub mod verification;
pub mod workflow;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use authz::{Actor, Membership, Op, Scope};
pub use error::AppError;
// Rows the pages show are re-exported as data; the store itself (its connection and SQL) is not:
// callers reach data only through the use cases.
use store::Store;
pub use store::{
    AnalysisRow, EventRow, EvidenceRow, FindingRow, NotificationRow, OrgRow, ProductFileRow, StoreError,
    SurveillanceRow, TokenRow,
};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Largest evidence file accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Session lifetime in seconds.
    pub session_ttl: i64,
    /// Failed logins per account before each further attempt waits (1, 2, 4 … s, at most
    /// [`auth::LOGIN_BACKOFF_CAP`]).
    pub login_max_failures: i64,
    /// Failed logins per client address tolerated in `login_window` seconds.
    pub login_max_per_address: i64,
    pub login_window: i64,
    pub jobs: jobs::JobsConfig,
    pub delivery: notify::DeliveryConfig,
    /// The advisory index (`kakehashi osv import --db DIR`) for SBOM scans; None: SBOMs are
    /// inventoried but not matched.
    pub advisory_db: Option<std::path::PathBuf>,
    /// Keyed checkpoints of the audit chain; None: not made.
    pub audit_checkpoints: Option<audit::CheckpointConfig>,
    /// The file store for large blobs (captures): see [`blobs`].
    pub blob_dir: std::path::PathBuf,
    /// Largest capture accepted, in bytes (streamed to the file store, never held in memory).
    pub max_capture_bytes: u64,
    /// Label signing: the secret that seals the signing keys, the suspension deadline.
    pub labels: verification::labels::LabelConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            session_ttl: 8 * 3600,
            login_max_failures: 5,
            login_max_per_address: 20,
            login_window: 15 * 60,
            jobs: jobs::JobsConfig::default(),
            delivery: notify::DeliveryConfig::default(),
            advisory_db: None,
            audit_checkpoints: None,
            blob_dir: std::env::temp_dir().join("kakehashi-blobs"),
            max_capture_bytes: 2 * 1024 * 1024 * 1024,
            labels: Default::default(),
        }
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
    /// Milliseconds since the epoch, shifted like [`Clock::now`].
    pub fn now_ms(&self) -> i64 {
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
            + self.offset.load(Ordering::Relaxed) * 1000
    }
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// What [`App::health`] found.
#[derive(Debug, Clone, Copy)]
pub struct Health {
    pub database: &'static str,
    pub reads: bool,
    pub writes: bool,
}

impl Health {
    pub fn ok(&self) -> bool {
        self.reads && self.writes
    }
}

/// The advisory index and when its `meta.json` was written.
pub(crate) type OpenedIndex = (std::time::SystemTime, Arc<vulndb::db::Index>);

/// Everything a use case needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Store,
    pub config: Arc<AppConfig>,
    pub clock: Arc<Clock>,
    pub search: Arc<registry::index::PublicIndex>,
    pub(crate) products_index: Arc<search::Refreshing<verification::index::ProductSnapshot>>,
    pub(crate) jobs: Arc<jobs::JobKinds>,
    pub(crate) job_wake: Arc<tokio::sync::Notify>,
    pub job_stats: Arc<jobs::JobStats>,
    pub(crate) mailer: Option<Arc<notify::Mailer>>,
    pub(crate) http: reqwest::Client,
    /// The advisory index as last opened, with the modification time of its `meta.json` (an
    /// import rewrites it; the next scan then opens the new index).
    pub(crate) advisory_index: Arc<std::sync::Mutex<Option<OpenedIndex>>>,
}

impl App {
    /// The use cases over a store. Fails only on a bad SMTP URL in the configuration.
    pub fn new(store: Store, config: AppConfig) -> Result<Self, String> {
        let mut kinds = jobs::JobKinds::default();
        // One line per program: the job kinds it runs.
        jobs::register_platform(&mut kinds);
        engines::register(&mut kinds);
        registry::register_jobs(&mut kinds);
        audit::register(&mut kinds, &config);
        console::register(&mut kinds);
        verification::labels::register(&mut kinds);
        let mailer = match &config.delivery.smtp_url {
            Some(u) => Some(Arc::new(notify::mailer(u)?)),
            None => None,
        };
        let mut http = reqwest::Client::builder();
        if !config.delivery.allow_insecure_webhooks {
            http = http.dns_resolver(Arc::new(notify::PublicOnly));
        }
        let http = http
            .timeout(config.delivery.webhook_timeout)
            .connect_timeout(config.delivery.webhook_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Kakehashi-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(App {
            store,
            config: Arc::new(config),
            clock: Arc::new(Clock::default()),
            search: Arc::new(registry::index::PublicIndex::default()),
            products_index: Arc::new(search::Refreshing::default()),
            jobs: Arc::new(kinds),
            job_wake: Arc::new(tokio::sync::Notify::new()),
            job_stats: Arc::new(jobs::JobStats::default()),
            mailer,
            http,
            advisory_index: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// Closes the database pool (at shutdown).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The database backend's name (`sqlite`, `postgres`).
    pub fn backend_name(&self) -> &'static str {
        self.store.backend().name()
    }

    /// Records one audit entry on its own (kit operations that change nothing else: a job retried,
    /// a webhook added).
    pub(crate) async fn audit_alone(&self, actor: &Actor, action: &str, subject: &str, summary: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let rec = domain::audit::AuditRecord {
            actor: actor.audit_name(),
            action: action.into(),
            subject: subject.into(),
            summary: summary.into(),
        };
        tx.audit(&rec, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The job kinds this process can run.
    pub fn job_kinds(&self) -> Vec<&'static str> {
        self.jobs.kinds()
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The database answers; returns the backend's name (for /healthz).
    /// Readiness: the database answers a read and takes a write (a small counter update), each
    /// within a few seconds. A storage fault (read-only or full disk, lost volume, database down)
    /// shows here while the process itself stays alive.
    pub async fn health(&self) -> Health {
        let limit = std::time::Duration::from_secs(3);
        let reads = matches!(tokio::time::timeout(limit, self.store.ping()).await, Ok(Ok(())));
        let writes = reads && {
            match tokio::time::timeout(limit, self.store.check_writable()).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "health check: the database takes no writes");
                    false
                }
                Err(_) => {
                    tracing::warn!("health check: a write did not finish within 3 s");
                    false
                }
            }
        };
        Health { database: self.store.backend().name(), reads, writes }
    }

    /// In-app notifications for the actor's organisations, newest first.
    pub async fn notifications_for(&self, actor: &Actor, limit: i64) -> Result<Vec<store::NotificationRow>> {
        actor.require_scope(Scope::RegistryRead)?;
        let orgs: Vec<i64> = actor.memberships.iter().map(|m| m.org_id).collect();
        Ok(self.store.notifications(&orgs.into_iter().map(domain::OrgId).collect::<Vec<_>>(), limit).await?)
    }

    /// The actor's own API tokens.
    pub async fn tokens_of(&self, actor: &Actor) -> Result<Vec<store::TokenRow>> {
        actor.require_session()?;
        Ok(self.store.tokens(domain::UserId(actor.user_id)).await?)
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
