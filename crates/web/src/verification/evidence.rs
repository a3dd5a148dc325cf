//! Evidence of verification cases over HTTP: the upload (a multipart form or API request whose
//! file is streamed to the file store, never held in memory, so captures up to the configured
//! 2 GiB are taken), downloads, the capture analyser's HTML report, the retry of a failed
//! analysis, and the JSON list of a case's evidence with what the engines found.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::verification::case::{CaseId, EvidenceKind};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::Ctx;
use crate::forms::{CsrfOnly, decode};
use app::AppError;
use app::blobs::{BlobSource, StagedBlob};
use app::verification::evidence::EvidenceView;

/// What the evidence form carried besides the file (kept for the page shown again on a mistake).
#[derive(Debug, Default, Clone)]
pub struct EvidenceForm {
    pub kind: String,
    pub devices: String,
    pub version: String,
}

struct Upload {
    form: EvidenceForm,
    csrf: String,
    file: Option<(String, String, Staged)>,
}

/// An upload in the file store, removed again unless kept: whatever ends the request early (an
/// error, a refusal, the client gone while the use case runs) leaves nothing behind. Removal
/// checks the database, so a capture a committed row keeps is never removed.
struct Staged {
    app: app::App,
    blob: Option<StagedBlob>,
}

impl Staged {
    fn blob(&self) -> &StagedBlob {
        self.blob.as_ref().expect("staged upload present until dropped")
    }
    /// Kept: a stored row refers to it.
    fn keep(mut self) {
        self.blob.take();
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(b) = self.blob.take() {
            let app = self.app.clone();
            tokio::spawn(async move { app.verification().discard_upload(&b).await });
        }
    }
}

/// Longest text part of the form (the addresses, the version, the token).
const TEXT_PART_MAX: usize = 64 * 1024;

fn read_error(ctx: &Ctx, s: &AppState, e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ctx.err(AppError::TooLarge { limit: s.app.config.max_capture_bytes as usize })
    } else {
        ctx.err(AppError::field("file", "アップロードを読み取れませんでした", "The upload could not be read"))
    }
}

/// Reads the form: text parts, then the file streamed to the file store. The write is checked
/// (CSRF, login) before the first byte of the file is stored; the limit is the capture limit
/// unless the form said the file is an SBOM or a document.
async fn read_upload(
    ctx: &Ctx,
    s: &AppState,
    id: CaseId,
    headers: &HeaderMap,
    mut mp: Multipart,
) -> Result<Upload, WebError> {
    let header_csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut up = Upload { form: EvidenceForm::default(), csrf: header_csrf.unwrap_or_default(), file: None };
    while let Some(mut field) = mp.next_field().await.map_err(|e| read_error(ctx, s, e))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if up.file.is_some() {
                return Err(ctx.err(AppError::field(
                    "file",
                    "ファイルは1つずつ送ってください",
                    "Send one file per request",
                )));
            }
            // the writer, its right to add evidence to this case, before a byte is stored
            let a = ctx.check_write(Some(&up.csrf))?;
            s.app.verification().check_evidence_upload(a, id).await.map_err(|e| ctx.err(e))?;
            let cfg = &s.app.config;
            let limit = match EvidenceKind::parse(up.form.kind.trim()) {
                Some(EvidenceKind::Sbom | EvidenceKind::Document) => cfg.max_upload_bytes as u64,
                _ => cfg.max_capture_bytes,
            };
            let filename = field.file_name().unwrap_or("evidence").to_string();
            let content_type = field.content_type().unwrap_or("").to_string();
            let mut w = s.app.blob_writer(limit).await.map_err(|e| ctx.err(e))?;
            while let Some(chunk) = field.chunk().await.map_err(|e| read_error(ctx, s, e))? {
                w.write(&chunk).await.map_err(|e| ctx.err(e))?;
            }
            if w.size() > 0 {
                let blob = w.finish().await.map_err(|e| ctx.err(e))?;
                up.file = Some((filename, content_type, Staged { app: s.app.clone(), blob: Some(blob) }));
            }
        } else {
            // text parts are small: read in chunks, refused past the bound
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| read_error(ctx, s, e))? {
                if text.len() + chunk.len() > TEXT_PART_MAX {
                    return Err(ctx.err(AppError::field(name_field(&name), "入力が長すぎます", "Too long")));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8_lossy(&text).into_owned();
            match name.as_str() {
                "csrf" => up.csrf = text,
                "kind" => up.form.kind = text,
                "devices" => up.form.devices = text,
                "version" => up.form.version = text,
                _ => {}
            }
        }
    }
    Ok(up)
}

/// The form field a text part is, for its message.
fn name_field(name: &str) -> &'static str {
    match name {
        "kind" => "kind",
        "devices" => "devices",
        "version" => "version",
        _ => "form",
    }
}

fn multipart_or_415(ctx: &Ctx, mp: Result<Multipart, MultipartRejection>) -> Result<Multipart, WebError> {
    mp.map_err(|_| {
        ctx.err(AppError::UnsupportedMedia).with_detail(
            "証拠は multipart/form-data（file パート）で送ってください",
            "Send evidence as multipart/form-data with a file part",
        )
    })
}

/// Refuses at once a body whose declared length is over the capture limit.
fn check_length(ctx: &Ctx, s: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > s.app.config.max_capture_bytes + 1024 * 1024) {
        return Err(ctx.err(AppError::TooLarge { limit: s.app.config.max_capture_bytes as usize }));
    }
    Ok(())
}

fn kind_of(form: &EvidenceForm) -> Result<Option<EvidenceKind>, AppError> {
    match form.kind.trim() {
        "" | "auto" => Ok(None),
        k => EvidenceKind::parse(k).map(Some).ok_or_else(|| {
            AppError::field("kind", "種類は sbom・capture・document のいずれかです", "Kind: sbom, capture or document")
        }),
    }
}

/// An upload read and checked: the writer (CSRF or token), the form, and its kind (a bad kind
/// removes the file already streamed to the file store).
async fn checked_upload<'a>(
    ctx: &'a Ctx,
    s: &AppState,
    id: CaseId,
    headers: &HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(&'a app::Actor, Upload, Result<Option<EvidenceKind>, AppError>), WebError> {
    ctx.require()?;
    check_length(ctx, s, headers)?;
    let mp = multipart_or_415(ctx, mp)?;
    let up = read_upload(ctx, s, id, headers, mp).await?;
    let a = ctx.check_write(Some(&up.csrf))?;
    let kind = kind_of(&up.form);
    Ok((a, up, kind))
}

fn not_capture(ctx: &Ctx, e: AppError) -> WebError {
    match e {
        AppError::UnsupportedMedia => ctx.err(e).with_detail(
            "通信キャプチャ（pcap・pcapng、gzip 圧縮可）ではありません",
            "Not a network capture (pcap or pcapng, plain or gzip)",
        ),
        e => ctx.err(e),
    }
}

/// Evidence from the case page's form: on success back to the case; a mistake shows the page
/// again with the message and what was typed.
pub async fn upload(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let (a, up, kind) = checked_upload(&ctx, &s, id, &headers, mp).await?;
    let v = s.app.verification();
    let result = match (kind, up.file) {
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(AppError::field("file", "ファイルを選択してください", "Choose a file")),
        (Ok(kind), Some((name, ct, staged))) => {
            let r = v.add_evidence(a, id, kind, &name, &ct, staged.blob(), &up.form.devices, &up.form.version).await;
            if r.is_ok() {
                staged.keep();
            }
            r
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{}?done=evidence#evidence", id.0)).into_response()),
        Err(AppError::Invalid(errs)) => {
            let d = v.case_detail(Some(a), id).await.map_err(|e| ctx.err(e))?;
            let mut page = super::cases::case_page(&ctx, d, None, Default::default(), &[]);
            page.ev_errors = crate::views::FieldErrors::new(ctx.t, &errs);
            page.evf = up.form;
            page.ev = super::cases::evidence_view(&ctx, &s, id).await?;
            let mut res = crate::views::render(&page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(not_capture(&ctx, e)),
    }
}

/// Evidence accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceAcceptedBody {
    pub id: i64,
    /// sbom | capture | firmware | document
    pub kind: String,
    /// The analysis job (`GET /api/v1/jobs/{id}`), for SBOMs and captures.
    pub job_id: Option<i64>,
}

/// Multipart parts of an evidence upload.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct EvidenceUpload {
    /// sbom | capture | document; empty: told by the content.
    pub kind: Option<String>,
    /// IP or MAC addresses of the device under test (captures; default: the case plan's).
    pub devices: Option<String>,
    /// The version an SBOM describes (default: the case's, else the product's newest).
    pub version: Option<String>,
    /// The file (captures up to the configured limit, 2 GiB by default; others up to the upload limit).
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    pub file: String,
}

/// Add evidence to a case (vendor or body, from the request until testing ends): SBOMs and
/// lockfiles are scanned into the version's findings, captures analysed for the case's devices.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "verification", params(("id" = i64, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses((status = 202, body = EvidenceAcceptedBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn api_upload(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<CaseId>,
    headers: HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let (a, up, kind) = checked_upload(&ctx, &s, id, &headers, mp).await?;
    let v = s.app.verification();
    let kind = kind.map_err(|e| ctx.err(e))?;
    let Some((name, ct, staged)) = up.file else {
        return Err(ctx.err(AppError::field("file", "file パートがありません", "The multipart body has no file part")));
    };
    let added = v
        .add_evidence(a, id, kind, &name, &ct, staged.blob(), &up.form.devices, &up.form.version)
        .await
        .map_err(|e| not_capture(&ctx, e))?;
    staged.keep();
    Ok((
        StatusCode::ACCEPTED,
        Json(EvidenceAcceptedBody { id: added.id, kind: added.kind.code().into(), job_id: added.job }),
    )
        .into_response())
}

/// A capture finding in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureFindingBody {
    pub evidence_id: i64,
    pub kind: String,
    pub protocol: String,
    pub severity: String,
    pub src: String,
    pub dst: String,
    /// Packet numbers (1-based, as Wireshark counts).
    pub packets: Vec<u64>,
    /// First evidence packet's capture time (RFC 3339).
    pub first_seen: String,
    pub detail: String,
}

/// An evidence file in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceBody {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub devices: Vec<String>,
    /// queued | running | done | failed; absent for documents.
    pub analysis: Option<String>,
    pub progress_percent: Option<u8>,
    pub error: Option<String>,
    /// Where a truncated capture's reading stopped.
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub report: Option<String>,
}

/// A case's evidence and what the engines found in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseEvidenceBody {
    pub items: Vec<EvidenceBody>,
    /// What the engines found in the case's captures and firmware images (protocol `firmware`:
    /// `src` is the file in the image, `dst` the service, account or key fingerprint).
    pub capture_findings: Vec<CaptureFindingBody>,
}

pub fn evidence_body(case: i64, e: &EvidenceView) -> EvidenceBody {
    EvidenceBody {
        id: e.row.id,
        kind: e.row.kind.clone(),
        filename: e.row.filename.clone(),
        size: e.row.size,
        sha256: e.row.sha256.clone(),
        devices: e.row.devices.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect(),
        analysis: e.row.analysis_state.clone(),
        progress_percent: e.progress,
        error: e.row.analysis_error.clone(),
        note: Some(e.row.note.clone()).filter(|n| !n.is_empty()),
        summary: e.summary.clone(),
        report: e.row.report_sha256.as_ref().map(|_| format!("/cases/{case}/evidence/{}/report", e.row.id)),
    }
}

/// A case's evidence files with their analyses, and the capture findings (those involved only).
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "verification", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = CaseEvidenceBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_list(ctx: Ctx, State(s): State<AppState>, Path(id): Path<CaseId>) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let ev = s.app.verification().case_evidence(Some(a), id).await.map_err(|e| ctx.err(e))?;
    // the public may know a published case, not its evidence
    if !ev.involved {
        return Err(ctx.err(AppError::NotFound));
    }
    Ok(Json(CaseEvidenceBody {
        items: ev.files.iter().map(|e| evidence_body(id.0, e)).collect(),
        capture_findings: ev
            .capture_findings
            .iter()
            .map(|f| CaptureFindingBody {
                evidence_id: f.evidence_id,
                kind: f.kind.clone(),
                protocol: f.protocol.clone(),
                severity: f.severity.clone(),
                src: f.src.clone(),
                dst: f.dst.clone(),
                packets: f.packets.split(',').filter_map(|p| p.parse().ok()).collect(),
                first_seen: rfc3339_ms(f.first_seen_ms),
                detail: f.detail.clone(),
            })
            .collect(),
    })
    .into_response())
}

pub fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Downloads an evidence file (those involved only), streamed from the file store.
pub async fn download(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, eid)): Path<(CaseId, i64)>,
) -> Result<Response, WebError> {
    let (e, source) = s.app.verification().evidence(ctx.actor(), id, eid).await.map_err(|e| ctx.err(e))?;
    let body = match source {
        BlobSource::Bytes(b) => Body::from(b),
        BlobSource::File(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(|err| {
                tracing::error!(path = %path.display(), error = %err, "file store: evidence file missing");
                ctx.err(AppError::Unavailable)
            })?;
            Body::from_stream(futures_util::stream::unfold(file, |mut f| async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 256 * 1024];
                match f.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok::<_, std::io::Error>(Bytes::from(buf)), f))
                    }
                    Err(e) => Some((Err(e), f)),
                }
            }))
        }
    };
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&e.row.size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    let disposition = format!("attachment; filename*=UTF-8''{}", crate::error::urlencode(&e.row.filename));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

/// The capture analyser's HTML report of an evidence file, sandboxed (no script, no requests).
pub async fn report(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, eid)): Path<(CaseId, i64)>,
) -> Result<Response, WebError> {
    let html = s.app.verification().evidence_report(ctx.actor(), id, eid).await.map_err(|e| ctx.err(e))?;
    let mut res = Response::new(Body::from(html));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

/// The retry button of a failed analysis.
pub async fn retry(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, eid)): Path<(CaseId, i64)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.verification().retry_evidence(a, id, eid).await.map_err(|e| ctx.err(e))?;
    Ok(Redirect::to(&format!("/cases/{}?done=evidence_retry#evidence", id.0)).into_response())
}
