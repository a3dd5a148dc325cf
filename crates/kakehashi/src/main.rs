//! `kakehashi`: one binary for the whole platform.

mod config;
mod engine;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use config::{Access, Settings, sqlite_url_for};

/// 架け橋 Kakehashi — platform for Japan's cybersecurity industry programs.
#[derive(Parser)]
#[command(name = "kakehashi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone, Default)]
pub struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long, env = "KAKEHASHI_DATABASE_URL")]
    database_url: Option<String>,
    /// TOML configuration file (keys: database_url, bind, public_url, max_upload_mb, secure_cookies)
    #[arg(long, env = "KAKEHASHI_CONFIG")]
    config: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Creates (or reuses) a SQLite database with demo data and serves it.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on, e.g. 0.0.0.0:8080 inside a VM or container (default
        /// 127.0.0.1:PORT). Links in e-mail and feeds use http://ADDR unless KAKEHASHI_PUBLIC_URL is set.
        #[arg(long)]
        bind: Option<String>,
        #[arg(long, default_value = "./kakehashi-data")]
        data_dir: std::path::PathBuf,
        /// Also generate N listed services (with N/10 providers) for load tests.
        #[arg(long, default_value_t = 0)]
        scale: usize,
        /// Load the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Use this database instead of the SQLite file in --data-dir (e.g. PostgreSQL for load tests).
        #[arg(long)]
        database_url: Option<String>,
        /// Also generate N public products (one version each) for load tests.
        #[arg(long, default_value_t = 0)]
        products: usize,
        /// Components in each generated product's SBOM.
        #[arg(long, default_value_t = 200)]
        product_components: usize,
        /// The shared test data (advisories, SBOMs): the demo products' SBOMs are attached from
        /// it and scanned. Default: ../shared/data when it exists.
        #[arg(long)]
        shared_data: Option<std::path::PathBuf>,
        /// The advisory index SBOMs are scanned with. Default: built once from the shared
        /// data's OSV and RustSec zips into DATA_DIR/advisories.
        #[arg(long)]
        advisory_db: Option<std::path::PathBuf>,
    },
    /// Serves the platform.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "KAKEHASHI_BIND")]
        bind: Option<String>,
        /// Public base URL; writes must come from this origin.
        #[arg(long, env = "KAKEHASHI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Do not apply pending migrations at start.
        #[arg(long)]
        no_migrate: bool,
        /// Job workers in this process (0: none; run `kakehashi worker` beside it).
        #[arg(long, env = "KAKEHASHI_WORKERS")]
        workers: Option<usize>,
        /// Create the SQLite database when the file does not exist (otherwise a missing file is
        /// an error: an unmounted volume must not look like an empty registry).
        #[arg(long)]
        create: bool,
    },
    /// Runs job workers only (delivery of e-mail and webhooks, sweeps, scans) until stopped.
    /// Any number of worker processes may share one PostgreSQL database.
    Worker {
        #[command(flatten)]
        db: DbArgs,
        /// Concurrent jobs in this process.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Exit once no job is ready (for scripts and benchmarks) instead of waiting for more.
        #[arg(long)]
        until_idle: bool,
    },
    /// The job queue.
    Jobs {
        #[command(subcommand)]
        cmd: JobsCmd,
    },
    /// Applies pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Consistent online copy of a SQLite database.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Registry program jobs.
    Registry {
        #[command(subcommand)]
        cmd: RegistryCmd,
    },
    /// The offline advisory index (OSV and RustSec).
    Osv {
        #[command(subcommand)]
        cmd: OsvCmd,
    },
    /// Finds known vulnerabilities in SBOMs and lockfiles, offline.
    Scan {
        /// The index made by `osv import`.
        #[arg(long)]
        db: std::path::PathBuf,
        /// table, json, sarif or cyclonedx-vex
        #[arg(long, default_value = "table")]
        format: String,
        /// Exit 1 when a finding is at or above this level (unknown, low, medium, high, critical).
        #[arg(long, default_value = "unknown")]
        fail_on: String,
        /// VEX documents (CycloneDX VEX or OpenVEX); `not_affected` findings are suppressed.
        #[arg(long)]
        vex: Vec<std::path::PathBuf>,
        /// The distribution release of packages that name none (a dpkg status or apk installed
        /// file): e.g. debian-12, ubuntu-22.04, alpine-3.19, almalinux-9.
        #[arg(long)]
        distro: Option<String>,
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// What a device really sends: endpoints, DNS, TLS, HTTP, names; findings (credentials in clear,
    /// listening services, ICS operations, personal data, ...) with evidence packets.
    /// Unpacks a device firmware image in memory and reports its parts, OS, components and the
    /// findings a white-hat tester looks for first (weak accounts, keys, boot services, secrets).
    Firmware {
        /// text, json (the documented report), html (a report in Japanese and English) or
        /// cyclonedx (an SBOM `kakehashi scan` reads)
        #[arg(long, default_value = "text")]
        format: String,
        /// Largest image read, in MiB; also the bound on what is unpacked from it (×4).
        #[arg(long, default_value_t = 1024)]
        max_mb: u64,
        image: std::path::PathBuf,
    },
    /// Verification labels: `kakehashi label verify` checks one offline.
    Label {
        #[command(subcommand)]
        cmd: LabelCmd,
    },
    Pcap {
        /// IP or MAC address of a device under test (repeatable); default: every host.
        #[arg(long)]
        device: Vec<String>,
        /// text, json or html
        #[arg(long, default_value = "text")]
        format: String,
        /// Show captured secrets instead of ***.
        #[arg(long)]
        show_secrets: bool,
        /// pcap or pcapng files, plain or gzip-compressed, read as one capture in this order;
        /// `-` reads standard input.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Version semantics per ecosystem.
    Versions {
        #[command(subcommand)]
        cmd: VersionsCmd,
    },
}

#[derive(Subcommand)]
enum JobsCmd {
    /// Jobs per state.
    Status {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enqueues N no-op jobs (benchmarks and fault drills).
    EnqueueNoop {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// JSON payload for each job (sleep_ms, count, panic, fail).
        #[arg(long, default_value = "{}")]
        payload: String,
        #[arg(long, default_value_t = 8)]
        max_attempts: i64,
    },
}

#[derive(Subcommand)]
enum OsvCmd {
    /// Builds or updates the index from OSV zips or directories and RustSec's advisory tree or zip.
    Import {
        #[arg(long)]
        db: std::path::PathBuf,
        /// The platform's database: after the import, the stored products' components that the
        /// new or changed advisories name are re-matched (new findings stored, vendors told)
        /// and findings of withdrawn advisories closed.
        #[command(flatten)]
        platform: DbArgs,
        #[arg(required = true)]
        sources: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum VersionsCmd {
    /// Reads lines `A < B`, `A = B`, `A > B` (blank lines and # comments skipped) from FILE or
    /// standard input and prints every line that does not hold; exit 1 if any.
    Compare {
        /// semver (crates.io, npm), pub, debian, redhat/rpm, pypi, rubygems, nuget, cran, hackage
        #[arg(long)]
        ecosystem: String,
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Creates a user (password from --password or the KAKEHASHI_PASSWORD variable).
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, env = "KAKEHASHI_PASSWORD", hide_env_values = true)]
        password: String,
        /// Organisation id to join.
        #[arg(long)]
        org: Option<i64>,
        /// admin or member
        #[arg(long, default_value = "member")]
        role: String,
        /// Program operator (制度事務局).
        #[arg(long)]
        operator: bool,
    },
    /// Creates an organisation.
    CreateOrg {
        #[command(flatten)]
        db: DbArgs,
        /// vendor, sme, insurer, chamber, registration_body, verification_body, program_office
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        name_en: String,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Checks the hash chain; reports the first broken link (exit 1). With --checkpoints, also
    /// checks the exported, signed checkpoints (needs audit_key): a history rewritten and
    /// re-chained since then fails.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Checkpoint file (JSON lines) written by the checkpoint job or `audit checkpoint`.
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Signs the chain's head now and appends it to audit_checkpoint_file (and prints it).
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum RegistryCmd {
    /// Sends due 90/30-day reminders and expires registrations past validity.
    Sweep {
        #[command(flatten)]
        db: DbArgs,
        /// Run as of this date (YYYY-MM-DD, JST midnight) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum LabelCmd {
    /// Checks a label offline: its signature by a key of the trust root, the key's validity when
    /// it signed and that it is not revoked, the label's validity, and with --sbom that it is for
    /// that SBOM, with --status its current status. Exit 0: valid (and active); 2 unreadable;
    /// 3 changed or badly signed; 4 unknown key; 5 key retired, revoked or not the verifier's;
    /// 6 another SBOM; 7 expired, suspended or revoked; 8 the status list is stale, older than the
    /// label, not signed by the office or does not list it.
    Verify {
        /// The label: a DSSE envelope (GET /api/v1/labels/{id}).
        label: std::path::PathBuf,
        /// The trust root (GET /api/v1/trust-root).
        #[arg(long)]
        trust_root: std::path::PathBuf,
        /// The signed status list (GET /api/v1/labels/status-list).
        #[arg(long)]
        status: Option<std::path::PathBuf>,
        /// The SBOM the label should be for.
        #[arg(long)]
        sbom: Option<std::path::PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// An error with the exit code the CLI reports.
pub struct CliError {
    pub code: u8,
    pub msg: String,
}

impl CliError {
    pub fn new(code: u8, msg: impl Into<String>) -> Self {
        CliError { code, msg: msg.into() }
    }
}

impl From<app::AppError> for CliError {
    fn from(e: app::AppError) -> Self {
        match e {
            app::AppError::Invalid(f) => {
                CliError::new(2, f.iter().map(|e| format!("{}: {}", e.field, e.en)).collect::<Vec<_>>().join("; "))
            }
            app::AppError::Unavailable => CliError::new(2, "the database is unavailable"),
            other => CliError::new(2, other.to_string()),
        }
    }
}

impl From<store::StoreError> for CliError {
    fn from(e: app::StoreError) -> Self {
        CliError::new(2, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    config::init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", e.msg);
            ExitCode::from(e.code)
        }
    }
}

async fn open(url: &str, migrate: bool) -> Result<store::Store, CliError> {
    let store = store::Store::connect(&store::StoreConfig::new(url)).await?;
    if migrate {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        store.migrate(now).await?;
    }
    store.check_writable().await?;
    Ok(store)
}

/// Runs job workers until no job is queued, running or waiting to retry.
async fn run_until_idle(app: &app::App, workers: usize) {
    let probe = app.clone();
    app.run_workers(workers, async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            match probe.busy_jobs().await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot count jobs"),
            }
        }
    })
    .await;
}

/// The demo's advisory index: reused from `dir` when it opens, else built there from the shared
/// data's advisory zips (those the demo SBOMs need). None (SBOMs inventoried, not matched) when
/// neither works.
fn demo_advisories(dir: &std::path::Path, shared: &std::path::Path) -> Option<std::path::PathBuf> {
    if vulndb::db::Index::open(dir).is_ok() {
        return Some(dir.to_path_buf());
    }
    let sources: Vec<std::path::PathBuf> =
        ["alpine-secdb-osv.zip", "rustsec-advisory-db.zip", "golang-vulndb.zip", "pypa-advisory-database.zip"]
            .iter()
            .map(|z| shared.join("osv").join(z))
            .filter(|p| p.is_file())
            .collect();
    if sources.is_empty() {
        return None;
    }
    let started = std::time::Instant::now();
    println!("Building the advisory index from {} …", shared.join("osv").display());
    match vulndb::db::import(dir, &sources, &|_, _, _| {}) {
        Ok(r) => {
            println!("  {} advisories in {:.1} s ({})", r.total, started.elapsed().as_secs_f64(), dir.display());
            Some(dir.to_path_buf())
        }
        Err(e) => {
            eprintln!("  cannot build the advisory index: {e}; SBOMs will be inventoried, not matched");
            None
        }
    }
}

/// The demo's label signing secret: made once (random) and kept in the data directory, as
/// `label_secret` would be kept in a real configuration.
fn demo_label_secret(data_dir: &std::path::Path) -> Result<String, CliError> {
    let path = data_dir.join("label-secret");
    if let Ok(s) = std::fs::read_to_string(&path)
        && s.trim().len() >= 32
    {
        return Ok(s.trim().to_string());
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| CliError::new(2, format!("cannot create data directory {}: {e}", data_dir.display())))?;
    let secret = app::auth::random_token();
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new();
    f.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
    f.open(&path)
        .and_then(|mut f| f.write_all(secret.as_bytes()))
        .map_err(|e| CliError::new(2, format!("cannot write {}: {e}", path.display())))?;
    Ok(secret)
}

async fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.cmd {
        Cmd::Demo {
            port,
            bind,
            data_dir,
            scale,
            products,
            product_components,
            no_serve,
            database_url,
            shared_data,
            advisory_db,
        } => {
            let url = match database_url {
                Some(u) => Settings { database_url: Some(u), ..Settings::default() }.database_url(Access::Create)?,
                None => {
                    std::fs::create_dir_all(&data_dir).map_err(|e| {
                        CliError::new(2, format!("cannot create data directory {}: {e}", data_dir.display()))
                    })?;
                    sqlite_url_for(&data_dir.join("kakehashi.db"))
                }
            };
            let store = open(&url, true).await?;
            // No mail server in a demo: e-mail (sign-up links, notices) is written to files.
            let mail_dir = std::path::absolute(data_dir.join("mail")).unwrap_or_else(|_| data_dir.join("mail"));
            let shared = shared_data.or_else(|| {
                let d = std::path::PathBuf::from("../shared/data");
                d.is_dir().then_some(d)
            });
            let advisory_db = match (advisory_db, &shared) {
                (Some(p), _) => Some(p),
                (None, Some(dir)) => demo_advisories(&data_dir.join("advisories"), dir),
                (None, None) => None,
            };
            let bind = bind.unwrap_or_else(|| format!("127.0.0.1:{port}"));
            let demo_settings = Settings {
                public_url: std::env::var("KAKEHASHI_PUBLIC_URL").ok().filter(|u| !u.is_empty()),
                bind: bind.clone(),
                // the demo's program office answers the public contact page
                contact_email: Some("office@demo.kakehashi.jp".into()),
                smtp_url: Some(format!("file://{}", mail_dir.display())),
                advisory_db,
                blob_dir: Some(std::path::absolute(data_dir.join("blobs")).unwrap_or_else(|_| data_dir.join("blobs"))),
                label_secret: Some(config::Secret(demo_label_secret(&data_dir)?)),
                ..Settings::default()
            };
            let app = demo_settings.app(store)?;
            println!("Kakehashi demo — database {}", store::redact_url(&url));
            let progress = |done: usize, total: usize| {
                eprint!("\r  generating services: {done}/{total} ({}%)   ", done * 100 / total.max(1));
                if done == total {
                    eprintln!();
                }
            };
            let r = app.seed_demo(scale, &progress).await?;
            println!("{}", if r.already_seeded { "Demo data already present (reused)." } else { "Demo data loaded." });
            if r.services_added > 0 {
                println!("Generated {} services for load tests.", r.services_added);
            }
            if products > 0 {
                let progress = |done: usize, total: usize| {
                    eprint!("\r  generating products: {done}/{total} ({}%)   ", done * 100 / total.max(1));
                    if done == total {
                        eprintln!();
                    }
                };
                let added = app.seed_product_scale(products, product_components, &progress).await?;
                if added > 0 {
                    println!("Generated {added} products for load tests.");
                }
            }
            // the demo's labels start 40 days back on the app's clock (see seed_demo_labels)
            let seed_labels = shared.is_some() && app.demo_needs_labels().await?;
            if seed_labels {
                app.clock.advance(-app::verification::demo::DEMO_LABEL_AGE);
            }
            if let Some(dir) = &shared {
                let queued = app.attach_demo_sboms(dir).await?;
                if queued > 0 {
                    println!("Queued {queued} SBOM scans of the demo products (results on /products within seconds).");
                }
                let captures = app.attach_demo_captures(dir).await?;
                if captures > 0 {
                    println!(
                        "Queued {captures} capture analyses for the demo's white-hat case (results on its case page)."
                    );
                }
            }
            if seed_labels {
                eprintln!("  scanning the demo SBOMs and issuing the demo's labels ...");
                run_until_idle(&app, 2).await;
                let n = app.seed_demo_labels().await?;
                app.clock.advance(app::verification::demo::DEMO_LABEL_AGE);
                let changed = app.verification().watch_labels().await?;
                println!("Issued {n} demo labels ({changed} suspended or expired by the label watch).");
            }
            if no_serve {
                // the scans queued above run before the command ends
                run_until_idle(&app, 2).await;
                return Ok(0);
            }
            println!("\nServing on http://{bind}/  (Ctrl-C to stop)");
            println!("E-mail (sign-up confirmation links, notices) is written to {}/\n", mail_dir.display());
            println!("Demo logins (password for all: {}):", app::demo::DEMO_PASSWORD);
            for l in app::demo::DEMO_LOGINS {
                println!("  {:<34} {} / {}", l.email, l.role_ja, l.role_en);
            }
            println!();
            serve(app, &demo_settings).await
        }
        Cmd::Serve { db, bind, public_url, no_migrate, workers, create } => {
            let mut settings = Settings::load(&db)?;
            if let Some(b) = bind {
                settings.bind = b;
            }
            if let Some(w) = workers {
                settings.workers = w;
            }
            if public_url.is_some() {
                settings.public_url = public_url;
            }
            let url = settings.database_url(if create { Access::Create } else { Access::Existing })?;
            let store = open(&url, !no_migrate).await?;
            let app = settings.app(store)?;
            tracing::info!(database = %store::redact_url(&url), "starting");
            serve(app, &settings).await
        }
        Cmd::Worker { db, workers, until_idle } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            tracing::info!(workers, kinds = ?app.job_kinds(), "worker starting");
            if until_idle {
                run_until_idle(&app, workers).await;
            } else {
                app.run_workers(workers, shutdown()).await;
            }
            let stats = &app.job_stats;
            println!(
                "jobs completed {}, failed attempts {}, dead {}",
                stats.completed.load(std::sync::atomic::Ordering::Relaxed),
                stats.failed.load(std::sync::atomic::Ordering::Relaxed),
                stats.dead.load(std::sync::atomic::Ordering::Relaxed)
            );
            Ok(0)
        }
        Cmd::Jobs { cmd: JobsCmd::Status { db } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            for (state, n) in app.job_counts().await? {
                println!("{:<10} {n}", state.code());
            }
            Ok(0)
        }
        Cmd::Jobs { cmd: JobsCmd::EnqueueNoop { db, count, payload, max_attempts } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            serde_json::from_str::<serde_json::Value>(&payload)
                .map_err(|e| CliError::new(2, format!("--payload is not JSON: {e}")))?;
            let ids = app.enqueue_many(app::jobs::NOOP, &payload, count, max_attempts).await?;
            println!(
                "enqueued {} job(s): {}..{}",
                ids.len(),
                ids.first().map_or(0, |i| i.0),
                ids.last().map_or(0, |i| i.0)
            );
            Ok(0)
        }
        Cmd::Migrate { db } => {
            let settings = Settings::load(&db)?;
            let store = store::Store::connect(&store::StoreConfig::new(settings.database_url(Access::Create)?)).await?;
            let n = store.migrate(time::OffsetDateTime::now_utc().unix_timestamp()).await?;
            println!("applied {n} migration(s); schema version {}", store.schema_version().await?);
            Ok(0)
        }
        Cmd::Admin { cmd: AdminCmd::CreateUser { db, email, name, password, org, role, operator } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            let role = domain::MembershipRole::parse(&role)
                .ok_or_else(|| CliError::new(2, "--role must be admin or member"))?;
            let id = app
                .create_user(
                    "cli",
                    app::identity::NewUser {
                        email,
                        display_name: name,
                        password,
                        is_operator: operator,
                        org: org.map(|o| (o, role)),
                    },
                )
                .await?;
            println!("created user {id}");
            Ok(0)
        }
        Cmd::Admin { cmd: AdminCmd::CreateOrg { db, kind, name, name_en } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            let kind = domain::OrgKind::parse(&kind)
                .ok_or_else(|| CliError::new(2, format!("unknown organisation kind {kind:?}")))?;
            let id = app.create_org("cli", kind, &name, &name_en).await?;
            println!("created organisation {id}");
            Ok(0)
        }
        Cmd::Audit { cmd: AuditCmd::Verify { db, checkpoints: Some(file) } } => {
            let settings = Settings::load(&db)?;
            let lines = std::fs::read_to_string(&file)
                .map_err(|e| CliError::new(2, format!("cannot read checkpoints {}: {e}", file.display())))?;
            let store =
                store::Store::connect(&store::StoreConfig::new(settings.database_url(Access::ReadOnly)?)).await?;
            let app = settings.app(store)?;
            match app.audit_verify_checkpoints(&lines).await? {
                Ok(n) => {
                    println!("audit trail intact and matches {n} signed checkpoint(s)");
                    Ok(0)
                }
                Err(b) => {
                    println!("audit trail BROKEN: {b}");
                    Ok(1)
                }
            }
        }
        Cmd::Audit { cmd: AuditCmd::Checkpoint { db } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, false).await?)?;
            let cp = app.audit_checkpoint().await?;
            println!("{}", cp.to_line());
            Ok(0)
        }
        Cmd::Audit { cmd: AuditCmd::Verify { db, checkpoints: None } } => {
            let settings = Settings::load(&db)?;
            let store =
                store::Store::connect(&store::StoreConfig::new(settings.database_url(Access::ReadOnly)?)).await?;
            let app = settings.app(store)?;
            match app.audit_verify().await? {
                Ok(n) => {
                    println!("audit trail intact: {n} entries verified");
                    Ok(0)
                }
                Err(b) => {
                    println!("audit trail BROKEN: {b}");
                    Ok(1)
                }
            }
        }
        Cmd::Backup { db, to } => {
            let settings = Settings::load(&db)?;
            let store =
                store::Store::connect(&store::StoreConfig::new(settings.database_url(Access::ReadOnly)?)).await?;
            let path = to.to_str().ok_or_else(|| CliError::new(2, "the backup path must be UTF-8"))?;
            store.backup_sqlite(path).await?;
            println!("backup written to {path}");
            Ok(0)
        }
        Cmd::Osv { cmd: OsvCmd::Import { db, platform, sources } } => {
            let report = engine::osv_import(&db, &sources)?;
            if platform.database_url.is_none() && platform.config.is_none() {
                return Ok(0);
            }
            let mut settings = Settings::load(&platform)?;
            settings.advisory_db = Some(db.clone());
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            let started = std::time::Instant::now();
            let r = app.verification().recheck(&report.touched, &report.withdrawn_ids).await?;
            println!(
                "re-checked {} components of {} product versions: {} new findings ({} vendors told), {} closed as withdrawn ({:.2} s)",
                r.components,
                r.versions,
                r.new_findings,
                r.notices,
                r.closed,
                started.elapsed().as_secs_f64()
            );
            app.close().await;
            Ok(0)
        }
        Cmd::Scan { db, format, fail_on, vex, distro, files } => {
            engine::scan(&db, &format, &fail_on, &vex, distro.as_deref(), &files)
        }
        Cmd::Pcap { device, format, show_secrets, files } => engine::pcap(&device, &format, show_secrets, &files),
        Cmd::Firmware { format, max_mb, image } => engine::firmware(&format, max_mb, &image),
        Cmd::Label { cmd: LabelCmd::Verify { label, trust_root, status, sbom, json } } => {
            engine::label_verify(&label, &trust_root, status.as_deref(), sbom.as_deref(), json)
        }
        Cmd::Versions { cmd: VersionsCmd::Compare { ecosystem, file } } => {
            versions_compare(&ecosystem, file.as_deref())
        }
        Cmd::Registry { cmd: RegistryCmd::Sweep { db, at } } => {
            let settings = Settings::load(&db)?;
            let app = settings.app(open(&settings.database_url(Access::Existing)?, true).await?)?;
            let now = match at {
                Some(d) => {
                    let date =
                        domain::registry::parse_date(&d).ok_or_else(|| CliError::new(2, "--at takes YYYY-MM-DD"))?;
                    date.midnight().assume_utc().unix_timestamp() - 9 * 3600
                }
                None => app.now(),
            };
            let r = app.registry().sweep(now).await?;
            println!("reminders: 90 days {}, 30 days {}; expired {}", r.reminders_90, r.reminders_30, r.expired);
            Ok(0)
        }
    }
}

fn versions_compare(ecosystem: &str, file: Option<&std::path::Path>) -> Result<u8, CliError> {
    use vulndb::version::{Ecosystem, check_vectors};
    let eco = Ecosystem::parse(ecosystem)
        .ok_or_else(|| CliError::new(2, format!("unknown ecosystem {ecosystem:?}; known: {}", Ecosystem::NAMES)))?;
    let (name, text) = match file {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| CliError::new(2, format!("cannot read {}: {e}", p.display())))?,
        ),
        None => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| CliError::new(2, format!("cannot read standard input: {e}")))?;
            ("<stdin>".to_string(), s)
        }
    };
    let (checked, failures) = check_vectors(eco, &text).map_err(|b| {
        CliError::new(2, format!("{name}:{}: not of the form `A < B`, `A = B` or `A > B`: {}", b.line, b.text))
    })?;
    for f in &failures {
        let got = match f.got {
            std::cmp::Ordering::Less => "<",
            std::cmp::Ordering::Equal => "=",
            std::cmp::Ordering::Greater => ">",
        };
        println!("{name}:{}: {} does not hold (the left side is {got} the right)", f.line, f.text.trim());
    }
    println!("{checked} lines checked, {} do not hold", failures.len());
    Ok(if failures.is_empty() { 0 } else { 1 })
}

async fn serve(app: app::App, settings: &Settings) -> Result<u8, CliError> {
    let web_config = settings.web_config()?;
    let addr: SocketAddr =
        settings.bind.parse().map_err(|_| CliError::new(2, format!("bad listen address {:?}", settings.bind)))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::new(2, format!("cannot listen on {addr}: {e}")))?;
    // One shutdown signal for the HTTP server and the job workers.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown().await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let workers = if settings.workers > 0 {
        let w = app.clone();
        let n = settings.workers;
        let stop = stopped(stop_rx.clone());
        Some(tokio::spawn(async move { w.run_workers(n, stop).await }))
    } else {
        None
    };
    let closer = app.clone();
    let router = web::router(app, web_config);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(stopped(stop_rx))
        .await
        .map_err(|e| CliError::new(1, format!("server error: {e}")))?;
    if let Some(w) = workers {
        let _ = w.await;
    }
    closer.close().await;
    tracing::info!("stopped");
    Ok(0)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
