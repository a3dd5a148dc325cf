//! The capture readers (pcap in place and streamed, pcapng, gzip) and everything behind them,
//! on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = netcap::Options::default();
    let _ = netcap::analyze_reader(Box::new(std::io::Cursor::new(data.to_vec())), "fuzz", &opts);
    // the file reader (read-ahead chunks, legacy pcap read in place) on the same bytes
    let path = std::env::temp_dir().join(format!("netcap-fuzz-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = netcap::analyze_path(&path, &opts);
    }
});
