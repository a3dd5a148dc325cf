//! Public URLs integrators rely on, languages, and the storage contract on both backends.

mod common;

use common::*;
use reqwest::StatusCode;

async fn public_contract(db: Db) {
    let t = TestApp::spawn(db).await;
    let c = t.client();
    let h = c.get("/healthz").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json()["status"], "ok");
    // the accessibility statement (in both languages, linked from every page) and the icon
    let a = c.get("/accessibility").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("JIS X 8341-3") && a.body.contains("一部準拠"));
    assert!(c.get("/accessibility?lang=en").await.body.contains("partial conformance"));
    assert!(c.get("/services").await.body.contains("href=\"/accessibility\""));
    let icon = t.client().http.get(t.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    assert_eq!(&icon.bytes().await.unwrap()[..4], &[0, 0, 1, 0], "an ICO file");
    // counts read as English: "1 product", "6 products"; Japanese has no plural
    let one = c.get(&format!("/products?q={}&lang=en", "SL-1")).await;
    assert!(one.body.contains("1 product (") && !one.body.contains("1 products"), "{}", one.body);
    assert!(c.get("/products?lang=en").await.body.contains("6 products ("));
    assert!(c.get("/products?lang=ja").await.body.contains("6 件"));
    let list = c.get("/api/v1/services?q=&category=&page=").await;
    assert_eq!(list.status, StatusCode::OK);
    let j = list.json();
    // the deck's counts at the end of January 2019
    assert_eq!(j["category_counts"]["audit"], 21);
    assert_eq!(j["category_counts"]["vulnerability_assessment"], 31);
    assert_eq!(j["category_counts"]["digital_forensics"], 16);
    assert_eq!(j["category_counts"]["security_monitoring"], 22);
    assert!(j["total"].as_i64().unwrap() >= 90);
    assert_eq!(j["items"].as_array().unwrap().len(), 20);
    let p2 = c.get("/api/v1/services?page=2&per_page=50").await.json();
    assert_eq!(p2["page"], 2);
    assert_ne!(p2["items"][0]["id"], j["items"][0]["id"]);
    assert_eq!(c.get("/api/v1/services?page=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c.get("/api/v1/services?per_page=1000").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = c.get("/services?category=audit&subcategory=assurance").await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.body.contains("保証型"));
    let csv = c.get("/services.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.body.trim_start_matches('\u{feff}').starts_with("登録番号,サービス名"));
    assert_eq!(
        csv.body.lines().count() as i64,
        j["total"].as_i64().unwrap() + 1,
        "the export is the whole current list"
    );
    let atom = c.get("/services.atom").await;
    assert_eq!(atom.status, StatusCode::OK);
    assert!(atom.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    assert!(atom.body.matches("<entry>").count() > 5);
    let m = c.get("/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(
        m.body.contains("kakehashi_http_requests_total") && m.body.contains("route=\"/api/v1/services\""),
        "{}",
        m.body
    );
    let o = c.get("/api/openapi.json").await.json();
    assert_eq!(o["openapi"], "3.1.0");
    for p in [
        "/healthz",
        "/metrics",
        "/api/openapi.json",
        "/api/v1/services",
        "/services",
        "/services.csv",
        "/services.atom",
        "/api/v1/applications",
    ] {
        assert!(o["paths"].get(p).is_some(), "OpenAPI documents {p}");
    }
    // security headers and request ids on every answer
    assert!(h.headers.contains_key("x-request-id"));
    assert_eq!(html.headers["x-content-type-options"], "nosniff");
    assert!(html.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert_eq!(c.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
}

async fn japanese_by_default_english_on_every_page(db: Db) {
    let t = TestApp::spawn(db).await;
    let op = t.login("operator@demo.kakehashi.jp").await;
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    for path in ["/", "/services", &format!("/services/{listed}"), "/login", "/admin", "/account", "/nope"] {
        let ja = op.get(path).await;
        assert!(ja.body.contains("<html lang=\"ja\">"), "{path} Japanese by default");
        assert!(ja.body.contains("/lang/en?next="), "{path} offers English");
        let sep = if path.contains('?') { '&' } else { '?' };
        let en = op.get(&format!("{path}{sep}lang=en")).await;
        assert!(en.body.contains("<html lang=\"en\">"), "{path} in English");
        assert!(en.body.contains("Skip to main content"), "{path}");
    }
    // the switch remembers the choice in a cookie and returns to the page
    let r = op.get("/lang/en?next=/services%3Fcategory%3Daudit").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/services?category=audit");
    assert!(r.headers["set-cookie"].to_str().unwrap().starts_with("kh_lang=en"));
    // no open redirect
    assert_eq!(op.get("/lang/en?next=//evil.example").await.location(), "/");
}

/// The storage contract, proven on both backends.
async fn store_conformance(db: Db) {
    let t = TestApp::spawn_with(db, Options { seed: false, ..Default::default() }).await;
    let s = &t.store;
    // counters
    let mut tx = s.begin().await.unwrap();
    assert_eq!(store::Store::next_counter(&mut tx, "c").await.unwrap(), 1);
    assert_eq!(store::Store::next_counter(&mut tx, "c").await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert_eq!(s.counter("c").await.unwrap(), 2);
    // a dropped transaction leaves nothing behind
    let mut tx = s.begin().await.unwrap();
    tx.insert_org("vendor", "rolled back", "", 0).await.unwrap();
    drop(tx);
    assert!(s.orgs(None).await.unwrap().is_empty());
    // uniqueness is a Conflict
    let mut tx = s.begin().await.unwrap();
    tx.insert_user("a@b.jp", "a", "h", false, 0).await.unwrap();
    let e = tx.insert_user("a@b.jp", "a", "h", false, 0).await.unwrap_err();
    assert!(matches!(e, app::StoreError::Conflict(_)), "{e:?}");
    drop(tx);
    // blobs are stored once per hash
    let mut tx = s.begin().await.unwrap();
    tx.put_blob("ab", b"x").await.unwrap();
    tx.put_blob("ab", b"x").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.blob("ab").await.unwrap(), b"x");
    let mut raw = t.db.raw().await;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM blobs WHERE sha256 = 'ab'").fetch_one(&mut raw).await.unwrap();
    assert_eq!(n, 1, "one row per hash");
    // concurrent audit appends chain one after another
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            tx.audit(
                &domain::audit::AuditRecord {
                    actor: format!("w{i}"),
                    action: "t".into(),
                    subject: "s".into(),
                    summary: String::new(),
                },
                i,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(t.app.audit_verify().await.unwrap(), Ok(16));
    assert_eq!(s.audit_head().await.unwrap().seq, 16);
    // optimistic concurrency on services: a stale version is a Conflict
    let mut tx = s.begin().await.unwrap();
    let org = tx.insert_org("vendor", "v", "", 0).await.unwrap();
    let body = tx.insert_org("registration_body", "b", "", 0).await.unwrap();
    let w = store_write(org, body);
    let id = tx.insert_service(&w, domain::registry::ServiceStatus::Draft, 0).await.unwrap();
    tx.set_status(id, 1, domain::registry::ServiceStatus::Submitted, 1).await.unwrap();
    let e = tx.set_status(id, 1, domain::registry::ServiceStatus::Returned, 2).await.unwrap_err();
    assert!(matches!(e, app::StoreError::Conflict(_)));
    tx.commit().await.unwrap();
    // (a failed statement ends a transaction on PostgreSQL, so the contract is: after an
    // error, drop the transaction; use cases never continue one)
    let mut tx = s.begin().await.unwrap();
    let e = tx.insert_service(&w, domain::registry::ServiceStatus::Draft, 0).await.unwrap_err();
    assert!(matches!(e, app::StoreError::Conflict(_)), "same provider, same name");
    drop(tx);
    assert_eq!(s.service(id).await.unwrap().status, "submitted");
    assert!(matches!(s.service(domain::registry::ServiceId(id.0 + 1000)).await, Err(app::StoreError::NotFound)));
}

fn store_write(org: i64, body: i64) -> store::ServiceWrite {
    store::ServiceWrite {
        provider_org_id: org,
        body_org_id: body,
        name: "n".into(),
        name_key: "n".into(),
        category: "audit".into(),
        subcategory: None,
        application_json: "{}".into(),
        search_text: "n".into(),
        regions: String::new(),
        industries: String::new(),
    }
}

/// Contract: no public page (`/services/{id}` for every public service) names a person or an
/// e-mail address — not a user of the platform, not a reviewer, not an office member.
async fn public_pages_name_no_person(db: Db) {
    let t = TestApp::spawn(db).await;
    // the people the platform knows: every member of every organisation
    let mut people: Vec<(String, String)> = Vec::new();
    for o in t.store.org_summaries("").await.unwrap() {
        for m in t.store.members_of(o.id, 0).await.unwrap() {
            people.push((m.display_name, m.email));
        }
    }
    assert!(people.len() >= 6, "the demo's users: {people:?}");
    // an action by a reviewer and by the office, so the history has people behind it
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let op = t.as_operator().await;
    op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "運用 一郎が確認")]).await;
    op.post_form(&format!("/admin/services/{listed}/reinstate"), &[("comment", "")]).await;
    let c = t.client();
    let mut page = 1;
    let mut seen = 0;
    loop {
        let list = c.get(&format!("/api/v1/services?status=all&page={page}")).await.json();
        let items = list["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for i in items {
            let id = i["id"].as_i64().unwrap();
            let r = c.get(&format!("/services/{id}")).await;
            assert_eq!(r.status, StatusCode::OK, "/services/{id}");
            let main = &r.body[r.body.find("<main").unwrap()..r.body.find("</main>").unwrap()];
            for (name, email) in &people {
                assert!(!main.contains(name.as_str()), "/services/{id} names {name}");
                assert!(!main.contains(email.as_str()), "/services/{id} shows {email}");
            }
            // nothing shaped like an address: local@domain.tld
            for word in main.split(|ch: char| ch.is_whitespace() || "<>\"'()（）、。:;,".contains(ch)) {
                if let Some((local, domain)) = word.split_once('@') {
                    let looks = !local.is_empty() && domain.contains('.') && !domain.ends_with('.');
                    assert!(!looks, "/services/{id} shows an e-mail address: {word}");
                }
            }
            seen += 1;
        }
        page += 1;
    }
    assert!(seen >= 90, "every public service was read: {seen}");
}

both_backends!(
    public_contract,
    japanese_by_default_english_on_every_page,
    store_conformance,
    public_pages_name_no_person
);

/// Two `serve` processes on one PostgreSQL database (as behind a load balancer): a change made
/// through one is visible through the other within about a second, and a session made on one
/// is valid on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres_database() {
    if !pg_available().await {
        return;
    }
    let a = TestApp::spawn(Db::Postgres).await;
    // a second, independent process image: its own pool and its own list index
    let store = store::Store::connect(&store::StoreConfig::new(a.db.url.clone())).await.unwrap();
    let b_app = app::App::new(store, app::AppConfig::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = listener.local_addr().unwrap();
    let router = web::router(b_app, web::WebConfig::default());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    let b_base = format!("http://{b_addr}");
    let total = |base: String| async move {
        reqwest::get(format!("{base}/api/v1/services?status=all"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["total"]
            .as_i64()
            .unwrap()
    };
    let before = total(b_base.clone()).await;
    // withdraw a listed service through process A
    let op = a.login("operator@demo.kakehashi.jp").await;
    let listed = a.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let r = op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "LB test")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let registered = |base: String| async move {
        reqwest::get(format!("{base}/api/v1/services/{listed}"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(registered(b_base.clone()).await, "suspended", "detail pages read the database");
    let mut seen = false;
    for _ in 0..30 {
        let r = reqwest::get(format!("{b_base}/api/v1/services?status=suspended&per_page=100"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        if r["items"].as_array().unwrap().iter().any(|i| i["id"] == listed) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "process B's list index caught up");
    assert_eq!(total(b_base.clone()).await, before);
    // the session from A works on B
    let mut on_b = op;
    on_b.base = b_base.clone();
    assert_eq!(on_b.get("/admin").await.status, StatusCode::OK);
}

/// Upgrading a database made before the platform kit keeps its history: the registry's
/// `service_events` become rows of the shared transitions history, the old undelivered outbox
/// rows are closed, and the audit chain still verifies.
async fn upgrade_from_the_first_schema_keeps_history(db: Db) {
    let tdb = TestDb::new(db).await;
    let store = store::Store::connect(&store::StoreConfig::new(tdb.url.clone())).await.unwrap();
    assert_eq!(store.migrate_to(0, 1).await.unwrap(), 1);
    let mut c = tdb.raw().await;
    for sql in [
        "INSERT INTO organizations (kind, name, created_at) VALUES ('vendor', '旧 事業者', 1)",
        "INSERT INTO organizations (kind, name, created_at) VALUES ('registration_body', '旧 審査機関', 1)",
        "INSERT INTO services (provider_org_id, body_org_id, name, name_key, category, status, application, search_text, created_at, updated_at) \
         VALUES (1, 2, '旧サービス', 'old', 'audit', 'submitted', '{}', 'old', 1, 2)",
        "INSERT INTO service_events (service_id, at, actor_user_id, actor_name, action, from_status, to_status, comment) \
         VALUES (1, 1, NULL, '事業者', 'create', NULL, 'draft', '')",
        "INSERT INTO service_events (service_id, at, actor_user_id, actor_name, action, from_status, to_status, comment) \
         VALUES (1, 2, NULL, '事業者', 'submit', 'draft', 'submitted', '初回申請')",
        "INSERT INTO outbox (channel, payload, created_at) VALUES ('email', '{\"org_id\": 2}', 2)",
    ] {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    let ran = store.migrate(3).await.unwrap();
    assert!(ran >= 3, "{ran}");
    let h = store.events(domain::registry::ServiceId(1)).await.unwrap();
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(
        (h[1].action.as_str(), h[1].from_state.as_deref(), h[1].to_state.as_str()),
        ("submit", Some("draft"), "submitted")
    );
    assert_eq!(h[1].comment, "初回申請");
    assert_eq!(store.outbox_pending().await.unwrap(), 0, "old rows closed, not mailed late");
    let gone = sqlx::query("SELECT 1 FROM service_events").fetch_optional(&mut c).await;
    assert!(gone.is_err(), "service_events is dropped");
}

both_backends!(upgrade_from_the_first_schema_keeps_history);

/// `audit verify` reads the head and the entries in one snapshot: a client writing while it
/// runs is never taken for deleted entries (issue 13, item 2).
async fn audit_verify_while_writing(db: Db) {
    let t = TestApp::spawn_with(db, Options { seed: false, ..Default::default() }).await;
    let writer = {
        let app = t.app.clone();
        tokio::spawn(async move {
            for i in 0..150 {
                app.create_org("test", domain::OrgKind::Vendor, &format!("監査 書き込み {i}"), "").await.unwrap();
            }
        })
    };
    let mut checks = 0;
    while !writer.is_finished() || checks < 5 {
        let r = t.app.audit_verify().await.unwrap();
        assert!(r.is_ok(), "check {checks} during writes: {:?}", r.err());
        checks += 1;
    }
    writer.await.unwrap();
    assert!(t.app.audit_verify().await.unwrap().unwrap() >= 150);
}

both_backends!(audit_verify_while_writing);

/// `next` after login or a language switch only ever leads to a local path (issue 13, item 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_parameter_stays_local() {
    let t = TestApp::spawn_with(Db::Sqlite, Options { seed: false, ..Default::default() }).await;
    let c = t.client();
    for (next, want) in [
        ("/services", "/services"),
        ("/%09/evil.example", "/"),
        ("//evil.example", "/"),
        ("/%0A/evil", "/"),
        ("https://evil.example/", "/"),
        ("/%5Cevil.example", "/"),
    ] {
        let r = c.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.location(), want, "{next}");
    }
    // the login form's `next`, including a newline (once a 500)
    let t = TestApp::spawn(Db::Sqlite).await;
    for (next, want) in [("/my", "/my"), ("/\t/evil.example", "/"), ("/\n/x", "/"), ("//evil.example", "/")] {
        let c = t.client();
        let fields = [("email", "provider@demo.kakehashi.jp"), ("password", DEMO_PASSWORD), ("next", next)];
        let r = c.form_before_login("/login", &fields, &c.base, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            loc == want || (want == "/" && !loc.contains("evil") && loc.starts_with('/') && !loc.starts_with("//")),
            "{next:?} -> {loc}"
        );
    }
}

/// The job queue's bookkeeping commits with `synchronous = NORMAL` on SQLite; every connection
/// goes back to the pool at FULL, so no request's write is acknowledged before it is on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_connections_return_to_full_sync() {
    let t = TestApp::spawn_with(Db::Sqlite, Options { seed: false, ..Default::default() }).await;
    let s = &t.store;
    for i in 0..3 {
        s.enqueue(&app::jobs::NewJob::new("platform.noop", "{}", 0), i).await.unwrap();
    }
    let j = s.claim_job(&[], 1, 1000).await.unwrap().unwrap();
    assert!(s.extend_lease(&j, 5000).await.unwrap());
    s.fail_job(&j, "x", 2, 3).await.unwrap();
    let _ = s.claim_job(&[], 4, 1).await.unwrap().unwrap();
    s.reap_jobs(10_000).await.unwrap();
    let mut conns = Vec::new();
    for _ in 0..4 {
        conns.push(s.pool().acquire().await.unwrap());
    }
    for c in conns.iter_mut() {
        let v: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **c).await.unwrap();
        assert_eq!(v, 2, "FULL");
    }
}
