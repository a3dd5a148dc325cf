//! The OpenAPI 3.1 document, generated from the API's body types and the `#[utoipa::path]`
//! attributes on the handlers (a snapshot test keeps it from changing unnoticed).

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kakehashi API",
        description = "情報セキュリティサービス審査登録制度ほかの施策を運用する基盤の API。Security-service registry and platform API. Public reads need no authentication; writes need a bearer token (scopes registry:read, registry:write, registry:review, registry:operate, verification:read, verification:write) or a browser session with its CSRF token in X-CSRF-Token."
    ),
    paths(
        crate::kit::platform::healthz,
        crate::kit::platform::livez,
        crate::metrics::metrics,
        openapi,
        crate::kit::api::me,
        crate::kit::api::jobs,
        crate::kit::api::job_action,
        crate::registry::public::services,
        crate::registry::public::services_csv,
        crate::registry::public::services_json,
        crate::registry::public::services_atom,
        crate::registry::api::categories,
        crate::registry::api::services,
        crate::registry::api::service,
        crate::registry::api::apply,
        crate::registry::api::update,
        crate::registry::api::submit,
        crate::registry::api::change,
        crate::registry::api::withdraw,
        crate::registry::api::renew,
        crate::registry::api::decide,
        crate::registry::api::operate,
        crate::registry::api::upload_evidence,
        crate::verification::pages::products,
        crate::verification::api::products,
        crate::verification::labels::api_list,
        crate::verification::labels::api_label,
        crate::verification::labels::api_status,
        crate::verification::labels::api_status_list,
        crate::verification::labels::api_trust_root,
        crate::verification::labels::api_step,
        crate::verification::labels::api_case_checklist,
        crate::verification::labels::api_record,
        crate::verification::labels::api_load_checklist,
        crate::verification::labels::api_keys,
        crate::verification::labels::api_rotate,
        crate::verification::labels::api_end_key,
        crate::verification::labels::api_known_exploited,
        crate::verification::reviews::api_list,
        crate::verification::reviews::api_create,
        crate::verification::reviews::api_act,
        crate::verification::reviews::api_map,
        crate::verification::api::product,
        crate::verification::api::vex,
        crate::verification::api::create,
        crate::verification::api::push_sbom,
        crate::verification::api::job,
        crate::verification::api::triage,
        crate::verification::api::push_vex,
        crate::verification::api::csaf,
        crate::verification::cases::api_case,
        crate::verification::cases::api_step,
        crate::verification::cases::api_request,
        crate::verification::cases::api_add_finding,
        crate::verification::evidence::api_upload,
        crate::verification::evidence::api_list,
        crate::verification::cases::api_case_vex,
        crate::verification::cases::api_case_csaf,
        crate::verification::priority::api,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer),
    tags(
        (name = "platform", description = "Health, metrics, the caller, the job queue"),
        (name = "registry", description = "情報セキュリティサービス審査登録制度 — the security-service registry"),
        (name = "verification", description = "検証基盤 Checked by Japan — products, SBOM scans, findings, VEX"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON.
pub fn document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "platform", responses((status = 200, description = "OpenAPI 3.1 JSON")))]
pub async fn openapi() -> Json<serde_json::Value> {
    Json(document())
}
