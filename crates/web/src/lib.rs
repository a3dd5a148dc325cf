//! HTTP: server-rendered pages (Japanese by default, English on every page, no JavaScript
//! needed) and a JSON API with an OpenAPI document, over the same use cases. No business rule
//! lives here: handlers decode input, call one use case, and render the answer.

mod api;
mod error;
mod extract;
mod forms;
mod metrics;
mod middleware;
mod openapi;
mod pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use error::WebError;
pub use metrics::Metrics;

/// Web settings.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The public base URL (`https://registry.example.jp`); writes must come from this origin.
    /// When unset, the request's own `Host` is the expected origin.
    pub public_url: Option<String>,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub app: app::App,
    pub cfg: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

/// The whole HTTP surface.
pub fn router(app: app::App, cfg: WebConfig) -> Router {
    let upload_limit = app.config.max_upload_bytes + 256 * 1024;
    let state = AppState { app, cfg: Arc::new(cfg), metrics: Arc::new(Metrics::default()) };
    let uploads = Router::new()
        .route("/my/services/{id}/evidence", post(pages::provider::upload_evidence))
        .route("/api/v1/applications/{id}/evidence", post(api::upload_evidence))
        .layer(DefaultBodyLimit::max(upload_limit));
    Router::new()
        .route("/", get(pages::public::home))
        .route("/healthz", get(pages::public::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/static/app.css", get(pages::public::css))
        .route("/lang/{code}", get(pages::public::set_lang))
        .route("/services", get(pages::public::services))
        .route("/services.csv", get(pages::public::services_csv))
        .route("/services.json", get(pages::public::services_json))
        .route("/services.atom", get(pages::public::services_atom))
        .route("/services/{id}", get(pages::public::service))
        .route("/services/{id}/evidence/{eid}", get(pages::public::evidence))
        .route("/login", get(pages::account::login_form).post(pages::account::login))
        .route("/logout", post(pages::account::logout))
        .route("/signup", get(pages::account::signup_form).post(pages::account::signup))
        .route("/account", get(pages::account::account))
        .route("/account/tokens", post(pages::account::create_token))
        .route("/account/tokens/{id}/revoke", post(pages::account::revoke_token))
        .route("/my", get(pages::provider::my_services))
        .route("/my/services/new", get(pages::provider::new_form))
        .route("/my/services", post(pages::provider::create))
        .route("/my/services/{id}/edit", get(pages::provider::edit_form).post(pages::provider::edit))
        .route("/my/services/{id}/change", get(pages::provider::change_form).post(pages::provider::change))
        .route("/my/services/{id}/submit", post(pages::provider::submit))
        .route("/my/services/{id}/withdraw", post(pages::provider::withdraw))
        .route("/review", get(pages::review::queue))
        .route("/review/{id}/{decision}", post(pages::review::decide))
        .route("/admin", get(pages::admin::overview))
        .route("/admin/services/{id}/surveillance", post(pages::admin::start_surveillance))
        .route("/admin/services/{id}/{action}", post(pages::admin::operate))
        .route("/admin/surveillance/{sid}", post(pages::admin::record_surveillance))
        .route("/admin/sweep", post(pages::admin::sweep))
        .route("/admin/surveillance-sample", post(pages::admin::sample))
        .route("/admin/jobs", get(pages::kit::jobs))
        .route("/admin/jobs/{id}/{action}", post(pages::kit::job_action))
        .route("/account/notifications", get(pages::kit::notifications).post(pages::kit::save_prefs))
        .route("/account/webhooks", post(pages::kit::add_webhook))
        .route("/account/webhooks/{id}/{action}", post(pages::kit::webhook_action))
        .route("/api/v1/admin/jobs", get(api::jobs))
        .route("/api/v1/admin/jobs/{id}/{action}", post(api::job_action))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/categories", get(api::categories))
        .route("/api/v1/services", get(api::services))
        .route("/api/v1/services/{id}", get(api::service))
        .route("/api/v1/applications", post(api::apply))
        .route("/api/v1/applications/{id}", axum::routing::put(api::update))
        .route("/api/v1/applications/{id}/submit", post(api::submit))
        .route("/api/v1/applications/{id}/change", post(api::change))
        .route("/api/v1/applications/{id}/withdraw", post(api::withdraw))
        .route("/api/v1/reviews/{id}/{decision}", post(api::decide))
        .route("/api/v1/admin/services/{id}/{action}", post(api::operate))
        .merge(uploads)
        .fallback(pages::public::not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}
