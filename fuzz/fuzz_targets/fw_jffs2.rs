//! The firmware engine's jffs2 reader on its own, at offset 0 and under small bounds: no panic, no
//! hang, memory within the bound, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = firmware::read_as("jffs2", data);
});
