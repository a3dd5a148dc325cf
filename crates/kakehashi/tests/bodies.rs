//! Verification bodies apply to be trusted and the program office reviews them, through the front
//! door on both databases: the application against the criteria (mistakes keep what was typed),
//! the office's review per criterion (approval blocked while one is unmet, a validity date typed
//! in full-width digits), the public list and the case requests that follow the body's standing
//! (suspended: unlisted and refused; reinstated: back), a return with the office's notes, and who
//! may do what.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ANSWERS: [(&str, &str); 6] = [
    ("people", "情報処理安全確保支援士 3 名、OSCP 2 名（経験 5 年以上）"),
    ("tools", "Burp Suite、独自ファジング環境、電波暗室"),
    ("process", "計画書 → 実施 → 報告書 → 品質責任者のレビュー"),
    ("attack_data", "JVN・NVD の購読、自社の攻撃データセット（月次更新）"),
    ("manual", "検証業務マネジメントマニュアル 第3版（代表取締役承認）"),
    ("security", "ISO/IEC 27001 認証取得、検体は施錠保管"),
];

async fn new_body(t: &TestApp, name: &str, email: &str) -> (i64, Client) {
    let org = t.app.create_org("test", domain::OrgKind::VerificationBody, name, "").await.unwrap();
    (org, t.member(org, email, "申請 担当", domain::MembershipRole::Admin).await)
}

fn application<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("kinds", "white_hat"), ("categories", "iot_device"), ("summary", "IoT 機器の実攻撃検証")];
    f.extend(ANSWERS);
    f.extend_from_slice(extra);
    f
}

async fn a_body_applies_and_the_office_reviews_it(db: Db) {
    let t = TestApp::spawn(db).await;
    let (org, body) = new_body(&t, "北海道セキュリティ検証所（架空）", "lab@hokkaido.example.jp").await;
    let office = t.as_operator().await;

    // the body's page: not applied yet, the form with the criteria
    let page = body.get("/my/body").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("未申請")
            && page.body.contains("攻撃データセット")
            && page.body.contains("マネジメントマニュアル")
    );

    // a mistake: criteria left empty, script typed; the form comes back with what was typed
    let r = body
        .post_form(
            "/my/body",
            &[("kinds", "white_hat"), ("summary", "<script>alert(1)</script>"), ("people", "支援士 3 名")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("支援士 3 名") && r.body.contains("&#60;script&#62;alert(1)"),
        "typed values kept, escaped"
    );
    assert!(!r.body.contains("<script>alert(1)</script>"));
    assert!(r.body.contains("aria-describedby=\"attack_data-err\"") && r.body.contains("href=\"#categories\""));
    assert!(r.body.contains("value=\"white_hat\" checked"), "the chosen kind stays chosen");

    // the application; the public does not see an applicant
    let r = body.post_form("/my/body", &application(&[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(body.get("/my/body").await.body.contains("審査中"));
    assert!(!t.client().get("/bodies").await.body.contains("北海道セキュリティ検証所"));
    let list = office.get("/admin/bodies").await;
    assert!(list.body.contains("北海道セキュリティ検証所") && list.body.contains("審査中"));
    // a second application while one is under review is refused
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::CONFLICT);

    // only the office reviews
    let path = format!("/admin/bodies/{org}");
    assert_eq!(body.post_form(&path, &[("action", "approve")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(body.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.as_sme().await.get("/admin/bodies").await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.login("tester@demo.kakehashi.jp").await.get("/my/body").await.status, StatusCode::OK);
    assert_eq!(t.as_provider_admin().await.get("/my/body").await.status, StatusCode::FORBIDDEN, "not a body");

    // an office token without the operate scope decides nothing
    let read_only = office.create_token("r", &["verification:read"]).await;
    let r = office
        .http
        .post(t.url(&path))
        .bearer_auth(&read_only)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=reject&comment=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // approval with a criterion unmet: 409, the page keeps the verdicts and notes typed
    let page = office.get(&path).await;
    assert!(page.body.contains("ISO/IEC 27001") && page.body.contains("name=\"note_attack_data\""));
    let mut partial: Vec<(&str, &str)> = vec![("action", "approve"), ("valid_until", "2029-03-31")];
    partial.extend(["people", "tools", "process", "manual", "security"].map(|c| ("met", c)));
    partial.push(("note_attack_data", "更新手順の記録がない"));
    let r = office.post_form(&path, &partial).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("攻撃データセット") && r.body.contains("value=\"更新手順の記録がない\""), "{}", r.body);
    assert!(r.body.contains("value=\"people\" checked"));
    // every criterion met but no validity date: 422
    let mut all: Vec<(&str, &str)> = vec![("action", "approve")];
    all.extend(ANSWERS.map(|(c, _)| ("met", c)));
    let r = office.post_form(&path, &all).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("aria-describedby=\"valid_until-err\""));
    // approved, with the date typed in full-width digits
    let mut ok = all.clone();
    ok.push(("valid_until", "２０２９－０３－３１"));
    let r = office.post_form(&path, &ok).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let public = t.client().get("/bodies").await;
    assert!(public.body.contains("北海道セキュリティ検証所") && public.body.contains("2029-03-31"), "{}", public.body);
    let mine = body.get("/my/body").await;
    assert!(mine.body.contains("信頼済み") && mine.body.contains("適合"));

    // a vendor can now ask it for a white-hat verification of an IoT device
    let vendor = t.as_provider_admin().await;
    let vt = vendor.create_token("v", &["verification:read", "verification:write"]).await;
    let r = vendor
        .api(
            Method::POST,
            "/api/v1/products",
            &vt,
            Some(json!({"name": "機関試験 カメラ", "category": "iot_device",
            "vuln_contact": "psirt@example.jp", "public": true})),
        )
        .await;
    let product = r.json()["id"].as_i64().unwrap();
    let ask = json!({"body_org_id": org, "kind": "white_hat", "note": "お願いします"});
    let r = vendor.api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // outside its scope: refused
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{product}/cases"),
            &vt,
            Some(json!({"body_org_id": org, "kind": "trial", "note": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // suspension needs a reason; then it is unlisted, takes no request, and tells the body why
    let r = office.post_form(&path, &[("action", "suspend")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = office.post_form(&path, &[("action", "suspend"), ("comment", "品質責任者が不在のため")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!t.client().get("/bodies").await.body.contains("北海道セキュリティ検証所"));
    let r = vendor.api(Method::POST, &format!("/api/v1/products/{product}/cases"), &vt, Some(ask.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let mine = body.get("/my/body").await;
    assert!(mine.body.contains("一時停止") && mine.body.contains("品質責任者が不在のため"));
    // approving a suspended body is not a step the lifecycle has
    assert_eq!(office.post_form(&path, &ok).await.status, StatusCode::CONFLICT);
    // reinstated: listed again
    let r = office.post_form(&path, &[("action", "reinstate")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(t.client().get("/bodies").await.body.contains("北海道セキュリティ検証所"));
    let history = office.get(&path).await;
    assert!(history.body.contains("一時停止する") && history.body.contains("停止を解除する"));
    // within its validity the body does not apply again
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::CONFLICT);
    // past it: unlisted, and it applies again (and is not merely reinstated)
    t.app.clock.advance(4 * 366 * 86_400);
    assert!(!t.client().get("/bodies").await.body.contains("北海道セキュリティ検証所"), "expired");
    // (four years on, everyone signs in again)
    let office = t.as_operator().await;
    let body = t.login("lab@hokkaido.example.jp").await;
    let r = office.post_form(&path, &[("action", "suspend"), ("comment", "期限切れ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with(&path), "{}", r.location());
    assert_eq!(office.post_form(&path, &[("action", "reinstate")]).await.status, StatusCode::CONFLICT);
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::SEE_OTHER);
    assert!(office.get("/admin/bodies").await.body.contains("審査中"));
}

async fn a_returned_application_shows_the_office_notes(db: Db) {
    let t = TestApp::spawn(db).await;
    let (org, body) = new_body(&t, "瀬戸内ラボ（架空）", "lab@setouchi.example.jp").await;
    let office = t.as_operator().await;
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::SEE_OTHER);
    let path = format!("/admin/bodies/{org}");
    // return without a reason: 422, with one: the body sees it with the note per criterion
    let r = office.post_form(&path, &[("action", "return"), ("met", "people")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = office
        .post_form(
            &path,
            &[
                ("action", "return"),
                ("met", "people"),
                ("note_tools", "校正記録を添えてください"),
                ("comment", "ツールの管理状況を補ってください"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = body.get("/my/body").await;
    assert!(mine.body.contains("差戻し") && mine.body.contains("ツールの管理状況を補ってください"));
    assert!(mine.body.contains("校正記録を添えてください"), "the office's note on the criterion");
    assert!(mine.body.contains("Burp Suite"), "the earlier answers are there to correct");
    // applies again; rejection needs a reason and can be applied after
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        office.post_form(&path, &[("action", "reject"), ("comment", "体制が不十分")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(body.get("/my/body").await.body.contains("不承認"));
    assert_eq!(body.post_form("/my/body", &application(&[])).await.status, StatusCode::SEE_OTHER);
    // an unknown action, an unknown body
    assert_eq!(office.post_form(&path, &[("action", "bless")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(office.get("/admin/bodies/999999").await.status, StatusCode::NOT_FOUND);
    // the English page
    let en = body.get("/my/body?lang=en").await;
    assert!(en.body.contains("Attack data sets") && en.body.contains("Under review"));
}

both_backends!(a_body_applies_and_the_office_reviews_it, a_returned_application_shows_the_office_notes);
