//! HTTP: server-rendered pages (Japanese by default, English on every page, no JavaScript
//! needed) and a JSON API with an OpenAPI document, over the same use cases. No business rule
//! lives here: handlers decode input, call one use case, and render the answer.

// WebError carries what the error page needs (the request id, the language, the viewer); it is
// built only on the error path, so its size costs nothing measurable and boxing would only add
// an allocation.
#![allow(clippy::result_large_err)]

mod error;
mod extract;
mod forms;
mod kit;
mod metrics;
mod middleware;
mod openapi;
mod registry;
mod verification;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use error::WebError;
pub use metrics::Metrics;
pub use openapi::document as openapi_document;

/// Web settings.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The public base URL (`https://registry.example.jp`); writes must come from this origin.
    /// When unset, the request's own `Host` is the expected origin.
    pub public_url: Option<String>,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` names the client (for the login limits).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `/metrics` answers a request with `Authorization: Bearer` this token, or from an address in
    /// `metrics_allow`; with neither configured, only loopback clients.
    pub metrics_token: Option<String>,
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// The program office's address on the public contact page; unset, the page says to ask
    /// through the registration body or the account's organisation.
    pub contact_email: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub app: app::App,
    pub cfg: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

/// The whole HTTP surface: the kit's routes, then one line per program.
pub fn router(app: app::App, cfg: WebConfig) -> Router {
    let upload_limit = app.config.max_upload_bytes + 256 * 1024;
    let capture_limit = usize::try_from(app.config.max_capture_bytes).unwrap_or(usize::MAX).saturating_add(1024 * 1024);
    let state = AppState { app, cfg: Arc::new(cfg), metrics: Arc::new(Metrics::default()) };
    Router::new()
        .merge(kit::routes())
        .merge(registry::routes(upload_limit))
        .merge(verification::routes(upload_limit, capture_limit))
        .fallback(kit::platform::not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn(middleware::api_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}
