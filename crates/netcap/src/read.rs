//! Reading captures and following flows.

use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::io::Read;
use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{Block, Linktype, PcapBlockOwned, PcapError};

use crate::apps;
use crate::report::{DnsEntry, Endpoint, Finding, HttpEntry, Options, Report, TlsEntry};

/// How much of each TCP direction is kept for protocol parsing.
const STREAM_PREFIX: usize = 4 * 1024;
/// Flows followed at once; when full they are dropped (bounded memory: at most
/// MAX_FLOWS x STREAM_PREFIX = 64 MiB of stream data, whatever the capture size).
const MAX_FLOWS: usize = 16_384;
/// Ports whose client streams are parsed line by line (logins), besides TLS and HTTP.
const STREAM_PORTS: [u16; 13] = [21, 23, 25, 80, 110, 143, 587, 1883, 8080, 502, 102, 20000, 44818];

/// Whether a TCP payload starts something worth following: a login protocol, a TLS
/// handshake, an HTTP request, an MQTT CONNECT.
fn interesting(sp: u16, dp: u16, payload: &[u8]) -> bool {
    STREAM_PORTS.contains(&dp)
        || STREAM_PORTS.contains(&sp)
        || (payload.len() > 5 && payload[0] == 0x16 && payload[1] == 0x03)
        || payload.first().is_some_and(|b| b.is_ascii_uppercase())
            && payload.get(..8).is_some_and(|p| p.contains(&b' '))
        || payload.first().is_some_and(|b| *b == 0x10)
}

const CLEARTEXT: [(u16, &str); 9] = [
    (21, "ftp"),
    (23, "telnet"),
    (80, "http"),
    (110, "pop3"),
    (143, "imap"),
    (25, "smtp"),
    (1883, "mqtt"),
    (161, "snmp"),
    (513, "rlogin"),
];
const LISTENING: [(u16, &str); 10] = [
    (23, "telnet"),
    (21, "ftp"),
    (513, "rlogin"),
    (1900, "upnp"),
    (502, "modbus"),
    (102, "s7"),
    (20000, "dnp3"),
    (44818, "ethernet/ip"),
    (47808, "bacnet"),
    (5000, "upnp"),
];

/// The fragment pool, with a count of open datagrams so that it can be bounded.
#[derive(Default)]
struct Defrag {
    pool: Option<etherparse::defrag::IpDefragPool<(), ()>>,
    open: usize,
}

impl Defrag {
    fn len(&self) -> usize {
        self.open
    }

    fn process_sliced_packet(
        &mut self,
        s: &SlicedPacket,
        t: (),
        c: (),
    ) -> Result<Option<etherparse::defrag::IpDefragPayloadVec>, etherparse::defrag::IpDefragError> {
        let pool = self.pool.get_or_insert_with(etherparse::defrag::IpDefragPool::new);
        let r = pool.process_sliced_packet(s, t, c);
        match &r {
            Ok(Some(_)) => self.open = self.open.saturating_sub(1),
            Ok(None) => self.open += 1,
            Err(_) => {}
        }
        r
    }
}

/// Per-endpoint counters; turned into report strings only at the end.
#[derive(Clone, Copy)]
struct EndpointStats {
    bytes: u64,
    packets: u64,
    first_seen: f64,
    last_seen: f64,
}

#[derive(Default)]
struct Flow {
    next_seq: Option<u32>,
    buf: Vec<u8>,
    first_packet: u64,
    handled_len: usize,
}

type FlowKey = (IpAddr, u16, IpAddr, u16);

struct Analyzer<'a> {
    opts: &'a Options,
    report: Report,
    flows: HashMap<FlowKey, Flow>,
    endpoints: HashMap<(IpAddr, IpAddr, u16, bool), EndpointStats>,
    devices: Vec<IpAddr>,
    names: HashMap<String, String>,
    findings: HashMap<(String, String, String, String), usize>,
    packet_no: u64,
    /// Connection starts per (device, remote, port), for beaconing (at most 64 kept).
    starts: HashMap<(IpAddr, IpAddr, u16), Vec<f64>>,
    /// IP datagrams being reassembled from fragments.
    defrag: Defrag,
    /// Flows whose TLS ClientHello was already reported.
    hello_seen: FxHashSet<FlowKey>,
}

fn is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_loopback() || v.is_link_local(),
        IpAddr::V6(v) => {
            v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00 || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

impl<'a> Analyzer<'a> {
    fn device_of(&self, src: &IpAddr, dst: &IpAddr) -> Option<(IpAddr, IpAddr, bool)> {
        if !self.opts.devices.is_empty() {
            if self.devices.contains(src) {
                return Some((*src, *dst, true));
            }
            if self.devices.contains(dst) {
                return Some((*dst, *src, false));
            }
            return None;
        }
        if is_local(src) || !is_local(dst) { Some((*src, *dst, true)) } else { Some((*dst, *src, false)) }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &mut self,
        kind: &str,
        protocol: &str,
        severity: &str,
        src: String,
        dst: String,
        user: Option<String>,
        secret: Option<String>,
        detail: String,
    ) {
        // one cleartext-protocol finding per device and protocol (the first peer is named);
        // the others per pair and credential
        let peer = if kind == "cleartext_protocol" { protocol.to_string() } else { dst.clone() };
        let key = (
            kind.to_string(),
            src.clone(),
            peer,
            format!("{}\u{0}{}", user.as_deref().unwrap_or(""), secret.as_deref().unwrap_or("")),
        );
        if let Some(i) = self.findings.get(&key) {
            let f = &mut self.report.findings[*i];
            if f.packets.len() < 20 && !f.packets.contains(&self.packet_no) {
                f.packets.push(self.packet_no);
            }
            return;
        }
        let secret = secret.map(|s| if self.opts.show_secrets { s } else { "***".into() });
        self.findings.insert(key, self.report.findings.len());
        self.report.findings.push(Finding {
            kind: kind.into(),
            protocol: protocol.into(),
            severity: severity.into(),
            src,
            dst,
            packets: vec![self.packet_no],
            username: user,
            secret,
            detail,
        });
    }

    fn ip_packet(&mut self, sliced: SlicedPacket, ts: f64, len: usize) {
        let (src, dst, fragmented) = match &sliced.net {
            Some(NetSlice::Ipv4(v4)) => (
                IpAddr::V4(v4.header().source_addr()),
                IpAddr::V4(v4.header().destination_addr()),
                v4.is_payload_fragmented(),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                IpAddr::V6(v6.header().source_addr()),
                IpAddr::V6(v6.header().destination_addr()),
                v6.is_payload_fragmented(),
            ),
            _ => {
                self.report.not_analysed += 1;
                return;
            }
        };
        if fragmented {
            // IP fragments are reassembled (bounded: the pool is reset past 1,024 open datagrams)
            if self.defrag.len() > 1024 {
                self.defrag = Default::default();
            }
            let whole = match self.defrag.process_sliced_packet(&sliced, (), ()) {
                Ok(Some(whole)) => whole,
                _ => return,
            };
            let transport = match whole.ip_number {
                etherparse::IpNumber::TCP => {
                    etherparse::TcpSlice::from_slice(&whole.payload).ok().map(TransportSlice::Tcp)
                }
                etherparse::IpNumber::UDP => {
                    etherparse::UdpSlice::from_slice(&whole.payload).ok().map(TransportSlice::Udp)
                }
                _ => None,
            };
            self.transport(src, dst, transport, ts, len);
            return;
        }
        self.transport(src, dst, sliced.transport, ts, len);
    }

    fn transport(&mut self, src: IpAddr, dst: IpAddr, transport: Option<TransportSlice>, ts: f64, len: usize) {
        let Some((device, remote, outbound)) = self.device_of(&src, &dst) else { return };
        match transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let (sp, dp) = (tcp.source_port(), tcp.destination_port());
                let remote_port = if outbound { dp } else { sp };
                self.endpoint(device, remote, remote_port, "tcp", ts, len);
                // a device that answers a connection attempt is listening
                if tcp.syn() && tcp.ack() && outbound {
                    if let Some((_, name)) = LISTENING.iter().find(|(p, _)| *p == sp) {
                        self.finding(
                            "listening_service",
                            name,
                            "medium",
                            src.to_string(),
                            dst.to_string(),
                            None,
                            None,
                            format!("the device answers connections on {name} port {sp}"),
                        );
                    }
                }
                if tcp.syn() && !tcp.ack() && outbound {
                    let v = self.starts.entry((device, remote, dp)).or_default();
                    if v.len() < 64 {
                        v.push(ts);
                    }
                }
                let payload = tcp.payload();
                if payload.is_empty() {
                    return;
                }
                let key = (src, sp, dst, dp);
                if !self.flows.contains_key(&key) {
                    if !interesting(sp, dp, payload) {
                        return;
                    }
                    if self.flows.len() >= MAX_FLOWS {
                        self.flows.clear();
                    }
                }
                let packet_no = self.packet_no;
                let flow = self.flows.entry(key).or_insert_with(|| Flow { first_packet: packet_no, ..Flow::default() });
                let seq = tcp.sequence_number();
                if flow.next_seq.is_none_or(|n| n == seq) && flow.buf.len() < STREAM_PREFIX {
                    let take = payload.len().min(STREAM_PREFIX - flow.buf.len());
                    flow.buf.extend_from_slice(&payload[..take]);
                    flow.next_seq = Some(seq.wrapping_add(payload.len() as u32));
                }
                let fresh = flow.buf.len() != flow.handled_len;
                flow.handled_len = flow.buf.len();
                if fresh {
                    let (buf, first) = (std::mem::take(&mut flow.buf), flow.first_packet);
                    self.tcp_app(src, sp, dst, dp, &buf, payload, first);
                    if let Some(f) = self.flows.get_mut(&key) {
                        f.buf = buf;
                    }
                }
            }
            Some(TransportSlice::Udp(udp)) => {
                let (sp, dp) = (udp.source_port(), udp.destination_port());
                let remote_port = if outbound { dp } else { sp };
                self.endpoint(device, remote, remote_port, "udp", ts, len);
                self.udp_app(src, sp, dst, dp, udp.payload());
            }
            _ => {}
        }
    }

    fn endpoint(&mut self, device: IpAddr, remote: IpAddr, port: u16, proto: &'static str, ts: f64, len: usize) {
        let e = self.endpoints.entry((device, remote, port, proto == "tcp")).or_insert(EndpointStats {
            bytes: 0,
            packets: 0,
            first_seen: ts,
            last_seen: ts,
        });
        e.bytes += len as u64;
        e.packets += 1;
        e.last_seen = ts;
    }

    fn name(&mut self, address: String, name: String, source: &str) {
        if !self.report.names.iter().any(|n| n.address == address && n.name == name) {
            self.report.names.push(crate::report::NameEntry { address, name, source: source.to_string() });
        }
    }

    fn udp_app(&mut self, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, p: &[u8]) {
        if matches!(sp, 53 | 5353) || matches!(dp, 53 | 5353) {
            if let Some(d) = apps::dns(p) {
                for (name, addr) in &d.answers {
                    self.names.insert(addr.clone(), name.clone());
                }
                if sp == 5353 && d.response {
                    for t in &d.targets {
                        self.name(src.to_string(), t.clone(), "mdns");
                    }
                }
                if !d.response || d.answers.is_empty() {
                    if !d.response {
                        for q in d.queries {
                            self.report.dns.push(DnsEntry {
                                packet: self.packet_no,
                                client: src.to_string(),
                                query: q,
                                answers: vec![],
                            });
                        }
                    }
                } else {
                    let q = d.queries.first().cloned().unwrap_or_default();
                    let answers: Vec<String> = d.answers.iter().map(|(_, a)| a.clone()).collect();
                    if let Some(e) = self.report.dns.iter_mut().rev().find(|e| e.query == q && e.answers.is_empty()) {
                        e.answers = answers;
                    } else if !q.is_empty() {
                        self.report.dns.push(DnsEntry {
                            packet: self.packet_no,
                            client: dst.to_string(),
                            query: q,
                            answers,
                        });
                    }
                }
            }
        }
        if dp == 67 {
            for (source, name) in apps::dhcp_names(p) {
                self.name(src.to_string(), name, source);
            }
        }
        if sp == 1900 || dp == 1900 {
            if let Some(server) = apps::ssdp_server(p) {
                self.name(src.to_string(), server, "ssdp server");
            }
        }
        if dp == 123 {
            let d = dst.to_string();
            if !self.report.ntp_servers.contains(&d) {
                self.report.ntp_servers.push(d);
            }
        }
        if dp == 161 || dp == 162 {
            if let Some((v, community)) = apps::snmp_community(p) {
                self.finding(
                    "credentials_in_clear",
                    "snmp",
                    "high",
                    src.to_string(),
                    dst.to_string(),
                    None,
                    Some(community),
                    format!("SNMP v{} community string", if v == 0 { "1" } else { "2c" }),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp_app(&mut self, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, stream: &[u8], payload: &[u8], first: u64) {
        let (s, d) = (src.to_string(), dst.to_string());
        // once per flow: its first segment with data
        if let Some((_, name)) = CLEARTEXT.iter().find(|(p, _)| *p == dp).filter(|_| first == self.packet_no) {
            self.finding(
                "cleartext_protocol",
                name,
                "low",
                s.clone(),
                d.clone(),
                None,
                None,
                format!("{name} carries data unencrypted"),
            );
        }
        let key = (src, sp, dst, dp);
        let hello = if self.hello_seen.contains(&key) {
            None
        } else {
            apps::client_hello(stream).or_else(|| apps::client_hello(payload))
        };
        if hello.is_some() {
            self.hello_seen.insert(key);
        }
        if let Some(ch) = hello {
            let weak: Vec<String> =
                ch.ciphers.iter().filter_map(|c| apps::weak_cipher(*c)).map(str::to_string).collect();
            let versions: Vec<String> =
                ch.versions.iter().map(|v| apps::tls_version_name(*v)).filter(|v| v != "GREASE").collect();
            if !weak.is_empty() {
                self.finding(
                    "weak_tls_cipher_offered",
                    "tls",
                    "medium",
                    s.clone(),
                    d.clone(),
                    None,
                    None,
                    weak.join(", "),
                );
            }
            self.report.tls.push(TlsEntry {
                packet: self.packet_no,
                client: s.clone(),
                server: d.clone(),
                port: dp,
                sni: ch.sni,
                alpn: ch.alpn,
                versions_offered: versions,
                ciphers_offered: ch.ciphers.len(),
                weak_ciphers_offered: weak,
                version_chosen: None,
                cipher_chosen: None,
                certificate_subject: None,
                certificate_issuer: None,
            });
        } else if stream.first() == Some(&0x16)
            && stream.get(5) == Some(&0x02)
            && self.report.tls.iter().any(|t| t.server == s && t.client == d && t.certificate_subject.is_none())
        {
            if let Some((subject, issuer)) = apps::server_certificate(stream) {
                if let Some(t) = self
                    .report
                    .tls
                    .iter_mut()
                    .rev()
                    .find(|t| t.server == s && t.client == d && t.certificate_subject.is_none())
                {
                    t.certificate_subject = Some(subject);
                    t.certificate_issuer = Some(issuer);
                }
            }
        }
        if let Some((v, c)) = apps::server_hello(payload) {
            let name = apps::tls_version_name(v);
            if let Some(t) =
                self.report.tls.iter_mut().rev().find(|t| t.server == s && t.client == d && t.version_chosen.is_none())
            {
                t.version_chosen = Some(name.clone());
                t.cipher_chosen =
                    Some(apps::weak_cipher(c).map(str::to_string).unwrap_or_else(|| format!("0x{c:04x}")));
            }
            if v < 0x0303 {
                self.finding(
                    "obsolete_tls",
                    "tls",
                    "high",
                    d.clone(),
                    s.clone(),
                    None,
                    None,
                    format!("{name} negotiated"),
                );
            }
            if let Some(w) = apps::weak_cipher(c) {
                self.finding(
                    "weak_tls_cipher",
                    "tls",
                    "high",
                    d.clone(),
                    s.clone(),
                    None,
                    None,
                    format!("{w} negotiated"),
                );
            }
        }
        if let Some((proto, what)) = apps::ics_operation(dp, payload) {
            self.finding("ics_operation", proto, "high", s.clone(), d.clone(), None, None, what);
        }
        if !payload.first().is_some_and(|b| matches!(b, 0x14..=0x17)) {
            for (kind, sample) in apps::personal_data(payload) {
                self.finding(
                    "personal_data_in_clear",
                    kind,
                    "high",
                    s.clone(),
                    d.clone(),
                    None,
                    None,
                    format!("{kind} in a clear payload ({sample})"),
                );
            }
        }
        if dp == 23 {
            // a login: the server prompted for it, the client typed a name and a password
            let prompted = self.flows.get(&(dst, dp, src, sp)).is_some_and(|f| {
                let t = String::from_utf8_lossy(&f.buf).to_ascii_lowercase();
                t.contains("login") || t.contains("username")
            });
            let lines = apps::telnet_lines(stream);
            if prompted && lines.len() >= 2 {
                self.finding(
                    "credentials_in_clear",
                    "telnet",
                    "high",
                    s.clone(),
                    d.clone(),
                    Some(lines[0].clone()),
                    Some(lines[1].clone()),
                    "telnet login".into(),
                );
            }
        }
        if let Some(h) = apps::http_request(payload) {
            let lower = h.path.to_ascii_lowercase();
            if [".bin", ".img", ".fw", ".hex", ".rom", ".trx", ".chk"]
                .iter()
                .any(|x| lower.split('?').next().unwrap_or("").ends_with(x))
                || lower.contains("firmware")
            {
                self.finding(
                    "firmware_over_http",
                    "http",
                    "high",
                    s.clone(),
                    d.clone(),
                    None,
                    None,
                    format!("{} {}{}", h.method, h.host, h.path),
                );
            }
            if let Some((u, p)) = h.basic.clone() {
                self.finding(
                    "credentials_in_clear",
                    "http",
                    "high",
                    s.clone(),
                    d.clone(),
                    Some(u),
                    Some(p),
                    "HTTP Basic authentication".into(),
                );
            }
            if let Some(u) = h.digest_user.clone() {
                self.finding(
                    "credentials_in_clear",
                    "http",
                    "medium",
                    s.clone(),
                    d.clone(),
                    Some(u),
                    None,
                    "HTTP Digest user name".into(),
                );
            }
            self.report.http.push(HttpEntry {
                packet: self.packet_no,
                client: s.clone(),
                server: d.clone(),
                method: h.method,
                host: h.host,
                path: h.path,
                user_agent: h.user_agent,
            });
        }
        let line_proto = match dp {
            21 => Some("ftp"),
            110 => Some("pop3"),
            143 => Some("imap"),
            25 | 587 => Some("smtp"),
            _ => None,
        };
        if let Some(proto) = line_proto {
            // POP3 logs in with USER/PASS or with AUTH; SMTP with AUTH
            let modes: &[(&str, &str)] = match proto {
                "pop3" => &[("pop3", "pop3 login"), ("pop3-auth", "POP3 AUTH")],
                "smtp" => &[("smtp", "SMTP AUTH login")],
                "imap" => &[("imap", "imap login")],
                _ => &[("ftp", "ftp login")],
            };
            for (mode, label) in modes {
                for (u, p) in apps::line_credentials(mode, stream) {
                    self.finding(
                        "credentials_in_clear",
                        proto,
                        "high",
                        s.clone(),
                        d.clone(),
                        Some(u),
                        Some(p),
                        label.to_string(),
                    );
                }
            }
        }
        if dp == 1883 || sp == 1883 || payload.first().is_some_and(|b| b >> 4 == 1) {
            if let Some((client, user, pass)) = apps::mqtt_connect(payload) {
                if user.is_some() || pass.is_some() {
                    self.finding(
                        "credentials_in_clear",
                        "mqtt",
                        "high",
                        s.clone(),
                        d.clone(),
                        user,
                        pass,
                        format!("MQTT CONNECT (client id {client})"),
                    );
                }
            }
        }
    }

    fn finish(mut self) -> Report {
        let mut eps: Vec<Endpoint> = self
            .endpoints
            .into_iter()
            .map(|((device, remote, port, tcp), st)| {
                let address = remote.to_string();
                Endpoint {
                    device: device.to_string(),
                    name: self.names.get(&address).cloned(),
                    address,
                    port,
                    protocol: if tcp { "tcp" } else { "udp" }.to_string(),
                    bytes: st.bytes,
                    packets: st.packets,
                    first_seen: st.first_seen,
                    last_seen: st.last_seen,
                }
            })
            .collect();
        eps.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.address.cmp(&b.address)));
        // addresses contacted with no DNS answer naming them
        for e in &eps {
            if e.name.is_none()
                && e.protocol == "tcp"
                && !e.address.parse::<IpAddr>().is_ok_and(|a| is_local(&a))
                && e.packets > 0
            {
                self.report.findings.push(Finding {
                    kind: "hardcoded_address".into(),
                    protocol: e.protocol.clone(),
                    severity: "low".into(),
                    src: e.device.clone(),
                    dst: e.address.clone(),
                    packets: vec![],
                    username: None,
                    secret: None,
                    detail: format!("contacted {}:{} with no DNS lookup naming it in the capture", e.address, e.port),
                });
            }
        }
        self.report.endpoints = eps;
        // periodic beaconing: at least 5 connections at near-constant intervals of a second or more
        let mut beacons: Vec<_> = self.starts.into_iter().filter(|(_, v)| v.len() >= 5).collect();
        beacons.sort_by(|a, b| a.0.cmp(&b.0));
        for ((device, remote, port), ts) in beacons {
            let gaps: Vec<f64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
            let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
            if mean >= 1.0 && var.sqrt() / mean < 0.1 {
                self.report.findings.push(Finding {
                    kind: "periodic_beacon".into(),
                    protocol: "tcp".into(),
                    severity: "low".into(),
                    src: device.to_string(),
                    dst: remote.to_string(),
                    packets: vec![],
                    username: None,
                    secret: None,
                    detail: format!("{} connections to port {port} every {mean:.1} s", ts.len()),
                });
            }
        }
        self.report
    }
}

fn linktype_name(l: Linktype) -> String {
    format!("{l:?}")
}

/// The IP packet inside an 802.11 data frame (LLC/SNAP with an IPv4 or IPv6 ethertype).
fn wifi_payload(f: &[u8]) -> Option<&[u8]> {
    let fc = *f.first()?;
    let flags = *f.get(1)?;
    if (fc >> 2) & 0x3 != 2 {
        return None; // not a data frame
    }
    let subtype = fc >> 4;
    if subtype & 0x4 != 0 || flags & 0x40 != 0 {
        return None; // no payload, or protected (encrypted)
    }
    let mut hdr = 24;
    if flags & 0x03 == 0x03 {
        hdr += 6; // four addresses (WDS)
    }
    if subtype & 0x8 != 0 {
        hdr += 2; // QoS control
    }
    let llc = f.get(hdr..hdr + 8)?;
    if llc[..3] != [0xAA, 0xAA, 0x03] {
        return None;
    }
    match [llc[6], llc[7]] {
        [0x08, 0x00] | [0x86, 0xDD] => f.get(hdr + 8..),
        _ => None,
    }
}

/// The IP packet inside a PPP frame (with or without address/control bytes).
fn ppp_payload(f: &[u8]) -> Option<&[u8]> {
    let f = if f.starts_with(&[0xFF, 0x03]) { f.get(2..)? } else { f };
    match f.get(..2)? {
        [0x00, 0x21] | [0x00, 0x57] => f.get(2..),
        [0x21, ..] | [0x57, ..] => f.get(1..),
        _ => None,
    }
}

/// Reads one capture (pcap or pcapng, any byte order) into the report.
fn read_into(an: &mut Analyzer, input: Box<dyn Read + Send>, name: &str) -> Result<(), String> {
    let mut reader = pcap_parser::create_reader(1 << 20, input)
        .map_err(|e| format!("{name}: not a pcap or pcapng capture ({e:?})"))?;
    let mut if_linktypes: Vec<Linktype> = Vec::new();
    let mut legacy_link = Linktype::ETHERNET;
    let mut legacy_nano = false;
    let mut if_scale: Vec<f64> = Vec::new();
    let mut consumed: u64 = 0;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_link = h.network;
                        legacy_nano = h.is_nanosecond_precision();
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let ts = b.ts_sec as f64 + b.ts_usec as f64 / if legacy_nano { 1e9 } else { 1e6 };
                        an.packet(legacy_link, b.data, ts, b.origlen as usize);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        if_linktypes.clear();
                        if_scale.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        if_linktypes.push(idb.linktype);
                        if_scale.push(10f64.powi(idb.if_tsresol as i32).max(1.0));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let i = epb.if_id as usize;
                        let lt = if_linktypes.get(i).copied().unwrap_or(Linktype::ETHERNET);
                        let scale = if_scale.get(i).copied().unwrap_or(1e6);
                        let ts = (((epb.ts_high as u64) << 32) | epb.ts_low as u64) as f64 / scale;
                        an.packet(lt, epb.data, ts, epb.origlen as usize);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let lt = if_linktypes.first().copied().unwrap_or(Linktype::ETHERNET);
                        an.packet(lt, spb.data, 0.0, spb.origlen as usize);
                    }
                    _ => {}
                }
                consumed += offset as u64;
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    an.report.stopped = Some(format!("{name}: read error after {consumed} bytes"));
                    break;
                }
                // refill made no progress at end of file: truncated
                match reader.next() {
                    Err(PcapError::Incomplete(_)) => {
                        an.report.stopped =
                            Some(format!("{name}: truncated after {consumed} bytes ({} packets read)", an.packet_no));
                        break;
                    }
                    Err(PcapError::Eof) => break,
                    _ => continue,
                }
            }
            Err(PcapError::UnexpectedEof) => {
                an.report.stopped =
                    Some(format!("{name}: truncated after {consumed} bytes ({} packets read)", an.packet_no));
                break;
            }
            Err(e) => {
                an.report.stopped = Some(format!("{name}: unreadable block after {consumed} bytes: {e:?}"));
                break;
            }
        }
    }
    Ok(())
}

impl Analyzer<'_> {
    fn packet(&mut self, lt: Linktype, data: &[u8], ts: f64, origlen: usize) {
        self.packet_no += 1;
        self.report.packets += 1;
        self.report.bytes += origlen as u64;
        let sliced = match lt {
            Linktype::ETHERNET => SlicedPacket::from_ethernet(data),
            Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => SlicedPacket::from_ip(data),
            Linktype(12) | Linktype(14) => SlicedPacket::from_ip(data),
            Linktype::LINUX_SLL => SlicedPacket::from_linux_sll(data),
            Linktype::LINUX_SLL2 => match data.get(20..) {
                Some(d) => SlicedPacket::from_ip(d),
                None => {
                    self.report.not_analysed += 1;
                    return;
                }
            },
            Linktype::NULL | Linktype::LOOP => match data.get(4..) {
                Some(d) => SlicedPacket::from_ip(d),
                None => {
                    self.report.not_analysed += 1;
                    return;
                }
            },
            Linktype(105) | Linktype(127) | Linktype(9) => {
                let inner = match lt {
                    Linktype(127) => data
                        .get(2..4)
                        .map(|l| u16::from_le_bytes([l[0], l[1]]) as usize)
                        .and_then(|l| data.get(l..))
                        .and_then(wifi_payload),
                    Linktype(105) => wifi_payload(data),
                    _ => ppp_payload(data),
                };
                match inner {
                    Some(ip) => SlicedPacket::from_ip(ip),
                    None => {
                        self.report.not_analysed += 1;
                        return;
                    }
                }
            }
            other => {
                *self.report.skipped.entry(linktype_name(other)).or_default() += 1;
                return;
            }
        };
        match sliced {
            Ok(s) => self.ip_packet(s, ts, origlen),
            Err(_) => self.report.not_analysed += 1,
        }
    }
}

/// Analyses one capture from a reader.
pub fn analyze_reader(input: Box<dyn Read + Send>, name: &str, opts: &Options) -> Result<Report, String> {
    let mut an = Analyzer {
        opts,
        report: Report::default(),
        flows: HashMap::default(),
        endpoints: HashMap::default(),
        devices: opts.devices.iter().filter_map(|d| d.parse().ok()).collect(),
        names: HashMap::default(),
        findings: HashMap::default(),
        packet_no: 0,
        hello_seen: Default::default(),
        starts: HashMap::default(),
        defrag: Default::default(),
    };
    an.report.files.push(name.to_string());
    read_into(&mut an, input, name)?;
    Ok(an.finish())
}

/// Analyses one capture file.
pub fn analyze_path(path: &std::path::Path, opts: &Options) -> Result<Report, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if f.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(format!("{}: empty file", path.display()));
    }
    analyze_reader(Box::new(std::io::BufReader::new(f)), &path.display().to_string(), opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_and_ppp_frames() {
        // 802.11 data frame (QoS), LLC/SNAP, IPv4
        let mut f = vec![0x88, 0x01];
        f.extend_from_slice(&[0u8; 22]); // duration, 3 addresses, sequence
        f.extend_from_slice(&[0, 0]); // QoS control
        f.extend_from_slice(&[0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0, 0, 20]);
        assert_eq!(wifi_payload(&f).map(|p| p[0]), Some(0x45));
        let mut protected = f.clone();
        protected[1] |= 0x40;
        assert!(wifi_payload(&protected).is_none(), "encrypted frames are not read");
        let mut beacon = f.clone();
        beacon[0] = 0x80;
        assert!(wifi_payload(&beacon).is_none(), "management frames are not data");
        assert_eq!(ppp_payload(&[0xFF, 0x03, 0x00, 0x21, 0x45]).map(|p| p[0]), Some(0x45));
        assert!(ppp_payload(&[0xC0, 0x21, 1]).is_none(), "LCP is not IP");
    }
}
