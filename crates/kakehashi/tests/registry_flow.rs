//! The registry program end to end, through HTTP as its users drive it, on both databases.

mod common;

use common::*;
use reqwest::StatusCode;

const BODY_NAME: &str = "日本セキュリティサービス審査協会";

async fn full_lifecycle(db: Db) {
    let t = TestApp::spawn(db).await;
    // after signing in, each role lands on its own page; a page asked for is honoured
    for (email, landing) in [
        ("provider-admin@demo.kakehashi.jp", "/my"),
        ("reviewer@demo.kakehashi.jp", "/review"),
        ("operator@demo.kakehashi.jp", "/admin"),
        ("sme@demo.kakehashi.jp", "/"),
    ] {
        let c = t.client();
        let fields = [("email", email), ("password", DEMO_PASSWORD), ("next", "/")];
        let r = c.form_before_login("/login", &fields, &c.base, None).await;
        assert_eq!(r.headers()["location"], landing, "{email}");
        let fields = [("email", email), ("password", DEMO_PASSWORD), ("next", "/services?q=x")];
        let r = c.form_before_login("/login", &fields, &c.base, None).await;
        assert_eq!(r.headers()["location"], "/services?q=x", "{email}");
    }
    let body_id = t.org_id(BODY_NAME).await.to_string();
    let provider = t.login("provider-admin@demo.kakehashi.jp").await;
    let reviewer = t.login("reviewer@demo.kakehashi.jp").await;
    let operator = t.login("operator@demo.kakehashi.jp").await;
    let public = t.client();

    // Apply (draft), attach evidence, submit.
    let name = "架け橋テスト Webアプリ脆弱性診断サービス";
    let r = provider.post_form("/my/services", &application_fields(name, &body_id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.service_id();
    let page = provider.get(&format!("/services/{id}")).await;
    assert!(page.body.contains("下書き"), "draft shown");
    // a draft is not in the public list: the page sits under the provider's applications
    assert!(page.body.contains("<p class=\"muted\"><a href=\"/my\">申請・登録管理</a> ›</p>"), "{}", page.body);
    assert!(page.body.contains("根拠資料が添付されている"), "checklist shown");
    // not public yet
    assert_eq!(public.get(&format!("/services/{id}")).await.status, StatusCode::NOT_FOUND);
    let up = provider
        .upload(&format!("/my/services/{id}/evidence"), "manual.pdf", b"%PDF-1.7\nquality manual".to_vec())
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let r = provider.post_form(&format!("/my/services/{id}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The reviewer sees it in the queue (and the page sits under the queue) and returns it with
    // a comment.
    let page = reviewer.get(&format!("/services/{id}")).await;
    assert!(page.body.contains("<p class=\"muted\"><a href=\"/review\">審査</a> ›</p>"));
    assert!(page.body.contains("<a href=\"/review\" aria-current=\"page\">"), "the menu marks the same place");
    let q = reviewer.get("/review").await;
    assert!(q.body.contains(name), "in review queue");
    let r = reviewer.post_form(&format!("/review/{id}/return"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a return needs comments");
    let r = reviewer
        .post_form(&format!("/review/{id}/return"), &[("comment", "品質マニュアルの版数を明記してください")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The provider edits and resubmits.
    let mut fields = application_fields(name, &body_id);
    for f in fields.iter_mut() {
        if f.0 == "quality_manual_ref" {
            f.1 = "QM-100 第3版（2026年4月改訂）";
        }
    }
    let r = provider.post_form(&format!("/my/services/{id}/edit"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    provider.post_form(&format!("/my/services/{id}/submit"), &[]).await;

    // Approve: ledger number and two-year validity.
    let r = reviewer.post_form(&format!("/review/{id}/approve"), &[("comment", "審査基準に適合")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // the message says what happened
    assert!(r.location().ends_with("done=approve"), "{}", r.location());
    let after = reviewer.get(&r.location()).await;
    assert!(after.body.contains("登録しました。台帳番号を付与し、一覧に掲載しました。"), "{}", after.body);
    let v = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap();
    let ledger = v.ledger_number.clone().expect("ledger number");
    assert!(ledger.starts_with("002-"), "{ledger}");
    let years = (v.valid_until.unwrap() - v.listed_at.unwrap()) as f64 / (365.25 * 86400.0);
    assert!((years - 2.0).abs() < 0.01, "valid for two years, got {years}");

    // Public: page, list search by partial Japanese word, JSON API, CSV, Atom.
    let page = public.get(&format!("/services/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&ledger));
    assert!(page.body.contains("<p class=\"muted\"><a href=\"/services\">登録サービス一覧</a> ›</p>"));
    // the public history: public events only, by the body, no internal comments or people
    let reviewer_name = t
        .store
        .events(domain::registry::ServiceId(id))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "return")
        .map(|e| e.actor_name)
        .unwrap();
    assert!(!page.body.contains("品質マニュアルの版数を明記してください"), "a return comment is internal");
    assert!(!page.body.contains(&reviewer_name), "people are not named to the public");
    let detail = public.get(&format!("/api/v1/services/{id}")).await.json();
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.iter().map(|h| h["action"].as_str().unwrap()).collect::<Vec<_>>(), ["approve"]);
    assert!(
        history.iter().all(|h| h["actor"].as_str().unwrap().contains(BODY_NAME) && h["comment"] == ""),
        "{history:?}"
    );
    // the provider sees the whole history, with the reasons
    let own = provider.get(&format!("/services/{id}")).await;
    assert!(own.body.contains("品質マニュアルの版数を明記してください") && own.body.contains(&reviewer_name));
    let list = public.get("/api/v1/services?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88").await.json(); // 架け橋テスト
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["ledger_number"], ledger.as_str());
    let list = public
        .get("/api/v1/services?q=%E3%83%86%E3%82%B9%E3%83%88%20web&category=vulnerability_assessment")
        .await
        .json(); // テスト web
    assert_eq!(list["total"], 1, "Japanese + English partial words");
    let html = public.get("/services?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88&region=kanto").await;
    assert!(html.body.contains(name));
    let csv = public.get("/services.csv?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88").await;
    assert!(csv.body.contains(&ledger) && csv.body.lines().count() == 2, "{}", csv.body);
    let json = public.get("/services.json?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88").await.json();
    assert_eq!(json["items"][0]["id"], id);
    let atom = public.get("/services.atom").await;
    assert!(atom.body.contains(name) && atom.body.contains("<feed"), "atom lists the new registration");

    // Change request: re-reviewed, listing unchanged until approval.
    let new_name = "架け橋テスト Webアプリ・API 脆弱性診断サービス";
    let r = provider.post_form(&format!("/my/services/{id}/change"), &application_fields(new_name, &body_id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().app.name,
        name,
        "listing unchanged while under review"
    );
    // the reviewer sees the change field by field, in words, now → proposed: the name, and the
    // quality manual the form still gives as its second edition (edited to the third above)
    let page = reviewer.get(&format!("/services/{id}")).await;
    let section = page.body.split("審査中の変更内容").nth(1).unwrap().split("</table>").next().unwrap();
    let rows: Vec<&str> =
        section.split("<td data-label=\"項目\"><strong>").skip(1).map(|r| r.split('<').next().unwrap()).collect();
    assert_eq!(rows, ["サービス名", "品質マニュアル"], "{section}");
    assert!(
        section.contains(&format!("<td data-label=\"現在\">{name}</td><td data-label=\"変更後\">{new_name}</td>")),
        "{section}"
    );
    assert!(!section.contains("quality_manual_ref"), "fields in words");
    assert!(page.body.contains("変更: サービス名、品質マニュアル"), "the history names the fields in words too");
    // a request under review is not public: not in the feed, not in the public history
    let atom = public.get("/services.atom").await;
    assert!(!atom.body.contains("変更申請"), "the feed shows public events only");
    let detail = public.get(&format!("/api/v1/services/{id}")).await.json();
    assert!(!detail["history"].as_array().unwrap().iter().any(|h| h["action"] == "request_change"));
    let r = reviewer.post_form(&format!("/review/{id}/approve-change"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let v = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap();
    assert_eq!(v.app.name, new_name);
    assert_eq!(v.ledger_number.as_deref(), Some(ledger.as_str()), "ledger number kept");

    // Surveillance, suspension, reinstatement, revocation.
    let r = operator
        .post_form(
            &format!("/admin/services/{id}/surveillance"),
            &[("period", "2026年度下期"), ("notice", "運用記録を提出")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sid = t.store.surveillances_of(domain::registry::ServiceId(id)).await.unwrap()[0].id;
    let r = operator
        .post_form(&format!("/admin/surveillance/{sid}"), &[("outcome", "nonconforming"), ("note", "是正要求1件")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = operator.post_form(&format!("/admin/services/{id}/suspend"), &[("comment", "是正要求に未回答")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(operator.get(&r.location()).await.body.contains("一時停止しました"), "the message says what happened");
    // the suspension is public, its internal reason is not
    let page = public.get(&format!("/services/{id}")).await;
    assert!(page.body.contains("一時停止") && !page.body.contains("是正要求に未回答"), "{}", page.body);
    assert!(provider.get(&format!("/services/{id}")).await.body.contains("是正要求に未回答"));
    let list = public.get("/api/v1/services?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88").await.json();
    assert_eq!(list["total"], 0, "a suspended service is not a current registration");
    let list = public
        .get("/api/v1/services?q=%E6%9E%B6%E3%81%91%E6%A9%8B%E3%83%86%E3%82%B9%E3%83%88&status=suspended")
        .await
        .json();
    assert_eq!(list["total"], 1);
    operator.post_form(&format!("/admin/services/{id}/reinstate"), &[("comment", "是正を確認")]).await;
    let r = operator.post_form(&format!("/admin/services/{id}/withdraw"), &[("comment", "登録取消")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Approving a withdrawn service: 409 with the reason, nothing changed.
    let r = reviewer.post_form(&format!("/review/{id}/approve"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("取下げ"), "reason given: {}", r.body);
    assert_eq!(
        t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(),
        "withdrawn"
    );

    // Every step is in the visible history, and in the audit chain.
    let events = t.store.events(domain::registry::ServiceId(id)).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "create",
        "submit",
        "return",
        "approve",
        "request_change",
        "approve_change",
        "surveillance_notice",
        "surveillance_nonconforming",
        "suspend",
        "reinstate",
        "withdraw",
    ] {
        assert!(actions.contains(&a), "history has {a}: {actions:?}");
    }
    let n = t.app.audit_verify().await.unwrap().expect("chain intact");
    assert!(n > 20);
    // the provider was notified of this service's approval (a notice that links to it; the demo
    // data's own notices link elsewhere)
    let org = t.org_id("北斗セキュリティ").await;
    let notices = t.store.notifications(&[domain::OrgId(org)], 200).await.unwrap();
    let link = format!("/services/{id}");
    let about_it: Vec<&String> = notices.iter().filter(|n| n.link == link).map(|n| &n.kind).collect();
    assert!(about_it.iter().any(|k| k.contains("approve")), "approval notice for {link}: {about_it:?}");
    let my = provider.get("/my").await;
    assert!(my.body.contains(&format!("href=\"{link}\"")), "the notice is on the provider's page");
}

async fn expiry_and_reminders(db: Db) {
    let t = TestApp::spawn(db).await;
    let body_id = t.org_id(BODY_NAME).await;
    let provider_id = t.org_id("北斗セキュリティ").await;
    let admin = t.store.user_by_email("provider-admin@demo.kakehashi.jp").await.unwrap().unwrap();
    let reviewer = t.store.user_by_email("reviewer@demo.kakehashi.jp").await.unwrap().unwrap();
    let actor = |id| {
        let app = t.app.clone();
        async move { app.actor_for_user(id).await.unwrap().unwrap() }
    };
    let a = actor(admin.id).await;
    let r = actor(reviewer.id).await;
    let mut input = domain::registry::ApplicationInput {
        name: "期限テスト監査".into(),
        category: "audit".into(),
        subcategory: "advisory".into(),
        description: "d".into(),
        specification: "s".into(),
        quality_manager: "q".into(),
        quality_manual_ref: "m".into(),
        improvement_procedure: "i".into(),
        registration_body_id: Some(body_id),
        ..Default::default()
    };
    input.experts.push(domain::registry::ExpertInput {
        name: "x".into(),
        qualification: "y".into(),
        expires_on: String::new(),
    });
    let id = t.app.registry().apply(&a, domain::OrgId(provider_id), &input).await.unwrap().0;
    t.app.registry().submit(&a, domain::registry::ServiceId(id)).await.unwrap();
    t.app
        .registry()
        .decide(&r, domain::registry::ServiceId(id), domain::registry::Transition::Approve, "")
        .await
        .unwrap();
    let vu = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().valid_until.unwrap();
    let day = 86_400;
    let sent =
        |st: store::Store| async move { st.service(domain::registry::ServiceId(id)).await.unwrap().reminders_sent };
    t.app.registry().sweep(vu - 100 * day).await.unwrap();
    assert_eq!(sent(t.store.clone()).await, "", "nothing due 100 days before");
    let r2 = t.app.registry().sweep(vu - 80 * day).await.unwrap();
    assert!(r2.reminders_90 >= 1);
    assert_eq!(sent(t.store.clone()).await, "90");
    let again = t.app.registry().sweep(vu - 80 * day).await.unwrap();
    assert_eq!(again.reminders_90, 0, "idempotent");
    t.app.registry().sweep(vu - 10 * day).await.unwrap();
    assert_eq!(sent(t.store.clone()).await, "90,30");
    assert_eq!(t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(), "listed");
    let notes = t.store.notifications(&[domain::OrgId(provider_id)], 50).await.unwrap();
    assert!(notes.iter().any(|n| n.kind == "reminder_90" && n.subject_ja.contains("期限テスト監査")));
    assert!(notes.iter().any(|n| n.kind == "reminder_30" && n.subject_ja.contains("期限テスト監査")));
    t.app.registry().sweep(vu + 1).await.unwrap();
    assert_eq!(t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(), "expired");
}

async fn surveillance_sampling(db: Db) {
    let t = TestApp::spawn(db).await;
    let op = t.login("operator@demo.kakehashi.jp").await;
    let open_before = t.store.open_surveillances().await.unwrap().len();
    let r = op
        .post_form(
            "/admin/surveillance-sample",
            &[("count", "7"), ("period", "2026年度下期"), ("notice", "品質記録の提出")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let open = t.store.open_surveillances().await.unwrap();
    assert_eq!(open.len(), open_before + 7);
    let ids: std::collections::HashSet<i64> = open.iter().map(|s| s.service_id).collect();
    assert_eq!(ids.len(), open.len(), "a service is sampled once");
    let r = op.post_form("/admin/surveillance-sample", &[("count", "0"), ("period", "x"), ("notice", "y")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reviewer = t.login("reviewer@demo.kakehashi.jp").await;
    let r = reviewer.post_form("/admin/surveillance-sample", &[("count", "1"), ("period", "x"), ("notice", "y")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Renewal (更新): opens 90 days before expiry, keeps the service listed while reviewed, and an
/// approval extends the validity by two years from the old end (no gap).
async fn renewal(db: Db) {
    let t = TestApp::spawn(db).await;
    let name = "更新テスト 診断サービス";
    let id = t.submitted_application(name).await;
    let reviewer = t.as_reviewer().await;
    let r = reviewer.post_form(&format!("/review/{id}/approve"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let vu = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().valid_until.unwrap();
    let admin = t.as_provider_admin().await;

    // Too early: no button, and the post is refused with the reason.
    assert!(!admin.get(&format!("/services/{id}")).await.body.contains(&format!("/my/services/{id}/renew")));
    let r = admin.post_form(&format!("/my/services/{id}/renew"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("90日前"), "{}", r.body);

    // 80 days before expiry the 90-day reminder goes out; 60 days before, the window is open.
    t.app.clock.advance(vu - 80 * 86_400 - t.app.now());
    t.app.registry().sweep(t.app.now()).await.unwrap();
    assert_eq!(t.store.service(domain::registry::ServiceId(id)).await.unwrap().reminders_sent, "90");
    t.app.clock.advance(20 * 86_400);
    // (sessions from two years ago have expired: sign in again)
    let (admin, reviewer) = (t.as_provider_admin().await, t.as_reviewer().await);
    let page = admin.get(&format!("/services/{id}")).await;
    assert!(page.body.contains(&format!("/my/services/{id}/renew")), "renew offered");
    // Others cannot renew it (the listing is public, so they are told no rather than not found).
    let sme = t.as_sme().await;
    assert_eq!(sme.post_form(&format!("/my/services/{id}/renew"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(reviewer.post_form(&format!("/my/services/{id}/renew"), &[]).await.status, StatusCode::FORBIDDEN);
    let r = admin.post_form(&format!("/my/services/{id}/renew"), &[("comment", "体制に変更なし")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(),
        "renewal_requested"
    );
    // Still on the public list while reviewed.
    let list = t.client().get("/api/v1/services?q=%E6%9B%B4%E6%96%B0%E3%83%86%E3%82%B9%E3%83%88").await.json();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["status"], "renewal_requested");
    // Twice is a conflict.
    assert_eq!(admin.post_form(&format!("/my/services/{id}/renew"), &[]).await.status, StatusCode::CONFLICT);

    // The reviewer sees it; a rejection needs a reason; approval adds two years to the old end.
    assert!(reviewer.get("/review").await.body.contains(name));
    let r = reviewer.post_form(&format!("/review/{id}/reject-renewal"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let token = reviewer.create_token("renew", &["registry:review"]).await;
    let r = reviewer
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/reviews/{id}/approve-renewal"),
            &token,
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    assert_eq!(d["status"], "listed");
    let after = t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap();
    assert_eq!(after.valid_until, Some(domain::registry::renewed_until(vu)));
    assert_eq!(d["valid_until"], app::jst_date(domain::registry::renewed_until(vu)));
    assert_eq!(after.ledger_number.as_deref(), d["ledger_number"].as_str(), "same ledger number");
    assert_eq!(
        t.store.service(domain::registry::ServiceId(id)).await.unwrap().reminders_sent,
        "",
        "reminders start over"
    );
    let actions: Vec<String> =
        t.store.events(domain::registry::ServiceId(id)).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.ends_with(&["request_renewal".to_string(), "approve_renewal".to_string()]), "{actions:?}");
    // The sweep no longer expires it at the old date.
    t.app.clock.advance(61 * 86_400);
    t.app.registry().sweep(t.app.now()).await.unwrap();
    assert_eq!(t.app.registry().service_view(domain::registry::ServiceId(id)).await.unwrap().status.code(), "listed");
    // Past its (new) end a registration cannot be renewed, and the answer says why.
    t.app.clock.advance(domain::registry::renewed_until(vu) - t.app.now() + 3600);
    let admin = t.as_provider_admin().await;
    let r = admin.post_form(&format!("/my/services/{id}/renew?lang=en"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("expired") && r.body.contains("apply again"), "{}", r.body);
}

both_backends!(full_lifecycle, expiry_and_reminders, surveillance_sampling, renewal);
