//! Maps use-case errors to HTTP answers: a page for browsers, JSON for the API. 5xx bodies stay
//! generic; the detail goes to the log with the request id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::extract::{Ctx, T};
use crate::views;
use app::AppError;

/// The body of every API error.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// unauthenticated | forbidden | not_found | invalid | unknown_category | conflict |
    /// invalid_transition | rate_limited | too_large | unsupported_media_type | unavailable | internal |
    /// bad_request | method_not_allowed | uri_too_long
    pub code: String,
    pub message: String,
    pub message_ja: String,
    /// For `invalid`: each field and what to do, in both languages.
    pub fields: Vec<FieldErrorBody>,
    /// Quote this when asking for help; the server's log has the detail.
    pub request_id: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub ja: String,
    pub en: String,
}

#[derive(Debug)]
pub struct WebError {
    pub err: AppError,
    pub t: T,
    pub api: bool,
    pub here: String,
    pub request_id: String,
    detail: Option<(String, String)>,
    pub viewer_name: Option<String>,
}

impl WebError {
    pub fn new(ctx: &Ctx, err: AppError) -> Self {
        WebError {
            err,
            t: ctx.t,
            api: ctx.api,
            here: ctx.here.clone(),
            request_id: ctx.request_id.clone(),
            detail: None,
            viewer_name: ctx.actor().map(|a| a.name.clone()),
        }
    }

    pub fn with_detail(mut self, ja: &str, en: &str) -> Self {
        self.detail = Some((ja.into(), en.into()));
        self
    }

    pub fn status(&self) -> StatusCode {
        match &self.err {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) | AppError::UnknownCategory(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } | AppError::Transition(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match &self.err {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid",
            AppError::UnknownCategory(_) => "unknown_category",
            AppError::Conflict { .. } => "conflict",
            AppError::Transition(_) => "invalid_transition",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::TooLarge { .. } => "too_large",
            AppError::UnsupportedMedia => "unsupported_media_type",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message in (ja, en).
    pub fn messages(&self) -> (String, String) {
        if let Some(d) = &self.detail {
            return d.clone();
        }
        match &self.err {
            AppError::Unauthenticated => ("ログインが必要です".into(), "Login required".into()),
            AppError::Forbidden => ("この操作を行う権限がありません".into(), "You are not allowed to do this".into()),
            AppError::NotFound => ("ページが見つかりません".into(), "Not found".into()),
            AppError::Invalid(_) => ("入力内容を確認してください".into(), "Please check the input".into()),
            AppError::UnknownCategory(c) => (format!("不明なサービス区分です: {c}"), format!("Unknown category: {c}")),
            AppError::Conflict { ja, en } => (ja.clone(), en.clone()),
            AppError::Transition(t) => (t.message_ja(), t.to_string()),
            AppError::RateLimited { .. } => (
                "ログインの失敗が続いたため、しばらく時間をおいてからお試しください".into(),
                "Too many failed logins; please wait and try again".into(),
            ),
            AppError::TooLarge { limit } => (
                format!("ファイルが大きすぎます（上限 {} MiB）", limit / (1024 * 1024)),
                format!("The file is too large (limit {} MiB)", limit / (1024 * 1024)),
            ),
            AppError::UnsupportedMedia => (
                "受け付けできないファイル形式です（PDF、PNG、JPEG、ZIP、Office 文書、テキスト）".into(),
                "Unsupported file type (PDF, PNG, JPEG, ZIP, Office documents, text)".into(),
            ),
            AppError::Unavailable => (
                "データベースに一時的に接続できません。しばらくしてからお試しください".into(),
                "The database is temporarily unavailable; please try again shortly".into(),
            ),
            AppError::Internal(_) => ("内部エラーが発生しました".into(), "Internal error".into()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self.err {
            AppError::Internal(d) => {
                tracing::error!(request_id = %self.request_id, detail = %d, "internal error")
            }
            AppError::Unavailable => {
                tracing::warn!(request_id = %self.request_id, "database unavailable")
            }
            _ => {}
        }
        if matches!(self.err, AppError::Unauthenticated) && !self.api {
            let next = urlencode(&self.here);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        let (ja, en) = self.messages();
        let mut res = if self.api {
            let fields = match &self.err {
                AppError::Invalid(f) => f
                    .iter()
                    .map(|e| FieldErrorBody { field: e.field.to_string(), ja: e.ja.clone(), en: e.en.clone() })
                    .collect(),
                _ => Vec::new(),
            };
            let body = ErrorBody {
                error: ErrorDetail {
                    code: self.code().into(),
                    message: en,
                    message_ja: ja,
                    fields,
                    request_id: self.request_id.clone(),
                },
            };
            (status, Json(body)).into_response()
        } else {
            let page = views::ErrorPage::new(&self, status, if self.t.en { en } else { ja });
            (status, views::render(&page)).into_response()
        };
        if let AppError::RateLimited { retry_after } = self.err
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
