//! The plain-text report: totals, findings, the busiest endpoints and names.

use std::fmt::Write;

use crate::Report;

/// The report as text for a terminal (`--format json` or `html` list every entry).
pub fn text(all: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} packets, {} bytes", all.packets, all.bytes);
    for (f, [a, b]) in all.files.iter().zip(&all.packet_ranges) {
        let _ = writeln!(out, "  {f}: packets {a}-{b}");
    }
    if let Some(s) = &all.stopped {
        let _ = writeln!(out, "note: {s}");
    }
    for (k, v) in &all.skipped {
        let _ = writeln!(out, "skipped: {v} packets of link type {k}");
    }
    for (k, v) in &all.not_decoded {
        let _ = writeln!(out, "not decoded: {v} x {k}");
    }
    for (k, v) in &all.not_listed {
        let _ = writeln!(out, "not listed: {v} {k} entries past the bound (counted in the totals)");
    }
    let _ = writeln!(out, "\nFindings ({}):", all.findings.len());
    for f in &all.findings {
        let cred = match (&f.username, &f.secret) {
            (Some(u), Some(s)) => format!(" user={u} secret={s}"),
            (Some(u), None) => format!(" user={u}"),
            (None, Some(s)) => format!(" secret={s}"),
            _ => String::new(),
        };
        let via = f.tunnel.map(|t| format!(" via tunnel #{t}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  [{}] {} {} {} -> {}{} ({}) packets {:?}{via}",
            f.severity, f.kind, f.protocol, f.src, f.dst, cred, f.detail, f.packets
        );
    }
    if !all.tunnels.is_empty() {
        let _ = writeln!(out, "\nTunnels ({}):", all.tunnels.len());
        for (i, t) in all.tunnels.iter().enumerate().take(50) {
            let inside = t.inside.map(|o| format!(" inside #{o}")).unwrap_or_default();
            let _ = writeln!(out, "  #{i} {}{inside}: {} packets, {} bytes", t.describe(), t.packets, t.bytes);
        }
    }
    let _ = writeln!(out, "\nEndpoints ({}):", all.endpoints.len());
    for e in all.endpoints.iter().take(50) {
        let _ = writeln!(
            out,
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
        let _ = writeln!(out, "\nNames ({}):", all.names.len());
        for n in all.names.iter().take(50) {
            let _ = writeln!(out, "  {} {} ({})", n.address, n.name, n.source);
        }
    }
    if !all.ntp_servers.is_empty() {
        let ntp: Vec<String> = all.ntp_servers.iter().map(|s| s.to_string()).collect();
        let _ = writeln!(out, "\nNTP servers: {}", ntp.join(", "));
    }
    let _ = writeln!(
        out,
        "\nDNS names asked: {}; TLS client/server/name pairs: {}; distinct HTTP requests: {} (--format json or html lists them)",
        all.dns.len(),
        all.tls.len(),
        all.http.len()
    );
    out
}
