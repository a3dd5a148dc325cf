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
    let t = TestApp::spawn_with(Db::Sqlite, Options { workers: 2, ..Default::default() }).await;
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
