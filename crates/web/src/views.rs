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

impl AsCount for u64 {
    fn as_count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
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

/// One entry of a pager: a page's link, or a gap ("…") between distant pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagerItem {
    Page { n: usize, href: String, current: bool },
    Gap,
}

/// Page links for a list: the first and last page, two either side of the current one, "…"
/// for what lies between, previous and next. A page past the end links nothing past the end:
/// `beyond` says so, and the page tells the reader how many pages there are.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub items: Vec<PagerItem>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The page asked for is past the last page.
    pub beyond: bool,
    /// The last page's link (for "the list has N pages").
    pub last_href: String,
}

impl Pager {
    pub fn new(page: usize, pages: usize, href: impl Fn(usize) -> String) -> Pager {
        let pages = pages.max(1);
        let page = page.max(1);
        let beyond = page > pages;
        let cur = page.min(pages);
        let mut nums: Vec<usize> = [1, cur.saturating_sub(2), cur.saturating_sub(1), cur, cur + 1, cur + 2, pages]
            .into_iter()
            .filter(|n| (1..=pages).contains(n))
            .collect();
        nums.sort_unstable();
        nums.dedup();
        let mut items = Vec::new();
        let mut last = 0;
        for n in nums {
            if n > last + 1 {
                items.push(PagerItem::Gap);
            }
            items.push(PagerItem::Page { n, href: href(n), current: n == page });
            last = n;
        }
        Pager {
            page,
            pages,
            items,
            prev: (page > 1 && !beyond).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            beyond,
            last_href: href(pages),
        }
    }
}

#[cfg(test)]
mod pager_tests {
    use super::*;

    fn shape(p: &Pager) -> String {
        p.items
            .iter()
            .map(|i| match i {
                PagerItem::Page { n, current: true, .. } => format!("[{n}]"),
                PagerItem::Page { n, .. } => n.to_string(),
                PagerItem::Gap => "…".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn gaps_stand_for_the_pages_left_out() {
        let h = |n: usize| format!("?page={n}");
        assert_eq!(shape(&Pager::new(1, 1, h)), "[1]");
        assert_eq!(shape(&Pager::new(1, 5, h)), "[1] 2 3 … 5");
        assert_eq!(shape(&Pager::new(10, 20, h)), "1 … 8 9 [10] 11 12 … 20");
        assert_eq!(shape(&Pager::new(4, 5, h)), "1 2 3 [4] 5");
        let p = Pager::new(20, 20, h);
        assert_eq!(shape(&p), "1 … 18 19 [20]");
        assert_eq!(p.next, None);
        assert_eq!(p.prev.as_deref(), Some("?page=19"));
    }

    #[test]
    fn a_page_past_the_end_links_only_to_pages_that_exist() {
        let p = Pager::new(999, 5, |n| format!("?page={n}"));
        assert!(p.beyond);
        assert_eq!(shape(&p), "1 … 3 4 5");
        assert_eq!((p.prev, p.next), (None, None));
        assert_eq!(p.last_href, "?page=5");
    }
}
