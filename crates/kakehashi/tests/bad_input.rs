//! Every bad input the registry issue names: a clear message, a 4xx, nothing stored lost.

mod common;

use common::*;
use reqwest::{Method, StatusCode};

const BODY_NAME: &str = "日本セキュリティサービス審査協会";

async fn my_count(t: &TestApp) -> usize {
    let org = t.org_id("北斗セキュリティ").await;
    t.store.services_of_provider(domain::OrgId(org)).await.unwrap().len()
}

async fn malformed_and_incomplete_forms(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let c = t.login("provider@demo.kakehashi.jp").await;
    let before = my_count(&t).await;
    // incomplete: name, specification and experts missing; bad price
    let mut f = application_fields("", &body_id);
    f.retain(|(k, _)| !matches!(*k, "specification" | "expert_name" | "expert_qualification" | "expert_expires_on"));
    for x in f.iter_mut() {
        if x.0 == "price_min" {
            x.1 = "abc";
        }
    }
    let r = c.post_form("/my/services", &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "サービス名を入力してください",
        "サービス仕様を入力してください",
        "資格を持つ専門家を1名以上入力してください",
        "半角数字（円）で入力してください",
    ] {
        assert!(r.body.contains(msg), "per-field message {msg:?}");
    }
    assert!(r.body.contains("aria-invalid=\"true\""), "fields marked invalid for assistive technology");
    // a form body that is not a form at all: refused by the CSRF check (no token in it) ...
    let r = c.post_raw("/my/services", "%%%=&&&==".into(), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token in garbage: refused before anything else");
    // ... and with the right token, by the decoder: bytes that are not UTF-8, a list where one
    // value is expected
    for garbage in ["name=%FF%FE&category=%C3", "category=audit&category=incident_response&name=x"] {
        let r = c.post_raw("/my/services", format!("csrf={}&{garbage}", c.csrf), Some(&c.base)).await;
        assert!(r.status.is_client_error() && r.status != StatusCode::FORBIDDEN, "{garbage}: {}", r.status);
        assert!(!r.body.is_empty());
    }
    assert_eq!(my_count(&t).await, before, "nothing saved");
    // sub-category of another category, pentest option on audit
    let mut f = application_fields("監査", &body_id);
    for x in f.iter_mut() {
        if x.0 == "category" {
            x.1 = "audit";
        }
    }
    let r = c.post_form("/my/services", &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("この区分では選べない細分です") && r.body.contains("脆弱性診断でのみ選べます"));
    assert_eq!(my_count(&t).await, before);
}

async fn unknown_category_is_422(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let c = t.login("provider@demo.kakehashi.jp").await;
    let before = my_count(&t).await;
    let mut f = application_fields("占いサービス", &body_id);
    for x in f.iter_mut() {
        if x.0 == "category" {
            x.1 = "astrology";
        }
    }
    let r = c.post_form("/my/services", &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不明なサービス区分です: astrology"));
    let r = c.get("/api/v1/services?category=astrology").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "unknown_category");
    assert_eq!(c.get("/services?category=astrology").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(my_count(&t).await, before);
}

async fn duplicate_service_name_is_409(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let c = t.login("provider@demo.kakehashi.jp").await;
    let r = c.post_form("/my/services", &application_fields("重複テスト診断", &body_id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let before = my_count(&t).await;
    // same name after width/case folding
    let r = c.post_form("/my/services", &application_fields("重複テスト診断", &body_id)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("同じ名前のサービスがすでに申請されています"));
    assert_eq!(my_count(&t).await, before);
    // another provider may use the same name
    let other = t.org_id("青葉").await;
    let a = t
        .app
        .actor_for_user(t.store.user_by_email("provider@demo.kakehashi.jp").await.unwrap().unwrap().id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        t.app.registry().apply(&a, domain::OrgId(other), &domain::registry::ApplicationInput::default()).await,
        Err(app::AppError::Invalid(_))
    ));
}

async fn upload_over_limit_is_413(db: Db) {
    let t = TestApp::spawn_with(db, Options { max_upload_bytes: 64 * 1024, ..Default::default() }).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let c = t.login("provider@demo.kakehashi.jp").await;
    let id = c.post_form("/my/services", &application_fields("アップロード試験", &body_id)).await.service_id();
    let ok = c.upload(&format!("/my/services/{id}/evidence"), "small.txt", b"evidence".to_vec()).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // just over the configured limit: refused by the use case
    let r = c
        .upload(
            &format!("/my/services/{id}/evidence"),
            "big.pdf",
            [b"%PDF-".as_slice(), &vec![b'a'; 64 * 1024]].concat(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // far over: refused by the body limit before it is read
    let r = c.upload(&format!("/my/services/{id}/evidence"), "huge.pdf", vec![b'a'; 64 * 1024 + 300 * 1024]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // an executable is not evidence
    let r =
        c.upload(&format!("/my/services/{id}/evidence"), "x.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let files = t.store.evidence_of(domain::registry::ServiceId(id)).await.unwrap();
    assert_eq!(files.len(), 1, "only the small file is stored");
    assert_eq!(files[0].filename, "small.txt");
}

async fn impossible_transition_is_409(db: Db) {
    let t = TestApp::spawn(db).await;
    let reviewer = t.login("reviewer@demo.kakehashi.jp").await;
    let withdrawn = t.store.services_in(&[domain::registry::ServiceStatus::Withdrawn], None, 10).await.unwrap();
    let body = t.org_id(BODY_NAME).await;
    let w = withdrawn.iter().find(|s| s.body_org_id == body).expect("demo has a withdrawn application");
    let r = reviewer.post_form(&format!("/review/{}/approve", w.id), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("「取下げ・取消」の状態のサービスに対して「登録（承認）」はできません"), "{}", r.body);
    assert_eq!(
        t.app.registry().service_view(domain::registry::ServiceId(w.id)).await.unwrap().status.code(),
        "withdrawn"
    );
    // through the API, the reason is in English too
    let admin = t
        .app
        .actor_for_user(t.store.user_by_email("reviewer@demo.kakehashi.jp").await.unwrap().unwrap().id)
        .await
        .unwrap()
        .unwrap();
    let (_, token) = t.app.create_token(&admin, "ci", &[app::Scope::RegistryReview]).await.unwrap();
    let r = reviewer.api(Method::POST, &format!("/api/v1/reviews/{}/approve", w.id), &token, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"]["message"], "cannot approve a service that is withdrawn");
}

async fn script_and_sql_are_text(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let provider = t.login("provider-admin@demo.kakehashi.jp").await;
    let reviewer = t.login("reviewer@demo.kakehashi.jp").await;
    let evil = "<script>alert('x')</script>'; DROP TABLE services; --";
    let fields: Vec<(&str, &str)> = application_fields(evil, &body_id)
        .into_iter()
        .map(|(k, v)| match k {
            "description"
            | "specification"
            | "quality_manager"
            | "quality_manual_ref"
            | "improvement_procedure"
            | "options"
            | "expert_name"
                if !v.is_empty() || k == "options" =>
            {
                (k, evil)
            }
            _ => (k, v),
        })
        .collect();
    let r = provider.post_form("/my/services", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.service_id();
    provider
        .upload(&format!("/my/services/{id}/evidence"), "<img src=x onerror=alert(1)>.pdf", b"%PDF-1".to_vec())
        .await;
    provider.post_form(&format!("/my/services/{id}/submit"), &[]).await;
    reviewer.post_form(&format!("/review/{id}/approve"), &[("comment", evil)]).await;
    let v = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap();
    assert_eq!(v.app.name, evil, "stored as text");
    assert_eq!(v.app.description, evil);
    for path in [format!("/services/{id}"), "/services?q=script".to_string(), "/my".to_string()] {
        let page = provider.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<script>alert"), "escaped on {path}");
        assert!(!page.body.contains("<img src=x"), "escaped on {path}");
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "shown as text on {path}"
        );
    }
    let csv = t.client().get("/services.csv?q=script").await;
    assert!(csv.body.contains(evil));
    let atom = t.client().get("/services.atom").await;
    assert!(!atom.body.contains("<script>"));
    // and the table is still there
    assert!(t.store.status_counts().await.unwrap().iter().map(|c| c.1).sum::<i64>() > 90);
}

both_backends!(
    malformed_and_incomplete_forms,
    unknown_category_is_422,
    duplicate_service_name_is_409,
    upload_over_limit_is_413,
    impossible_transition_is_409,
    script_and_sql_are_text,
);
