//! The OpenAPI document is generated from the API's types; this snapshot makes every change to
//! the contract visible in review. After an intended change, refresh it with
//! `UPDATE_SNAPSHOTS=1 cargo test -p web --test openapi_snapshot` and commit `openapi.json`.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = web::openapi_document();
    // What integrators rely on (the contract tools check these too).
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().expect("components.schemas");
    for name in
        ["ErrorBody", "ServiceList", "ServiceDetailBody", "ApplicationBody", "DecisionBody", "JobsBody", "MeBody"]
    {
        assert!(schemas.contains_key(name), "schema {name} is generated");
    }
    for path in [
        "/api/v1/services",
        "/api/v1/services/{id}",
        "/api/v1/applications",
        "/api/v1/reviews/{id}/{decision}",
        "/api/v1/applications/{id}/renew",
        "/api/v1/admin/jobs",
        "/healthz",
        "/metrics",
        "/services.csv",
    ] {
        assert!(doc["paths"].get(path).is_some(), "path {path} is documented");
    }
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    if want != text {
        let first = want.lines().zip(text.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "the OpenAPI document changed (first difference at line {}: {:?}); review it and run \
             UPDATE_SNAPSHOTS=1 cargo test -p web --test openapi_snapshot",
            first + 1,
            text.lines().nth(first)
        );
    }
}
