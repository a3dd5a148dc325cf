//! Expert reviews and the product map over HTTP: reviews on the product page, the expert's form,
//! the vendor's reply and dispute, the office's hiding; the public map with filters, print view,
//! CSV and JSON.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::verification::case::VerificationStatus;
use domain::verification::review::{AXES, ReviewInput, meets_certificate_rule};
use domain::verification::{ProductCategory, ProductId, subcategory_label};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{Ctx, json_body, write_actor};
use crate::forms::decode;
use crate::kit::flash::see_other;
use crate::views::FieldErrors;
use crate::views::{Nav, document, render};
use app::AppError;
use app::verification::Verification;
use app::verification::reviews::{MapQuery, ProductMap, ReviewView};

/// A review as the product page shows it.
pub struct ReviewCard {
    pub id: i64,
    pub hidden: bool,
    pub hidden_reason: String,
    pub title: String,
    pub expert: String,
    pub version: String,
    pub date: String,
    pub strengths: String,
    pub weaknesses: String,
    /// (axis label, score)
    pub scores: Vec<(&'static str, i64)>,
    pub total: i64,
    pub certificate: bool,
    pub reply: String,
    pub reply_by: String,
    pub disputed: bool,
    pub can_reply: bool,
    pub can_dispute: bool,
    pub can_hide: bool,
}

pub fn review_cards(t: crate::extract::T, reviews: &[ReviewView]) -> Vec<ReviewCard> {
    reviews
        .iter()
        .map(|v| {
            let r = &v.row;
            ReviewCard {
                id: r.id,
                hidden: v.hidden,
                hidden_reason: r.hidden_reason.clone(),
                title: r.title.clone(),
                expert: format!("{}（{}）", r.expert_name, r.expert_org_name),
                version: r.version.clone(),
                date: app::jst_date(r.created_at),
                strengths: r.strengths.clone(),
                weaknesses: r.weaknesses.clone(),
                scores: AXES
                    .iter()
                    .zip([r.protection, r.performance, r.usability])
                    .map(|((_, ja, en), s)| (if t.en { *en } else { *ja }, s))
                    .collect(),
                total: r.protection + r.performance + r.usability,
                certificate: meets_certificate_rule(r.protection, r.performance, r.usability),
                reply: r.reply.clone(),
                reply_by: r.reply_by.clone(),
                disputed: r.dispute_at.is_some(),
                can_reply: v.can_reply,
                can_dispute: v.can_dispute,
                can_hide: v.can_hide,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: ReviewInput,
}

#[derive(Template)]
#[template(path = "review_form.html")]
struct ReviewFormPage {
    nav: Nav,
    product_id: i64,
    product: String,
    f: ReviewInput,
    errors: FieldErrors,
    axes: Vec<(&'static str, &'static str, String)>,
}

fn form_page(ctx: &Ctx, product_id: i64, product: &str, f: ReviewInput, errs: &[domain::FieldError]) -> ReviewFormPage {
    let axes = AXES
        .iter()
        .map(|(code, ja, en)| {
            let v = match *code {
                "protection" => f.protection.clone(),
                "performance" => f.performance.clone(),
                _ => f.usability.clone(),
            };
            (*code, ctx.t.s(ja, en), v)
        })
        .collect();
    ReviewFormPage {
        nav: Nav::new(ctx, &format!("{product} のレビューを書く"), &format!("Review {product}"), "products"),
        product_id,
        product: product.to_string(),
        f,
        errors: FieldErrors::new(ctx.t, errs),
        axes,
    }
}

/// The expert's review form (403 to anyone else).
pub async fn new_form(ctx: Ctx, State(s): State<AppState>, Path(id): Path<ProductId>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let d = s.app.verification().product_detail(Some(a), id, None).await.map_err(|e| ctx.err(e))?;
    if !Verification::is_expert(Some(a)) {
        return Err(ctx.err(AppError::Forbidden));
    }
    Ok(render(&form_page(&ctx, id.0, &d.product.product.name, ReviewInput::default(), &[])))
}

pub async fn create(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: ReviewForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    match s.app.verification().publish_review(a, id, &f.input).await {
        Ok(rid) => Ok(see_other(&format!("/products/{}?done=review#review-{rid}", id.0), "review")),
        Err(AppError::Invalid(errs)) => {
            let d = s.app.verification().product_detail(Some(a), id, None).await.map_err(|e| ctx.err(e))?;
            let mut res = render(&form_page(&ctx, id.0, &d.product.product.name, f.input, &errs));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

#[derive(Template)]
#[template(path = "review_action.html")]
struct ActionPage {
    nav: Nav,
    id: i64,
    product_id: i64,
    action: String,
    label: &'static str,
    text: String,
    error: String,
}

/// The vendor's reply or dispute, the office's hiding (a mistake shows the form again, the text
/// kept).
pub async fn act(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: TextForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let v = s.app.verification();
    let r = match action.as_str() {
        "reply" => v.reply_review(a, id, &f.text).await,
        "dispute" => v.dispute_review(a, id, &f.text).await,
        "hide" => v.hide_review(a, id, &f.text).await,
        _ => return Err(ctx.err(AppError::NotFound)),
    };
    match r {
        Ok(()) => {
            let product = v.review_product(id).await.map_err(|e| ctx.err(e))?;
            Ok(see_other(&format!("/products/{product}#review-{id}"), "review"))
        }
        Err(AppError::Invalid(errs)) => {
            let product = v.review_product(id).await.map_err(|e| ctx.err(e))?;
            let label = action_label(ctx.t, &action);
            let mut res = render(&ActionPage {
                nav: Nav::new(&ctx, "レビュー", "Review", "products"),
                id,
                product_id: product,
                label,
                action,
                text: f.text,
                error: errs.first().map(|e| ctx.t.s(&e.ja, &e.en).to_string()).unwrap_or_default(),
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

fn action_label(t: crate::extract::T, action: &str) -> &'static str {
    match action {
        "reply" => t.s("ベンダーとして返信する（1回のみ）", "Reply as the vendor (once)"),
        "dispute" => t.s("制度事務局に異議を申し立てる", "Dispute it with the program office"),
        _ => t.s("非表示にする（理由は公開されます）", "Hide it (the reason is public)"),
    }
}

// ---- API ----

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewBody {
    pub id: i64,
    /// A hidden review keeps only its id, the expert and the office's public reason.
    pub hidden: bool,
    pub hidden_reason: String,
    pub expert: String,
    pub title: String,
    pub version: String,
    pub strengths: String,
    pub weaknesses: String,
    /// 0–6 each.
    pub protection: i64,
    pub performance: i64,
    pub usability: i64,
    pub reply: String,
    pub disputed: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// A product's expert reviews, newest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/reviews", tag = "verification", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ReviewBody>), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_list(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
) -> Result<Json<Vec<ReviewBody>>, WebError> {
    let reviews = s.app.verification().product_reviews(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    Ok(Json(
        reviews
            .into_iter()
            .map(|v| {
                let r = v.row;
                ReviewBody {
                    id: r.id,
                    hidden: v.hidden,
                    hidden_reason: r.hidden_reason,
                    expert: r.expert_name,
                    title: r.title,
                    version: r.version,
                    strengths: r.strengths,
                    weaknesses: r.weaknesses,
                    protection: if v.hidden { 0 } else { r.protection },
                    performance: if v.hidden { 0 } else { r.performance },
                    usability: if v.hidden { 0 } else { r.usability },
                    reply: r.reply,
                    disputed: r.dispute_at.is_some(),
                    created_at: app::rfc3339(r.created_at),
                }
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReviewBody {
    pub title: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub weaknesses: String,
    /// 0–6
    pub protection: i64,
    pub performance: i64,
    pub usability: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCreated {
    pub id: i64,
}

/// An expert publishes a review (403 for anyone who is not a member of an expert panel).
#[utoipa::path(post, path = "/api/v1/products/{id}/reviews", tag = "verification", params(("id" = i64, Path)), request_body = NewReviewBody,
    security(("bearer" = [])),
    responses((status = 201, body = ReviewCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_create(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let b: NewReviewBody = json_body(&ctx, &headers, &body)?;
    let input = ReviewInput {
        title: b.title,
        version: b.version,
        strengths: b.strengths,
        weaknesses: b.weaknesses,
        protection: b.protection.to_string(),
        performance: b.performance.to_string(),
        usability: b.usability.to_string(),
    };
    let rid = s.app.verification().publish_review(a, id, &input).await.map_err(|e| ctx.err(e))?;
    Ok((StatusCode::CREATED, Json(ReviewCreated { id: rid })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewTextBody {
    pub text: String,
}

/// The vendor replies (once) or disputes; the office hides (the text is the public reason).
#[utoipa::path(post, path = "/api/v1/product-reviews/{id}/{action}", tag = "verification", request_body = ReviewTextBody,
    params(("id" = i64, Path), ("action" = String, Path, description = "reply | dispute | hide")), security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 415, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_act(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let a = write_actor(&ctx, &headers)?;
    let v = s.app.verification();
    let b: ReviewTextBody = json_body(&ctx, &headers, &body)?;
    match action.as_str() {
        "reply" => v.reply_review(a, id, &b.text).await,
        "dispute" => v.dispute_review(a, id, &b.text).await,
        "hide" => v.hide_review(a, id, &b.text).await,
        _ => return Err(ctx.err(AppError::NotFound)),
    }
    .map_err(|e| ctx.err(e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- the product map ----

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct MapParams {
    /// security_product | iot_device | control_system | software
    #[serde(default)]
    pub category: String,
    /// verified | in_verification | none
    #[serde(default)]
    pub status: String,
    /// `1`: only products with an active label.
    #[serde(default)]
    pub labelled: String,
}

impl MapParams {
    fn query(&self) -> Result<MapQuery, AppError> {
        let category = match self.category.trim() {
            "" => None,
            c => Some(
                ProductCategory::parse(c)
                    .ok_or_else(|| AppError::field("category", "製品区分が正しくありません", "Unknown category"))?,
            ),
        };
        let status = match self.status.trim() {
            "" => None,
            c => Some(VerificationStatus::parse(c).ok_or_else(|| {
                AppError::field("status", "検証状況が正しくありません", "Unknown verification status")
            })?),
        };
        Ok(MapQuery { category, status, labelled: matches!(self.labelled.as_str(), "1" | "on" | "true") })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapProductBody {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub vendor: String,
    pub category: String,
    /// The sub-category code, or empty.
    pub subcategory: String,
    /// verified | in_verification | none
    pub verification: String,
    /// Active labels' levels.
    pub labels: Vec<String>,
    pub reviews: i64,
    /// Mean review scores (0–6), when reviewed.
    pub protection: Option<f64>,
    pub performance: Option<f64>,
    pub usability: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapBody {
    pub total: usize,
    pub truncated: bool,
    pub items: Vec<MapProductBody>,
}

fn map_items(m: &ProductMap) -> Vec<MapProductBody> {
    m.groups
        .iter()
        .flat_map(|g| {
            g.products.iter().map(move |p| MapProductBody {
                id: p.id,
                name: p.name.clone(),
                name_en: p.name_en.clone(),
                vendor: p.vendor.clone(),
                category: g.category.code().into(),
                subcategory: g.subcategory.into(),
                verification: p.status.code().into(),
                labels: p.labels.clone(),
                reviews: p.scores.as_ref().map(|s| s.count).unwrap_or(0),
                protection: p.scores.as_ref().map(|s| round1(s.protection)),
                performance: p.scores.as_ref().map(|s| round1(s.performance)),
                usability: p.scores.as_ref().map(|s| round1(s.usability)),
            })
        })
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The product map as JSON (the same filters as the page).
#[utoipa::path(get, path = "/api/v1/map", tag = "verification", params(MapParams),
    responses((status = 200, body = MapBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_map(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(p): Query<MapParams>,
) -> Result<Json<MapBody>, WebError> {
    let q = p.query().map_err(|e| ctx.err(e))?;
    let m = s.app.verification().product_map(&q).await.map_err(|e| ctx.err(e))?;
    Ok(Json(MapBody { total: m.total, truncated: m.truncated, items: map_items(&m) }))
}

/// The product map as CSV (UTF-8 with a BOM, for spreadsheet programs).
pub async fn map_csv(ctx: Ctx, State(s): State<AppState>, Query(p): Query<MapParams>) -> Result<Response, WebError> {
    let q = p.query().map_err(|e| ctx.err(e))?;
    let m = s.app.verification().product_map(&q).await.map_err(|e| ctx.err(e))?;
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| ctx.err(AppError::Internal(e.to_string()));
    w.write_record([
        "id",
        "name",
        "name_en",
        "vendor",
        "category",
        "subcategory",
        "verification",
        "labels",
        "reviews",
        "protection",
        "performance",
        "usability",
    ])
    .map_err(err)?;
    for i in map_items(&m) {
        let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_default();
        w.write_record([
            i.id.to_string(),
            crate::views::csv_safe(&i.name),
            crate::views::csv_safe(&i.name_en),
            crate::views::csv_safe(&i.vendor),
            i.category,
            i.subcategory,
            i.verification,
            i.labels.join(" "),
            i.reviews.to_string(),
            f(i.protection),
            f(i.performance),
            f(i.usability),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| ctx.err(AppError::Internal(e.to_string())))?;
    Ok(document("text/csv; charset=utf-8", "attachment", "product-map.csv", bytes))
}

struct MapGroupView {
    category: &'static str,
    subcategory: &'static str,
    products: Vec<MapProductView>,
}

struct MapProductView {
    id: i64,
    name: String,
    vendor: String,
    status: &'static str,
    status_label: &'static str,
    labels: String,
    reviews: i64,
    scores: String,
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    nav: Nav,
    groups: Vec<MapGroupView>,
    total: usize,
    truncated: bool,
    p: MapParams,
    categories: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    query: String,
    error: String,
}

/// The public product map (国産製品マップ).
pub async fn map(ctx: Ctx, State(s): State<AppState>, Query(p): Query<MapParams>) -> Result<Response, WebError> {
    let t = ctx.t;
    let (m, error) = match p.query() {
        Ok(q) => (s.app.verification().product_map(&q).await.map_err(|e| ctx.err(e))?, String::new()),
        Err(AppError::Invalid(errs)) => (
            ProductMap { groups: Vec::new(), total: 0, truncated: false },
            errs.first().map(|e| t.s(&e.ja, &e.en).to_string()).unwrap_or_default(),
        ),
        Err(e) => return Err(ctx.err(e)),
    };
    let groups = m
        .groups
        .iter()
        .map(|g| MapGroupView {
            category: g.category.label(t.en),
            subcategory: subcategory_label(g.subcategory, t.en).unwrap_or(t.s("その他", "Other")),
            products: g
                .products
                .iter()
                .map(|x| MapProductView {
                    id: x.id,
                    name: if t.en && !x.name_en.is_empty() { x.name_en.clone() } else { x.name.clone() },
                    vendor: x.vendor.clone(),
                    status: x.status.code(),
                    status_label: x.status.label(t.en),
                    labels: x.labels.iter().map(|l| super::labels::level_name(l, t.en)).collect::<Vec<_>>().join(", "),
                    reviews: x.scores.as_ref().map(|s| s.count).unwrap_or(0),
                    scores: x
                        .scores
                        .as_ref()
                        .map(|s| {
                            format!(
                                "{} {:.1} / {} {:.1} / {} {:.1}",
                                t.s("防御", "Protection"),
                                s.protection,
                                t.s("軽さ", "Performance"),
                                s.performance,
                                t.s("使いやすさ", "Usability"),
                                s.usability
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let query =
        serde_html_form::to_string([("category", &p.category), ("status", &p.status), ("labelled", &p.labelled)])
            .unwrap_or_default();
    let mut res = render(&MapPage {
        nav: Nav::new(&ctx, "国産製品マップ", "Product map", "products"),
        groups,
        total: m.total,
        truncated: m.truncated,
        categories: ProductCategory::ALL.iter().map(|c| (c.code(), c.label(t.en))).collect(),
        statuses: VerificationStatus::ALL.iter().map(|c| (c.code(), c.label(t.en))).collect(),
        query,
        error: error.clone(),
        p,
    });
    if !error.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}
