//! What the analyser reports.

use std::collections::BTreeMap;

use serde::Serialize;

/// What to analyse and how to show it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// IP or MAC addresses of the devices under test; empty means every host.
    pub devices: Vec<String>,
    /// Show credentials instead of `***`.
    pub show_secrets: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub kind: String,
    pub protocol: String,
    pub severity: String,
    pub src: String,
    pub dst: String,
    /// Packet numbers (1-based, as Wireshark counts) that show it; at most 20.
    pub packets: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Endpoint {
    pub device: String,
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: u16,
    pub protocol: String,
    pub bytes: u64,
    pub packets: u64,
    pub first_seen: f64,
    pub last_seen: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsEntry {
    pub packet: u64,
    pub client: String,
    pub query: String,
    pub answers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct TlsEntry {
    pub packet: u64,
    pub client: String,
    pub server: String,
    pub port: u16,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub versions_offered: Vec<String>,
    pub ciphers_offered: usize,
    pub weak_ciphers_offered: Vec<String>,
    pub version_chosen: Option<String>,
    pub cipher_chosen: Option<String>,
    /// Server certificate subject and issuer, where the handshake shows them (TLS 1.2 and older).
    pub certificate_subject: Option<String>,
    pub certificate_issuer: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HttpEntry {
    pub packet: u64,
    pub client: String,
    pub server: String,
    pub method: String,
    pub host: String,
    pub path: String,
    pub user_agent: String,
}

/// A name a device announced for itself (DHCP host name, SSDP server, mDNS).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NameEntry {
    pub address: String,
    pub name: String,
    pub source: String,
}

/// The analysis of one or more captures.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub files: Vec<String>,
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
    pub ntp_servers: Vec<String>,
    /// Packets of link types not analysed, by link type.
    pub skipped: BTreeMap<String, u64>,
    /// Packets not IP, or IP fragments not reassembled.
    pub not_analysed: u64,
    /// Where reading stopped early (a truncated file), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}
