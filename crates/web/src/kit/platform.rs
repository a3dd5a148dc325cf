//! Platform pages every program shares: health, style sheet, language switch, not found.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, LANG_COOKIE};
use app::AppError;

/// Readiness: the database answers a read and takes a write. Load balancers send traffic
/// only to a process that answers 200 here.
#[utoipa::path(get, path = "/healthz", tag = "platform",
    responses((status = 200, description = "Ready: {\"status\": \"ok\", \"database\": \"sqlite\" | \"postgres\", \"storage\": {\"reads\": \"ok\", \"writes\": \"ok\"}}"),
              (status = 503, description = "The storage is failing: {\"status\": \"failing\", \"storage\": {\"reads\": \"ok\" | \"failing\", \"writes\": \"ok\" | \"failing\"}}")))]
pub async fn healthz(State(s): State<AppState>) -> Response {
    let h = s.app.health().await;
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let body = serde_json::json!({
        "status": word(h.ok()),
        "database": h.database,
        "storage": {"reads": word(h.reads), "writes": word(h.writes)},
    });
    let status = if h.ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    if !h.ok() {
        res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    res
}

/// Liveness: the process answers. It does not touch the database (a storage fault shows on
/// `/healthz`, and restarting the process would not cure it).
#[utoipa::path(get, path = "/livez", tag = "platform", responses((status = 200, description = "{\"status\": \"alive\"}")))]
pub async fn livez() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(serde_json::json!({"status": "alive"}))).into_response()
}

pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// The site's icon (the Digital Agency blue with a bridge).
pub async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")],
        &include_bytes!("../../static/favicon.ico")[..],
    )
        .into_response()
}

#[derive(askama::Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    nav: crate::views::Nav,
}

/// The accessibility statement (JIS X 8341-3 conformance claim, how it is tested, the results).
pub async fn accessibility(ctx: Ctx) -> Response {
    crate::views::render(&AccessibilityPage {
        nav: crate::views::Nav::new(&ctx, "ウェブアクセシビリティ方針", "Accessibility statement", "accessibility"),
    })
}

#[derive(Template)]
#[template(path = "terms.html")]
struct TermsPage {
    nav: crate::views::Nav,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    nav: crate::views::Nav,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    nav: crate::views::Nav,
    email: Option<String>,
}

/// The terms of use.
pub async fn terms(ctx: Ctx) -> Response {
    crate::views::render(&TermsPage { nav: crate::views::Nav::new(&ctx, "利用規約", "Terms of use", "terms") })
}

/// The privacy policy: what personal data the platform keeps, why, for how long.
pub async fn privacy(ctx: Ctx) -> Response {
    crate::views::render(&PrivacyPage {
        nav: crate::views::Nav::new(&ctx, "個人情報の取扱い", "Privacy policy", "privacy"),
    })
}

/// How to reach the program office.
pub async fn contact(ctx: Ctx, State(s): State<AppState>) -> Response {
    crate::views::render(&ContactPage {
        nav: crate::views::Nav::new(&ctx, "お問い合わせ", "Contact", "contact"),
        email: s.cfg.contact_email.clone(),
    })
}

#[derive(Deserialize)]
pub struct NextParam {
    #[serde(default)]
    next: String,
}

/// Local paths only, so the parameter cannot send a user elsewhere: a single leading `/`, no
/// `//`, no backslash, no control or white-space characters (browsers drop a tab or newline and
/// would read `/\t/evil.example` as `//evil.example`); anything else goes home.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok { next.to_string() } else { "/".into() }
}

pub async fn set_lang(Path(code): Path<String>, Query(p): Query<NextParam>, State(s): State<AppState>) -> Response {
    let lang = if code == "en" { "en" } else { "ja" };
    let secure = if s.cfg.secure_cookies { "; Secure" } else { "" };
    let mut res = Redirect::to(&safe_next(&p.next)).into_response();
    if let Ok(v) = format!("{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax{secure}").parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn not_found(ctx: Ctx) -> WebError {
    ctx.err(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use proptest::prelude::*;

    proptest! {
        /// Whatever comes in, what goes out is "/" or a local path a browser cannot read as
        /// another host: one leading slash, no second slash or backslash right after it, no
        /// control or white-space character anywhere (browsers drop those before parsing).
        #[test]
        fn never_leaves_the_site(next in r"[/\\\t\n\r a-z.:%@?#\x00-\x1f\x{85}\x{a0}\x{3000}]{0,12}|\PC{0,12}") {
            let out = safe_next(&next);
            prop_assert!(out == "/" || out == next);
            prop_assert!(out.starts_with('/'));
            prop_assert!(!out.starts_with("//") && !out.starts_with("/\\"));
            prop_assert!(!out.contains('\\'));
            prop_assert!(!out.chars().any(|c| c.is_control() || c.is_whitespace()));
        }
    }

    #[test]
    fn only_local_paths() {
        assert_eq!(safe_next("/services?q=a"), "/services?q=a");
        for bad in
            ["//evil.example", "/\t/evil.example", "/\n/x", "/ /x", "https://evil.example", "\\evil", "/\\evil", ""]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
