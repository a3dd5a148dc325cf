//! The capture readers (pcap in place and streamed, pcapng, gzip) and everything behind them,
//! on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// pcap-parser 0.17 subtracts 12 from the length of a pcapng process-information block
/// (0x80000001) that may be shorter: an overflow panic under the fuzzer's overflow checks, a
/// clean "unreadable block" in release builds (see the workspace Cargo.toml). Such inputs are
/// left out so that the fuzzer looks for other faults.
fn known_upstream_fault(data: &[u8]) -> bool {
    let mut at = 0;
    while let Some(h) = data.get(at..at + 8) {
        let kind = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (le, be) = (u32::from_le_bytes([h[4], h[5], h[6], h[7]]), u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
        if (kind == 0x8000_0001 || kind.swap_bytes() == 0x8000_0001) && (le < 12 || be < 12) {
            return true;
        }
        let len = le.min(be) as usize;
        if len < 12 {
            return false;
        }
        at += len;
    }
    false
}

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) && known_upstream_fault(data) {
        return;
    }
    let opts = netcap::Options::default();
    let _ = netcap::analyze_reader(Box::new(std::io::Cursor::new(data.to_vec())), "fuzz", &opts);
    // the file reader (read-ahead chunks, legacy pcap read in place) on the same bytes
    let path = std::env::temp_dir().join(format!("netcap-fuzz-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = netcap::analyze_path(&path, &opts);
    }
});
