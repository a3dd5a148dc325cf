//! Writes test images whose contents are known (the benchmark's and the fuzzer's):
//!   make-image OUT.bin [--files N] [--size BYTES] [--compressor xz|gzip|zstd]   the sample image
//!   make-image --squashfs OUT.sqsh [--files N] [--size BYTES]                   only its SquashFS
//!   make-image --seeds DIR                                                       small fuzz seeds

use firmware::sample::{self, Compression, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    if let Some(dir) = get("--seeds") {
        std::fs::create_dir_all(&dir).expect("seed directory");
        let small = Options { compressor: Compression::Gzip, ..Default::default() };
        std::fs::write(format!("{dir}/squashfs"), sample::squashfs(&small)).expect("write");
        std::fs::write(format!("{dir}/initramfs"), sample::initramfs()).expect("write");
        std::fs::write(format!("{dir}/uimage"), sample::uimage()).expect("write");
        return;
    }
    let o = Options {
        compressor: match get("--compressor").as_deref() {
            Some("gzip") => Compression::Gzip,
            Some("zstd") => Compression::Zstd,
            _ => Compression::Xz,
        },
        filler_files: get("--files").and_then(|v| v.parse().ok()).unwrap_or(0),
        filler_size: get("--size").and_then(|v| v.parse().ok()).unwrap_or(0),
    };
    if let Some(out) = get("--squashfs") {
        std::fs::write(&out, sample::squashfs(&o)).expect("write");
        return;
    }
    let out = args.first().filter(|a| !a.starts_with("--")).expect("make-image OUT.bin");
    let (img, layout) = sample::image(&o);
    std::fs::write(out, &img).expect("write");
    eprintln!("{out}: {} bytes; {layout:?}", img.len());
}
