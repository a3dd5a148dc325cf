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

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
            sqlx::Error::Database(db) => {
                let m = db.message().to_string();
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                if m.contains("readonly") || m.contains("read-only") || code == "25006" {
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
