//! The only place with SQL. One store for SQLite and PostgreSQL through sqlx's `Any` driver:
//! every query is written once with `$N` parameters (which both backends accept); the few
//! dialect differences live in [`dialect`].

mod analyses;
mod audit;
mod cases;
mod console;
pub mod dialect;
mod error;
mod evidence;
mod identity;
pub mod jobs;
mod labels;
mod migrate;
mod notes;
mod notify;
mod registry;
mod reviews;
mod verification;
pub mod workflow;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use analyses::AnalysisRow;
pub use audit::AuditHead;
pub use cases::*;
pub use console::*;
pub use dialect::Backend;
pub use error::StoreError;
pub use evidence::*;
pub use identity::*;
pub use jobs::{ClaimedJob, JobId, JobListener, JobRow, JobState, NewJob};
pub use labels::*;
pub use notes::*;
pub use notify::*;
pub use registry::*;
pub use reviews::*;
pub use verification::*;
pub use workflow::{NewTransition, TransitionRow};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Connection settings.
#[derive(Clone)]
pub struct StoreConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig").field("url", &redact_url(&self.url)).finish()
    }
}

/// Hides every credential in a connection string (for logs and error messages): the password in
/// the user-info part and the `password=` / `sslpassword=` query parameters sqlx also accepts.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &base[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..s + 3], &base[at..]),
                None => base.to_string(),
            }
        }
        _ => base.to_string(),
    };
    match query {
        None => base,
        Some(q) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword") => {
                        format!("{k}=***")
                    }
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", q.join("&"))
        }
    }
}

impl StoreConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 0, acquire_timeout: Duration::from_secs(3) }
    }
}

/// The store: a pool and, on SQLite, a process-wide write lock so that write transactions
/// queue in the process instead of failing with SQLITE_BUSY.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite: connections with `synchronous = NORMAL` for the job queue's bookkeeping
    /// ([`Store::begin_bookkeeping`]); None on PostgreSQL.
    bookkeeping: Option<AnyPool>,
    url: Arc<str>,
    backend: Backend,
    write_lock: Option<Arc<Mutex<()>>>,
}

/// One write transaction. Commit explicitly; dropping it rolls back.
///
/// The transaction is driven with plain `BEGIN`/`COMMIT`/`ROLLBACK` on a pooled connection rather
/// than sqlx's `Transaction`, so that a connection whose state is unknown after a storage fault is
/// closed, never handed to the next request. (sqlx counts nesting per connection and only counts
/// down when `COMMIT`/`ROLLBACK` succeed: after a failed `COMMIT` on SQLite — a read-only or full
/// disk — the connection stayed "inside" a transaction, every later write on it became a
/// `SAVEPOINT` that was never committed, and it held the writer lock, so other connections got
/// "database is locked". Writes were acknowledged and lost.)
pub struct Tx {
    pub(crate) tx: TxConn,
    /// Held until the transaction has ended, also when the end happens after `drop`.
    guard: Option<OwnedMutexGuard<()>>,
    backend: Backend,
    /// A job was enqueued: wake idle workers in every process when this commits.
    pub(crate) wake_jobs: bool,
}

/// The transaction's connection; `&mut *tx.tx` is the executor the store's queries run on.
pub(crate) struct TxConn(Option<PoolConnection<sqlx::Any>>);

impl std::ops::Deref for TxConn {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("transaction connection present until the transaction ends")
    }
}

impl std::ops::DerefMut for TxConn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("transaction connection present until the transaction ends")
    }
}

impl Tx {
    /// Commits. Acknowledge a write only after this returned `Ok`: with SQLite's
    /// `synchronous = FULL` the commit is on disk by then. On any error the connection is closed
    /// (after a best-effort rollback), so the next transaction starts on a fresh one. If this
    /// future is dropped half-way (a client went away), `Drop` ends the transaction the same way.
    pub async fn commit(mut self) -> Result<()> {
        if self.wake_jobs && self.backend == Backend::Postgres {
            // Delivered to listeners only when the transaction commits.
            sqlx::query("SELECT pg_notify($1, '')").bind(jobs::WAKE_CHANNEL).execute(&mut *self.tx).await?;
        }
        // If this future is dropped while COMMIT runs, Drop ends the transaction (the connection
        // and the writer lock are still in `self`).
        let res = self.tx.execute("COMMIT").await;
        let conn = self.tx.0.take().expect("transaction connection");
        let guard = self.guard.take();
        match res {
            Ok(_) => {
                drop(conn);
                drop(guard);
                Ok(())
            }
            Err(e) => {
                // closed on a task of its own, holding the writer lock until it is done, so a
                // cancelled caller cannot release the lock early
                spawn_or_detach(conn, guard, true);
                Err(e.into())
            }
        }
    }

    /// Rolls back now rather than on drop.
    pub async fn rollback(mut self) -> Result<()> {
        let conn = self.tx.0.take().expect("transaction connection");
        let guard = self.guard.take();
        // on a task of its own (as Drop does), so that the lock is held until the rollback is done
        // even if this caller is cancelled
        spawn_or_detach(conn, guard, false);
        Ok(())
    }
}

/// Rolls back; a connection that cannot roll back is in an unknown state and is closed.
async fn end_with_rollback(mut conn: PoolConnection<sqlx::Any>) {
    if conn.execute("ROLLBACK").await.is_err() {
        let _ = conn.close().await;
    }
}

/// Ends a transaction on a task of its own that holds the writer lock until it is done: rolls
/// back (and closes the connection when that fails, or always when `close`). Without a runtime
/// (shutting down) the connection is closed without returning to the pool.
fn spawn_or_detach(conn: PoolConnection<sqlx::Any>, guard: Option<OwnedMutexGuard<()>>, close: bool) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(async move {
                if close {
                    discard(conn).await;
                } else {
                    end_with_rollback(conn).await;
                }
                drop(guard);
            });
        }
        Err(_) => drop(conn.detach()),
    }
}

/// Rolls back what may be left and closes the connection instead of returning it to the pool.
async fn discard(mut conn: PoolConnection<sqlx::Any>) {
    let _ = conn.execute("ROLLBACK").await;
    let _ = conn.close().await;
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(conn) = self.tx.0.take() else { return };
        // Not committed: roll back on the runtime, keeping the writer lock until that is done.
        spawn_or_detach(conn, self.guard.take(), false);
    }
}

impl Store {
    /// Connects, checking that the URL is one we support and that the database answers.
    pub async fn connect(cfg: &StoreConfig) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&cfg.url)?;
        let opts: AnyConnectOptions =
            cfg.url.parse().map_err(|e| StoreError::BadUrl(format!("{}: {e}", redact_url(&cfg.url))))?;
        let max = match (cfg.max_connections, backend) {
            (0, Backend::Sqlite) => 8,
            (0, Backend::Postgres) => 16,
            (n, _) => n,
        };
        // One connection first, so that a failure names its cause ("connection refused",
        // "unable to open database file", a bad password) instead of the pool's "timed out".
        let read_only = backend == Backend::Sqlite && cfg.url.contains("mode=ro");
        {
            use sqlx::Connection;
            let conn = sqlx::AnyConnection::connect_with(&opts).await.map_err(|e| StoreError::connect(&cfg.url, e))?;
            let _ = conn.close().await;
        }
        let pool_with = |max: u32, sync: &'static str| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(0)
                .acquire_timeout(cfg.acquire_timeout)
                .before_acquire(move |_conn, meta| {
                    Box::pin(async move { Ok(!(backend == Backend::Sqlite && error::opened_before_fault(meta.age))) })
                })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            for p in dialect::SQLITE_PRAGMAS {
                                // A read-only opening changes nothing, not even the journal mode.
                                if read_only && p.contains("journal_mode") {
                                    continue;
                                }
                                conn.execute(*p).await?;
                            }
                            conn.execute(sync).await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_with(max, "PRAGMA synchronous = FULL")
            .connect_with(opts.clone())
            .await
            .map_err(|e| StoreError::connect(&cfg.url, e))?;
        let bookkeeping = (backend == Backend::Sqlite && !read_only)
            .then(|| pool_with(2, "PRAGMA synchronous = NORMAL").connect_lazy_with(opts));
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store { pool, bookkeeping, url: cfg.url.as_str().into(), backend, write_lock })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. Its commit is durable (on SQLite, `synchronous = FULL`):
    /// use it for every write that is acknowledged to someone.
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_with(false).await
    }

    /// A write transaction for the job queue's own bookkeeping (claims, lease renewals, plain
    /// completions, failed attempts, reaping). On SQLite it runs on a small pool of its own whose
    /// connections commit with `synchronous = NORMAL` (the writer lock is the same):
    /// still atomic and safe against a crashed process (WAL), but a power cut may undo the last
    /// few. That costs nothing the queue promises: a lost claim or completion makes the job run
    /// again, and jobs run at least once anyway. It saves an fsync per job step (about 4x the
    /// jobs per second on SQLite, see bench/RESULTS.md).
    pub async fn begin_bookkeeping(&self) -> Result<Tx> {
        self.begin_with(self.backend == Backend::Sqlite).await
    }

    async fn begin_with(&self, relaxed: bool) -> Result<Tx> {
        let guard = match &self.write_lock {
            Some(l) => Some(l.clone().lock_owned().await),
            None => None,
        };
        let pool = match (&self.bookkeeping, relaxed) {
            (Some(p), true) => p,
            _ => &self.pool,
        };
        let conn = pool.acquire().await?;
        // Owned by the Tx before BEGIN runs, so that a cancelled or failed BEGIN is ended (and the
        // connection closed) by Drop, never returned to the pool inside a transaction.
        let mut tx = Tx { tx: TxConn(Some(conn)), guard, backend: self.backend, wake_jobs: false };
        // SQLite: take the write lock now, so a busy database fails here, before any work.
        let begin = if self.backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        tx.tx.execute(begin).await?;
        Ok(tx)
    }

    /// A read-only transaction that sees one snapshot (REPEATABLE READ on PostgreSQL; on SQLite a
    /// read transaction is a snapshot). Not behind the writer lock. End it with `rollback`.
    pub async fn read_snapshot(&self) -> Result<Tx> {
        let conn = self.pool.acquire().await?;
        let mut tx = Tx { tx: TxConn(Some(conn)), guard: None, backend: self.backend, wake_jobs: false };
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN DEFERRED",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        tx.tx.execute(begin).await?;
        Ok(tx)
    }

    /// Fails with a clear error when the database cannot be written (a read-only file).
    pub async fn check_writable(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('write_probe', 0) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
        )
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Online, consistent copy of a SQLite database into `path` (VACUUM INTO).
    pub async fn backup_sqlite(&self, path: &str) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported("backup --to works on SQLite; use pg_dump for PostgreSQL".into()));
        }
        if std::path::Path::new(path).exists() {
            return Err(StoreError::Conflict(format!("{path} already exists")));
        }
        sqlx::query("VACUUM INTO $1").bind(path.to_string()).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(p) = &self.bookkeeping {
            p.close().await;
        }
        self.pool.close().await;
    }

    /// Increments a named counter and returns the new value (ledger sequences, list version).
    pub async fn next_counter(tx: &mut Tx, name: &str) -> Result<i64> {
        let v: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(name.to_string())
        .fetch_one(&mut *tx.tx)
        .await?;
        Ok(v)
    }

    /// Adds `delta` to a named counter.
    pub async fn add_to_counter(tx: &mut Tx, name: &str, delta: i64) -> Result<i64> {
        let v: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value",
        )
        .bind(name.to_string())
        .bind(delta)
        .fetch_one(&mut *tx.tx)
        .await?;
        Ok(v)
    }

    pub async fn counter(&self, name: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }
}

/// A random hex string of `bytes` random bytes (lease tokens).
pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Converts a `0/1` integer column.
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(super::redact_url("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
        assert_eq!(
            super::redact_url("postgres://u@h/db?password=secret&sslmode=require&sslpassword=k"),
            "postgres://u@h/db?password=***&sslmode=require&sslpassword=***"
        );
        assert_eq!(super::redact_url("postgres://u:p@h/db?PASSWORD=x"), "postgres://u:***@h/db?PASSWORD=***");
    }
}
