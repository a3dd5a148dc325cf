//! Expert reviews and the product map through the front door, on both databases: only experts
//! review (403 otherwise), HTML in a review is escaped, bad scores are refused naming each field
//! (the form keeps what was typed), the vendor replies once and may dispute, the office hides a
//! review with a public reason; the map groups, filters and exports.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn product_id(t: &TestApp, name: &str) -> i64 {
    let list = t.client().get("/api/v1/map").await.json();
    list["items"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap()["id"].as_i64().unwrap()
}

async fn reviews_end_to_end(db: Db) {
    let t = TestApp::spawn(db).await;
    let utm = product_id(&t, "セキュアゲート UTM-300").await;
    let lock = product_id(&t, "スマートロック SL-1").await;
    // the demo's reviews: candid, one replied to, one hidden by the office with its reason
    let r = t.client().get(&format!("/api/v1/products/{utm}/reviews")).await.json();
    assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
    assert!(r[0]["weaknesses"].as_str().unwrap().contains("管理画面"), "{r}");
    let hidden = t.client().get(&format!("/api/v1/products/{lock}/reviews")).await.json();
    assert_eq!(hidden[0]["hidden"], true);
    assert_eq!(hidden[0]["title"], "", "the public does not read a hidden review");
    assert!(hidden[0]["hidden_reason"].as_str().unwrap().contains("非表示"), "{hidden}");
    let page = t.client().get(&format!("/products/{lock}")).await;
    assert!(page.body.contains("制度事務局により非表示") && !page.body.contains("技術力が低い"));

    // only experts write reviews
    let expert = t.login("expert@demo.kakehashi.jp").await;
    let et = expert.create_token("e", &["verification:read", "verification:write"]).await;
    let vendor = t.as_provider_admin().await;
    let vt = vendor.create_token("v", &["verification:read", "verification:write"]).await;
    let tester = t.login("tester@demo.kakehashi.jp").await;
    let tt = tester.create_token("t", &["verification:read", "verification:write"]).await;
    let review = json!({"title": "<script>alert(1)</script>重い", "strengths": "<b>速い</b>", "weaknesses": "メモリを使う",
        "protection": 5, "performance": 2, "usability": 4});
    let path = format!("/api/v1/products/{utm}/reviews");
    for (who, token) in [(&vendor, &vt), (&tester, &tt)] {
        let r = who.api(Method::POST, &path, token, Some(review.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    assert_eq!(
        t.client().api(Method::POST, &path, "nope", Some(review.clone())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(vendor.get(&format!("/products/{utm}/reviews/new")).await.status, StatusCode::FORBIDDEN);
    // bad scores: every field named; the form keeps the typed values
    let mut bad = review.clone();
    bad["protection"] = json!(7);
    bad["usability"] = json!(-1);
    let r = expert.api(Method::POST, &path, &et, Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("protection") && r.body.contains("usability") && !r.body.contains("\"performance\""),
        "{}",
        r.body
    );
    let form = expert.get(&format!("/products/{utm}/reviews/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = expert
        .post_form(
            &format!("/products/{utm}/reviews"),
            &[
                ("title", "見出し"),
                ("strengths", "書いた長所"),
                ("protection", "9"),
                ("performance", "3"),
                ("usability", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("書いた長所") && r.body.contains("value=\"9\"") && r.body.contains("aria-invalid"), "kept");
    // a private product (or none): not found
    let r = vendor
        .api(
            Method::POST,
            "/api/v1/products",
            &vt,
            Some(json!({"name": "非公開の試作機", "category": "iot_device",
            "vuln_contact": "psirt@example.jp", "public": false})),
        )
        .await;
    let private = r.json()["id"].as_i64().unwrap();
    let r = expert.api(Method::POST, &format!("/api/v1/products/{private}/reviews"), &et, Some(review.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = expert.api(Method::POST, "/api/v1/products/999999/reviews", &et, Some(review.clone())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // published; HTML escaped on the page
    let r = expert.api(Method::POST, &path, &et, Some(review.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid = r.json()["id"].as_i64().unwrap();
    let page = t.client().get(&format!("/products/{utm}")).await.body;
    let at = page.find("alert(1)").map(|i| page[i.saturating_sub(40)..(i + 40).min(page.len())].to_string());
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;重い") && !page.contains("<script>alert(1)"),
        "escaped: {at:?}"
    );
    assert!(page.contains("&#60;b&#62;速い&#60;/b&#62;"));

    // the vendor replies once; another vendor cannot
    let act = |id: i64, action: &str| format!("/api/v1/product-reviews/{id}/{action}");
    let own = vendor.api(Method::POST, &act(rid, "reply"), &vt, Some(json!({"text": "改善します"}))).await;
    assert_eq!(own.status, StatusCode::NO_CONTENT, "{}", own.body);
    let r = tester.api(Method::POST, &act(rid, "reply"), &tt, Some(json!({"text": "検証機関です"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "not the vendor");
    let again = vendor.api(Method::POST, &act(rid, "reply"), &vt, Some(json!({"text": "もう一度"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let empty = vendor.api(Method::POST, &act(rid, "dispute"), &vt, Some(json!({"text": "  "}))).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = vendor.api(Method::POST, &act(rid, "dispute"), &vt, Some(json!({"text": "数値の根拠が不明です"}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (_, notices) = t.store.notices("", 500, 0).await.unwrap();
    let office = t.org_id("事務局（デモ）").await;
    assert!(notices.iter().any(|n| n.org_id == office && n.subject_ja.contains("異議")), "the office is told");
    // only the office hides, with a public reason
    let r = vendor.api(Method::POST, &act(rid, "hide"), &vt, Some(json!({"text": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let op = t.as_operator().await;
    let ot = op.create_token("o", &["verification:read", "verification:write"]).await;
    let r = op
        .api(Method::POST, &act(rid, "hide"), &ot, Some(json!({"text": "根拠の確認が取れるまで非表示にします"})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = op.api(Method::POST, &act(rid, "hide"), &ot, Some(json!({"text": "again"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let list = t.client().get(&format!("/api/v1/products/{utm}/reviews")).await.json();
    let mine = list.as_array().unwrap().iter().find(|x| x["id"] == rid).unwrap().clone();
    assert_eq!((mine["hidden"].as_bool(), mine["title"].as_str()), (Some(true), Some("")));
    assert_eq!(t.client().get("/api/v1/products/999999/reviews").await.status, StatusCode::NOT_FOUND);
}

async fn product_map(db: Db) {
    let t = TestApp::spawn(db).await;
    let page = t.client().get("/map").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("UTM・ファイアウォール") && page.body.contains("セキュアゲート UTM-300"), "grouped");
    assert!(page.body.contains("防御 6.0"), "review scores on the map");
    let en = t.client().get("/map?lang=en").await;
    assert!(en.body.contains("Product map") && en.body.contains("UTM / firewall"));
    let iot = t.client().get("/api/v1/map?category=iot_device").await.json();
    assert!(iot["total"].as_u64().unwrap() >= 2, "{iot}");
    assert!(iot["items"].as_array().unwrap().iter().all(|i| i["category"] == "iot_device"));
    let utm = iot["items"].as_array().unwrap().iter().all(|i| i["name"] != "セキュアゲート UTM-300");
    assert!(utm);
    let all = t.client().get("/api/v1/map").await.json();
    let u = all["items"].as_array().unwrap().iter().find(|i| i["name"] == "セキュアゲート UTM-300").unwrap().clone();
    assert_eq!(
        (u["subcategory"].as_str(), u["reviews"].as_i64(), u["protection"].as_f64()),
        (Some("utm"), Some(1), Some(6.0))
    );
    // no labels without the shared data's SBOMs: the labelled filter leaves nothing
    assert_eq!(t.client().get("/api/v1/map?labelled=1").await.json()["total"], 0);
    assert_eq!(t.client().get("/api/v1/map?category=boats").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = t.client().get("/map?status=famous").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("検証状況が正しくありません"));
    let csv = t.client().get("/map.csv?category=iot_device").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}') && csv.body.contains("id,name,name_en,vendor,category,subcategory"));
    assert!(csv.body.contains("router") && !csv.body.contains("セキュアゲート"));
    // a private product is on no map
    assert!(!all.to_string().contains("次期 IoT カメラ"));
    // labels list page
    assert_eq!(t.client().get("/labels").await.status, StatusCode::OK);
    assert_eq!(t.client().get("/labels?status=lost").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

both_backends!(reviews_end_to_end, product_map);
