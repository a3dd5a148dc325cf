//! The report as JSON (the contract), text, and a CycloneDX 1.5 SBOM that `kakehashi scan` reads.

use serde_json::json;

use crate::Report;

/// The JSON report: `{ "parts": [...], "os": "...", "components": [...], "findings": [...] }` and
/// the image's name, size, digest and counts.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|_| "{}".into())
}

/// A CycloneDX 1.5 JSON SBOM of the components, with the OS as the described component.
pub fn cyclonedx(r: &Report) -> String {
    let components: Vec<serde_json::Value> = r
        .components
        .iter()
        .map(|c| {
            json!({
                "type": "library",
                "bom-ref": c.purl,
                "name": c.name,
                "version": c.version,
                "purl": c.purl,
                "properties": [{ "name": "kakehashi:firmware:evidence", "value": c.evidence }],
            })
        })
        .collect();
    // the OS as SBOMs name it: the release file's ID and VERSION_ID, else its description
    let (os_name, os_version) =
        if r.os_id.is_empty() { split_os(&r.os) } else { (r.os_id.clone(), r.os_version.clone()) };
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid_from(&r.sha256)),
        "version": 1,
        "metadata": {
            "tools": { "components": [{ "type": "application", "name": "kakehashi firmware" }] },
            "component": {
                "type": "firmware",
                "bom-ref": format!("firmware:{}", r.sha256),
                "name": r.image,
                "hashes": [{ "alg": "SHA-256", "content": r.sha256 }],
            },
        },
        "components": components,
    });
    if !os_name.is_empty()
        && let Some(a) = doc["components"].as_array_mut()
    {
        a.insert(0, json!({ "type": "operating-system", "bom-ref": "os", "name": os_name, "version": os_version }));
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `Debian GNU/Linux 12 (bookworm)` → (`Debian GNU/Linux`, `12 (bookworm)`); `OpenWrt 23.05.3 r1` → (`OpenWrt`, `23.05.3 r1`).
fn split_os(os: &str) -> (String, String) {
    match os.find(|c: char| c.is_ascii_digit()) {
        Some(i) if i > 0 => (os[..i].trim().to_string(), os[i..].trim().to_string()),
        _ => (os.to_string(), String::new()),
    }
}

/// A stable UUID (v4 layout) from the image's digest, so the same image gives the same SBOM.
fn uuid_from(sha: &str) -> String {
    let h: String = sha.chars().chain(std::iter::repeat('0')).take(32).collect();
    format!("{}-{}-4{}-8{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// A plain-text report for a terminal.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    s.push_str(&format!("{}  {} bytes  sha256 {}\n", r.image, r.size, r.sha256));
    if r.nothing_found() {
        s.push_str("Nothing found: no file system, archive or firmware wrapper was recognised in this file.\n");
        return s;
    }
    s.push_str(&format!("OS: {}\n", if r.os.is_empty() { "(no release file)" } else { &r.os }));
    s.push_str(&format!("\nParts ({}):\n", r.parts.len()));
    for p in &r.parts {
        let inside = if p.container.is_empty() { String::new() } else { format!(" in {}", p.container) };
        let files = if p.files > 0 { format!(", {} files", p.files) } else { String::new() };
        let detail = if p.detail.is_empty() { String::new() } else { format!(" — {}", p.detail) };
        s.push_str(&format!(
            "  {:#010x}{inside}  {:<9} {:>10} bytes  {}{files}{detail}\n",
            p.offset, p.kind, p.size, p.status
        ));
    }
    s.push_str(&format!("\nComponents ({}):\n", r.components.len()));
    for c in &r.components {
        s.push_str(&format!("  {} {}  ({})\n", c.name, c.version, c.evidence));
    }
    s.push_str(&format!("\nFindings ({}):\n", r.findings.len()));
    for f in &r.findings {
        let extra = f
            .account
            .as_deref()
            .or(f.service.as_deref())
            .or(f.fingerprint.as_deref())
            .map(|x| format!(" [{x}]"))
            .unwrap_or_default();
        s.push_str(&format!("  {:<8} {:<22} {}{extra}: {}\n", f.severity, f.kind, f.path, f.detail));
        if !f.evidence.is_empty() {
            s.push_str(&format!("           {}\n", f.evidence));
        }
    }
    let h = &r.hardening;
    if h.binaries > 0 {
        s.push_str(&format!(
            "\nBinary hardening ({} ELF files): NX {}, PIE {}/{} executables, RELRO full {} partial {}, stack canary {}, stripped {}{}\n",
            h.binaries,
            h.nx,
            h.pie,
            h.executables,
            h.relro_full,
            h.relro_partial,
            h.canary,
            h.stripped,
            if h.unreadable > 0 { format!(", {} unreadable", h.unreadable) } else { String::new() }
        ));
    }
    s.push_str(&format!("\n{} files, {} bytes unpacked\n", r.files, r.unpacked_bytes));
    s
}

use reporthtml::{esc, table};

fn yes(b: bool) -> String {
    if b { "○ yes".into() } else { "× no".into() }
}

/// One self-contained HTML report (no scripts, inline styles), headings in Japanese and English,
/// like the capture analyser's: the layout, the OS and components, the findings with their
/// evidence, and the binaries' hardening.
pub fn html(r: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(64 * 1024);
    reporthtml::page_start(
        &mut out,
        "ファームウェア解析レポート / Firmware report",
        "th,td{overflow-wrap:anywhere}dd{margin:0;overflow-wrap:anywhere}",
    );
    out.push_str("<h1>ファームウェア解析レポート <span lang=\"en\">/ Firmware report</span></h1><dl>");
    let _ = write!(
        out,
        "<dt>イメージ / Image</dt><dd>{}</dd><dt>サイズ / Size</dt><dd>{} bytes</dd><dt>SHA-256</dt><dd>{}</dd>\
         <dt>OS</dt><dd>{}</dd><dt>展開したファイル / Files unpacked</dt><dd>{} ({} bytes)</dd></dl>",
        esc(&r.image),
        r.size,
        esc(&r.sha256),
        if r.os.is_empty() { "—".to_string() } else { esc(&r.os) },
        r.files,
        r.unpacked_bytes
    );
    if r.nothing_found() {
        out.push_str("<p><strong>ファームウェアの構成要素は見つかりませんでした / Nothing found: no file system, archive or firmware wrapper was recognised.</strong></p>");
    }
    table(
        &mut out,
        "parts",
        "構成 / Layout",
        &[
            "オフセット / Offset",
            "種類 / Type",
            "サイズ / Size",
            "格納先 / In",
            "結果 / Status",
            "ファイル / Files",
            "詳細 / Detail",
        ],
        r.parts.iter().map(|p| {
            vec![
                format!("{:#010x}", p.offset),
                p.kind.clone(),
                p.size.to_string(),
                p.container.clone(),
                p.status.clone(),
                p.files.to_string(),
                p.detail.clone(),
            ]
        }),
    );
    table(
        &mut out,
        "findings",
        "検出事項 / Findings",
        &["重要度 / Severity", "種類 / Kind", "ファイル / File", "対象 / Subject", "内容 / Detail", "証跡 / Evidence"],
        r.findings.iter().map(|f| {
            vec![
                f.severity.clone(),
                f.kind.clone(),
                f.path.clone(),
                f.account.clone().or(f.service.clone()).or(f.fingerprint.clone()).unwrap_or_default(),
                f.detail.clone(),
                f.evidence.clone(),
            ]
        }),
    );
    table(
        &mut out,
        "components",
        "ソフトウェア構成 / Components",
        &["名前 / Name", "バージョン / Version", "purl", "根拠 / Evidence"],
        r.components.iter().map(|c| vec![c.name.clone(), c.version.clone(), c.purl.clone(), c.evidence.clone()]),
    );
    let h = &r.hardening;
    let _ = write!(
        out,
        "<section aria-labelledby=\"hardening\"><h2 id=\"hardening\">バイナリの堅牢化 / Binary hardening</h2><dl>\
         <dt>ELF ファイル / ELF files</dt><dd>{}{}</dd><dt>NX</dt><dd>{}</dd><dt>PIE（実行ファイル / executables）</dt><dd>{} / {}</dd>\
         <dt>RELRO</dt><dd>full {} · partial {}</dd><dt>スタック保護 / Stack canary</dt><dd>{}</dd><dt>シンボル削除 / Stripped</dt><dd>{}</dd></dl></section>",
        h.binaries,
        if h.unreadable > 0 {
            format!("（読めないもの {} / {} unreadable）", h.unreadable, h.unreadable)
        } else {
            String::new()
        },
        h.nx,
        h.pie,
        h.executables,
        h.relro_full,
        h.relro_partial,
        h.canary,
        h.stripped
    );
    table(
        &mut out,
        "binaries",
        "バイナリ / Binaries",
        &["ファイル / File", "種類 / Kind", "CPU", "NX", "PIE", "RELRO", "Canary", "Stripped"],
        r.binaries.iter().map(|b| {
            vec![
                b.path.clone(),
                b.kind.to_string(),
                b.machine.clone(),
                yes(b.nx),
                yes(b.pie),
                b.relro.to_string(),
                yes(b.canary),
                yes(b.stripped),
            ]
        }),
    );
    out.push_str("<p><small>Kakehashi firmware engine</small></p>");
    reporthtml::page_end(&mut out);
    out
}
