//! Settings from flags, `KAKEHASHI_*` environment variables and a TOML file (in that order).

use serde::Deserialize;

use crate::{CliError, DbArgs};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub database_url: Option<String>,
    pub bind: String,
    pub public_url: Option<String>,
    pub max_upload_mb: usize,
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// Job workers inside `serve` (0: none; run `kakehashi worker` instead).
    pub workers: usize,
    /// `smtp://HOST:PORT`, `smtp://USER:PASS@HOST:587?tls=required` (STARTTLS), `smtps://…`.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Allow http:// and private addresses for webhooks (closed networks, tests).
    pub allow_insecure_webhooks: bool,
    pub webhook_timeout_secs: u64,
    /// Job lease in seconds (renewed while a job runs) and the first retry delay in ms.
    pub job_lease_secs: i64,
    pub job_backoff_ms: i64,
    /// How often an idle worker looks for work, in ms.
    pub job_poll_ms: i64,
    /// The advisory index (`kakehashi osv import --db DIR`) that uploaded SBOMs are scanned with.
    pub advisory_db: Option<std::path::PathBuf>,
    /// Addresses or networks of reverse proxies / load balancers (`10.0.0.5`, `10.0.0.0/24`)
    /// whose `X-Forwarded-For` header names the client. Empty: the headers are
    /// ignored and the peer address is the client (a client could otherwise choose its own).
    pub trusted_proxies: Vec<String>,
    /// Key (at least 32 characters) that signs audit checkpoints; keep it outside the database
    /// and its backups. Unset: no checkpoints.
    pub audit_key: Option<Secret>,
    /// Where checkpoints are appended (JSON lines); put it on another volume or ship it away.
    pub audit_checkpoint_file: Option<std::path::PathBuf>,
    /// Seconds between checkpoints.
    pub audit_checkpoint_secs: i64,
    /// The file store for large evidence (captures), kept outside the database. Unset: a
    /// `kakehashi-blobs` directory beside the SQLite file, or in the working directory with
    /// PostgreSQL (several servers must share one: mount the same volume).
    pub blob_dir: Option<std::path::PathBuf>,
    /// Largest capture accepted, in MiB (streamed to the file store).
    pub max_capture_mb: u64,
    /// `/metrics` for a scraper that sends `Authorization: Bearer` this token, or from these
    /// addresses or networks; with neither, for this machine (loopback) only.
    pub metrics_token: Option<Secret>,
    pub metrics_allow: Vec<String>,
    /// The program office's address for the public contact page (`/contact`).
    pub contact_email: Option<String>,
    /// Seals the label signing keys at rest (at least 32 characters; keep it outside the
    /// database and its backups). Unset: labels cannot be issued.
    pub label_secret: Option<Secret>,
    /// Days a critical or known-exploited finding on a labelled version may stay untriaged or
    /// exploitable before the label is suspended.
    pub label_suspend_days: i64,
}

/// A secret from the configuration: never shown by `Debug`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            max_upload_mb: 20,
            secure_cookies: false,
            session_hours: 8,
            workers: 2,
            smtp_url: None,
            mail_from: "Kakehashi <no-reply@kakehashi.invalid>".into(),
            allow_insecure_webhooks: false,
            webhook_timeout_secs: 10,
            job_lease_secs: 60,
            job_backoff_ms: 2000,
            job_poll_ms: 100,
            advisory_db: None,
            trusted_proxies: Vec::new(),
            audit_key: None,
            audit_checkpoint_file: None,
            audit_checkpoint_secs: 600,
            blob_dir: None,
            max_capture_mb: 2048,
            metrics_token: None,
            metrics_allow: Vec::new(),
            contact_email: None,
            label_secret: None,
            label_suspend_days: 30,
        }
    }
}

impl Settings {
    pub fn load(db: &DbArgs) -> Result<Settings, CliError> {
        let mut s = match &db.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::new(2, format!("cannot read config {}: {e}", path.display())))?;
                toml::from_str(&text).map_err(|e| CliError::new(2, format!("bad config {}: {e}", path.display())))?
            }
            None => Settings::default(),
        };
        if let Some(u) = &db.database_url {
            s.database_url = Some(u.clone());
        }
        let num = |name: &str| -> Result<Option<i64>, CliError> {
            match std::env::var(name) {
                Ok(v) => v.parse().map(Some).map_err(|_| CliError::new(2, format!("{name} must be a whole number"))),
                Err(_) => Ok(None),
            }
        };
        if let Ok(v) = std::env::var("KAKEHASHI_MAX_UPLOAD_MB") {
            s.max_upload_mb =
                v.parse().map_err(|_| CliError::new(2, "KAKEHASHI_MAX_UPLOAD_MB must be a whole number"))?;
        }
        if let Ok(v) = std::env::var("KAKEHASHI_SECURE_COOKIES") {
            s.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Ok(v) = std::env::var("KAKEHASHI_SMTP_URL") {
            s.smtp_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_MAIL_FROM") {
            s.mail_from = v;
        }
        if let Ok(v) = std::env::var("KAKEHASHI_ADVISORY_DB") {
            s.advisory_db = Some(v.into()).filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_METRICS_TOKEN") {
            s.metrics_token = Some(Secret(v)).filter(|k| !k.0.is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_METRICS_ALLOW") {
            s.metrics_allow = v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
        }
        if let Ok(v) = std::env::var("KAKEHASHI_CONTACT_EMAIL") {
            s.contact_email = Some(v).filter(|v| !v.is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_BLOB_DIR") {
            s.blob_dir = Some(v.into()).filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
        }
        if let Some(v) = num("KAKEHASHI_MAX_CAPTURE_MB")? {
            s.max_capture_mb = v.max(1) as u64;
        }
        if let Ok(v) = std::env::var("KAKEHASHI_ALLOW_INSECURE_WEBHOOKS") {
            s.allow_insecure_webhooks = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Ok(v) = std::env::var("KAKEHASHI_TRUSTED_PROXIES") {
            s.trusted_proxies = v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
        }
        if let Ok(v) = std::env::var("KAKEHASHI_AUDIT_KEY") {
            s.audit_key = Some(Secret(v)).filter(|k| !k.0.is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_AUDIT_CHECKPOINT_FILE") {
            s.audit_checkpoint_file = Some(v.into()).filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
        }
        if let Ok(v) = std::env::var("KAKEHASHI_LABEL_SECRET") {
            s.label_secret = Some(Secret(v)).filter(|k| !k.0.is_empty());
        }
        if let Some(v) = num("KAKEHASHI_LABEL_SUSPEND_DAYS")? {
            s.label_suspend_days = v.max(1);
        }
        if let Some(v) = num("KAKEHASHI_WORKERS")? {
            s.workers = v.max(0) as usize;
        }
        if let Some(v) = num("KAKEHASHI_JOB_LEASE_SECS")? {
            s.job_lease_secs = v.max(1);
        }
        if let Some(v) = num("KAKEHASHI_JOB_BACKOFF_MS")? {
            s.job_backoff_ms = v.max(1);
        }
        if let Some(v) = num("KAKEHASHI_JOB_POLL_MS")? {
            s.job_poll_ms = v.clamp(5, 60_000);
        }
        if let Some(v) = num("KAKEHASHI_WEBHOOK_TIMEOUT_SECS")? {
            s.webhook_timeout_secs = v.max(1) as u64;
        }
        if let Some(v) = num("KAKEHASHI_AUDIT_CHECKPOINT_SECS")? {
            s.audit_checkpoint_secs = v.max(1);
        }
        if let Some(k) = &s.audit_key
            && k.0.len() < 32
        {
            return Err(CliError::new(2, "audit_key must be at least 32 characters (e.g. `openssl rand -hex 32`)"));
        }
        if let Some(k) = &s.label_secret
            && k.0.len() < 32
        {
            return Err(CliError::new(2, "label_secret must be at least 32 characters (e.g. `openssl rand -hex 32`)"));
        }
        Ok(s)
    }

    /// The database URL, opened as `access` says. A SQLite file that does not exist is created
    /// only for [`Access::Create`]; otherwise the command fails naming the path, so a mistyped
    /// path or an unmounted volume never looks like an empty, healthy registry.
    pub fn database_url(&self, access: Access) -> Result<String, CliError> {
        let url = self.database_url.clone().ok_or_else(|| {
            CliError::new(
                2,
                "no database: give --database-url, KAKEHASHI_DATABASE_URL or database_url in the config file",
            )
        })?;
        store::Backend::from_url(&url).map_err(|e| CliError::new(2, e.to_string()))?;
        sqlite_access(&url, access)
    }

    pub fn app_config(&self) -> app::AppConfig {
        app::AppConfig {
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            session_ttl: self.session_hours * 3600,
            jobs: app::jobs::JobsConfig {
                lease_ms: self.job_lease_secs * 1000,
                backoff_base_ms: self.job_backoff_ms,
                poll_ms: self.job_poll_ms as u64,
                ..Default::default()
            },
            delivery: app::notify::DeliveryConfig {
                smtp_url: self.smtp_url.clone(),
                mail_from: self.mail_from.clone(),
                public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)),
                webhook_timeout: std::time::Duration::from_secs(self.webhook_timeout_secs),
                allow_insecure_webhooks: self.allow_insecure_webhooks,
                ..Default::default()
            },
            advisory_db: self.advisory_db.clone(),
            audit_checkpoints: self.audit_key.as_ref().map(|k| app::audit::CheckpointConfig {
                key: k.0.as_bytes().to_vec(),
                file: self.audit_checkpoint_file.clone(),
                every_secs: self.audit_checkpoint_secs,
            }),
            blob_dir: self.blob_dir(),
            max_capture_bytes: self.max_capture_mb * 1024 * 1024,
            labels: app::verification::labels::LabelConfig {
                secret: self.label_secret.as_ref().map(|k| k.0.clone()),
                suspend_days: self.label_suspend_days,
            },
            ..app::AppConfig::default()
        }
    }

    /// The file store's directory: as configured, else beside the SQLite file, else
    /// `./kakehashi-blobs`.
    pub fn blob_dir(&self) -> std::path::PathBuf {
        if let Some(d) = &self.blob_dir {
            return d.clone();
        }
        let sqlite = self
            .database_url
            .as_deref()
            .and_then(|u| u.strip_prefix("sqlite://"))
            .map(|p| p.split('?').next().unwrap_or(p));
        match sqlite.map(std::path::Path::new).and_then(|p| p.parent()) {
            Some(parent) => parent.join("kakehashi-blobs"),
            None => std::path::PathBuf::from("kakehashi-blobs"),
        }
    }

    /// The use cases over an open store with these settings.
    pub fn app(&self, store: store::Store) -> Result<app::App, CliError> {
        app::App::new(store, self.app_config()).map_err(|e| CliError::new(2, e))
    }

    pub fn web_config(&self) -> Result<web::WebConfig, CliError> {
        let nets = |key: &str, list: &[String]| {
            list.iter()
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            CliError::new(2, format!("{key}: {p:?} is not an address or a network (10.0.0.0/24)"))
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let trusted_proxies = nets("trusted_proxies", &self.trusted_proxies)?;
        let metrics_allow = nets("metrics_allow", &self.metrics_allow)?;
        if let Some(u) = &self.public_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(CliError::new(2, format!("public_url {u:?} must start with https:// or http://")));
        }
        Ok(web::WebConfig {
            public_url: self.public_url.clone(),
            secure_cookies: self.secure_cookies,
            trusted_proxies,
            metrics_token: self.metrics_token.as_ref().map(|t| t.0.clone()),
            metrics_allow,
            contact_email: self.contact_email.clone(),
        })
    }
}

/// How a command opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `demo`, `migrate`, `serve --create`: a missing SQLite file is created.
    Create,
    /// Commands that write: the database must exist.
    Existing,
    /// `backup`, `audit verify`: the database must exist and is opened read-only.
    ReadOnly,
}

/// Adds SQLite's open mode for `access` (unless the URL gives one) and checks the file exists
/// when it must. PostgreSQL URLs pass unchanged: the server never creates a database on connect.
fn sqlite_access(url: &str, access: Access) -> Result<String, CliError> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") {
        return Ok(url.to_string());
    }
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    let explicit_create = url.contains("mode=rwc");
    if access != Access::Create && !explicit_create && !std::path::Path::new(path).exists() {
        return Err(CliError::new(
            2,
            format!(
                "no database at {path}: check the path (and that its volume is mounted); `serve --create` or `migrate` makes a new one"
            ),
        ));
    }
    if url.contains("mode=") {
        return Ok(url.to_string());
    }
    let mode = match access {
        Access::Create => "rwc",
        Access::Existing => "rw",
        Access::ReadOnly => "ro",
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}mode={mode}"))
}

pub fn sqlite_url_for(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Logs to stderr; `KAKEHASHI_LOG=json` for JSON lines, `RUST_LOG` for levels.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("KAKEHASHI_LOG").is_ok_and(|v| v == "json") {
        b.json().init();
    } else {
        b.compact().init();
    }
}
