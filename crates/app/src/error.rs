use domain::FieldError;
use domain::registry::InvalidTransition;
use store::StoreError;

/// What a use case can answer instead of a result. The web layer maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("login required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    #[error("{en}")]
    Conflict { ja: String, en: String },
    #[error("{0}")]
    Transition(#[from] InvalidTransition),
    #[error("too many failed logins; try again later")]
    RateLimited { retry_after: i64 },
    #[error("file too large (limit {limit} bytes)")]
    TooLarge { limit: usize },
    #[error("unsupported file type")]
    UnsupportedMedia,
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn conflict(ja: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::Conflict { ja: ja.into(), en: en.into() }
    }
    pub fn field(field: &'static str, ja: &str, en: &str) -> Self {
        AppError::Invalid(vec![FieldError::new(field, ja, en)])
    }
}

impl From<domain::verification::SameState> for AppError {
    fn from(e: domain::verification::SameState) -> Self {
        AppError::conflict(
            format!("すでに「{}」です", e.0.label(false)),
            format!("The finding is already {}", e.0.label(true)),
        )
    }
}

impl From<domain::verification::case::InvalidCaseTransition> for AppError {
    fn from(e: domain::verification::case::InvalidCaseTransition) -> Self {
        AppError::conflict(e.message_ja(), e.to_string())
    }
}

impl From<domain::verification::body::InvalidBodyTransition> for AppError {
    fn from(e: domain::verification::body::InvalidBodyTransition) -> Self {
        AppError::conflict(e.message_ja(), e.to_string())
    }
}

impl From<domain::workflow::NotAllowed> for AppError {
    fn from(e: domain::workflow::NotAllowed) -> Self {
        let state = domain::verification::label::LabelStatus::parse(e.from).map(|s| s.label(false)).unwrap_or(e.from);
        AppError::conflict(format!("「{state}」の状態ではこの操作（{}）はできません", e.transition), e.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict { ja: conflict_ja(&m), en: m },
            // A read-only file system or database is a storage fault like a lost connection:
            // 503 with Retry-After, not 500.
            StoreError::Unavailable(m) | StoreError::ReadOnly(m) => {
                tracing::warn!(cause = %m, "storage unavailable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn conflict_ja(en: &str) -> String {
    if en.contains("already has a service named") {
        "同じ名前のサービスがすでに申請されています".into()
    } else if en.contains("changed by someone else") {
        "他の利用者が先に更新しました。再読み込みしてからやり直してください".into()
    } else if en.contains("already exists") {
        "すでに登録されています".into()
    } else {
        "競合が発生しました".into()
    }
}
