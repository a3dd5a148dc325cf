//! The `kakehashi` binary as an operator uses it: exit codes, messages, audit verification,
//! backup, sweeps, the demo, and graceful shutdown of `serve`.

mod common;

use std::process::Command;

use common::*;
use sqlx::Connection;

/// Whether something listens on the port within 10 s.
fn listening(port: u16) -> bool {
    (0..100).any(|_| {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            false
        }
    })
}

#[test]
fn bad_database_urls_exit_2_with_a_reason() {
    let o = kakehashi(&["migrate", "--database-url", "mysql://x/y"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("must start with sqlite:// or postgres://"), "{}", text(&o));

    let o = kakehashi(&["migrate", "--database-url", "postgres://postgres:secret@127.0.0.1:1/none"]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("database unavailable") && t.contains("127.0.0.1:1"), "{t}");
    assert!(!t.contains("secret"), "password not printed: {t}");

    let o = kakehashi(&["migrate", "--database-url", "sqlite:///nonexistent-dir/x/kakehashi.db"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let o = kakehashi(&["migrate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no database"));
}

#[test]
fn read_only_database_exits_2() {
    let dir = std::env::temp_dir().join(format!("kh-ro-{}", app::auth::random_token()[..8].to_owned()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("k.db");
    let url = format!("sqlite://{}", db.display());
    assert_eq!(kakehashi(&["migrate", "--database-url", &url]).status.code(), Some(0));
    let o = kakehashi(&["serve", "--database-url", &format!("{url}?mode=ro"), "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("read-only"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}

async fn audit_verify_detects_tampering(db: Db) {
    let t = TestApp::spawn(db).await;
    let url = t.db.url.clone();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("audit trail intact"));
    // an attacker with database access edits one stored entry
    let mut c = t.db.raw().await;
    sqlx::query("UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 7").execute(&mut c).await.unwrap();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("entry 7 was altered"), "{}", text(&o));
    // ...and then recomputes its hash to cover the edit: the next entry no longer links
    let e = t.store.audit_entries(6, 1).await.unwrap().remove(0);
    let h = domain::audit::entry_hash(e.seq, e.at, &e.prev_hash, &e.actor, &e.action, &e.subject, &e.summary);
    sqlx::query(&format!("UPDATE audit_log SET hash = '{h}' WHERE seq = 7")).execute(&mut c).await.unwrap();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert!(text(&o).contains("entry 8 does not link"), "{}", text(&o));
    // deleting the newest entries is found too
    let head = t.store.audit_head().await.unwrap().seq;
    sqlx::query("UPDATE audit_log SET summary = summary").execute(&mut c).await.unwrap();
    sqlx::query(&format!("DELETE FROM audit_log WHERE seq >= {}", head - 1)).execute(&mut c).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq <= 8").execute(&mut c).await.unwrap();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("were deleted"), "{}", text(&o));
}

async fn admin_commands(db: Db) {
    let t = TestApp::spawn_with(db, Options { seed: false, ..Default::default() }).await;
    let url = t.db.url.clone();
    let o = kakehashi(&[
        "admin",
        "create-org",
        "--database-url",
        &url,
        "--kind",
        "registration_body",
        "--name",
        "テスト審査機関",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let org: String = text(&o).trim().rsplit(' ').next().unwrap().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args([
            "admin",
            "create-user",
            "--database-url",
            &url,
            "--email",
            "Rev@Example.JP",
            "--name",
            "審査 員",
            "--org",
            &org,
            "--role",
            "admin",
        ])
        .env("KAKEHASHI_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("a long enough password"));
    let u = t.store.user_by_email("rev@example.jp").await.unwrap().expect("stored lower-cased");
    assert!(u.password_hash.starts_with("$argon2id$"));
    let mut c = t.client();
    assert_eq!(c.login("rev@example.jp", "a long enough password").await, reqwest::StatusCode::SEE_OTHER);
    // bad inputs
    let o = kakehashi(&[
        "admin",
        "create-user",
        "--database-url",
        &url,
        "--email",
        "x@y.jp",
        "--name",
        "n",
        "--password",
        "short",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("at least 12 characters"));
    let o = kakehashi(&[
        "admin",
        "create-user",
        "--database-url",
        &url,
        "--email",
        "rev@example.jp",
        "--name",
        "n",
        "--password",
        "another long password",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("already exists"));
    let o = kakehashi(&["admin", "create-org", "--database-url", &url, "--kind", "bank", "--name", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

both_backends!(audit_verify_detects_tampering, admin_commands);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_is_a_consistent_copy() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let to = t.db.dir.join("backup.db");
    let o = kakehashi(&["backup", "--database-url", &t.db.url, "--to", to.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let copy = store::Store::connect(&store::StoreConfig::new(format!("sqlite://{}", to.display()))).await.unwrap();
    assert_eq!(copy.status_counts().await.unwrap(), t.store.status_counts().await.unwrap());
    assert_eq!(copy.audit_head().await.unwrap().hash, t.store.audit_head().await.unwrap().hash);
    // not over an existing file
    let o = kakehashi(&["backup", "--database-url", &t.db.url, "--to", to.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("already exists"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_sweep_command() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let o = kakehashi(&["registry", "sweep", "--database-url", &t.db.url, "--at", "2099-01-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let expired: usize = text(&o).trim().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(expired >= 97, "everything has expired by 2099: {}", text(&o));
    assert!(t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 10).await.unwrap().is_empty());
    let o = kakehashi(&["registry", "sweep", "--database-url", &t.db.url, "--at", "not-a-date"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn demo_loads_once_and_serve_shuts_down_gracefully() {
    let dir = std::env::temp_dir().join(format!("kh-demo-{}", app::auth::random_token()[..8].to_owned()));
    let d = dir.to_str().unwrap();
    let o = kakehashi(&["demo", "--data-dir", d, "--no-serve"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Demo data loaded."));
    let o = kakehashi(&["demo", "--data-dir", d, "--no-serve", "--scale", "500"]);
    assert!(
        text(&o).contains("already present (reused)") && text(&o).contains("Generated 500 services"),
        "{}",
        text(&o)
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["demo", "--data-dir", d, "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = listening(port);
    assert!(up, "demo serves");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let total = rt.block_on(async {
        reqwest::get(format!("http://127.0.0.1:{port}/api/v1/services"))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["total"]
            .as_i64()
            .unwrap()
    });
    assert!(total >= 597, "{total}");
    // no mail server in a demo: the sign-up link arrives as a file in the data directory
    rt.block_on(async {
        let base = format!("http://127.0.0.1:{port}");
        let c = Client {
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            base: base.clone(),
            session: None,
            csrf: String::new(),
        };
        let fields = [
            ("org_name", "デモ登録株式会社"),
            ("display_name", "デモ 花子"),
            ("email", "hanako@demo-signup.example.jp"),
            ("password", "correct horse battery"),
        ];
        let r = c.form_before_login("/signup", &fields, &base, None).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let mail_dir = dir.join("mail");
        let mut found = false;
        for _ in 0..100 {
            found = mails_in(&mail_dir)
                .iter()
                .any(|m| m.to.contains("hanako@demo-signup.example.jp") && m.body.contains("/signup/confirm?token="));
            if found {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(found, "the confirmation mail is a file in {}", mail_dir.display());
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "graceful shutdown on SIGTERM");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(
        out.contains("http://127.0.0.1:")
            && out.contains("operator@demo.kakehashi.jp")
            && out.contains("reviewer@demo.kakehashi.jp"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_on_postgres() {
    if !pg_available().await {
        return;
    }
    let db = TestDb::new(Db::Postgres).await;
    // Every migration applies on a fresh database; a second run applies none.
    let o = kakehashi(&["migrate", "--database-url", &db.url]);
    let first = text(&o);
    let n: usize =
        first.split("applied ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(n >= 4 && first.contains(&format!("schema version {n}")), "{first}");
    let o = kakehashi(&["migrate", "--database-url", &db.url]);
    assert!(text(&o).contains(&format!("applied 0 migration(s); schema version {n}")), "{}", text(&o));
    let mut c = db.raw().await;
    let _ = c.ping().await;
}

#[test]
fn versions_compare_command() {
    // the shared vectors, where this checkout sits beside them (the file checks below run anyway)
    let vectors = shared_data("version-vectors");
    let shared = if vectors.is_some() {
        vec![
            ("pypi", "pypi-versions.txt"),
            ("debian", "debian-versions.txt"),
            ("redhat", "redhat-versions.txt"),
            ("semver", "semver-versions.txt"),
        ]
    } else {
        vec![]
    };
    for (eco, file) in shared {
        let path = vectors.as_ref().unwrap().join(file);
        let o = kakehashi(&["versions", "compare", "--ecosystem", eco, path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{eco}: {}", text(&o));
        assert!(text(&o).contains("do not hold") && text(&o).contains(", 0 do not hold"));
    }
    let dir = std::env::temp_dir().join(format!("kh-v-{}", app::auth::random_token()[..8].to_owned()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("v.txt");
    std::fs::write(&f, "# wrong on purpose\n1.0.0 < 1.0.1\n\n2.0.0 < 1.0.0\n").unwrap();
    let o = kakehashi(&["versions", "compare", "--ecosystem", "npm", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains(":4: 2.0.0 < 1.0.0 does not hold"), "{}", text(&o));
    std::fs::write(&f, "1.0 ~ 2.0\n").unwrap();
    let o = kakehashi(&["versions", "compare", "--ecosystem", "npm", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains(":1: not of the form"));
    let o = kakehashi(&["versions", "compare", "--ecosystem", "cobol", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown ecosystem"));
    let o = kakehashi(&["versions", "compare", "--ecosystem", "pypi", "/nonexistent/file"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

/// `osv import` builds an index from the real RustSec and PyPA archives and updates it in place;
/// `scan` finds the advisories of old lockfiles, nothing in the current control lockfile, and
/// refuses bad input with exit 2.
#[test]
fn osv_import_and_scan() {
    let Some(data) =
        shared_data("osv/rustsec-advisory-db.zip").map(|p| p.parent().unwrap().parent().unwrap().to_path_buf())
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kh-osv-{}", app::auth::random_token()[..8].to_owned()));
    let db = dir.join("db");
    let d = db.to_str().unwrap();
    let rustsec = data.join("osv/rustsec-advisory-db.zip");
    let pypa = data.join("osv/pypa-advisory-database.zip");
    let o = kakehashi(&["osv", "import", "--db", d, rustsec.to_str().unwrap(), pypa.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("changed 0, withdrawn 0, unchanged 0"), "{t}");
    let added: usize = t.split("added ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(added > 3500, "{t}");
    let o = kakehashi(&["osv", "import", "--db", d, rustsec.to_str().unwrap()]);
    assert!(text(&o).contains("added 0, changed 0, withdrawn 0"), "re-import changes nothing: {}", text(&o));

    let lock = |n: &str| data.join(format!("lockfiles/{n}/Cargo.lock")).to_str().unwrap().to_string();
    let o = kakehashi(&["scan", "--db", d, "--format", "json", &lock("ripgrep-11.0.2")]);
    assert_eq!(o.status.code(), Some(1), "findings mean exit 1");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["components"].as_u64().unwrap() > 50);
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"RUSTSEC-2022-0013"), "regex ReDoS in ripgrep 11.0.2: {ids:?}");
    let regex = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "RUSTSEC-2022-0013").unwrap();
    assert_eq!(regex["package"]["name"], "regex");
    assert_eq!(regex["package"]["ecosystem"], "crates.io");
    assert_eq!(regex["package"]["purl"], "pkg:cargo/regex@1.2.0");
    assert!(regex["aliases"].as_array().unwrap().iter().any(|a| a == "CVE-2022-24713"));
    assert_eq!(regex["severity"], "high");
    assert_eq!(regex["fixed"][0], ">= 1.5.5");
    // the same findings as cargo-audit 0.22.2 on the same RustSec data (vulnerabilities and
    // informational warnings; recorded from `cargo audit --no-fetch --stale --json`, see bench/RESULTS.md)
    let cargo_audit: [(&str, &[&str]); 2] = [
        (
            "ripgrep-11.0.2",
            &[
                "RUSTSEC-2020-0077 memmap@0.7.0",
                "RUSTSEC-2021-0145 atty@0.2.13",
                "RUSTSEC-2022-0006 thread_local@0.3.6",
                "RUSTSEC-2022-0013 regex@1.2.0",
                "RUSTSEC-2022-0019 crossbeam-channel@0.3.9",
                "RUSTSEC-2022-0041 crossbeam-utils@0.6.6",
                "RUSTSEC-2023-0018 remove_dir_all@0.5.2",
                "RUSTSEC-2024-0375 atty@0.2.13",
                "RUSTSEC-2026-0097 rand@0.7.0",
            ],
        ),
        (
            "bat-0.24.0",
            &[
                "RUSTSEC-2023-0075 unsafe-libyaml@0.2.9",
                "RUSTSEC-2023-0081 safemem@0.3.3",
                "RUSTSEC-2024-0013 libgit2-sys@0.16.1+1.7.1",
                "RUSTSEC-2024-0320 yaml-rust@0.4.5",
                "RUSTSEC-2024-0404 anstream@0.6.4",
                "RUSTSEC-2024-0421 idna@0.3.0",
                "RUSTSEC-2025-0056 adler@1.0.2",
                "RUSTSEC-2025-0141 bincode@1.3.3",
                "RUSTSEC-2026-0008 git2@0.18.0",
                "RUSTSEC-2026-0009 time@0.3.14",
                "RUSTSEC-2026-0097 rand@0.8.5",
                "RUSTSEC-2026-0183 git2@0.18.0",
                "RUSTSEC-2026-0184 git2@0.18.0",
                "RUSTSEC-2026-0194 quick-xml@0.28.1",
                "RUSTSEC-2026-0195 quick-xml@0.28.1",
            ],
        ),
    ];
    for (name, want) in cargo_audit {
        let o = kakehashi(&["scan", "--db", d, "--format", "json", &lock(name)]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut got: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}@{}",
                    f["id"].as_str().unwrap(),
                    f["package"]["name"].as_str().unwrap(),
                    f["package"]["version"].as_str().unwrap()
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{name} agrees with cargo-audit");
    }
    // the control lockfile is clean
    let o = kakehashi(&["scan", "--db", d, &lock("ripgrep-head-control")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(", 0 findings"));
    // --fail-on: only high and above fail
    let o = kakehashi(&["scan", "--db", d, "--fail-on", "critical", &lock("ripgrep-11.0.2")]);
    assert_eq!(o.status.code(), Some(0));
    // VEX: a not_affected statement suppresses the finding and keeps the justification
    let vex = dir.join("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2022-24713"},"products":[{"@id":"pkg:cargo/regex@1.2.0"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let o =
        kakehashi(&["scan", "--db", d, "--format", "json", "--vex", vex.to_str().unwrap(), &lock("ripgrep-11.0.2")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["id"] != "RUSTSEC-2022-0013"));
    assert_eq!(v["suppressed"][0]["id"], "RUSTSEC-2022-0013");
    assert_eq!(v["suppressed"][0]["justification"], "vulnerable_code_not_in_execute_path");
    // SARIF and CycloneDX VEX output
    let o = kakehashi(&["scan", "--db", d, "--format", "sarif", &lock("ripgrep-11.0.2")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "RUSTSEC-2022-0013" && r["level"] == "error")
    );
    let o = kakehashi(&[
        "scan",
        "--db",
        d,
        "--format",
        "cyclonedx-vex",
        "--vex",
        vex.to_str().unwrap(),
        &lock("ripgrep-11.0.2"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<&str> =
        v["vulnerabilities"].as_array().unwrap().iter().map(|x| x["analysis"]["state"].as_str().unwrap()).collect();
    assert!(states.contains(&"not_affected") && states.contains(&"in_triage"));
    let o = kakehashi(&["scan", "--db", d, "--format", "xml", &lock("ripgrep-11.0.2")]);
    assert_eq!(o.status.code(), Some(2));
    // bad input: exit 2 with the reason
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, [0u8, 159, 146, 150, 1, 2]).unwrap();
    let o = kakehashi(&["scan", "--db", d, junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("junk.bin") && text(&o).contains("not UTF-8"), "{}", text(&o));
    let o = kakehashi(&["scan", "--db", dir.join("nope").to_str().unwrap(), &lock("ripgrep-11.0.2")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no advisory index"));
    let empty_zip = dir.join("empty.zip");
    std::fs::write(&empty_zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
    let o = kakehashi(&["osv", "import", "--db", d, empty_zip.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("empty"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(dir);
}

/// `kakehashi pcap` on real captures: JSON fields, redaction, HTML, and exit 2 for unreadable input.
#[test]
fn pcap_command() {
    let Some(basic) = shared_data("pcap/zeek-traces/testing/btest/Traces/http/basic-auth-with-colon.pcap") else {
        return;
    };
    let o = kakehashi(&["pcap", "--format", "json", basic.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "credentials_in_clear")
        .expect("HTTP Basic found");
    assert_eq!(f["protocol"], "http");
    assert_eq!(f["username"], "test");
    assert_eq!(f["secret"], "***");
    assert!(!f["packets"].as_array().unwrap().is_empty());
    for k in ["endpoints", "dns", "tls"] {
        assert!(v[k].is_array(), "{k}");
    }
    let o = kakehashi(&["pcap", "--format", "json", "--show-secrets", basic.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(
        v["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "credentials_in_clear").unwrap()["secret"],
        "***"
    );
    let o = kakehashi(&["pcap", "--format", "html", basic.to_str().unwrap()]);
    let html = String::from_utf8_lossy(&o.stdout);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Findings") && !html.contains("<script"));
    let dir = std::env::temp_dir().join(format!("kh-pcap-{}", app::auth::random_token()[..8].to_owned()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"definitely not a capture").unwrap();
    let o = kakehashi(&["pcap", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("junk.pcap") && text(&o).contains("not a pcap or pcapng"), "{}", text(&o));
    let o = kakehashi(&["pcap", dir.join("missing.pcap").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let o = kakehashi(&["pcap", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("empty"), "{}", text(&o));
    // a --device that is neither an IP nor a MAC address, and an unknown format
    let o = kakehashi(&["pcap", "--device", "camera-1", basic.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("camera-1") && text(&o).contains("not an IP or MAC address"), "{}", text(&o));
    let o = kakehashi(&["pcap", "--format", "xml", basic.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // several files make one report; --device narrows it to one host
    if let Some(ftp) = shared_data("pcap/zeek-traces/testing/btest/Traces/ftp/cwd-navigation.pcap") {
        let one = |args: &[&str]| -> serde_json::Value {
            let o = kakehashi(args);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            serde_json::from_slice(&o.stdout).unwrap()
        };
        let a = one(&["pcap", "--format", "json", basic.to_str().unwrap()]);
        let b = one(&["pcap", "--format", "json", ftp.to_str().unwrap()]);
        let both = one(&["pcap", "--format", "json", basic.to_str().unwrap(), ftp.to_str().unwrap()]);
        assert_eq!(both["packets"], a["packets"].as_u64().unwrap() + b["packets"].as_u64().unwrap());
        assert_eq!(both["files"].as_array().unwrap().len(), 2);
        let (na, nb) = (a["packets"].as_u64().unwrap(), b["packets"].as_u64().unwrap());
        assert_eq!(both["packet_ranges"], serde_json::json!([[1, na], [na + 1, na + nb]]));
        let device = a["endpoints"][0]["device"].as_str().unwrap().to_string();
        let only =
            one(&["pcap", "--format", "json", "--device", &device, basic.to_str().unwrap(), ftp.to_str().unwrap()]);
        assert!(only["endpoints"].as_array().unwrap().iter().all(|e| e["device"] == device.as_str()));
    }
    // standard input, and a gzip-compressed copy, give the same report as the file
    let from_stdin = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["pcap", "--format", "json", "-"])
        .stdin(std::fs::File::open(&basic).unwrap())
        .output()
        .unwrap();
    assert_eq!(from_stdin.status.code(), Some(0), "{}", text(&from_stdin));
    let v: serde_json::Value = serde_json::from_slice(&from_stdin.stdout).unwrap();
    let plain: serde_json::Value =
        serde_json::from_slice(&kakehashi(&["pcap", "--format", "json", basic.to_str().unwrap()]).stdout).unwrap();
    assert_eq!(v["findings"], plain["findings"]);
    let gz = dir.join("basic.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&basic).unwrap()).unwrap();
    enc.finish().unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&kakehashi(&["pcap", "--format", "json", gz.to_str().unwrap()]).stdout).unwrap();
    assert_eq!((&v["findings"], &v["endpoints"]), (&plain["findings"], &plain["endpoints"]));
    // the HTML report: bilingual headings, a per-device table and a timeline, escaped values
    for section in ["検出事項 / Findings", "機器 / Devices", "時系列 / Timeline", "lang=\"ja\""] {
        assert!(html.contains(section), "{section}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A mistyped path or an unmounted volume never becomes a new, empty database: operator
/// commands fail with exit 2 naming the missing file and create nothing; `serve` needs --create.
#[test]
fn operator_commands_never_create_a_database() {
    let dir = std::env::temp_dir().join(format!("kh-missing-{}", app::auth::random_token()[..8].to_owned()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("typo.db");
    let url = format!("sqlite://{}", db.display());
    let backup = dir.join("b.db");
    for args in [
        vec!["backup", "--database-url", &url, "--to", backup.to_str().unwrap()],
        vec!["audit", "verify", "--database-url", &url],
        vec!["worker", "--database-url", &url, "--until-idle"],
        vec!["jobs", "status", "--database-url", &url],
        vec!["registry", "sweep", "--database-url", &url],
        vec!["serve", "--database-url", &url, "--bind", "127.0.0.1:0"],
    ] {
        let o = kakehashi(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("no database at") && text(&o).contains("typo.db"), "{args:?}: {}", text(&o));
        assert!(!db.exists(), "{args:?} created the database");
        assert!(!backup.exists());
    }
    // asked for, it is created
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["serve", "--create", "--database-url", &url, "--bind", &format!("127.0.0.1:{port}"), "--workers", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = listening(port);
    let _ = child.kill();
    let _ = child.wait();
    assert!(up && db.exists(), "serve --create makes the database");
    // the read-only commands work on it and leave it as it was
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = kakehashi(&["backup", "--database-url", &url, "--to", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(backup.exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// A server that cannot start says why, not only that a pool timed out.
#[test]
fn startup_failures_name_the_cause() {
    let port = free_port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/kakehashi");
    let o = kakehashi(&["serve", "--database-url", &url, "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("Connection refused") || t.contains("connection refused"), "{t}");
    assert!(t.contains(&format!("127.0.0.1:{port}")), "{t}");
    assert!(!t.contains("timed out"), "{t}");
}

/// Someone with write access to the database rewrites an entry and re-chains everything after
/// it: the chain alone still verifies, the signed checkpoints do not.
async fn audit_checkpoints_detect_a_rechained_history(db: Db) {
    let t = TestApp::spawn(db).await;
    let url = t.db.url.clone();
    let file = t.db.dir.join("checkpoints.jsonl");
    let key = "k".repeat(40);
    let with_key = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kakehashi"))
            .args(args)
            .env("KAKEHASHI_AUDIT_KEY", &key)
            .env("KAKEHASHI_AUDIT_CHECKPOINT_FILE", &file)
            .output()
            .unwrap()
    };
    let o = with_key(&["audit", "checkpoint", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains(&key), "the key is never printed");
    let o = with_key(&["audit", "verify", "--database-url", &url, "--checkpoints", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("matches 1 signed checkpoint"), "{}", text(&o));
    // without the key there is nothing to check against
    let o = kakehashi(&["audit", "verify", "--database-url", &url, "--checkpoints", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // rewrite entry 5 and re-chain every entry after it, and the head
    let head = t.store.audit_head().await.unwrap();
    let mut entries = t.store.audit_entries(0, 100_000).await.unwrap();
    let mut c = t.db.raw().await;
    let mut prev = entries[3].hash.clone();
    for e in entries.iter_mut().skip(4) {
        if e.seq == 5 {
            e.summary = "nothing happened".into();
        }
        e.prev_hash = prev.clone();
        e.hash = domain::audit::entry_hash(e.seq, e.at, &e.prev_hash, &e.actor, &e.action, &e.subject, &e.summary);
        sqlx::query("UPDATE audit_log SET summary = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&e.summary)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(e.seq)
            .execute(&mut c)
            .await
            .unwrap();
        prev = e.hash.clone();
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&prev).execute(&mut c).await.unwrap();
    assert_eq!(t.store.audit_head().await.unwrap().seq, head.seq);
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(0), "the re-chained history passes the chain check: {}", text(&o));
    let o = with_key(&["audit", "verify", "--database-url", &url, "--checkpoints", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("rewritten"), "{}", text(&o));
    // a checkpoint forged without the key is refused too
    let forged = domain::audit::Checkpoint::sign(b"not the key, but long enough to pass", head.seq, &prev, 1).to_line();
    std::fs::write(&file, format!("{forged}\n")).unwrap();
    let o = with_key(&["audit", "verify", "--database-url", &url, "--checkpoints", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not signed with this key"), "{}", text(&o));
}

both_backends!(audit_checkpoints_detect_a_rechained_history);

/// The smallest tamperings: only the newest entry deleted; only one entry's `prev_hash` changed.
async fn audit_verify_finds_the_smallest_tampering(db: Db) {
    let t = TestApp::spawn(db).await;
    let url = t.db.url.clone();
    let mut c = t.db.raw().await;
    let head = t.store.audit_head().await.unwrap().seq;
    assert!(head > 6);
    sqlx::query("UPDATE audit_log SET prev_hash = $1 WHERE seq = 5")
        .bind("f".repeat(64))
        .execute(&mut c)
        .await
        .unwrap();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("entry 5"), "{}", text(&o));

    let t = TestApp::spawn(db).await;
    let url = t.db.url.clone();
    let mut c = t.db.raw().await;
    let head = t.store.audit_head().await.unwrap().seq;
    sqlx::query("DELETE FROM audit_log WHERE seq = $1").bind(head).execute(&mut c).await.unwrap();
    let o = kakehashi(&["audit", "verify", "--database-url", &url]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(&format!("entries after {} were deleted", head - 1)), "{}", text(&o));
}

both_backends!(audit_verify_finds_the_smallest_tampering);

/// Operating-system packages through the front door: Alpine's security database imported, the
/// real Alpine image SBOMs (SPDX from trivy: the OS package gives the release, sourceInfo the
/// source package) give exactly the findings trivy gives on the same advisories (42, 37 and 111
/// per SBOM, see bench/RESULTS.md); a purl of an unknown distribution is reported as not matched,
/// with the reason, once per distribution.
#[test]
fn alpine_packages_and_unknown_distributions() {
    let Some(zip) = shared_data("osv/alpine-secdb-osv.zip") else { return };
    let data = zip.parent().unwrap().parent().unwrap().to_path_buf();
    let dir = std::env::temp_dir().join(format!("kh-alpine-{}", app::auth::random_token()[..8].to_owned()));
    let db = dir.join("db");
    let d = db.to_str().unwrap();
    let o = kakehashi(&["osv", "import", "--db", d, zip.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let images = data.join("sbom/alpine-images");
    for (prefix, want) in [
        ("spdx-trivy-rancher_curl-", 42),
        ("spdx-trivy-rancher_hello-world-", 37),
        ("spdx-trivy-rancher_swarmkit-", 111),
        ("spdx-trivy-ibmcom_tiller-", 0),
    ] {
        let f = std::fs::read_dir(&images)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap();
        let o = kakehashi(&["scan", "--db", d, "--format", "json", f.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), want, "{prefix}: {}", text(&o));
        assert_eq!(o.status.code(), Some(if want > 0 { 1 } else { 0 }));
        assert!(v["not_matched"].as_array().unwrap().is_empty(), "{prefix}: {}", v["not_matched"]);
        // installed packages named, with the source package advisories name
        if prefix.contains("swarmkit") {
            assert!(
                findings.iter().any(|f| f["package"]["name"] == "libcrypto1.0" && f["package"]["source"] == "openssl")
            );
        }
    }
    let bom = dir.join("unknown.json");
    std::fs::write(
        &bom,
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "a", "purl": "pkg:deb/kali/a@1.0"},
            {"type": "library", "name": "b", "purl": "pkg:deb/kali/b@1.0"},
            {"type": "library", "name": "musl", "purl": "pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19.1"},
        ]})
        .to_string(),
    )
    .unwrap();
    let o = kakehashi(&["scan", "--db", d, "--format", "json", bom.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let nm = v["not_matched"].as_array().unwrap();
    assert_eq!(nm.len(), 2, "{nm:?}");
    assert!(nm.iter().any(|n| n["ecosystem"] == "kali" && n["components"] == 2));
    assert!(nm.iter().any(|n| n["ecosystem"] == "Alpine:v3.19" && n["reason"].as_str().unwrap().contains("v3.11")));
    let o = kakehashi(&["scan", "--db", d, bom.to_str().unwrap()]);
    assert!(text(&o).contains("not matched: 2 components of kali"), "{}", text(&o));
    // an apk installed database names no release: not matched until --distro gives it
    let installed = dir.join("installed");
    std::fs::write(
        &installed,
        "C:Q1x=\nP:libssl1.1\nV:1.1.1c-r0\no:openssl\n\nC:Q1y=\nP:musl\nV:1.1.24-r2\no:musl\n\n",
    )
    .unwrap();
    let o = kakehashi(&["scan", "--db", d, "--format", "json", installed.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().is_empty());
    assert!(v["not_matched"][0]["reason"].as_str().unwrap().contains("--distro"), "{}", v["not_matched"]);
    let o = kakehashi(&["scan", "--db", d, "--format", "json", "--distro", "alpine-3.11", installed.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["package"]["name"] == "libssl1.1" && f["package"]["source"] == "openssl"), "{v}");
    assert_eq!(o.status.code(), Some(1));
    let o = kakehashi(&["scan", "--db", d, "--distro", "plan9", installed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--distro plan9: use NAME-RELEASE"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kakehashi firmware` (contract): the JSON report's parts, OS, components and findings for an
/// image whose contents are known; a CycloneDX SBOM that `kakehashi scan` reads, so findings come
/// from the vulnerability engine (an Alpine root file system against Alpine's advisories); exit 2
/// for a file that cannot be read; "nothing found" for a file that is not firmware.
#[test]
fn firmware_command() {
    let dir = std::env::temp_dir().join(format!("kh-fw-{}", app::auth::random_token()[..8].to_owned()));
    std::fs::create_dir_all(&dir).unwrap();
    let (img, layout) = firmware::sample::image(&firmware::sample::Options::default());
    let path = dir.join("router.bin");
    std::fs::write(&path, &img).unwrap();
    let p = path.to_str().unwrap();
    let o = kakehashi(&["firmware", "--format", "json", p]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let parts = v["parts"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .any(|x| x["type"] == "squashfs" && x["offset"] == layout.squashfs_at && x["size"].as_u64() > Some(0))
    );
    assert!(parts.iter().any(|x| x["type"] == "uimage" && x["offset"] == layout.uimage_at));
    assert_eq!(v["os"], "OpenWrt 23.05.3 r23809-234f1a2efa");
    let comps = v["components"].as_array().unwrap();
    assert!(comps.iter().any(|c| c["name"] == "busybox"
        && c["version"] == "1.36.1"
        && c["purl"] == "pkg:generic/busybox@1.36.1"
        && c["evidence"].as_str().unwrap().contains("BusyBox v1.36.1")));
    let f = v["findings"].as_array().unwrap();
    let has = |kind: &str, key: &str, val: &str| f.iter().any(|x| x["kind"] == kind && x[key] == val);
    assert!(has("weak_password", "account", "support"), "an empty password counts");
    assert!(has("weak_password", "account", "root"));
    assert!(has("boot_service", "service", "telnetd"));
    assert!(has("private_key", "fingerprint", firmware::sample::EC_FINGERPRINT));
    assert!(f.iter().any(|x| x["kind"] == "hardcoded_secret"));
    assert!(f.iter().any(|x| x["kind"] == "plain_http_update"));
    for x in f {
        assert!(x["severity"].is_string() && x["path"].is_string() && x["detail"].is_string());
    }
    // the text report
    let o = kakehashi(&["firmware", p]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("squashfs") && text(&o).contains("weak_password"));
    // the HTML report, in Japanese and English
    let o = kakehashi(&["firmware", "--format", "html", p]);
    assert_eq!(o.status.code(), Some(0));
    let html = String::from_utf8_lossy(&o.stdout);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("ファームウェア解析レポート / Firmware report"));
    assert!(html.contains("telnetd") && html.contains("構成 / Layout"));
    // unreadable, not a file, a bad format
    let o = kakehashi(&["firmware", dir.join("missing.bin").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("missing.bin"), "{}", text(&o));
    assert_eq!(kakehashi(&["firmware", dir.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(kakehashi(&["firmware", "--format", "xml", p]).status.code(), Some(2));
    // not firmware at all
    let noise = dir.join("notes.txt");
    std::fs::write(&noise, "just some notes, nothing packed here\n".repeat(100)).unwrap();
    let o = kakehashi(&["firmware", "--format", "json", noise.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["parts"].as_array().unwrap().is_empty() && v["findings"].as_array().unwrap().is_empty());
    assert!(text(&kakehashi(&["firmware", noise.to_str().unwrap()])).contains("Nothing found"));

    // an Alpine 3.6 root file system (packages of the rancher/curl image trivy scanned): its apk
    // database, as an SBOM, against Alpine's advisories; musl 1.1.16-r13 is fixed in -r14
    if let Some(zip) = shared_data("osv/alpine-secdb-osv.zip") {
        let files = vec![
            (
                "/etc/os-release".to_string(),
                0o644u16,
                b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.6.2\nPRETTY_NAME=\"Alpine Linux v3.6\"\n".to_vec(),
            ),
            (
                "/lib/apk/db/installed".to_string(),
                0o644,
                b"C:Q1abc=\nP:libcurl\nV:7.55.0-r0\no:curl\n\nC:Q1def=\nP:musl\nV:1.1.16-r13\no:musl\n".to_vec(),
            ),
        ];
        let fs = firmware::sample::squashfs_of(&files, &[], backhand_gzip());
        let alpine = dir.join("alpine.sqsh");
        std::fs::write(&alpine, &fs).unwrap();
        let o = kakehashi(&["firmware", "--format", "cyclonedx", alpine.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let bom = dir.join("alpine.cdx.json");
        std::fs::write(&bom, &o.stdout).unwrap();
        let db = dir.join("db");
        let o = kakehashi(&["osv", "import", "--db", db.to_str().unwrap(), zip.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let o = kakehashi(&["scan", "--db", db.to_str().unwrap(), "--format", "json", bom.to_str().unwrap()]);
        // 1: vulnerabilities found
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = s["findings"].as_array().unwrap();
        assert!(
            f.iter().any(|x| x["package"]["name"] == "musl"
                && x["package"]["ecosystem"] == "Alpine:v3.6"
                && x["aliases"][0] == "CVE-2017-15650"),
            "findings from the vulnerability engine: {s}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn backhand_gzip() -> firmware::sample::Compression {
    firmware::sample::Compression::Gzip
}
