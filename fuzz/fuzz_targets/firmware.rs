//! The firmware engine on arbitrary bytes: every signature reader (SquashFS through backhand,
//! gzip, xz, zstd, CPIO, tar, uImage, TRX) and everything that reads what they unpack (accounts,
//! keys, start-up scripts, version strings). Bounds are small so a bomb is cut short quickly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = firmware::Limits { max_total_bytes: 32 << 20, max_entries: 20_000, ..Default::default() };
    let r = firmware::analyze("fuzz.bin", data, &limits);
    let _ = firmware::output::json(&r);
    let _ = firmware::output::cyclonedx(&r);
});
