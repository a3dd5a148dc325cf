//! The OpenAPI 3.1 document for the public contract and the registry API.

use axum::Json;
use serde_json::{Value, json};

fn list_params() -> Value {
    let p = |name: &str, desc: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": desc});
    json!([
        p("q", "Keyword; partial Japanese or English words (NFKC-normalised substring match)"),
        p("category", "audit | vulnerability_assessment | penetration_testing | digital_forensics | security_monitoring | device_verification (unknown: 422)"),
        p("subcategory", "advisory | assurance | web_application | platform | smartphone_app"),
        p("region", "hokkaido | tohoku | kanto | chubu | kinki | chugoku | shikoku | kyushu"),
        p("industry", "government | finance | manufacturing | healthcare | energy | telecom | retail | education | transport"),
        p("body", "Registration body organisation id"),
        p("status", "registered (default) | all | listed | change_requested | renewal_requested | suspended | withdrawn | expired"),
        p("sort", "ledger (default) | name | newest | expiry"),
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    ])
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer"}})
}

fn errors(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert((*c).into(), json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
    }
    Value::Object(m)
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn write_op(summary: &str, params: Value, body: Option<&str>, ok: &str) -> Value {
    let mut op = json!({
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": merge(json!({ok: {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}), errors(&["401", "403", "404", "409", "422", "503"])),
    });
    if let Some(schema) = body {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": schema}}}});
    }
    op
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kakehashi API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "情報セキュリティサービス審査登録制度ほかの施策を運用する基盤の API。Security-service registry and platform API. Public reads need no authentication; writes need a bearer token (scopes registry:read, registry:write, registry:review, registry:operate).",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "message_ja": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "ja": {"type": "string"}, "en": {"type": "string"}}}},
                    "request_id": {"type": "string"}}}}},
                "ServiceListItem": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "provider": {"type": "object"}, "registration_body_id": {"type": "integer"},
                    "category": {"type": "string"}, "subcategory": {"type": ["string", "null"]}, "status": {"type": "string"},
                    "ledger_number": {"type": "string"}, "listed_on": {"type": "string", "format": "date"}, "valid_until": {"type": "string", "format": "date"},
                    "regions": {"type": "array", "items": {"type": "string"}}, "industries": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"}}},
                "ServiceList": {"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceListItem"}},
                    "category_counts": {"type": "object", "additionalProperties": {"type": "integer"}}}},
                "ApplicationInput": {"type": "object", "required": ["name", "category", "description", "specification", "experts", "quality_manager", "quality_manual_ref", "improvement_procedure", "registration_body_id"], "properties": {
                    "provider_org_id": {"type": "integer", "description": "Defaults to the caller's first provider organisation"},
                    "name": {"type": "string", "maxLength": 120}, "category": {"type": "string"}, "subcategory": {"type": "string"},
                    "pentest_option": {"type": "boolean"}, "description": {"type": "string"}, "specification": {"type": "string"},
                    "experts": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "qualification": {"type": "string"}, "expires_on": {"type": "string", "format": "date"}}}},
                    "quality_manager": {"type": "string"}, "quality_manual_ref": {"type": "string"}, "improvement_procedure": {"type": "string"},
                    "industries": {"type": "array", "items": {"type": "string"}}, "regions": {"type": "array", "items": {"type": "string"}},
                    "options": {"type": "string"}, "price_min": {"type": "integer"}, "price_max": {"type": "integer"}, "registration_body_id": {"type": "integer"}}},
                "Reason": {"type": "object", "properties": {"comment": {"type": "string"}}},
            }
        },
        "paths": {
            "/healthz": {"get": {"summary": "Liveness and database reachability", "responses": {"200": {"description": "OK"}, "503": {"description": "Database unavailable"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (OpenMetrics text)", "responses": {"200": {"description": "OK"}}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
            "/services": {"get": {"summary": "HTML list of registered services", "parameters": list_params(), "responses": {"200": {"description": "HTML"}, "422": {"description": "Bad filter"}}}},
            "/services.csv": {"get": {"summary": "CSV export of the current list (UTF-8 with BOM)", "parameters": list_params(), "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}}}},
            "/services.json": {"get": {"summary": "JSON export of the current list", "parameters": list_params(), "responses": {"200": {"description": "JSON"}}}},
            "/services.atom": {"get": {"summary": "Atom feed of list changes", "responses": {"200": {"description": "Atom", "content": {"application/atom+xml": {}}}}}},
            "/api/v1/services": {"get": {"summary": "Search registered services", "parameters": list_params(), "responses": merge(json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceList"}}}}}), errors(&["422", "503"]))}},
            "/api/v1/services/{id}": {"get": {"summary": "One service with its history (private fields for those allowed)", "parameters": [id_param("id")], "responses": merge(json!({"200": {"description": "OK"}}), errors(&["404"]))}},
            "/api/v1/categories": {"get": {"summary": "Categories and sub-categories", "responses": {"200": {"description": "OK"}}}},
            "/api/v1/me": {"get": {"summary": "The caller", "security": [{"bearer": []}], "responses": merge(json!({"200": {"description": "OK"}}), errors(&["401"]))}},
            "/api/v1/applications": {"post": write_op("Apply for a service (creates a draft)", json!([]), Some("#/components/schemas/ApplicationInput"), "201")},
            "/api/v1/applications/{id}": {"put": write_op("Edit a draft or returned application", json!([id_param("id")]), Some("#/components/schemas/ApplicationInput"), "200")},
            "/api/v1/applications/{id}/submit": {"post": write_op("Submit for review", json!([id_param("id")]), None, "200")},
            "/api/v1/applications/{id}/change": {"post": write_op("Request a change to a listed service", json!([id_param("id")]), Some("#/components/schemas/ApplicationInput"), "200")},
            "/api/v1/applications/{id}/withdraw": {"post": write_op("Withdraw (provider admin)", json!([id_param("id")]), Some("#/components/schemas/Reason"), "200")},
            "/api/v1/applications/{id}/evidence": {"post": merge(write_op("Upload an evidence file (raw body; 413 over the limit)", json!([id_param("id"), {"name": "filename", "in": "query", "schema": {"type": "string"}}]), None, "201"), json!({"requestBody": {"content": {"application/octet-stream": {}}}}))},
            "/api/v1/applications/{id}/renew": {"post": write_op("Apply to renew a registration (from 90 days before it expires; 409 outside the window)", json!([id_param("id")]), Some("#/components/schemas/Reason"), "200")},
            "/api/v1/reviews/{id}/{decision}": {"post": write_op("Registration body decision: approve | return | reject | approve-change | reject-change | approve-renewal | reject-renewal", json!([id_param("id"), {"name": "decision", "in": "path", "required": true, "schema": {"type": "string", "enum": ["approve", "return", "reject", "approve-change", "reject-change", "approve-renewal", "reject-renewal"]}}]), Some("#/components/schemas/Reason"), "200")},
            "/api/v1/admin/services/{id}/{action}": {"post": write_op("Program office: suspend | reinstate | withdraw", json!([id_param("id"), {"name": "action", "in": "path", "required": true, "schema": {"type": "string", "enum": ["suspend", "reinstate", "withdraw"]}}]), Some("#/components/schemas/Reason"), "200")},
        }
    })
}

pub async fn openapi() -> Json<Value> {
    Json(with_generated(document()))
}

/// API bodies of the job queue. These are their own types (not the stored rows), and their
/// schemas in the document are generated from them.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobBody {
    pub id: i64,
    pub kind: String,
    /// queued | running | failed | dead | done | cancelled
    pub state: String,
    pub priority: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    /// RFC 3339, UTC
    pub run_at: String,
    pub created_at: String,
    pub last_error: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct JobsBody {
    /// Jobs per state.
    pub counts: std::collections::BTreeMap<String, i64>,
    pub jobs: Vec<JobBody>,
}

fn ms_rfc3339(ms: i64) -> String {
    app::rfc3339(ms.div_euclid(1000))
}

impl From<&app::jobs::JobRow> for JobBody {
    fn from(j: &app::jobs::JobRow) -> Self {
        JobBody {
            id: j.id.0,
            kind: j.kind.clone(),
            state: j.state.code().into(),
            priority: j.priority,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: ms_rfc3339(j.run_at),
            created_at: ms_rfc3339(j.created_at),
            last_error: j.last_error.clone(),
            idempotency_key: j.idempotency_key.clone(),
        }
    }
}

impl From<&app::jobs::JobsOverview> for JobsBody {
    fn from(o: &app::jobs::JobsOverview) -> Self {
        JobsBody {
            counts: o.counts.iter().map(|(s, n)| (s.code().to_string(), *n)).collect(),
            jobs: o.jobs.iter().map(JobBody::from).collect(),
        }
    }
}

/// Adds the schemas generated from the API body types, and the paths that use them.
fn with_generated(mut doc: Value) -> Value {
    use utoipa::{PartialSchema, ToSchema};
    let schemas = [
        (<JobBody as ToSchema>::name().to_string(), serde_json::to_value(<JobBody as PartialSchema>::schema())),
        (<JobsBody as ToSchema>::name().to_string(), serde_json::to_value(<JobsBody as PartialSchema>::schema())),
    ];
    for (name, schema) in schemas {
        if let (Some(obj), Ok(schema)) = (doc["components"]["schemas"].as_object_mut(), schema) {
            obj.insert(name, schema);
        }
    }
    let ok = |schema: &str| json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}});
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.insert(
            "/api/v1/admin/jobs".into(),
            json!({"get": {"summary": "Program office: jobs and counts per state", "security": [{"bearer": []}],
                "parameters": [{"name": "state", "in": "query", "schema": {"type": "string", "enum": ["queued", "running", "failed", "dead", "done", "cancelled", "all"]}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
                "responses": merge(ok("JobsBody"), errors(&["401", "404", "422"]))}}),
        );
        paths.insert(
            "/api/v1/admin/jobs/{id}/{action}".into(),
            json!({"post": {"summary": "Program office: retry (failed, dead, cancelled) or cancel (queued, failed) a job", "security": [{"bearer": []}],
                "parameters": [id_param("id"), {"name": "action", "in": "path", "required": true, "schema": {"type": "string", "enum": ["retry", "cancel"]}}],
                "responses": merge(ok("JobBody"), errors(&["401", "404", "409"]))}}),
        );
    }
    doc
}
