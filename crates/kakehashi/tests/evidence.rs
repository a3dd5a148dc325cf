//! Evidence of verification cases through the front door, on both databases: real captures
//! from the shared data uploaded from the case page's form and the API, analysed in jobs for the
//! case's devices (findings with endpoints, packet numbers and first-seen time; the engine's HTML
//! report), a truncated capture's partial report, SBOMs scanned into the version, documents;
//! the bad inputs (not a capture, an unreadable SBOM, over the limits, a declared 2 GiB body,
//! the wrong content type, script in names), a failed analysis with its retry button after the
//! file store lost the file, and who may see what (404 to another body's tester and outsiders).

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TELNET: &str = "pcap/suricata-verify/tests/telnet/telnet-01/telnet.pcap";

fn capture(rel: &str) -> Option<Vec<u8>> {
    match shared_data(rel) {
        Some(p) => Some(std::fs::read(p).unwrap()),
        None => {
            assert!(std::env::var("KAKEHASHI_REQUIRE_DATA").is_err(), "shared data required: {rel}");
            None
        }
    }
}

/// A white-hat case of a new product, scoped with `devices` and under way, by the demo tester's
/// body; returns (vendor, vendor token, tester, tester token, case id).
async fn case_under_way(t: &TestApp, devices: &[&str]) -> (Client, String, Client, String, i64) {
    let vendor = t.as_provider_admin().await;
    let vt = vendor.create_token("v", &["verification:read", "verification:write"]).await;
    let tester = t.login("tester@demo.kakehashi.jp").await;
    let tt = tester.create_token("t", &["verification:read", "verification:write"]).await;
    let center = t.org_id("日本IoT検証センター").await;
    let r = vendor
        .api(
            Method::POST,
            "/api/v1/products",
            &vt,
            Some(json!({"name": "証拠試験 ルーター", "category": "iot_device",
            "vuln_contact": "psirt@example.jp", "public": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let product = r.json()["id"].as_i64().unwrap();
    let r = vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{product}/cases"),
            &vt,
            Some(json!({"body_org_id": center, "kind": "white_hat", "note": "実攻撃検証をお願いします"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.json()["id"].as_i64().unwrap();
    let plan = json!({"plan": {"scope": "管理画面と telnet", "time_windows": "平日 10-17 時", "allowed_techniques": "ログイン試行",
        "stages": ["build_operate"], "devices": devices}});
    let r = tester.api(Method::POST, &format!("/api/v1/cases/{case}/scope"), &tt, Some(plan)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = tester.api(Method::POST, &format!("/api/v1/cases/{case}/start"), &tt, Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (vendor, vt, tester, tt, case)
}

fn form(c: &Client, kind: &str, devices: &str, version: &str, name: &str, data: Vec<u8>) -> Form {
    Form::new()
        .text("csrf", c.csrf.clone())
        .text("kind", kind.to_string())
        .text("devices", devices.to_string())
        .text("version", version.to_string())
        .part("file", Part::bytes(data).file_name(name.to_string()))
}

async fn evidence(c: &Client, token: &str, case: i64) -> Value {
    let r = c.api(Method::GET, &format!("/api/v1/cases/{case}/evidence"), token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// Waits until every analysis of the case is done or failed.
async fn analysed(c: &Client, token: &str, case: i64) -> Value {
    for _ in 0..400 {
        let v = evidence(c, token, case).await;
        if v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["analysis"].is_null() || i["analysis"] == "done" || i["analysis"] == "failed")
        {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("analyses did not finish: {}", evidence(c, token, case).await);
}

fn blob_files(t: &TestApp) -> usize {
    let dir = t.app.config.blob_dir.join("sha256");
    let Ok(rd) = std::fs::read_dir(&dir) else { return 0 };
    rd.flatten().map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0)).sum()
}

async fn captures_are_analysed_for_the_case_devices(db: Db) {
    let Some(telnet) = capture(TELNET) else { return };
    let t = TestApp::spawn_with(db, Options { workers: 1, ..Default::default() }).await;
    let (vendor, vt, tester, tt, case) = case_under_way(&t, &["192.168.0.1"]).await;

    // the tester uploads the real telnet capture from the case page's form (device from the plan)
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains("証拠を追加する") && page.body.contains("enctype=\"multipart/form-data\""));
    let r = tester
        .multipart(&format!("/cases/{case}/evidence"), form(&tester, "", "", "", "telnet.pcap", telnet.clone()))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("done=evidence"));
    let v = analysed(&tester, &tt, case).await;
    let item = &v["items"][0];
    assert_eq!(item["kind"], "capture", "told by its content: {v}");
    assert_eq!(item["analysis"], "done", "{v}");
    assert_eq!(item["devices"], json!(["192.168.0.1"]), "the plan's device");
    assert_eq!(item["size"], telnet.len());
    assert!(item["summary"]["packets"].as_u64().unwrap() > 50, "{v}");
    // what the analyser found, with endpoints, packets and first-seen time
    let creds = v["capture_findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "credentials_in_clear")
        .unwrap_or_else(|| panic!("telnet login in clear: {v}"));
    assert_eq!(creds["protocol"], "telnet");
    assert!(creds["src"] == "192.168.0.1" || creds["dst"] == "192.168.0.1", "{creds}");
    assert!(!creds["packets"].as_array().unwrap().is_empty());
    assert!(creds["first_seen"].as_str().unwrap().starts_with("1999-11-28T"), "the capture's own time: {creds}");
    // the page shows the result and the engine's HTML report (sandboxed)
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(
        page.body.contains("telnet.pcap")
            && page.body.contains("解析済み")
            && page.body.contains("credentials_in_clear")
    );
    let report = tester.get(item["report"].as_str().unwrap()).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.contains("通信解析レポート") && report.body.contains("telnet"));
    assert!(report.headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    // the download gives the same bytes; the vendor sees it too
    let id = item["id"].as_i64().unwrap();
    let dl = vendor.http.get(t.url(&format!("/cases/{case}/evidence/{id}"))).bearer_auth(&vt).send().await.unwrap();
    assert_eq!(dl.status(), StatusCode::OK);
    assert!(dl.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    assert_eq!(dl.bytes().await.unwrap().to_vec(), telnet);

    // a capture cut short: a partial report with a clear note
    let cut = telnet[..telnet.len() * 2 / 3].to_vec();
    let r = vendor
        .multipart(&format!("/cases/{case}/evidence"), form(&vendor, "capture", "192.168.0.1", "", "cut.pcap", cut))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = analysed(&tester, &tt, case).await;
    let cut = v["items"].as_array().unwrap().iter().find(|i| i["filename"] == "cut.pcap").unwrap();
    assert_eq!(cut["analysis"], "done", "{v}");
    assert!(cut["note"].as_str().unwrap().contains("truncated"), "{cut}");
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains("途中までの結果"), "the page says the result is partial");

    // an SBOM is scanned into the version; a document is kept
    let sbom = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"openssl","version":"1.1.1k","purl":"pkg:generic/openssl@1.1.1k"}]}"#;
    let r = tester
        .multipart(&format!("/cases/{case}/evidence"), form(&tester, "", "", "2.0.1", "fw.cdx.json", sbom.to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let doc = "試験報告書\n<script>alert(1)</script>".as_bytes().to_vec();
    let r = tester
        .multipart(&format!("/cases/{case}/evidence"), form(&tester, "document", "", "", "<script>x</script>.txt", doc))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = analysed(&tester, &tt, case).await;
    let kinds: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["capture", "capture", "sbom", "document"]);
    assert_eq!(v["items"][2]["analysis"], "done");
    assert_eq!(v["items"][2]["summary"]["components"], 1);
    assert!(v["items"][3]["analysis"].is_null());
    let product = tester.api(Method::GET, &format!("/api/v1/cases/{case}"), &tt, None).await.json()["product_id"]
        .as_i64()
        .unwrap();
    let p = vendor.api(Method::GET, &format!("/api/v1/products/{product}?version=2.0.1"), &vt, None).await;
    assert_eq!(p.status, StatusCode::OK, "the SBOM made the version: {}", p.body);
    // a version made by a case's evidence is private: the public does not see it
    assert_eq!(
        t.client().get(&format!("/api/v1/products/{product}?version=2.0.1")).await.status,
        StatusCode::NOT_FOUND
    );
    // the body may not scan into another existing version of the vendor's
    let r = vendor
        .http
        .post(t.url(&format!("/api/v1/products/{product}/versions/1.0.0/sbom")))
        .bearer_auth(&vt)
        .header("content-type", "application/json")
        .body(sbom.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = tester
        .multipart(&format!("/cases/{case}/evidence"), form(&tester, "sbom", "", "1.0.0", "x.cdx.json", sbom.to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains("&#60;script&#62;x") && !page.body.contains("<script>x"), "escaped file name");

    // the API takes evidence too (202 with the job)
    let r = tester
        .http
        .post(t.url(&format!("/api/v1/cases/{case}/evidence")))
        .bearer_auth(&tt)
        .multipart(
            Form::new().text("kind", "capture").part("file", Part::bytes(telnet.clone()).file_name("again.pcap")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["kind"], "capture");
    let job = j["job_id"].as_i64().unwrap();
    analysed(&tester, &tt, case).await;
    let j = tester.api(Method::GET, &format!("/api/v1/jobs/{job}"), &tt, None).await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.body);
    // the same bytes are kept once in the file store
    assert_eq!(blob_files(&t), 2, "the telnet capture (sent twice) is kept once, beside its cut");

    // nobody else: a tester of another body, an SME, the public (404: they may not know it exists)
    let other_body = t.org_id("サイバー実証ラボ").await;
    let outsider = t.member(other_body, "lab@example.jp", "別機関 検証員", domain::MembershipRole::Member).await;
    for path in [
        format!("/cases/{case}/evidence/{id}"),
        format!("/cases/{case}/evidence/{id}/report"),
        format!("/api/v1/cases/{case}/evidence"),
    ] {
        assert_eq!(outsider.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(t.as_sme().await.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            matches!(t.client().get(&path).await.status, StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED),
            "{path}"
        );
    }
    let r = outsider
        .multipart(&format!("/cases/{case}/evidence"), form(&outsider, "capture", "", "", "x.pcap", telnet.clone()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // the evidence of another case cannot be reached through this one
    assert_eq!(tester.get(&format!("/cases/1/evidence/{id}")).await.status, StatusCode::NOT_FOUND);
}

async fn bad_evidence_is_refused_and_nothing_is_kept(db: Db) {
    let Some(telnet) = capture(TELNET) else { return };
    let cfg = app::AppConfig { max_capture_bytes: 64 * 1024, ..Default::default() };
    let t = TestApp::spawn_with(db, Options { max_upload_bytes: 4 * 1024, config: cfg, ..Default::default() }).await;
    let (_vendor, _vt, tester, tt, case) = case_under_way(&t, &[]).await;
    let path = format!("/cases/{case}/evidence");
    let count = |v: Value| v["items"].as_array().unwrap().len();

    // not a capture, sent as one: 415 with a clear message
    let r = tester
        .multipart(&path, form(&tester, "capture", "", "", "notes.pcap", b"just some text, not packets".to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert!(r.body.contains("pcap"), "{}", r.body);
    // an SBOM no reader accepts: 422 naming the formats, the page again with what was typed
    let r = tester.multipart(&path, form(&tester, "sbom", "", "3.1.4", "bom.json", b"{\"hello\": 1}".to_vec())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("CycloneDX") && r.body.contains("value=\"3.1.4\""), "{}", r.body);
    // a device that is no address: 422, typed text kept and escaped
    let r = tester
        .multipart(&path, form(&tester, "capture", "<script>1</script>", "", "t.pcap", telnet[..2000].to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("aria-describedby=\"devices-err\"") && r.body.contains("&#60;script&#62;1&#60;/script&#62;"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<script>1</script>"));
    // an unknown kind, no file
    let r = tester.multipart(&path, form(&tester, "video", "", "", "t.bin", b"abc".to_vec())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = tester.multipart(&path, Form::new().text("csrf", tester.csrf.clone()).text("kind", "capture")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ファイルを選択してください"));
    // over the limits: a capture over the capture limit, a document over the upload limit
    let r = tester.multipart(&path, form(&tester, "capture", "", "", "big.pcap", telnet.repeat(8))).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let r = tester.multipart(&path, form(&tester, "document", "", "", "big.pdf", vec![b'x'; 5000])).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // not multipart at all: 415
    let r = tester.api(Method::POST, &format!("/api/v1/cases/{case}/evidence"), &tt, Some(json!({"file": "x"}))).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    // not signed in: to the login page (the API: 401), before the body is read
    let anon = t.client();
    let r = anon.multipart(&path, form(&anon, "capture", "", "", "t.pcap", telnet[..2000].to_vec())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    let r = anon
        .multipart(
            &format!("/api/v1/cases/{case}/evidence"),
            form(&anon, "capture", "", "", "t.pcap", telnet[..2000].to_vec()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // a text part past its bound
    let r = tester
        .multipart(&path, Form::new().text("csrf", tester.csrf.clone()).text("devices", "1".repeat(70_000)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // without the CSRF token: 403 before anything is stored
    let no_csrf =
        Form::new().text("kind", "capture").part("file", Part::bytes(telnet[..2000].to_vec()).file_name("t.pcap"));
    assert_eq!(tester.multipart(&path, no_csrf).await.status, StatusCode::FORBIDDEN);

    assert_eq!(count(evidence(&tester, &tt, case).await), 0, "nothing was stored");
    assert_eq!(blob_files(&t), 0, "no file left in the file store");
    let tmp = t.app.config.blob_dir.join("tmp");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0, "no partial upload left");
    // the case still takes good evidence afterwards
    let r = tester.multipart(&path, form(&tester, "capture", "", "", "ok.pcap", telnet[..2000].to_vec())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(evidence(&tester, &tt, case).await), 1);
}

/// A body declaring more than the 2 GiB capture limit is refused at once, before it is read.
async fn a_declared_two_gib_body_is_refused_unread(db: Db) {
    let t = TestApp::spawn(db).await;
    let (_vendor, _vt, tester, _tt, case) = case_under_way(&t, &[]).await;
    let mut s = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    let req = format!(
        "POST /cases/{case}/evidence HTTP/1.1\r\nHost: {}\r\nOrigin: http://{}\r\nCookie: kh_session={}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n--x\r\n",
        t.addr,
        t.addr,
        tester.session.clone().unwrap(),
        2u64 * 1024 * 1024 * 1024 + 2 * 1024 * 1024
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("answered at once")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

/// The file store loses a capture before its job runs: the analysis fails after its attempts, the
/// case page shows the error with a retry button; once the file is back, the retry succeeds.
async fn a_failed_analysis_shows_and_retries(db: Db) {
    let Some(telnet) = capture(TELNET) else { return };
    let mut cfg = app::AppConfig::default();
    cfg.jobs.backoff_base_ms = 20;
    let t = TestApp::spawn_with(db, Options { config: cfg, workers: 0, ..Default::default() }).await;
    let (_vendor, _vt, tester, tt, case) = case_under_way(&t, &[]).await;
    let r = tester
        .multipart(&format!("/cases/{case}/evidence"), form(&tester, "capture", "", "", "t.pcap", telnet.clone()))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = evidence(&tester, &tt, case).await;
    assert_eq!(v["items"][0]["analysis"], "queued");
    let sha = v["items"][0]["sha256"].as_str().unwrap().to_string();
    let file = app::blobs::blob_path(&t.app.config.blob_dir, &sha).unwrap();
    let aside = file.with_extension("aside");
    std::fs::rename(&file, &aside).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let w = t.app.clone();
    let workers = tokio::spawn(async move {
        w.run_workers(1, async {
            let _ = stop_rx.await;
        })
        .await
    });
    let v = analysed(&tester, &tt, case).await;
    assert_eq!(v["items"][0]["analysis"], "failed", "{v}");
    assert!(v["items"][0]["error"].as_str().unwrap().contains("file store"), "{v}");
    let page = tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains("解析失敗") && page.body.contains("解析をやり直す"), "the error and the retry button");
    let eid = v["items"][0]["id"].as_i64().unwrap();
    // the file is back; the retry button runs the analysis again
    std::fs::rename(&aside, &file).unwrap();
    let r = tester.post_form(&format!("/cases/{case}/evidence/{eid}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = analysed(&tester, &tt, case).await;
    assert_eq!(v["items"][0]["analysis"], "done", "{v}");
    assert!(v["items"][0]["error"].is_null());
    // a second retry of a done analysis is refused
    let r = tester.post_form(&format!("/cases/{case}/evidence/{eid}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let _ = stop_tx.send(());
    let _ = workers.await;
}

both_backends!(
    captures_are_analysed_for_the_case_devices,
    bad_evidence_is_refused_and_nothing_is_kept,
    a_declared_two_gib_body_is_refused_unread,
    a_failed_analysis_shows_and_retries
);

/// A pcap of `mib` MiB: one flow of full-size TCP packets (built here, nothing from disk).
fn generated_capture(mib: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(mib * 1024 * 1024 + 4096);
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let payload = [b'A'; 1400];
    let mut pkt = Vec::new();
    pkt.extend_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00]);
    let ip_len = (20 + 20 + payload.len()) as u16;
    pkt.extend_from_slice(&[0x45, 0]);
    pkt.extend_from_slice(&ip_len.to_be_bytes());
    pkt.extend_from_slice(&[0, 1, 0, 0, 64, 6, 0, 0, 192, 168, 0, 2, 192, 168, 0, 1]);
    pkt.extend_from_slice(&40000u16.to_be_bytes());
    pkt.extend_from_slice(&80u16.to_be_bytes());
    pkt.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    pkt.extend_from_slice(&payload);
    let mut i = 0u32;
    while out.len() + pkt.len() + 16 <= mib * 1024 * 1024 {
        out.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        out.extend_from_slice(&((i % 1000) * 1000).to_le_bytes());
        out.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        out.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        out.extend_from_slice(&pkt);
        i += 1;
    }
    out
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A 384 MiB capture through `kakehashi serve` (a process of its own, so its memory is its own):
/// the upload is streamed to the file store and the job streams it through the analyser; the
/// server's peak memory stays far below the capture's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_capture_streams_through_bounded_memory() {
    const MIB: usize = 384;
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_vendor, _vt, _tester, tt, case) = case_under_way(&t, &["192.168.0.1"]).await;
    let port = free_port();
    let blobs = t.db.dir.join("serve-blobs");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["serve", "--database-url", &t.db.url, "--bind", &format!("127.0.0.1:{port}"), "--workers", "1"])
        .env("KAKEHASHI_BLOB_DIR", &blobs)
        .env("KAKEHASHI_JOB_POLL_MS", "50")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let before = peak_rss_kib(child.id());
    let data = generated_capture(MIB);
    let len = data.len();
    let form = Form::new().text("kind", "capture").part("file", Part::bytes(data).file_name("long-run.pcap"));
    let r = http
        .post(format!("{base}/api/v1/cases/{case}/evidence"))
        .bearer_auth(&tt)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let mut done = Value::Null;
    for _ in 0..1200 {
        let v: Value = http
            .get(format!("{base}/api/v1/cases/{case}/evidence"))
            .bearer_auth(&tt)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["items"][0]["analysis"] == "done" || v["items"][0]["analysis"] == "failed" {
            done = v;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let peak = peak_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(done["items"][0]["analysis"], "done", "{done}");
    assert!(done["items"][0]["summary"]["packets"].as_u64().unwrap() > 250_000, "{done}");
    assert_eq!(done["items"][0]["size"].as_u64().unwrap() as usize, len);
    let grew = peak.saturating_sub(before) / 1024;
    eprintln!("{MIB} MiB capture: server peak {} MiB, grew {grew} MiB", peak / 1024);
    assert!(grew < 96, "the server grew by {grew} MiB for a {MIB} MiB capture (peak {peak} KiB)");
}
