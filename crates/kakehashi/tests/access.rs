//! Identity and access through the front door: login, sessions, CSRF/Origin, rate limiting,
//! API tokens, the authorization matrix over HTTP, and a database outage.

mod common;

use common::*;
use reqwest::{Method, StatusCode};

const BODY_NAME: &str = "日本セキュリティサービス審査協会";

async fn csrf_and_origin_are_checked(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let c = t.login("provider@demo.kakehashi.jp").await;
    let org = t.org_id("北斗セキュリティ").await;
    let before = t.store.services_of_provider(domain::OrgId(org)).await.unwrap().len();
    let fields = application_fields("CSRF 試験", &body_id);
    // no token
    let body = serde_html_form_encode(&fields);
    let r = c.post_raw("/my/services", body.clone(), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"));
    // wrong token
    let mut with_bad = vec![("csrf", "0000")];
    with_bad.extend(fields.iter().cloned());
    let r = c.post_raw("/my/services", serde_html_form_encode(&with_bad), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // right token, foreign origin
    let mut with_good = vec![("csrf", c.csrf.as_str())];
    with_good.extend(fields.iter().cloned());
    let r = c.post_raw("/my/services", serde_html_form_encode(&with_good), Some("https://evil.example")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.store.services_of_provider(domain::OrgId(org)).await.unwrap().len(), before, "nothing stored");
    // login form without its token
    let r = t.client().post_raw("/login", "email=a%40b.jp&password=x".into(), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // logout also needs the token
    assert_eq!(c.post_raw("/logout", String::new(), Some(&c.base)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/my").await.status, StatusCode::SEE_OTHER, "session ended: back to login");
}

async fn repeated_failed_logins_are_429(db: Db) {
    let t = TestApp::spawn(db).await;
    let mut c = t.client();
    for _ in 0..5 {
        assert_eq!(c.login("reviewer@demo.kakehashi.jp", "wrong password!!").await, StatusCode::UNAUTHORIZED);
    }
    // the account now backs off: the next attempt waits, even with the right password, and no session is made
    assert_eq!(c.login("reviewer@demo.kakehashi.jp", "wrong password!!").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(c.login("reviewer@demo.kakehashi.jp", DEMO_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert!(c.session.is_none());
    // ... but only for a short delay: the owner is not locked out
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(c.login("reviewer@demo.kakehashi.jp", DEMO_PASSWORD).await, StatusCode::SEE_OTHER);
    // one address trying many accounts is limited (20 failures in 15 minutes); unknown accounts
    // answer like known ones
    let mut d = t.client();
    for i in 0..15 {
        let email = format!("nobody{i}@demo.kakehashi.jp");
        assert_eq!(d.login(&email, "whatever whatever").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        d.login("nobody@demo.kakehashi.jp", "whatever whatever").await,
        StatusCode::TOO_MANY_REQUESTS,
        "same address is limited"
    );
    let _ = d;
    let cookie_page = t.client().get("/login").await;
    assert!(cookie_page.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap().contains("HttpOnly")));
}

async fn session_cookie_flags(db: Db) {
    let t = TestApp::spawn(db).await;
    let c = t.client();
    let page = c.get("/login").await;
    let token = page
        .headers
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok().filter(|v| v.starts_with("kh_login_csrf=")))
        .unwrap()
        .to_string();
    let token = token.split(';').next().unwrap().trim_start_matches("kh_login_csrf=").to_string();
    let form = hidden_csrf(&page.body).unwrap();
    let r = c
        .http
        .post(format!("{}/login", c.base))
        .header("origin", &c.base)
        .header("cookie", format!("kh_login_csrf={token}"))
        .form(&[("email", "operator@demo.kakehashi.jp"), ("password", DEMO_PASSWORD), ("csrf", &form)])
        .send()
        .await
        .unwrap();
    let sc: Vec<String> = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let s = sc.iter().find(|c| c.starts_with("kh_session=")).expect("session cookie");
    assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax"), "{s}");
    // the session lives in the database, hashed
    let raw = s.split(';').next().unwrap().trim_start_matches("kh_session=");
    assert!(t.store.session(raw, 0).await.unwrap().is_none(), "the raw token is not the key");
    assert!(t.store.session(&app::auth::token_hash(raw), 0).await.unwrap().is_some());
}

async fn api_tokens(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await;
    let c = t.login("provider-admin@demo.kakehashi.jp").await;
    let page = c
        .post_form("/account/tokens", &[("name", "CI"), ("scopes", "registry:write"), ("scopes", "registry:read")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let i = page.body.find("kh_").expect("token shown once");
    let token: String = page.body[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(token.len(), 67);
    let me = c.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["scopes"], serde_json::json!(["registry:read", "registry:write"]));
    let input = serde_json::json!({
        "name": "API 経由の申請", "category": "digital_forensics", "description": "d", "specification": "s",
        "experts": [{"name": "n", "qualification": "GCFA", "expires_on": "2031-01-01"}],
        "quality_manager": "q", "quality_manual_ref": "m", "improvement_procedure": "i", "registration_body_id": body_id
    });
    let r = c.api(Method::POST, "/api/v1/applications", &token, Some(input.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    // bad inputs via the API
    let mut bad = input.clone();
    bad["category"] = "astrology".into();
    assert_eq!(
        c.api(Method::POST, "/api/v1/applications", &token, Some(bad)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = c.api(Method::POST, "/api/v1/applications", &token, Some(input.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "duplicate name");
    let r = c
        .http
        .post(format!("{}/api/v1/applications", c.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // evidence (raw body) and submit
    let r = c
        .http
        .post(format!("{}/api/v1/applications/{id}/evidence?filename=a.pdf", c.base))
        .bearer_auth(&token)
        .body(b"%PDF-1.5".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = c.api(Method::POST, &format!("/api/v1/applications/{id}/submit"), &token, None).await;
    assert_eq!(r.json()["status"], "submitted");
    // the token lacks the review scope
    let r = c.api(Method::POST, &format!("/api/v1/reviews/{id}/approve"), &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // private detail is visible with registry:read
    let r = c.api(Method::GET, &format!("/api/v1/services/{id}"), &token, None).await;
    assert_eq!(r.json()["evidence"][0]["filename"], "a.pdf");
    // revoke: the token stops working
    let tid = t
        .store
        .tokens(domain::UserId(t.store.user_by_email("provider-admin@demo.kakehashi.jp").await.unwrap().unwrap().id))
        .await
        .unwrap()[0]
        .id;
    assert_eq!(c.post_form(&format!("/account/tokens/{tid}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
    let r = c.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    // only hashes are stored
    assert!(t.store.token_by_hash(&token).await.unwrap().is_none());
}

/// The role x operation matrix, driven over HTTP.
async fn authorization_over_http(db: Db) {
    let t = TestApp::spawn(db).await;
    let submitted = t.store.services_in(&[domain::registry::ServiceStatus::Submitted], None, 1).await.unwrap()[0].id;
    let draft = t.store.services_in(&[domain::registry::ServiceStatus::Draft], None, 1).await.unwrap()[0].id;
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let sme = t.login("sme@demo.kakehashi.jp").await;
    let member = t.login("provider@demo.kakehashi.jp").await;
    let admin = t.login("provider-admin@demo.kakehashi.jp").await;
    let reviewer = t.login("reviewer@demo.kakehashi.jp").await;
    let operator = t.login("operator@demo.kakehashi.jp").await;
    let anon = t.client();
    type Case<'a> = (&'a str, &'a Client, String, Vec<(&'a str, &'a str)>, StatusCode);
    let cases: Vec<Case> = vec![
        // those who may not know an unlisted service exists are told it does not
        ("sme approves", &sme, format!("/review/{submitted}/approve"), vec![], StatusCode::NOT_FOUND),
        ("provider approves own", &admin, format!("/review/{submitted}/approve"), vec![], StatusCode::FORBIDDEN),
        ("operator approves", &operator, format!("/review/{submitted}/approve"), vec![], StatusCode::FORBIDDEN),
        (
            "reviewer suspends",
            &reviewer,
            format!("/admin/services/{listed}/suspend"),
            vec![("comment", "x")],
            StatusCode::FORBIDDEN,
        ),
        (
            "member withdraws",
            &member,
            format!("/my/services/{draft}/withdraw"),
            vec![("comment", "x")],
            StatusCode::FORBIDDEN,
        ),
        ("sme submits", &sme, format!("/my/services/{draft}/submit"), vec![], StatusCode::NOT_FOUND),
        ("reviewer runs sweep", &reviewer, "/admin/sweep".into(), vec![], StatusCode::FORBIDDEN),
        ("anonymous submits", &anon, format!("/my/services/{draft}/submit"), vec![], StatusCode::SEE_OTHER),
        ("member submits draft", &member, format!("/my/services/{draft}/submit"), vec![], StatusCode::SEE_OTHER),
        ("reviewer approves", &reviewer, format!("/review/{submitted}/approve"), vec![], StatusCode::SEE_OTHER),
        (
            "operator suspends",
            &operator,
            format!("/admin/services/{listed}/suspend"),
            vec![("comment", "x")],
            StatusCode::SEE_OTHER,
        ),
    ];
    for (what, c, path, fields, want) in cases {
        let r = c.post_form(&path, &fields).await;
        assert_eq!(r.status, want, "{what}: {}", r.body.chars().take(300).collect::<String>());
        if what == "anonymous submits" {
            assert!(r.location().starts_with("/login"), "anonymous is sent to log in");
        }
    }
    // pages by role
    for (c, path, want) in [
        (&sme, "/review", StatusCode::FORBIDDEN),
        (&sme, "/admin", StatusCode::FORBIDDEN),
        (&sme, "/my", StatusCode::FORBIDDEN),
        (&reviewer, "/review", StatusCode::OK),
        (&operator, "/admin", StatusCode::OK),
        (&member, "/my", StatusCode::OK),
        (&anon, "/admin", StatusCode::SEE_OTHER),
    ] {
        assert_eq!(c.get(path).await.status, want, "{path}");
    }
    // private data: a draft is invisible to the public and to the SME, visible to its provider
    assert_eq!(anon.get(&format!("/services/{draft}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sme.get(&format!("/services/{draft}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(member.get(&format!("/services/{draft}")).await.status, StatusCode::OK);
    let ev = t.store.evidence_of(domain::registry::ServiceId(submitted)).await.unwrap();
    assert_eq!(
        anon.get(&format!("/services/{submitted}/evidence/{}", ev[0].id)).await.status,
        StatusCode::SEE_OTHER,
        "anonymous: to the login page"
    );
    assert_eq!(reviewer.get(&format!("/services/{submitted}/evidence/{}", ev[0].id)).await.status, StatusCode::OK);
}

both_backends!(
    csrf_and_origin_are_checked,
    repeated_failed_logins_are_429,
    session_cookie_flags,
    api_tokens,
    authorization_over_http
);

/// PostgreSQL goes away mid-flight (connections killed, new ones refused): 503, the process
/// keeps running, and it serves again once the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_is_503_then_recovers() {
    if !pg_available().await {
        return;
    }
    let t = TestApp::spawn(Db::Postgres).await;
    let c = t.client();
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let provider = t.as_provider_admin().await;
    let token = provider.create_token("outage", &["registry:read", "registry:write"]).await;
    let body_id = t.org_id(BODY_NAME).await;
    let input = serde_json::json!({
        "name": "停止中の申請", "category": "digital_forensics", "description": "d", "specification": "s",
        "experts": [{"name": "n", "qualification": "GCFA", "expires_on": "2031-01-01"}],
        "quality_manager": "q", "quality_manual_ref": "m", "improvement_procedure": "i", "registration_body_id": body_id
    });
    assert_eq!(c.get(&format!("/services/{listed}")).await.status, StatusCode::OK);
    assert_eq!(c.get("/api/v1/services").await.status, StatusCode::OK);
    let name = t.db.pg_name.clone().unwrap();
    let mut admin = sqlx::AnyConnection::connect(&pg_admin_url()).await.unwrap();
    use sqlx::Connection;
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
    sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let r = c.get(&format!("/services/{listed}")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    // a write during the outage: 503 with Retry-After, in the JSON envelope
    let w = provider.api(Method::POST, "/api/v1/applications", &token, Some(input.clone())).await;
    assert_eq!(w.status, StatusCode::SERVICE_UNAVAILABLE, "{}", w.body);
    assert!(w.headers.get("retry-after").is_some());
    assert_eq!(w.json()["error"]["code"], "unavailable");
    assert!(r.body.contains("データベースに一時的に接続できません"));
    assert_eq!(c.get("/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let api = c.get(&format!("/api/v1/services/{listed}")).await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.json()["error"]["code"], "unavailable");
    // the public list keeps answering from its last snapshot
    assert_eq!(c.get("/api/v1/services").await.status, StatusCode::OK);
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if c.get(&format!("/services/{listed}")).await.status == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "serves again once the database is back");
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    // the refused write left no partial rows; the same write now succeeds
    let mut raw = t.db.raw().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE name = '停止中の申請'")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let w = provider.api(Method::POST, "/api/v1/applications", &token, Some(input)).await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.body);
}

/// A provider registers as an applicant, is signed in, and can apply; bad input and abuse are refused.
async fn provider_signup(db: Db) {
    let Some(smtp) = SmtpServer::start(None).await else { return };
    let config = app::AppConfig {
        jobs: app::jobs::JobsConfig { poll_ms: 20, ..Default::default() },
        delivery: app::notify::DeliveryConfig {
            smtp_url: Some(smtp.url()),
            public_url: "https://kakehashi.example.jp".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = TestApp::spawn_with(db, Options { config, workers: 1, ..Default::default() }).await;
    let c = t.client();
    async fn form_post(c: &Client, path: &str, fields: Vec<(&'static str, String)>) -> reqwest::Response {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.form_before_login(path, &f, &c.base, None).await
    }
    let fields = |org: &str, email: &str, password: &str| {
        vec![
            ("org_name", org.to_string()),
            ("org_name_en", "Shinki Security".to_string()),
            ("display_name", "新規 太郎".to_string()),
            ("email", email.to_string()),
            ("password", password.to_string()),
        ]
    };
    let orgs_before = t.store.orgs(Some("vendor")).await.unwrap().len();
    let r = form_post(&c, "/signup", fields("", "bad", "short")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("事業者名を200文字以内で入力してください"));
    assert!(body.contains("メールアドレスの形式が正しくありません") && body.contains("12文字以上"));
    // what was typed comes back (never the password), each field tied to its message
    assert!(
        body.contains("value=\"bad\"")
            && body.contains("value=\"Shinki Security\"")
            && body.contains("value=\"新規 太郎\"")
    );
    assert!(!body.contains("value=\"short\""), "the password is not written back");
    assert!(body.contains("aria-describedby=\"email-err\"") && body.contains("aria-describedby=\"org_name-err\""));

    // a new address and a registered one get the same answer; nobody is signed in yet
    let strip = |b: String| {
        let i = b.find("<main").unwrap_or(0);
        b[i..].to_string()
    };
    let r =
        form_post(&c, "/signup", fields("新規セキュリティ株式会社", "new@shinki.example.jp", "correct horse battery"))
            .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().starts_with("kh_session=")));
    let new_page = strip(r.text().await.unwrap());
    assert!(new_page.contains("確認メールを送信しました"));
    let r =
        form_post(&c, "/signup", fields("別会社", "Provider-Admin@demo.kakehashi.jp", "correct horse battery")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(strip(r.text().await.unwrap()), new_page, "a registered address is answered exactly alike");
    assert_eq!(t.store.orgs(Some("vendor")).await.unwrap().len(), orgs_before, "nothing made before confirmation");

    // the registered address is told by e-mail; the new one gets its link
    let notice = smtp
        .wait_for(30, |m| m.to.contains("provider-admin@demo.kakehashi.jp") && m.subject.contains("already registered"))
        .await;
    assert!(notice.body.contains("すでに登録されています") && !notice.body.contains("token="));
    let mail = smtp.wait_for(30, |m| m.to.contains("new@shinki.example.jp")).await;
    let i = mail.body.find("/signup/confirm?token=").expect("a confirmation link");
    let token: String = mail.body[i + "/signup/confirm?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    // following the link only shows a button; pressing it makes the account and signs in
    let confirm_path = format!("/signup/confirm?token={token}");
    assert_eq!(t.store.orgs(Some("vendor")).await.unwrap().len(), orgs_before);
    let r = form_post(&c, &confirm_path, vec![("token", token.clone())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/my/services/new");
    let mut me = t.client();
    me.session = Some(cookie_value(r.headers(), "kh_session").unwrap());
    me.refresh_csrf().await;
    assert_eq!(me.get("/my/services/new").await.status, StatusCode::OK, "signed in as the new provider's admin");
    assert_eq!(t.store.orgs(Some("vendor")).await.unwrap().len(), orgs_before + 1);
    // a link works once
    let r = c.get(&confirm_path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("このリンクは使えません"));
    // without the pre-registration token
    let r = c.post_raw("/signup", "org_name=x".into(), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // at most five attempts an hour from one address, whatever they are
    for i in 0..2 {
        let r =
            form_post(&c, "/signup", fields(&format!("会社{i}"), &format!("u{i}@example.jp"), "correct horse battery"))
                .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = form_post(&c, "/signup", fields("会社X", "ux@example.jp", "correct horse battery")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(t.store.orgs(Some("vendor")).await.unwrap().len(), orgs_before + 1);
}

both_backends!(provider_signup);

/// Every POST route, read from the router's source (so a new route is covered the day it is
/// added): without the CSRF token, with a foreign Origin, with `Origin: null`, and API writes
/// with only a session cookie are all refused with 403, and nothing is written.
async fn every_post_route_checks_csrf_and_origin(db: Db) {
    let t = TestApp::spawn(db).await;
    let c = t.as_operator().await;
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut routes = Vec::new();
    for file in ["kit/mod.rs", "registry/mod.rs"] {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        for line in text.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
            let path = line.trim_start_matches(".route(\"").split('"').next().unwrap().to_string();
            if line.contains("post(") {
                routes.push(path);
            }
        }
    }
    assert!(routes.len() >= 25, "POST routes found: {routes:?}");
    let fill = |p: &str| {
        p.replace("{id}", &listed.to_string())
            .replace("{sid}", "1")
            .replace("{eid}", "1")
            .replace("{uid}", "1")
            .replace("{decision}", "approve")
            .replace("{action}", "suspend")
    };
    let before = t.store.audit_head().await.unwrap().seq;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = format!("kh_session={}", c.session.clone().unwrap());
    for route in &routes {
        let path = fill(route);
        let url = format!("{}{path}", c.base);
        let api = path.starts_with("/api/");
        // the form's fields a real submission would carry, and the right token where one applies
        let good = format!("csrf={}&comment=x&reason=x&name=x", c.csrf);
        let attempts: Vec<(&str, String, Option<&str>)> = vec![
            ("no token", "comment=x&reason=x&name=x".into(), Some(c.base.as_str())),
            ("foreign origin", good.clone(), Some("https://evil.example")),
            ("origin null", good.clone(), Some("null")),
        ];
        for (what, body, origin) in attempts {
            let mut rb = http.post(&url).header("cookie", &cookie);
            rb = if api {
                rb.header("content-type", "application/json").body("{\"reason\":\"x\",\"comment\":\"x\"}")
            } else if path.ends_with("/evidence") {
                // an upload form: multipart, with the token as its first part when it has one
                let mut form = reqwest::multipart::Form::new();
                if let Some(tok) = body.strip_prefix("csrf=").and_then(|b| b.split('&').next()) {
                    form = form.text("csrf", tok.to_string());
                }
                rb.multipart(
                    form.part("file", reqwest::multipart::Part::bytes(b"%PDF-1.5".to_vec()).file_name("a.pdf")),
                )
            } else {
                rb.header("content-type", "application/x-www-form-urlencoded").body(body)
            };
            if let Some(o) = origin {
                rb = rb.header("origin", o);
            }
            let r = rb.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}: POST {path}");
        }
    }
    assert_eq!(t.store.audit_head().await.unwrap().seq, before, "no refused request wrote anything");
    // the same session with its token and its own origin does get through (the check is not
    // refusing everything)
    let r = c.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "点検のため")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

both_backends!(every_post_route_checks_csrf_and_origin);
