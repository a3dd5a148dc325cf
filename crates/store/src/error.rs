use std::sync::atomic::{AtomicI64, Ordering};

use crate::redact_url;

/// What the store reports; upper layers map these to their own errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or an optimistic version check failed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached right now (connection refused, pool timed out).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("the database is read-only: {0}")]
    ReadOnly(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    pub(crate) fn connect(url: &str, e: sqlx::Error) -> Self {
        match StoreError::from(e) {
            StoreError::Other(m) => StoreError::Unavailable(format!("{}: {m}", redact_url(url))),
            StoreError::Unavailable(m) => StoreError::Unavailable(format!("{}: {m}", redact_url(url))),
            other => other,
        }
    }
}

/// When a storage fault was last seen (ms since the epoch; 0: never). Pooled SQLite connections
/// opened before it are closed instead of being handed out (see `Store::connect`): a connection
/// that opened the write-ahead log while the file was unwritable keeps a read-only handle on it
/// and would fail every later write.
static LAST_STORAGE_FAULT_MS: AtomicI64 = AtomicI64::new(0);

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn note_storage_fault() {
    LAST_STORAGE_FAULT_MS.store(now_ms(), Ordering::Relaxed);
}

/// Whether a connection of this age was opened before the last storage fault.
pub(crate) fn opened_before_fault(age: std::time::Duration) -> bool {
    let fault = LAST_STORAGE_FAULT_MS.load(Ordering::Relaxed);
    fault != 0 && now_ms() - age.as_millis() as i64 <= fault
}

const SQLITE_BUSY: u32 = 5;
const SQLITE_LOCKED: u32 = 6;
const SQLITE_READONLY: u32 = 8;
const SQLITE_IOERR: u32 = 10;
const SQLITE_FULL: u32 = 13;
const SQLITE_CANTOPEN: u32 = 14;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
            sqlx::Error::Database(db) => {
                let m = db.message().to_string();
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                // SQLite reports its (extended) result code as a number; the primary code is the
                // low byte. PostgreSQL's SQLSTATE codes are five characters.
                let sqlite = (code.len() <= 4 && code.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| code.parse::<u32>().unwrap_or(0) & 0xff);
                if matches!(sqlite, Some(SQLITE_IOERR | SQLITE_READONLY | SQLITE_FULL | SQLITE_CANTOPEN)) {
                    // The file system failed under this connection; it may hold a file opened
                    // read-only or a broken lock. Connections older than now are replaced.
                    note_storage_fault();
                }
                if matches!(sqlite, Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN)) {
                    // A storage fault that may pass: the caller answers 503 and the client retries.
                    StoreError::Unavailable(m)
                } else if sqlite == Some(SQLITE_READONLY)
                    || m.contains("readonly")
                    || m.contains("read-only")
                    || code == "25006"
                {
                    StoreError::ReadOnly(m)
                } else if m.contains("UNIQUE constraint") || code == "23505" {
                    StoreError::Conflict(m)
                } else if code.starts_with("08") // connection exception
                    || code.starts_with("57") // operator intervention: shutdown, terminated connection
                    || matches!(code.as_str(), "3D000" | "53300")
                    || (code == "55000" && m.contains("accepting connections"))
                    || m.contains("unable to open database")
                {
                    StoreError::Unavailable(m)
                } else {
                    StoreError::Other(m)
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Configuration(_) => StoreError::BadUrl(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        }
    }
}
