//! One self-contained HTML file (no scripts, inline styles) a verifier can attach to a report.

use crate::report::Report;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn table(title: &str, head: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = format!("<h2>{}</h2>", esc(title));
    if rows.is_empty() {
        out.push_str("<p>None.</p>");
        return out;
    }
    out.push_str("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{}</td>", esc(&c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

pub fn html(r: &Report) -> String {
    let findings = r
        .findings
        .iter()
        .map(|f| {
            vec![
                f.severity.clone(),
                f.kind.clone(),
                f.protocol.clone(),
                f.src.clone(),
                f.dst.clone(),
                f.username.clone().unwrap_or_default(),
                f.secret.clone().unwrap_or_default(),
                f.detail.clone(),
                format!("{:?}", f.packets),
            ]
        })
        .collect();
    let endpoints = r
        .endpoints
        .iter()
        .map(|e| {
            vec![
                e.device.clone(),
                e.address.clone(),
                e.name.clone().unwrap_or_default(),
                e.port.to_string(),
                e.protocol.clone(),
                e.bytes.to_string(),
                e.packets.to_string(),
                format!("{:.3}", e.first_seen),
                format!("{:.3}", e.last_seen),
            ]
        })
        .collect();
    let dns = r
        .dns
        .iter()
        .map(|d| vec![d.packet.to_string(), d.client.clone(), d.query.clone(), d.answers.join(", ")])
        .collect();
    let tls = r
        .tls
        .iter()
        .map(|t| {
            vec![
                t.packet.to_string(),
                t.client.clone(),
                format!("{}:{}", t.server, t.port),
                t.sni.clone().unwrap_or_default(),
                t.alpn.join(", "),
                t.versions_offered.join(", "),
                t.version_chosen.clone().unwrap_or_default(),
                t.weak_ciphers_offered.join(", "),
            ]
        })
        .collect();
    let http = r
        .http
        .iter()
        .map(|h| {
            vec![
                h.packet.to_string(),
                h.client.clone(),
                h.method.clone(),
                h.host.clone(),
                h.path.clone(),
                h.user_agent.clone(),
            ]
        })
        .collect();
    let mut timeline: Vec<(f64, String)> = r
        .endpoints
        .iter()
        .map(|e| (e.first_seen, format!("{} first contacts {}:{} ({})", e.device, e.address, e.port, e.protocol)))
        .collect();
    timeline.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let timeline = timeline.into_iter().take(200).map(|(t, s)| vec![format!("{t:.3}"), s]).collect();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kakehashi capture report</title><style>body{{font-family:sans-serif;margin:2rem;color:#1a1a1a}}table{{border-collapse:collapse;margin-bottom:1.5rem}}th,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;font-size:.9rem}}th{{background:#f2f2f2}}h1{{font-size:1.6rem}}h2{{border-left:6px solid #0017c1;padding-left:.5rem}}</style></head><body><h1>Capture report — 通信解析レポート</h1><p>{} packets, {} bytes: {}</p>{}{}{}{}{}{}{}</body></html>",
        r.packets,
        r.bytes,
        esc(&r.files.join(", ")),
        r.stopped.as_ref().map(|s| format!("<p><strong>{}</strong></p>", esc(s))).unwrap_or_default(),
        table(
            "Findings",
            &["severity", "kind", "protocol", "src", "dst", "user", "secret", "detail", "packets"],
            findings
        ),
        table(
            "Endpoints",
            &["device", "address", "name", "port", "protocol", "bytes", "packets", "first seen", "last seen"],
            endpoints
        ),
        table("DNS", &["packet", "client", "query", "answers"], dns),
        table(
            "TLS",
            &[
                "packet",
                "client",
                "server",
                "SNI",
                "ALPN",
                "versions offered",
                "version chosen",
                "weak ciphers offered"
            ],
            tls
        ),
        table("HTTP", &["packet", "client", "method", "host", "path", "user agent"], http),
        table("Timeline", &["time", "event"], timeline),
    )
}
