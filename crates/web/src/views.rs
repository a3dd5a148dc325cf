//! Template contexts. Display strings are chosen (ja/en) here so templates stay plain.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::{WebError, urlencode};
use crate::extract::{Ctx, T};
use app::Actor;

pub fn render<P: Template>(p: &P) -> Response {
    match p.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Header, language switch and navigation for every page.
#[derive(Debug, Clone)]
pub struct Nav {
    pub t: T,
    pub title: String,
    pub user_name: Option<String>,
    pub is_provider: bool,
    pub is_reviewer: bool,
    pub is_operator: bool,
    /// Works for a verification body (testers, experts).
    pub is_verifier: bool,
    pub csrf: String,
    /// Link that switches the language and comes back here.
    pub other_lang_href: String,
    pub current: &'static str,
}

impl Nav {
    pub fn new(ctx: &Ctx, title_ja: &str, title_en: &str, current: &'static str) -> Nav {
        let a: Option<&Actor> = ctx.actor();
        let other = if ctx.t.en { "ja" } else { "en" };
        let here = strip_lang(&ctx.here);
        Nav {
            t: ctx.t,
            title: ctx.t.s(title_ja, title_en).to_string(),
            user_name: a.map(|a| a.name.clone()),
            is_provider: a.is_some_and(|a| a.provider_orgs().next().is_some()),
            is_reviewer: a.is_some_and(|a| a.body_orgs().next().is_some()),
            is_operator: a.is_some_and(|a| a.is_program_operator()),
            is_verifier: a.is_some_and(|a| a.verification_bodies().next().is_some()),
            csrf: ctx.csrf().to_string(),
            other_lang_href: format!("/lang/{other}?next={}", urlencode(&here)),
            current,
        }
    }

    pub fn lang(&self) -> &'static str {
        self.t.code()
    }

    /// A count with its noun: "3 件" in Japanese; "1 service", "3 services" in English.
    pub fn count(&self, n: impl AsCount, ja: &str, one: &str, many: &str) -> String {
        match (self.t.en, n.as_count()) {
            (false, n) => format!("{n} {ja}"),
            (true, 1) => format!("1 {one}"),
            (true, n) => format!("{n} {many}"),
        }
    }

    pub fn s<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        self.t.s(ja, en)
    }

    pub fn cur(&self, name: &str) -> &'static str {
        if self.current == name { "page" } else { "false" }
    }
}

/// Removes a `lang=` parameter from a path and query.
pub fn strip_lang(here: &str) -> String {
    match here.split_once('?') {
        Some((p, q)) => {
            let rest: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=") && !kv.is_empty()).collect();
            if rest.is_empty() { p.to_string() } else { format!("{p}?{}", rest.join("&")) }
        }
        None => here.to_string(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub status: u16,
    pub message: String,
    pub request_id: String,
}

impl ErrorPage {
    pub fn new(e: &WebError, status: StatusCode, message: String) -> Self {
        let other = if e.t.en { "ja" } else { "en" };
        ErrorPage {
            nav: Nav {
                t: e.t,
                title: e.t.s("エラー", "Error").to_string(),
                user_name: e.viewer_name.clone(),
                is_provider: false,
                is_reviewer: false,
                is_operator: false,
                is_verifier: false,
                csrf: String::new(),
                other_lang_href: format!("/lang/{other}?next={}", urlencode(&strip_lang(&e.here))),
                current: "",
            },
            status: status.as_u16(),
            message,
            request_id: e.request_id.clone(),
        }
    }
}

/// An option of a select or checkbox group.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
        Opt { value: value.into(), label: label.into(), selected }
    }
}

/// Neutralises spreadsheet formulas in user-entered text (CSV injection).
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

/// A generated document (JSON, CSV) with its type and the file name it saves as.
pub fn document(content_type: &str, disposition: &str, filename: &str, body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{filename}\"")),
        ],
        body.into(),
    )
        .into_response()
}

/// A number a page counts things with (by value or by reference, as templates pass them).
pub trait AsCount {
    fn as_count(&self) -> i64;
}

impl AsCount for usize {
    fn as_count(&self) -> i64 {
        *self as i64
    }
}

impl AsCount for i64 {
    fn as_count(&self) -> i64 {
        *self
    }
}

impl<T: AsCount> AsCount for &T {
    fn as_count(&self) -> i64 {
        (**self).as_count()
    }
}

/// A form's field errors in the page's language: the summary lists them; each field shows its
/// own message and marks itself (`errors.err("name")`, `errors.cls("name")` in templates).
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn new(t: T, errs: &[domain::FieldError]) -> FieldErrors {
        FieldErrors(
            errs.iter().map(|e| (e.field.to_string(), if t.en { e.en.clone() } else { e.ja.clone() })).collect(),
        )
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The message for one field, or "" when it has none.
    pub fn err(&self, field: &str) -> &str {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str()).unwrap_or("")
    }
    /// The field's wrapper class: marked when it has an error.
    pub fn cls(&self, field: &str) -> &'static str {
        if self.err(field).is_empty() { "field" } else { "field field-error" }
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a (String, String);
    type IntoIter = std::slice::Iter<'a, (String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
