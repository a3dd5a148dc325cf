//! Security details through the front door: login limits under parallel attempts and behind a
//! proxy, the API's error envelope for every error, headers, read scopes on pages, 404 for
//! services one may not know of, text that cannot spoof names, download names.

mod common;

use common::*;
use reqwest::{Method, StatusCode};

const BODY_NAME: &str = "日本セキュリティサービス審査協会";

/// A login form post as a browser at `origin` would send it (optionally through a proxy that
/// adds `X-Forwarded-For`); the status, and the session cookie when one was set.
async fn raw_login(
    base: &str,
    origin: &str,
    xff: Option<&str>,
    email: &str,
    password: &str,
) -> (StatusCode, Option<String>) {
    let c = Client {
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        base: base.to_string(),
        session: None,
        csrf: String::new(),
    };
    let r =
        c.form_before_login("/login", &[("email", email), ("password", password), ("next", "/")], origin, xff).await;
    (r.status(), cookie_value(r.headers(), "kh_session"))
}

/// Twenty wrong passwords for one account sent at once: each is counted before its password is
/// checked, so no more than the five free failures are ever checked.
async fn parallel_wrong_passwords_are_limited(db: Db) {
    let t = TestApp::spawn(db).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut c = t.client();
        tasks.push(tokio::spawn(async move { c.login("reviewer@demo.kakehashi.jp", "wrong password!!").await }));
    }
    let mut checked = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked + refused, 20);
    assert!(checked <= 5, "only the free failures are checked, {checked} were");
    assert!(refused >= 15);
}

/// Behind a trusted proxy the client is the address it forwards; from anyone else the header is
/// ignored (a client cannot pick an address to escape the limit).
async fn forwarded_addresses_only_from_trusted_proxies(db: Db) {
    let web = web::WebConfig { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Default::default() };
    let t = TestApp::spawn_with(db, Options { web, ..Default::default() }).await;
    let base = t.url("");
    let login = |xff: &'static str, i: usize| {
        let base = base.clone();
        async move {
            let email = format!("nobody{i}@demo.kakehashi.jp");
            raw_login(&base, &base, Some(xff), &email, "whatever whatever").await.0
        }
    };
    // one client (as the proxy forwards it) trying many accounts is limited ...
    for i in 0..20 {
        assert_eq!(login("198.51.100.1, 203.0.113.5", i).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("198.51.100.1, 203.0.113.5", 99).await, StatusCode::TOO_MANY_REQUESTS);
    // ... while another client behind the same proxy is not: the address is the forwarded one
    assert_eq!(login("198.51.100.1, 203.0.113.6", 100).await, StatusCode::UNAUTHORIZED);

    // Without trusted proxies the header is ignored: changing it does not escape the limit.
    let t2 = TestApp::spawn(db).await;
    let base = t2.url("");
    for i in 0..20 {
        let xff = format!("192.0.2.{i}");
        let (st, _) =
            raw_login(&base, &base, Some(&xff), &format!("x{i}@demo.kakehashi.jp"), "whatever whatever").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, _) = raw_login(&base, &base, Some("192.0.2.77"), "y@demo.kakehashi.jp", "whatever whatever").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "a forged X-Forwarded-For is ignored");
}

/// Every error under /api/ is the JSON envelope, whoever produced it.
async fn api_errors_are_json(db: Db) {
    let t = TestApp::spawn(db).await;
    let c = t.as_provider_admin().await;
    let token = c.create_token("t", &["registry:read", "registry:write"]).await;
    // a new connection per request: the server closes one after refusing an oversized body
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let check = |r: reqwest::Response, status: StatusCode, code: &'static str| async move {
        assert_eq!(r.status(), status);
        let ct = r.headers().get("content-type").unwrap().to_str().unwrap().to_string();
        assert!(ct.starts_with("application/json"), "{status}: {ct}");
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(j["error"]["code"], code, "{j}");
        assert!(!j["error"]["request_id"].as_str().unwrap().is_empty());
        assert!(!j["error"]["message_ja"].as_str().unwrap().is_empty());
    };
    // 400: a path parameter that is not a number
    check(http.get(t.url("/api/v1/services/abc")).send().await.unwrap(), StatusCode::BAD_REQUEST, "bad_request").await;
    // 415: a JSON endpoint given something else
    let r = http
        .post(t.url("/api/v1/applications"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    check(r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let r = http.post(t.url("/api/v1/applications")).bearer_auth(&token).body("{}").send().await.unwrap();
    check(r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    // 413: a body over the limit
    let r = http
        .post(t.url("/api/v1/applications"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    check(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
    // 414: a URI over 8 KiB
    let long = format!("/api/v1/services?q={}", "a".repeat(9000));
    check(http.get(t.url(&long)).send().await.unwrap(), StatusCode::URI_TOO_LONG, "uri_too_long").await;
    // 405 and 404
    check(
        http.delete(t.url("/api/v1/services")).send().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    check(http.get(t.url("/api/v1/nothing-here")).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    // and nothing was stored by the refused writes
    let mine = c.api(Method::GET, "/api/v1/services?per_page=100", &token, None).await;
    assert_eq!(mine.status, StatusCode::OK);
}

/// HSTS and the Origin check follow the public URL; without one, no link is built from `Host`.
async fn headers_follow_the_public_url(db: Db) {
    let web = web::WebConfig { public_url: Some("https://registry.example.jp/".into()), ..Default::default() };
    let t = TestApp::spawn_with(db, Options { web, ..Default::default() }).await;
    let r = t.client().get("/").await;
    assert_eq!(r.headers.get("strict-transport-security").unwrap(), "max-age=63072000");
    // the Origin check takes scheme, host and port from the public URL
    let base = t.url("");
    let (st, _) =
        raw_login(&base, "http://registry.example.jp", None, "provider-admin@demo.kakehashi.jp", DEMO_PASSWORD).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "http:// is another origin");
    let (st, _) = raw_login(&base, &base, None, "provider-admin@demo.kakehashi.jp", DEMO_PASSWORD).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the Host the request reached is not the public origin");
    let (st, session) =
        raw_login(&base, "https://registry.example.jp:443", None, "provider-admin@demo.kakehashi.jp", DEMO_PASSWORD)
            .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(session.is_some());

    let plain = TestApp::spawn(db).await;
    let r = plain.client().get("/").await;
    assert!(r.headers.get("strict-transport-security").is_none(), "no HSTS without an https public URL");
    let feed = reqwest::Client::new()
        .get(plain.url("/services.atom"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // absolute links from the configured address (the listen address when none is set), never Host
    let own = plain.app.config.delivery.public_url.trim_end_matches('/').to_string();
    assert!(feed.contains(&format!("<link href=\"{own}/services/")), "{}", &feed[..feed.len().min(600)]);
    assert!(!feed.contains("evil.example"));
}

/// A token without the read scope reads no private page; the account page is a session's only.
async fn pages_check_read_scopes(db: Db) {
    let t = TestApp::spawn(db).await;
    let c = t.as_provider_admin().await;
    let write_only = c.create_token("w", &["registry:write"]).await;
    let read = c.create_token("r", &["registry:read"]).await;
    let get = |path: &'static str, token: String| {
        let url = t.url(path);
        async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap() }
    };
    let r = get("/my", write_only.clone()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("下書き"), "no private data in the refusal");
    assert_eq!(get("/my", read.clone()).await.status(), StatusCode::OK);
    assert_eq!(get("/account", write_only).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get("/account", read).await.status(), StatusCode::FORBIDDEN, "tokens never read the account page");
}

/// Those who may not know a private service exists get 404 for every action on it, exactly as
/// for an id that does not exist; those connected to it still get 403.
async fn private_services_are_404_to_outsiders(db: Db) {
    let t = TestApp::spawn(db).await;
    let draft = t.submitted_application("他社の非公開申請").await;
    let missing = 9_999_999;
    let sme = t.as_sme().await;
    let sme_token = sme.create_token("s", &["registry:read", "registry:write"]).await;
    for id in [draft, missing] {
        let r = sme.api(Method::POST, &format!("/api/v1/applications/{id}/submit"), &sme_token, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}: {}", r.body);
        let r = sme.get(&format!("/services/{id}/evidence/1")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // anonymous too: a login redirect would say the service exists
        let r = t.client().get(&format!("/services/{id}/evidence/1")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "anonymous, {id}");
        let r = sme.post_form(&format!("/my/services/{id}/withdraw"), &[("reason", "x")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
    }
    // the provider's own member may know it: refused, not hidden
    let member = t.as_provider().await;
    let r = member.post_form(&format!("/my/services/{draft}/withdraw"), &[("reason", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a member (not admin) is refused, not misled");
    let s = t.store.service(domain::registry::ServiceId(draft)).await.unwrap();
    assert_eq!(s.status, "submitted", "nothing changed");
}

/// Names cannot be spoofed with bidirectional or invisible characters, and search ignores them.
async fn text_fields_drop_spoofing_characters(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await;
    let c = t.as_provider_admin().await;
    let token = c.create_token("t", &["registry:read", "registry:write"]).await;
    let input = serde_json::json!({
        "name": "安全\u{202E}診断\u{200B}サービス\u{E0041}\nX", "category": "digital_forensics", "description": "一行目\r\n二行目\u{2066}",
        "specification": "s", "experts": [{"name": "山田\u{200F}太郎", "qualification": "GCFA", "expires_on": "2031-01-01"}],
        "quality_manager": "q", "quality_manual_ref": "m", "improvement_procedure": "i", "registration_body_id": body_id
    });
    let r = c.api(Method::POST, "/api/v1/applications", &token, Some(input)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let d = c.api(Method::GET, &format!("/api/v1/services/{id}"), &token, None).await.json();
    assert_eq!(d["name"], "安全診断サービス X", "{d}");
    assert_eq!(d["description"], "一行目\n二行目");
    assert_eq!(d["experts"][0]["name"], "山田太郎");
    // a query with hidden characters finds listed services as the plain query does
    let plain = c.get("/api/v1/services?q=%E8%A8%BA%E6%96%AD").await.json()["total"].as_i64().unwrap();
    let hidden = c.get("/api/v1/services?q=%E8%A8%BA%E2%80%8B%E6%96%AD").await.json()["total"].as_i64().unwrap();
    assert!(plain > 0);
    assert_eq!(hidden, plain);
}

/// A Japanese file name arrives whole (RFC 5987 `filename*`), with an ASCII fallback that keeps
/// the extension.
async fn downloads_keep_their_names(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await;
    let c = t.as_provider_admin().await;
    let token = c.create_token("t", &["registry:read", "registry:write"]).await;
    let input = serde_json::json!({
        "name": "名前のある証跡", "category": "digital_forensics", "description": "d", "specification": "s",
        "experts": [{"name": "n", "qualification": "GCFA", "expires_on": "2031-01-01"}],
        "quality_manager": "q", "quality_manual_ref": "m", "improvement_procedure": "i", "registration_body_id": body_id
    });
    let sid = c.api(Method::POST, "/api/v1/applications", &token, Some(input)).await.json()["id"].as_i64().unwrap();
    let r = c
        .http
        .post(t.url(&format!(
            "/api/v1/applications/{sid}/evidence?filename=%E5%AF%A9%E6%9F%BB%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"
        )))
        .bearer_auth(&token)
        .body(b"%PDF-1.5 test".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let eid = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c.get(&format!("/services/{sid}/evidence/{eid}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let cd = r.headers.get("content-disposition").unwrap().to_str().unwrap().to_string();
    assert!(cd.contains(&format!("filename=\"evidence-{eid}.pdf\"")), "{cd}");
    assert!(cd.contains("filename*=UTF-8''%E5%AF%A9%E6%9F%BB%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"), "{cd}");
}

/// Script and SQL fragments in every text field of an application and in query parameters are
/// stored as typed and come back escaped in HTML and Atom, exact in JSON, formula-safe in CSV.
async fn script_and_sql_fragments_are_inert(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await;
    let owner = t.as_provider_admin().await;
    let token = owner.create_token("t", &["registry:read", "registry:write"]).await;
    let reviewer = t.as_reviewer().await;
    let review_token = reviewer.create_token("r", &["registry:read", "registry:review"]).await;
    const P: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>' OR '1'='1'; DROP TABLE services;--";
    // names are at most 120 characters: the fragments that fit
    let name = "=HYPERLINK(\"http://x\") <script>alert(1)</script><img src=x> ' OR '1'='1'; DROP TABLE services;--"
        .to_string();
    let input = serde_json::json!({
        "name": name, "category": "digital_forensics", "description": P, "specification": P,
        "experts": [{"name": P, "qualification": P, "expires_on": "2031-01-01"}], "options": P,
        "quality_manager": P, "quality_manual_ref": P, "improvement_procedure": P, "registration_body_id": body_id
    });
    let r = owner.api(Method::POST, "/api/v1/applications", &token, Some(input)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let up = owner
        .http
        .post(t.url(&format!("/api/v1/applications/{id}/evidence?filename=%3Cscript%3E.pdf")))
        .bearer_auth(&token)
        .body(b"%PDF-1.5".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::CREATED);
    assert_eq!(
        owner.api(Method::POST, &format!("/api/v1/applications/{id}/submit"), &token, None).await.status,
        StatusCode::OK
    );
    let r = reviewer.api(Method::POST, &format!("/api/v1/reviews/{id}/approve"), &review_token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // JSON: exactly as typed (and the services table is still there)
    let d = t.client().get(&format!("/api/v1/services/{id}")).await.json();
    assert_eq!(d["name"], name.as_str());
    assert_eq!(d["description"], P);
    let raw = ["<script>alert(1)", "<img src=x"];
    let no_raw = |what: &str, body: &str| {
        for r in raw {
            assert!(!body.contains(r), "{what} has raw {r:?}");
        }
        let i = body.find("alert(1)").map_or(0, |i| i.saturating_sub(40));
        assert!(
            body.contains("&lt;script&gt;alert(1)") || body.contains("&#60;script&#62;alert(1)"),
            "{what} shows it escaped: {}",
            &body[i..(i + 120).min(body.len())]
        );
    };
    let public = t.client();
    no_raw("service page", &public.get(&format!("/services/{id}")).await.body);
    no_raw("owner's list", &owner.get("/my").await.body);
    no_raw("public list", &public.get("/services?q=DROP%20TABLE").await.body);
    no_raw("atom feed", &public.get("/services.atom").await.body);
    // query parameters echoed back are escaped too; SQL in a query finds nothing and breaks nothing
    let q = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let page = public.get(&format!("/services?q={q}")).await;
    assert_eq!(page.status, StatusCode::OK);
    no_raw("search box", &page.body);
    let page = public.get(&format!("/services?category={q}")).await;
    assert!(page.status.is_client_error());
    assert!(!page.body.contains("<script>alert(1)"));
    let j = public.get("/api/v1/services?q=x%27%20OR%20%27x%27%3D%27x").await;
    assert_eq!(j.status, StatusCode::OK);
    assert_eq!(j.json()["total"], 0);
    // CSV: the cell cannot start a formula
    let csv = public.get("/services.csv?q=DROP%20TABLE").await.body;
    assert!(csv.contains("'=HYPERLINK"), "{}", &csv[..csv.len().min(400)]);
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"));
}

/// `/metrics` is for the operators: this machine by default; behind the (trusted) proxy, a
/// forwarded client only with the token or from a configured address.
async fn metrics_need_a_token_or_a_listed_address(db: Db) {
    let get = |t: &TestApp, xff: Option<&'static str>, token: Option<&'static str>| {
        let (url, http) = (t.url("/metrics"), t.client().http);
        async move {
            let mut rb = http.get(url);
            if let Some(x) = xff {
                rb = rb.header("x-forwarded-for", x);
            }
            if let Some(tok) = token {
                rb = rb.bearer_auth(tok);
            }
            rb.send().await.unwrap().status()
        }
    };
    let proxy: ipnet::IpNet = "127.0.0.1/32".parse().unwrap();
    // default: loopback only
    let t = TestApp::spawn_with(
        db,
        Options { web: web::WebConfig { trusted_proxies: vec![proxy], ..Default::default() }, ..Default::default() },
    )
    .await;
    assert_eq!(get(&t, None, None).await, StatusCode::OK);
    assert_eq!(get(&t, Some("198.51.100.7"), None).await, StatusCode::FORBIDDEN);
    // a token and an address list
    let web = web::WebConfig {
        trusted_proxies: vec![proxy],
        metrics_token: Some("scrape-token-0123456789abcdef".into()),
        metrics_allow: vec!["10.0.0.5/32".parse().unwrap()],
        ..Default::default()
    };
    let t2 = TestApp::spawn_with(Db::Sqlite, Options { web, ..Default::default() }).await;
    assert_eq!(get(&t2, Some("198.51.100.7"), None).await, StatusCode::FORBIDDEN);
    assert_eq!(get(&t2, Some("198.51.100.7"), Some("wrong-token")).await, StatusCode::FORBIDDEN);
    assert_eq!(get(&t2, Some("198.51.100.7"), Some("scrape-token-0123456789abcdef")).await, StatusCode::OK);
    assert_eq!(get(&t2, Some("10.0.0.5"), None).await, StatusCode::OK);
    assert_eq!(get(&t2, None, None).await, StatusCode::FORBIDDEN, "configured: loopback is no longer enough");
}

both_backends!(
    metrics_need_a_token_or_a_listed_address,
    script_and_sql_fragments_are_inert,
    parallel_wrong_passwords_are_limited,
    forwarded_addresses_only_from_trusted_proxies,
    api_errors_are_json,
    headers_follow_the_public_url,
    pages_check_read_scopes,
    private_services_are_404_to_outsiders,
    text_fields_drop_spoofing_characters,
    downloads_keep_their_names,
);
