//! Platform pages every program shares: health, style sheet, language switch, not found.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, LANG_COOKIE};
use app::AppError;

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "platform",
    responses((status = 200, description = "OK: {\"status\": \"ok\", \"database\": \"sqlite\" | \"postgres\"}"), (status = 503, description = "The database is unavailable")))]
pub async fn healthz(State(s): State<AppState>) -> Response {
    match s.app.health().await {
        Ok(db) => (StatusCode::OK, Json(serde_json::json!({"status": "ok", "database": db}))).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response(),
    }
}

pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct NextParam {
    #[serde(default)]
    next: String,
}

/// Local paths only, so the parameter cannot send a user elsewhere: a single leading `/`, no
/// `//`, no backslash, no control or white-space characters (browsers drop a tab or newline and
/// would read `/\t/evil.example` as `//evil.example`); anything else goes home.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok { next.to_string() } else { "/".into() }
}

pub async fn set_lang(Path(code): Path<String>, Query(p): Query<NextParam>, State(s): State<AppState>) -> Response {
    let lang = if code == "en" { "en" } else { "ja" };
    let secure = if s.cfg.secure_cookies { "; Secure" } else { "" };
    let mut res = Redirect::to(&safe_next(&p.next)).into_response();
    if let Ok(v) = format!("{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax{secure}").parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn not_found(ctx: Ctx) -> WebError {
    ctx.err(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths() {
        assert_eq!(safe_next("/services?q=a"), "/services?q=a");
        for bad in
            ["//evil.example", "/\t/evil.example", "/\n/x", "/ /x", "https://evil.example", "\\evil", "/\\evil", ""]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
