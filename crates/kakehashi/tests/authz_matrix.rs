//! The authorization table (`app::authz::authorize`) checked through HTTP, every operation by
//! every kind of actor — including a second provider and a second registration body that have
//! nothing to do with the service — each on a fresh service in the state the operation needs.
//! What the table allows succeeds; what it refuses is 401 (anonymous), 404 (those who may not
//! know an unlisted service exists) or 403, and leaves the service, the list and the audit trail
//! exactly as they were.

mod common;

use app::authz::{Op, Target, authorize, may_know};
use common::*;
use reqwest::{Method, StatusCode};

const BODY_NAME: &str = "日本セキュリティサービス審査協会";

struct Actor {
    what: &'static str,
    token: Option<String>,
    actor: Option<app::Actor>,
}

async fn token_for(t: &TestApp, email: &str) -> String {
    let c = t.login(email).await;
    c.create_token("matrix", &["registry:read", "registry:write", "registry:review", "registry:operate"]).await
}

fn application(provider: i64, body: i64, name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name, "category": "digital_forensics", "description": "d", "specification": "s",
        "experts": [{"name": "n", "qualification": "GCFA", "expires_on": "2031-01-01"}],
        "quality_manager": "q", "quality_manual_ref": "m", "improvement_procedure": "i",
        "registration_body_id": body, "provider_org_id": provider
    })
}

async fn matrix(db: Db) {
    let t = TestApp::spawn(db).await;
    let provider = t.org_id("北斗セキュリティ").await;
    let body = t.org_id(BODY_NAME).await;
    // a second provider and a second registration body, each with a user
    let provider2 = t.app.create_org("test", domain::OrgKind::Vendor, "第二事業者株式会社", "").await.unwrap();
    let body2 = t.app.create_org("test", domain::OrgKind::RegistrationBody, "第二審査機関", "").await.unwrap();
    for (email, org) in [("p2@example.jp", provider2), ("b2@example.jp", body2)] {
        t.app
            .create_user(
                "test",
                app::identity::NewUser {
                    email: email.into(),
                    display_name: email.into(),
                    password: DEMO_PASSWORD.into(),
                    is_operator: false,
                    org: Some((org, domain::MembershipRole::Admin)),
                },
            )
            .await
            .unwrap();
    }
    let mut actors = vec![Actor { what: "anonymous", token: None, actor: None }];
    for (what, email) in [
        ("provider admin", "provider-admin@demo.kakehashi.jp"),
        ("provider member", "provider@demo.kakehashi.jp"),
        ("other provider", "p2@example.jp"),
        ("assigned body", "reviewer@demo.kakehashi.jp"),
        ("other body", "b2@example.jp"),
        ("office", "operator@demo.kakehashi.jp"),
        ("sme", "sme@demo.kakehashi.jp"),
    ] {
        let token = token_for(&t, email).await;
        let me = t.client().api(Method::GET, "/api/v1/me", &token, None).await.json();
        let actor = t.app.actor_for_user(me["id"].as_i64().unwrap()).await.unwrap().unwrap();
        actors.push(Actor { what, token: Some(token), actor: Some(actor) });
    }
    let owner = actors[1].token.clone().unwrap();
    let reviewer = actors[4].token.clone().unwrap();
    let c = t.client();
    let target = Target { provider_org_id: provider, body_org_id: body };

    let mut n = 0;
    let (mut checked, mut allowed_count) = (0, 0);
    for op in Op::ALL {
        for a in &actors {
            n += 1;
            let name = format!("権限表 {n}");
            // a fresh service in the state this operation needs
            let new_draft = |name: String| {
                let (c, owner) = (&c, owner.clone());
                async move {
                    let r = c
                        .api(Method::POST, "/api/v1/applications", &owner, Some(application(provider, body, &name)))
                        .await;
                    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                    r.json()["id"].as_i64().unwrap()
                }
            };
            let attach = |id: i64| {
                let (c, owner, base) = (&c, owner.clone(), c.base.clone());
                async move {
                    let r = c
                        .http
                        .post(format!("{base}/api/v1/applications/{id}/evidence?filename=m.pdf"))
                        .bearer_auth(&owner)
                        .body(b"%PDF-1.5".to_vec())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::CREATED);
                }
            };
            let submit = |id: i64| {
                let (c, owner) = (&c, owner.clone());
                async move {
                    attach(id).await;
                    let r = c.api(Method::POST, &format!("/api/v1/applications/{id}/submit"), &owner, None).await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                }
            };
            let id = match op {
                Op::Apply => 0,
                Op::EditApplication | Op::UploadEvidence | Op::Submit | Op::WithdrawOwn | Op::ViewPrivate => {
                    let id = new_draft(name.clone()).await;
                    if op == Op::Submit {
                        // evidence attached, so that submitting is allowed by the state
                        attach(id).await;
                    }
                    id
                }
                Op::Review => {
                    let id = new_draft(name.clone()).await;
                    submit(id).await;
                    id
                }
                Op::RequestChange | Op::Operate => {
                    let id = new_draft(name.clone()).await;
                    submit(id).await;
                    let r = c.api(Method::POST, &format!("/api/v1/reviews/{id}/approve"), &reviewer, None).await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                    id
                }
            };
            let (method, path, payload) = match op {
                Op::Apply => {
                    (Method::POST, "/api/v1/applications".to_string(), Some(application(provider, body, &name)))
                }
                Op::EditApplication => {
                    (Method::PUT, format!("/api/v1/applications/{id}"), Some(application(provider, body, &name)))
                }
                Op::Submit => (Method::POST, format!("/api/v1/applications/{id}/submit"), None),
                Op::UploadEvidence => {
                    (Method::POST, format!("/api/v1/applications/{id}/evidence?filename=x.pdf"), None)
                }
                Op::RequestChange => (
                    Method::POST,
                    format!("/api/v1/applications/{id}/change"),
                    Some(application(provider, body, &name)),
                ),
                Op::WithdrawOwn => (
                    Method::POST,
                    format!("/api/v1/applications/{id}/withdraw"),
                    Some(serde_json::json!({"reason": "取り下げ"})),
                ),
                Op::ViewPrivate => (Method::GET, format!("/api/v1/services/{id}"), None),
                Op::Review => (Method::POST, format!("/api/v1/reviews/{id}/approve"), None),
                Op::Operate => (
                    Method::POST,
                    format!("/api/v1/admin/services/{id}/suspend"),
                    Some(serde_json::json!({"reason": "点検"})),
                ),
            };
            let before_status = if id > 0 {
                Some(t.store.service(domain::registry::ServiceId(id)).await.unwrap().status)
            } else {
                None
            };
            let before_audit = t.store.audit_head().await.unwrap().seq;
            let before_count = t.store.services_of_provider(domain::OrgId(provider)).await.unwrap().len();
            let mut rb = c.http.request(method.clone(), format!("{}{path}", c.base));
            if let Some(tok) = &a.token {
                rb = rb.bearer_auth(tok);
            }
            rb = if op == Op::UploadEvidence {
                rb.body(b"%PDF-1.5".to_vec())
            } else if let Some(p) = &payload {
                rb.json(p)
            } else {
                rb
            };
            let status = rb.send().await.unwrap().status();
            let allowed = authorize(a.actor.as_ref(), op, target).is_ok();
            let what = format!("{:?} by {}: {method} {path} -> {status}", op, a.what);
            if allowed {
                allowed_count += 1;
                assert!(status.is_success(), "the table allows it: {what}");
            } else {
                let expected = match &a.actor {
                    // reading: the public answer, "no such service"
                    None if op == Op::ViewPrivate => StatusCode::NOT_FOUND,
                    None => StatusCode::UNAUTHORIZED,
                    // a listed service is public; an unlisted one is hidden from those not connected to it
                    Some(actor)
                        if id > 0 && !matches!(op, Op::RequestChange | Op::Operate) && !may_know(actor, target) =>
                    {
                        StatusCode::NOT_FOUND
                    }
                    Some(_) => StatusCode::FORBIDDEN,
                };
                assert_eq!(status, expected, "the table refuses it: {what}");
                if id > 0 {
                    let after = t.store.service(domain::registry::ServiceId(id)).await.unwrap().status;
                    assert_eq!(Some(after), before_status, "state unchanged after {what}");
                }
                assert_eq!(t.store.audit_head().await.unwrap().seq, before_audit, "nothing audited after {what}");
                assert_eq!(
                    t.store.services_of_provider(domain::OrgId(provider)).await.unwrap().len(),
                    before_count,
                    "nothing created after {what}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Op::ALL.len() * actors.len());
    // apply, edit, submit, upload, request a change: the provider's admin and member (10);
    // withdraw: its admin; view: admin, member, assigned body, office; review: the assigned
    // body; operate: the office. Everything else (55 of 72) is refused.
    assert_eq!(allowed_count, 17);
}

both_backends!(matrix);
