//! The firmware engine's stream decoders (gzip, xz, lzma, zstd) and vendor headers (U-Boot
//! uImage, TRX) on their own: the first byte picks the reader, the rest is its input.
#![no_main]

use libfuzzer_sys::fuzz_target;

const KINDS: [&str; 6] = ["gzip", "xz", "lzma", "zstd", "uimage", "trx"];

fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        let _ = firmware::read_as(KINDS[*first as usize % KINDS.len()], rest);
    }
});
