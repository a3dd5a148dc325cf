//! One self-contained HTML file (no scripts, inline styles) a verifier can attach to a report.
//! Headings are in Japanese and English; long tables are cut at `MAX_ROWS` rows (the JSON
//! output has them all).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

use crate::report::Report;

use reporthtml::{esc, table};

/// Capture time as a UTC date and time to the millisecond (the JSON keeps epoch seconds).
fn time(t: f64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]");
    time::OffsetDateTime::from_unix_timestamp_nanos((t * 1e9) as i128)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
        .map(|s| s + " UTC")
        .unwrap_or_else(|| format!("{t:.3}"))
}

/// Japanese names of the finding kinds (the JSON keeps the English codes).
fn kind_ja(kind: &str) -> &'static str {
    match kind {
        "credentials_in_clear" => "平文の認証情報",
        "cleartext_protocol" => "暗号化されていない通信",
        "obsolete_tls" => "旧式の TLS",
        "weak_tls_cipher" => "脆弱な暗号スイートの使用",
        "weak_tls_cipher_offered" => "脆弱な暗号スイートの提示",
        "listening_service" => "待ち受けサービス",
        "personal_data_in_clear" => "平文の個人情報",
        "firmware_over_http" => "HTTP でのファームウェア取得",
        "ics_operation" => "制御システムの操作",
        "hardcoded_address" => "固定アドレスへの接続",
        "periodic_beacon" => "定期的な通信（ビーコン）",
        _ => "その他",
    }
}

fn severity_ja(severity: &str) -> &'static str {
    match severity {
        "high" => "高",
        "medium" => "中",
        _ => "低",
    }
}

#[derive(Default)]
struct DeviceSummary {
    peers: usize,
    bytes: u64,
    packets: u64,
    high: usize,
    medium: usize,
    low: usize,
    names: Vec<String>,
}

/// A tunnel reference as the tunnels table numbers it.
fn via(t: Option<u32>) -> String {
    t.map(|t| format!("#{t}")).unwrap_or_default()
}

pub fn html(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    reporthtml::page_start(
        &mut out,
        "通信解析レポート / Capture report",
        ".high{color:#b30000;font-weight:bold}.medium{color:#8a4b00;font-weight:bold}",
    );
    out.push_str("<h1>通信解析レポート <span lang=\"en\">/ Capture report</span></h1><dl>");
    let _ = write!(
        out,
        "<dt>ファイル / Files</dt><dd>{}</dd><dt>パケット / Packets</dt><dd>{}</dd><dt>バイト / Bytes</dt><dd>{}</dd>",
        r.files
            .iter()
            .zip(&r.packet_ranges)
            .map(|(f, [a, b])| format!("{} (packets {a}–{b})", esc(f)))
            .collect::<Vec<_>>()
            .join("<br>"),
        r.packets,
        r.bytes
    );
    if let Some(s) = &r.stopped {
        let _ = write!(out, "<dt>読み取り停止 / Stopped</dt><dd><strong>{}</strong></dd>", esc(s));
    }
    for (k, v) in &r.skipped {
        let _ = write!(out, "<dt>未対応リンク種別 / Skipped link type</dt><dd>{} ({v} packets)</dd>", esc(k));
    }
    for (k, v) in &r.not_listed {
        let _ = write!(out, "<dt>一覧上限超過 / Not listed (bound reached)</dt><dd>{} ({v})</dd>", esc(k));
    }
    for (k, v) in &r.not_decoded {
        let _ = write!(out, "<dt>未解読 / Not decoded</dt><dd>{} ({v})</dd>", esc(k));
    }
    out.push_str("</dl>");

    // per device: peers, traffic, findings by severity, announced names
    let mut devices: BTreeMap<IpAddr, DeviceSummary> = BTreeMap::new();
    for e in &r.endpoints {
        let d = devices.entry(e.device).or_default();
        d.peers += 1;
        d.bytes += e.bytes;
        d.packets += e.packets;
    }
    for f in &r.findings {
        // a host that only answers (a server on the local network) is a device too
        let d = devices.entry(f.src).or_default();
        match f.severity {
            "high" => d.high += 1,
            "medium" => d.medium += 1,
            _ => d.low += 1,
        }
    }
    for n in &r.names {
        if let Some(d) = devices.get_mut(&n.address)
            && d.names.len() < 5
            && !d.names.contains(&n.name)
        {
            d.names.push(n.name.clone());
        }
    }
    let mut by_traffic: Vec<_> = devices.into_iter().collect();
    by_traffic.sort_by_key(|(_, d)| std::cmp::Reverse((d.high, d.bytes)));
    table(
        &mut out,
        "devices",
        "機器 / Devices",
        &["device", "names", "peers", "packets", "bytes", "high", "medium", "low"],
        by_traffic.into_iter().map(|(ip, d)| {
            vec![
                ip.to_string(),
                d.names.join(", "),
                d.peers.to_string(),
                d.packets.to_string(),
                d.bytes.to_string(),
                d.high.to_string(),
                d.medium.to_string(),
                d.low.to_string(),
            ]
        }),
    );
    table(
        &mut out,
        "findings",
        "検出事項 / Findings",
        &[
            "重大度 / severity",
            "種別 / kind",
            "protocol",
            "src",
            "dst",
            "user",
            "secret",
            "detail",
            "first seen",
            "packets",
            "tunnel",
        ],
        r.findings.iter().map(|f| {
            vec![
                format!("{} / {}", severity_ja(f.severity), f.severity),
                format!("{} / {}", kind_ja(f.kind), f.kind),
                f.protocol.to_string(),
                f.src.to_string(),
                f.dst.to_string(),
                f.username.clone().unwrap_or_default(),
                f.secret.clone().unwrap_or_default(),
                f.detail.clone(),
                time(f.first_seen),
                f.packets.iter().map(u64::to_string).collect::<Vec<_>>().join(" "),
                via(f.tunnel),
            ]
        }),
    );
    table(
        &mut out,
        "endpoints",
        "通信先 / Endpoints",
        &["device", "address", "name", "port", "protocol", "bytes", "packets", "first seen", "last seen"],
        r.endpoints.iter().map(|e| {
            vec![
                e.device.to_string(),
                e.address.to_string(),
                e.name.clone().unwrap_or_default(),
                e.port.to_string(),
                e.protocol.to_string(),
                e.bytes.to_string(),
                e.packets.to_string(),
                time(e.first_seen),
                time(e.last_seen),
            ]
        }),
    );
    table(
        &mut out,
        "dns",
        "DNS 問い合わせ / DNS queries",
        &["packet", "client", "protocol", "query", "answers", "count", "tunnel"],
        r.dns.iter().map(|d| {
            vec![
                d.packet.to_string(),
                d.client.to_string(),
                d.protocol.to_string(),
                d.query.clone(),
                d.answers.join(", "),
                d.count.to_string(),
                via(d.tunnel),
            ]
        }),
    );
    table(
        &mut out,
        "tls",
        "TLS",
        &[
            "packet",
            "client",
            "server",
            "SNI",
            "ALPN",
            "versions offered",
            "version chosen",
            "cipher chosen",
            "weak ciphers offered",
            "certificate subject",
            "certificate issuer",
            "count",
            "tunnel",
        ],
        r.tls.iter().map(|t| {
            vec![
                t.packet.to_string(),
                t.client.to_string(),
                match &t.quic {
                    Some(q) => format!("{}:{} ({q})", t.server, t.port),
                    None => format!("{}:{}", t.server, t.port),
                },
                t.sni.clone().unwrap_or_default(),
                t.alpn.join(", "),
                t.versions_offered.names().join(", "),
                t.version_chosen.clone().unwrap_or_default(),
                t.cipher_chosen.clone().unwrap_or_default(),
                t.weak_ciphers_offered.join(", "),
                t.certificate_subject.clone().unwrap_or_default(),
                t.certificate_issuer.clone().unwrap_or_default(),
                t.count.to_string(),
                via(t.tunnel),
            ]
        }),
    );
    table(
        &mut out,
        "http",
        "HTTP リクエスト / HTTP requests",
        &["packet", "client", "server", "method", "host", "path", "user agent", "count", "tunnel"],
        r.http.iter().map(|h| {
            vec![
                h.packet.to_string(),
                h.client.to_string(),
                h.server.to_string(),
                h.method.clone(),
                h.host.clone(),
                h.path.clone(),
                h.user_agent.clone(),
                h.count.to_string(),
                via(h.tunnel),
            ]
        }),
    );
    table(
        &mut out,
        "names",
        "機器名（DHCP / SSDP / mDNS） / Announced names",
        &["address", "name", "source"],
        r.names.iter().map(|n| vec![n.address.to_string(), n.name.clone(), n.source.clone()]),
    );
    table(&mut out, "ntp", "NTP サーバ / NTP servers", &["server"], r.ntp_servers.iter().map(|s| vec![s.to_string()]));
    table(
        &mut out,
        "tunnels",
        "トンネル / Tunnels",
        &["#", "tunnel", "inside", "first packet", "packets", "bytes"],
        r.tunnels.iter().enumerate().map(|(i, t)| {
            vec![
                format!("#{i}"),
                t.describe(),
                via(t.inside),
                t.first_packet.to_string(),
                t.packets.to_string(),
                t.bytes.to_string(),
            ]
        }),
    );
    // timeline: findings and first contacts, in capture time
    let mut timeline: Vec<(f64, String)> = r
        .findings
        .iter()
        .map(|f| {
            (f.first_seen, format!("[{}] {} {} {} → {}: {}", f.severity, f.kind, f.protocol, f.src, f.dst, f.detail))
        })
        .chain(
            r.endpoints.iter().map(|e| {
                (e.first_seen, format!("{} first contacts {}:{}/{}", e.device, e.address, e.port, e.protocol))
            }),
        )
        .collect();
    timeline.sort_by(|a, b| a.0.total_cmp(&b.0));
    table(
        &mut out,
        "timeline",
        "時系列 / Timeline",
        &["time", "event"],
        timeline.into_iter().map(|(t, s)| vec![time(t), s]),
    );
    reporthtml::page_end(&mut out);
    out
}
