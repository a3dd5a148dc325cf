//! The registry's public pages: home, the service list (HTML, CSV, JSON, Atom), a page per service.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::registry::{Category, INDUSTRIES, REGIONS, ServiceStatus, code_label};

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, T};
use crate::forms::ListParams;
use crate::kit::flash::DoneParam;
use crate::views::{Nav, Opt, Pager, PagerItem, csv_safe, render};
use app::registry::index::{ListItem, ListResult, Sort};
use app::{AppError, jst_date};
#[allow(unused_imports)]
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    cards: Vec<(String, String, usize)>,
    total: usize,
}

pub async fn home(ctx: Ctx, State(s): State<AppState>) -> Result<Response, WebError> {
    let r = s
        .app
        .registry()
        .public_list(&app::registry::index::ListQuery { per_page: 1, ..Default::default() })
        .await
        .map_err(|e| ctx.err(e))?;
    let cards =
        r.category_counts.iter().map(|(c, n)| (c.code().to_string(), c.label(ctx.t.en).to_string(), *n)).collect();
    Ok(render(&HomePage { nav: Nav::new(&ctx, "ホーム", "Home", "home"), cards, total: r.total }))
}

/// One row of the list as shown.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub category: String,
    pub subcategory: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub ledger: String,
    pub listed: String,
    pub valid_until: String,
    pub regions: String,
}

fn row(t: T, i: &ListItem) -> Row {
    Row {
        id: i.id,
        name: i.name.to_string(),
        provider: if t.en && !i.provider_name_en.is_empty() {
            i.provider_name_en.to_string()
        } else {
            i.provider_name.to_string()
        },
        category: i.category.label(t.en).to_string(),
        subcategory: i.subcategory.map(|s| s.label(t.en)).unwrap_or("").to_string(),
        status: i.status.code(),
        status_label: i.status.label(t.en),
        ledger: i.ledger_number.to_string(),
        listed: jst_date(i.listed_at),
        valid_until: jst_date(i.valid_until),
        regions: i
            .region_codes()
            .iter()
            .filter_map(|c| code_label(REGIONS, c, t.en))
            .collect::<Vec<_>>()
            .join(t.s("、", ", ")),
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    nav: Nav,
    p: ListParams,
    error: Option<String>,
    total: usize,
    page: usize,
    pages: usize,
    rows: Vec<Row>,
    counts: Vec<(String, String, usize, String)>,
    categories: Vec<Opt>,
    subcategories: Vec<(String, Vec<Opt>)>,
    regions: Vec<Opt>,
    industries: Vec<Opt>,
    bodies: Vec<Opt>,
    statuses: Vec<Opt>,
    sorts: Vec<Opt>,
    pager: Pager,
    qs: String,
    /// Filters set besides the keyword: the filter panel opens when there are any.
    filters_on: usize,
}

fn opts_codes(list: domain::registry::CodeList, t: T, sel: &str) -> Vec<Opt> {
    list.iter().map(|(c, ja, en)| Opt::new(*c, t.s(ja, en), *c == sel)).collect()
}

/// The public list as an HTML page (works without JavaScript).
#[utoipa::path(get, path = "/services", tag = "registry", params(ListParams),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 422, description = "A bad filter, shown on the page")))]
pub async fn services(ctx: Ctx, State(s): State<AppState>, Query(p): Query<ListParams>) -> Result<Response, WebError> {
    // one snapshot answers the query and fills the filters: no database round trip per request
    let idx = s.app.registry().public_index().await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    let (result, error, status) = match p.to_query(20) {
        Ok(q) => (idx.query(&q, false), None, StatusCode::OK),
        Err(e) => {
            let msg = WebError::new(&ctx, e).messages();
            let empty = ListResult { total: 0, page: 1, per_page: 20, items: vec![], category_counts: vec![] };
            (empty, Some(if t.en { msg.1 } else { msg.0 }), StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let bodies = &idx.bodies;
    let qs = p.query_string();
    let href = |n: usize| {
        if qs.is_empty() { format!("/services?page={n}") } else { format!("/services?{qs}&page={n}") }
    };
    let pages = result.pages();
    let cur = result.page;
    let pager = Pager::new(cur, pages, href);
    let base_qs = {
        let mut p2 = p.clone();
        p2.category.clear();
        p2.subcategory.clear();
        p2.query_string()
    };
    let filters_on = [&p.category, &p.subcategory, &p.region, &p.industry, &p.body, &p.sort]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
        + usize::from(!p.status.is_empty() && p.status != "registered")
        + usize::from(error.is_some());
    let page = ServicesPage {
        nav: Nav::new(&ctx, "登録サービス一覧", "Registered services", "services"),
        error,
        total: result.total,
        page: cur,
        pages,
        rows: result.items.iter().map(|i| row(t, i)).collect(),
        counts: result
            .category_counts
            .iter()
            .map(|(c, n)| {
                let h = if base_qs.is_empty() {
                    format!("/services?category={}", c.code())
                } else {
                    format!("/services?{base_qs}&category={}", c.code())
                };
                (c.code().to_string(), c.label(t.en).to_string(), *n, h)
            })
            .collect(),
        categories: Category::ALL.iter().map(|c| Opt::new(c.code(), c.label(t.en), c.code() == p.category)).collect(),
        subcategories: super::provider::subcategory_groups(t, &p.category, &p.subcategory),
        regions: opts_codes(REGIONS, t, &p.region),
        industries: opts_codes(INDUSTRIES, t, &p.industry),
        bodies: bodies
            .iter()
            .map(|b| Opt::new(b.id.to_string(), if t.en { &b.name_en } else { &b.name }, b.id.to_string() == p.body))
            .collect(),
        statuses: [
            ("registered", t.s("登録中（既定）", "Registered (default)")),
            ("all", t.s("すべて（終了分を含む）", "All (including ended)")),
        ]
        .into_iter()
        .map(|(c, l)| Opt::new(c, l, c == p.status || (c == "registered" && p.status.is_empty())))
        .chain(ServiceStatus::PUBLIC.into_iter().map(|st| Opt::new(st.code(), st.label(t.en), st.code() == p.status)))
        .collect(),
        sorts: Sort::ALL.iter().map(|x| Opt::new(x.code(), x.label(t.en), x.code() == p.sort)).collect(),
        pager,
        qs,
        filters_on,
        p,
    };
    let mut res = render(&page);
    *res.status_mut() = status;
    Ok(res)
}

/// JSON export of the current list (public fields only).
#[utoipa::path(get, path = "/services.json", tag = "registry", params(ListParams),
    responses((status = 200, body = super::bodies::ServiceExport), (status = 422, body = crate::error::ErrorBody)))]
pub async fn services_json(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, WebError> {
    let ctx = Ctx { api: true, ..ctx };
    let q = p.to_query(20).map_err(|e| ctx.err(e))?;
    let r = s.app.registry().public_export(&q).await.map_err(|e| ctx.err(e))?;
    let base = public_base(&s);
    // absolute links: an export is read away from the site
    let items: Vec<_> = r
        .items
        .iter()
        .map(super::bodies::ServiceListItem::from)
        .map(|mut i| {
            i.url = format!("{base}{}", i.url);
            i
        })
        .collect();
    Ok((
        [(header::CONTENT_DISPOSITION, "attachment; filename=\"services.json\"")],
        Json(super::bodies::ServiceExport { total: r.total, items }),
    )
        .into_response())
}

/// CSV export of the current list (UTF-8 with BOM, for spreadsheet software).
#[utoipa::path(get, path = "/services.csv", tag = "registry", params(ListParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 422, body = crate::error::ErrorBody)))]
pub async fn services_csv(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, WebError> {
    // an error here is for a machine client too: the JSON envelope the document promises
    let ctx = Ctx { api: true, ..ctx };
    let q = p.to_query(20).map_err(|e| ctx.err(e))?;
    let r = s.app.registry().public_export(&q).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    let base = public_base(&s);
    // UTF-8 with BOM so that spreadsheet software opens Japanese text correctly.
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let head = if t.en {
        [
            "ledger_number",
            "service",
            "provider",
            "category",
            "subcategory",
            "status",
            "listed_on",
            "valid_until",
            "regions",
            "url",
        ]
    } else {
        ["登録番号", "サービス名", "事業者名", "区分", "細分", "状態", "登録日", "有効期限", "対応地域", "URL"]
    };
    let _ = w.write_record(head);
    for i in &r.items {
        let x = row(t, i);
        let _ = w.write_record([
            x.ledger.as_str(),
            &csv_safe(&x.name),
            &csv_safe(&x.provider),
            &x.category,
            &x.subcategory,
            x.status_label,
            &x.listed,
            &x.valid_until,
            &x.regions,
            &format!("{base}/services/{}", x.id),
        ]);
    }
    let body = w.into_inner().unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"services.csv\""),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "atom.xml")]
struct AtomFeed {
    self_href: String,
    list_href: String,
    updated: String,
    entries: Vec<AtomEntry>,
}

struct AtomEntry {
    id: String,
    title: String,
    link: String,
    updated: String,
    summary: String,
}

/// Atom feed of changes to listed services; with the list's filters, of the services the list
/// with those filters shows.
#[utoipa::path(get, path = "/services.atom", tag = "registry", params(ListParams),
    responses((status = 200, description = "Atom", content_type = "application/atom+xml"), (status = 422, body = crate::error::ErrorBody)))]
pub async fn services_atom(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Response, WebError> {
    let ctx = Ctx { api: true, ..ctx };
    let filter = if p.query_string().is_empty() { None } else { Some(p.to_query(20).map_err(|e| ctx.err(e))?) };
    let events = s.app.registry().recent_public_changes(filter.as_ref(), 50).await.map_err(|e| ctx.err(e))?;
    let base = public_base(&s);
    let qs = p.query_string();
    let entries: Vec<AtomEntry> = events
        .iter()
        .map(|(e, name)| {
            let action = action_label(&e.action, ctx.t);
            AtomEntry {
                id: format!("tag:kakehashi,2026:service-event/{}", e.id),
                title: format!("{name}: {action}"),
                link: format!("{base}/services/{}", e.subject_id),
                updated: app::rfc3339(e.at),
                summary: format!("{action} ({})", status_label(&e.to_state, ctx.t)),
            }
        })
        .collect();
    let updated = events.first().map(|(e, _)| app::rfc3339(e.at)).unwrap_or_else(|| app::rfc3339(0));
    let (self_href, list_href) = if qs.is_empty() {
        (format!("{base}/services.atom"), format!("{base}/services"))
    } else {
        (format!("{base}/services.atom?{qs}"), format!("{base}/services?{qs}"))
    };
    let feed = AtomFeed { self_href, list_href, updated, entries };
    let xml = feed.render().map_err(|e| ctx.err(AppError::Internal(e.to_string())))?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// The site's own address for links others follow (feeds, exports): the configured public URL
/// (`http://` + the listen address when none is configured), never the request's Host header,
/// which is the client's to choose.
pub fn public_base(s: &AppState) -> String {
    s.app.config.delivery.public_url.trim_end_matches('/').to_string()
}

/// `Content-Disposition` for a download: an ASCII `filename` for old clients (the stem replaced by
/// `fallback_stem` when nothing ASCII is left, the extension kept) and the real name as
/// `filename*` (RFC 6266 / RFC 5987), so 「審査報告書.pdf」 arrives with its name and extension.
pub fn attachment(filename: &str, fallback_stem: &str) -> String {
    let ascii: String =
        filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric()));
    let stem = ascii.rsplit_once('.').map_or(ascii.as_str(), |(s, _)| s);
    let stem_ok = stem.chars().any(|c| c.is_ascii_alphanumeric());
    let fallback = match (stem_ok, ext) {
        (true, _) => ascii,
        (false, Some(e)) => format!("{fallback_stem}.{e}"),
        (false, None) => fallback_stem.to_string(),
    };
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

pub fn status_label(code: &str, t: T) -> &'static str {
    ServiceStatus::parse(code).map(|s| s.label(t.en)).unwrap_or("")
}

pub fn action_label(code: &str, t: T) -> String {
    if let Some(x) = domain::registry::Transition::parse(code) {
        return x.label(t.en).to_string();
    }
    match code {
        "create" => t.s("申請作成", "Application created"),
        "renew" => t.s("登録更新", "Registration renewed"),
        "surveillance_notice" => t.s("サーベイランス通知", "Surveillance notice"),
        "surveillance_conforming" => t.s("サーベイランス結果：適合", "Surveillance: conforming"),
        "surveillance_nonconforming" => t.s("サーベイランス結果：不適合", "Surveillance: nonconforming"),
        other => other,
    }
    .to_string()
}

#[derive(Template)]
#[template(path = "service.html")]
pub struct ServicePage {
    nav: Nav,
    v: super::provider::DetailView,
    done: Option<&'static str>,
    /// A refused evidence upload: the message, shown at the file field.
    upload_error: Option<String>,
}

pub async fn service(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
    Query(d): Query<DoneParam>,
) -> Result<Response, WebError> {
    service_page(&ctx, &s, id, &d.done, None).await
}

/// A service's page; with `upload_error`, the page again after a refused upload (its status and
/// message), so the viewer keeps the page and its menu and sees what to do.
pub async fn service_page(
    ctx: &Ctx,
    s: &AppState,
    id: ServiceId,
    done: &str,
    upload_error: Option<(StatusCode, String)>,
) -> Result<Response, WebError> {
    let detail = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let v = super::provider::DetailView::new(&detail, ctx.t);
    // the menu marks the entry the page sits under, as its breadcrumb says
    let nav = Nav::new(ctx, &detail.service.app.name, &detail.service.app.name, v.crumb.2);
    let status = upload_error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let mut res = render(&ServicePage {
        nav,
        v,
        done: crate::kit::flash::done_message(ctx.t, done),
        upload_error: upload_error.map(|e| e.1),
    });
    *res.status_mut() = status;
    Ok(res)
}

pub async fn evidence(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, eid)): Path<(ServiceId, EvidenceId)>,
) -> Result<Response, WebError> {
    let (row, data) = s.app.registry().evidence_file(ctx.actor(), id, eid).await.map_err(|e| ctx.err(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (header::CONTENT_DISPOSITION, attachment(&row.filename, &format!("evidence-{}", row.id))),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        data,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn downloads_keep_japanese_names_and_extensions() {
        assert_eq!(
            attachment("審査報告書.pdf", "evidence-7"),
            "attachment; filename=\"evidence-7.pdf\"; filename*=UTF-8''%E5%AF%A9%E6%9F%BB%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"
        );
        assert_eq!(
            attachment("report-v2.pdf", "x"),
            "attachment; filename=\"report-v2.pdf\"; filename*=UTF-8''report-v2.pdf"
        );
        assert_eq!(attachment("a\"b;c.txt", "x"), "attachment; filename=\"abc.txt\"; filename*=UTF-8''a%22b%3Bc.txt");
        assert_eq!(
            attachment("証跡", "evidence-1"),
            "attachment; filename=\"evidence-1\"; filename*=UTF-8''%E8%A8%BC%E8%B7%A1"
        );
    }
}
