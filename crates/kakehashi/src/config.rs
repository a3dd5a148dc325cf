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
        if let Ok(v) = std::env::var("KAKEHASHI_MAX_UPLOAD_MB") {
            s.max_upload_mb =
                v.parse().map_err(|_| CliError::new(2, "KAKEHASHI_MAX_UPLOAD_MB must be a whole number"))?;
        }
        if let Ok(v) = std::env::var("KAKEHASHI_SECURE_COOKIES") {
            s.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(s)
    }

    pub fn database_url(&self) -> Result<String, CliError> {
        let url = self.database_url.clone().ok_or_else(|| {
            CliError::new(
                2,
                "no database: give --database-url, KAKEHASHI_DATABASE_URL or database_url in the config file",
            )
        })?;
        app::Backend::from_url(&url).map_err(|e| CliError::new(2, e.to_string()))?;
        Ok(with_create_mode(&url))
    }

    pub fn app_config(&self) -> app::AppConfig {
        app::AppConfig {
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            session_ttl: self.session_hours * 3600,
            ..app::AppConfig::default()
        }
    }

    pub fn web_config(&self) -> web::WebConfig {
        web::WebConfig { public_url: self.public_url.clone(), secure_cookies: self.secure_cookies }
    }
}

/// SQLite files are created when missing unless the URL says otherwise (`?mode=ro`, ...).
fn with_create_mode(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
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
