//! Test harness: the real router on a real port with an isolated database (a fresh SQLite file,
//! or a fresh PostgreSQL database per test), and a browser-like client that keeps its session
//! cookie and sends the CSRF token and Origin header the way a browser form does.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

pub use app::demo::DEMO_PASSWORD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL leg connects to create its databases.
pub fn pg_admin_url() -> String {
    std::env::var("KAKEHASHI_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether the PostgreSQL leg runs. With KAKEHASHI_REQUIRE_PG=1 (as in CI) an unreachable server fails the test.
pub async fn pg_available() -> bool {
    sqlx::any::install_default_drivers();
    match sqlx::AnyConnection::connect(&pg_admin_url()).await {
        Ok(_) => true,
        Err(e) => {
            if std::env::var("KAKEHASHI_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL is required (KAKEHASHI_REQUIRE_PG=1) but unreachable at {}: {e}", pg_admin_url());
            }
            eprintln!("SKIPPED PostgreSQL leg: {} unreachable ({e})", pg_admin_url());
            false
        }
    }
}

use sqlx::Connection;

/// Generates a `sqlite` and a `postgres` test for one async test body taking a `Db`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::pg_available().await {
                    super::$name($crate::common::Db::Postgres).await
                }
            }
        }
    )*};
}

/// A fresh, empty database (SQLite file or PostgreSQL database) and its URL.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub dir: PathBuf,
    pub pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        let tag = app::auth::random_token()[..12].to_string();
        let dir = std::env::temp_dir().join(format!("kakehashi-test-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        match db {
            Db::Sqlite => {
                TestDb { db, url: format!("sqlite://{}?mode=rwc", dir.join("t.db").display()), dir, pg_name: None }
            }
            Db::Postgres => {
                let name = format!("kakehashi_test_{tag}");
                let mut c = sqlx::AnyConnection::connect(&pg_admin_url()).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
                let base = pg_admin_url();
                let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
                TestDb { db, url, dir, pg_name: Some(name) }
            }
        }
    }

    /// A raw connection, for tests that play an attacker or an outage (tampering, dropping connections).
    pub async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Best effort, in a thread of its own (Drop may run inside the test's runtime).
            let admin = pg_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

/// The platform served on 127.0.0.1 with a fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub app: app::App,
    pub db: TestDb,
}

pub struct Options {
    pub seed: bool,
    pub max_upload_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { seed: true, max_upload_bytes: 20 * 1024 * 1024 }
    }
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, Options::default()).await
    }

    pub async fn spawn_with(db: Db, o: Options) -> TestApp {
        let tdb = TestDb::new(db).await;
        let store = app::Store::connect(&app::StoreConfig::new(tdb.url.clone())).await.unwrap();
        store.migrate(0).await.unwrap();
        let app = app::App::new(store, app::AppConfig { max_upload_bytes: o.max_upload_bytes, ..Default::default() }).unwrap();
        if o.seed {
            app.seed_demo(0, &|_, _| {}).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = web::router(app.clone(), web::WebConfig::default());
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        TestApp { addr, app, db: tdb }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            base: format!("http://{}", self.addr),
            session: None,
            csrf: String::new(),
        }
    }

    /// A client already logged in as the demo user with this e-mail.
    pub async fn login(&self, email: &str) -> Client {
        let mut c = self.client();
        let st = c.login(email, DEMO_PASSWORD).await;
        assert_eq!(st, StatusCode::SEE_OTHER, "login as {email}");
        c
    }

    pub async fn org_id(&self, name_part: &str) -> i64 {
        self.app.store.orgs(None).await.unwrap().into_iter().find(|o| o.name.contains(name_part)).unwrap().id
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The service id in a `/services/{id}...` redirect.
    pub fn service_id(&self) -> i64 {
        let loc = self.location();
        loc.trim_start_matches("/services/")
            .split(['?', '/'])
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no id in {loc:?}: {}", self.body))
    }
}

/// A browser-like client: session cookie, CSRF token from the pages, same-origin `Origin`.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub session: Option<String>,
    pub csrf: String,
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

impl Client {
    fn with_cookies(&self, rb: reqwest::RequestBuilder, extra: Option<&str>) -> reqwest::RequestBuilder {
        let mut cookies = Vec::new();
        if let Some(s) = &self.session {
            cookies.push(format!("kh_session={s}"));
        }
        if let Some(e) = extra {
            cookies.push(e.to_string());
        }
        if cookies.is_empty() { rb } else { rb.header("cookie", cookies.join("; ")) }
    }

    async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let r = rb.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap_or_default();
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        Self::send(self.with_cookies(self.http.get(format!("{}{path}", self.base)), None)).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> StatusCode {
        let page = self.get("/login").await;
        let token = cookie_value(&page.headers, "kh_login_csrf").expect("login csrf cookie");
        let form_token = hidden_csrf(&page.body).unwrap();
        let rb = self.http.post(format!("{}/login", self.base)).header("origin", &self.base).form(&[
            ("email", email),
            ("password", password),
            ("csrf", &form_token),
            ("next", "/"),
        ]);
        let r = Self::send(self.with_cookies(rb, Some(&format!("kh_login_csrf={token}")))).await;
        if let Some(s) = cookie_value(&r.headers, "kh_session") {
            self.session = Some(s);
            self.refresh_csrf().await;
        }
        r.status
    }

    pub async fn refresh_csrf(&mut self) {
        let page = self.get("/account").await;
        self.csrf = hidden_csrf(&page.body).unwrap_or_default();
    }

    /// A same-origin form post carrying the session's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        all.extend_from_slice(fields);
        let body = serde_html_form_encode(&all);
        self.post_raw(path, body, Some(&self.base)).await
    }

    /// A form post with full control over the body and the Origin header.
    pub async fn post_raw(&self, path: &str, body: String, origin: Option<&str>) -> Resp {
        let mut rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        Self::send(self.with_cookies(rb, None)).await
    }

    pub async fn upload(&self, path: &str, filename: &str, data: Vec<u8>) -> Resp {
        let form = reqwest::multipart::Form::new()
            .text("csrf", self.csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(data).file_name(filename.to_string()));
        let rb = self.http.post(format!("{}{path}", self.base)).header("origin", &self.base).multipart(form);
        Self::send(self.with_cookies(rb, None)).await
    }

    /// An API call with a bearer token.
    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<serde_json::Value>) -> Resp {
        let mut rb = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::send(rb).await
    }
}

pub fn serde_html_form_encode(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A complete, valid application form for the demo's first registration body.
pub fn application_fields<'a>(name: &'a str, body_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("category", "vulnerability_assessment"),
        ("subcategory", "web_application"),
        ("pentest_option", "on"),
        ("description", "Webアプリケーションの脆弱性を専門家が手動と自動で診断します。"),
        ("specification", "診断範囲、手法、報告書、再診断を仕様書に定める。"),
        ("expert_name", "山田 太郎"),
        ("expert_qualification", "情報処理安全確保支援士"),
        ("expert_expires_on", "2030-03-31"),
        ("expert_name", ""),
        ("expert_qualification", ""),
        ("expert_expires_on", ""),
        ("quality_manager", "佐藤 花子"),
        ("quality_manual_ref", "QM-100 第2版"),
        ("improvement_procedure", "四半期ごとに是正処置を品質委員会で承認する。"),
        ("industries", "finance"),
        ("industries", "healthcare"),
        ("regions", "kanto"),
        ("options", ""),
        ("price_min", "500,000"),
        ("price_max", "2000000"),
        ("registration_body_id", body_id),
    ]
}
