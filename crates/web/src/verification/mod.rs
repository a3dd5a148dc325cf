//! The verification platform (検証基盤 "Checked by Japan") over HTTP: the public product list and
//! product pages, the vendor's products, and the JSON API (including SBOM pushes from build
//! pipelines and job status).

pub mod api;
pub mod bodies;
pub mod cases;
pub mod evidence;
pub mod labels;
pub mod pages;
pub mod priority;
pub mod reviews;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;

/// The verification platform's routes. `upload_limit` bounds SBOM uploads, `capture_limit` the
/// evidence uploads (streamed to the file store).
pub fn routes(upload_limit: usize, capture_limit: usize) -> Router<AppState> {
    let evidence = Router::new()
        .route("/cases/{id}/evidence", post(evidence::upload))
        .route("/api/v1/cases/{id}/evidence", get(evidence::api_list).post(evidence::api_upload))
        .layer(DefaultBodyLimit::max(capture_limit));
    let uploads = Router::new()
        .route("/my/products/{id}/sbom", post(pages::upload_sbom))
        .route("/api/v1/products/{id}/versions/{version}/sbom", post(api::push_sbom))
        .route("/api/v1/products/{id}/versions/{version}/vex", post(api::push_vex))
        .layer(DefaultBodyLimit::max(upload_limit));
    Router::new()
        .merge(evidence)
        .route("/cases/{id}/evidence/{eid}", get(evidence::download))
        .route("/cases/{id}/evidence/{eid}/report", get(evidence::report))
        .route("/cases/{id}/evidence/{eid}/retry", post(evidence::retry))
        .route("/products", get(pages::products))
        .route("/products/{id}", get(pages::product))
        .route("/products/{id}/findings/{fid}", get(pages::finding))
        .route("/products/{id}/findings.csv", get(pages::findings_csv))
        .route("/products/{id}/findings.sarif", get(pages::findings_sarif))
        .route("/products/{id}/report", get(pages::report))
        .route("/my/products/{id}/findings/{fid}/triage", post(pages::triage))
        .route("/api/v1/products/{id}/findings/{fid}/triage", post(api::triage))
        .route("/my/products", get(pages::my_products).post(pages::create))
        .route("/my/products/new", get(pages::new_form))
        .route("/my/products/{id}/edit", get(pages::edit_form).post(pages::edit))
        .route("/api/v1/products", get(api::products).post(api::create))
        .route("/api/v1/products/{id}", get(api::product))
        .route("/api/v1/products/{id}/vex", get(api::vex))
        .route("/api/v1/products/{id}/csaf", get(api::csaf))
        .route("/api/v1/jobs/{id}", get(api::job))
        .route("/bodies", get(cases::bodies))
        .route("/my/body", get(bodies::my_body).post(bodies::apply))
        .route("/admin/bodies", get(bodies::admin_list))
        .route("/admin/bodies/{org}", get(bodies::admin_body).post(bodies::admin_decide))
        .route("/admin/priorities", get(priority::page))
        .route("/admin/priorities/weights", post(priority::set_weights))
        .route("/admin/priorities/{id}", post(priority::set_attrs))
        .route("/api/v1/priorities", get(priority::api))
        .route("/checklists", get(labels::checklists))
        .route("/checklists/{key}", get(labels::checklist_page_public))
        .route("/labels", get(labels::list_page))
        .route("/labels/{id}", get(labels::page))
        .route("/labels/{id}/qr.svg", get(labels::qr))
        .route("/labels/{id}/{action}", post(labels::step))
        .route("/api/v1/labels", get(labels::api_list))
        .route("/api/v1/labels/status-list", get(labels::api_status_list))
        .route("/api/v1/labels/{id}", get(labels::api_label))
        .route("/api/v1/labels/{id}/status", get(labels::api_status))
        .route("/api/v1/labels/{id}/{action}", post(labels::api_step))
        .route("/api/v1/trust-root", get(labels::api_trust_root))
        .route("/api/v1/keys", get(labels::api_keys))
        .route("/my/keys", get(labels::keys).post(labels::key_action))
        .route("/api/v1/orgs/{id}/keys/rotate", post(labels::api_rotate))
        .route("/api/v1/keys/{keyid}/{action}", post(labels::api_end_key))
        .route("/api/v1/known-exploited", post(labels::api_known_exploited))
        .route("/api/v1/checklists", post(labels::api_load_checklist))
        .route("/cases/{id}/checklist", get(labels::checklist).post(labels::record))
        .route("/api/v1/cases/{id}/checklist", get(labels::api_case_checklist).post(labels::api_record))
        .route("/map", get(reviews::map))
        .route("/map.csv", get(reviews::map_csv))
        .route("/api/v1/map", get(reviews::api_map))
        .route("/products/{id}/reviews/new", get(reviews::new_form))
        .route("/products/{id}/reviews", post(reviews::create))
        .route("/product-reviews/{id}/{action}", post(reviews::act))
        .route("/api/v1/products/{id}/reviews", get(reviews::api_list).post(reviews::api_create))
        .route("/api/v1/product-reviews/{id}/{action}", post(reviews::api_act))
        .route("/cases", get(cases::cases))
        .route("/cases/{id}", get(cases::case))
        .route("/cases/{id}/claims", post(cases::record_claims))
        .route("/cases/{id}/findings", post(cases::add_finding))
        .route("/cases/{id}/observations", post(cases::add_observation))
        .route("/cases/{id}/consent", post(cases::consent))
        .route("/cases/{id}/claims.csv", get(cases::claims_csv))
        .route("/cases/{id}/findings.csv", get(cases::case_findings_csv))
        .route("/cases/{id}/findings.sarif", get(cases::case_findings_sarif))
        .route("/cases/{id}/report", get(cases::case_report))
        .route("/api/v1/cases/{id}/vex", get(cases::api_case_vex))
        .route("/api/v1/cases/{id}/csaf", get(cases::api_case_csaf))
        .route("/products/{id}/findings/{fid}/responses", post(pages::respond))
        .route("/api/v1/cases/{id}/findings", post(cases::api_add_finding))
        .route("/cases/{id}/{action}", post(cases::step))
        .route("/my/products/{id}/cases", post(cases::request))
        .route("/api/v1/cases/{id}", get(cases::api_case))
        .route("/api/v1/cases/{id}/{action}", post(cases::api_step))
        .route("/api/v1/products/{id}/cases", post(cases::api_request))
        .merge(uploads)
}
