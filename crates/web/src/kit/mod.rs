//! The shared kit's pages and API: platform pages (health, metrics, style, language), accounts
//! (login, sign-up, tokens), notification settings and webhooks, and the job queue.

pub mod account;
pub mod api;
pub mod console;
pub mod flash;
pub mod pages;
pub mod platform;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The kit's routes; every program's routes are merged beside these.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(platform::healthz))
        .route("/livez", get(platform::livez))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/static/app.css", get(platform::css))
        .route("/favicon.ico", get(platform::favicon))
        .route("/accessibility", get(platform::accessibility))
        .route("/terms", get(platform::terms))
        .route("/privacy", get(platform::privacy))
        .route("/contact", get(platform::contact))
        .route("/lang/{code}", get(platform::set_lang))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/signup", get(account::signup_form).post(account::signup))
        .route("/signup/confirm", get(account::signup_confirm_form).post(account::signup_confirm))
        .route("/password/forgot", get(account::forgot_form).post(account::forgot))
        .route("/password/reset", get(account::reset_form).post(account::reset))
        .route("/account", get(account::account))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/notifications", get(pages::notifications).post(pages::save_prefs))
        .route("/account/webhooks", post(pages::add_webhook))
        .route("/account/webhooks/{id}/{action}", post(pages::webhook_action))
        .route("/admin/audit", get(console::audit))
        .route("/admin/notifications", get(console::notices))
        .route("/admin/orgs", get(console::orgs).post(console::create_org))
        .route("/admin/orgs/{id}", get(console::org))
        .route("/admin/orgs/{id}/invite", post(console::invite))
        .route("/admin/orgs/{id}/members/{uid}/{action}", post(console::member))
        .route("/admin/jobs", get(pages::jobs))
        .route("/admin/jobs/{id}/{action}", post(pages::job_action))
        .route("/api/openapi.json", get(crate::openapi::openapi))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/admin/jobs", get(api::jobs))
        .route("/api/v1/admin/jobs/{id}/{action}", post(api::job_action))
}
