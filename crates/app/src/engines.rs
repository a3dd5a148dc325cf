//! The engines as the platform runs them: a stored file that is an SBOM (or lockfile) or a
//! network capture gets an analysis row and an `engines.analyze` job in the transaction that
//! stores it; the job runs the vulnerability engine (with the advisory index from
//! configuration) or the capture analyser off the async runtime and keeps a summary the pages
//! show. Any program can ask for an analysis of its files with [`request_analysis`].

use std::sync::Arc;

use serde_json::json;
use store::{ClaimedJob, NewJob, Tx};

use crate::jobs::{Done, JobKinds, JobResult};
use crate::{App, Result};

pub const ANALYZE_JOB: &str = "engines.analyze";

/// Which engine reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// CycloneDX, SPDX or a lockfile: components matched against the advisory index.
    Sbom,
    /// pcap or pcapng (plain or gzip): the device traffic analyser.
    Capture,
    /// A device firmware image: the firmware engine.
    Firmware,
}

impl Engine {
    pub fn code(self) -> &'static str {
        match self {
            Engine::Sbom => "sbom",
            Engine::Capture => "capture",
            Engine::Firmware => "firmware",
        }
    }
}

/// Which engine, if any, reads this file (by content, not by name).
pub fn detect(data: &[u8]) -> Option<Engine> {
    const PCAP: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    if data.len() >= 24 && PCAP.iter().any(|m| data.starts_with(m)) {
        return Some(Engine::Capture);
    }
    match sbom::parse(data) {
        Ok(doc) if !doc.components.is_empty() => Some(Engine::Sbom),
        _ => None,
    }
}

/// Why an SBOM or lockfile cannot be read (the reader's message), checked before it is stored.
pub fn check_sbom(data: &[u8]) -> std::result::Result<(), String> {
    match sbom::parse(data) {
        Ok(doc) if doc.components.is_empty() => Err(format!("{}: no components", doc.format)),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// An uploaded file's name as stored: one line, no path, at most 200 characters.
pub fn clean_filename(name: &str, fallback: &str) -> String {
    let f: String = domain::text::clean_line(name).chars().filter(|c| !matches!(c, '/' | '\\')).take(200).collect();
    if f.trim().is_empty() { fallback.to_string() } else { f }
}

/// Records an analysis of a stored file and enqueues the job that runs it, in `tx`. Returns the
/// analysis and the job.
pub async fn request_analysis(
    tx: &mut Tx,
    subject_kind: &str,
    subject_id: i64,
    sha256: &str,
    engine: Engine,
    now: i64,
) -> Result<(i64, store::JobId)> {
    let id = tx.insert_analysis(subject_kind, subject_id, sha256, engine.code(), now).await?;
    let job = NewJob::new(ANALYZE_JOB, json!({"analysis_id": id}).to_string(), now * 1000)
        .key(format!("analysis:{id}"))
        .max_attempts(3);
    let job = tx.enqueue(&job, now * 1000).await?;
    Ok((id, job))
}

pub(crate) fn register(k: &mut JobKinds) {
    k.register(ANALYZE_JOB, analyze);
}

/// The advisory index, opened once and shared by every concurrent scan; opened again when an
/// import has rewritten it (its `meta.json` changed), so a serving process scans with the
/// advisories imported after it started.
impl App {
    pub(crate) fn advisories(&self) -> std::result::Result<Option<Arc<vulndb::db::Index>>, String> {
        let Some(dir) = &self.config.advisory_db else { return Ok(None) };
        let stamp = std::fs::metadata(dir.join("meta.json")).and_then(|m| m.modified()).ok();
        let mut cached = self.advisory_index.lock().map_err(|_| "advisory index lock poisoned".to_string())?;
        if let (Some((at, index)), Some(now)) = (cached.as_ref(), stamp)
            && *at == now
        {
            return Ok(Some(index.clone()));
        }
        let index = Arc::new(vulndb::db::Index::open(dir).map_err(|e| e.to_string())?);
        if let Some(at) = stamp {
            *cached = Some((at, index.clone()));
        }
        Ok(Some(index))
    }
}

async fn analyze(app: App, job: ClaimedJob) -> JobResult {
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let id = p.get("analysis_id").and_then(|v| v.as_i64()).ok_or("payload has no analysis_id")?;
    let row = app.store.analysis(id).await.map_err(|e| e.to_string())?;
    if row.state == "done" {
        return Ok(Done::Ok);
    }
    let evidence = row.subject_kind == crate::verification::EVIDENCE_SUBJECT;
    let prepared = async {
        let source =
            app.blob_source(&row.blob_sha256).await.map_err(|e| format!("the stored file cannot be read: {e}"))?;
        if let crate::blobs::BlobSource::File(path) = &source
            && let Err(e) = std::fs::metadata(path)
        {
            return Err(format!("the file store has no {} ({e})", row.blob_sha256));
        }
        let index = if row.engine == "sbom" { app.advisories()? } else { None };
        // a case's capture is analysed for the devices the case names
        let devices = if evidence {
            let e = app.store.evidence_file(row.subject_id).await.map_err(|e| e.to_string())?;
            e.devices.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect()
        } else {
            Vec::new()
        };
        Ok::<_, String>((source, index, devices))
    };
    let (source, index, devices) = match prepared.await {
        Ok(p) => p,
        Err(e) => {
            // On the last attempt the analysis says why instead of staying queued.
            if job.attempt >= job.max_attempts {
                let _ = app.store.finish_analysis(id, "failed", "{}", Some(&e), app.now()).await;
            }
            return Err(e);
        }
    };
    let engine = row.engine.clone();
    let started = std::time::Instant::now();
    // a capture's progress (bytes read) is written to the analysis every second
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let _ticker = (engine == "capture").then(|| {
        let (app, progress) = (app.clone(), progress.clone());
        AbortOnDrop(tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            every.tick().await;
            loop {
                every.tick().await;
                let read = progress.load(std::sync::atomic::Ordering::Relaxed);
                let _ = app.store.analysis_progress(id, &json!({"read_bytes": read}).to_string()).await;
            }
        }))
    });
    let outcome = tokio::task::spawn_blocking(move || match engine.as_str() {
        "sbom" => match source {
            crate::blobs::BlobSource::Bytes(data) => scan_sbom(&data, index.as_deref()).map(Ran::Sbom),
            crate::blobs::BlobSource::File(path) => std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|data| scan_sbom(&data, index.as_deref()))
                .map(Ran::Sbom),
        },
        "capture" => analyze_capture(source, devices, progress).map(|r| Ran::Capture(Box::new(r))),
        "firmware" => analyze_firmware(source).map(|r| Ran::Firmware(Box::new(r))),
        other => Err(format!("unknown engine {other:?}")),
    })
    .await;
    drop(_ticker);
    let outcome = outcome.map_err(|e| format!("the engine stopped: {e}"))?;
    tracing::debug!(analysis = id, engine = %row.engine, ms = started.elapsed().as_millis() as u64, "engine ran");
    let now = app.now();
    match outcome {
        // A product's SBOM: the verification program keeps its components and findings with
        // the analysis' result, in one transaction.
        Ok(Ran::Sbom((summary, Some(scan)))) if row.subject_kind == crate::verification::FILE_SUBJECT => app
            .verification()
            .record_scan(&row, summary, &scan.components, &scan.findings)
            .await
            .map_err(|e| e.to_string()),
        Ok(Ran::Sbom((summary, _))) => {
            app.store.finish_analysis(id, "done", &summary.to_string(), None, now).await.map_err(|e| e.to_string())
        }
        // A case's capture: its findings and the engine's HTML report are kept with the case.
        Ok(Ran::Capture(report)) if evidence => {
            app.verification().record_capture(&row, &report).await.map_err(|e| e.to_string())
        }
        Ok(Ran::Capture(report)) => app
            .store
            .finish_analysis(id, "done", &capture_summary(&report).to_string(), None, now)
            .await
            .map_err(|e| e.to_string()),
        // A case's firmware image: its findings and its SBOM (scanned next) go to the case.
        Ok(Ran::Firmware(report)) if evidence => {
            app.verification().record_firmware(&row, &report).await.map_err(|e| e.to_string())
        }
        Ok(Ran::Firmware(report)) => app
            .store
            .finish_analysis(id, "done", &firmware_summary(&report).to_string(), None, now)
            .await
            .map_err(|e| e.to_string()),
        // The file itself cannot be read: that is the analysis' result, not a reason to retry.
        Err(e) => app.store.finish_analysis(id, "failed", "{}", Some(&e), now).await.map_err(|e| e.to_string()),
    }?;
    Ok(Done::Ok)
}

/// A task stopped when its owner goes (the job finished, or its future was dropped).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What an engine gave.
enum Ran {
    Sbom(Outcome),
    Capture(Box<netcap::Report>),
    Firmware(Box<firmware::Report>),
}

/// The largest firmware image the engine reads (it unpacks in memory).
pub const FIRMWARE_MAX_BYTES: u64 = 512 << 20;

fn analyze_firmware(source: crate::blobs::BlobSource) -> std::result::Result<firmware::Report, String> {
    let data = match source {
        crate::blobs::BlobSource::Bytes(d) => d,
        crate::blobs::BlobSource::File(path) => {
            let len = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
            if len > FIRMWARE_MAX_BYTES {
                return Err(format!("the image is {} MiB; the firmware engine reads up to 512 MiB", len >> 20));
            }
            std::fs::read(&path).map_err(|e| e.to_string())?
        }
    };
    // a job holds what it unpacks in memory: at most 1 GiB, whatever the image's size
    let limits = firmware::Limits {
        max_total_bytes: (data.len() as u64).saturating_mul(4).clamp(64 << 20, 1 << 30),
        ..Default::default()
    };
    Ok(firmware::analyze("image", &data, &limits))
}

/// What a firmware analysis found, in numbers (the evidence list shows it).
pub fn firmware_summary(r: &firmware::Report) -> serde_json::Value {
    json!({
        "parts": r.parts.len(),
        "files": r.files,
        "os": r.os,
        "components": r.components.len(),
        "findings": r.findings.len(),
    })
}

/// What an SBOM scan found, for the program that keeps it.
struct Scan {
    components: Vec<sbom::Component>,
    findings: Vec<vulndb::matcher::Finding>,
}

type Outcome = (serde_json::Value, Option<Scan>);

fn scan_sbom(data: &[u8], index: Option<&vulndb::db::Index>) -> std::result::Result<Outcome, String> {
    let doc = sbom::parse(data).map_err(|e| e.to_string())?;
    let Some(index) = index else {
        let summary = json!({"format": doc.format, "components": doc.components.len(), "index": false});
        return Ok((summary, Some(Scan { components: doc.components, findings: Vec::new() })));
    };
    let report = vulndb::matcher::scan(index, &doc.components).map_err(|e| e.to_string())?;
    let mut by_severity = std::collections::BTreeMap::<String, usize>::new();
    for f in &report.findings {
        *by_severity.entry(f.severity.name().to_string()).or_default() += 1;
    }
    let mut top: Vec<&vulndb::matcher::Finding> = report.findings.iter().collect();
    top.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let summary = json!({
        "format": doc.format,
        "components": doc.components.len(),
        "index": true,
        "findings": report.findings.len(),
        "by_severity": by_severity,
        "unsupported": report.unsupported,
        "not_matched": report.not_matched,
        "top": top.iter().take(10).map(|f| json!({
            "id": f.id, "package": f.package.name, "version": f.package.version,
            "severity": f.severity.name(), "fixed": f.fixed,
        })).collect::<Vec<_>>(),
    });
    Ok((summary, Some(Scan { components: doc.components, findings: report.findings })))
}

/// Runs the capture analyser on a stored capture, streaming from the file store (memory stays
/// bounded whatever the capture's size).
fn analyze_capture(
    source: crate::blobs::BlobSource,
    devices: Vec<String>,
    progress: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::result::Result<netcap::Report, String> {
    let opts = netcap::Options { devices, progress: Some(progress), ..netcap::Options::default() };
    match source {
        crate::blobs::BlobSource::File(path) => {
            let file = std::fs::File::open(&path).map_err(|e| format!("the capture cannot be opened: {e}"))?;
            netcap::analyze_reader(Box::new(std::io::BufReader::with_capacity(1 << 20, file)), "evidence", &opts)
        }
        crate::blobs::BlobSource::Bytes(data) => {
            netcap::analyze_reader(Box::new(std::io::Cursor::new(data)), "evidence", &opts)
        }
    }
    .map_err(|e| e.to_string())
}

/// A capture analysis in a few numbers (and its ten first findings), for pages and APIs.
pub fn capture_summary(r: &netcap::Report) -> serde_json::Value {
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    for f in &r.findings {
        *by_kind.entry(f.kind.to_string()).or_default() += 1;
    }
    json!({
        "packets": r.packets,
        "bytes": r.bytes,
        "findings": r.findings.len(),
        "by_kind": by_kind,
        "stopped": r.stopped,
        "top": r.findings.iter().take(10).map(|f| json!({
            "kind": f.kind.to_string(), "severity": f.severity.to_string(), "protocol": f.protocol.to_string(),
            "detail": f.detail.to_string(),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"serde","version":"1.0.0","purl":"pkg:cargo/serde@1.0.0"}]}"#;
        assert_eq!(detect(cdx), Some(Engine::Sbom));
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        pcap.resize(24, 0);
        assert_eq!(detect(&pcap), Some(Engine::Capture));
        assert_eq!(detect(b"%PDF-1.7 quality manual"), None);
        assert_eq!(detect("品質マニュアル 第2版\n手順は次のとおり".as_bytes()), None);
    }
}
