//! The rest of a verification case through the front door, on both databases: a real-environment
//! trial hosted by a user organisation (the host sees the case, all three sides log
//! observations, the track record is published only with both consents); testers assigned to a
//! white-hat case (only they record findings), a tester's finding pointing to the case's
//! evidence, the vendor's response and the tester's reply on it; the claims table as CSV.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Parties {
    vendor: Client,
    vt: String,
    tester: Client,
    tt: String,
    product: i64,
    center: i64,
}

async fn parties(t: &TestApp, category: &str) -> Parties {
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
            Some(json!({"name": "試行試験 見守りカメラ", "category": category,
            "claims": ["不審な通信を遮断する"], "vuln_contact": "psirt@example.jp", "public": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    Parties { product: r.json()["id"].as_i64().unwrap(), vendor, vt, tester, tt, center }
}

async fn step(c: &Client, token: &str, case: i64, action: &str, body: Value) -> Resp {
    c.api(Method::POST, &format!("/api/v1/cases/{case}/{action}"), token, Some(body)).await
}

async fn a_trial_is_published_only_with_both_consents(db: Db) {
    let t = TestApp::spawn(db).await;
    let p = parties(&t, "iot_device").await;
    let host = t.org_id("みなと精機").await;
    let r = p
        .vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{}/cases", p.product),
            &p.vt,
            Some(json!({"body_org_id": p.center, "kind": "trial", "note": "工場での試行をお願いします"})),
        )
        .await;
    let case = r.json()["id"].as_i64().unwrap();
    // the host is a user organisation, not the vendor itself
    let vendor_org = t.org_id("北斗").await;
    let bad = json!({"plan": {"host_org_id": vendor_org, "trial_from": "2027-01-10", "trial_until": "2027-03-31"}});
    let r = step(&p.tester, &p.tt, case, "scope", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let plan = json!({"plan": {"host_org_id": host, "trial_from": "2027-01-10", "trial_until": "2027-03-31"}});
    assert_eq!(step(&p.tester, &p.tt, case, "scope", plan).await.status, StatusCode::OK);
    // the host organisation now knows the case; an unrelated SME would not
    let sme = t.as_sme().await;
    let page = sme.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "the host sees its trial");
    assert!(page.body.contains("未同意"), "the consent is shown as not yet given");
    assert!(sme.get("/cases").await.body.contains(&format!("/cases/{case}")), "the host's case list has it");
    assert_eq!(t.client().get(&format!("/cases/{case}")).await.status, StatusCode::NOT_FOUND);
    // the host sees the trial, not the vendor's evidence
    let st = sme.create_token("s", &["verification:read", "verification:write"]).await;
    let r = sme.api(Method::GET, &format!("/api/v1/cases/{case}/evidence"), &st, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(!page.body.contains("証拠を追加する"));
    // observations wait for the trial to run
    assert_eq!(
        sme.post_form(&format!("/cases/{case}/observations"), &[("note", "x")]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(step(&p.tester, &p.tt, case, "start", json!({})).await.status, StatusCode::OK);
    // all three sides log; an empty one keeps the page with a message; script is escaped
    let r = sme.post_form(&format!("/cases/{case}/observations"), &[("note", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("aria-describedby=\"note-err\""));
    for (who, text) in [
        (&sme, "1月の夜間、誤検知が2件。<b>運用に支障なし</b>"),
        (&p.vendor, "誤検知の条件を確認し、2.0.1 で閾値を調整します"),
        (&p.tester, "2月の再測定で誤検知は0件"),
    ] {
        let r = who.post_form(&format!("/cases/{case}/observations"), &[("note", text)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = p.vendor.get(&format!("/cases/{case}")).await;
    assert!(
        page.body.contains("みなと精機") && page.body.contains("&#60;b&#62;運用に支障なし"),
        "who and what, escaped"
    );
    assert!(page.body.contains("2月の再測定で誤検知は0件"));
    // an outsider cannot log
    let outsider = t.as_provider().await; // the vendor's member may; a registry reviewer may not
    let reviewer = t.as_reviewer().await;
    assert_eq!(
        reviewer.post_form(&format!("/cases/{case}/observations"), &[("note", "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    drop(outsider);
    // decided; the vendor cannot publish before the host consents
    assert_eq!(step(&p.tester, &p.tt, case, "submit_findings", json!({})).await.status, StatusCode::OK);
    let r = step(&p.tester, &p.tt, case, "decide", json!({"decision": "pass", "comment": "3か月の試行で有効性を確認"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = step(&p.vendor, &p.vt, case, "publish", json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("host"), "{}", r.body);
    // only the host consents, once
    assert_eq!(p.vendor.post_form(&format!("/cases/{case}/consent"), &[]).await.status, StatusCode::FORBIDDEN);
    let r = sme.post_form(&format!("/cases/{case}/consent"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(sme.post_form(&format!("/cases/{case}/consent"), &[]).await.status, StatusCode::CONFLICT);
    assert!(p.vendor.get(&format!("/cases/{case}")).await.body.contains("同意済み"));
    // both consents: published, with its observations for everyone
    assert_eq!(step(&p.vendor, &p.vt, case, "publish", json!({})).await.status, StatusCode::OK);
    let public = t.client().get(&format!("/cases/{case}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("2月の再測定で誤検知は0件") && public.body.contains("観察記録"));
}

async fn testers_evidence_and_the_finding_discussion(db: Db) {
    let t = TestApp::spawn(db).await;
    let p = parties(&t, "iot_device").await;
    let tester_id = t.store.user_by_email("tester@demo.kakehashi.jp").await.unwrap().unwrap().id;
    // a second member of the same body, not assigned
    let center = p.center;
    let second = t.member(center, "second@center.example.jp", "検証 三郎", domain::MembershipRole::Member).await;
    let st = second.create_token("s", &["verification:read", "verification:write"]).await;
    let r = p
        .vendor
        .api(
            Method::POST,
            &format!("/api/v1/products/{}/cases", p.product),
            &p.vt,
            Some(json!({"body_org_id": center, "kind": "white_hat", "note": "お願いします"})),
        )
        .await;
    let case = r.json()["id"].as_i64().unwrap();
    // the scope form offers the body's members; a user of another organisation cannot be assigned
    let page = p.tester.get(&format!("/cases/{case}")).await;
    assert!(page.body.contains("担当する検証員") && page.body.contains("検証 三郎"));
    let plan = |testers: Value| {
        json!({"plan": {"scope": "管理画面", "time_windows": "平日", "allowed_techniques": "ログイン試行",
            "stages": ["build_operate"], "testers": testers}})
    };
    let operator_id = t.store.user_by_email("operator@demo.kakehashi.jp").await.unwrap().unwrap().id;
    let r = step(&p.tester, &p.tt, case, "scope", plan(json!([operator_id]))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = step(&p.tester, &p.tt, case, "scope", plan(json!([tester_id]))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["plan"]["testers"], json!([tester_id]));
    assert_eq!(step(&p.tester, &p.tt, case, "start", json!({})).await.status, StatusCode::OK);
    assert!(p.vendor.get(&format!("/cases/{case}")).await.body.contains("検証 次郎"), "the assigned tester is shown");
    // the version under test (a manual finding belongs to one)
    let sbom = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"busybox","version":"1.36.1","purl":"pkg:generic/busybox@1.36.1"}]}"#;
    let r = p
        .vendor
        .http
        .post(t.url(&format!("/api/v1/products/{}/versions/2.0.0/sbom", p.product)))
        .bearer_auth(&p.vt)
        .header("content-type", "application/json")
        .body(sbom)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // evidence: a photo of the admin page
    let r = p
        .tester
        .multipart(
            &format!("/cases/{case}/evidence"),
            Form::new()
                .text("csrf", p.tester.csrf.clone())
                .text("kind", "document")
                .part("file", Part::bytes(b"\x89PNG\r\n\x1a\nadmin page".to_vec()).file_name("admin.png")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ev = p.tester.api(Method::GET, &format!("/api/v1/cases/{case}/evidence"), &p.tt, None).await.json();
    let eid = ev["items"][0]["id"].as_i64().unwrap();
    let finding = json!({"title": "管理画面の認証回避", "vector": "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "description": "Cookie で認証を回避できる", "reproduction": "1. admin=1 を付ける", "evidence": [eid]});
    // the unassigned member may not record it; evidence of another case is refused
    let r = second.api(Method::POST, &format!("/api/v1/cases/{case}/findings"), &st, Some(finding.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let mut other = finding.clone();
    other["evidence"] = json!([eid + 1000]);
    let r = p.tester.api(Method::POST, &format!("/api/v1/cases/{case}/findings"), &p.tt, Some(other)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = p.tester.api(Method::POST, &format!("/api/v1/cases/{case}/findings"), &p.tt, Some(finding)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let fid = r.json()["id"].as_i64().unwrap();
    let path = format!("/products/{}/findings/{fid}", p.product);
    let page = p.tester.get(&path).await;
    assert!(page.body.contains(&format!("/cases/{case}/evidence/{eid}")) && page.body.contains("admin.png"));
    // the case's exports: the tester's finding for the body; not for the vendor yet, nor the public
    let vex = p.tester.api(Method::GET, &format!("/api/v1/cases/{case}/vex"), &p.tt, None).await;
    assert_eq!(vex.status, StatusCode::OK, "{}", vex.body);
    assert!(vex.body.contains(&format!("KH-C{case}-001")) && vex.json()["bomFormat"] == "CycloneDX");
    let early = p.vendor.api(Method::GET, &format!("/api/v1/cases/{case}/vex"), &p.vt, None).await;
    assert_eq!(early.status, StatusCode::OK);
    assert!(!early.body.contains(&format!("KH-C{case}-")), "the vendor sees testers' findings from the review on");
    assert_eq!(t.client().get(&format!("/api/v1/cases/{case}/vex")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.client().get(&format!("/cases/{case}/report")).await.status, StatusCode::NOT_FOUND);
    // the vendor sees it from the findings review on and responds; the tester replies
    assert_eq!(p.vendor.get(&path).await.status, StatusCode::NOT_FOUND, "not before the findings review");
    assert_eq!(step(&p.tester, &p.tt, case, "submit_findings", json!({})).await.status, StatusCode::OK);
    for (url, needle) in [
        (format!("/cases/{case}/findings.csv"), format!("KH-C{case}-001")),
        (format!("/cases/{case}/findings.sarif"), format!("KH-C{case}-001")),
        (format!("/cases/{case}/report"), "管理画面の認証回避".to_string()),
        (format!("/api/v1/cases/{case}/csaf"), format!("KAKEHASHI-C{case}-")),
    ] {
        let r = p.vendor.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        assert!(r.body.contains(&needle), "{url}: {}", &r.body[..r.body.len().min(400)]);
    }
    let r = p.vendor.post_form(&format!("{path}/responses"), &[("note", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        p.vendor.post_form(&format!("{path}/responses"), &[("note", "2.0.1 で修正します。<script>x</script>")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = p.tester.post_form(&format!("{path}/responses"), &[("note", "2.0.1 で修正を確認しました")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = p.vendor.get(&path).await;
    assert!(page.body.contains("2.0.1 で修正を確認しました") && page.body.contains("&#60;script&#62;x"));
    assert!(!page.body.contains("<script>x</script>"));
    assert!(page.body.contains("日本IoT検証センター"), "the tester's organisation is named");
    // the body triages its own finding after a retest; the vendor sees the decision
    let triage = format!("/my/products/{}/findings/{fid}/triage", p.product);
    let r = p
        .tester
        .post_form(&triage, &[("state", "resolved"), ("resolved_in", "2.0.1"), ("detail", "再試験で確認")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = p.vendor.get(&path).await;
    assert!(page.body.contains("2.0.1") && page.body.contains("再試験で確認"), "{}", page.body);
    // nobody else writes or reads it
    let sme = t.as_sme().await;
    assert_eq!(
        second.post_form(&triage, &[("state", "exploitable")]).await.status,
        StatusCode::SEE_OTHER,
        "a member of the body"
    );
    assert_eq!(sme.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sme.post_form(&format!("{path}/responses"), &[("note", "x")]).await.status, StatusCode::NOT_FOUND);
}

async fn the_claims_table_as_csv(db: Db) {
    let t = TestApp::spawn(db).await;
    // the demo's published effectiveness case: its claims table for everyone
    let r = t.client().get("/cases/1/claims.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        r.body.starts_with('\u{feff}') && r.body.contains("試験記録 T-001") && r.body.contains("met"),
        "{}",
        r.body
    );
    // an unpublished case's table is unknown to the public
    assert_eq!(t.client().get("/cases/5/claims.csv").await.status, StatusCode::NOT_FOUND);
}

both_backends!(
    a_trial_is_published_only_with_both_consents,
    testers_evidence_and_the_finding_discussion,
    the_claims_table_as_csv
);
