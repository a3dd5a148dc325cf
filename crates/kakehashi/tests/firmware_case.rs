//! A firmware image as case evidence, on both databases: the firmware engine runs as a job, its
//! findings (weak accounts, telnetd at boot, keys) are listed with the case's evidence, its
//! inventory becomes an SBOM scanned into the case's version, and the checklist rules answer from
//! it (default passwords fail "no universal default password", telnetd fails "minimise the attack
//! surface"). A file that is no firmware is analysed to "nothing found", not an error.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}]}"#;

async fn evidence(c: &Client, token: &str, case: i64) -> Value {
    for _ in 0..600 {
        let r = c.api(Method::GET, &format!("/api/v1/cases/{case}/evidence"), token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        let items = v["items"].as_array().unwrap();
        if items.len() >= 2
            && items.iter().all(|i| i["analysis"].is_null() || i["analysis"] == "done" || i["analysis"] == "failed")
        {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("analyses did not finish");
}

async fn firmware_on_a_case(db: Db) {
    let t = TestApp::spawn_with(db, Options { workers: 2, ..Options::default() }).await;
    let p = t.verification_parties().await;
    let product = t.new_product(&p, "ファーム試験 ルーター", "iot_device").await;
    t.push_sbom(&p.vt, product, "1.0.0", SBOM).await;
    let VerificationParties { vendor, vt, tester, tt, center } = p;
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{product}/cases"),
            &vt,
            Some(json!({"body_org_id": center, "kind": "white_hat", "version": "1.0.0", "note": "ファームウェアを"})),
        )
        .await;
    let case = r.json()["id"].as_i64().unwrap();
    let plan = json!({"plan": {"scope": "ファームウェア", "time_windows": "平日", "allowed_techniques": "解析",
        "out_of_scope": "なし", "stages": ["build_operate"]}});
    assert_eq!(
        tester.api(Method::POST, &format!("/api/v1/cases/{case}/scope"), &tt, Some(plan)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        tester.api(Method::POST, &format!("/api/v1/cases/{case}/start"), &tt, Some(json!({}))).await.status,
        StatusCode::OK
    );

    let (image, _) = firmware::sample::image(&firmware::sample::Options::default());
    let r = tester
        .http
        .post(t.url(&format!("/api/v1/cases/{case}/evidence")))
        .bearer_auth(&tt)
        .multipart(Form::new().text("kind", "firmware").part("file", Part::bytes(image).file_name("router-fw.bin")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{}", r.text().await.unwrap());
    let v = evidence(&tester, &tt, case).await;
    let items = v["items"].as_array().unwrap();
    let fw = items.iter().find(|i| i["kind"] == "firmware").expect("the image is listed");
    assert_eq!(fw["analysis"], "done", "{v}");
    let sbom = items.iter().find(|i| i["filename"] == "router-fw.bin.cdx.json").expect("its SBOM is added");
    assert_eq!((sbom["kind"].as_str(), sbom["analysis"].as_str()), (Some("sbom"), Some("done")), "{v}");
    let findings = v["capture_findings"].as_array().unwrap();
    let of = |kind: &str| findings.iter().filter(|f| f["kind"] == kind && f["protocol"] == "firmware").count();
    assert!(of("weak_password") >= 1 && of("boot_service") >= 1 && of("private_key") >= 1, "{v}");
    assert!(findings.iter().any(|f| f["kind"] == "boot_service" && f["dst"] == "telnetd"), "{v}");
    // the version now has the image's components
    let p = t.client().get(&format!("/api/v1/products/{product}?version=1.0.0")).await.json();
    assert!(p["components"].as_i64().unwrap() > 1, "the image's components replace the one-line SBOM's: {p}");

    // the rules answer from the firmware
    let cl = format!("/api/v1/cases/{case}/checklist");
    let r = tester.api(Method::POST, &cl, &tt, Some(json!({"checklist": "etsi-en-303-645@2.1.1"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let item = |id: &str| r.json()["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(item("5.1")["auto_verdict"], "fail", "{}", item("5.1"));
    assert!(item("5.1")["auto_reason"].as_str().unwrap().contains("Firmware has accounts"));
    assert_eq!(item("5.6")["auto_verdict"], "fail", "telnetd at boot: {}", item("5.6"));
    assert!(!item("5.6")["evidence"].as_array().unwrap().is_empty(), "traced to the evidence");
    // the page's form records a verdict with the evidence it rests on
    let fw_id = fw["id"].as_i64().unwrap().to_string();
    let page = tester.get(&format!("/cases/{case}/checklist")).await;
    assert!(page.body.contains("router-fw.bin（") && page.body.contains("name=\"evidence\""), "evidence choices");
    let r = tester
        .post_form(
            &format!("/cases/{case}/checklist"),
            &[("item", "5.6"), ("verdict", "fail"), ("evidence", &fw_id), ("note", "telnetd が起動時に有効")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = tester.api(Method::GET, &cl, &tt, None).await;
    let i56 = r.json()["items"].as_array().unwrap().iter().find(|i| i["id"] == "5.6").unwrap().clone();
    assert_eq!(i56["evidence"], json!([fw_id.parse::<i64>().unwrap()]), "{i56}");
    assert_eq!((i56["verdict"].as_str(), i56["overridden"].as_bool()), (Some("fail"), Some(false)));

    // not firmware at all: analysed, nothing found, no error
    let r = tester
        .http
        .post(t.url(&format!("/api/v1/cases/{case}/evidence")))
        .bearer_auth(&tt)
        .multipart(
            Form::new().text("kind", "firmware").part("file", Part::bytes(vec![0x42u8; 70_000]).file_name("notes.bin")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v = evidence(&tester, &tt, case).await;
    let none = v["items"].as_array().unwrap().iter().find(|i| i["filename"] == "notes.bin").unwrap().clone();
    assert_eq!(none["analysis"], "done", "{v}");
    assert!(
        !v["items"].as_array().unwrap().iter().any(|i| i["filename"] == "notes.bin.cdx.json"),
        "no SBOM from nothing"
    );
}

both_backends!(firmware_on_a_case);
