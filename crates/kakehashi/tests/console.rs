//! The program office's console and the account pages it needs, through the front door on both
//! databases: the audit trail (filters, the chain verified from the page, a tampered row found),
//! the notices list, organisations and members (invite, roles, disable, end sessions), password
//! reset by e-mail, confirmation pages for destructive actions and the review step before
//! submitting, the pager, feeds that honour the list's filters, and the terms, privacy and
//! contact pages.

mod common;

use common::*;
use reqwest::StatusCode;

/// A test server whose e-mail is written to files, with a worker that sends it.
async fn with_mail(db: Db) -> (TestApp, std::path::PathBuf) {
    // a folder of this test's own (both databases' runs may go at once)
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("kh-console-mail-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = app::AppConfig {
        jobs: app::jobs::JobsConfig { poll_ms: 20, ..Default::default() },
        delivery: app::notify::DeliveryConfig {
            smtp_url: Some(format!("file://{}", dir.display())),
            public_url: "https://kakehashi.example.jp".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    (TestApp::spawn_with(db, Options { config, workers: 1, ..Default::default() }).await, dir)
}

/// Waits for a mail to `to` whose body holds `needle`, and returns the token after it.
async fn link_token(dir: &std::path::Path, to: &str, needle: &str) -> String {
    for _ in 0..300 {
        if let Some(m) = mails_in(dir).into_iter().find(|m| m.to.contains(to) && m.body.contains(needle)) {
            let i = m.body.find(needle).unwrap() + needle.len();
            return m.body[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} with {needle}: {:?}", mails_in(dir).iter().map(|m| &m.subject).collect::<Vec<_>>());
}

fn main_of(body: &str) -> &str {
    let i = body.find("<main").unwrap_or(0);
    &body[i..]
}

async fn form(c: &Client, page: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form_before_login(page, fields, &c.base, None).await;
    (r.status(), r.text().await.unwrap())
}

/// Forgot password → mail → new password: every session ends, the old password stops working,
/// the link works once; mistakes keep what was typed; nothing says which addresses exist.
async fn password_reset_by_email(db: Db) {
    let (t, mail) = with_mail(db).await;
    let c = t.client();
    let old_session = t.as_provider().await;
    assert_eq!(old_session.get("/my").await.status, StatusCode::OK);
    let api_token = old_session.create_token("ci", &["registry:read"]).await;
    assert_eq!(old_session.api(reqwest::Method::GET, "/api/v1/me", &api_token, None).await.status, StatusCode::OK);
    // the login page links to it
    assert!(c.get("/login").await.body.contains("href=\"/password/forgot\""));

    // a malformed address: the form again, the typed text kept, the field tied to its message
    let (st, body) = form(&c, "/password/forgot", &[("email", "not-an-address")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("value=\"not-an-address\""), "typed value kept");
    assert!(body.contains("aria-describedby=\"email-err\"") && body.contains("id=\"email-err\""));
    assert!(body.contains("メールアドレスの形式が正しくありません"));

    // a known and an unknown address get the same page
    let (st, known) = form(&c, "/password/forgot", &[("email", "Provider@demo.kakehashi.jp")]).await;
    assert_eq!(st, StatusCode::OK);
    let (st, unknown) = form(&c, "/password/forgot", &[("email", "nobody@example.jp")]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(main_of(&known), main_of(&unknown), "the answer does not tell which addresses have accounts");
    let token = link_token(&mail, "provider@demo.kakehashi.jp", "/password/reset?token=").await;
    t.jobs_settle(20).await;
    assert!(mails_in(&mail).iter().all(|m| !m.to.contains("nobody@example.jp")), "no mail to an unknown address");
    let link =
        mails_in(&mail).into_iter().find(|m| m.to.contains("provider@demo") && m.subject.contains("Reset")).unwrap();
    assert!(
        link.body.contains("https://kakehashi.example.jp/password/reset?token="),
        "an absolute link: {}",
        link.body
    );

    // following the link shows a form and changes nothing; it is kept out of caches and Referers
    let path = format!("/password/reset?token={token}");
    let r = c.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(old_session.get("/my").await.status, StatusCode::OK, "looking at the link changes nothing");

    // mistakes: too short, then two different passwords
    let (st, body) = form(&c, &path, &[("token", &token), ("password", "short"), ("password_again", "short")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("12文字以上") && body.contains("aria-describedby=\"password-err"));
    let (st, body) = form(
        &c,
        &path,
        &[("token", &token), ("password", "a long new pass phrase"), ("password_again", "a long new pass phrasE")],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("確認用のパスワードが一致しません"));
    assert!(!body.contains("a long new pass phrase"), "a password is never written back into the page");

    // the real thing
    let (st, body) = form(
        &c,
        &path,
        &[("token", &token), ("password", "a long new pass phrase"), ("password_again", "a long new pass phrase")],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("パスワードを設定しました"));
    let r = old_session.get("/my").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the old session ended: {}", r.status);
    let r = old_session.api(reqwest::Method::GET, "/api/v1/me", &api_token, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "API tokens made with the old password are revoked");
    let mut fresh = t.client();
    assert_eq!(fresh.login("provider@demo.kakehashi.jp", app::demo::DEMO_PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(fresh.login("provider@demo.kakehashi.jp", "a long new pass phrase").await, StatusCode::SEE_OTHER);
    // the account is told
    link_token(&mail, "provider@demo.kakehashi.jp", "/password/forgot").await;
    // the link worked once
    let r = c.get(&path).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("このリンクは使えません"));
    assert_eq!(r.headers["referrer-policy"], "no-referrer", "the dead link's page too");
    // a made-up token with a good password: refused before any password is hashed
    let p = c.get("/password/forgot").await;
    let cookie = cookie_value(&p.headers, "kh_login_csrf").unwrap();
    let fields = [
        ("csrf", hidden_csrf(&p.body).unwrap()),
        ("token", "made-up".to_string()),
        ("password", "a long new pass phrase".to_string()),
        ("password_again", "a long new pass phrase".to_string()),
    ];
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c
        .http
        .post(format!("{}/password/reset", c.base))
        .header("origin", &c.base)
        .header("cookie", format!("kh_login_csrf={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form_encode(&f))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("このリンクは使えません"));
    let (st, _) = form(&c, "/password/forgot", &[("email", "x@example.jp")]).await;
    assert_eq!(st, StatusCode::OK);
    let audit = t.store.audit_snapshot().await.unwrap().1;
    assert!(audit.iter().any(|e| e.action == "user.password_reset"), "audited");

    // without the page's token, or from elsewhere: refused, nothing changes
    let r = c.post_raw("/password/forgot", "email=provider%40demo.kakehashi.jp".into(), Some(&c.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // requests are limited per client: five an hour (three well-formed ones made above; a
    // malformed address is refused before it counts)
    for e in ["y@example.jp", "w@example.jp"] {
        let (st, _) = form(&c, "/password/forgot", &[("email", e)]).await;
        assert_eq!(st, StatusCode::OK);
    }
    let (st, body) = form(&c, "/password/forgot", &[("email", "z@example.jp")]).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("value=\"z@example.jp\""), "typed value kept when limited");
}

/// The office manages organisations and members: create, invite (a new account sets its password
/// from the mail; an existing one is added), roles, disable (sessions and tokens stop), enable,
/// end sessions; mistakes keep what was typed; others may not.
async fn office_manages_members(db: Db) {
    let (t, mail) = with_mail(db).await;
    let op = t.as_operator().await;
    // not for others
    for who in [t.as_provider_admin().await, t.as_reviewer().await, t.as_sme().await] {
        for p in ["/admin/orgs", "/admin/audit", "/admin/notifications", "/admin/orgs/1"] {
            let st = who.get(p).await.status;
            assert!(st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND, "{p}: {st}");
        }
    }
    assert_eq!(t.client().get("/admin/orgs").await.status, StatusCode::SEE_OTHER, "anonymous: to the login page");

    // create an organisation: mistakes first
    let r = op.post_form("/admin/orgs", &[("kind", ""), ("name", "  "), ("name_en", "Kita Chamber")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("組織の種類を選んでください") && r.body.contains("組織名を入力してください"));
    assert!(r.body.contains("value=\"Kita Chamber\""), "typed value kept");
    assert!(r.body.contains("aria-describedby=\"name-err\""));
    let r = op
        .post_form("/admin/orgs", &[("kind", "chamber"), ("name", "北商工会議所"), ("name_en", "Kita Chamber")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let org_path = r.location().split('?').next().unwrap().to_string();
    let org: i64 = org_path.trim_start_matches("/admin/orgs/").parse().unwrap();
    let page = op.get(&r.location()).await;
    assert!(page.body.contains("北商工会議所") && page.body.contains("組織を作成しました"));
    assert!(op.get("/admin/orgs?q=kita").await.body.contains("北商工会議所"), "found by its English name");

    // invite: mistakes keep what was typed
    let invite = format!("{org_path}/invite");
    let r = op.post_form(&invite, &[("email", "sato@kita"), ("display_name", "佐藤 花子"), ("role", "boss")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"sato@kita\"") && r.body.contains("value=\"佐藤 花子\""));
    assert!(r.body.contains("メールアドレスの形式が正しくありません") && r.body.contains("役割を選んでください"));
    // a new person gets an account and a link to choose a password
    let r = op
        .post_form(&invite, &[("email", "sato@kita.example.jp"), ("display_name", "佐藤 花子"), ("role", "admin")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("done=invited"));
    let r = op
        .post_form(&invite, &[("email", "sato@kita.example.jp"), ("display_name", "佐藤 花子"), ("role", "admin")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "twice is a mistake");
    assert!(r.body.contains("すでにこの組織のメンバーです"));
    // an invitation whose account is disabled before it is used stops working
    let r = op
        .post_form(&invite, &[("email", "kato@kita.example.jp"), ("display_name", "加藤 次郎"), ("role", "member")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let kato_token = link_token(&mail, "kato@kita.example.jp", "/password/reset?token=").await;
    let kato =
        t.store.members_of(org, 0).await.unwrap().into_iter().find(|m| m.email == "kato@kita.example.jp").unwrap();
    assert_eq!(
        op.post_form(&format!("{org_path}/members/{}/disable", kato.user_id), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(t.client().get(&format!("/password/reset?token={kato_token}")).await.status, StatusCode::NOT_FOUND);

    let c = t.client();
    let mut sato = t.client();
    assert_eq!(sato.login("sato@kita.example.jp", "").await, StatusCode::UNAUTHORIZED, "no password until chosen");
    let token = link_token(&mail, "sato@kita.example.jp", "/password/reset?token=").await;
    let path = format!("/password/reset?token={token}");
    let r = c.get(&path).await;
    assert!(r.body.contains("パスワードの設定") && r.body.contains("ようこそ"), "an invitation reads as one");
    let (st, _) = form(
        &c,
        &path,
        &[("token", &token), ("password", "kita chamber pass 1"), ("password_again", "kita chamber pass 1")],
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(sato.login("sato@kita.example.jp", "kita chamber pass 1").await, StatusCode::SEE_OTHER);
    sato.refresh_csrf().await;
    assert!(sato.get("/account").await.body.contains("北商工会議所"), "a member of the new organisation");
    // an existing account is added, with no new password
    let r = op
        .post_form(&invite, &[("email", "sme@demo.kakehashi.jp"), ("display_name", "中小 一郎"), ("role", "member")])
        .await;
    assert!(r.location().contains("done=added"), "{}", r.location());

    // the members and what may be done to each
    let sato_id: i64 =
        t.store.members_of(org, 0).await.unwrap().iter().find(|m| m.email == "sato@kita.example.jp").unwrap().user_id;
    let page = op.get(&org_path).await.body;
    assert!(page.contains(&format!("{org_path}/members/{sato_id}/make-member")));
    assert!(!page.contains(&format!("{org_path}/members/{sato_id}/make-admin")), "only actions that change something");
    assert!(page.contains(&format!("{org_path}/members/{sato_id}/end-sessions")), "she has a session");
    let act = |a: &str| format!("{org_path}/members/{sato_id}/{a}");
    assert_eq!(op.post_form(&act("make-admin"), &[]).await.status, StatusCode::CONFLICT, "already an admin");
    assert_eq!(op.post_form(&act("delete"), &[]).await.status, StatusCode::NOT_FOUND);
    let r = op.post_form(&act("make-member"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.store.memberships(domain::UserId(sato_id)).await.unwrap()[0].role, "member");
    // her API token works until she is disabled
    let token = sato.create_token("ci", &["registry:read"]).await;
    assert_eq!(sato.api(reqwest::Method::GET, "/api/v1/me", &token, None).await.status, StatusCode::OK);
    let r = op.post_form(&act("disable"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(op.get(&r.location()).await.body.contains("アカウントを無効にし"));
    assert_eq!(sato.get("/account").await.status, StatusCode::SEE_OTHER, "her session ended");
    assert_eq!(sato.api(reqwest::Method::GET, "/api/v1/me", &token, None).await.status, StatusCode::UNAUTHORIZED);
    let mut again = t.client();
    assert_eq!(again.login("sato@kita.example.jp", "kita chamber pass 1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(op.post_form(&act("enable"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(again.login("sato@kita.example.jp", "kita chamber pass 1").await, StatusCode::SEE_OTHER);
    assert_eq!(op.post_form(&act("end-sessions"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(again.get("/account").await.status, StatusCode::SEE_OTHER, "sessions ended");
    // the office does not lock itself out
    let office = t.org_id("事務局").await;
    let me = t.store.user_by_email("operator@demo.kakehashi.jp").await.unwrap().unwrap().id;
    let r = op.post_form(&format!("/admin/orgs/{office}/members/{me}/disable"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!op.get(&format!("/admin/orgs/{office}")).await.body.contains(&format!("/members/{me}/disable")));
    // a member of the office who is not its admin reads the console but changes nothing
    let clerk = t.member(office, "clerk@office.example.jp", "事務 三郎", domain::MembershipRole::Member).await;
    assert_eq!(clerk.get("/admin/orgs").await.status, StatusCode::OK);
    let page = clerk.get(&org_path).await.body;
    assert!(!page.contains("/invite\"") && !page.contains("/disable\""), "no forms for a reader");
    let r = clerk.post_form(&invite, &[("email", "x@kita.example.jp"), ("display_name", "X"), ("role", "admin")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(clerk.post_form(&act("make-admin"), &[]).await.status, StatusCode::FORBIDDEN);
    // an unknown organisation or member
    assert_eq!(op.get("/admin/orgs/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(op.post_form(&format!("{org_path}/members/999999/disable"), &[]).await.status, StatusCode::NOT_FOUND);
    // every change is in the audit trail, and the console finds it
    let r = op.get(&format!("/admin/audit?subject=user%23{sato_id}")).await;
    for a in [
        "member.invite",
        "member.make-member",
        "member.disable",
        "member.enable",
        "member.end-sessions",
        "user.accept_invite",
    ] {
        assert!(r.body.contains(a), "{a} in the audit view");
    }
    // a reviewer cannot do any of it
    let rev = t.as_reviewer().await;
    let st = rev.post_form(&act("disable"), &[]).await.status;
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND);
}

/// The audit view filters and verifies the chain from the page; an edited row is found. The
/// notices list shows what was sent and how its delivery went.
async fn audit_and_notices(db: Db) {
    let t = TestApp::spawn(db).await;
    let op = t.as_operator().await;
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let r = op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "点検のため")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let page = op.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/admin/audit?verify=1\""));
    let total: i64 = t.store.audit_head().await.unwrap().seq;
    assert!(page.body.contains(&format!("{total} 件")), "the count of every entry");
    // filters: action, subject, actor and date, any case, with their values kept in the form
    let r = op.get(&format!("/admin/audit?action=SUSPEND&subject=service%23{listed}&actor=operator")).await;
    assert!(r.body.contains("1 件"), "{}", main_of(&r.body));
    assert!(r.body.contains("value=\"SUSPEND\""));
    let r = op.get("/admin/audit?from=2000-01-01&until=2000-01-02").await;
    assert!(r.body.contains("0 件") && r.body.contains("条件に合う記録はありません"));
    // full-width digits are read
    let r = op.get("/admin/audit?from=２０００－０１－０１").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = op.get("/admin/audit?from=2026-13-40&actor=op").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("2026-12-03 の形で")
            && r.body.contains("value=\"2026-13-40\"")
            && r.body.contains("value=\"op\"")
    );
    assert!(r.body.contains("aria-describedby=\"from-err\""));
    // pages: 50 entries each; past the end says how many pages there are
    let pages = (total + 49) / 50;
    assert_eq!(op.get("/admin/audit?page=200000000000000000").await.status, StatusCode::OK, "a huge page number");
    assert_eq!(op.get("/admin/notifications?page=99999999999999999999").await.status, StatusCode::OK);
    let r = op.get("/admin/audit?page=999").await;
    assert!(r.body.contains(&format!("この一覧は {pages} ページです")), "{}", main_of(&r.body));
    assert!(!r.body.contains("rel=\"next\""));

    // the chain verifies from the page, in English too
    let r = op.get("/admin/audit?verify=1&lang=en").await;
    assert!(
        r.body.contains("The chain verifies") && r.body.contains(&format!("{total} entries checked")),
        "{}",
        main_of(&r.body)
    );
    // an entry edited behind the platform's back is found
    let mut raw = t.db.raw().await;
    sqlx::query("UPDATE audit_log SET summary = 'rewritten' WHERE seq = 3").execute(&mut raw).await.unwrap();
    let r = op.get("/admin/audit?verify=1").await;
    assert!(
        r.body.contains("チェーンが壊れています") && r.body.contains("entry 3 was altered"),
        "{}",
        main_of(&r.body)
    );

    // notices: the provider was told of the suspension
    let r = op.get("/admin/notifications").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("href=\"/admin/notifications?state=failed\"") || r.body.contains("value=\"failed\""));
    let svc = t.store.service(domain::registry::ServiceId(listed)).await.unwrap();
    let provider = t.store.org(domain::OrgId(svc.provider_org_id)).await.unwrap();
    assert!(r.body.contains(&provider.name), "the suspension's notice names its organisation");
    assert!(r.body.contains("配信待ち") || r.body.contains("サイト内のみ"), "and says how its delivery went");
    let failed = op.get("/admin/notifications?state=failed").await;
    assert!(failed.body.contains("該当する通知はありません"));
    // the console's pages link to each other
    for p in ["/admin", "/admin/jobs", "/admin/orgs"] {
        let b = op.get(p).await.body;
        assert!(b.contains("href=\"/admin/audit\"") && b.contains("href=\"/admin/notifications\""), "{p}");
    }
}

/// Reject, revoke, withdraw and suspend confirm on a page of their own that shows the effect;
/// a missing or too long reason comes back with what was typed; submitting shows the application
/// first; only actions valid now are offered.
async fn confirmation_pages(db: Db) {
    let t = TestApp::spawn(db).await;
    let rev = t.as_reviewer().await;
    let id = t.submitted_application("確認ページのテスト").await;

    // the service page links to the reject page instead of rejecting at once
    let page = rev.get(&format!("/services/{id}")).await.body;
    assert!(page.contains(&format!("href=\"/review/{id}/reject\"")));
    assert!(!page.contains(&format!("action=\"/review/{id}/reject\"")));
    let r = rev.get(&format!("/review/{id}/reject")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("却下の確認") && r.body.contains("元に戻せません") && r.body.contains("却下"));
    assert!(r.body.contains(&format!("action=\"/review/{id}/reject\"")));
    // no reason: the page again, the field named and tied to its message
    let r = rev.post_form(&format!("/review/{id}/reject"), &[("comment", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("理由を入力してください") && r.body.contains("aria-describedby=\"comment-err\""));
    assert!(r.body.contains("href=\"#comment\""), "the summary links to the field");
    // too long: what was typed comes back
    let long = format!("必要な資料が不足しています。{}", "あ".repeat(4000));
    let r = rev.post_form(&format!("/review/{id}/reject"), &[("comment", &long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&long), "the typed reason is kept");
    assert!(r.body.contains("4000文字以内"));
    assert_eq!(t.store.service(domain::registry::ServiceId(id)).await.unwrap().status, "submitted", "nothing happened");
    // a return with no comment keeps the role's menu and shows the return page
    let r = rev.post_form(&format!("/review/{id}/return"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("差戻しの確認") && r.body.contains("href=\"/review\""));
    // a decision the state does not allow
    assert_eq!(rev.get(&format!("/review/{id}/approve-change")).await.status, StatusCode::CONFLICT);
    assert_eq!(rev.get(&format!("/review/{id}/nonsense")).await.status, StatusCode::NOT_FOUND);
    // someone signed out is asked to log in; the provider is refused the reviewer's page
    let r = t.client().get(&format!("/review/{id}/reject")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"));
    let prov = t.as_provider_admin().await;
    assert_eq!(prov.get(&format!("/review/{id}/reject")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(prov.get("/admin/services/1/suspend").await.status, StatusCode::FORBIDDEN);
    let r = rev.post_form(&format!("/review/{id}/reject"), &[("comment", "要件を満たしていません")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.store.service(domain::registry::ServiceId(id)).await.unwrap().status, "rejected");

    // the office: a listed service offers suspend and revoke, not reinstate
    let op = t.as_operator().await;
    let listed = t.store.services_in(&[domain::registry::ServiceStatus::Listed], None, 1).await.unwrap()[0].id;
    let page = op.get(&format!("/services/{listed}")).await.body;
    assert!(
        page.contains(&format!("/admin/services/{listed}/suspend\""))
            && page.contains(&format!("/admin/services/{listed}/withdraw\""))
    );
    assert!(!page.contains(&format!("/admin/services/{listed}/reinstate\"")), "only actions valid now");
    assert_eq!(op.get(&format!("/admin/services/{listed}/reinstate")).await.status, StatusCode::CONFLICT);
    let r = op.get(&format!("/admin/services/{listed}/suspend")).await;
    assert!(r.body.contains("一時停止の確認") && r.body.contains("現在の登録として表示されなくなります"));
    let r = op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("一時停止の理由（必須）"));
    let long_reason = format!("是正報告が未提出のため。{}", "い".repeat(4000));
    let r = op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", &long_reason)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&long_reason) && r.body.contains("4000文字以内"), "the typed reason comes back");
    let r = op.get(&format!("/admin/services/{listed}/withdraw?lang=en")).await;
    assert!(r.body.contains("Revoke the registration") && r.body.contains("cannot be undone"));
    assert_eq!(
        op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "点検")]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = op.get(&format!("/services/{listed}")).await.body;
    assert!(
        page.contains(&format!("/admin/services/{listed}/reinstate\""))
            && !page.contains(&format!("/admin/services/{listed}/suspend\""))
    );

    // the provider: withdrawal confirms; submitting shows the application first
    let p = t.as_provider_admin().await;
    let body_id = t.org_id("日本セキュリティサービス審査協会").await.to_string();
    let r = p.post_form("/my/services", &application_fields("レビュー手順のテスト", &body_id)).await;
    let draft = r.service_id();
    let page = p.get(&format!("/services/{draft}")).await.body;
    assert!(page.contains(&format!("href=\"/my/services/{draft}/submit\"")), "a link to the review step");
    let r = p.get(&format!("/my/services/{draft}/submit")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("申請内容の確認")
            && r.body.contains("レビュー手順のテスト")
            && r.body.contains("審査基準チェックリスト")
    );
    assert!(r.body.contains("未充足の要件が"), "the evidence is missing, and the page says so");
    let r = p.post_form(&format!("/my/services/{draft}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(p.get(&format!("/my/services/{draft}/submit")).await.status, StatusCode::CONFLICT, "once submitted");
    let r = p.get(&format!("/my/services/{draft}/withdraw")).await;
    assert!(r.body.contains("取下げの確認") && r.body.contains("元に戻せません"));
    let r = p.post_form(&format!("/my/services/{draft}/withdraw"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("取下げの理由（必須）") && r.body.contains("理由を入力してください"));
    let long_reason = format!("事業の見直しのため。{}", "う".repeat(4000));
    let r = p.post_form(&format!("/my/services/{draft}/withdraw"), &[("comment", &long_reason)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&long_reason), "the typed reason comes back");
    let r = p.post_form(&format!("/my/services/{draft}/withdraw"), &[("comment", "事業方針の変更")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(p.get(&r.location()).await.body.contains("取り下げました"));
}

/// The list's pager, feeds and exports that honour its filters with absolute links, and the
/// terms, privacy and contact pages linked from every page.
async fn lists_feeds_and_pages(db: Db) {
    let web = web::WebConfig { contact_email: Some("office@registry.example.jp".into()), ..Default::default() };
    let config = app::AppConfig {
        delivery: app::notify::DeliveryConfig {
            public_url: "https://registry.example.jp".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = TestApp::spawn_with(db, Options { web, config, ..Default::default() }).await;
    let c = t.client();
    // the pager: first, last, gaps
    let r = c.get("/services?status=all").await;
    let pages: usize = {
        let total = t
            .app
            .registry()
            .public_list(&app::registry::index::ListQuery {
                status: app::registry::index::StatusFilter::All,
                per_page: 20,
                page: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .total;
        total.div_ceil(20)
    };
    assert!(pages >= 5, "the demo fills {pages} pages");
    assert!(r.body.contains(&format!("page={pages}\"")) && r.body.contains("…"), "first, last and a gap");
    let r = c.get("/services?page=999").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("999 ページ目はありません") && !r.body.contains("rel=\"next\""));
    let r = c.get("/services?page=999&lang=en").await;
    assert!(r.body.contains("There is no page 999: this list has"), "{}", main_of(&r.body));

    // CSV and JSON: absolute links, the same filters as the page
    let csv = c.get("/services.csv?category=audit").await.body;
    assert!(csv.contains("https://registry.example.jp/services/"));
    let json = c.get("/services.json?category=audit").await.json();
    let items = json["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["url"].as_str().unwrap().starts_with("https://registry.example.jp/services/")));
    let audit_ids: Vec<String> = items.iter().map(|i| i["url"].as_str().unwrap().to_string()).collect();
    // Atom: the filtered list's services only, with absolute self and alternate links
    let all = c.get("/services.atom").await.body;
    let feed = c.get("/services.atom?category=audit").await.body;
    assert!(feed.contains("href=\"https://registry.example.jp/services.atom?category=audit\""));
    let links: Vec<&str> = feed
        .split("<entry>")
        .skip(1)
        .map(|e| e.split("<link href=\"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert!(!links.is_empty());
    assert!(links.iter().all(|l| audit_ids.iter().any(|a| a == l)), "every entry is an audit service: {links:?}");
    assert!(all.matches("<entry>").count() > links.len(), "the unfiltered feed has more");
    let bad = c.get("/services.atom?category=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // the page's links carry its filters
    let page = c.get("/services?category=audit").await.body;
    assert!(page.contains("href=\"/services.atom?category=audit\""));

    // terms, privacy, contact: both languages, linked from every page's footer
    for (p, ja, en) in [
        ("/terms", "利用規約", "Terms of use"),
        ("/privacy", "個人情報の取扱い", "Privacy policy"),
        ("/contact", "お問い合わせ", "Contact"),
    ] {
        let r = c.get(p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert!(r.body.contains(&format!("<h1>{ja}</h1>")), "{p}");
        assert!(c.get(&format!("{p}?lang=en")).await.body.contains(&format!("<h1>{en}</h1>")), "{p} in English");
        assert!(c.get("/").await.body.contains(&format!("href=\"{p}\"")), "{p} in the footer");
    }
    assert!(c.get("/contact").await.body.contains("mailto:office@registry.example.jp"));
}

/// The provider's pages say what to do next; the application form reads full-width input and
/// groups sub-categories; a refused upload keeps the page; the public list folds its filters and
/// stacks its results.
async fn provider_pages(db: Db) {
    let t = TestApp::spawn(db).await;
    let p = t.as_provider_admin().await;
    let body_id = t.org_id("日本セキュリティサービス審査協会").await.to_string();
    // sub-categories grouped by category
    let form = p.get("/my/services/new").await.body;
    assert!(
        form.contains("<optgroup label=\"脆弱性診断\">") && form.contains("<optgroup label=\"情報セキュリティ監査\">")
    );
    // full-width digits in prices and dates (全角) are read
    let mut fields = application_fields("全角入力のテスト", &body_id);
    for f in fields.iter_mut() {
        match f.0 {
            "price_min" => f.1 = "５００，０００",
            "expert_expires_on" if !f.1.is_empty() => f.1 = "２０３０－０３－３１",
            _ => {}
        }
    }
    let r = p.post_form("/my/services", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", main_of(&r.body));
    let id = r.service_id();
    let row = t.store.service(domain::registry::ServiceId(id)).await.unwrap();
    assert!(row.application_json.contains("\"price_min\":500000"), "{}", row.application_json);
    assert!(row.application_json.contains("2030-03-31"));

    // a draft says what is missing, with the action
    let page = p.get(&format!("/services/{id}")).await.body;
    assert!(page.contains("下書きです") && page.contains("未充足の要件が 1 件"), "{}", main_of(&page));
    assert!(page.contains(&format!("href=\"/my/services/{id}/edit\"")));
    // an upload with no file, or a file of a kind not taken: the page again, the message at the field
    let form = reqwest::multipart::Form::new().text("csrf", p.csrf.clone());
    let r = p.multipart(&format!("/my/services/{id}/evidence"), form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("添付するファイルを選んでから") && r.body.contains("aria-describedby=\"file-err\""),
        "{}",
        main_of(&r.body)
    );
    assert!(r.body.contains("href=\"/my\"") && r.body.contains("全角入力のテスト"), "the service page, with the menu");
    let r = p.upload(&format!("/my/services/{id}/evidence"), "tool.exe", b"MZ\x90\x00binary".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.body.contains("id=\"file-err\""));
    assert!(t.store.evidence_of(domain::registry::ServiceId(id)).await.unwrap().is_empty(), "nothing stored");

    // returned: the reviewer's comment and the way to correct it, at the top
    let up = p.upload(&format!("/my/services/{id}/evidence"), "manual.pdf", b"%PDF-1.7\nmanual".to_vec()).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER);
    assert_eq!(p.post_form(&format!("/my/services/{id}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let rev = t.as_reviewer().await;
    let r = rev.post_form(&format!("/review/{id}/return"), &[("comment", "価格の根拠を追記してください")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = p.get(&format!("/services/{id}")).await.body;
    assert!(page.contains("差し戻されました") && page.contains("価格の根拠を追記してください"));
    assert!(page.contains(&format!("<a class=\"btn\" href=\"/my/services/{id}/edit\"")));
    assert!(!rev.get(&format!("/services/{id}")).await.body.contains("next-step"), "the banner is the provider's");

    // suspended: the office's reason, for the provider only
    let mine = t.org_id("北斗").await;
    let listed = t
        .store
        .services_in(&[domain::registry::ServiceStatus::Listed], None, 500)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.provider_org_id == mine)
        .unwrap()
        .id;
    let op = t.as_operator().await;
    let r =
        op.post_form(&format!("/admin/services/{listed}/suspend"), &[("comment", "監査記録の提出が必要です")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = p.get(&format!("/services/{listed}")).await.body;
    assert!(page.contains("一時停止されています") && page.contains("監査記録の提出が必要です"));
    let public = t.client().get(&format!("/services/{listed}")).await.body;
    assert!(!public.contains("監査記録の提出が必要です") && !public.contains("next-step"));

    // the public list: the keyword first, the other filters folded unless some are set
    let c = t.client();
    let list = c.get("/services").await.body;
    assert!(list.contains("<details class=\"filters\">") && list.contains("<table class=\"stack\""));
    assert!(list.find("id=\"results\"").unwrap() < list.find("id=\"counts\"").unwrap(), "results before the counts");
    let list = c.get("/services?category=audit&region=kanto").await.body;
    assert!(list.contains("<details class=\"filters\" open>") && list.contains("2 件指定中"));
}

both_backends!(
    provider_pages,
    password_reset_by_email,
    office_manages_members,
    audit_and_notices,
    confirmation_pages,
    lists_feeds_and_pages
);
