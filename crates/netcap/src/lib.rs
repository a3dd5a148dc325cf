//! Device traffic analysis for white-hat verification: reads pcap and pcapng captures and
//! reports what a device really sends — endpoints, DNS, TLS, HTTP — and findings: credentials in
//! clear, cleartext protocols, obsolete TLS, firmware over plain HTTP.
//!
//! Streaming: packets are read one by one; TCP payloads are kept per flow up to a bounded
//! prefix, so memory does not grow with the capture.

mod apps;
mod html;
mod quic;
mod read;
mod readahead;
mod report;
mod text;
mod tunnel;

pub use html::html;
pub use read::{analyze_path, analyze_paths, analyze_reader};
pub use report::{Bounds, Endpoint, Finding, Options, Report, TlsCodes, TunnelEntry};
pub use text::text;

/// The protocol parsers one by one, for the fuzz targets in `fuzz/` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::apps::{
        bacnet_answer, client_hello, dhcp_names, dns, http_request, ics_operations, line_credentials, mqtt_connect,
        personal_data, rlogin, server_certificate, server_hello, snmp_community, ssdp_server, telnet_lines,
    };
    pub use crate::quic::{Handshake, client_initial, long_header};
    pub use crate::read::{ppp_payload, wifi_payload};
    pub use crate::tunnel::{Decap, Inner, ayiya, ethernet, geneve, gre, gtp_u, mpls, pppoe, teredo, vxlan};
}

/// Why a capture could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A bad option (e.g. a `--device` that is neither an IP nor a MAC address).
    #[error("{0}")]
    BadOptions(String),
    /// The input is not a capture the analyser reads (or could not be read at all).
    #[error("{0}")]
    Unreadable(String),
}
