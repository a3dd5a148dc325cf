//! Verification cases through the front door, on both databases: the trusted bodies' public list,
//! a vendor's request, the body's plan, testing, the claims table that blocks a decision, the
//! decision with reasons, the vendor's consent to publish; who may do what (the lifecycle's
//! parties), 404 for a tester of another body, and the bad inputs.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn tokens(t: &TestApp) -> (Client, String, Client, String) {
    let vendor = t.as_provider_admin().await;
    let vt = vendor.create_token("v", &["verification:read", "verification:write"]).await;
    let tester = t.login("tester@demo.kakehashi.jp").await;
    let tt = tester.create_token("t", &["verification:read", "verification:write"]).await;
    (vendor, vt, tester, tt)
}

async fn body_id(t: &TestApp, name: &str) -> i64 {
    t.org_id(name).await
}

async fn demo_cases_and_who_sees_them(db: Db) {
    let t = TestApp::spawn(db).await;
    // the public list of trusted bodies, with scopes
    let page = t.client().get("/bodies").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("日本IoT検証センター")
            && page.body.contains("サイバー実証ラボ")
            && page.body.contains("実環境試行検証")
    );
    let en = t.client().get("/bodies?lang=en").await;
    assert!(en.body.contains("Japan IoT Verification Center") && en.body.contains("Control system (ICS)"));

    let (vendor, vt, tester, tt) = tokens(&t).await;
    let mine = vendor.get("/cases").await;
    assert_eq!(mine.status, StatusCode::OK);
    let cases: Vec<i64> = (1..=8).collect();
    // the published case is public; the others are not even known to outsiders
    let published = t.client().get("/api/v1/cases/1").await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert_eq!(published.json()["state"], "published");
    assert!(published.json()["history"].as_array().unwrap().is_empty(), "the public does not see the history");
    for id in &cases[1..] {
        assert_eq!(t.client().get(&format!("/api/v1/cases/{id}")).await.status, StatusCode::NOT_FOUND, "case {id}");
        // the demo SME hosts the tablet's trial (case 3): it knows that one, no other
        let sme = if *id == 3 { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(t.as_sme().await.get(&format!("/cases/{id}")).await.status, sme, "case {id}");
    }
    // the tester of body 1 sees body 1's cases; a case of body 2 is 404 to them
    let smart_lock = tester.api(Method::GET, "/api/v1/cases/4", &tt, None).await;
    assert_eq!(smart_lock.status, StatusCode::OK);
    assert!(smart_lock.json()["actions"].as_array().unwrap().iter().any(|a| a == "decide"));
    let page = tester.get("/cases/4").await;
    assert!(page.body.contains("KH-C4-001") && page.body.contains("管理画面の認証回避"), "the demo tester's findings");
    assert!(!t.client().get("/api/v1/products/4").await.body.contains("KH-C4-"), "not public before publication");
    let router = tester.api(Method::GET, "/api/v1/cases/2", &tt, None).await;
    assert_eq!(router.status, StatusCode::NOT_FOUND, "a tester of another body: {}", router.body);
    assert_eq!(tester.get("/cases/2").await.status, StatusCode::NOT_FOUND);
    // the vendor sees its case and may consent only where the lifecycle lets it
    let utm_vendor = vendor.api(Method::GET, "/api/v1/cases/5", &vt, None).await;
    assert_eq!(utm_vendor.status, StatusCode::NOT_FOUND, "case 5 is another vendor's product");
    let r = vendor.api(Method::GET, "/api/v1/cases/2", &vt, None).await;
    assert_eq!(r.status, StatusCode::OK);
    // a token without verification:read sees what the public sees: 404, not 403
    let registry_only = vendor.create_token("r", &["registry:read"]).await;
    assert_eq!(vendor.api(Method::GET, "/api/v1/cases/2", &registry_only, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(vendor.api(Method::GET, "/api/v1/cases/1", &registry_only, None).await.status, StatusCode::OK);
    assert_eq!(r.json()["actions"], json!(["withdraw"]), "{}", r.body);
    // the list's verification status filter, from the cases
    let verified = t.client().get("/api/v1/products?status=verified").await.json();
    let names: Vec<&str> = verified["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["セキュアゲート UTM-300"], "{verified}");
    assert_eq!(verified["items"][0]["verification"], "verified");
    // cases under way are not public, so the list does not reveal them
    let not_yet = t.client().get("/api/v1/products?status=none").await.json();
    assert_eq!(not_yet["total"], 5, "{not_yet}");
    assert!(not_yet["items"].as_array().unwrap().iter().all(|i| i["verification"] == "none"));
    assert_eq!(
        t.client().get("/api/v1/products?status=in_verification").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = t.client().get("/products?status=verified").await;
    assert!(page.body.contains("検証済み") && page.body.contains("UTM-300"));
    // the product page lists the published case for everyone
    let p = t.client().get("/products/1").await;
    assert!(p.body.contains("/cases/1") && !p.body.contains("/cases/6"), "{}", p.body);
}

async fn effectiveness_case_end_to_end(db: Db) {
    let t = TestApp::spawn(db).await;
    let (vendor, vt, tester, tt) = tokens(&t).await;
    let center = body_id(&t, "日本IoT検証センター").await;
    let lab = body_id(&t, "サイバー実証ラボ").await;
    let r = vendor
        .api(Method::POST, "/api/v1/products", &vt, Some(json!({"name": "案件試験 ゲートウェイ", "category": "software",
            "claims": ["不正なログインを遮断する", "通信を暗号化する"], "vuln_contact": "psirt@example.jp", "public": true})))
        .await;
    let product = r.json()["id"].as_i64().unwrap();

    // bad requests: a body whose scope does not cover software, an unknown kind, no body
    let ask = |body: i64, kind: &str| json!({"body_org_id": body, "kind": kind, "note": "お願いします"});
    let r = vendor
        .api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask(lab, "effectiveness")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r =
        vendor.api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask(center, "audit"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        vendor.api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask(999_999, "trial"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // a tester cannot request for a vendor
    let r = tester
        .api(Method::POST, &format!("/api/v1/products/{product}/cases"), &tt, Some(ask(center, "effectiveness")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = vendor
        .api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask(center, "effectiveness")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["state"], "requested");
    async fn step_of(who: &Client, token: &str, case: i64, action: &str, body: Value) -> Resp {
        who.api(Method::POST, &format!("/api/v1/cases/{case}/{action}"), token, Some(body)).await
    }
    let step = |who, token, action, body| step_of(who, token, case, action, body);
    // only the body scopes; the vendor may not; a step the lifecycle does not allow is 409
    assert_eq!(step(&vendor, &vt, "scope", json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        step(&tester, &tt, "decide", json!({"decision": "pass", "comment": "x"})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(step(&tester, &tt, "nonsense", json!({})).await.status, StatusCode::NOT_FOUND);
    let r = step(&tester, &tt, "scope", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = r.json()["plan"]["claims"].as_array().unwrap().clone();
    assert_eq!(claims.len(), 2, "the claims table comes from the product");
    assert_eq!(step(&tester, &tt, "start", json!({})).await.status, StatusCode::OK);
    assert_eq!(step(&tester, &tt, "submit_findings", json!({})).await.status, StatusCode::OK);
    // a claim with no evidence blocks the decision
    let r = step(&tester, &tt, "decide", json!({"decision": "pass", "comment": "良好"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("不正なログインを遮断する"), "the untraced claims are named: {}", r.body);
    assert_eq!(step(&tester, &tt, "resume", json!({})).await.status, StatusCode::OK);
    // a tester's finding, while testing: checked, scored from its CVSS vector
    let add = |b: Value| {
        let (tester, tt) = (&tester, tt.clone());
        async move { tester.api(Method::POST, &format!("/api/v1/cases/{case}/findings"), &tt, Some(b)).await }
    };
    let r = add(json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["title", "description", "reproduction", "vector"]);
    let finding = json!({"title": "管理画面の認証回避", "description": "細工した Cookie で管理画面に入れる",
        "reproduction": "1. Cookie admin=1 を付けて /admin を開く", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"});
    let r = add(json!({"title": "x", "description": "x", "reproduction": "x", "vector": "CVSS:3.1/AV:X"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // the vendor cannot record the body's findings
    let r = vendor.api(Method::POST, &format!("/api/v1/cases/{case}/findings"), &vt, Some(finding.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // no version yet: the finding needs one
    let r = add(finding.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let sbom = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}]}"#;
    let pushed = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/products/{product}/versions/2.0/sbom")))
        .bearer_auth(&vt)
        .header("content-type", "application/json")
        .body(sbom)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::ACCEPTED);
    let r = add(finding.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let label = r.json()["advisory_id"].as_str().unwrap().to_string();
    let fid = r.json()["id"].as_i64().unwrap();
    assert_eq!(label, format!("KH-C{case}-001"));
    let r = add(
        json!({"title": "Wi-Fi の弱い設定", "description": "WPA2 の PSK が既定値", "reproduction": "既定値で接続する",
        "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // while testing, neither the public nor the vendor sees them (pages, counts, direct links)
    let public = t.client().get(&format!("/api/v1/products/{product}")).await.json();
    assert!(!public.to_string().contains(&label), "{public}");
    assert_eq!(t.client().get(&format!("/products/{product}/findings/{fid}")).await.status, StatusCode::NOT_FOUND);
    let own = vendor.api(Method::GET, &format!("/api/v1/products/{product}"), &vt, None).await.json();
    assert!(!own.to_string().contains(&label));
    // a vendor's VEX naming the hidden finding neither touches nor reveals it
    let vex = json!({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": label.clone()}, "status": "not_affected", "justification": "component_not_present"}]});
    let r = vendor.api(Method::POST, &format!("/api/v1/products/{product}/versions/2.0/vex"), &vt, Some(vex)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.json()["applied"].as_i64(), r.json()["unmatched"].as_i64()), (Some(0), Some(1)), "{}", r.body);
    // a body token without verification:read sees what the public sees
    let no_read = tester.create_token("w", &["verification:write"]).await;
    let r = tester.api(Method::GET, &format!("/products/{product}/findings/{fid}"), &no_read, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // the tester sees them on the case and their page
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains(&label) && page.body.contains("管理画面の認証回避"));
    let fpage = tester.get(&format!("/products/{product}/findings/{fid}")).await;
    assert_eq!(fpage.status, StatusCode::OK);
    assert!(
        fpage.body.contains("CVSS:3.1/AV:N") && fpage.body.contains("9.8") && fpage.body.contains("Cookie admin=1")
    );
    // the claims table from the case page's form
    let r = tester
        .post_form(
            &format!("/cases/{case}/claims"),
            &[
                ("evidence", "T-001 ログイン試験"),
                ("result", "met"),
                ("evidence", "T-002 通信試験"),
                ("result", "partly"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(step(&tester, &tt, "submit_findings", json!({})).await.status, StatusCode::OK);
    // in the findings review the vendor sees the tester's findings (and may triage them); the public still not
    let own = vendor.api(Method::GET, &format!("/api/v1/products/{product}"), &vt, None).await.json();
    let mine = own["findings"].as_array().unwrap().iter().find(|f| f["advisory_id"] == label.as_str()).cloned();
    assert_eq!(mine.as_ref().map(|f| f["severity"].clone()), Some(json!("critical")), "{own}");
    assert_eq!(mine.as_ref().map(|f| f["source"].clone()), Some(json!("manual")));
    assert!(!t.client().get(&format!("/api/v1/products/{product}")).await.body.contains(&label));
    let l = t.client().get("/api/v1/products?q=%E6%A1%88%E4%BB%B6%E8%A9%A6%E9%A8%93").await.json();
    assert_eq!(l["items"][0]["findings"]["critical"], 0, "public counts leave out unpublished cases: {l}");
    // the decision needs a reason and a valid outcome
    assert_eq!(
        step(&tester, &tt, "decide", json!({"decision": "pass"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        step(&tester, &tt, "decide", json!({"decision": "great", "comment": "x"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = step(&tester, &tt, "decide", json!({"decision": "conditional", "comment": "暗号化は一部の通信のみ"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.json()["state"].as_str(), r.json()["decision"].as_str()), (Some("decided"), Some("conditional")));
    // not public until the vendor consents; the body cannot consent for it
    assert_eq!(t.client().get(&format!("/cases/{case}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(step(&tester, &tt, "publish", json!({})).await.status, StatusCode::FORBIDDEN);
    let r = step(&vendor, &vt, "publish", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let public = t.client().get(&format!("/cases/{case}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("条件付き合格") && public.body.contains("T-002 通信試験"), "{}", public.body);
    assert!(public.body.contains(&label), "published: the case's findings are public");
    let l = t.client().get("/api/v1/products?q=%E6%A1%88%E4%BB%B6%E8%A9%A6%E9%A8%93").await.json();
    assert_eq!(l["items"][0]["findings"]["critical"], 1, "{l}");
    assert_eq!(t.client().get(&format!("/products/{product}/findings/{fid}")).await.status, StatusCode::OK);
    // the history names who did what, with the reasons
    let d = vendor.api(Method::GET, &format!("/api/v1/cases/{case}"), &vt, None).await.json();
    let actions: Vec<&str> = d["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["request", "scope", "start", "submit_findings", "resume", "submit_findings", "decide", "publish"]
    );
    assert!(
        d["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["comment"] == "暗号化は一部の通信のみ" && h["actor"] == "検証 次郎")
    );
    // the vendor was told along the way
    assert!(vendor.get("/my").await.body.contains("検証案件"), "notices to the vendor");
}

async fn withdraw_and_cancel_need_reasons(db: Db) {
    let t = TestApp::spawn(db).await;
    let (vendor, vt, tester, tt) = tokens(&t).await;
    // case 6: the demo vendor's log agent, requested from body 1
    let r = vendor.api(Method::POST, "/api/v1/cases/6/withdraw", &vt, Some(json!({"comment": ""}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // the page form keeps what was typed when something is wrong (a reason missing on cancel)
    let r = tester.post_form("/cases/6/cancel", &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = tester.api(Method::POST, "/api/v1/cases/6/cancel", &tt, Some(json!({"comment": "試験環境の都合"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "cancelled");
    let r = vendor.api(Method::POST, "/api/v1/cases/6/withdraw", &vt, Some(json!({"comment": "x"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing moves a cancelled case");
    // a request through the product page's form
    let body = body_id(&t, "日本IoT検証センター").await.to_string();
    let r = vendor
        .post_form(
            "/my/products/2/cases",
            &[("body_org_id", &body), ("kind", "white_hat"), ("version", ""), ("note", "<script>x</script>")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = vendor.get(r.location().split('?').next().unwrap()).await;
    assert!(page.body.contains("&#60;script&#62;x") && !page.body.contains("<script>x"), "escaped");
    let id = r.location().trim_start_matches("/cases/").split('?').next().unwrap().to_string();
    // a private product: the body scopes its effectiveness case from the product's claims and
    // opens its own findings' pages, while the product stays 404 to it otherwise
    let r = vendor
        .api(
            Method::POST,
            "/api/v1/products",
            &vt,
            Some(json!({"name": "非公開 案件試験", "category": "iot_device",
            "claims": ["暗号化する"], "vuln_contact": "psirt@example.jp", "public": false})),
        )
        .await;
    let private = r.json()["id"].as_i64().unwrap();
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{private}/cases"),
            &vt,
            Some(json!({"body_org_id": body.parse::<i64>().unwrap(), "kind": "effectiveness"})),
        )
        .await;
    let pcase = r.json()["id"].as_i64().unwrap();
    assert_eq!(tester.get(&format!("/products/{private}")).await.status, StatusCode::NOT_FOUND);
    let r = tester.api(Method::POST, &format!("/api/v1/cases/{pcase}/scope"), &tt, Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["plan"]["claims"][0]["claim"], "暗号化する");
    tester.api(Method::POST, &format!("/api/v1/cases/{pcase}/start"), &tt, Some(json!({}))).await;
    let sbom = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}]}"#;
    let up = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/products/{private}/versions/1.0/sbom")))
        .bearer_auth(&vt)
        .header("content-type", "application/json")
        .body(sbom)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::ACCEPTED);
    let r = tester
        .api(
            Method::POST,
            &format!("/api/v1/cases/{pcase}/findings"),
            &tt,
            Some(json!({"title": "t", "description": "d",
            "reproduction": "r", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pf = r.json()["id"].as_i64().unwrap();
    assert_eq!(tester.get(&format!("/products/{private}/findings/{pf}")).await.status, StatusCode::OK);
    assert_eq!(t.client().get(&format!("/products/{private}/findings/{pf}")).await.status, StatusCode::NOT_FOUND);
    // white-hat scoping needs the rules of engagement
    let r = tester.post_form(&format!("/cases/{id}/scope"), &[("scope", "管理画面"), ("time_windows", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"\"") && r.body.contains("管理画面"), "what was typed is kept");
    let r = tester
        .post_form(
            &format!("/cases/{id}/scope"),
            &[
                ("scope", "管理画面"),
                ("time_windows", "平日昼"),
                ("allowed_techniques", "ファジング"),
                ("stages", "sbom"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The office's priority queue: IoT devices and control systems ranked by the four attributes
/// under its weights, each score explained; open findings count; only the office may see it.
async fn priorities_are_ranked_and_explained(db: Db) {
    let t = TestApp::spawn(db).await;
    let office = t.as_operator().await;
    let token = office.create_token("ops", &["registry:operate"]).await;
    let q = office.api(Method::GET, "/api/v1/priorities", &token, None).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let list = q.json();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 5, "router, tablet, smart lock, plant gateway, camera: {list}");
    for it in items {
        let sum: u64 = it["explanation"].as_array().unwrap().iter().map(|p| p["points"].as_u64().unwrap()).sum();
        assert_eq!(sum, it["score"].as_u64().unwrap(), "the parts add up: {it}");
    }
    let scores: Vec<u64> = items.iter().map(|i| i["score"].as_u64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "highest first: {scores:?}");
    // the smart lock's testers' high finding (CVSS 8.8) is the fifth signal
    let lock = items.iter().find(|i| i["name"] == "スマートロック SL-1").unwrap();
    let f = lock["explanation"].as_array().unwrap().iter().find(|p| p["signal"] == "findings").unwrap();
    assert_eq!(f["level"], 1, "{lock}");
    // the office's weights decide: physical impact alone puts the lock and the gateway first
    let r = office
        .post_form(
            "/admin/priorities/weights",
            &[("data", "0"), ("physical", "10"), ("connectivity", "0"), ("investment", "0"), ("findings", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let top: Vec<String> = office.api(Method::GET, "/api/v1/priorities", &token, None).await.json().as_array().unwrap()
        [..2]
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(top, vec!["スマートロック SL-1", "プラント監視ゲートウェイ PG-7"]);
    // rating a product moves it: the router's physical impact raised to 3 joins the top (ties by id)
    let router =
        items.iter().find(|i| i["name"] == "ホクト 家庭用ルーター HR-200").unwrap()["product_id"].as_i64().unwrap();
    let r = office
        .post_form(
            &format!("/admin/priorities/{router}"),
            &[("data", "0"), ("physical", "3"), ("connectivity", "0"), ("investment", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let first = office.api(Method::GET, "/api/v1/priorities", &token, None).await.json()[0]["name"].clone();
    assert_eq!(first, "ホクト 家庭用ルーター HR-200");
    let page = office.get("/admin/priorities").await;
    assert!(page.body.contains("物理世界への影響") && page.body.contains("× 重み 10 = 30"), "{}", page.body);
    // nobody else: vendor, tester, the public
    assert_eq!(t.as_provider_admin().await.get("/admin/priorities").await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.login("tester@demo.kakehashi.jp").await.get("/api/v1/priorities").await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.client().get("/api/v1/priorities").await.status, StatusCode::UNAUTHORIZED);
    let r = t.as_sme().await.post_form("/admin/priorities/weights", &[("physical", "0")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

both_backends!(
    priorities_are_ranked_and_explained,
    demo_cases_and_who_sees_them,
    effectiveness_case_end_to_end,
    withdraw_and_cancel_need_reasons
);
