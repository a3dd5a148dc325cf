//! Reading captures and following flows.

use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::io::Read;
use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{Block, Linktype, PcapBlockOwned, PcapError};

use crate::apps::{self, contains_ci};
use crate::quic;
use crate::report::{
    DnsEntry, Endpoint, Finding, HttpEntry, NameEntry, Options, Report, TlsCodes, TlsEntry, TunnelEntry,
};
use crate::tunnel::{self, Decap, Inner, Tunnel};

/// How much of each TCP direction is kept for protocol parsing.
const STREAM_PREFIX: usize = 4 * 1024;
/// Open flows followed at once (a direction leaves at its FIN or RST); when full they are
/// dropped (bounded memory: at most MAX_FLOWS x STREAM_PREFIX = 32 MiB of stream data, kept and
/// waiting, whatever the capture size).
const MAX_FLOWS: usize = 8_192;
/// Ports whose client streams are parsed (logins, ICS requests), besides TLS and HTTP.
const STREAM_PORTS: [u16; 15] = [21, 23, 25, 53, 80, 110, 143, 587, 1883, 8080, 502, 102, 20000, 44818, 513];

/// Tunnels inside tunnels are followed this deep; deeper ones are counted, not read.
const MAX_TUNNEL_DEPTH: usize = 8;
/// QUIC connections whose Initial packets are followed at once (the ClientHello may span
/// several); when full the table starts again.
const MAX_QUIC: usize = 4_096;

/// Industrial protocols whose requests are read in every segment, however long the session.
const ICS_PORTS: [u16; 4] = [502, 102, 20000, 44818];

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

const CLEARTEXT: [(u16, &str, &str); 9] = [
    (21, "ftp", "ftp carries data unencrypted"),
    (23, "telnet", "telnet carries data unencrypted"),
    (80, "http", "http carries data unencrypted"),
    (110, "pop3", "pop3 carries data unencrypted"),
    (143, "imap", "imap carries data unencrypted"),
    (25, "smtp", "smtp carries data unencrypted"),
    (1883, "mqtt", "mqtt carries data unencrypted"),
    (161, "snmp", "snmp carries data unencrypted"),
    (513, "rlogin", "rlogin carries data unencrypted"),
];
/// Services a device offers when it answers a TCP connection attempt on these ports.
const LISTENING: [(u16, &str); 12] = [
    (23, "telnet"),
    (21, "ftp"),
    (513, "rlogin"),
    (514, "rsh"),
    (1900, "upnp"),
    (5000, "upnp"),
    (502, "modbus"),
    (102, "s7"),
    (20000, "dnp3"),
    (44818, "ethernet/ip"),
    (47808, "bacnet"),
    (1883, "mqtt"),
];
/// UDP services a device offers when it answers a request sent to these ports.
const LISTENING_UDP: [(u16, &str); 7] = [
    (47808, "bacnet"),
    (1900, "upnp"),
    (161, "snmp"),
    (44818, "ethernet/ip"),
    (2222, "ethernet/ip"),
    (20000, "dnp3"),
    (69, "tftp"),
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

/// Per-endpoint counters; turned into report entries only at the end.
#[derive(Clone, Copy)]
struct EndpointStats {
    bytes: u64,
    packets: u64,
    first_seen: f64,
    last_seen: f64,
    /// Whether a DNS answer had named the remote address before the first packet.
    named_before: bool,
}

#[derive(Default)]
struct Flow {
    /// A login server's direction asked for a user name / a password (seen in any segment, past
    /// the kept prefix too: banners can be long).
    asks_login: bool,
    asks_password: bool,
    /// The last packet that carried data for this direction (eviction drops the oldest).
    last_packet: u64,
    next_seq: Option<u32>,
    buf: Vec<u8>,
    /// Segments that arrived ahead of a gap, waiting for it to fill (at most `MAX_PENDING`).
    pending: Vec<(u32, Vec<u8>)>,
    first_packet: u64,
    handled_len: usize,
    /// The TLS entry this flow's ClientHello went to, once seen.
    tls: Option<usize>,
    hello_seen: bool,
    /// DNS over TCP: where the next length-prefixed message starts in `buf`.
    dns_at: usize,
    /// Where an HTTP request whose header had not ended in its first segment starts in `buf`.
    http_at: Option<usize>,
}

/// A QUIC connection's client Initial packets, until its ClientHello is whole.
struct QuicConn {
    /// The Destination Connection ID of the client's first Initial (its keys stay in use).
    dcid: Vec<u8>,
    handshake: Option<quic::Handshake>,
}

/// Out-of-order segments kept per flow direction, and how far ahead of the gap they may start.
const MAX_PENDING: usize = 8;
const MAX_AHEAD: u32 = 64 * 1024;

impl Flow {
    /// TCP reassembly of the kept prefix: in-order data is appended, retransmitted bytes are
    /// skipped (overlaps keep the first copy), segments past a gap wait in `pending`.
    fn add(&mut self, seq: u32, payload: &[u8]) {
        let Some(next) = self.next_seq else {
            self.append(seq, payload);
            return;
        };
        let ahead = seq.wrapping_sub(next);
        if ahead == 0 {
            self.append(seq, payload);
        } else if ahead < MAX_AHEAD {
            // waiting bytes and kept bytes together stay within the prefix bound
            let waiting: usize = self.pending.iter().map(|(_, p)| p.len()).sum();
            let room = STREAM_PREFIX.saturating_sub(self.buf.len() + waiting);
            if self.pending.len() < MAX_PENDING && room > 0 {
                let keep = payload.len().min(room);
                self.pending.push((seq, payload[..keep].to_vec()));
            }
            return;
        } else {
            // behind: a retransmission, or an overlap whose tail is new
            let behind = next.wrapping_sub(seq) as usize;
            if behind < payload.len() {
                self.append(next, &payload[behind..]);
            }
        }
        // segments the gap was waiting for
        while let Some(i) = self.pending.iter().position(|(s, p)| {
            let n = self.next_seq.unwrap_or(0);
            n.wrapping_sub(*s) as usize <= p.len() && n.wrapping_sub(*s) < MAX_AHEAD
        }) {
            let (s, p) = self.pending.swap_remove(i);
            let skip = self.next_seq.unwrap_or(s).wrapping_sub(s) as usize;
            let rest = p[skip..].to_vec();
            let at = s.wrapping_add(skip as u32);
            self.append(at, &rest);
        }
        // waiting segments the stream has gone past are dropped
        let n = self.next_seq.unwrap_or(0);
        self.pending.retain(|(s, p)| {
            let behind = n.wrapping_sub(*s);
            !(behind < MAX_AHEAD && behind as usize >= p.len())
        });
    }

    fn append(&mut self, seq: u32, payload: &[u8]) {
        if self.buf.len() < STREAM_PREFIX {
            let take = payload.len().min(STREAM_PREFIX - self.buf.len());
            self.buf.extend_from_slice(&payload[..take]);
        }
        self.next_seq = Some(seq.wrapping_add(payload.len() as u32));
    }
}

type FlowKey = (IpAddr, u16, IpAddr, u16);
/// A tunnel: kind, outer source and destination, identifier, the tunnel it is nested in.
type TunnelKey = (&'static str, Option<IpAddr>, Option<IpAddr>, Option<u32>, Option<u32>);
/// Device, remote address, service port, TCP (or UDP).
type EndpointKey = (IpAddr, IpAddr, u16, bool);
/// A finding is reported once per kind, device, peer (none for cleartext protocols and listening
/// services: one per device and protocol), protocol and distinguishing detail (credentials, ICS operation).
type FindingKey = (&'static str, IpAddr, Option<IpAddr>, &'static str, String);

/// What one finding says, before it is merged with earlier sightings.
struct Seen {
    kind: &'static str,
    protocol: &'static str,
    severity: &'static str,
    src: IpAddr,
    dst: IpAddr,
    username: Option<String>,
    secret: Option<String>,
    detail: std::borrow::Cow<'static, str>,
}

impl Seen {
    fn new(kind: &'static str, protocol: &'static str, severity: &'static str, src: IpAddr, dst: IpAddr) -> Self {
        Seen { kind, protocol, severity, src, dst, username: None, secret: None, detail: "".into() }
    }

    fn detail(mut self, d: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.detail = d.into();
        self
    }

    fn credentials(mut self, user: Option<String>, secret: Option<String>) -> Self {
        self.username = user;
        self.secret = secret;
        self
    }
}

struct Analyzer<'a> {
    opts: &'a Options,
    report: Report,
    flows: HashMap<FlowKey, Flow>,
    /// Endpoint counters, and where each key's are (bursts of one conversation skip the lookup).
    endpoints: Vec<(EndpointKey, EndpointStats)>,
    endpoint_index: HashMap<EndpointKey, u32>,
    last_endpoint: Option<(EndpointKey, u32)>,
    /// Devices under test (given, or learnt from their MAC addresses); empty means every host.
    devices: Vec<IpAddr>,
    device_macs: Vec<[u8; 6]>,
    /// Which of this packet's MAC addresses belong to a device under test: 1 source, 2 destination.
    mac_hit: u8,
    /// Names from DNS answers, by address.
    names: HashMap<IpAddr, String>,
    findings: HashMap<FindingKey, usize>,
    dns_index: HashMap<(IpAddr, String, &'static str), usize>,
    tls_index: HashMap<(IpAddr, IpAddr, u16, Option<String>, bool), usize>,
    /// HTTP entries by a hash of (client, server, method, host, path, user agent); the entry
    /// itself is compared on a hit, so the strings are not held twice.
    http_index: HashMap<u64, usize>,
    names_seen: FxHashSet<(IpAddr, String)>,
    /// UDP requests to service ports awaiting an answer: (server or any, port, client).
    udp_requests: FxHashSet<(IpAddr, u16, IpAddr)>,
    packet_no: u64,
    /// Capture time of the packet being read.
    ts: f64,
    /// Connection starts per (device, remote, port), for beaconing: how many, and the times of
    /// the first 16.
    starts: HashMap<(IpAddr, IpAddr, u16), (u64, Vec<f64>)>,
    /// IP datagrams being reassembled from fragments.
    defrag: Defrag,
    /// The innermost tunnel the packet being read came through (an index into the report's).
    tunnel: Option<u32>,
    tunnel_index: HashMap<TunnelKey, u32>,
    /// QUIC connections by client address and port, server address and port.
    quic: HashMap<FlowKey, QuicConn>,
    /// (device, remote, service port) of UDP endpoints that carry QUIC.
    quic_endpoints: FxHashSet<(IpAddr, IpAddr, u16)>,
}

fn is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_loopback() || v.is_link_local(),
        IpAddr::V6(v) => {
            v.is_loopback() || (v.segments()[0] & 0xfe00) == 0xfc00 || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The service side of a conversation: a port of the services above (or DNS, HTTP(S), NTP,
/// SNMP), else the lower port (clients use ephemeral ports, servers well-known or registered ones).
fn service_port(sp: u16, dp: u16) -> u16 {
    let known = |p: u16| {
        matches!(p, 21 | 23 | 25 | 53 | 80 | 102 | 110 | 123 | 143 | 161 | 443 | 502 | 513 | 514 | 587 | 1883)
            || matches!(p, 1900 | 2222 | 5000 | 5353 | 8080 | 8883 | 20000 | 44818 | 47808)
    };
    match (known(sp), known(dp)) {
        (true, false) => sp,
        (false, true) => dp,
        _ => sp.min(dp),
    }
}

/// The addresses and IP payload of a packet read leniently.
fn lax_addresses<'p>(
    p: &etherparse::LaxSlicedPacket<'p>,
) -> Option<(IpAddr, IpAddr, etherparse::LaxIpPayloadSlice<'p>)> {
    match &p.net {
        Some(etherparse::LaxNetSlice::Ipv4(v4)) => Some((
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload().clone(),
        )),
        Some(etherparse::LaxNetSlice::Ipv6(v6)) => Some((
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload().clone(),
        )),
        None => None,
    }
}

/// The DNS-format protocol of a UDP datagram between these ports, if any.
fn dns_ports(sp: u16, dp: u16) -> Option<&'static str> {
    dns_port(sp).or_else(|| dns_port(dp))
}

/// DNS-format protocols by UDP port: DNS, multicast DNS, LLMNR.
fn dns_port(port: u16) -> Option<&'static str> {
    match port {
        53 => Some("dns"),
        5353 => Some("mdns"),
        5355 => Some("llmnr"),
        _ => None,
    }
}

/// A `--device` value: an IP address or a MAC address (`aa:bb:cc:dd:ee:ff` or with dashes).
pub(crate) fn parse_device(s: &str) -> Result<Result<IpAddr, [u8; 6]>, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Ok(ip));
    }
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() == 6 && parts.iter().all(|p| p.len() == 2) {
        let mut mac = [0u8; 6];
        for (m, p) in mac.iter_mut().zip(&parts) {
            *m = u8::from_str_radix(p, 16).map_err(|_| format!("--device {s}: not an IP or MAC address"))?;
        }
        return Ok(Err(mac));
    }
    Err(format!("--device {s}: not an IP or MAC address"))
}

impl<'a> Analyzer<'a> {
    fn new(opts: &'a Options) -> Result<Self, String> {
        let (mut devices, mut device_macs) = (Vec::new(), Vec::new());
        for d in &opts.devices {
            match parse_device(d)? {
                Ok(ip) => devices.push(ip),
                Err(mac) => device_macs.push(mac),
            }
        }
        Ok(Analyzer {
            opts,
            report: Report::default(),
            flows: HashMap::default(),
            endpoints: Vec::new(),
            endpoint_index: HashMap::default(),
            last_endpoint: None,
            devices,
            device_macs,
            mac_hit: 0,
            names: HashMap::default(),
            findings: HashMap::default(),
            dns_index: HashMap::default(),
            tls_index: HashMap::default(),
            http_index: HashMap::default(),
            names_seen: FxHashSet::default(),
            udp_requests: FxHashSet::default(),
            packet_no: 0,
            ts: 0.0,
            starts: HashMap::default(),
            defrag: Default::default(),
            tunnel: None,
            tunnel_index: HashMap::default(),
            quic: HashMap::default(),
            quic_endpoints: FxHashSet::default(),
        })
    }

    /// The flow table is full: the half least recently active goes (flows whose peers went quiet
    /// without FIN or RST, mostly), so that logins in progress survive.
    fn evict_flows(&mut self) {
        let mut ages: Vec<u64> = self.flows.values().map(|f| f.last_packet).collect();
        let mid = ages.len() / 2;
        let (_, median, _) = ages.select_nth_unstable(mid);
        let cutoff = *median;
        let leaving: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(_, f)| f.last_packet <= cutoff && f.http_at.is_some())
            .map(|(k, _)| *k)
            .collect();
        for key in leaving {
            self.pending_http(&key);
        }
        self.flows.retain(|_, f| f.last_packet > cutoff);
    }

    /// A request whose header never ended before its flow left the table: what there is of it.
    fn pending_http(&mut self, key: &FlowKey) {
        let Some(f) = self.flows.get_mut(key) else { return };
        let Some(at) = f.http_at.take() else { return };
        if let Some(h) = f.buf.get(at..).and_then(apps::http_request) {
            self.http(key.0, key.2, h);
        }
    }

    /// Something recognised but not read (see `Report::not_decoded`).
    fn not_decoded(&mut self, why: &str) {
        match self.report.not_decoded.get_mut(why) {
            Some(n) => *n += 1,
            None => {
                self.report.not_decoded.insert(why.to_string(), 1);
            }
        }
    }

    fn not_listed(&mut self, list: &str) {
        match self.report.not_listed.get_mut(list) {
            Some(n) => *n += 1,
            None => {
                self.report.not_listed.insert(list.to_string(), 1);
            }
        }
    }

    /// Which side of a packet is the device, and whether it sent the packet: a device under test
    /// when given; otherwise the local side, and between two local (or two public) hosts the
    /// client, so that both directions of a conversation count for one endpoint.
    fn device_of(&self, src: IpAddr, dst: IpAddr, sp: u16, dp: u16) -> Option<(IpAddr, IpAddr, bool)> {
        if !self.opts.devices.is_empty() {
            if self.devices.contains(&src) {
                return Some((src, dst, true));
            }
            if self.devices.contains(&dst) {
                return Some((dst, src, false));
            }
            return None;
        }
        let client_is_dst = service_port(sp, dp) == sp && sp != dp;
        match (is_local(&src), is_local(&dst)) {
            (true, false) => Some((src, dst, true)),
            (false, true) => Some((dst, src, false)),
            _ if client_is_dst => Some((dst, src, false)),
            _ => Some((src, dst, true)),
        }
    }

    /// Whether `ip` may be a device answering on a service port (any host when no device is given).
    fn may_be_device(&self, ip: &IpAddr) -> bool {
        self.opts.devices.is_empty() || self.devices.contains(ip)
    }

    /// Records a finding, or adds this packet as evidence to the same finding seen before.
    fn finding(&mut self, f: Seen) {
        let peer = if matches!(f.kind, "cleartext_protocol" | "listening_service") { None } else { Some(f.dst) };
        let distinct = match (f.kind, &f.username, &f.secret) {
            ("ics_operation", _, _) => f.detail.to_string(),
            (_, None, None) => String::new(),
            (_, u, s) => format!("{}\u{0}{}", u.as_deref().unwrap_or(""), s.as_deref().unwrap_or("")),
        };
        let key = (f.kind, f.src, peer, f.protocol, distinct);
        // a user name reported before its secret showed (rlogin asks for the password later):
        // the same sighting with the secret completes that finding
        if let (Some(user), Some(secret)) = (&f.username, &f.secret)
            && !self.findings.contains_key(&key)
            && let Some(&i) = self.findings.get(&(f.kind, f.src, peer, f.protocol, format!("{user}\u{0}")))
            && self.report.findings[i].secret.is_none()
            && self.report.findings[i].detail == f.detail
        {
            let shown = if self.opts.show_secrets { secret.clone() } else { "***".into() };
            self.report.findings[i].secret = Some(shown);
            self.findings.insert(key.clone(), i);
        }
        if let Some(i) = self.findings.get(&key) {
            let e = &mut self.report.findings[*i];
            if e.packets.len() < 20 && !e.packets.contains(&self.packet_no) {
                e.packets.push(self.packet_no);
            }
            return;
        }
        if self.findings.len() >= self.opts.bounds.findings {
            self.not_listed("findings");
            return;
        }
        let secret = f.secret.map(|s| if self.opts.show_secrets { s } else { "***".into() });
        self.findings.insert(key, self.report.findings.len());
        self.report.findings.push(Finding {
            kind: f.kind,
            protocol: f.protocol,
            severity: f.severity,
            src: f.src,
            dst: f.dst,
            packets: vec![self.packet_no],
            first_seen: self.ts,
            username: f.username,
            secret,
            detail: f.detail.into_owned(),
            tunnel: self.tunnel,
        });
    }

    /// An Ethernet frame: VLAN tags are stepped over, then what its EtherType says follows.
    fn ethernet(&mut self, frame: &[u8], len: usize, depth: usize) {
        match tunnel::ethernet(frame) {
            Some((ty, payload)) => self.ethertype(ty, payload, len, depth),
            None => self.report.not_analysed += 1,
        }
    }

    fn ethertype(&mut self, ty: u16, payload: &[u8], len: usize, depth: usize) {
        match ty {
            0x0800 | 0x86DD => self.ip(payload, len, depth),
            0x8847 | 0x8848 => {
                self.decap(tunnel::mpls(payload), None, len, depth);
            }
            0x8864 => {
                if !self.decap(tunnel::pppoe(payload), None, len, depth) {
                    self.report.not_analysed += 1;
                }
            }
            _ => self.report.not_analysed += 1,
        }
    }

    fn ip(&mut self, packet: &[u8], len: usize, depth: usize) {
        match SlicedPacket::from_ip(packet) {
            Ok(s) => self.ip_packet(s, len, depth),
            Err(_) => self.ip_cut_short(packet, len, depth),
        }
    }

    /// A packet the capture cut short (a snap length below the packet's, a quoted or truncated
    /// inner packet): its headers are read as far as they go and what payload there is is
    /// analysed. Fragments cut short are not reassembled.
    fn ip_cut_short(&mut self, packet: &[u8], len: usize, depth: usize) {
        let Ok(p) = etherparse::LaxSlicedPacket::from_ip(packet) else {
            self.report.not_analysed += 1;
            return;
        };
        let Some((src, dst, payload)) = lax_addresses(&p) else {
            self.report.not_analysed += 1;
            return;
        };
        if payload.fragmented {
            self.report.not_analysed += 1;
            return;
        }
        self.learn_device(src, dst);
        if p.transport.is_some() {
            self.transport(src, dst, p.transport, len, depth);
        } else {
            self.ip_tunnel(src, dst, payload.ip_number.0, payload.payload, len, depth);
        }
    }

    /// A device given by its MAC address: its IP addresses are learnt from its frames.
    fn learn_device(&mut self, src: IpAddr, dst: IpAddr) {
        if self.mac_hit != 0 {
            for (bit, ip) in [(1, src), (2, dst)] {
                if self.mac_hit & bit != 0 && !ip.is_unspecified() && !self.devices.contains(&ip) {
                    self.devices.push(ip);
                }
            }
        }
    }

    /// What a tunnel header said: the inner packet is read as if captured on its own (true), a
    /// broken header is counted (true: the packet is not read further), or it was not a tunnel
    /// (false: the caller reads the packet as it is).
    fn decap(&mut self, d: Decap, outer: Option<(IpAddr, IpAddr)>, len: usize, depth: usize) -> bool {
        let (t, inner) = match d {
            Decap::Not => return false,
            Decap::Malformed(why) => {
                self.not_decoded(why);
                return true;
            }
            Decap::Inner(t, inner) => (t, inner),
        };
        if depth >= MAX_TUNNEL_DEPTH {
            self.not_decoded("tunnels nested past the bound (8 deep)");
            return true;
        }
        self.enter_tunnel(t, outer, len);
        // a device given by its MAC address is looked for in the inner frame (mirrored traffic);
        // the outer frame's addresses belong to the tunnel's ends, not to what it carries
        if !self.device_macs.is_empty() {
            match inner {
                Inner::Ethernet(frame) => self.match_macs(frame.get(6..12), frame.get(0..6)),
                _ => self.mac_hit = 0,
            }
        }
        match inner {
            Inner::Ethernet(frame) => self.ethernet(frame, len, depth + 1),
            Inner::Ip(packet) => self.ip(packet, len, depth + 1),
            Inner::Ppp(frame) => match ppp_payload(frame) {
                Some(packet) => self.ip(packet, len, depth + 1),
                None => self.report.not_analysed += 1,
            },
            Inner::Mpls(stack) => {
                self.decap(tunnel::mpls(stack), None, len, depth + 1);
            }
            Inner::Wifi(frame) => match wifi_payload(frame) {
                Some(packet) => self.ip(packet, len, depth + 1),
                None => self.report.not_analysed += 1,
            },
        }
        true
    }

    /// Counts the packet for its tunnel, which becomes the innermost one it came through.
    fn enter_tunnel(&mut self, t: Tunnel, outer: Option<(IpAddr, IpAddr)>, len: usize) {
        let (src, dst) = (outer.map(|o| o.0), outer.map(|o| o.1));
        let key = (t.kind, src, dst, t.id, self.tunnel);
        if let Some(&i) = self.tunnel_index.get(&key) {
            let e = &mut self.report.tunnels[i as usize];
            e.packets += 1;
            e.bytes += len as u64;
            self.tunnel = Some(i);
        } else if self.report.tunnels.len() < self.opts.bounds.entries {
            let i = self.report.tunnels.len() as u32;
            self.report.tunnels.push(TunnelEntry {
                kind: t.kind,
                outer_src: src,
                outer_dst: dst,
                id: t.id,
                inside: self.tunnel,
                first_packet: self.packet_no,
                packets: 1,
                bytes: len as u64,
            });
            self.tunnel_index.insert(key, i);
            self.tunnel = Some(i);
        } else {
            self.not_listed("tunnels");
            self.tunnel = None;
        }
    }

    fn ip_packet(&mut self, sliced: SlicedPacket, len: usize, depth: usize) {
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
        self.learn_device(src, dst);
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
                n => {
                    self.ip_tunnel(src, dst, n.0, &whole.payload, len, depth);
                    return;
                }
            };
            self.transport(src, dst, transport, len, depth);
            return;
        }
        if sliced.transport.is_none() {
            let payload = match &sliced.net {
                Some(NetSlice::Ipv4(v4)) => v4.payload(),
                Some(NetSlice::Ipv6(v6)) => v6.payload(),
                _ => return,
            };
            self.ip_tunnel(src, dst, payload.ip_number.0, payload.payload, len, depth);
            return;
        }
        self.transport(src, dst, sliced.transport, len, depth);
    }

    /// IP protocols that are tunnels: IP in IP (4in4, 6in4, 4in6, 6in6), GRE, MPLS in IP.
    fn ip_tunnel(&mut self, src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8], len: usize, depth: usize) {
        let d = match proto {
            4 | 41 => {
                let kind = match (src.is_ipv4(), proto == 4) {
                    (true, true) => "4in4",
                    (true, false) => "6in4",
                    (false, true) => "4in6",
                    (false, false) => "6in6",
                };
                Decap::Inner(Tunnel { kind, id: None }, Inner::Ip(payload))
            }
            47 => tunnel::gre(payload),
            137 => tunnel::mpls(payload),
            _ => return,
        };
        self.decap(d, Some((src, dst)), len, depth);
    }

    fn transport(&mut self, src: IpAddr, dst: IpAddr, transport: Option<TransportSlice>, len: usize, depth: usize) {
        match transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let (sp, dp) = (tcp.source_port(), tcp.destination_port());
                let Some((device, remote, outbound)) = self.device_of(src, dst, sp, dp) else { return };
                self.endpoint(device, remote, service_port(sp, dp), true, len);
                // a device that answers a connection attempt is listening
                if tcp.syn()
                    && tcp.ack()
                    && self.may_be_device(&src)
                    && let Some((_, name)) = LISTENING.iter().find(|(p, _)| *p == sp)
                {
                    self.finding(
                        Seen::new("listening_service", name, "medium", src, dst)
                            .detail(format!("the device answers connections on {name} port {sp}/tcp")),
                    );
                }
                if tcp.syn() && !tcp.ack() && outbound {
                    let ts = self.ts;
                    if let Some((n, v)) = self.starts.get_mut(&(device, remote, dp)) {
                        *n += 1;
                        if v.len() < 16 {
                            v.push(ts);
                        }
                    } else if self.starts.len() < self.opts.bounds.entries {
                        self.starts.insert((device, remote, dp), (1, vec![ts]));
                    }
                }
                let payload = tcp.payload();
                let key = (src, sp, dst, dp);
                // a direction that ends (FIN) or is reset leaves the table: it holds open flows
                let closing = tcp.fin() || tcp.rst();
                if payload.is_empty() {
                    if closing {
                        self.close_flow(&key);
                    }
                    return;
                }
                if !self.flows.contains_key(&key) {
                    if !interesting(sp, dp, payload) {
                        return;
                    }
                    if self.flows.len() >= MAX_FLOWS {
                        self.evict_flows();
                    }
                }
                let packet_no = self.packet_no;
                let flow = self.flows.entry(key).or_insert_with(|| Flow { first_packet: packet_no, ..Flow::default() });
                flow.last_packet = packet_no;
                if flow.buf.len() < STREAM_PREFIX {
                    flow.add(tcp.sequence_number(), payload);
                }
                if matches!(sp, 23 | 513) {
                    flow.asks_login |= contains_ci(payload, b"login") || contains_ci(payload, b"username");
                    flow.asks_password |= contains_ci(payload, b"password");
                }
                let fresh = flow.buf.len() != flow.handled_len;
                flow.handled_len = flow.buf.len();
                if !fresh && ICS_PORTS.contains(&dp) {
                    // industrial protocols are message per segment and sessions last: past the
                    // kept prefix, each request is still read for operations
                    self.ics(key, payload);
                } else if fresh {
                    let (buf, first) = (std::mem::take(&mut flow.buf), flow.first_packet);
                    self.tcp_app(key, &buf, payload, first);
                    if let Some(f) = self.flows.get_mut(&key) {
                        f.buf = buf;
                    }
                }
                if closing {
                    self.close_flow(&key);
                }
            }
            Some(TransportSlice::Udp(udp)) => {
                let (sp, dp) = (udp.source_port(), udp.destination_port());
                let payload = udp.payload();
                let d = match (sp, dp) {
                    (_, 4789) => tunnel::vxlan(payload),
                    (_, 6081) => tunnel::geneve(payload),
                    (2152, _) | (_, 2152) => tunnel::gtp_u(payload),
                    (_, 4754) => tunnel::gre(payload),
                    (3544, _) | (_, 3544) => tunnel::teredo(payload),
                    (5072, _) | (_, 5072) => tunnel::ayiya(payload),
                    _ => Decap::Not,
                };
                if !matches!(d, Decap::Not) && self.decap(d, Some((src, dst)), len, depth) {
                    return;
                }
                let Some((device, remote, _)) = self.device_of(src, dst, sp, dp) else { return };
                let port = service_port(sp, dp);
                self.endpoint(device, remote, port, false, len);
                self.udp_service(src, sp, dst, dp, payload);
                self.udp_app(src, sp, dst, dp, payload);
                if payload.first().is_some_and(|b| b & 0xC0 == 0xC0) && dns_ports(sp, dp).is_none() {
                    self.quic_packet((src, sp, dst, dp), (device, remote, port), payload);
                }
            }
            // destination unreachable, time exceeded, parameter problem
            Some(TransportSlice::Icmpv4(icmp)) if matches!(icmp.type_u8(), 3 | 11 | 12) => {
                self.icmp_quoted(icmp.payload())
            }
            Some(TransportSlice::Icmpv6(icmp)) if matches!(icmp.type_u8(), 1 | 3 | 4) => {
                self.icmp_quoted(icmp.payload())
            }
            _ => {}
        }
    }

    /// UDP services: a request to a service port is remembered; a device that answers it from
    /// that port is listening. Requests to broadcast or multicast addresses match any answer.
    fn udp_service(&mut self, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, payload: &[u8]) {
        let any = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        if let Some((_, name)) = LISTENING_UDP.iter().find(|(p, _)| *p == sp) {
            // BACnet peers all use port 47808: what the message is tells the server
            let answers = if sp == 47808 {
                apps::bacnet_answer(payload)
            } else {
                self.udp_requests.contains(&(src, sp, dst)) || self.udp_requests.contains(&(any, sp, dst))
            };
            if self.may_be_device(&src) && answers {
                self.finding(
                    Seen::new("listening_service", name, "medium", src, dst)
                        .detail(format!("the device answers requests on {name} port {sp}/udp")),
                );
                return;
            }
        }
        if LISTENING_UDP.iter().any(|(p, _)| *p == dp) && dp != 47808 {
            if self.udp_requests.len() >= 4096 {
                self.udp_requests.clear();
            }
            let broadcast = match dst {
                IpAddr::V4(v) => v.is_broadcast() || v.is_multicast() || v.octets()[3] == 255,
                IpAddr::V6(v) => v.is_multicast(),
            };
            self.udp_requests.insert((if broadcast { any } else { dst }, dp, src));
        }
    }

    /// A direction of a TCP flow ends: it leaves the table (a DNS message it left unfinished is
    /// counted).
    fn close_flow(&mut self, key: &FlowKey) {
        self.pending_http(key);
        let Some(f) = self.flows.remove(key) else { return };
        if (key.1 == 53 || key.3 == 53) && f.dns_at < f.buf.len() {
            self.not_decoded("DNS over TCP message cut short");
        }
    }

    /// A QUIC long-header packet: the endpoint is QUIC; a client's Initial packets are opened
    /// and their CRYPTO frames gathered until the ClientHello is whole.
    fn quic_packet(&mut self, key: FlowKey, endpoint: (IpAddr, IpAddr, u16), p: &[u8]) {
        let Some((version, ..)) = quic::long_header(p) else { return };
        if version == 0 {
            return; // version negotiation
        }
        let (src, sp, dst, dp) = key;
        // from a QUIC server's port to a client's: its Initials use keys only the client's reveal
        let quic_port = |p: u16| matches!(p, 443 | 853 | 4433 | 8443);
        if quic_port(sp) && !quic_port(dp) {
            return;
        }
        if !quic::known(version) {
            // other UDP traffic can look like a long header: a client's Initial of any version
            // fills at least 1,200 bytes (RFC 9000 section 14.1), and QUIC runs on 443 mostly
            if p.len() >= 1200 && (dp == 443 || version & 0x0f0f_0f0f == 0x0a0a_0a0a || version >> 8 == 0xff_0000) {
                self.not_decoded("QUIC Initial of a version not read");
            }
            return;
        }
        if self.quic.contains_key(&(dst, dp, src, sp)) {
            return; // the server's side of a connection whose client was seen
        }
        let original = match self.quic.get(&key) {
            Some(c) if c.handshake.is_none() => return, // ClientHello already read
            Some(c) => Some(c.dcid.clone()),
            None => None,
        };
        let init = match quic::client_initial(p, original.as_deref()) {
            Ok(init) => init,
            Err(quic::Error::NotInitial) => return,
            Err(quic::Error::Version(_)) => return self.not_decoded("QUIC Initial of a version not read"),
            Err(quic::Error::Malformed(why)) => return self.not_decoded(why),
            Err(quic::Error::Undecryptable) => {
                return self
                    .not_decoded("QUIC Initial that did not decrypt (corrupted, or a server's without its client's)");
            }
        };
        // an Initial that decrypted: the endpoint is QUIC
        if self.quic_endpoints.len() < self.opts.bounds.entries {
            self.quic_endpoints.insert(endpoint);
        }
        if self.quic.len() >= MAX_QUIC && !self.quic.contains_key(&key) {
            self.quic.clear();
        }
        let conn = self
            .quic
            .entry(key)
            .or_insert_with(|| QuicConn { dcid: init.dcid, handshake: Some(quic::Handshake::default()) });
        let Some(hs) = conn.handshake.as_mut() else { return };
        for (offset, data) in init.crypto {
            hs.add(offset, data);
        }
        if let Some(record) = hs.client_hello_record() {
            conn.handshake = None;
            if let Some(ch) = apps::client_hello(&record) {
                self.tls_hello(key, ch, Some(version));
            }
        }
    }

    fn endpoint(&mut self, device: IpAddr, remote: IpAddr, port: u16, tcp: bool, len: usize) {
        let (ts, key) = (self.ts, (device, remote, port, tcp));
        let slot = match self.last_endpoint {
            Some((k, i)) if k == key => Some(i),
            _ => self.endpoint_index.get(&key).copied(),
        };
        if let Some(i) = slot {
            let e = &mut self.endpoints[i as usize].1;
            e.bytes += len as u64;
            e.packets += 1;
            e.last_seen = ts;
            self.last_endpoint = Some((key, i));
        } else if self.endpoints.len() < self.opts.bounds.endpoints {
            let named_before = self.names.contains_key(&remote);
            let st = EndpointStats { bytes: len as u64, packets: 1, first_seen: ts, last_seen: ts, named_before };
            let i = self.endpoints.len() as u32;
            self.endpoints.push((key, st));
            self.endpoint_index.insert(key, i);
            self.last_endpoint = Some((key, i));
        } else {
            self.not_listed("endpoints");
        }
    }

    fn name(&mut self, address: IpAddr, name: String, source: &str) {
        if self.names_seen.contains(&(address, name.clone())) {
            return;
        }
        if self.names_seen.len() >= self.opts.bounds.entries {
            self.not_listed("names");
            return;
        }
        self.names_seen.insert((address, name.clone()));
        self.report.names.push(NameEntry { address, name, source: source.to_string() });
    }

    /// A DNS question (or an answer whose question was not captured), merged per client and name.
    fn dns_entry(
        &mut self,
        client: IpAddr,
        protocol: &'static str,
        query: String,
        answers: Vec<String>,
        question: bool,
    ) {
        if let Some(&i) = self.dns_index.get(&(client, query.clone(), protocol)) {
            let e = &mut self.report.dns[i];
            if question {
                e.count += 1;
            }
            for a in answers {
                if e.answers.len() < 16 && !e.answers.contains(&a) {
                    e.answers.push(a);
                }
            }
            return;
        }
        if self.dns_index.len() >= self.opts.bounds.entries {
            self.not_listed("dns");
            return;
        }
        self.dns_index.insert((client, query.clone(), protocol), self.report.dns.len());
        let tunnel = self.tunnel;
        self.report.dns.push(DnsEntry { packet: self.packet_no, client, protocol, query, answers, count: 1, tunnel });
    }

    /// A DNS, mDNS or LLMNR message: questions and answers to the DNS table, answered addresses
    /// to the names endpoints get, mDNS announcements to the names devices give themselves.
    fn dns_message(&mut self, src: IpAddr, dst: IpAddr, protocol: &'static str, d: apps::Dns) {
        for (name, addr) in &d.answers {
            if let Ok(a) = addr.parse::<IpAddr>()
                && (self.names.len() < self.opts.bounds.entries || self.names.contains_key(&a))
            {
                self.names.insert(a, name.clone());
            }
        }
        if protocol == "mdns" && d.response {
            for t in &d.targets {
                self.name(src, t.clone(), "mdns");
            }
        }
        if !d.response {
            for q in d.queries {
                self.dns_entry(src, protocol, q, vec![], true);
            }
        } else if let Some(q) = d.queries.first().cloned() {
            // an answer whose question was not captured still says what the client asked
            let answers = d.answers.into_iter().map(|(_, a)| a).collect();
            self.dns_entry(dst, protocol, q, answers, false);
        }
    }

    /// The packet an ICMP error quotes (at least its first 8 bytes past the IP header): a DNS
    /// message that could not be delivered still names what the device asked for. Only the
    /// names are taken (the quoted answer never reached the client).
    fn icmp_quoted(&mut self, quoted: &[u8]) {
        let Ok(p) = etherparse::LaxSlicedPacket::from_ip(quoted) else { return };
        let Some((src, dst, _)) = lax_addresses(&p) else { return };
        let Some(TransportSlice::Udp(udp)) = p.transport else { return };
        let (sp, dp) = (udp.source_port(), udp.destination_port());
        let Some(protocol) = dns_ports(sp, dp) else { return };
        // only about the devices under test, when they are given
        if self.device_of(src, dst, sp, dp).is_none() {
            return;
        }
        let Some(d) = apps::dns(udp.payload()) else { return };
        // the client is the question's sender, or the answer's addressee
        let client = if d.response { dst } else { src };
        for q in d.queries {
            self.dns_entry(client, protocol, q, vec![], false);
        }
    }

    /// DNS over TCP: length-prefixed messages, several to a segment or one split over several,
    /// read from the kept stream as they complete.
    fn dns_tcp(&mut self, key: FlowKey, stream: &[u8]) {
        let (src, _, dst, _) = key;
        let mut at = self.flows.get(&key).map_or(0, |f| f.dns_at);
        // `at` past the end (usize::MAX once a message can never complete) reads nothing more
        while let Some(len) =
            at.checked_add(2).and_then(|end| stream.get(at..end)).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        {
            let Some(msg) = stream.get(at + 2..at + 2 + len) else {
                if at + 2 + len > STREAM_PREFIX {
                    // it can never complete within the kept prefix
                    self.not_decoded("DNS over TCP message longer than the kept stream");
                    at = usize::MAX;
                }
                break;
            };
            if let Some(d) = apps::dns(msg) {
                self.dns_message(src, dst, "dns/tcp", d);
            }
            at += 2 + len;
        }
        if let Some(f) = self.flows.get_mut(&key) {
            f.dns_at = at;
        }
    }

    fn udp_app(&mut self, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, p: &[u8]) {
        if let Some(protocol) = dns_ports(sp, dp)
            && let Some(d) = apps::dns(p)
        {
            self.dns_message(src, dst, protocol, d);
        }
        if dp == 67 {
            for (source, name) in apps::dhcp_names(p) {
                self.name(src, name, source);
            }
        }
        if (sp == 1900 || dp == 1900)
            && let Some(server) = apps::ssdp_server(p)
        {
            self.name(src, server, "ssdp server");
        }
        if dp == 123 && !self.report.ntp_servers.contains(&dst) && self.report.ntp_servers.len() < 1024 {
            self.report.ntp_servers.push(dst);
        }
        if (dp == 161 || dp == 162)
            && let Some((v, community)) = apps::snmp_community(p)
        {
            self.finding(
                Seen::new("credentials_in_clear", "snmp", "high", src, dst)
                    .credentials(None, Some(community))
                    .detail(format!("SNMP v{} community string", if v == 0 { "1" } else { "2c" })),
            );
        }
    }

    /// A TLS ClientHello: one entry per client, server, port and server name, with a count.
    fn tls_hello(&mut self, key: FlowKey, ch: apps::ClientHello, quic: Option<u32>) {
        let (src, _, dst, dp) = key;
        let weak: Vec<String> = ch.ciphers.iter().filter_map(|c| apps::weak_cipher(*c)).map(str::to_string).collect();
        if !weak.is_empty() {
            self.finding(Seen::new("weak_tls_cipher_offered", "tls", "medium", src, dst).detail(weak.join(", ")));
        }
        let ikey = (src, dst, dp, ch.sni.clone(), quic.is_some());
        let index = if let Some(&i) = self.tls_index.get(&ikey) {
            self.report.tls[i].count += 1;
            Some(i)
        } else if self.tls_index.len() < self.opts.bounds.entries {
            self.tls_index.insert(ikey, self.report.tls.len());
            self.report.tls.push(TlsEntry {
                packet: self.packet_no,
                client: src,
                server: dst,
                port: dp,
                sni: ch.sni,
                alpn: ch.alpn,
                versions_offered: TlsCodes::versions(ch.versions.iter().copied().filter(|v| !apps::is_grease(*v))),
                ciphers_offered: ch.ciphers.len(),
                cipher_suites_offered: TlsCodes::ciphers(ch.ciphers.iter().copied().filter(|c| !apps::is_grease(*c))),
                weak_ciphers_offered: weak,
                version_chosen: None,
                cipher_chosen: None,
                certificate_subject: None,
                certificate_issuer: None,
                count: 1,
                quic: quic.map(quic::version_name),
                tunnel: self.tunnel,
            });
            Some(self.report.tls.len() - 1)
        } else {
            self.not_listed("tls");
            None
        };
        if let Some(f) = self.flows.get_mut(&key) {
            f.tls = index;
        }
    }

    /// Server side of a TLS handshake: the version and cipher chosen, the certificate.
    fn tls_server(&mut self, key: FlowKey, stream: &[u8], payload: &[u8]) {
        let (src, sp, dst, dp) = key;
        let entry = self.flows.get(&(dst, dp, src, sp)).and_then(|f| f.tls);
        if let Some(i) = entry
            && self.report.tls[i].certificate_subject.is_none()
            && stream.get(5) == Some(&0x02)
            && let Some((subject, issuer)) = apps::server_certificate(stream)
        {
            self.report.tls[i].certificate_subject = Some(subject);
            self.report.tls[i].certificate_issuer = Some(issuer);
        }
        let Some((v, c)) = apps::server_hello(payload) else { return };
        let name = apps::tls_version_name(v);
        if let Some(i) = entry {
            let t = &mut self.report.tls[i];
            if t.version_chosen.is_none() {
                t.version_chosen = Some(name.clone());
                t.cipher_chosen = Some(apps::cipher_name(c));
            }
        }
        // the client (the device, usually) is the one at risk: findings name it as the source
        if v < 0x0303 {
            self.finding(Seen::new("obsolete_tls", "tls", "high", dst, src).detail(format!("{name} negotiated")));
        }
        if let Some(w) = apps::weak_cipher(c) {
            self.finding(Seen::new("weak_tls_cipher", "tls", "high", dst, src).detail(format!("{w} negotiated")));
        }
    }

    fn ics(&mut self, (src, _, dst, dp): FlowKey, payload: &[u8]) {
        for (proto, what) in apps::ics_operations(dp, payload) {
            self.finding(Seen::new("ics_operation", proto, "high", src, dst).detail(what));
        }
    }

    fn tcp_app(&mut self, key: FlowKey, stream: &[u8], payload: &[u8], first: u64) {
        let (src, sp, dst, dp) = key;
        // once per flow: its first segment with data
        if let Some((_, name, what)) = CLEARTEXT.iter().find(|(p, ..)| *p == dp).filter(|_| first == self.packet_no) {
            self.finding(Seen::new("cleartext_protocol", name, "low", src, dst).detail(*what));
        }
        let hello_seen = self.flows.get(&key).is_some_and(|f| f.hello_seen);
        let hello = if hello_seen { None } else { apps::client_hello(stream).or_else(|| apps::client_hello(payload)) };
        if let Some(ch) = hello {
            if let Some(f) = self.flows.get_mut(&key) {
                f.hello_seen = true;
            }
            self.tls_hello(key, ch, None);
        } else if stream.first() == Some(&0x16) || payload.first() == Some(&0x16) {
            self.tls_server(key, stream, payload);
        }
        self.ics(key, payload);
        if dp == 53 || sp == 53 {
            self.dns_tcp(key, stream);
        }
        // not inside TLS (the flow began with a TLS record): certificates hold dates and serials
        let tls = |b: &[u8]| b.len() > 2 && matches!(b[0], 0x14..=0x17) && b[1] == 0x03;
        if !tls(stream) && !tls(payload) && !stream.starts_with(b"SSH-") {
            for (kind, sample) in apps::personal_data(payload) {
                self.finding(
                    Seen::new("personal_data_in_clear", kind, "high", src, dst)
                        .detail(format!("{kind} in a clear payload ({sample})")),
                );
            }
        }
        if dp == 23 || dp == 513 {
            // a login: the server prompted for it, the client typed a name and a password
            let (server, asks_login, asks_password) = self
                .flows
                .get(&(dst, dp, src, sp))
                .map(|f| (f.buf.as_slice(), f.asks_login, f.asks_password))
                .unwrap_or_default();
            let login = if dp == 23 {
                let prompted = asks_login || contains_ci(server, b"login") || contains_ci(server, b"username");
                let lines = if prompted { apps::telnet_lines(stream) } else { Vec::new() };
                (lines.len() >= 2).then(|| (lines[0].clone(), Some(lines[1].clone()), "telnet login"))
            } else {
                apps::rlogin(stream, asks_password || contains_ci(server, b"password"))
                    .map(|(user, pass)| (user, pass, "rlogin (remote user name; password when the server asked)"))
            };
            if let Some((user, pass, what)) = login {
                let proto = if dp == 23 { "telnet" } else { "rlogin" };
                self.finding(
                    Seen::new("credentials_in_clear", proto, "high", src, dst)
                        .credentials(Some(user), pass)
                        .detail(what),
                );
            }
        }
        self.http_stream(key, stream, payload);
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
                        Seen::new("credentials_in_clear", proto, "high", src, dst)
                            .credentials(Some(u), Some(p))
                            .detail(*label),
                    );
                }
            }
        }
        if (dp == 1883 || sp == 1883 || payload.first().is_some_and(|b| b >> 4 == 1))
            && let Some((client, user, pass)) = apps::mqtt_connect(payload)
            && (user.is_some() || pass.is_some())
        {
            self.finding(
                Seen::new("credentials_in_clear", "mqtt", "high", src, dst)
                    .credentials(user, pass)
                    .detail(format!("MQTT CONNECT (client id {client})")),
            );
        }
    }

    /// HTTP requests: read from the segment that starts one; a request header that goes on over
    /// several segments is read from the kept stream once it ends (or the stream is full).
    fn http_stream(&mut self, key: FlowKey, stream: &[u8], payload: &[u8]) {
        let (src, _, dst, _) = key;
        let ended = |b: &[u8]| apps::http_head_end(b).is_some();
        if let Some(at) = self.flows.get(&key).and_then(|f| f.http_at) {
            let rest = &stream[at.min(stream.len())..];
            if ended(rest) || stream.len() >= STREAM_PREFIX {
                if let Some(f) = self.flows.get_mut(&key) {
                    f.http_at = None;
                }
                if let Some(h) = apps::http_request(rest) {
                    self.http(src, dst, h);
                }
            }
            return;
        }
        let Some(h) = apps::http_request(payload) else { return };
        // the segment is the stream's tail: wait there for the rest of the header
        let at = stream.len().checked_sub(payload.len()).filter(|at| stream[*at..] == *payload);
        if let Some(at) = at.filter(|_| !ended(payload) && stream.len() < STREAM_PREFIX)
            && let Some(f) = self.flows.get_mut(&key)
        {
            f.http_at = Some(at);
            return;
        }
        self.http(src, dst, h);
    }

    fn http(&mut self, src: IpAddr, dst: IpAddr, h: apps::HttpRequest) {
        let lower = h.path.to_ascii_lowercase();
        if [".bin", ".img", ".fw", ".hex", ".rom", ".trx", ".chk", ".pkg", ".swu", ".ota"]
            .iter()
            .any(|x| lower.split('?').next().unwrap_or("").ends_with(x))
            || lower.contains("firmware")
        {
            self.finding(
                Seen::new("firmware_over_http", "http", "high", src, dst)
                    .detail(format!("{} {}{}", h.method, h.host, h.path)),
            );
        }
        if let Some((u, p)) = h.basic {
            self.finding(
                Seen::new("credentials_in_clear", "http", "high", src, dst)
                    .credentials(Some(u), Some(p))
                    .detail("HTTP Basic authentication"),
            );
        }
        if let Some(u) = h.digest_user {
            self.finding(
                Seen::new("credentials_in_clear", "http", "medium", src, dst)
                    .credentials(Some(u), None)
                    .detail("HTTP Digest user name"),
            );
        }
        let hash = {
            use std::hash::BuildHasher;
            rustc_hash::FxBuildHasher.hash_one((src, dst, &h.method, &h.host, &h.path, &h.user_agent))
        };
        let same = |e: &HttpEntry| {
            e.client == src
                && e.server == dst
                && e.method == h.method
                && e.host == h.host
                && e.path == h.path
                && e.user_agent == h.user_agent
        };
        match self.http_index.get(&hash) {
            Some(&i) if same(&self.report.http[i]) => {
                self.report.http[i].count += 1;
                return;
            }
            _ if self.report.http.len() >= self.opts.bounds.entries => {
                self.not_listed("http");
                return;
            }
            // a hash collision: the new request gets its own entry, unindexed
            Some(_) => {}
            None => {
                self.http_index.insert(hash, self.report.http.len());
            }
        }
        self.report.http.push(HttpEntry {
            packet: self.packet_no,
            client: src,
            server: dst,
            method: h.method,
            host: h.host,
            path: h.path,
            user_agent: h.user_agent,
            count: 1,
            tunnel: self.tunnel,
        });
    }

    fn finish(mut self) -> Report {
        // requests still waiting for the end of their header when the capture ended
        let waiting: Vec<FlowKey> = self.flows.iter().filter(|(_, f)| f.http_at.is_some()).map(|(k, _)| *k).collect();
        for key in waiting {
            self.pending_http(&key);
        }
        // addresses contacted with no DNS answer naming them before (one finding per device and address)
        let mut unnamed: Vec<(IpAddr, IpAddr, u16, f64)> = self
            .endpoints
            .iter()
            .filter(|((device, address, port, tcp), st)| {
                (*tcp || self.quic_endpoints.contains(&(*device, *address, *port)))
                    && !st.named_before
                    && !is_local(address)
                    && !address.is_multicast()
            })
            .map(|((device, address, port, _), st)| (*device, *address, *port, st.first_seen))
            .collect();
        unnamed.sort_by(|a, b| a.3.total_cmp(&b.3));
        drop(self.endpoint_index);
        let mut eps: Vec<Endpoint> = self
            .endpoints
            .into_iter()
            .map(|((device, address, port, tcp), st)| Endpoint {
                device,
                name: self.names.get(&address).cloned(),
                address,
                port,
                protocol: if tcp {
                    "tcp"
                } else if self.quic_endpoints.contains(&(device, address, port)) {
                    "quic"
                } else {
                    "udp"
                },
                bytes: st.bytes,
                packets: st.packets,
                first_seen: st.first_seen,
                last_seen: st.last_seen,
            })
            .collect();
        eps.sort_unstable_by(|a, b| b.bytes.cmp(&a.bytes).then(a.address.cmp(&b.address)).then(a.port.cmp(&b.port)));
        let mut hardcoded: HashMap<(IpAddr, IpAddr), usize> = HashMap::default();
        for (device, address, port, first_seen) in unnamed {
            if let Some(&i) = hardcoded.get(&(device, address)) {
                let f: &mut Finding = &mut self.report.findings[i];
                if f.detail.matches(',').count() < 9 {
                    f.detail.push_str(&format!(", {port}"));
                }
                continue;
            }
            if hardcoded.len() >= self.opts.bounds.entries || self.report.findings.len() >= self.opts.bounds.findings {
                *self.report.not_listed.entry("findings".into()).or_default() += 1;
                continue;
            }
            hardcoded.insert((device, address), self.report.findings.len());
            let named = self.names.get(&address).map(|n| format!(" (named {n} only later)")).unwrap_or_default();
            self.report.findings.push(Finding {
                kind: "hardcoded_address",
                protocol: "tcp",
                severity: "low",
                src: device,
                dst: address,
                packets: vec![],
                first_seen,
                username: None,
                secret: None,
                detail: format!("contacted {address}{named} with no DNS lookup naming it before; ports {port}"),
                tunnel: None,
            });
        }
        self.report.endpoints = eps;
        // periodic beaconing: at least 5 connections at near-constant intervals of a second or more
        let mut beacons: Vec<_> = self.starts.into_iter().filter(|(_, (_, v))| v.len() >= 5).collect();
        beacons.sort_by_key(|a| a.0);
        for ((device, remote, port), (count, ts)) in beacons {
            let gaps: Vec<f64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
            let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
            if mean >= 1.0 && var.sqrt() / mean < 0.1 {
                self.report.findings.push(Finding {
                    kind: "periodic_beacon",
                    protocol: "tcp",
                    severity: "low",
                    src: device,
                    dst: remote,
                    packets: vec![],
                    first_seen: ts[0],
                    username: None,
                    secret: None,
                    detail: format!("{count} connections to port {port} every {mean:.1} s"),
                    tunnel: None,
                });
            }
        }
        self.report
    }
}

/// A link type as tcpdump names it (LINKTYPE_ without the prefix), with its number.
fn linktype_name(l: Linktype) -> String {
    let name = match l.0 {
        6 => "IEEE802_5",
        7 => "ARCNET_BSD",
        10 => "FDDI",
        147..=162 => "USER",
        163 => "IEEE802_11_AVS",
        187 => "BLUETOOTH_HCI_H4",
        189 => "USB_LINUX",
        195 => "IEEE802_15_4_WITHFCS",
        201 => "BLUETOOTH_HCI_H4_WITH_PHDR",
        215 => "IEEE802_15_4_NONASK_PHY",
        220 => "USB_LINUX_MMAPPED",
        227 => "CAN_SOCKETCAN",
        230 => "IEEE802_15_4_NOFCS",
        239 => "NFLOG",
        249 => "USBPCAP",
        250 => "RTAC_SERIAL",
        251 => "BLUETOOTH_LE_LL",
        256 => "BLUETOOTH_LE_LL_WITH_PHDR",
        _ => "",
    };
    if name.is_empty() { format!("linktype {}", l.0) } else { format!("{name} ({})", l.0) }
}

/// The IP packet inside an 802.11 data frame (LLC/SNAP with an IPv4 or IPv6 ethertype).
pub fn wifi_payload(f: &[u8]) -> Option<&[u8]> {
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
pub fn ppp_payload(f: &[u8]) -> Option<&[u8]> {
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
                // a read may bring less than the block needs: read again until the input ends
                let before = reader.data().len();
                if reader.refill().is_err() {
                    an.report.stopped = Some(format!("{name}: read error after {consumed} bytes"));
                    break;
                }
                if !reader.reader_exhausted() {
                    if reader.data().len() == before {
                        // the buffer is full and still holds no whole block
                        an.report.stopped =
                            Some(format!("{name}: unreadable block after {consumed} bytes: larger than the buffer"));
                        break;
                    }
                    continue;
                }
                // nothing more to read: a block cut short is a truncated capture
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
    /// Reads one file's packets with `read`, listing the file and the packet numbers it holds.
    fn read_file(&mut self, name: &str, read: impl FnOnce(&mut Self) -> Result<(), String>) -> Result<(), String> {
        self.report.files.push(name.to_string());
        let first = self.packet_no + 1;
        let r = read(self);
        self.report.packet_ranges.push([first, self.packet_no]);
        r
    }

    /// Which of a frame's MAC addresses (source, destination) are devices given by MAC.
    fn match_macs(&mut self, src: Option<&[u8]>, dst: Option<&[u8]>) {
        let hit = |m: Option<&[u8]>| m.is_some_and(|m| self.device_macs.iter().any(|d| d[..] == *m));
        self.mac_hit = hit(src) as u8 | ((hit(dst) as u8) << 1);
    }

    fn packet(&mut self, lt: Linktype, data: &[u8], ts: f64, origlen: usize) {
        self.packet_no += 1;
        self.ts = ts;
        self.report.packets += 1;
        self.report.bytes += origlen as u64;
        if !self.device_macs.is_empty() {
            match lt {
                Linktype::ETHERNET => self.match_macs(data.get(6..12), data.get(0..6)),
                Linktype::LINUX_SLL => self.match_macs(data.get(6..12), None),
                Linktype::LINUX_SLL2 => self.match_macs(data.get(12..18), None),
                Linktype(105) => self.match_macs(data.get(10..16), data.get(4..10)),
                Linktype(127) => {
                    let at = data.get(2..4).map(|l| u16::from_le_bytes([l[0], l[1]]) as usize).unwrap_or(0);
                    self.match_macs(data.get(at + 10..at + 16), data.get(at + 4..at + 10))
                }
                _ => self.mac_hit = 0,
            }
        }
        self.tunnel = None;
        let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
        match lt {
            Linktype::ETHERNET => self.ethernet(data, origlen, 0),
            Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 | Linktype(12) | Linktype(14) => self.ip(data, origlen, 0),
            // Linux cooked captures: the protocol is an EtherType
            Linktype::LINUX_SLL => match (data.get(14..16), data.get(16..)) {
                (Some(ty), Some(p)) => self.ethertype(be16(ty), p, origlen, 0),
                _ => self.report.not_analysed += 1,
            },
            Linktype::LINUX_SLL2 => match (data.get(0..2), data.get(20..)) {
                (Some(ty), Some(p)) => self.ethertype(be16(ty), p, origlen, 0),
                _ => self.report.not_analysed += 1,
            },
            Linktype::NULL | Linktype::LOOP => match data.get(4..) {
                Some(d) => self.ip(d, origlen, 0),
                None => self.report.not_analysed += 1,
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
                    Some(ip) => self.ip(ip, origlen, 0),
                    None => self.report.not_analysed += 1,
                }
            }
            other => *self.report.skipped.entry(linktype_name(other)).or_default() += 1,
        }
    }
}

/// Analyses one capture from a reader (pcap or pcapng, plain or gzip-compressed), read as a
/// file is: a few chunks ahead on a second thread, legacy pcap in place.
pub fn analyze_reader(input: Box<dyn Read + Send>, name: &str, opts: &Options) -> Result<Report, crate::Error> {
    let mut an = Analyzer::new(opts).map_err(crate::Error::BadOptions)?;
    read_input(&mut an, input, name).map_err(crate::Error::Unreadable)?;
    Ok(an.finish())
}

/// The captured length in a legacy pcap record header (at least 16 bytes), in the file's byte order.
fn record_len(header: &[u8], big_endian: bool) -> usize {
    let l = [header[8], header[9], header[10], header[11]];
    (if big_endian { u32::from_be_bytes(l) } else { u32::from_le_bytes(l) }) as usize
}

/// The largest record a legacy pcap may hold (libpcap's maximum snap length); a longer length
/// field is corruption, reported as such instead of waiting for gigabytes that never come.
const MAX_RECORD: usize = 262_144;

/// Legacy pcap read straight from the read-ahead chunks: packets are analysed where they lie,
/// and only a record that straddles two chunks is copied (into `carry`). Streaming readers copy
/// every byte once more, which costs a tenth of the run on large captures.
fn read_legacy(an: &mut Analyzer, ra: &mut crate::readahead::ReadAhead, name: &str) -> Result<(), String> {
    use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header};
    let mut carry: Vec<u8> = Vec::new();
    let mut consumed: u64 = 0;
    let mut format: Option<(Linktype, f64, bool)> = None;
    let stop = |an: &mut Analyzer, why: String| an.report.stopped = Some(format!("{name}: {why}"));
    loop {
        let chunk = match ra.chunk() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                stop(an, format!("read error after {consumed} bytes: {e}"));
                return Ok(());
            }
        };
        let mut rest = chunk;
        loop {
            // a record (or the file header) that began in an earlier chunk: complete it first
            let need = match format {
                None => 24,
                Some((_, _, be)) if carry.len() >= 16 => 16 + record_len(&carry, be),
                Some(_) if !carry.is_empty() => 16,
                Some(_) => 0,
            };
            if need > 16 + MAX_RECORD {
                stop(an, format!("unreadable record after {consumed} bytes: length {} too large", need - 16));
                return Ok(());
            }
            if carry.len() < need {
                let take = (need - carry.len()).min(rest.len());
                carry.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if carry.len() < need || need == 16 {
                    if rest.is_empty() {
                        break;
                    }
                    continue;
                }
            }
            if !carry.is_empty() {
                match format {
                    None => {
                        let (_, h) = parse_pcap_header(&carry)
                            .map_err(|e| format!("{name}: not a pcap or pcapng capture ({e:?})"))?;
                        let scale = if h.is_nanosecond_precision() { 1e9 } else { 1e6 };
                        format = Some((h.network, scale, h.is_bigendian()));
                    }
                    Some((link, scale, be)) => {
                        let parsed = if be { parse_pcap_frame_be(&carry) } else { parse_pcap_frame(&carry) };
                        if let Ok((_, b)) = parsed {
                            let ts = b.ts_sec as f64 + b.ts_usec as f64 / scale;
                            an.packet(link, b.data, ts, b.origlen as usize);
                        }
                    }
                }
                consumed += carry.len() as u64;
                carry.clear();
            }
            // whole records inside this chunk, in place
            let Some((link, scale, be)) = format else { break };
            let frame = if be { parse_pcap_frame_be } else { parse_pcap_frame };
            while rest.len() >= 16 {
                let caplen = record_len(rest, be);
                if caplen > MAX_RECORD {
                    stop(an, format!("unreadable record after {consumed} bytes: length {caplen} too large"));
                    return Ok(());
                }
                let Ok((next, b)) = frame(rest) else { break };
                an.packet(link, b.data, b.ts_sec as f64 + b.ts_usec as f64 / scale, b.origlen as usize);
                consumed += (rest.len() - next.len()) as u64;
                rest = next;
            }
            // the start of a record that continues in the next chunk
            carry.extend_from_slice(rest);
            break;
        }
    }
    if format.is_none() {
        return Err(format!("{name}: not a pcap or pcapng capture (file header truncated)"));
    }
    if !carry.is_empty() {
        stop(an, format!("truncated after {consumed} bytes ({} packets read)", an.packet_no));
    }
    Ok(())
}

/// A reader that adds what it reads to a shared counter (progress of long reads).
struct Counted {
    inner: Box<dyn Read + Send>,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads one capture file (pcap or pcapng, plain or gzip-compressed) into the analysis; `-`
/// reads standard input.
fn read_path(an: &mut Analyzer, path: &std::path::Path) -> Result<(), String> {
    let name = path.display().to_string();
    let f: Box<dyn Read + Send> = if name == "-" {
        Box::new(std::io::stdin())
    } else {
        let f = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
        let meta = f.metadata().map_err(|e| format!("{name}: {e}"))?;
        if meta.is_dir() {
            return Err(format!("{name}: is a directory"));
        }
        if meta.is_file() && meta.len() == 0 {
            return Err(format!("{name}: empty file"));
        }
        Box::new(f)
    };
    read_input(an, f, &name)
}

/// Reads one capture from `f` into the analysis under `name`.
fn read_input(an: &mut Analyzer, f: Box<dyn Read + Send>, name: &str) -> Result<(), String> {
    use std::io::BufRead;
    let name = name.to_string();
    let f: Box<dyn Read + Send> = match &an.opts.progress {
        Some(counter) => Box::new(Counted { inner: f, counter: counter.clone() }),
        None => f,
    };
    let mut input = std::io::BufReader::with_capacity(1 << 16, f);
    let head = input.fill_buf().map_err(|e| format!("{name}: {e}"))?;
    if head.is_empty() {
        return Err(format!("{name}: empty file"));
    }
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    // legacy pcap (not the rare "modified" format) is read from the chunks in place
    let legacy = matches!(
        head.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d])
    );
    let input: Box<dyn Read + Send> =
        if gzip { Box::new(flate2::bufread::MultiGzDecoder::new(input)) } else { Box::new(input) };
    let mut ahead = crate::readahead::ReadAhead::new(input);
    an.read_file(
        &name,
        |an| if legacy { read_legacy(an, &mut ahead, &name) } else { read_into(an, Box::new(ahead), &name) },
    )
}

/// Analyses one capture file (pcap or pcapng, plain or gzip-compressed); `-` reads standard input.
pub fn analyze_path(path: &std::path::Path, opts: &Options) -> Result<Report, crate::Error> {
    analyze_paths(&[path], opts)
}

/// Analyses several capture files as one capture, in the order given (rotated captures, or one
/// capture per interface): flows, DNS names and connection timings carry across files, packet
/// numbers count on across them as if the files were concatenated, and memory stays bounded
/// however many files there are.
pub fn analyze_paths<P: AsRef<std::path::Path>>(paths: &[P], opts: &Options) -> Result<Report, crate::Error> {
    let mut an = Analyzer::new(opts).map_err(crate::Error::BadOptions)?;
    for p in paths {
        read_path(&mut an, p.as_ref()).map_err(crate::Error::Unreadable)?;
    }
    Ok(an.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(segments: &[(u32, &[u8])]) -> String {
        let mut f = Flow::default();
        for (seq, p) in segments {
            f.add(*seq, p);
        }
        String::from_utf8_lossy(&f.buf).into_owned()
    }

    #[test]
    fn tcp_reassembly() {
        assert_eq!(stream(&[(1, b"USER a\r\n"), (9, b"PASS b\r\n")]), "USER a\r\nPASS b\r\n");
        // out of order, retransmitted, overlapping
        assert_eq!(stream(&[(9, b"PASS b\r\n"), (1, b"USER a\r\n")]), "PASS b\r\n", "no gap before the first");
        assert_eq!(stream(&[(1, b"USE"), (9, b"PASS b\r\n"), (4, b"R a\r\n")]), "USER a\r\nPASS b\r\n");
        assert_eq!(stream(&[(1, b"USER a\r\n"), (1, b"USER a\r\n"), (9, b"PASS b")]), "USER a\r\nPASS b");
        assert_eq!(stream(&[(1, b"USER"), (1, b"USER a\r\n"), (9, b"X")]), "USER a\r\nX");
        // a gap never filled: what came before it is kept, the rest waits (bounded)
        let many: Vec<(u32, &[u8])> = (0..20).map(|i| (100 + i * 10, &b"0123456789"[..])).collect();
        let mut segs = vec![(1, &b"head"[..])];
        segs.extend(many);
        assert_eq!(stream(&segs), "head");
        // sequence numbers wrapping around
        let start = u32::MAX - 3;
        assert_eq!(stream(&[(start, b"abcd"), (start.wrapping_add(8), b"ijkl"), (0, b"efgh")]), "abcdefghijkl");
        // waiting segments count against the prefix bound too
        let mut f = Flow::default();
        f.add(1, b"a");
        for i in 0..8 {
            f.add(100 + i * 2000, &[0u8; 2000]);
        }
        assert!(f.buf.len() + f.pending.iter().map(|(_, p)| p.len()).sum::<usize>() <= STREAM_PREFIX);
        // the prefix bound holds
        let big = vec![b'x'; 3000];
        assert_eq!(stream(&[(1, &big), (3001, &big), (6001, &big)]).len(), STREAM_PREFIX);
    }

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
