//! The engine commands (`osv import`, `scan`): thin wrappers over the `sbom` and `vulndb` crates.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use vulndb::cvss::Level;

use crate::CliError;

pub fn osv_import(db: &Path, sources: &[PathBuf]) -> Result<u8, CliError> {
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
    let r = vulndb::db::import(db, sources, &progress).map_err(|e| CliError::new(2, e))?;
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
    Ok(0)
}

pub fn scan(db: &Path, format: &str, fail_on: &str, vex: &[PathBuf], files: &[PathBuf]) -> Result<u8, CliError> {
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
    let mut index = vulndb::db::Index::open(db).map_err(|e| CliError::new(2, e))?;
    let mut components = Vec::new();
    let mut formats = Vec::new();
    for f in files {
        let doc = sbom::read(f).map_err(|e| CliError::new(2, e.to_string()))?;
        formats.push(serde_json::json!({"file": f.display().to_string(), "format": doc.format, "components": doc.components.len()}));
        components.extend(doc.components);
    }
    let mut report = vulndb::matcher::scan(&mut index, &components).map_err(|e| CliError::new(2, e))?;
    let (kept, suppressed) = vulndb::vex::apply(std::mem::take(&mut report.findings), &statements);
    report.findings = kept;
    if format == "json" {
        let out = serde_json::json!({
            "components": components.len(),
            "documents": formats,
            "unsupported_components": report.unsupported,
            "findings": report.findings,
            "suppressed": suppressed,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else if format == "sarif" {
        println!("{}", serde_json::to_string_pretty(&sarif(&report.findings, files)).unwrap_or_default());
    } else if format == "cyclonedx-vex" {
        println!("{}", serde_json::to_string_pretty(&cdx_vex(&report.findings, &suppressed)).unwrap_or_default());
    } else {
        println!("{} components, {} findings", components.len(), report.findings.len());
        if !report.findings.is_empty() {
            println!("{:<9} {:<14} {:<24} {:<36} {:<14} FIXED", "SEVERITY", "KIND", "ID", "PACKAGE", "VERSION");
        }
        for f in &report.findings {
            println!(
                "{:<9} {:<14} {:<24} {:<36} {:<14} {}",
                f.severity.name(),
                f.kind,
                f.id,
                format!("{} ({})", f.package.name, f.package.ecosystem),
                f.package.version,
                f.fixed.join(", ")
            );
        }
        for x in &suppressed {
            println!(
                "suppressed by VEX: {} in {} {} ({})",
                x.finding.id, x.finding.package.name, x.finding.package.version, x.justification
            );
        }
        if report.unsupported > 0 {
            println!(
                "note: {} components are in ecosystems whose version order is not implemented yet",
                report.unsupported
            );
        }
    }
    Ok(if report.findings.iter().any(|f| f.severity >= fail_level) { 1 } else { 0 })
}

fn sarif(findings: &[vulndb::matcher::Finding], files: &[PathBuf]) -> serde_json::Value {
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in findings {
        if seen.insert(f.id.clone()) {
            rules.push(serde_json::json!({
                "id": f.id,
                "shortDescription": {"text": if f.summary.is_empty() { f.id.clone() } else { f.summary.clone() }},
                "properties": {"security-severity": f.score.map(|s| format!("{s:.1}")).unwrap_or_default(), "aliases": f.aliases},
            }));
        }
    }
    let uri = files.first().map(|f| f.display().to_string()).unwrap_or_default();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Level::Critical | Level::High => "error",
                Level::Medium => "warning",
                _ => "note",
            };
            serde_json::json!({
                "ruleId": f.id,
                "level": level,
                "message": {"text": format!("{} {} ({}) is affected by {}; fixed: {}", f.package.name, f.package.version, f.package.ecosystem, f.id, if f.fixed.is_empty() { "none".to_string() } else { f.fixed.join(", ") })},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            })
        })
        .collect();
    serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "kakehashi", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}

fn cdx_vex(findings: &[vulndb::matcher::Finding], suppressed: &[vulndb::vex::Suppressed]) -> serde_json::Value {
    let entry = |f: &vulndb::matcher::Finding, state: &str, detail: &str| {
        serde_json::json!({
            "id": f.id,
            "references": f.aliases.iter().map(|a| serde_json::json!({"id": a, "source": {"name": "alias"}})).collect::<Vec<_>>(),
            "ratings": [{"severity": f.severity.name(), "score": f.score}],
            "affects": [{"ref": f.package.purl.clone().unwrap_or_else(|| format!("{}@{}", f.package.name, f.package.version))}],
            "analysis": {"state": state, "detail": detail},
        })
    };
    let mut v: Vec<serde_json::Value> = findings.iter().map(|f| entry(f, "in_triage", "")).collect();
    v.extend(suppressed.iter().map(|s| entry(&s.finding, "not_affected", &s.justification)));
    serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "vulnerabilities": v})
}

pub fn pcap(devices: &[String], format: &str, show_secrets: bool, files: &[PathBuf]) -> Result<u8, CliError> {
    if !matches!(format, "text" | "json" | "html") {
        return Err(CliError::new(2, format!("--format {format}: use text, json or html")));
    }
    let mut opts = netcap::Options { devices: devices.to_vec(), show_secrets, ..Default::default() };
    opts.validate().map_err(|e| CliError::new(2, e))?;
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
    let all = result.map_err(|e| CliError::new(2, e))?;
    match format {
        "json" => {
            // streamed: the report is not built twice in memory
            let out = std::io::stdout();
            let mut w = std::io::BufWriter::new(out.lock());
            serde_json::to_writer(&mut w, &all).map_err(|e| CliError::new(2, e.to_string()))?;
            std::io::Write::write_all(&mut w, b"\n").map_err(|e| CliError::new(2, e.to_string()))?;
        }
        "html" => println!("{}", netcap::html(&all)),
        _ => {
            println!("{} packets, {} bytes", all.packets, all.bytes);
            for (f, [a, b]) in all.files.iter().zip(&all.packet_ranges) {
                println!("  {f}: packets {a}-{b}");
            }
            if let Some(s) = &all.stopped {
                println!("note: {s}");
            }
            for (k, v) in &all.skipped {
                println!("skipped: {v} packets of link type {k}");
            }
            for (k, v) in &all.not_listed {
                println!("not listed: {v} {k} entries past the bound (counted in the totals)");
            }
            println!("\nFindings ({}):", all.findings.len());
            for f in &all.findings {
                let cred = match (&f.username, &f.secret) {
                    (Some(u), Some(s)) => format!(" user={u} secret={s}"),
                    (Some(u), None) => format!(" user={u}"),
                    (None, Some(s)) => format!(" secret={s}"),
                    _ => String::new(),
                };
                println!(
                    "  [{}] {} {} {} -> {}{} ({}) packets {:?}",
                    f.severity, f.kind, f.protocol, f.src, f.dst, cred, f.detail, f.packets
                );
            }
            println!("\nEndpoints ({}):", all.endpoints.len());
            for e in all.endpoints.iter().take(50) {
                println!(
                    "  {} -> {}{}:{}/{} {} bytes {} packets",
                    e.device,
                    e.address,
                    e.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default(),
                    e.port,
                    e.protocol,
                    e.bytes,
                    e.packets
                );
            }
            if !all.names.is_empty() {
                println!("\nNames ({}):", all.names.len());
                for n in all.names.iter().take(50) {
                    println!("  {} {} ({})", n.address, n.name, n.source);
                }
            }
            if !all.ntp_servers.is_empty() {
                let ntp: Vec<String> = all.ntp_servers.iter().map(|s| s.to_string()).collect();
                println!("\nNTP servers: {}", ntp.join(", "));
            }
            println!(
                "\nDNS names asked: {}; TLS client/server/name pairs: {}; distinct HTTP requests: {} (--format json or html lists them)",
                all.dns.len(),
                all.tls.len(),
                all.http.len()
            );
        }
    }
    // The process ends right after this: freeing a large report piece by piece would only add
    // to the run time (a tenth of it on a 1 GB capture), so the memory goes back with the process.
    std::mem::forget(all);
    Ok(0)
}
