//! The program office's priority queue for white-hat verification: the weights, the ranked
//! candidates with each score explained, and the four attributes per product.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::verification::ProductId;
use domain::verification::priority::{PriorityAttrs, PriorityWeights};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::Ctx;
use crate::forms::decode;
use crate::kit::flash::{DoneParam, done_message, see_other};
use crate::views::{Nav, render};
use app::verification::priority::Candidate;

pub struct Row {
    pub rank: usize,
    pub id: i64,
    pub name: String,
    pub vendor: String,
    pub category: &'static str,
    pub score: u32,
    /// (label, level, weight, points)
    pub parts: Vec<(&'static str, u8, u8, u32)>,
    pub attrs: PriorityAttrs,
}

#[derive(Template)]
#[template(path = "priorities.html")]
struct PrioritiesPage {
    nav: Nav,
    flash: Option<&'static str>,
    w: PriorityWeights,
    rows: Vec<Row>,
}

fn rows(t: crate::extract::T, list: &[Candidate]) -> Vec<Row> {
    list.iter()
        .enumerate()
        .map(|(i, c)| Row {
            rank: i + 1,
            id: c.product_id,
            name: c.name.clone(),
            vendor: c.vendor.clone(),
            category: domain::verification::ProductCategory::parse(&c.category).map(|x| x.label(t.en)).unwrap_or(""),
            score: c.score,
            parts: c.parts.iter().map(|p| (t.s(p.label_ja, p.label_en), p.level, p.weight, p.points)).collect(),
            attrs: c.attrs,
        })
        .collect()
}

/// The office's page: weights, and the ranked candidates with explanations.
pub async fn page(ctx: Ctx, State(s): State<AppState>, Query(d): Query<DoneParam>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let (w, list) = s.app.verification().priority_queue(a).await.map_err(|e| ctx.err(e))?;
    Ok(render(&PrioritiesPage {
        nav: Nav::new(&ctx, "検証対象の優先順位", "Verification priorities", "priorities"),
        flash: done_message(ctx.t, &d.done),
        rows: rows(ctx.t, &list),
        w,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct WeightsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub data: u8,
    #[serde(default)]
    pub physical: u8,
    #[serde(default)]
    pub connectivity: u8,
    #[serde(default)]
    pub investment: u8,
    #[serde(default)]
    pub findings: u8,
}

pub async fn set_weights(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: WeightsForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let w = PriorityWeights {
        data: f.data,
        physical: f.physical,
        connectivity: f.connectivity,
        investment: f.investment,
        findings: f.findings,
    };
    s.app.verification().set_priority_weights(Some(a), w).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/admin/priorities", "saved"))
}

#[derive(Debug, Default, Deserialize)]
pub struct AttrsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub data: u8,
    #[serde(default)]
    pub physical: u8,
    #[serde(default)]
    pub connectivity: u8,
    #[serde(default)]
    pub investment: u8,
}

pub async fn set_attrs(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ProductId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: AttrsForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let attrs =
        PriorityAttrs { data: f.data, physical: f.physical, connectivity: f.connectivity, investment: f.investment };
    s.app.verification().set_priority_attrs(Some(a), id, attrs).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/admin/priorities", "saved"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityPartBody {
    /// data | physical | connectivity | investment | findings
    pub signal: String,
    /// 0–3
    pub level: u8,
    pub weight: u8,
    pub points: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityItemBody {
    pub rank: usize,
    pub product_id: i64,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub score: u32,
    /// Largest part first.
    pub explanation: Vec<PriorityPartBody>,
}

/// The office's ranked queue of candidates for white-hat verification, each score explained.
#[utoipa::path(get, path = "/api/v1/priorities", tag = "verification", security(("bearer" = [])),
    responses((status = 200, body = Vec<PriorityItemBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api(ctx: Ctx, State(s): State<AppState>) -> Result<Json<Vec<PriorityItemBody>>, WebError> {
    let a = ctx.require()?;
    let (_, list) = s.app.verification().priority_queue(a).await.map_err(|e| ctx.err(e))?;
    Ok(Json(
        list.iter()
            .enumerate()
            .map(|(i, c)| PriorityItemBody {
                rank: i + 1,
                product_id: c.product_id,
                name: c.name.clone(),
                vendor: c.vendor.clone(),
                category: c.category.clone(),
                score: c.score,
                explanation: c
                    .parts
                    .iter()
                    .map(|p| PriorityPartBody {
                        signal: p.code.into(),
                        level: p.level,
                        weight: p.weight,
                        points: p.points,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
