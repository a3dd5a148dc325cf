//! Device traffic analysis for white-hat verification: reads pcap and pcapng captures and
//! reports what a device really sends — endpoints, DNS, TLS, HTTP — and findings: credentials in
//! clear, cleartext protocols, obsolete TLS, firmware over plain HTTP.
//!
//! Streaming: packets are read one by one; TCP payloads are kept per flow up to a bounded
//! prefix, so memory does not grow with the capture.

mod apps;
mod html;
mod read;
mod readahead;
mod report;

pub use html::html;
pub use read::{analyze_path, analyze_reader};
pub use report::{Bounds, Endpoint, Finding, Options, Report};
