//! The advisory readers (OSV JSON and YAML, RustSec Markdown) and the VEX reader on arbitrary
//! bytes: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vulndb::osv::from_osv_json(data);
    let _ = vulndb::osv::from_osv_yaml(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulndb::osv::from_rustsec_md(text);
    }
    let _ = vulndb::vex::parse(data);
});
