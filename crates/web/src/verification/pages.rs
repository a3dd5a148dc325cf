//! The verification platform's pages: the public product list and product pages, and the
//! vendor's products (register, edit, upload an SBOM to a version).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use domain::verification::{
    JUSTIFICATIONS, ProductCategory, ProductId, ProductInput, RESPONSES, SEVERITIES, SeverityCounts, TriageInput,
    TriageState,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, T};
use crate::forms::{decode, read_parts};
use crate::kit::flash::{DoneParam, done_message, see_other};
use crate::views::{FieldErrors, Nav, Opt, Pager, PagerItem, csv_safe, document, render};
use app::verification::{FindingDetail, ListedProduct, ProductDetail, ProductQuery, query_value};
use app::{AppError, jst_datetime};

/// The list's query parameters (also the API's).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductParams {
    /// Partial word, Japanese or English (name, model, vendor, description).
    #[serde(default)]
    pub q: String,
    /// security_product | iot_device | control_system | software
    #[serde(default)]
    pub category: String,
    /// verified | none
    #[serde(default)]
    pub status: String,
    /// From 1.
    #[serde(default)]
    pub page: String,
}

impl ProductParams {
    pub fn to_query(&self, per_page: i64) -> Result<ProductQuery, AppError> {
        let category = match self.category.trim() {
            "" => None,
            c => Some(
                ProductCategory::parse(c)
                    .ok_or_else(|| AppError::field("category", "不明な製品区分です", "Unknown product category"))?,
            ),
        };
        let page =
            match self.page.trim() {
                "" => 1,
                p => p.parse::<i64>().ok().filter(|n| (1..=100_000).contains(n)).ok_or_else(|| {
                    AppError::field("page", "ページ番号が正しくありません", "Not a valid page number")
                })?,
            };
        let status = match self.status.trim() {
            "" => None,
            x => Some(domain::verification::case::VerificationStatus::parse(x).ok_or_else(|| {
                AppError::field("status", "検証状況の指定が正しくありません", "Unknown verification status")
            })?),
        };
        if domain::text::char_len(&self.q) > 100 {
            return Err(AppError::field(
                "q",
                "キーワードは100文字以内で入力してください",
                "Keyword: at most 100 characters",
            ));
        }
        Ok(ProductQuery { q: self.q.clone(), category, status, page, per_page })
    }

    fn query_string(&self, page: Option<i64>) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", query_value(&self.q)));
        }
        if !self.category.is_empty() {
            parts.push(format!("category={}", query_value(&self.category)));
        }
        if !self.status.is_empty() {
            parts.push(format!("status={}", query_value(&self.status)));
        }
        if let Some(p) = page {
            parts.push(format!("page={p}"));
        }
        parts.join("&")
    }
}

pub struct ProductRowView {
    pub id: i64,
    pub name: String,
    pub vendor: String,
    pub category: &'static str,
    pub model: String,
    pub version: String,
    pub open: SeverityCounts,
    pub public: bool,
    pub status: &'static str,
    pub status_label: &'static str,
}

fn row(t: T, l: &ListedProduct) -> ProductRowView {
    let p = &l.product;
    ProductRowView {
        id: p.id,
        name: display_name(t, &p.product.name, &p.product.name_en),
        vendor: display_name(t, &p.vendor_name, &p.vendor_name_en),
        category: p.category.label(t.en),
        model: p.product.model.clone(),
        version: l.latest_version.clone().unwrap_or_default(),
        open: l.open,
        public: p.product.public,
        status: l.status.code(),
        status_label: l.status.label(t.en),
    }
}

fn display_name(t: T, ja: &str, en: &str) -> String {
    if t.en && !en.is_empty() { en.to_string() } else { ja.to_string() }
}

fn category_opts(t: T, sel: &str) -> Vec<Opt> {
    ProductCategory::ALL.iter().map(|c| Opt::new(c.code(), c.label(t.en), c.code() == sel)).collect()
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    nav: Nav,
    p: ProductParams,
    error: Option<String>,
    total: i64,
    page: i64,
    pages: i64,
    rows: Vec<ProductRowView>,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    pager: Pager,
}

/// The public product list (検証済み製品): search, category filter, pages.
#[utoipa::path(get, path = "/products", tag = "verification", params(ProductParams),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 422, description = "A bad filter, shown on the page")))]
pub async fn products(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<ProductParams>,
) -> Result<Response, WebError> {
    let t = ctx.t;
    let (list, error) = match p.to_query(20) {
        Ok(q) => (Some(s.app.verification().public_products(&q).await.map_err(|e| ctx.err(e))?), None),
        Err(e) => {
            let (ja, en) = WebError::new(&ctx, e).messages();
            (None, Some(if t.en { en } else { ja }))
        }
    };
    let (total, page, per_page, rows) = match &list {
        Some(l) => (l.total, l.page, l.per_page, l.items.iter().map(|i| row(t, i)).collect()),
        None => (0, 1, 20, Vec::new()),
    };
    let pages = ((total + per_page - 1) / per_page).max(1);
    let link = |n: i64| format!("/products?{}", p.query_string(Some(n)));
    let page_view = ProductsPage {
        nav: Nav::new(&ctx, "製品一覧（検証基盤）", "Products (verification platform)", "products"),
        error: error.clone(),
        total,
        page,
        pages,
        rows,
        categories: category_opts(t, &p.category),
        statuses: domain::verification::case::VerificationStatus::ALL
            .iter()
            .map(|x| Opt::new(x.code(), x.label(t.en), x.code() == p.status))
            .collect(),
        pager: Pager::new(page as usize, pages as usize, |n| link(n as i64)),
        p,
    };
    let mut res = render(&page_view);
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub struct VersionLink {
    pub version: String,
    pub href: String,
    pub current: bool,
    pub public: bool,
    pub open: i64,
}

pub struct FindingView {
    pub id: i64,
    pub advisory: String,
    pub aliases: String,
    pub component: String,
    pub version: String,
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub fixed: String,
    pub state: String,
    pub open: bool,
    pub summary: String,
}

pub struct FileRowView {
    pub filename: String,
    pub size: i64,
    pub uploaded: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    nav: Nav,
    flash: Option<&'static str>,
    d: ProductDetail,
    name: String,
    vendor: String,
    category: &'static str,
    support_end: String,
    versions: Vec<VersionLink>,
    version: String,
    open: SeverityCounts,
    findings: Vec<FindingView>,
    files: Vec<FileRowView>,
    working: bool,
    vex_href: String,
    upload_error: Option<String>,
    upload_version: String,
    /// The product's verification cases the viewer may see.
    cases: Vec<super::cases::CaseRowView>,
    /// The product's labels: (id, version, levels, status code, status label).
    labels: Vec<(i64, String, String, String, &'static str)>,
    /// Expert reviews, and whether the viewer may write one.
    reviews: Vec<super::reviews::ReviewCard>,
    can_review: bool,
    /// For the vendor's request form: trusted bodies and the kinds of verification.
    bodies: Vec<Opt>,
    kinds: Vec<Opt>,
}

#[derive(Deserialize, Default)]
pub struct ProductPageParams {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub done: String,
}

fn severity_label(t: T, s: &str) -> (&'static str, &'static str) {
    let code = SEVERITIES.iter().find(|x| **x == s).copied().unwrap_or("unknown");
    let label = match (code, t.en) {
        ("critical", false) => "緊急",
        ("critical", true) => "Critical",
        ("high", false) => "重要",
        ("high", true) => "High",
        ("medium", false) => "警告",
        ("medium", true) => "Medium",
        ("low", false) => "注意",
        ("low", true) => "Low",
        ("none", false) => "なし",
        ("none", true) => "None",
        (_, false) => "深刻度不明",
        (_, true) => "Unrated",
    };
    (code, label)
}

fn product_page(
    ctx: &Ctx,
    d: ProductDetail,
    flash: Option<&'static str>,
    upload_error: Option<String>,
    upload_version: String,
) -> ProductPage {
    let t = ctx.t;
    let sel = d.selected.as_ref().map(|v| v.version.clone()).unwrap_or_default();
    let versions = d
        .versions
        .iter()
        .map(|v| VersionLink {
            version: v.version.clone(),
            href: format!("/products/{}?version={}", d.product.id, query_value(&v.version)),
            current: v.version == sel,
            public: v.public,
            open: v.open.total(),
        })
        .collect();
    let open = d.selected.as_ref().map(|v| v.open).unwrap_or_default();
    let findings = d
        .findings
        .iter()
        .map(|f| {
            let (severity, severity_label) = severity_label(t, &f.severity);
            let state = TriageState::parse(&f.state);
            FindingView {
                id: f.id,
                advisory: f.advisory_id.clone(),
                aliases: f.aliases.join(", "),
                component: f.component_name.clone(),
                version: f.component_version.clone(),
                severity,
                severity_label,
                fixed: f.fixed.join(", "),
                state: state.map(|s| s.label(t.en)).unwrap_or("").to_string(),
                open: state.is_some_and(|s| s.is_open()),
                summary: f.summary.clone(),
            }
        })
        .collect();
    let mut working = false;
    let files = d
        .files
        .iter()
        .map(|f| {
            let (state, state_label, detail) = match &f.analysis {
                None => ("none", t.s("解析なし", "Not analysed"), String::new()),
                Some(a) => match a.state.as_str() {
                    "queued" => {
                        working = true;
                        ("queued", t.s("スキャン待ち・実行中", "Queued or scanning"), String::new())
                    }
                    "done" => {
                        let s: serde_json::Value = serde_json::from_str(&a.summary).unwrap_or_default();
                        let detail = format!(
                            "{} {} · {} {} · {} {}",
                            s["components"].as_i64().unwrap_or(0),
                            t.s("コンポーネント", "components"),
                            s["findings"].as_i64().unwrap_or(0),
                            t.s("件検出", "findings"),
                            s["new"].as_i64().unwrap_or(0),
                            t.s("件が新規", "new"),
                        );
                        ("done", t.s("完了", "Done"), detail)
                    }
                    _ => ("failed", t.s("失敗", "Failed"), a.error.clone().unwrap_or_default()),
                },
            };
            FileRowView {
                filename: f.file.filename.clone(),
                size: f.file.size,
                uploaded: jst_datetime(f.file.uploaded_at),
                state,
                state_label,
                detail,
            }
        })
        .collect();
    let p = &d.product;
    ProductPage {
        nav: Nav::new(
            ctx,
            &p.product.name,
            if p.product.name_en.is_empty() { &p.product.name } else { &p.product.name_en },
            "products",
        ),
        flash,
        name: display_name(t, &p.product.name, &p.product.name_en),
        vendor: display_name(t, &p.vendor_name, &p.vendor_name_en),
        category: p.category.label(t.en),
        support_end: p.product.support_end.clone().unwrap_or_else(|| t.s("未定", "Not announced").to_string()),
        versions,
        version: sel,
        open,
        findings,
        files,
        working,
        vex_href: format!("/api/v1/products/{}/vex", p.id),
        upload_error,
        upload_version,
        cases: Vec::new(),
        labels: Vec::new(),
        reviews: Vec::new(),
        can_review: false,
        bodies: Vec::new(),
        kinds: Vec::new(),
        d,
    }
}

/// A product page: what the vendor made public, its versions and each version's findings; the
/// vendor also sees the uploaded files, the scans' progress and the upload form.
pub async fn product(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(q): Query<ProductPageParams>,
) -> Result<Response, WebError> {
    let v = s.app.verification();
    let d = v.product_detail(ctx.actor(), id, q.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    let flash = done_message(ctx.t, &q.done);
    let can_manage = d.can_manage;
    let mut page = product_page(&ctx, d, flash, None, String::new());
    let t = ctx.t;
    page.cases = v
        .product_cases(ctx.actor(), id)
        .await
        .map_err(|e| ctx.err(e))?
        .iter()
        .map(|c| super::cases::case_row(t, c))
        .collect();
    page.reviews = super::reviews::review_cards(t, &v.product_reviews(ctx.actor(), id).await.map_err(|e| ctx.err(e))?);
    page.can_review = app::verification::Verification::is_expert(ctx.actor());
    page.labels = v
        .product_labels(id.0)
        .await
        .map_err(|e| ctx.err(e))?
        .into_iter()
        .map(|l| {
            let st = domain::verification::label::LabelStatus::parse(&l.status).map(|x| x.label(t.en)).unwrap_or("");
            (l.id, l.version, l.levels.replace(',', ", "), l.status, st)
        })
        .collect();
    if can_manage {
        page.bodies = v
            .trusted_bodies()
            .await
            .map_err(|e| ctx.err(e))?
            .iter()
            .map(|b| {
                Opt::new(
                    b.row.org_id.to_string(),
                    if t.en && !b.row.name_en.is_empty() { b.row.name_en.clone() } else { b.row.name.clone() },
                    false,
                )
            })
            .collect();
        page.kinds = domain::verification::case::CaseKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label(t.en), false))
            .collect();
    }
    Ok(render(&page))
}

/// The vendor uploads an SBOM or lockfile to a version (multipart: csrf, version, file).
pub async fn upload_sbom(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut parts = read_parts(&ctx, &s, &mut mp, &[("file", "sbom"), ("vex", "vex.json")]).await?;
    let a = ctx.check_write(Some(parts.text("csrf")))?;
    let version = parts.text("version").to_string();
    let (file, vex) = (parts.take_file("file"), parts.take_file("vex"));
    let v = s.app.verification();
    let result = match (file, &vex) {
        (None, None) => Err(AppError::field("file", "ファイルを選択してください", "Choose a file")),
        // a VEX document alone speaks for the version's findings
        (None, Some((name, data))) => v.upload_vex(a, id, &version, name, data).await.map(|_| ()),
        (Some((name, data)), vex) => v
            .upload_sbom_with_vex(a, id, &version, &name, &data, vex.as_ref().map(|(n, d)| (n.as_str(), d.as_slice())))
            .await
            .map(|_| ()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/products/{}?version={}", id.0, query_value(version.trim())), "sbom")),
        // a bad file or version: the page again, with the message and the version typed
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().product_detail(Some(a), id, None).await.map_err(|e| ctx.err(e))?;
            let msg =
                errs.iter().map(|e| if ctx.t.en { e.en.clone() } else { e.ja.clone() }).collect::<Vec<_>>().join(" ");
            let mut res = render(&product_page(&ctx, d, None, Some(msg), version));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

#[derive(Template)]
#[template(path = "my_products.html")]
struct MyProductsPage {
    nav: Nav,
    flash: Option<&'static str>,
    rows: Vec<ProductRowView>,
}

/// The vendor's own products, public or not.
pub async fn my_products(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(d): Query<DoneParam>,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    if a.provider_orgs().next().is_none() {
        return Err(ctx.err(AppError::Forbidden));
    }
    let list = s.app.verification().my_products(a).await.map_err(|e| ctx.err(e))?;
    Ok(render(&MyProductsPage {
        nav: Nav::new(&ctx, "自社製品（検証基盤）", "My products (verification platform)", "my_products"),
        flash: done_message(ctx.t, &d.done),
        rows: list.iter().map(|l| row(ctx.t, l)).collect(),
    }))
}

/// The product form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub vendor_org_id: String,
    #[serde(default)]
    pub subcategory: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub claims: String,
    #[serde(default)]
    pub support_end: String,
    #[serde(default)]
    pub vuln_contact: String,
    #[serde(default)]
    pub public: Option<String>,
}

impl ProductForm {
    fn input(&self) -> ProductInput {
        ProductInput {
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            model: self.model.clone(),
            category: self.category.clone(),
            description: self.description.clone(),
            claims: self.claims.clone(),
            // full-width digits and hyphens typed by Japanese keyboards are read as dates
            support_end: domain::search::normalize(&self.support_end).replace('ー', "-"),
            vuln_contact: self.vuln_contact.clone(),
            public: self.public.is_some(),
            subcategory: self.subcategory.clone(),
        }
    }
    fn from_input(i: &ProductInput) -> Self {
        ProductForm {
            name: i.name.clone(),
            name_en: i.name_en.clone(),
            model: i.model.clone(),
            category: i.category.clone(),
            description: i.description.clone(),
            claims: i.claims.clone(),
            support_end: i.support_end.clone(),
            vuln_contact: i.vuln_contact.clone(),
            public: i.public.then(|| "on".to_string()),
            subcategory: i.subcategory.clone(),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    nav: Nav,
    heading: String,
    action: String,
    f: ProductForm,
    errors: FieldErrors,
    categories: Vec<Opt>,
    /// Sub-categories grouped by category (optgroup label, options).
    subcategories: Vec<(String, Vec<Opt>)>,
    vendors: Vec<Opt>,
}

fn form_page(ctx: &Ctx, edit: Option<i64>, f: ProductForm, errs: &[FieldError]) -> Result<ProductFormPage, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    Ok(ProductFormPage {
        nav: Nav::new(
            ctx,
            if edit.is_some() { "製品情報の編集" } else { "製品の登録" },
            if edit.is_some() { "Edit product" } else { "Register a product" },
            "my_products",
        ),
        heading: t
            .s(
                if edit.is_some() { "製品情報の編集" } else { "製品の登録" },
                if edit.is_some() { "Edit product" } else { "Register a product" },
            )
            .to_string(),
        action: match edit {
            Some(id) => format!("/my/products/{id}/edit"),
            None => "/my/products".to_string(),
        },
        categories: category_opts(t, &f.category),
        subcategories: domain::verification::ProductCategory::ALL
            .iter()
            .map(|c| {
                let opts = domain::verification::SUBCATEGORIES
                    .iter()
                    .filter(|s| s.0 == *c)
                    .map(|s| Opt::new(s.1, if t.en { s.3 } else { s.2 }, s.1 == f.subcategory))
                    .collect();
                (c.label(t.en).to_string(), opts)
            })
            .collect(),
        vendors: a
            .provider_orgs()
            .map(|m| Opt::new(m.org_id.to_string(), m.org_name.clone(), f.vendor_org_id == m.org_id.to_string()))
            .collect(),
        errors: FieldErrors::new(t, errs),
        f,
    })
}

fn form_error(ctx: &Ctx, edit: Option<i64>, f: ProductForm, e: AppError) -> Result<Response, WebError> {
    let errs = match e {
        AppError::Invalid(errs) => errs,
        other => return Err(ctx.err(other)),
    };
    let mut res = render(&form_page(ctx, edit, f, &errs)?);
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

pub async fn new_form(ctx: Ctx) -> Result<Response, WebError> {
    let a = ctx.require()?;
    if a.provider_orgs().next().is_none() {
        return Err(ctx.err(AppError::Forbidden));
    }
    Ok(render(&form_page(&ctx, None, ProductForm::default(), &[])?))
}

pub async fn create(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: ProductForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let vendor =
        f.vendor_org_id.trim().parse::<i64>().ok().or_else(|| a.provider_orgs().next().map(|m| m.org_id)).unwrap_or(0);
    match s.app.verification().register_product(a, domain::OrgId(vendor), &f.input()).await {
        Ok(id) => Ok(see_other(&format!("/products/{id}"), "product")),
        Err(e) => form_error(&ctx, None, f, e),
    }
}

pub async fn edit_form(ctx: Ctx, State(s): State<AppState>, Path(id): Path<ProductId>) -> Result<Response, WebError> {
    let d = s.app.verification().product_detail(ctx.actor(), id, None).await.map_err(|e| ctx.err(e))?;
    if !d.can_manage {
        return Err(ctx.err(AppError::Forbidden));
    }
    Ok(render(&form_page(&ctx, Some(id.0), ProductForm::from_input(&d.product.input()), &[])?))
}

pub async fn edit(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: ProductForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.verification().update_product(a, id, &f.input()).await {
        Ok(()) => Ok(see_other(&format!("/products/{}", id.0), "saved")),
        Err(e) => form_error(&ctx, Some(id.0), f, e),
    }
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    nav: Nav,
    flash: Option<&'static str>,
    d: FindingDetail,
    product_name: String,
    severity: &'static str,
    severity_label: &'static str,
    state_label: &'static str,
    justification_label: String,
    response_label: String,
    history: Vec<(String, String, &'static str, String)>,
    states: Vec<Opt>,
    justifications: Vec<Opt>,
    responses: Vec<Opt>,
    f: TriageInput,
    errors: FieldErrors,
    /// The discussion: (when, who, organisation, text).
    thread: Vec<(String, String, String, String)>,
    note_errors: FieldErrors,
    note_typed: String,
}

fn code_label(list: &[(&str, &str, &str)], code: &str, en: bool) -> String {
    list.iter().find(|x| x.0 == code).map(|x| if en { x.2 } else { x.1 }).unwrap_or("").to_string()
}

fn finding_page(
    ctx: &Ctx,
    d: FindingDetail,
    flash: Option<&'static str>,
    f: TriageInput,
    errs: &[FieldError],
) -> FindingPage {
    let t = ctx.t;
    let (severity, severity_label) = severity_label(t, &d.finding.severity);
    let state = TriageState::parse(&d.finding.state);
    let opts = |list: &[(&str, &str, &str)], sel: &str| -> Vec<Opt> {
        list.iter().map(|x| Opt::new(x.0, t.s(x.1, x.2), x.0 == sel)).collect()
    };
    let sel_state = if f.state.is_empty() { d.finding.state.clone() } else { f.state.clone() };
    FindingPage {
        nav: Nav::new(ctx, &d.finding.advisory_id, &d.finding.advisory_id, "products"),
        flash,
        product_name: display_name(t, &d.product.product.name, &d.product.product.name_en),
        severity,
        severity_label,
        state_label: state.map(|s| s.label(t.en)).unwrap_or(""),
        justification_label: code_label(&JUSTIFICATIONS, &d.finding.justification, t.en),
        response_label: code_label(&RESPONSES, &d.finding.response, t.en),
        history: d
            .history
            .iter()
            .map(|h| {
                (
                    jst_datetime(h.at),
                    h.actor_name.clone(),
                    TriageState::parse(&h.to_state).map(|s| s.label(t.en)).unwrap_or(""),
                    // the justification code the history starts with, in words
                    match JUSTIFICATIONS.iter().find(|j| h.comment.starts_with(j.0)) {
                        Some(j) => format!("{}{}", t.s(j.1, j.2), &h.comment[j.0.len()..]),
                        None => h.comment.clone(),
                    },
                )
            })
            .collect(),
        states: TriageState::ALL.iter().map(|x| Opt::new(x.code(), x.label(t.en), x.code() == sel_state)).collect(),
        justifications: opts(&JUSTIFICATIONS, &f.justification),
        responses: opts(&RESPONSES, &f.response),
        errors: FieldErrors::new(t, errs),
        thread: d
            .thread
            .iter()
            .map(|n| (jst_datetime(n.created_at), n.author_name.clone(), n.org_name.clone(), n.body.clone()))
            .collect(),
        note_errors: FieldErrors::default(),
        note_typed: String::new(),
        f,
        d,
    }
}

/// A reply on a finding's discussion (the vendor, or the tester of its case); a mistake shows
/// the page again with the text kept.
pub async fn respond(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, fid)): Path<(ProductId, i64)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: crate::forms::NoteForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.verification().respond_to_finding(a, id, fid, &f.note).await {
        Ok(_) => Ok(axum::response::Redirect::to(&format!("/products/{}/findings/{fid}?done=responded#thread", id.0))
            .into_response()),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().finding_detail(Some(a), id, fid).await.map_err(|e| ctx.err(e))?;
            let mut page = finding_page(&ctx, d, None, TriageInput::default(), &[]);
            page.note_errors = FieldErrors::new(ctx.t, &errs);
            page.note_typed = f.note;
            let mut res = render(&page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// One finding: what it is, where, its triage; the vendor also sees the history and records
/// decisions here.
pub async fn finding(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, fid)): Path<(ProductId, i64)>,
    Query(d): Query<DoneParam>,
) -> Result<Response, WebError> {
    let detail = s.app.verification().finding_detail(ctx.actor(), id, fid).await.map_err(|e| ctx.err(e))?;
    let f = TriageInput { resolved_in: detail.finding.resolved_in.clone(), ..Default::default() };
    Ok(render(&finding_page(&ctx, detail, done_message(ctx.t, &d.done), f, &[])))
}

/// The triage form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(flatten)]
    pub input: TriageInput,
}

pub async fn triage(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, fid)): Path<(ProductId, i64)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: TriageForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.verification().triage(a, id, fid, &f.input).await {
        Ok(_) => Ok(see_other(&format!("/products/{}/findings/{fid}", id.0), "triaged")),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().finding_detail(Some(a), id, fid).await.map_err(|e| ctx.err(e))?;
            let mut res = render(&finding_page(&ctx, d, None, f.input, &errs));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

/// A version's findings as CSV (UTF-8 with a byte-order mark, so spreadsheet programs in Japan
/// open it as UTF-8; cells that would run as formulas are neutralised).
pub async fn findings_csv(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(q): Query<ProductPageParams>,
) -> Result<Response, WebError> {
    let d = s.app.verification().version_report(ctx.actor(), id, q.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    Ok(findings_csv_of(&d, &format!("product-{}-findings.csv", id.0)))
}

/// A version's findings (as a product page or a case chose them) as CSV.
pub fn findings_csv_of(d: &ProductDetail, filename: &str) -> Response {
    let v = d.selected.as_ref().map(|v| v.version.clone()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record([
        "product",
        "version",
        "advisory",
        "aliases",
        "severity",
        "score",
        "component",
        "component_version",
        "ecosystem",
        "purl",
        "fixed",
        "state",
        "justification",
        "response",
        "resolved_in",
        "detail",
        "first_seen",
        "summary",
    ]);
    for f in &d.findings {
        let score = f.score.map(|s| format!("{s:.1}")).unwrap_or_default();
        let _ = w.write_record([
            csv_safe(&d.product.product.name).as_str(),
            &csv_safe(&v),
            &f.advisory_id,
            &f.aliases.join(" "),
            &f.severity,
            &score,
            &csv_safe(&f.component_name),
            &csv_safe(&f.component_version),
            &f.ecosystem,
            &csv_safe(&f.component),
            &f.fixed.join(" "),
            &f.state,
            &f.justification,
            &f.response,
            &csv_safe(&f.resolved_in),
            &csv_safe(&f.detail),
            &app::rfc3339(f.first_seen),
            &csv_safe(&f.summary),
        ]);
    }
    let body = w.into_inner().unwrap_or_default();
    document("text/csv; charset=utf-8", "attachment", filename, body)
}

/// A version's SARIF 2.1.0.
pub async fn findings_sarif(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(q): Query<ProductPageParams>,
) -> Result<Response, WebError> {
    let doc = s.app.verification().sarif(ctx.actor(), id, q.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    Ok(document("application/sarif+json", "inline", &format!("product-{}.sarif.json", id.0), doc.to_string()))
}

#[derive(Template)]
#[template(path = "product_report.html")]
struct ReportPage {
    nav: Nav,
    d: ProductDetail,
    name: String,
    vendor: String,
    category: &'static str,
    version: String,
    generated: String,
    open: SeverityCounts,
    findings: Vec<FindingView>,
    decided: usize,
}

/// A printable report of a version (Japanese or English, like every page): product, counts,
/// every finding with its triage; prints on A4 without the site's navigation.
pub async fn report(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    Query(q): Query<ProductPageParams>,
) -> Result<Response, WebError> {
    let d = s.app.verification().version_report(ctx.actor(), id, q.version.as_deref()).await.map_err(|e| ctx.err(e))?;
    Ok(report_of(&ctx, &s, d))
}

/// The printable report of a version's findings (as a product page or a case chose them).
pub fn report_of(ctx: &Ctx, s: &AppState, d: ProductDetail) -> Response {
    let page = product_page(ctx, d, None, None, String::new());
    let decided = page.findings.iter().filter(|f| !f.open).count();
    render(&ReportPage {
        nav: Nav::new(
            ctx,
            &format!("{} {} 検証レポート", page.name, page.version),
            &format!("{} {} verification report", page.name, page.version),
            "products",
        ),
        generated: jst_datetime(s.app.now()),
        name: page.name,
        vendor: page.vendor,
        category: page.category,
        version: page.version,
        open: page.open,
        findings: page.findings,
        decided,
        d: page.d,
    })
}
