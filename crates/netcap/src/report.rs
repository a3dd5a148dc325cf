//! What the analyser reports.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

/// What to analyse and how to show it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// IP or MAC addresses of the devices under test; empty means every host.
    pub devices: Vec<String>,
    /// Show credentials instead of `***`.
    pub show_secrets: bool,
    /// How long the report's lists may grow (memory stays bounded whatever the capture size).
    pub bounds: Bounds,
    /// Bytes of the capture files read so far, for a progress display (optional).
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

/// Bounds on the report's lists; what goes past them is counted in `Report::not_listed`.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Endpoints (device, remote address, service port, protocol).
    pub endpoints: usize,
    /// Entries per list: DNS names, TLS and HTTP entries, names, connection starts. Repeats are
    /// merged into one entry with a count, so real captures stay far below.
    pub entries: usize,
    /// Distinct findings (the same finding seen again only adds evidence packets).
    pub findings: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { endpoints: 200_000, entries: 50_000, findings: 100_000 }
    }
}

impl Options {
    /// Checks every `--device` value is an IP or MAC address.
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.devices.iter().try_for_each(|d| crate::read::parse_device(d).map(|_| ())).map_err(crate::Error::BadOptions)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub kind: &'static str,
    pub protocol: &'static str,
    pub severity: &'static str,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Packet numbers (1-based, as Wireshark counts) that show it; at most 20.
    pub packets: Vec<u64>,
    /// Capture time of the first evidence packet (seconds since the epoch); for findings drawn
    /// from the whole capture (hard-coded addresses, beaconing), the first contact.
    pub first_seen: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub detail: String,
    /// The tunnel the evidence came through: an index into `Report::tunnels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Endpoint {
    pub device: IpAddr,
    pub address: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: u16,
    pub protocol: &'static str,
    pub bytes: u64,
    pub packets: u64,
    pub first_seen: f64,
    pub last_seen: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
/// One name a client asked for, with every answer seen (at most 16) and how often it asked.
pub struct DnsEntry {
    /// The first packet that asked (or answered, when the question was not captured).
    pub packet: u64,
    pub client: IpAddr,
    /// `dns` (UDP), `dns/tcp`, `mdns` (multicast DNS, UDP 5353) or `llmnr` (UDP 5355).
    pub protocol: &'static str,
    pub query: String,
    pub answers: Vec<String>,
    pub count: u64,
    /// The tunnel the first question came through: an index into `Report::tunnels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<u32>,
}

/// TLS version or cipher suite codes, written as names ("TLS 1.2", IANA suite names where known).
/// Kept as numbers: a ClientHello offers dozens, and a string for each would multiply the memory
/// of the TLS list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TlsCodes {
    pub codes: Vec<u16>,
    ciphers: bool,
}

impl TlsCodes {
    pub fn versions(codes: impl IntoIterator<Item = u16>) -> Self {
        TlsCodes { codes: codes.into_iter().collect(), ciphers: false }
    }

    pub fn ciphers(codes: impl IntoIterator<Item = u16>) -> Self {
        TlsCodes { codes: codes.into_iter().collect(), ciphers: true }
    }

    fn name(&self, code: u16) -> String {
        if self.ciphers { crate::apps::cipher_name(code) } else { crate::apps::tls_version_name(code) }
    }

    pub fn names(&self) -> Vec<String> {
        self.codes.iter().map(|c| self.name(*c)).collect()
    }
}

impl Serialize for TlsCodes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.codes.iter().map(|c| self.name(*c)))
    }
}

/// TLS handshakes from one client to one server port and name, as the first one showed them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TlsEntry {
    pub packet: u64,
    pub client: IpAddr,
    pub server: IpAddr,
    pub port: u16,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub versions_offered: TlsCodes,
    pub ciphers_offered: usize,
    /// The suites offered, in the client's order (IANA names for common ones, else the code;
    /// GREASE values left out).
    pub cipher_suites_offered: TlsCodes,
    pub weak_ciphers_offered: Vec<String>,
    pub version_chosen: Option<String>,
    pub cipher_chosen: Option<String>,
    /// Server certificate subject and issuer, where the handshake shows them (TLS 1.2 and older).
    pub certificate_subject: Option<String>,
    pub certificate_issuer: Option<String>,
    /// Handshakes seen with this client, server, port and server name.
    pub count: u64,
    /// The QUIC version ("QUIC v1", "QUIC v2") when the ClientHello came in a QUIC Initial
    /// packet; absent for TLS over TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<String>,
    /// The tunnel the first handshake came through: an index into `Report::tunnels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
/// Identical HTTP requests (client, server, method, host, path, user agent) with their count.
pub struct HttpEntry {
    pub packet: u64,
    pub client: IpAddr,
    pub server: IpAddr,
    pub method: String,
    pub host: String,
    pub path: String,
    pub user_agent: String,
    pub count: u64,
    /// The tunnel the first request came through: an index into `Report::tunnels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<u32>,
}

/// A tunnel traffic came through (GRE, ERSPAN, VXLAN, GENEVE, GTP-U, IP in IP, Teredo, MPLS,
/// PPPoE, PPTP): what is inside was analysed as if captured on its own, and entries it gave name
/// the tunnel by its index in `Report::tunnels`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TunnelEntry {
    /// `gre`, `erspan-i`, `erspan-ii`, `erspan-iii`, `pptp`, `vxlan`, `geneve`, `gtp-u`,
    /// `teredo`, `4in4`, `6in4`, `4in6`, `6in6`, `mpls`, `pppoe`.
    pub kind: &'static str,
    /// The outer addresses (absent for MPLS and PPPoE, which have none of their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outer_src: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outer_dst: Option<IpAddr>,
    /// VXLAN/GENEVE VNI, GRE key, GTP-U TEID, ERSPAN session, top MPLS label, PPPoE session,
    /// PPTP call id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The tunnel this one is nested in, if any (an index into `Report::tunnels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside: Option<u32>,
    pub first_packet: u64,
    pub packets: u64,
    pub bytes: u64,
}

impl TunnelEntry {
    /// The tunnel in a few words: "vxlan 192.0.2.1 → 192.0.2.2 VNI 42".
    pub fn describe(&self) -> String {
        let mut s = self.kind.to_string();
        if let (Some(a), Some(b)) = (self.outer_src, self.outer_dst) {
            s.push_str(&format!(" {a} → {b}"));
        }
        if let Some(id) = self.id {
            let label = match self.kind {
                "vxlan" | "geneve" => "VNI",
                "gre" => "key",
                "gtp-u" => "TEID",
                "mpls" => "label",
                "pptp" => "call",
                _ => "session",
            };
            s.push_str(&format!(" {label} {id}"));
        }
        s
    }
}

/// A name a device announced for itself (DHCP host name, SSDP server, mDNS).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NameEntry {
    pub address: IpAddr,
    pub name: String,
    pub source: String,
}

/// The analysis of one or more captures.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub files: Vec<String>,
    /// The packet numbers each file holds, first and last, in the order of `files` (several
    /// files are read as one capture and numbered on).
    pub packet_ranges: Vec<[u64; 2]>,
    pub packets: u64,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub endpoints: Vec<Endpoint>,
    pub dns: Vec<DnsEntry>,
    pub tls: Vec<TlsEntry>,
    pub http: Vec<HttpEntry>,
    /// Names devices announce (DHCP, SSDP).
    pub names: Vec<NameEntry>,
    /// NTP servers the devices ask for time.
    pub ntp_servers: Vec<IpAddr>,
    /// Packets of link types not analysed, by link type.
    pub skipped: BTreeMap<String, u64>,
    /// Packets not IP, or IP fragments not reassembled.
    pub not_analysed: u64,
    /// Tunnels traffic came through (see `TunnelEntry`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<TunnelEntry>,
    /// Packets or messages recognised but not read, by reason: a tunnel header cut short,
    /// tunnels nested past the bound, a QUIC Initial of an unknown version or that did not
    /// decrypt, a DNS-over-TCP message cut short. Counted, never a stop.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_decoded: BTreeMap<String, u64>,
    /// Where reading stopped early (a truncated file), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// What was left out because a list reached its bound (memory stays bounded whatever the
    /// capture size), by list: for endpoints the packets not attributed to a listed endpoint, for
    /// the other lists the sightings not listed. The packets still count in the totals.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_listed: BTreeMap<String, u64>,
}
