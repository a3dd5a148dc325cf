//! The verification platform through the front door, on both databases: a vendor registers a
//! product and its build pipeline pushes SBOMs by API with a scoped token; a job scans each one
//! against the advisory index; findings merge across re-scans; the public sees public products
//! with their open findings (HTML, JSON, CycloneDX VEX); every bad input the issue names gets a
//! clear 4xx and stores nothing; private products are 404 to those who may not know them.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A one-advisory index made with the real importer: a critical advisory for
/// `kakehashi-demo-crate` < 1.2.0.
fn advisory_index() -> std::path::PathBuf {
    let base = std::env::temp_dir().join(format!("kakehashi-vosv-{}", &app::auth::random_token()[..10]));
    let src = base.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("GHSA-kkkk-0000-0002.json"),
        r#"{"id":"GHSA-kkkk-0000-0002","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2099-0002"],
            "summary":"remote code execution in the demo crate <script>alert(1)</script>",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected":[{"package":{"ecosystem":"crates.io","name":"kakehashi-demo-crate"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#,
    )
    .unwrap();
    let db = base.join("db");
    vulndb::db::import(&db, &[src], &|_, _, _| {}).unwrap();
    db
}

fn sbom(demo_crate_version: &str) -> String {
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[
  {{"type":"library","name":"kakehashi-demo-crate","version":"{demo_crate_version}","purl":"pkg:cargo/kakehashi-demo-crate@{demo_crate_version}"}},
  {{"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}}]}}"#
    )
}

async fn spawn(db: Db) -> TestApp {
    let cfg = app::AppConfig { advisory_db: Some(advisory_index()), ..Default::default() };
    TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await
}

/// Raw body with a content type and a bearer token.
async fn push(t: &TestApp, token: &str, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
    let r = reqwest::Client::new()
        .post(t.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    Resp { status, headers, body: r.text().await.unwrap() }
}

/// Polls a job until it has finished (done or failed), as a CI step would.
async fn wait_job(c: &Client, token: &str, job: i64) -> Value {
    for _ in 0..600 {
        let r = c.api(Method::GET, &format!("/api/v1/jobs/{job}"), token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        if matches!(j["state"].as_str(), Some("done" | "failed")) {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish in 30 s");
}

async fn new_product(c: &Client, token: &str, name: &str, public: bool) -> i64 {
    let r = c
        .api(
            Method::POST,
            "/api/v1/products",
            token,
            Some(json!({"name": name, "name_en": "Test gateway", "category": "iot_device", "model": "TG-1",
                "claims": ["暗号化通信のみ受け付ける"], "support_end": "2031-03-31",
                "vuln_contact": "psirt@example.jp", "public": public})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

async fn pipeline_pushes_sboms_and_the_public_sees_findings(db: Db) {
    let t = spawn(db).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "検証テスト ゲートウェイ", true).await;

    // The build pipeline pushes the SBOM of version 1.0.0 (new): 202 and the job.
    let path = format!("/api/v1/products/{id}/versions/1.0.0/sbom?filename=bom.cdx.json");
    let r = push(&t, &token, &path, "application/vnd.cyclonedx+json", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let a = r.json();
    assert_eq!(a["version_created"], true);
    assert_eq!(r.location(), format!("/api/v1/jobs/{}", a["job_id"]));
    let j = wait_job(&vendor, &token, a["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["state"], "done", "{j}");
    assert_eq!(j["product_id"], id);
    assert_eq!(j["version"], "1.0.0");
    assert_eq!(j["result"]["components"], 2, "{j}");
    assert_eq!(j["result"]["new"], 1, "{j}");
    assert_eq!(j["result"]["new_by_severity"]["critical"], 1, "a CI step fails the build on this: {j}");

    // The public list and the product: open findings of the latest public version.
    let list = t.client().get("/api/v1/products?q=%E3%82%B2%E3%83%BC%E3%83%88%E3%82%A6%E3%82%A7%E3%82%A4").await;
    assert_eq!(list.status, StatusCode::OK);
    let l = list.json();
    let item = l["items"].as_array().unwrap().iter().find(|i| i["id"] == id).expect("found by a partial Japanese word");
    assert_eq!(item["findings"]["critical"], 1, "{item}");
    assert_eq!(item["vendor"].as_str().map(|v| !v.is_empty()), Some(true));
    assert_eq!(item["category"], "iot_device");
    // English partial word, full-width input, category filter
    let en = t
        .client()
        .get("/api/v1/products?q=%EF%BC%B4%EF%BD%85%EF%BD%93%EF%BD%94%20gate&category=iot_device")
        .await
        .json();
    assert!(en["items"].as_array().unwrap().iter().any(|i| i["id"] == id), "{en}");
    let other = t.client().get("/api/v1/products?q=gateway&category=software").await.json();
    assert!(!other["items"].as_array().unwrap().iter().any(|i| i["id"] == id));

    let page = t.client().get(&format!("/products/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("GHSA-kkkk-0000-0002") && page.body.contains("CVE-2099-0002"), "{}", page.body);
    assert!(page.body.contains("緊急 1"), "open critical count on the page");
    // the advisory's own text is escaped, never markup
    assert!(!page.body.contains("<script>alert(1)"), "escaped");
    assert!(page.body.contains("&#60;script&#62;alert(1)"), "{}", page.body);
    // the public never sees the files or the upload form
    assert!(!page.body.contains("bom.cdx.json") && !page.body.contains("/sbom\""));
    let en_page = t.client().get(&format!("/products/{id}?lang=en")).await;
    assert!(en_page.body.contains("Test gateway"), "English name on the English page");
    let list_page = t.client().get("/products?q=%E6%A4%9C%E8%A8%BC%E3%83%86%E3%82%B9%E3%83%88").await;
    assert!(list_page.body.contains("検証テスト ゲートウェイ"));

    // CycloneDX 1.5 VEX with the triage state.
    let vex = t.client().get(&format!("/api/v1/products/{id}/vex")).await;
    assert_eq!(vex.status, StatusCode::OK);
    assert!(vex.headers["content-type"].to_str().unwrap().starts_with("application/vnd.cyclonedx+json"));
    let v = vex.json();
    assert_eq!((v["bomFormat"].as_str(), v["specVersion"].as_str()), (Some("CycloneDX"), Some("1.5")));
    assert_eq!(v["metadata"]["component"]["version"], "1.0.0");
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 1, "{v}");
    assert_eq!(vulns[0]["id"], "GHSA-kkkk-0000-0002");
    assert_eq!(vulns[0]["analysis"]["state"], "in_triage");
    assert_eq!(vulns[0]["affects"][0]["ref"], "pkg:cargo/kakehashi-demo-crate@1.0.0");

    // The same SBOM again: merged with the stored finding, nothing new.
    let r = push(&t, &token, &path, "application/json", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.json()["version_created"], false);
    let j = wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["result"]["new"], 0, "{j}");
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(d["findings"].as_array().unwrap().len(), 1, "one finding per advisory and component: {d}");

    // The component is updated in the same version: the finding is resolved by the scan.
    let r = push(&t, &token, &path, "application/json", sbom("1.2.0").into_bytes()).await;
    let j = wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["result"]["resolved"], 1, "{j}");
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(d["findings"][0]["state"], "resolved", "{d}");
    assert_eq!(d["versions"][0]["findings"]["critical"], 0);

    // A new version through the page's form; it becomes the latest.
    let form = reqwest::multipart::Form::new()
        .text("csrf", vendor.csrf.clone())
        .text("version", "2.0.0")
        .part("file", reqwest::multipart::Part::bytes(sbom("0.9.0").into_bytes()).file_name("bom.json"));
    let r = vendor.multipart(&format!("/my/products/{id}/sbom"), form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/products/{id}?version=2.0.0&done=sbom"));
    t.jobs_settle(60).await;
    let l = t.client().get("/api/v1/products?q=%E6%A4%9C%E8%A8%BC%E3%83%86%E3%82%B9%E3%83%88").await.json();
    assert_eq!(l["items"][0]["latest_version"], "2.0.0");
    assert_eq!(l["items"][0]["findings"]["critical"], 1);
    let mine = vendor.get(&format!("/products/{id}?version=2.0.0")).await;
    assert!(mine.body.contains("bom.json") && mine.body.contains("完了"), "the vendor sees the file and its scan");

    // The vendor was told of the new findings (in-app; e-mail and webhooks go through the outbox).
    let n = vendor.get("/my").await;
    assert!(n.body.contains("新しい検出"), "{}", n.body);

    // Jobs: the owner sees them; a stranger gets 404, as for a job that does not exist.
    let sme = t.as_sme().await;
    let sme_token = sme.create_token("read", &["verification:read"]).await;
    let r = sme.api(Method::GET, &format!("/api/v1/jobs/{}", a["job_id"]), &sme_token, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = sme.api(Method::GET, "/api/v1/jobs/99999999", &sme_token, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.client().get(&format!("/api/v1/jobs/{}", a["job_id"])).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The history is in the audit trail.
    let audit = t.store.audit_entries(0, 10_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "verification.sbom" && e.summary.contains("version=2.0.0 (new)")));
}

async fn bad_input_is_refused_and_nothing_is_stored(db: Db) {
    let cfg = app::AppConfig { advisory_db: Some(advisory_index()), ..Default::default() };
    let t =
        TestApp::spawn_with(db, Options { config: cfg, workers: 2, max_upload_bytes: 64 * 1024, ..Default::default() })
            .await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "<script>alert('x')</script> ルーター", false).await;
    let path = format!("/api/v1/products/{id}/versions/1.0.0/sbom");

    // An SBOM no reader accepts: 422 naming the formats, and no version, file or job is stored.
    let jobs_before = t.app.job_counts().await.unwrap().iter().map(|(_, n)| n).sum::<i64>();
    for body in [
        &b"{\"hello\": 1}"[..],
        b"%PDF-1.7 not an sbom",
        b"{\"bomFormat\":\"CycloneDX\",\"components\":[",
        b"\xff\xfe\x00",
    ] {
        let r = push(&t, &token, &path, "application/json", body.to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let e = r.json();
        assert_eq!(e["error"]["fields"][0]["field"], "sbom", "{e}");
        let msg = e["error"]["fields"][0]["en"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains("CycloneDX") && msg.contains("SPDX") && msg.contains("Cargo.lock"), "{}", r.body);
    }
    let d = vendor.api(Method::GET, &format!("/api/v1/products/{id}"), &token, None).await.json();
    assert_eq!(d["versions"].as_array().unwrap().len(), 0, "nothing stored: {d}");
    let jobs_after = t.app.job_counts().await.unwrap().iter().map(|(_, n)| n).sum::<i64>();
    assert_eq!(jobs_before, jobs_after, "no job queued");

    // Over the configured limit: 413 (API and page), nothing stored.
    let big = format!("{}{}", sbom("1.0.0"), " ".repeat(70 * 1024));
    let r = push(&t, &token, &path, "application/json", big.clone().into_bytes()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let form = reqwest::multipart::Form::new()
        .text("csrf", vendor.csrf.clone())
        .text("version", "1.0.0")
        .part("file", reqwest::multipart::Part::bytes(big.into_bytes()).file_name("big.json"));
    let r = vendor.multipart(&format!("/my/products/{id}/sbom"), form).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);

    // Wrong content type: 415.
    let r = push(&t, &token, &path, "image/png", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    // A version label that is too long: 422.
    let long = format!("/api/v1/products/{id}/versions/{}/sbom", "9".repeat(65));
    let r = push(&t, &token, &long, "application/json", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The page's upload of a bad file: the page again with the message and the version typed.
    let form = reqwest::multipart::Form::new()
        .text("csrf", vendor.csrf.clone())
        .text("version", "3.1.4-rc1")
        .part("file", reqwest::multipart::Part::bytes(b"not an sbom".to_vec()).file_name("notes.txt"));
    let r = vendor.multipart(&format!("/my/products/{id}/sbom"), form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"3.1.4-rc1\"") && r.body.contains("CycloneDX"), "{}", r.body);

    let d = vendor.api(Method::GET, &format!("/api/v1/products/{id}"), &token, None).await.json();
    assert_eq!(d["versions"].as_array().unwrap().len(), 0, "still nothing stored: {d}");

    // A token without verification:write cannot push; without a token, 401.
    let read_only = vendor.create_token("ro", &["verification:read", "registry:write"]).await;
    let r = push(&t, &read_only, &path, "application/json", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = reqwest::Client::new().post(t.url(&path)).body(sbom("1.0.0")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The private product is 404 to anyone who may not know it exists (page, API, VEX, push).
    let sme = t.as_sme().await;
    let sme_token = sme.create_token("all", &["verification:read", "verification:write"]).await;
    for p in [format!("/products/{id}"), format!("/api/v1/products/{id}"), format!("/api/v1/products/{id}/vex")] {
        assert_eq!(t.client().get(&p).await.status, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(sme.get(&p).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    let r = push(&t, &sme_token, &path, "application/json", sbom("1.0.0").into_bytes()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let list = t.client().get("/api/v1/products?q=%E3%83%AB%E3%83%BC%E3%82%BF%E3%83%BC").await.json();
    assert!(!list["items"].as_array().unwrap().iter().any(|i| i["id"] == id), "not listed");
    // the office may see it
    assert_eq!(t.as_operator().await.get(&format!("/products/{id}")).await.status, StatusCode::OK);

    // Script fragments in every text field come back escaped.
    let mine = vendor.get(&format!("/products/{id}")).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(!mine.body.contains("<script>alert('x')"), "escaped");
    assert!(mine.body.contains("&#60;script&#62;alert(&#39;x&#39;)"), "{}", mine.body);

    // A product form with errors keeps what was typed (and says what is wrong).
    let r = vendor
        .post_form(
            "/my/products",
            &[
                ("name", "入力保持テスト 製品"),
                ("category", "iot_device"),
                ("vuln_contact", ""),
                ("support_end", "2031/03/31"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"入力保持テスト 製品\"") && r.body.contains("value=\"2031/03/31\""), "{}", r.body);
    assert!(r.body.contains("aria-describedby=\"vuln_contact-err\""));
    // full-width digits typed by a Japanese keyboard are read
    let r = vendor
        .post_form(
            "/my/products",
            &[
                ("name", "全角日付 製品"),
                ("category", "software"),
                ("vuln_contact", "psirt@example.jp"),
                ("support_end", "２０３１－０３－３１"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // a write without the CSRF token is refused
    let r = vendor
        .post_raw("/my/products", "name=x&category=software&vuln_contact=a%40b.jp".into(), Some("http://evil.example"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // a bad category or page in the list: 422 with a message, not 500
    assert_eq!(t.client().get("/api/v1/products?category=toaster").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.client().get("/products?page=-1").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A scan job that cannot run (the advisory index is gone) is retried, then shows as failed
/// with the reason; the vendor's page shows the error.
async fn a_failing_scan_shows_its_error(db: Db) {
    let mut cfg = app::AppConfig {
        advisory_db: Some(std::env::temp_dir().join("kakehashi-no-such-index")),
        ..Default::default()
    };
    cfg.jobs.backoff_base_ms = 20;
    cfg.jobs.backoff_max_ms = 50;
    let t = TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "失敗テスト 製品", true).await;
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1/sbom"),
        "application/json",
        sbom("1.0.0").into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let j = wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["state"], "failed", "{j}");
    assert_eq!(j["attempts"], 3, "{j}");
    assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()), "{j}");
    let page = vendor.get(&format!("/products/{id}")).await;
    assert!(page.body.contains("失敗"), "{}", page.body);
}

/// The demo's products get real SBOMs and lockfiles from the shared data, scanned by jobs
/// against real advisories: public products show real findings.
async fn demo_products_show_real_findings(db: Db) {
    let (Some(data), Some(rustsec), Some(alpine)) =
        (shared_data(""), shared_data("osv/rustsec-advisory-db.zip"), shared_data("osv/alpine-secdb-osv.zip"))
    else {
        return;
    };
    let index = std::env::temp_dir().join(format!("kakehashi-demo-osv-{}", &app::auth::random_token()[..10]));
    vulndb::db::import(&index, &[rustsec, alpine], &|_, _, _| {}).unwrap();
    let cfg = app::AppConfig { advisory_db: Some(index), ..Default::default() };
    let t = TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await;
    let queued = t.app.attach_demo_sboms(&data).await.unwrap();
    assert_eq!(queued, 7);
    assert_eq!(t.app.attach_demo_sboms(&data).await.unwrap(), 0, "attached once");
    // real captures on the white-hat case under way (the router's), analysed by jobs
    assert_eq!(t.app.attach_demo_captures(&data).await.unwrap(), 3, "the router's SBOM and two captures");
    assert_eq!(t.app.attach_demo_captures(&data).await.unwrap(), 0, "attached once");
    t.jobs_settle(120).await;
    let vendor = t.as_provider_admin().await;
    let vt = vendor.create_token("v", &["verification:read"]).await;
    let ev = vendor.api(reqwest::Method::GET, "/api/v1/cases/2/evidence", &vt, None).await.json();
    assert!(ev["items"].as_array().unwrap().iter().all(|i| i["analysis"] == "done"), "{ev}");
    assert_eq!(ev["items"][0]["kind"], "sbom");
    assert!(ev["items"][0]["summary"]["findings"].as_u64().unwrap() > 0, "real findings in the router's SBOM: {ev}");
    assert!(
        ev["capture_findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "credentials_in_clear" && f["protocol"] == "telnet"),
        "the telnet login in the real capture: {ev}"
    );
    let l = t.client().get("/api/v1/products").await.json();
    let items = l["items"].as_array().unwrap();
    assert_eq!(l["total"], 6, "the private product is not listed: {l}");
    let lock = items.iter().find(|i| i["name"] == "スマートロック SL-1").unwrap();
    // bat 0.24.0's lockfile against RustSec: three high-severity advisories among others
    assert!(lock["findings"]["high"].as_i64().unwrap() >= 3, "{lock}");
    let utm = items.iter().find(|i| i["model"] == "UTM-300").unwrap();
    assert_eq!(utm["findings"]["unknown"], 111, "the Alpine image's 111 secdb findings: {utm}");
    let d = t.client().get(&format!("/api/v1/products/{}", lock["id"])).await.json();
    assert!(
        d["findings"].as_array().unwrap().iter().any(|f| f["advisory_id"].as_str().unwrap().starts_with("RUSTSEC-"))
    );
    // the log agent's current version (today's ripgrep lockfile) is clean, the old one is not
    let agent = items.iter().find(|i| i["model"] == "LSA").unwrap();
    assert_eq!(agent["latest_version"], "14.1.0");
    let old = t.client().get(&format!("/api/v1/products/{}?version=11.0.2", agent["id"])).await.json();
    assert!(!old["findings"].as_array().unwrap().is_empty());
}

/// An OSV record for `serde` < 1.0.201 (or the same id withdrawn).
fn serde_advisory(dir: &std::path::Path, withdrawn: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let w = if withdrawn { r#""withdrawn":"2026-06-01T00:00:00Z","# } else { "" };
    std::fs::write(
        dir.join("GHSA-kkkk-0000-0003.json"),
        format!(
            r#"{{"id":"GHSA-kkkk-0000-0003","modified":"2026-0{}-01T00:00:00Z",{w}"summary":"serde test advisory",
            "severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}}],
            "affected":[{{"package":{{"ecosystem":"crates.io","name":"serde"}},
            "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"1.0.201"}}]}}]}}]}}"#,
            if withdrawn { 6 } else { 5 }
        ),
    )
    .unwrap();
}

/// `kakehashi osv import --database-url`: only the stored components the new advisories name
/// are re-matched; new findings appear on the products and the vendor is told; a withdrawn
/// advisory's findings are closed with a note; a serving process scans with the new index.
async fn advisory_import_rechecks_stored_products(db: Db) {
    let index = advisory_index();
    let cfg = app::AppConfig { advisory_db: Some(index.clone()), ..Default::default() };
    let t = TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "再照合テスト 製品", true).await;
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1.0.0/sbom"),
        "application/json",
        sbom("1.0.0").into_bytes(),
    )
    .await;
    let j = wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["result"]["findings"], 1);

    let src = index.parent().unwrap().join("update");
    serde_advisory(&src, false);
    let o = kakehashi(&[
        "osv",
        "import",
        "--db",
        index.to_str().unwrap(),
        "--database-url",
        &t.db.url,
        src.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 new findings (1 vendors told)"), "{}", text(&o));
    // only serde was re-matched: one component of one version
    assert!(text(&o).contains("re-checked 1 components of 1 product versions"), "{}", text(&o));
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    let serde = d["findings"].as_array().unwrap().iter().find(|f| f["advisory_id"] == "GHSA-kkkk-0000-0003").cloned();
    assert_eq!(serde.as_ref().map(|f| f["state"].clone()), Some(json!("in_triage")), "{d}");
    assert!(vendor.get("/my").await.body.contains("新しい脆弱性情報"));
    // importing the same again changes nothing
    let o = kakehashi(&[
        "osv",
        "import",
        "--db",
        index.to_str().unwrap(),
        "--database-url",
        &t.db.url,
        src.to_str().unwrap(),
    ]);
    assert!(text(&o).contains("0 new findings"), "{}", text(&o));

    // the running server scans new uploads with the new index
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1.0.1/sbom"),
        "application/json",
        sbom("1.2.0").into_bytes(),
    )
    .await;
    let j = wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    assert_eq!(j["result"]["findings"], 1, "serde 1.0.200 is found with the new advisory: {j}");

    // withdrawn: the findings close with a note
    serde_advisory(&src, true);
    let o = kakehashi(&[
        "osv",
        "import",
        "--db",
        index.to_str().unwrap(),
        "--database-url",
        &t.db.url,
        src.to_str().unwrap(),
    ]);
    assert!(text(&o).contains("2 closed as withdrawn"), "{}", text(&o));
    let d = t.client().get(&format!("/api/v1/products/{id}?version=1.0.0")).await.json();
    let f =
        d["findings"].as_array().unwrap().iter().find(|f| f["advisory_id"] == "GHSA-kkkk-0000-0003").unwrap().clone();
    assert_eq!(f["state"], "false_positive");
    assert!(f["detail"].as_str().unwrap().contains("withdrawn"));
    assert_eq!(d["versions"][1]["findings"]["high"], 0, "{d}");
}

/// The vendor triages a finding (API and page): the reason is required where the state needs
/// one, the decision and who made it are in the history, the VEX carries it, a re-scan keeps it,
/// and others cannot decide.
async fn vendor_triages_findings(db: Db) {
    let t = spawn(db).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "トリアージ試験 製品", true).await;
    let path = format!("/api/v1/products/{id}/versions/1.0.0/sbom");
    let r = push(&t, &token, &path, "application/json", sbom("1.0.0").into_bytes()).await;
    wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    let fid = d["findings"][0]["id"].as_i64().unwrap();
    let triage = format!("/api/v1/products/{id}/findings/{fid}/triage");

    // not_affected needs a justification and an explanation
    let r = vendor.api(Method::POST, &triage, &token, Some(json!({"state": "not_affected"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["justification", "detail"]);
    let r = vendor
        .api(
            Method::POST,
            &triage,
            &token,
            Some(json!({"state": "not_affected", "justification": "code_not_reachable", "detail": "脆弱な関数を呼び出していない"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "not_affected");
    // the same decision again is a conflict, not a second history entry
    let r = vendor
        .api(
            Method::POST,
            &triage,
            &token,
            Some(json!({"state": "not_affected", "justification": "code_not_reachable", "detail": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // the VEX carries the decision; the open counts drop
    let v = t.client().get(&format!("/api/v1/products/{id}/vex")).await.json();
    assert_eq!(v["vulnerabilities"][0]["analysis"]["state"], "not_affected");
    assert_eq!(v["vulnerabilities"][0]["analysis"]["justification"], "code_not_reachable");
    assert_eq!(v["vulnerabilities"][0]["analysis"]["detail"], "脆弱な関数を呼び出していない");
    let l =
        t.client().get(&format!("/api/v1/products?q={}", "%E3%83%88%E3%83%AA%E3%82%A2%E3%83%BC%E3%82%B8")).await.json();
    assert_eq!(l["items"][0]["findings"]["critical"], 0, "{l}");

    // a re-scan keeps the decision
    let r = push(&t, &token, &path, "application/json", sbom("1.0.0").into_bytes()).await;
    wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(d["findings"][0]["state"], "not_affected", "{d}");

    // the vendor's page shows who decided and why; the public page shows the state only
    let page = vendor.get(&format!("/products/{id}/findings/{fid}")).await;
    assert!(
        page.body.contains("北斗 太郎") && page.body.contains("該当コードに到達しない — 脆弱な関数を呼び出していない"),
        "{}",
        page.body
    );
    let public = t.client().get(&format!("/products/{id}/findings/{fid}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("影響なし") && !public.body.contains("北斗 太郎") && !public.body.contains("/triage"));

    // the page's form: a mistake keeps what was typed
    let form = format!("/my/products/{id}/findings/{fid}/triage");
    let r = vendor.post_form(&form, &[("state", "resolved"), ("detail", "v1.2 で修正"), ("resolved_in", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("v1.2 で修正") && r.body.contains("aria-describedby=\"resolved_in-err\""), "{}", r.body);
    let r = vendor.post_form(&form, &[("state", "resolved"), ("detail", ""), ("resolved_in", "1.2.0")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(
        (d["findings"][0]["state"].as_str(), d["findings"][0]["resolved_in"].as_str()),
        (Some("resolved"), Some("1.2.0"))
    );

    // others cannot decide: the public product's finding is 403 to an SME, 401 without a login;
    // a finding id of another product is 404
    let sme = t.as_sme().await;
    let sme_token = sme.create_token("w", &["verification:write", "verification:read"]).await;
    let r = sme.api(Method::POST, &triage, &sme_token, Some(json!({"state": "exploitable"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let other = new_product(&vendor, &token, "別の製品", true).await;
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{other}/findings/{fid}/triage"),
            &token,
            Some(json!({"state": "exploitable"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(t.client().get(&format!("/products/{other}/findings/{fid}")).await.status, StatusCode::NOT_FOUND);
    // the history is in the audit trail too
    let audit = t.store.audit_entries(0, 10_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "verification.not_affected" && e.subject == format!("finding#{fid}")));
}

/// VEX in: OpenVEX alone, CSAF 2.0 in the same request as the SBOM it describes (applied to
/// the scan's findings), CycloneDX VEX through the page; a document no reader takes is 422 and
/// the whole request stores nothing.
async fn vex_documents_set_the_triage(db: Db) {
    let t = spawn(db).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "VEX 試験 製品", true).await;
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1.0.0/sbom"),
        "application/json",
        sbom("1.0.0").into_bytes(),
    )
    .await;
    wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;

    let openvex = json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.jp/vex/1", "author": "vendor",
        "timestamp": "2026-12-01T00:00:00Z", "version": 1, "statements": [{"vulnerability": {"name": "CVE-2099-0002"},
        "products": [{"@id": "pkg:cargo/kakehashi-demo-crate@1.0.0"}], "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "the parser is never called"},
        {"vulnerability": {"name": "CVE-2000-0001"}, "status": "affected"}]});
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1.0.0/vex?filename=openvex.json"),
        "application/json",
        openvex.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!({"statements": 2, "applied": 1, "unmatched": 1}));
    let d = t.client().get(&format!("/api/v1/products/{id}?version=1.0.0")).await.json();
    let f = &d["findings"][0];
    assert_eq!(
        (f["state"].as_str(), f["justification"].as_str()),
        (Some("not_affected"), Some("code_not_reachable")),
        "{f}"
    );
    assert!(
        f["detail"].as_str().unwrap().contains("openvex.json")
            && f["detail"].as_str().unwrap().contains("never called")
    );
    let page = vendor.get(&format!("/products/{id}/findings/{}", f["id"])).await;
    assert!(page.body.contains("VEX (openvex.json)"), "the document is named in the history");

    // CSAF 2.0 VEX with the SBOM of version 2.0.0, one multipart request
    let csaf = json!({"document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "t",
        "publisher": {"category": "vendor", "name": "v", "namespace": "https://example.jp"},
        "tracking": {"id": "V-1", "status": "final", "version": "1", "initial_release_date": "2026-12-01T00:00:00Z",
          "current_release_date": "2026-12-01T00:00:00Z", "revision_history": [{"date": "2026-12-01T00:00:00Z", "number": "1", "summary": "s"}]}},
        "product_tree": {"full_product_names": [{"name": "demo crate", "product_id": "P1",
          "product_identification_helper": {"purl": "pkg:cargo/kakehashi-demo-crate@0.9.0"}}]},
        "vulnerabilities": [{"cve": "CVE-2099-0002", "product_status": {"fixed": ["P1"]}}]});
    let multipart = |sbom_body: String, vex_body: String| {
        reqwest::multipart::Form::new()
            .part("sbom", reqwest::multipart::Part::bytes(sbom_body.into_bytes()).file_name("bom.json"))
            .part("vex", reqwest::multipart::Part::bytes(vex_body.into_bytes()).file_name("csaf.json"))
    };
    let r = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/products/{id}/versions/2.0.0/sbom")))
        .bearer_auth(&token)
        .multipart(multipart(sbom("0.9.0"), csaf.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let job: Value = r.json().await.unwrap();
    wait_job(&vendor, &token, job["job_id"].as_i64().unwrap()).await;
    let d = t.client().get(&format!("/api/v1/products/{id}?version=2.0.0")).await.json();
    let f = &d["findings"][0];
    assert_eq!((f["state"].as_str(), f["resolved_in"].as_str()), (Some("resolved"), Some("2.0.0")), "{d}");

    // a VEX document no reader takes: 422 naming the formats, and the SBOM beside it is not stored
    let r = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/products/{id}/versions/3.0.0/sbom")))
        .bearer_auth(&token)
        .multipart(multipart(sbom("1.0.0"), "{\"not\": \"vex\"}".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["fields"][0]["en"].as_str().unwrap().contains("CSAF 2.0"), "{e}");
    let d = vendor.api(Method::GET, &format!("/api/v1/products/{id}"), &token, None).await.json();
    assert!(!d["versions"].as_array().unwrap().iter().any(|v| v["version"] == "3.0.0"), "nothing stored: {d}");
    let r = push(&t, &token, &format!("/api/v1/products/{id}/versions/1.0.0/vex"), "text/plain", b"x".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // CycloneDX VEX through the page's form (no SBOM): exploitable, with a response
    let cdx = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "vulnerabilities": [{"id": "GHSA-kkkk-0000-0002",
        "analysis": {"state": "exploitable", "detail": "reachable from the web UI"},
        "affects": [{"ref": "pkg:cargo/kakehashi-demo-crate@1.0.0"}]}]});
    let form = reqwest::multipart::Form::new()
        .text("csrf", vendor.csrf.clone())
        .text("version", "1.0.0")
        .part("vex", reqwest::multipart::Part::bytes(cdx.to_string().into_bytes()).file_name("cdx-vex.json"));
    let r = vendor.multipart(&format!("/my/products/{id}/sbom"), form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = t.client().get(&format!("/api/v1/products/{id}?version=1.0.0")).await.json();
    assert_eq!(d["findings"][0]["state"], "exploitable", "{d}");
}

/// Exports of a version: CSV (UTF-8 with BOM, formulas neutralised), SARIF with suppressions
/// for decided findings, CSAF, a printable report in both languages; 404 for what one may not see.
async fn exports_of_a_version(db: Db) {
    let t = spawn(db).await;
    let vendor = t.as_provider_admin().await;
    let token = vendor.create_token("ci", &["verification:read", "verification:write"]).await;
    let id = new_product(&vendor, &token, "=HYPERLINK(\"x\") 出力試験", true).await;
    let r = push(
        &t,
        &token,
        &format!("/api/v1/products/{id}/versions/1.0.0/sbom"),
        "application/json",
        sbom("1.0.0").into_bytes(),
    )
    .await;
    wait_job(&vendor, &token, r.json()["job_id"].as_i64().unwrap()).await;
    let csv = t.client().get(&format!("/products/{id}/findings.csv?version=1.0.0")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'), "a byte-order mark for spreadsheet programs");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[1].contains("GHSA-kkkk-0000-0002") && lines[1].contains("in_triage"));
    assert!(lines[1].starts_with("\"'=HYPERLINK"), "the formula is neutralised: {}", lines[1]);
    // a decided finding is suppressed in SARIF, with the reason
    let d = t.client().get(&format!("/api/v1/products/{id}")).await.json();
    let fid = d["findings"][0]["id"].as_i64().unwrap();
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{id}/findings/{fid}/triage"),
            &token,
            Some(json!({"state": "false_positive", "detail": "the crate is a build tool only"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sarif = t.client().get(&format!("/products/{id}/findings.sarif")).await.json();
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(res["ruleId"], "GHSA-kkkk-0000-0002");
    assert_eq!(res["suppressions"][0]["status"], "accepted", "{res}");
    assert!(res["suppressions"][0]["justification"].as_str().unwrap().contains("build tool only"));
    let csaf = t.client().get(&format!("/api/v1/products/{id}/csaf")).await.json();
    assert_eq!(csaf["document"]["category"], "csaf_vex");
    assert_eq!(csaf["vulnerabilities"][0]["cve"], "CVE-2099-0002");
    assert!(csaf["vulnerabilities"][0]["product_status"]["known_not_affected"].is_array(), "{csaf}");
    for (lang, words) in [("", "検証レポート"), ("?lang=en", "verification report")] {
        let sep = if lang.is_empty() { "?" } else { "&" };
        let page = t.client().get(&format!("/products/{id}/report{lang}{sep}version=1.0.0")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(words) && page.body.contains("GHSA-kkkk-0000-0002"), "{}", page.body);
    }
    // a version that does not exist, and a private product's exports: 404
    assert_eq!(t.client().get(&format!("/products/{id}/findings.csv?version=9.9")).await.status, StatusCode::NOT_FOUND);
    let private = new_product(&vendor, &token, "非公開 出力試験", false).await;
    push(
        &t,
        &token,
        &format!("/api/v1/products/{private}/versions/1/sbom"),
        "application/json",
        sbom("1.0.0").into_bytes(),
    )
    .await;
    for p in ["findings.csv", "findings.sarif", "report"] {
        assert_eq!(t.client().get(&format!("/products/{private}/{p}")).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    assert_eq!(t.client().get(&format!("/api/v1/products/{private}/csaf")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(vendor.get(&format!("/products/{private}/findings.csv")).await.status, StatusCode::OK, "the vendor may");
}

both_backends!(
    exports_of_a_version,
    vex_documents_set_the_triage,
    vendor_triages_findings,
    advisory_import_rechecks_stored_products,
    pipeline_pushes_sboms_and_the_public_sees_findings,
    bad_input_is_refused_and_nothing_is_stored,
    a_failing_scan_shows_its_error,
    demo_products_show_real_findings
);
