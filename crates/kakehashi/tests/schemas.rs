//! Every machine-readable output validates against its published schema: CycloneDX 1.5 VEX and
//! SARIF 2.1.0 from `scan`, and the firmware report against kakehashi's own published schema. The schemas are local copies of the official ones
//! (tests/fixtures/schemas, see its README); the validator is Python's `jsonschema` with no
//! network access. With KAKEHASHI_REQUIRE_SCHEMAS=1 (as in CI) a missing validator fails.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas")
}

/// A Python with `jsonschema` (the venv `.ci/run` makes, or KAKEHASHI_TEST_PYTHON).
fn python() -> Option<String> {
    let candidates = [std::env::var("KAKEHASHI_TEST_PYTHON").ok(), Some("/var/tmp/kakehashi-venv/bin/python".into())];
    let found = candidates.into_iter().flatten().find(|p| {
        Command::new(p).args(["-c", "import jsonschema, referencing"]).output().is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        if std::env::var("KAKEHASHI_REQUIRE_SCHEMAS").is_ok_and(|v| v == "1") {
            panic!("jsonschema is required (KAKEHASHI_REQUIRE_SCHEMAS=1) but not installed; run .ci/run once");
        }
        eprintln!("SKIPPED schema validation: Python jsonschema not installed (set KAKEHASHI_TEST_PYTHON)");
    }
    found
}

/// Validates `doc` against a local schema; the validator's messages on failure.
fn validate(python: &str, schema: &str, doc: &[u8]) -> Result<(), String> {
    let file = std::env::temp_dir().join(format!("kh-schema-{}.json", &app::auth::random_token()[..10]));
    std::fs::write(&file, doc).unwrap();
    let o = Command::new(python)
        .arg(fixtures().join("validate.py"))
        .args([schema, file.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    match o.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(text(&o)),
        _ => panic!("validator failed to run: {}", text(&o)),
    }
}

/// The validator itself refuses what the schemas forbid (a test that cannot fail proves nothing):
/// the very output the CycloneDX writer used to give, a null score.
#[test]
fn validator_refuses_invalid_documents() {
    let Some(py) = python() else { return };
    assert!(validate(&py, "bom-1.5", br#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}"#).is_ok());
    let null_score =
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"vulnerabilities":[{"id":"X","ratings":[{"score":null}]}]}"#;
    let e = validate(&py, "bom-1.5", null_score).unwrap_err();
    assert!(e.contains("score"), "{e}");
    assert!(validate(&py, "sarif-2.1.0", br#"{"version":"2.1.0"}"#).unwrap_err().contains("runs"));
}

/// `scan --format cyclonedx-vex` and `--format sarif` on real SBOMs and lockfiles with real
/// advisories (records with and without CVSS scores, and a finding VEX suppressed) validate.
#[test]
fn scan_outputs_validate() {
    let Some(py) = python() else { return };
    let Some(osv) = shared_data("osv/golang-vulndb.zip").map(|p| p.parent().unwrap().to_path_buf()) else { return };
    let data = osv.parent().unwrap();
    let dir = std::env::temp_dir().join(format!("kh-schemas-{}", &app::auth::random_token()[..8]));
    let db = dir.join("db");
    let d = db.to_str().unwrap();
    let archives: Vec<String> = ["golang-vulndb.zip", "rustsec-advisory-db.zip", "pypa-advisory-database.zip"]
        .iter()
        .map(|a| osv.join(a).to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["osv", "import", "--db", d];
    args.extend(archives.iter().map(String::as_str));
    let o = kakehashi(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let constellation = data.join("sbom/bom-shelter/in-the-wild/spdx/constellation-spdx.json");
    let ripgrep = data.join("lockfiles/ripgrep-11.0.2/Cargo.lock");
    // a VEX statement that suppresses one ripgrep finding (the not_affected branch of the writer)
    let o = kakehashi(&["scan", "--db", d, "--format", "json", ripgrep.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &v["findings"][0];
    let vex = dir.join("vex.json");
    std::fs::write(
        &vex,
        serde_json::json!({"bomFormat": "CycloneDX", "vulnerabilities": [{
            "id": first["id"], "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "not called"},
            "affects": [{"ref": first["package"]["purl"]}]}]})
        .to_string(),
    )
    .unwrap();
    for (input, with_vex) in [(&constellation, false), (&ripgrep, true)] {
        let mut args = vec!["scan", "--db", d, "--format", "cyclonedx-vex"];
        if with_vex {
            args.extend(["--vex", vex.to_str().unwrap()]);
        }
        args.push(input.to_str().unwrap());
        let o = kakehashi(&args);
        assert_eq!(o.status.code(), Some(1), "findings: {}", text(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let vulns = doc["vulnerabilities"].as_array().unwrap();
        assert!(!vulns.is_empty());
        if input == &constellation {
            // the case the schema used to refuse: records with no CVSS score
            assert!(vulns.iter().any(|v| v["ratings"][0].get("score").is_none()), "a record without a score");
        } else {
            assert!(vulns.iter().any(|v| v["analysis"]["state"] == "not_affected"), "the VEX statement applied");
        }
        if let Err(e) = validate(&py, "bom-1.5", &o.stdout) {
            panic!("cyclonedx-vex of {} does not validate:\n{e}", input.display());
        }
        let o = kakehashi(&["scan", "--db", d, "--format", "sarif", input.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        if let Err(e) = validate(&py, "sarif-2.1.0", &o.stdout) {
            panic!("sarif of {} does not validate:\n{e}", input.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The platform's product VEX (`GET /api/v1/products/{id}/vex`) on the demo products' real
/// SBOMs and advisories, with the triage states a re-scan sets, validates as CycloneDX 1.5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_vex_validates() {
    let Some(py) = python() else { return };
    let (Some(data), Some(rustsec), Some(alpine)) =
        (shared_data(""), shared_data("osv/rustsec-advisory-db.zip"), shared_data("osv/alpine-secdb-osv.zip"))
    else {
        return;
    };
    let index = std::env::temp_dir().join(format!("kh-vex-osv-{}", &app::auth::random_token()[..8]));
    vulndb::db::import(&index, &[rustsec, alpine], &|_, _, _| {}).unwrap();
    let cfg = app::AppConfig { advisory_db: Some(index), ..Default::default() };
    let t = TestApp::spawn_with(Db::Sqlite, Options { config: cfg, workers: 2, ..Default::default() }).await;
    t.app.attach_demo_sboms(&data).await.unwrap();
    t.jobs_settle(120).await;
    let list = t.client().get("/api/v1/products").await.json();
    let mut checked = 0;
    for item in list["items"].as_array().unwrap() {
        let r = t.client().get(&format!("/api/v1/products/{}/vex", item["id"])).await;
        assert_eq!(r.status, reqwest::StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        checked += doc["vulnerabilities"].as_array().map_or(0, Vec::len);
        if let Err(e) = validate(&py, "bom-1.5", r.body.as_bytes()) {
            panic!("the VEX of {} does not validate:\n{e}", item["name"]);
        }
        for lang in ["", "?lang=en"] {
            let r = t.client().get(&format!("/api/v1/products/{}/csaf{lang}", item["id"])).await;
            assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
            if let Err(e) = validate(&py, "csaf-2.0", r.body.as_bytes()) {
                panic!("the CSAF of {} does not validate:\n{e}\n{}", item["name"], &r.body[..r.body.len().min(2000)]);
            }
        }
    }
    assert!(checked > 100, "real findings were in the documents ({checked})");
    // a case's exports too: the published UTM case (public), and the smart lock's case in the
    // findings review with the testers' findings, as its body sees it
    let tester = t.login("tester@demo.kakehashi.jp").await;
    let tt = tester.create_token("t", &["verification:read"]).await;
    for (who, token, case) in [(None, "", 1), (Some(&tester), tt.as_str(), 4)] {
        for (path, schema) in
            [(format!("/api/v1/cases/{case}/vex"), "bom-1.5"), (format!("/api/v1/cases/{case}/csaf"), "csaf-2.0")]
        {
            let r = match who {
                Some(c) => c.api(reqwest::Method::GET, &path, token, None).await,
                None => t.client().get(&path).await,
            };
            assert_eq!(r.status, reqwest::StatusCode::OK, "{path}: {}", r.body);
            if let Err(e) = validate(&py, schema, r.body.as_bytes()) {
                panic!("{path} does not validate:\n{e}\n{}", &r.body[..r.body.len().min(2000)]);
            }
            if case == 4 {
                assert!(r.body.contains("KH-C4-001"), "{path}: the testers' findings are in it");
            }
        }
    }
    // every triage state reaches the documents: decide some findings of the smart lock
    let lock = list["items"].as_array().unwrap().iter().find(|i| i["model"] == "SL-1").unwrap()["id"].as_i64().unwrap();
    let d = t.client().get(&format!("/api/v1/products/{lock}")).await.json();
    let fids: Vec<i64> = d["findings"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert!(fids.len() >= 4);
    // the smart lock belongs to another demo vendor (no demo login): decide as its staff through the use case
    let owner = t
        .app
        .verification()
        .product_detail(None, domain::verification::ProductId(lock), None)
        .await
        .unwrap()
        .product
        .vendor_org_id;
    let actor = app::Actor {
        user_id: 0,
        name: "schema test".into(),
        email: "schema@test".into(),
        is_operator: false,
        memberships: vec![app::Membership {
            org_id: owner,
            kind: domain::OrgKind::Vendor,
            role: domain::MembershipRole::Admin,
            org_name: "v".into(),
        }],
        token_scopes: None,
    };
    let decisions = [
        ("exploitable", "", "reachable", "update", ""),
        ("not_affected", "code_not_reachable", "never called", "", ""),
        ("false_positive", "", "wrong package", "", ""),
        ("resolved", "", "", "", "5.1.1"),
    ];
    for (fid, (state, j, detail, response, resolved)) in fids.iter().zip(decisions) {
        let input = domain::verification::TriageInput {
            state: state.into(),
            justification: j.into(),
            detail: detail.into(),
            response: response.into(),
            resolved_in: resolved.into(),
        };
        t.app.verification().triage(&actor, domain::verification::ProductId(lock), *fid, &input).await.unwrap();
    }
    for (path, schema) in [
        (format!("/api/v1/products/{lock}/vex"), "bom-1.5"),
        (format!("/api/v1/products/{lock}/csaf"), "csaf-2.0"),
        (format!("/products/{lock}/findings.sarif"), "sarif-2.1.0"),
    ] {
        let r = t.client().get(&path).await;
        if let Err(e) = validate(&py, schema, r.body.as_bytes()) {
            panic!("the {path} with every triage state does not validate:\n{e}");
        }
    }
    let csaf: serde_json::Value = t.client().get(&format!("/api/v1/products/{lock}/csaf")).await.json();
    let statuses: Vec<String> = csaf["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["product_status"].as_object().unwrap().keys().cloned().collect::<Vec<_>>())
        .collect();
    for want in ["known_affected", "known_not_affected", "fixed", "under_investigation"] {
        assert!(statuses.iter().any(|s| s == want), "{want} in {statuses:?}");
    }
}

/// `kakehashi firmware --format json` validates against the report schema kakehashi publishes
/// (`crates/firmware/report.schema.json`), on the sample router image (every finding kind but
/// `limit`), a bomb cut at the bound (`limit`) and noise (nothing found); the schema refuses a
/// weak password without its account.
#[test]
fn firmware_reports_validate() {
    let Some(py) = python() else { return };
    let dir = std::env::temp_dir().join(format!("kh-fw-schema-{}", &app::auth::random_token()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let (img, _) = firmware::sample::image(&firmware::sample::Options::default());
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut bomb, &vec![0u8; 8 << 20]).unwrap();
    let bomb = bomb.finish().unwrap();
    for (name, bytes, args) in [
        ("router.bin", img, vec![]),
        ("bomb.gz", bomb, vec!["--max-mb", "1"]),
        ("noise.bin", (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(), vec![]),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, &bytes).unwrap();
        let mut a = vec!["firmware", "--format", "json"];
        a.extend(args);
        a.push(p.to_str().unwrap());
        let o = kakehashi(&a);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
        validate(&py, "kakehashi-firmware-report", &o.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "bomb.gz" {
            assert!(String::from_utf8_lossy(&o.stdout).contains("\"limit\""), "{name}: the bound was not reached");
        }
    }
    let bad = br#"{"image":"x","size":0,"sha256":"00","parts":[],"os":"","os_id":"","os_version":"","components":[],"findings":[{"kind":"weak_password","severity":"critical","path":"/etc/shadow","detail":"x"}],"hardening":{"binaries":0,"unreadable":0,"nx":0,"executables":0,"pie":0,"relro_full":0,"relro_partial":0,"canary":0,"stripped":0},"binaries":[],"files":0,"unpacked_bytes":0}"#;
    let e = validate(&py, "kakehashi-firmware-report", bad).unwrap_err();
    assert!(e.contains("account") && e.contains("sha256"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
