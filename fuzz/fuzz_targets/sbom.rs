//! The SBOM and lockfile readers (CycloneDX JSON and XML, SPDX 2 and 3, Cargo.lock, npm, Python,
//! Go, dpkg, apk: detected from the content) on arbitrary bytes: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sbom::parse(data);
});
