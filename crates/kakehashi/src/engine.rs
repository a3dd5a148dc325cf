//! The engine commands (`osv import`, `scan`): thin wrappers over the `sbom` and `vulndb` crates.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use vulndb::cvss::Level;

use crate::CliError;

/// Builds or updates the index; returns the import's report (for the platform's re-check).
pub fn osv_import(db: &Path, sources: &[PathBuf]) -> Result<vulndb::db::ImportReport, CliError> {
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let n = sources.len();
    let index = std::cell::Cell::new(0usize);
    let last = std::cell::RefCell::new(String::new());
    // a progress bar per source on a terminal: [2/12] golang-vulndb.zip [#######-------] 2000/4291
    let progress = |src: &str, done: usize, total: usize| {
        if *last.borrow() != src {
            index.set(index.get() + 1);
            *last.borrow_mut() = src.to_string();
        }
        if tty {
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            let name = Path::new(src).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
            eprint!(
                "\r[{}/{n}] {name} [{}{}] {done}/{total}\x1b[K",
                index.get(),
                "#".repeat(filled),
                "-".repeat(width - filled)
            );
        }
    };
    let r = vulndb::db::import(db, sources, &progress).map_err(|e| CliError::new(2, e.to_string()))?;
    if tty {
        eprintln!();
    }
    for (file, why) in r.problems.iter().take(20) {
        eprintln!("warning: {file}: {why}");
    }
    if r.problems.len() > 20 {
        eprintln!("warning: {} more records could not be read", r.problems.len() - 20);
    }
    println!(
        "added {}, changed {}, withdrawn {}, unchanged {}; {} advisories in {} ({:.1} s)",
        r.added,
        r.changed,
        r.withdrawn,
        r.unchanged,
        r.total,
        db.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(r)
}

pub fn scan(
    db: &Path,
    format: &str,
    fail_on: &str,
    vex: &[PathBuf],
    distro: Option<&str>,
    files: &[PathBuf],
) -> Result<u8, CliError> {
    let fail_level =
        Level::parse(fail_on).ok_or_else(|| CliError::new(2, format!("--fail-on: unknown level {fail_on:?}")))?;
    if !matches!(format, "table" | "json" | "sarif" | "cyclonedx-vex") {
        return Err(CliError::new(2, format!("--format {format}: use table, json, sarif or cyclonedx-vex")));
    }
    let mut statements = Vec::new();
    for v in vex {
        let b = std::fs::read(v).map_err(|e| CliError::new(2, format!("{}: {e}", v.display())))?;
        statements.extend(vulndb::vex::parse(&b).map_err(|e| CliError::new(2, format!("{}: {e}", v.display())))?);
    }
    let index = vulndb::db::Index::open(db).map_err(|e| CliError::new(2, e.to_string()))?;
    let mut components = Vec::new();
    let mut formats = Vec::new();
    for f in files {
        let mut doc = sbom::read(f).map_err(|e| CliError::new(2, e.to_string()))?;
        if let Some(d) = distro {
            doc = doc.assume_distro(d).map_err(|e| CliError::new(2, e.to_string()))?;
        }
        formats.push(serde_json::json!({"file": f.display().to_string(), "format": doc.format, "components": doc.components.len()}));
        components.extend(doc.components);
    }
    let mut report = vulndb::matcher::scan(&index, &components).map_err(|e| CliError::new(2, e.to_string()))?;
    let (kept, suppressed) = vulndb::vex::apply(std::mem::take(&mut report.findings), &statements);
    report.findings = kept;
    let uri = files.first().map(|f| f.display().to_string()).unwrap_or_default();
    match format {
        "json" => {
            let out = serde_json::json!({
                "components": components.len(),
                "documents": formats,
                "unsupported_components": report.unsupported,
                "not_matched": report.not_matched,
                "findings": report.findings,
                "suppressed": suppressed,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        "sarif" => println!(
            "{}",
            serde_json::to_string_pretty(&vulndb::report::sarif(&report.findings, &uri)).unwrap_or_default()
        ),
        "cyclonedx-vex" => println!(
            "{}",
            serde_json::to_string_pretty(&vulndb::report::cyclonedx_vex(&report.findings, &suppressed))
                .unwrap_or_default()
        ),
        _ => print!(
            "{}",
            vulndb::report::text(
                components.len(),
                &report.findings,
                &suppressed,
                report.unsupported,
                &report.not_matched
            )
        ),
    }
    Ok(if report.findings.iter().any(|f| f.severity >= fail_level) { 1 } else { 0 })
}

pub fn pcap(devices: &[String], format: &str, show_secrets: bool, files: &[PathBuf]) -> Result<u8, CliError> {
    if !matches!(format, "text" | "json" | "html") {
        return Err(CliError::new(2, format!("--format {format}: use text, json or html")));
    }
    let mut opts = netcap::Options { devices: devices.to_vec(), show_secrets, ..Default::default() };
    opts.validate().map_err(|e| CliError::new(2, e.to_string()))?;
    // a progress line on a terminal for long reads (every half second, from 2 s on)
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        opts.progress = Some(read.clone());
        let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_millis(500))
            {
                if start.elapsed().as_secs() >= 2 && total > 0 {
                    let n = read.load(std::sync::atomic::Ordering::Relaxed);
                    eprint!("\rreading captures: {} of {} MB ({}%)   ", n >> 20, total >> 20, n * 100 / total);
                }
            }
        })
    });
    let result = netcap::analyze_paths(files, &opts);
    drop(stop);
    if let Some(t) = progress {
        let _ = t.join();
        eprint!("\r\x1b[K");
    }
    let all = result.map_err(|e| CliError::new(2, e.to_string()))?;
    match format {
        "json" => {
            // streamed: the report is not built twice in memory
            let out = std::io::stdout();
            let mut w = std::io::BufWriter::new(out.lock());
            serde_json::to_writer(&mut w, &all).map_err(|e| CliError::new(2, e.to_string()))?;
            std::io::Write::write_all(&mut w, b"\n").map_err(|e| CliError::new(2, e.to_string()))?;
        }
        "html" => println!("{}", netcap::html(&all)),
        _ => print!("{}", netcap::text(&all)),
    }
    // The process ends right after this: freeing a large report piece by piece would only add
    // to the run time (a tenth of it on a 1 GB capture), so the memory goes back with the process.
    std::mem::forget(all);
    Ok(0)
}

/// `kakehashi firmware`: the image is read into memory (up to `max_mb`), unpacked in memory
/// (never onto the disk) and reported. Exit 0 with a report, 2 when the file cannot be read.
pub fn firmware(format: &str, max_mb: u64, image: &std::path::Path) -> Result<u8, CliError> {
    if !matches!(format, "text" | "json" | "html" | "cyclonedx") {
        return Err(CliError::new(2, format!("--format {format}: use text, json, html or cyclonedx")));
    }
    let max = max_mb.max(1).saturating_mul(1 << 20);
    let meta =
        std::fs::metadata(image).map_err(|e| CliError::new(2, format!("cannot read {}: {e}", image.display())))?;
    if !meta.is_file() {
        return Err(CliError::new(2, format!("{} is not a file", image.display())));
    }
    if meta.len() > max {
        return Err(CliError::new(
            2,
            format!("{} is {} MiB, over --max-mb {max_mb}", image.display(), meta.len() >> 20),
        ));
    }
    let data = std::fs::read(image).map_err(|e| CliError::new(2, format!("cannot read {}: {e}", image.display())))?;
    let name = image.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let limits = firmware::Limits { max_total_bytes: max.saturating_mul(4), ..Default::default() };
    let r = firmware::analyze(&name, &data, &limits);
    match format {
        "json" => println!("{}", firmware::output::json(&r)),
        "cyclonedx" => println!("{}", firmware::output::cyclonedx(&r)),
        "html" => println!("{}", firmware::output::html(&r)),
        _ => print!("{}", firmware::output::text(&r)),
    }
    Ok(0)
}

/// `kakehashi label verify`: everything offline; the exit code names the failure (see
/// `label::Failure::exit_code`).
pub fn label_verify(
    label_path: &std::path::Path,
    root_path: &std::path::Path,
    status: Option<&std::path::Path>,
    sbom: Option<&std::path::Path>,
    json: bool,
) -> Result<u8, CliError> {
    const MAX: u64 = 64 << 20;
    let read = |p: &std::path::Path| -> Result<Vec<u8>, CliError> {
        let meta = std::fs::metadata(p).map_err(|e| CliError::new(2, format!("cannot read {}: {e}", p.display())))?;
        if meta.len() > MAX {
            return Err(CliError::new(2, format!("{} is larger than 64 MiB", p.display())));
        }
        std::fs::read(p).map_err(|e| CliError::new(2, format!("cannot read {}: {e}", p.display())))
    };
    let bytes = read(label_path)?;
    let root = label::TrustRoot::parse(&read(root_path)?)
        .map_err(|e| CliError::new(2, format!("{}: {e}", root_path.display())))?;
    let status = status.map(read).transpose()?;
    let sbom = sbom.map(read).transpose()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match label::verify_label(&bytes, &root, status.as_deref(), sbom.as_deref(), now) {
        Ok(v) => {
            let c = &v.claim;
            if json {
                let out = serde_json::json!({
                    "valid": true,
                    "label": c.label_id,
                    "product": c.product,
                    "version": c.version,
                    "vendor": c.vendor,
                    "levels": c.levels,
                    "verifier": c.verifier_name,
                    "keyid": v.keyid,
                    "issued_at": label::rfc3339(c.issued_at),
                    "valid_until": label::rfc3339(c.valid_until),
                    "sbom_sha256": c.sbom_sha256,
                    "status": v.status.as_ref().map(|s| s.status.clone()),
                    "status_list_issued_at": v.status_issued_at,
                });
                println!("{out}");
            } else {
                println!("VALID: label {} — {} {} ({})", c.label_id, c.product, c.version, c.vendor);
                println!("  levels:      {}", c.levels.join(", "));
                println!("  verified by: {} (key {})", c.verifier_name, v.keyid);
                println!("  issued:      {}", label::rfc3339(c.issued_at));
                println!("  valid until: {}", label::rfc3339(c.valid_until));
                println!("  SBOM:        sha256 {}{}", c.sbom_sha256, if sbom.is_some() { " (matches)" } else { "" });
                match (&v.status, &v.status_issued_at) {
                    (Some(s), Some(at)) => println!("  status:      {} (status list of {at})", s.status),
                    _ => println!("  status:      not checked (give --status to check suspension and revocation)"),
                }
            }
            Ok(0)
        }
        Err(f) => {
            if json {
                println!("{}", serde_json::json!({ "valid": false, "code": f.exit_code(), "reason": f.to_string() }));
            }
            Err(CliError::new(f.exit_code() as u8, format!("NOT VALID: {f}")))
        }
    }
}
