//! Verification labels and checklists through the front door, on both databases: a case picks
//! JC-STAR ★1, the evidence rules answer what the SBOM and the product say, a tester overrides
//! only with a reason, a pass issues a signed label that `kakehashi label verify` checks offline
//! (and refuses when changed, for another SBOM, suspended, or signed by a revoked key), the watch
//! suspends it when a critical finding stays open past 30 days, and the office loads checklists
//! (bad files refused whole).

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}]}"#;
const SECRET: &str = "test label secret, at least thirty-two characters long";

fn options() -> Options {
    let mut o = Options::default();
    o.config.labels.secret = Some(SECRET.into());
    o
}

struct Files {
    dir: std::path::PathBuf,
}

impl Files {
    fn new(tag: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("kh-labels-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }
    fn put(&self, name: &str, data: &[u8]) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn verify(args: &[&str]) -> (i32, String) {
    let mut all = vec!["label", "verify"];
    all.extend_from_slice(args);
    let o = kakehashi(&all);
    (o.status.code().unwrap_or(-1), text(&o))
}

/// A white-hat case on `product` from the vendor to the body, scoped and started by the body.
async fn case_in_progress(p: &VerificationParties, product: i64, note: &str) -> i64 {
    let r = p
        .vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{product}/cases"),
            &p.vt,
            Some(json!({"body_org_id": p.center, "kind": "white_hat", "version": "1.0.0", "note": note})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.json()["id"].as_i64().unwrap();
    let plan = json!({"scope": "管理画面", "time_windows": "平日", "allowed_techniques": "ポートスキャン",
        "out_of_scope": "クラウド", "stages": ["build_operate", "sbom"]});
    for (action, body) in [("scope", json!({"plan": plan})), ("start", json!({}))] {
        let r = p.tester.api(Method::POST, &format!("/api/v1/cases/{case}/{action}"), &p.tt, Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    case
}

async fn label_lifecycle(db: Db) {
    let t = TestApp::spawn_with(db, options()).await;
    let files = Files::new(if matches!(db, Db::Sqlite) { "sqlite" } else { "pg" });
    let p = t.verification_parties().await;
    let product = t.new_product(&p, "ラベル試験 カメラ", "iot_device").await;
    t.push_sbom(&p.vt, product, "1.0.0", SBOM).await;
    let case = case_in_progress(&p, product, "★1 をお願いします").await;
    let VerificationParties { vendor, vt, tester, tt, center } = p;
    let step = |action: &'static str, body: Value| {
        let tester = &tester;
        let tt = &tt;
        async move { tester.api(Method::POST, &format!("/api/v1/cases/{case}/{action}"), tt, Some(body)).await }
    };

    // the checklist: only the body picks it; the rules answer from the evidence
    let cl = format!("/api/v1/cases/{case}/checklist");
    let r = vendor.api(Method::POST, &cl, &vt, Some(json!({"checklist": "jc-star-1@2025.1"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = tester.api(Method::POST, &cl, &tt, Some(json!({"checklist": "guess@1"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = tester.api(Method::POST, &cl, &tt, Some(json!({"checklist": "jc-star-1@2025.1"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.json()["items"].as_array().unwrap().clone();
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(item("S1.1-06")["auto_verdict"], "pass", "an SBOM is attached");
    assert_eq!(item("S1.1-05")["auto_verdict"], "pass", "the product names a disclosure contact");
    assert_eq!(item("S1.1-02")["verdict"], "not_evaluated");
    assert!(item("S1.1-02")["refs"].as_array().unwrap().contains(&json!("etsi-en-303-645:5.1")));
    // a critical finding on the covered version (for the watch, later)
    let r = tester
        .api(
            Method::POST,
            &format!("/api/v1/cases/{case}/findings"),
            &tt,
            Some(json!({"title": "認証回避",
            "description": "Cookie で管理画面に入れる", "reproduction": "Cookie admin=1",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // the vendor sees the checklist, not its verdicts, until the findings review
    let early = vendor.api(Method::GET, &cl, &vt, None).await;
    assert_eq!(early.status, StatusCode::OK);
    assert_eq!(early.json()["items"], json!([]), "{}", early.body);
    // not evaluated items block a pass
    assert_eq!(step("submit_findings", json!({})).await.status, StatusCode::OK);
    let r = vendor.api(Method::GET, &cl, &vt, None).await;
    assert!(!r.json()["items"].as_array().unwrap().is_empty(), "from the findings review on");
    let r = step("decide", json!({"decision": "pass", "comment": "良好"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("S1.1-02"), "{}", r.body);
    assert_eq!(step("resume", json!({})).await.status, StatusCode::OK);
    // overriding an automatic verdict needs a reason, kept in the history
    let r = tester.api(Method::POST, &cl, &tt, Some(json!({"item": "S1.1-06", "verdict": "fail"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = tester
        .api(Method::POST, &cl, &tt, Some(json!({"item": "S1.1-06", "verdict": "fail", "note": "SBOM に OS が無い"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s106 = r.json()["items"].as_array().unwrap().iter().find(|i| i["id"] == "S1.1-06").unwrap().clone();
    assert_eq!((s106["verdict"].as_str(), s106["overridden"].as_bool()), (Some("fail"), Some(true)));
    let page = tester.get(&format!("/cases/{case}/checklist")).await;
    assert!(page.body.contains("SBOM に OS が無い") && page.body.contains("自動判定を上書き"), "history on the page");
    let r = tester.api(Method::POST, &cl, &tt, Some(json!({"item": "S1.1-99", "verdict": "pass"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = tester
        .api(Method::POST, &cl, &tt, Some(json!({"item": "S1.1-01", "verdict": "pass", "evidence": [999999]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "evidence of another case");
    for i in &items {
        let id = i["id"].as_str().unwrap();
        let r =
            tester.api(Method::POST, &cl, &tt, Some(json!({"item": id, "verdict": "pass", "note": "確認済み"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.body);
    }
    assert_eq!(step("submit_findings", json!({})).await.status, StatusCode::OK);
    // a status list from before the label (kept to try it later)
    let before = t.client().get("/api/v1/labels/status-list").await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    t.app.clock.advance(2);
    let r = step("decide", json!({"decision": "pass", "comment": "全項目に適合"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // the label: listed, a DSSE envelope, verifiable offline
    let list = t.client().get("/api/v1/labels?status=active").await.json();
    let entry = list["items"].as_array().unwrap().iter().find(|i| i["product"] == "ラベル試験 カメラ").unwrap().clone();
    let id = entry["id"].as_i64().unwrap();
    assert_eq!(entry["status"], "active");
    assert_eq!(t.client().get("/api/v1/labels?status=lost").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let label = t.client().get(&format!("/api/v1/labels/{id}")).await;
    assert_eq!(label.status, StatusCode::OK);
    let env = label.json();
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(env["signatures"].as_array().unwrap().len(), 1);
    let root = t.client().get("/api/v1/trust-root").await.body;
    let status = t.client().get("/api/v1/labels/status-list").await;
    assert!(status.headers.get("etag").is_some());
    let (lf, rf, sf) = (
        files.put("label.json", label.body.as_bytes()),
        files.put("root.json", root.as_bytes()),
        files.put("status.json", status.body.as_bytes()),
    );
    let sbom_f = files.put("sbom.json", SBOM.as_bytes());
    let other_f = files.put("other.json", b"{}");
    let (code, out) = verify(&[&lf, "--trust-root", &rf, "--status", &sf, "--sbom", &sbom_f]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VALID") && out.contains("JC-STAR-STAR1") && out.contains("active"), "{out}");
    let (code, out) = verify(&[&lf, "--trust-root", &rf, "--sbom", &other_f]);
    assert_eq!(code, 6, "another SBOM: {out}");
    let old_list = files.put("before.json", before.body.as_bytes());
    let (code, out) = verify(&[&lf, "--trust-root", &rf, "--status", &old_list]);
    assert_eq!(code, 8, "a status list older than the label: {out}");
    assert!(out.contains("before the label was signed"), "{out}");
    // one changed byte in the signed statement
    let mut changed = env.clone();
    let payload = changed["payload"].as_str().unwrap().to_string();
    let flipped = match payload.strip_prefix('e') {
        Some(rest) => format!("f{rest}"),
        None => format!("e{}", &payload[1..]),
    };
    changed["payload"] = json!(flipped);
    let cf = files.put("changed.json", changed.to_string().as_bytes());
    let (code, out) = verify(&[&cf, "--trust-root", &rf]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("NOT VALID"), "{out}");
    let (code, _) = verify(&["/nonexistent.json", "--trust-root", &rf]);
    assert_eq!(code, 2);
    // the label page with its QR code; the status API
    let page = t.client().get(&format!("/labels/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("JC-STAR ★1") && page.body.contains("label verify"));
    assert!(t.client().get(&format!("/labels/{id}?lang=en")).await.body.contains("Verify it offline"));
    assert_eq!(t.client().get(&format!("/labels/{id}/qr.svg")).await.headers["content-type"], "image/svg+xml");
    assert_eq!(t.client().get(&format!("/api/v1/labels/{id}/status")).await.json()["status"], "active");
    assert_eq!(t.client().get("/api/v1/labels/999999").await.status, StatusCode::NOT_FOUND);

    // the vendor cannot suspend its own label; a reason is required
    let r = vendor.api(Method::POST, &format!("/api/v1/labels/{id}/suspend"), &vt, Some(json!({"reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r =
        tester.api(Method::POST, &format!("/api/v1/labels/{id}/reinstate"), &tt, Some(json!({"reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "an active label is not reinstated: {}", r.body);
    let r = tester.api(Method::POST, &format!("/api/v1/labels/{id}/suspend"), &tt, Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // the critical finding stays open: the watch suspends the label after 30 days, not before
    assert_eq!(t.app.verification().watch_labels().await.unwrap(), 0);
    t.app.clock.advance(31 * 86_400);
    assert_eq!(t.app.verification().watch_labels().await.unwrap(), 1);
    let st = t.client().get(&format!("/api/v1/labels/{id}/status")).await.json();
    assert_eq!(st["status"], "suspended", "{st}");
    assert!(st["reason"].as_str().unwrap().contains(&format!("KH-C{case}-001")), "{st}");
    let fresh = t.client().get("/api/v1/labels/status-list").await;
    let sf2 = files.put("status2.json", fresh.body.as_bytes());
    let (code, out) = verify(&[&lf, "--trust-root", &rf, "--status", &sf2]);
    assert_eq!(code, 7, "{out}");
    assert!(out.contains("suspended"), "{out}");
    // vendor and body were told, and it is in the audit trail
    let (_, n) = t.store.audit_search(&Default::default(), 500, 0).await.unwrap();
    assert!(n.iter().any(|e| e.action == "verification.suspend" && e.actor == "system"), "audited");
    let (_, notices) = t.store.notices("", 500, 0).await.unwrap();
    let told: Vec<i64> = notices
        .iter()
        .filter(|n| n.subject_ja.contains(&format!("検証ラベル #{id}")) && n.subject_ja.contains("一時停止"))
        .map(|n| n.org_id)
        .collect();
    let vendor_org = t.store.product(product).await.unwrap().vendor_org_id;
    assert!(told.contains(&center) && told.contains(&vendor_org), "vendor and body are told: {told:?}");
    // reinstated with a reason, then the office revokes the body's key: verification says when
    let r = tester
        .api(Method::POST, &format!("/api/v1/labels/{id}/reinstate"), &tt, Some(json!({"reason": "修正版を確認"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let keyid = env["signatures"][0]["keyid"].as_str().unwrap().to_string();
    let op = t.as_operator().await;
    let ot = op.create_token("o", &["verification:read", "verification:write"]).await;
    let r = op.api(Method::POST, &format!("/api/v1/keys/{keyid}/revoke"), &ot, Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let r = tester.api(Method::POST, &format!("/api/v1/keys/{keyid}/revoke"), &tt, Some(json!({"reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a tester does not administer keys (which are public): {}", r.body);
    let read_only = op.create_token("r", &["verification:read"]).await;
    let r =
        op.api(Method::POST, &format!("/api/v1/keys/{keyid}/revoke"), &read_only, Some(json!({"reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an operator's read-only token: {}", r.body);
    let r =
        op.api(Method::POST, &format!("/api/v1/keys/{keyid}/revoke"), &ot, Some(json!({"reason": "鍵の漏えい"}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let rf2 = files.put("root2.json", t.client().get("/api/v1/trust-root").await.body.as_bytes());
    let (code, out) = verify(&[&lf, "--trust-root", &rf2]);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("revoked at") && out.contains("鍵の漏えい"), "{out}");
    // the old trust root still names the key as good: the label it signed verifies against it
    assert_eq!(verify(&[&lf, "--trust-root", &rf]).0, 0);
    // … but the label was revoked with its key, and the fresh status list says so
    assert_eq!(t.client().get(&format!("/api/v1/labels/{id}/status")).await.json()["status"], "revoked");
    let sf3 = files.put("status3.json", t.client().get("/api/v1/labels/status-list").await.body.as_bytes());
    let (code, out) = verify(&[&lf, "--trust-root", &rf, "--status", &sf3]);
    assert_eq!(code, 7, "{out}");
    assert!(out.contains("revoked"), "{out}");
    // the keys page: the office rotates the body's key; a plain tester may not manage keys
    assert_eq!(t.login("tester@demo.kakehashi.jp").await.get("/my/keys").await.status, StatusCode::FORBIDDEN);
    let op = t.as_operator().await;
    let page = op.get("/my/keys").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&keyid) && page.body.contains("revoked"), "the revoked key is listed");
    let r = op.post_form("/my/keys", &[("action", "rotate"), ("org", &center.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let root = t.client().get("/api/v1/trust-root").await.json();
    let body_keys: Vec<&serde_json::Value> = root["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["owner"] == format!("urn:kakehashi:org:{center}") && k["revoked_at"].is_null())
        .collect();
    assert_eq!(body_keys.len(), 1, "a fresh key after the revoked one: {root}");
    let fresh = body_keys[0]["keyid"].as_str().unwrap().to_string();
    let r = op.post_form("/my/keys", &[("action", "revoke"), ("keyid", &fresh), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    assert!(r.body.contains("取り消す理由を入力してください"));
    // a product made private takes its labels off the public list and pages
    let form = [("name", "ラベル試験 カメラ"), ("category", "iot_device"), ("vuln_contact", "psirt@example.jp")];
    // (a new session: the clock moved a month since the first)
    let r = t.as_provider_admin().await.post_form(&format!("/my/products/{product}/edit"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        t.client().get(&format!("/api/v1/products/{product}")).await.status,
        StatusCode::NOT_FOUND,
        "now private: {:?}",
        r.headers.get("location")
    );
    assert!(!t.client().get("/api/v1/labels").await.body.contains("ラベル試験 カメラ"));
    assert_eq!(t.client().get(&format!("/labels/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.client().get(&format!("/api/v1/labels/{id}")).await.status, StatusCode::NOT_FOUND);
}

async fn checklists_loaded_by_the_office(db: Db) {
    let t = TestApp::spawn_with(db, options()).await;
    let op = t.as_operator().await;
    let ot = op.create_token("o", &["verification:read", "verification:write"]).await;
    let load = |text: String| {
        let t = &t;
        let ot = &ot;
        async move {
            let r = reqwest::Client::new()
                .post(t.url("/api/v1/checklists"))
                .bearer_auth(ot)
                .header("content-type", "application/toml")
                .body(text)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let base = "scheme = \"jc-star-2-router\"\nversion = \"1\"\ntitle = \"JC-STAR ★2 ルーター\"\ntitle_en = \"JC-STAR STAR-2 routers\"\n\
        level = \"JC-STAR-STAR2-ROUTER\"\nlevel_label = \"JC-STAR ★2\"\nlevel_label_en = \"JC-STAR STAR-2\"\n";
    let item = |id: &str, refs: &str| {
        format!(
            "[[items]]\nid = \"{id}\"\ntitle = \"項目 {id}\"\ntitle_en = \"Item {id}\"\nmethod = \"device\"\nrefs = [{refs}]\n"
        )
    };
    // duplicate ids: refused, nothing loaded
    let (s, body) = load(format!("{base}{}{}", item("R-01", ""), item("R-01", ""))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("duplicate item id R-01"), "{body}");
    // a reference to an item no checklist has
    let (s, body) = load(format!("{base}{}", item("R-01", "\"jc-star-1:S1.1-77\""))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("S1.1-77"), "{body}");
    let (s, _) = load("not = [toml".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.store.checklists().await.unwrap().len(), 0, "nothing loaded");
    // a good one, once
    let good = format!("{base}{}{}", item("R-01", "\"jc-star-1:S1.1-02\""), item("R-02", ""));
    let (s, body) = load(good.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _) = load(good).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // only the office loads
    let tester = t.login("tester@demo.kakehashi.jp").await;
    let tt = tester.create_token("t", &["verification:read", "verification:write"]).await;
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/checklists"))
        .bearer_auth(&tt)
        .header("content-type", "application/toml")
        .body(format!("{base}{}", item("X", "")).replace("version = \"1\"", "version = \"2\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

both_backends!(label_lifecycle);
both_backends!(checklists_loaded_by_the_office);

/// A pass and a failing verdict sent at the same time never both land: either the verdict comes
/// first and the pass is refused (the item fails), or the pass comes first and the verdict is
/// refused (the case is decided). The decision checks the verdicts and commits under one counter
/// that every checklist change takes in its own transaction. Five cases, each raced once.
async fn a_pass_and_a_failing_verdict_never_both_land(db: Db) {
    let t = TestApp::spawn_with(db, options()).await;
    let p = t.verification_parties().await;
    let product = t.new_product(&p, "競合試験 ルーター", "iot_device").await;
    t.push_sbom(&p.vt, product, "1.0.0", SBOM).await;
    let mut outcomes = Vec::new();
    for round in 0..5 {
        let case = case_in_progress(&p, product, &format!("round {round}")).await;
        let (tester, tt) = (&p.tester, &p.tt);
        let step = |action: &'static str, body: Value| async move {
            tester.api(Method::POST, &format!("/api/v1/cases/{case}/{action}"), tt, Some(body)).await
        };
        let cl = format!("/api/v1/cases/{case}/checklist");
        let r = tester.api(Method::POST, &cl, tt, Some(json!({"checklist": "jc-star-1@2025.1"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for i in r.json()["items"].as_array().unwrap() {
            let id = i["id"].as_str().unwrap();
            let r = tester
                .api(Method::POST, &cl, tt, Some(json!({"item": id, "verdict": "pass", "note": "確認済み"})))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.body);
        }
        assert_eq!(step("submit_findings", json!({})).await.status, StatusCode::OK);
        let fail = json!({"item": "S1.1-02", "verdict": "fail", "note": "初期パスワードが共通"});
        let (decided, verdict) = tokio::join!(
            step("decide", json!({"decision": "pass", "comment": "全項目に適合"})),
            tester.api(Method::POST, &cl, tt, Some(fail))
        );
        assert!(
            !(decided.status == StatusCode::OK && verdict.status == StatusCode::OK),
            "round {round}: both landed: the case passed with a failing item"
        );
        for r in [&decided, &verdict] {
            assert!(
                [StatusCode::OK, StatusCode::CONFLICT, StatusCode::FORBIDDEN].contains(&r.status),
                "round {round}: {} {}",
                r.status,
                r.body
            );
        }
        // what is stored agrees with what was answered
        let stored = tester.api(Method::GET, &cl, tt, None).await.json();
        let s102 =
            stored["items"].as_array().unwrap().iter().find(|i| i["id"] == "S1.1-02").unwrap()["verdict"].clone();
        assert_eq!(s102 == "fail", verdict.status == StatusCode::OK, "round {round}: {stored}");
        outcomes.push((decided.status, verdict.status));
    }
    eprintln!("race outcomes (decision, verdict): {outcomes:?}");
}

both_backends!(a_pass_and_a_failing_verdict_never_both_land);
