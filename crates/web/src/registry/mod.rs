//! The registry program (審査登録制度) over HTTP: public list and service pages, the
//! provider's applications, the registration body's reviews, the program office's console, and
//! the JSON API.

pub mod admin;
pub mod api;
pub mod bodies;
pub mod confirm;
pub mod provider;
pub mod public;
pub mod review;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::AppState;

/// The registry's routes. `upload_limit` bounds the evidence uploads.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    let uploads = Router::new()
        .route("/my/services/{id}/evidence", post(provider::upload_evidence))
        .route("/api/v1/applications/{id}/evidence", post(api::upload_evidence))
        .layer(DefaultBodyLimit::max(upload_limit));
    Router::new()
        .route("/", get(public::home))
        .route("/services", get(public::services))
        .route("/services.csv", get(public::services_csv))
        .route("/services.json", get(public::services_json))
        .route("/services.atom", get(public::services_atom))
        .route("/services/{id}", get(public::service))
        .route("/services/{id}/evidence/{eid}", get(public::evidence))
        .route("/my", get(provider::my_services))
        .route("/my/services/new", get(provider::new_form))
        .route("/my/services", post(provider::create))
        .route("/my/services/{id}/edit", get(provider::edit_form).post(provider::edit))
        .route("/my/services/{id}/change", get(provider::change_form).post(provider::change))
        .route("/my/services/{id}/submit", get(confirm::submit_page).post(provider::submit))
        .route("/my/services/{id}/withdraw", get(confirm::withdraw_page).post(provider::withdraw))
        .route("/my/services/{id}/renew", post(provider::renew))
        .route("/review", get(review::queue))
        .route("/review/{id}/{decision}", get(confirm::review_page).post(review::decide))
        .route("/admin", get(admin::overview))
        .route("/admin/services/{id}/surveillance", post(admin::start_surveillance))
        .route("/admin/services/{id}/{action}", get(confirm::operate_page).post(admin::operate))
        .route("/admin/surveillance/{sid}", post(admin::record_surveillance))
        .route("/admin/sweep", post(admin::sweep))
        .route("/admin/surveillance-sample", post(admin::sample))
        .route("/api/v1/categories", get(api::categories))
        .route("/api/v1/services", get(api::services))
        .route("/api/v1/services/{id}", get(api::service))
        .route("/api/v1/applications", post(api::apply))
        .route("/api/v1/applications/{id}", put(api::update))
        .route("/api/v1/applications/{id}/submit", post(api::submit))
        .route("/api/v1/applications/{id}/change", post(api::change))
        .route("/api/v1/applications/{id}/withdraw", post(api::withdraw))
        .route("/api/v1/applications/{id}/renew", post(api::renew))
        .route("/api/v1/reviews/{id}/{decision}", post(api::decide))
        .route("/api/v1/admin/services/{id}/{action}", post(api::operate))
        .merge(uploads)
}
