//! Engines run by the platform: an SBOM uploaded as evidence is scanned by a job against the
//! configured advisory index and the result shows on the service page and in the API; a stored
//! capture is analysed the same way; a file that is neither (or a damaged SBOM) gets no
//! analysis and is still kept; a file that cannot be read by its engine records why.

mod common;

use app::engines::{Engine, request_analysis};
use common::*;
use reqwest::StatusCode;

/// A one-advisory index made with the real importer.
fn advisory_index() -> std::path::PathBuf {
    let base = std::env::temp_dir().join(format!("kakehashi-osv-{}", &app::auth::random_token()[..10]));
    let src = base.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("GHSA-kkkk-0000-0001.json"),
        r#"{"id":"GHSA-kkkk-0000-0001","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
            "summary":"remote code execution in the demo crate",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected":[{"package":{"ecosystem":"crates.io","name":"kakehashi-demo-crate"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#,
    )
    .unwrap();
    let db = base.join("db");
    vulndb::db::import(&db, &[src], &|_, _, _| {}).unwrap();
    db
}

const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[
  {"type":"library","name":"kakehashi-demo-crate","version":"1.0.0","purl":"pkg:cargo/kakehashi-demo-crate@1.0.0"},
  {"type":"library","name":"serde","version":"1.0.200","purl":"pkg:cargo/serde@1.0.200"}]}"#;

async fn uploaded_sbom_is_scanned(db: Db) {
    let cfg = app::AppConfig { advisory_db: Some(advisory_index()), ..Default::default() };
    let t = TestApp::spawn_with(db, Options { config: cfg, workers: 2, ..Default::default() }).await;
    let id = t.submitted_application("解析テスト 診断サービス").await;
    let p = t.as_provider_admin().await;
    let up = p.upload(&format!("/my/services/{id}/evidence"), "bom.cdx.json", SBOM.as_bytes().to_vec()).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let up = p
        .upload(
            &format!("/my/services/{id}/evidence"),
            "broken.cdx.json",
            br#"{"bomFormat":"CycloneDX","components":[{"name":"x","version":"1"}]"#.to_vec(),
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "a file that only looks like an SBOM is still kept: {}", up.body);
    t.jobs_settle(60).await;
    let page = p.get(&format!("/services/{id}")).await;
    assert!(page.body.contains("GHSA-kkkk-0000-0001"), "the finding is on the page");
    assert!(page.body.contains("既知の脆弱性 1"), "{}", page.body);
    // The API has the same, with the counts.
    let token = p.create_token("read", &["registry:read"]).await;
    let d = p.api(reqwest::Method::GET, &format!("/api/v1/services/{id}"), &token, None).await.json();
    let ev = d["evidence"].as_array().unwrap();
    let bom = ev.iter().find(|e| e["filename"] == "bom.cdx.json").unwrap();
    let a = &bom["analyses"][0];
    assert_eq!((a["engine"].as_str(), a["state"].as_str()), (Some("sbom"), Some("done")), "{a}");
    assert_eq!(a["summary"]["components"], 2);
    assert_eq!(a["summary"]["findings"], 1);
    assert_eq!(a["summary"]["by_severity"]["critical"], 1, "{a}");
    assert_eq!(a["summary"]["top"][0]["fixed"][0], "1.2.0");
    // The PDF from the fixture has no analysis.
    let pdf = ev.iter().find(|e| e["filename"] == "manual.pdf").unwrap();
    assert!(pdf["analyses"].as_array().unwrap().is_empty());
    // Before it is listed, others are told the file does not exist (not that they may not see it).
    let eid = bom["id"].as_i64().unwrap();
    let r = t.as_sme().await.get(&format!("/services/{id}/evidence/{eid}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Once listed, the public sees the service but never its evidence or analyses.
    let r = t.as_reviewer().await.post_form(&format!("/review/{id}/approve"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let public = t.client().get(&format!("/api/v1/services/{id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.json().get("evidence").is_none(), "{}", public.body);
    let page = t.client().get(&format!("/services/{id}")).await;
    assert!(!page.body.contains("GHSA-kkkk-0000-0001"));
}

/// A capture attached as evidence (device verification) goes through the capture analyser.
async fn uploaded_capture_is_analysed(db: Db) {
    let t = TestApp::spawn_with(db, Options { workers: 2, ..Default::default() }).await;
    let id = t.submitted_application("キャプチャ解析テスト").await;
    let p = t.as_provider_admin().await;
    let up = p.upload(&format!("/my/services/{id}/evidence"), "device.pcap", capture()).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    t.jobs_settle(60).await;
    let page = p.get(&format!("/services/{id}")).await;
    assert!(page.body.contains("通信キャプチャ: 2 パケット"), "{}", page.body);
}

/// A small capture (two TCP segments of an FTP login) written by hand.
fn capture() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]);
    let mut seq = 1000u32;
    for (i, payload) in [&b"USER alice\r\n"[..], &b"PASS s3cret\r\n"[..]].iter().enumerate() {
        let mut pkt = Vec::new();
        pkt.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        let mut ip =
            vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 168, 1, 20, 192, 168, 1, 1];
        let mut sum = 0u32;
        for c in ip.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let ck = !(sum as u16);
        ip[10] = (ck >> 8) as u8;
        ip[11] = ck as u8;
        pkt.extend_from_slice(&ip);
        let mut tcp = vec![0xc0, 0x00, 0, 21];
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        pkt.extend_from_slice(&tcp);
        pkt.extend_from_slice(payload);
        seq += payload.len() as u32;
        let len = pkt.len() as u32;
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&pkt);
    }
    out
}

async fn stored_capture_is_analysed(db: Db) {
    let t = TestApp::spawn_with(db, Options { seed: false, workers: 2, ..Default::default() }).await;
    let data = capture();
    assert_eq!(app::engines::detect(&data), Some(Engine::Capture));
    let sha = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
    let mut tx = t.store.begin().await.unwrap();
    tx.put_blob(sha, &data).await.unwrap();
    let id = request_analysis(&mut tx, "test.capture", 1, sha, Engine::Capture, t.app.now()).await.unwrap().0;
    let garbage = "00000000c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
    tx.put_blob(garbage, b"not a capture at all, but declared one").await.unwrap();
    let bad = request_analysis(&mut tx, "test.capture", 2, garbage, Engine::Capture, t.app.now()).await.unwrap().0;
    tx.commit().await.unwrap();
    t.jobs_settle(60).await;
    let a = t.store.analysis(id).await.unwrap();
    assert_eq!(a.state, "done", "{a:?}");
    let s: serde_json::Value = serde_json::from_str(&a.summary).unwrap();
    assert_eq!(s["packets"], 2, "{s}");
    let b = t.store.analysis(bad).await.unwrap();
    assert_eq!(b.state, "failed");
    assert!(!b.error.unwrap_or_default().is_empty(), "the reason is kept");
}

both_backends!(uploaded_sbom_is_scanned, uploaded_capture_is_analysed, stored_capture_is_analysed);
