//! Request id, structured access log, metrics and security headers for every response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::AppState;

/// The request id of the current request, available to handlers and error rendering.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| app::auth::random_token()[..16].to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let start = Instant::now();
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    state.metrics.observe(method.as_str(), &route, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(status, path = %path, latency_ms = elapsed.as_secs_f64() * 1000.0, "request done");
    });
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    if state.cfg.public_url.as_deref().is_some_and(|u| u.starts_with("https://")) {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // a page whose address holds a secret (a one-time link) asks for no Referer at all
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ));
    res
}

/// Longest request target accepted (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Every error under `/api/` is the JSON error envelope, including the ones no handler wrote
/// (a body over the limit, a malformed path parameter, a wrong method, a too-long URI); a
/// too-long URI is refused with 414 everywhere.
pub async fn api_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        let msg = format!("The request URI is longer than {MAX_URI_BYTES} bytes");
        return if api {
            envelope(StatusCode::URI_TOO_LONG, &request_id, Some(msg))
        } else {
            (StatusCode::URI_TOO_LONG, msg).into_response()
        };
    }
    let res = next.run(req).await;
    if !api || res.status().as_u16() < 400 {
        return res;
    }
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        return res;
    }
    let (parts, body) = res.into_parts();
    // what axum said (e.g. "Cannot parse `abc` to a `u64`"), bounded
    let detail = axum::body::to_bytes(body, 2048)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|s| !s.is_empty());
    let mut out = envelope(parts.status, &request_id, detail);
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

fn envelope(status: StatusCode, request_id: &str, detail: Option<String>) -> Response {
    let (code, ja, en) = match status.as_u16() {
        404 => ("not_found", "見つかりません", "Not found"),
        405 => ("method_not_allowed", "このメソッドは使えません", "Method not allowed"),
        413 => ("too_large", "本文が大きすぎます", "The request body is too large"),
        414 => ("uri_too_long", "URI が長すぎます", "The request URI is too long"),
        415 => ("unsupported_media_type", "この形式の本文は受け付けません", "Unsupported media type"),
        422 => ("invalid", "入力内容を確認してください", "Please check the input"),
        429 => ("rate_limited", "しばらくしてからお試しください", "Too many requests; try again later"),
        503 => ("unavailable", "一時的に利用できません", "Temporarily unavailable"),
        s if s >= 500 => ("internal", "内部エラーが発生しました", "Internal error"),
        _ => ("bad_request", "リクエストを読み取れません", "The request could not be read"),
    };
    let message = match detail {
        Some(d) if status.is_client_error() => format!("{en}: {d}"),
        _ => en.to_string(),
    };
    let body = crate::error::ErrorBody {
        error: crate::error::ErrorDetail {
            code: code.into(),
            message,
            message_ja: ja.into(),
            fields: Vec::new(),
            request_id: request_id.to_string(),
        },
    };
    (status, axum::Json(body)).into_response()
}
