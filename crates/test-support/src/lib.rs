//! Test harness for every program: the real router on a real port with an isolated database (a
//! fresh SQLite file, or a fresh PostgreSQL database per test), role-typed browser-like clients
//! that keep their session cookie and send the CSRF token and Origin header the way a browser
//! form does, fixtures, and helpers that wait for jobs.

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
            // written past the harness's capture, so the skip shows in the run's output
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED PostgreSQL leg: {} unreachable ({e})", pg_admin_url());
            false
        }
    }
}

use sqlx::Connection;

/// A file or directory under `../shared/data` (beside the checkout), if it is there. When it is
/// not: with KAKEHASHI_REQUIRE_DATA=1 (as in CI) the test fails; otherwise a SKIPPED line is
/// written past the test harness's output capture, so the skip shows in the run.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("KAKEHASHI_REQUIRE_DATA").is_ok_and(|v| v == "1") {
        panic!("KAKEHASHI_REQUIRE_DATA=1 but {} is missing", p.display());
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {} is missing", p.display());
    None
}

/// Generates a `sqlite` and a `postgres` test for one async test body taking a `Db`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::pg_available().await {
                    super::$name($crate::Db::Postgres).await
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
    /// A connection of the test's own to the same database, for setting up and checking state
    /// (the server's store is private to its use cases).
    pub store: store::Store,
    pub db: TestDb,
}

/// See [`TestApp::verification_parties`].
pub struct VerificationParties {
    pub vendor: Client,
    pub vt: String,
    pub tester: Client,
    pub tt: String,
    pub center: i64,
}

pub struct Options {
    pub seed: bool,
    pub max_upload_bytes: usize,
    /// Settings for the use cases (delivery, jobs); `max_upload_bytes` above wins.
    pub config: app::AppConfig,
    /// Job workers to run beside the server (0: none; tests drive jobs themselves).
    pub workers: usize,
    /// Web settings (public URL, trusted proxies).
    pub web: web::WebConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: true,
            max_upload_bytes: 20 * 1024 * 1024,
            config: app::AppConfig::default(),
            workers: 0,
            web: web::WebConfig::default(),
        }
    }
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, Options::default()).await
    }

    pub async fn spawn_with(db: Db, o: Options) -> TestApp {
        let tdb = TestDb::new(db).await;
        let store = store::Store::connect(&store::StoreConfig::new(tdb.url.clone())).await.unwrap();
        store.migrate(0).await.unwrap();
        let own = store::Store::connect(&store::StoreConfig::new(tdb.url.clone())).await.unwrap();
        let app = app::App::new(
            store,
            app::AppConfig { max_upload_bytes: o.max_upload_bytes, blob_dir: tdb.dir.join("blobs"), ..o.config },
        )
        .unwrap();
        if o.seed {
            app.seed_demo(0, &|_, _| {}).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = web::router(app.clone(), o.web);
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        if o.workers > 0 {
            let w = app.clone();
            tokio::spawn(async move { w.run_workers(o.workers, std::future::pending()).await });
        }
        TestApp { addr, app, store: own, db: tdb }
    }

    pub async fn as_operator(&self) -> Client {
        self.login("operator@demo.kakehashi.jp").await
    }
    pub async fn as_reviewer(&self) -> Client {
        self.login("reviewer@demo.kakehashi.jp").await
    }
    pub async fn as_provider(&self) -> Client {
        self.login("provider@demo.kakehashi.jp").await
    }
    pub async fn as_provider_admin(&self) -> Client {
        self.login("provider-admin@demo.kakehashi.jp").await
    }
    pub async fn as_sme(&self) -> Client {
        self.login("sme@demo.kakehashi.jp").await
    }

    /// A new application by the demo provider, with evidence, submitted to the demo's first
    /// registration body (so its reviewer may decide it). Returns the service id.
    pub async fn submitted_application(&self, name: &str) -> i64 {
        let body_id = self.org_id("日本セキュリティサービス審査協会").await.to_string();
        let p = self.as_provider_admin().await;
        let r = p.post_form("/my/services", &application_fields(name, &body_id)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id = r.service_id();
        let up = p.upload(&format!("/my/services/{id}/evidence"), "manual.pdf", b"%PDF-1.7\nmanual".to_vec()).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
        let r = p.post_form(&format!("/my/services/{id}/submit"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        id
    }

    /// Waits (up to `secs`) until no job is queued, running or waiting to retry; panics with the
    /// counts if not.
    pub async fn jobs_settle(&self, secs: u64) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let c = self.app.job_counts().await.unwrap();
            let busy: i64 = c
                .iter()
                .filter(|(s, _)| {
                    matches!(
                        s,
                        app::jobs::JobState::Queued | app::jobs::JobState::Running | app::jobs::JobState::Failed
                    )
                })
                .map(|(_, n)| n)
                .sum();
            if busy == 0 {
                return;
            }
            assert!(std::time::Instant::now() < end, "jobs did not settle in {secs} s: {c:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
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

    /// A new user of `org` (the demo password), signed in.
    pub async fn member(&self, org: i64, email: &str, name: &str, role: domain::MembershipRole) -> Client {
        self.app
            .create_user(
                "test",
                app::identity::NewUser {
                    email: email.into(),
                    display_name: name.into(),
                    password: app::demo::DEMO_PASSWORD.into(),
                    is_operator: false,
                    org: Some((org, role)),
                },
            )
            .await
            .unwrap();
        self.login(email).await
    }

    /// The parties of most verification tests: the demo vendor admin and the demo tester (of
    /// 日本IoT検証センター), each with a `verification:read`/`write` token, and the body's id.
    pub async fn verification_parties(&self) -> VerificationParties {
        let vendor = self.as_provider_admin().await;
        let vt = vendor.create_token("v", &["verification:read", "verification:write"]).await;
        let tester = self.login("tester@demo.kakehashi.jp").await;
        let tt = tester.create_token("t", &["verification:read", "verification:write"]).await;
        let center = self.org_id("日本IoT検証センター").await;
        VerificationParties { vendor, vt, tester, tt, center }
    }

    /// A public product of the demo vendor with a vulnerability contact; returns its id.
    pub async fn new_product(&self, p: &VerificationParties, name: &str, category: &str) -> i64 {
        let body =
            serde_json::json!({"name": name, "category": category, "vuln_contact": "psirt@example.jp", "public": true});
        let r = p.vendor.api(reqwest::Method::POST, "/api/v1/products", &p.vt, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    /// Pushes an SBOM (JSON) to a version of a product, as a build pipeline does (202).
    pub async fn push_sbom(&self, token: &str, product: i64, version: &str, sbom: &str) {
        let r = reqwest::Client::new()
            .post(self.url(&format!("/api/v1/products/{product}/versions/{version}/sbom")))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(sbom.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }

    pub async fn org_id(&self, name_part: &str) -> i64 {
        self.store.orgs(None).await.unwrap().into_iter().find(|o| o.name.contains(name_part)).unwrap().id
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

/// The value a response's `Set-Cookie` gives the cookie `name`.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
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
        let base = self.base.clone();
        let fields = [("email", email), ("password", password), ("next", "/")];
        let r = self.form_before_login("/login", &fields, &base, None).await;
        if let Some(s) = cookie_value(r.headers(), "kh_session") {
            self.session = Some(s);
            self.refresh_csrf().await;
        }
        r.status()
    }

    /// A form used before there is a session (login, sign-up, its confirmation) posted as a
    /// browser would: the page is fetched for its pre-login cookie and hidden token, then the
    /// form goes to the page's path with `Origin: origin` (and `X-Forwarded-For`, as a proxy
    /// would add it).
    pub async fn form_before_login(
        &self,
        page: &str,
        fields: &[(&str, &str)],
        origin: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let p = self.get(page).await;
        let cookie = cookie_value(&p.headers, "kh_login_csrf").expect("pre-login cookie");
        let token = hidden_csrf(&p.body).expect("hidden token");
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        let path = page.split('?').next().unwrap_or(page);
        let mut rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .header("cookie", format!("kh_login_csrf={cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_html_form_encode(&all));
        if let Some(x) = forwarded_for {
            rb = rb.header("x-forwarded-for", x);
        }
        rb.send().await.unwrap()
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

    /// A multipart form post (the caller adds the `csrf` field), from the same origin.
    pub async fn multipart(&self, path: &str, form: reqwest::multipart::Form) -> Resp {
        let rb = self.http.post(format!("{}{path}", self.base)).header("origin", &self.base).multipart(form);
        Self::send(self.with_cookies(rb, None)).await
    }

    /// Creates an API token with these scopes on the account page and returns it.
    pub async fn create_token(&self, name: &str, scopes: &[&str]) -> String {
        let mut fields = vec![("name", name)];
        fields.extend(scopes.iter().map(|s| ("scopes", *s)));
        let page = self.post_form("/account/tokens", &fields).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let i = page.body.find("kh_").expect("token shown once");
        page.body[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
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

/// A free TCP port on 127.0.0.1 (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every e-mail file (one message per file: a Maildir folder, or `.eml` files) in `dir`, decoded.
pub fn mails_in(dir: &std::path::Path) -> Vec<Mail> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd.flatten() {
        let Ok(raw) = std::fs::read(e.path()) else { continue };
        let Ok(m) = mailparse::parse_mail(&raw) else { continue };
        use mailparse::MailHeaderMap;
        out.push(Mail {
            to: m.headers.get_first_value("To").unwrap_or_default(),
            subject: m.headers.get_first_value("Subject").unwrap_or_default(),
            message_id: m.headers.get_first_value("Message-ID").unwrap_or_default(),
            body: m.get_body().unwrap_or_default(),
        });
    }
    out
}

/// A received e-mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
}

/// A real SMTP server (Python's aiosmtpd, writing a Maildir) on 127.0.0.1.
pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: std::process::Child,
}

/// The Python that has aiosmtpd: `KAKEHASHI_TEST_PYTHON`, else the venv `.ci/run` makes.
fn smtp_python() -> Option<String> {
    let candidates = [std::env::var("KAKEHASHI_TEST_PYTHON").ok(), Some("/var/tmp/kakehashi-venv/bin/python".into())];
    candidates.into_iter().flatten().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    })
}

impl SmtpServer {
    /// Starts the server on `port` (or a free one). Returns None, after saying so, when aiosmtpd
    /// is not installed, unless `KAKEHASHI_REQUIRE_SMTP=1` (as in CI), which makes that a failure.
    pub async fn start(port: Option<u16>) -> Option<SmtpServer> {
        let Some(python) = smtp_python() else {
            if std::env::var("KAKEHASHI_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
                panic!("aiosmtpd is required (KAKEHASHI_REQUIRE_SMTP=1) but not installed; run .ci/run once");
            }
            use std::io::Write;
            let _ =
                writeln!(std::io::stderr(), "SKIPPED SMTP test: aiosmtpd not installed (set KAKEHASHI_TEST_PYTHON)");
            return None;
        };
        let port = port.unwrap_or_else(free_port);
        let dir = std::env::temp_dir().join(format!("kakehashi-mail-{}", &app::auth::random_token()[..12]));
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = SmtpServer { port, dir, child };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Mail> {
        ["new", "cur"].iter().flat_map(|sub| mails_in(&self.dir.join(sub))).collect()
    }

    /// Waits (up to `secs`) until a message matching `f` has arrived.
    pub async fn wait_for(&self, secs: u64, f: impl Fn(&Mail) -> bool) -> Mail {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| f(m)) {
                return m;
            }
            assert!(std::time::Instant::now() < end, "no matching e-mail in {secs} s; got {:#?}", self.messages());
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request a [`WebhookSink`] received.
#[derive(Debug, Clone)]
pub struct Hook {
    pub headers: HeaderMap,
    pub body: String,
}

/// How a [`WebhookSink`] answers: the status for the n-th request (the last repeats), or hang.
#[derive(Debug, Clone)]
pub enum SinkMode {
    Statuses(Vec<u16>),
    Hang,
}

/// A webhook endpoint on 127.0.0.1 that records what it receives.
pub struct WebhookSink {
    pub addr: SocketAddr,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Hook>>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookSink {
    pub async fn start(mode: SinkMode) -> WebhookSink {
        use axum::http::StatusCode as S;
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Hook>::new()));
        let rec = received.clone();
        let handler = move |headers: axum::http::HeaderMap, body: String| {
            let rec = rec.clone();
            let mode = mode.clone();
            async move {
                let n = {
                    let mut r = rec.lock().unwrap();
                    r.push(Hook { headers: headers.clone(), body });
                    r.len()
                };
                match mode {
                    SinkMode::Hang => {
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        S::OK
                    }
                    SinkMode::Statuses(s) => {
                        let code = s.get(n - 1).or(s.last()).copied().unwrap_or(200);
                        S::from_u16(code).unwrap_or(S::OK)
                    }
                }
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        WebhookSink { addr, received, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}
