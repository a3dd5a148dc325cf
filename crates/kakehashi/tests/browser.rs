//! Browser journeys (tools/browser/*.test.mjs) in Debian's Chromium against a freshly served demo:
//! one journey per role, axe-core on every page, screenshots at desktop and phone widths.
//! Needs `chromium` and `npm ci` in tools/ (`.ci/run` installs both); without them the test says
//! SKIPPED, unless KAKEHASHI_REQUIRE_BROWSER=1 (as in CI) makes that a failure.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_in_chromium() {
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools");
    let ready = std::path::Path::new("/usr/bin/chromium").exists()
        && tools.join("node_modules/playwright-core").exists()
        && tools.join("node_modules/axe-core").exists();
    if !ready {
        if std::env::var("KAKEHASHI_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("browser tests required: install chromium and run `npm ci` in tools/");
        }
        eprintln!("SKIPPED browser journeys: chromium or tools/node_modules missing (see .ci/run)");
        return;
    }
    // With the shared data, the demo products get their real SBOMs, scanned against real
    // advisories, so the pages (and screenshots) show real findings.
    let data = shared_data("osv/rustsec-advisory-db.zip").and_then(|z| Some((z, shared_data("")?)));
    let mut cfg = app::AppConfig::default();
    cfg.labels.secret = Some("browser journeys label secret, 32+ characters".into());
    if let Some((zip, _)) = &data {
        let index = std::env::temp_dir().join(format!("kakehashi-browser-osv-{}", &app::auth::random_token()[..10]));
        let alpine = zip.with_file_name("alpine-secdb-osv.zip");
        vulndb::db::import(&index, &[zip.clone(), alpine], &|_, _, _| {}).unwrap();
        cfg.advisory_db = Some(index);
    }
    let t = TestApp::spawn_with(Db::Sqlite, Options { workers: 2, config: cfg, ..Default::default() }).await;
    if let Some((_, dir)) = &data {
        t.app.attach_demo_sboms(dir).await.unwrap();
        t.app.attach_demo_captures(dir).await.unwrap();
        t.jobs_settle(120).await;
        // labels on the scanned products (active, revoked, expired), as the demo issues them
        t.app.seed_demo_labels().await.unwrap();
        t.app.verification().watch_labels().await.unwrap();
    }
    let shots = std::env::var("KAKEHASHI_SHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("kakehashi-shots"));
    // Every journey at desktop width and on a 390 px phone.
    for width in ["1280", "390"] {
        let mut cmd = std::process::Command::new("node");
        cmd.arg("--test")
            .arg("--test-concurrency=1")
            .arg(tools.join("browser/journeys.test.mjs"))
            .env("KAKEHASHI_URL", format!("http://{}", t.addr))
            .env("SHOTS", &shots)
            .env("WIDTH", width)
            .env("KAKEHASHI_DEMO_SBOMS", if data.is_some() { "1" } else { "0" })
            .current_dir(&tools);
        let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("run node");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        println!("{text}");
        assert!(
            out.status.success(),
            "browser journeys at {width} px failed (screenshots in {}):\n{text}",
            shots.display()
        );
        assert!(text.contains("# fail 0"), "{text}");
    }
}
