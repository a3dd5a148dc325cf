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
    let done = std::cell::Cell::new(0usize);
    let progress = |src: &str, records: usize| {
        done.set(done.get() + 1);
        if tty {
            eprint!("\r[{}/{n}] {src}: {records} records\x1b[K", done.get());
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

pub fn scan(db: &Path, format: &str, fail_on: &str, files: &[PathBuf]) -> Result<u8, CliError> {
    let fail_level =
        Level::parse(fail_on).ok_or_else(|| CliError::new(2, format!("--fail-on: unknown level {fail_on:?}")))?;
    if !matches!(format, "table" | "json") {
        return Err(CliError::new(2, format!("--format {format}: only table and json are implemented so far")));
    }
    let mut index = vulndb::db::Index::open(db).map_err(|e| CliError::new(2, e))?;
    let mut components = Vec::new();
    let mut formats = Vec::new();
    for f in files {
        let doc = sbom::read(f).map_err(|e| CliError::new(2, e.to_string()))?;
        formats.push(serde_json::json!({"file": f.display().to_string(), "format": doc.format, "components": doc.components.len()}));
        components.extend(doc.components);
    }
    let report = vulndb::matcher::scan(&mut index, &components).map_err(|e| CliError::new(2, e))?;
    if format == "json" {
        let out = serde_json::json!({
            "components": components.len(),
            "documents": formats,
            "unsupported_components": report.unsupported,
            "findings": report.findings,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!("{} components, {} findings", components.len(), report.findings.len());
        if !report.findings.is_empty() {
            println!("{:<9} {:<24} {:<36} {:<14} {}", "SEVERITY", "ID", "PACKAGE", "VERSION", "FIXED");
        }
        for f in &report.findings {
            println!(
                "{:<9} {:<24} {:<36} {:<14} {}",
                f.severity.name(),
                f.id,
                format!("{} ({})", f.package.name, f.package.ecosystem),
                f.package.version,
                f.fixed.join(", ")
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
