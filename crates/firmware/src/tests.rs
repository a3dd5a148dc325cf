//! The engine against images whose contents are known (built by [`crate::sample`]), and against
//! bad input: not firmware, truncated, bombs, deep nesting, names that climb out.

use std::io::Write;

use backhand::compression::Compressor;

use crate::sample::{self, EC_FINGERPRINT, Options, RSA_FINGERPRINT};
use crate::{Limits, Report, analyze};

fn kinds(r: &Report, kind: &str) -> Vec<String> {
    r.findings.iter().filter(|f| f.kind == kind).map(|f| f.path.clone()).collect()
}

#[test]
fn the_sample_image_is_unpacked_and_its_problems_found() {
    let (img, layout) = sample::image(&Options::default());
    let r = analyze("sample.bin", &img, &Limits::default());
    // layout: the U-Boot wrapper, its gzip'd kernel, the SquashFS, the initramfs
    let at = |kind: &str| r.parts.iter().find(|p| p.kind == kind && p.container.is_empty()).map(|p| p.offset);
    assert_eq!(at("uimage"), Some(layout.uimage_at), "{:#?}", r.parts);
    assert_eq!(at("gzip"), Some(layout.uimage_at + 64));
    assert_eq!(at("squashfs"), Some(layout.squashfs_at));
    let sq = r.parts.iter().find(|p| p.kind == "squashfs").unwrap();
    assert!(sq.size <= layout.squashfs_size && sq.size > 1000);
    assert_eq!(sq.status, "unpacked");
    assert!(sq.files >= 15, "{sq:?}");
    assert!(
        r.parts.iter().any(|p| p.kind == "cpio" && p.container.contains(&format!("@{:#x}", layout.initramfs_at))),
        "{:#?}",
        r.parts
    );
    assert_eq!(r.os, "OpenWrt 23.05.3 r23809-234f1a2efa");

    // inventory: opkg packages, and versions read from the binaries and the kernel
    let comp = |n: &str| r.components.iter().find(|c| c.name == n).map(|c| c.version.clone());
    assert_eq!(comp("dnsmasq").as_deref(), Some("2.89-4"));
    assert_eq!(comp("busybox").as_deref(), Some("1.36.1"));
    assert_eq!(comp("openssl").as_deref(), Some("1.1.1w"));
    assert_eq!(comp("linux").as_deref(), Some("5.15.150"));
    let bb = r.components.iter().find(|c| c.name == "busybox").unwrap();
    assert_eq!(bb.purl, "pkg:generic/busybox@1.36.1");
    assert!(bb.evidence.starts_with("/bin/busybox: BusyBox v1.36.1"), "{}", bb.evidence);
    assert!(
        r.components
            .iter()
            .any(|c| c.name == "dropbear" && c.version == "2022.83" && c.evidence.contains("dropbear_2022.83"))
    );

    // weak accounts: the empty one, the md5-crypt "admin", the sha512-crypt "root"
    let weak: Vec<(String, String)> = r
        .findings
        .iter()
        .filter(|f| f.kind == "weak_password")
        .map(|f| (f.account.clone().unwrap(), f.severity.clone()))
        .collect();
    assert!(weak.contains(&("support".into(), "high".into())), "{weak:?}");
    assert!(weak.contains(&("admin".into(), "high".into())), "{weak:?}");
    assert!(weak.contains(&("root".into(), "critical".into())), "{weak:?}");
    assert_eq!(weak.len(), 3, "nobody and daemon are locked: {weak:?}");
    let root = r.findings.iter().find(|f| f.account.as_deref() == Some("root")).unwrap();
    assert!(
        root.detail.contains("\"root\"") && !root.evidence.contains("saltsalt"),
        "the hash is masked: {}",
        root.evidence
    );

    // services at boot
    let services: Vec<String> = r.findings.iter().filter_map(|f| f.service.clone()).collect();
    for s in ["telnetd", "bind_shell", "upnp"] {
        assert!(services.contains(&s.to_string()), "{s} in {services:?}");
    }
    assert!(!services.contains(&"rlogind".to_string()), "a commented line is not a service");

    // keys: fingerprints as openssl computes them; the same key twice (PKCS#8 and SEC1) is one fingerprint
    let fp = |path: &str| r.findings.iter().find(|f| f.path == path).and_then(|f| f.fingerprint.clone());
    assert_eq!(fp("/etc/ssl/private/device.key").as_deref(), Some(EC_FINGERPRINT));
    assert_eq!(fp("/etc/dropbear/ec.key").as_deref(), Some(EC_FINGERPRINT));
    assert_eq!(fp("/etc/ssl/private/legacy.key").as_deref(), Some(RSA_FINGERPRINT));
    assert_eq!(fp("/etc/uhttpd.crt").as_deref(), Some(RSA_FINGERPRINT), "the certificate of the same key");
    assert_eq!(kinds(&r, "private_key").len(), 3);

    // secrets and updates, masked
    let secret = r.findings.iter().find(|f| f.kind == "hardcoded_secret").unwrap();
    assert_eq!(secret.path, "/etc/config/cloud");
    assert!(secret.evidence.contains("Ab**") && !secret.evidence.contains("0123456789"), "{}", secret.evidence);
    let upd = r.findings.iter().find(|f| f.kind == "plain_http_update").unwrap();
    assert_eq!(upd.path, "/lib/upgrade/fetch.sh");
    assert!(upd.evidence.starts_with("http://update.vendor.example/fw/latest.bin"));

    // modes: the world-writable init script, setuid BusyBox
    assert_eq!(kinds(&r, "world_writable_startup"), ["/etc/init.d/debug"]);
    assert!(r.findings.iter().any(|f| f.kind == "setuid" && f.path == "/bin/busybox" && f.severity == "high"));
    // the initramfs entry that climbs out is read in place and reported
    let trav = r.findings.iter().find(|f| f.kind == "path_traversal").unwrap();
    assert_eq!(trav.evidence, "../../etc/evil");
    assert!(trav.path.ends_with("!/etc/evil"), "{}", trav.path);
    // the symlink to ../../../etc/shadow is kept as its text, never followed
    assert!(!r.findings.iter().any(|f| f.path == "/etc/escape"));
}

#[test]
fn files_read_once_still_count() {
    let o = Options { filler_files: 30, filler_size: 10_000, ..Default::default() };
    let (img, _) = sample::image(&o);
    let r = analyze("big.bin", &img, &Limits::default());
    assert!(r.files >= 45, "{}", r.files);
    assert!(r.unpacked_bytes >= 300_000, "filler files count though they are not kept: {}", r.unpacked_bytes);
    assert!(r.findings.iter().any(|f| f.kind == "weak_password"));
}

#[test]
fn every_squashfs_compression_backhand_writes_is_read() {
    for c in [Compressor::Gzip, Compressor::Xz, Compressor::Zstd] {
        let o = Options { compressor: c, ..Default::default() };
        let fs = sample::squashfs(&o);
        let r = analyze("fs.sqsh", &fs, &Limits::default());
        let sq = r.parts.iter().find(|p| p.kind == "squashfs").unwrap_or_else(|| panic!("{c:?}: {:?}", r.parts));
        assert_eq!(sq.status, "unpacked", "{c:?}: {sq:?}");
        assert!(r.findings.iter().any(|f| f.kind == "weak_password"), "{c:?}");
    }
}

#[test]
fn a_file_that_is_not_firmware_says_so() {
    let mut x = 0x1234_5678u64;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let r = analyze("noise.bin", &noise, &Limits::default());
    assert!(r.nothing_found(), "{:?}", r.parts);
    assert!(r.findings.is_empty() && r.components.is_empty());
    assert!(crate::output::text(&r).contains("Nothing found"));
    let r = analyze("empty.bin", &[], &Limits::default());
    assert!(r.nothing_found());
}

#[test]
fn a_truncated_squashfs_is_reported_not_unpacked() {
    let fs = sample::squashfs(&Options::default());
    for cut in [fs.len() / 2, 200, 97] {
        let r = analyze("cut.sqsh", &fs[..cut], &Limits::default());
        let sq = r.parts.iter().find(|p| p.kind == "squashfs");
        if let Some(sq) = sq {
            assert_eq!(sq.status, "found", "{sq:?}");
            assert!(sq.detail.contains("truncated") || sq.detail.contains("not readable"), "{sq:?}");
        }
    }
    // a superblock that claims more than it has, and one with garbage after the magic
    let mut bad = fs.clone();
    bad[40..48].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    let r = analyze("bad.sqsh", &bad, &Limits::default());
    assert!(r.parts.iter().any(|p| p.kind == "squashfs" && p.status == "found"));
    let mut garbage = b"hsqs".to_vec();
    garbage.extend_from_slice(&[0xab; 300]);
    garbage[40..48].copy_from_slice(&200u64.to_le_bytes());
    let r = analyze("garbage.sqsh", &garbage, &Limits::default());
    assert!(r.parts.iter().all(|p| p.status != "unpacked"));
}

fn gzip(d: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    g.write_all(d).unwrap();
    g.finish().unwrap()
}

#[test]
fn a_compression_bomb_stops_at_the_bound() {
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 200_000);
    let limits = Limits { max_total_bytes: 4 << 20, ..Default::default() };
    let r = analyze("bomb.gz", &bomb, &limits);
    assert!(r.unpacked_bytes <= 4 << 20, "{}", r.unpacked_bytes);
    let f = r.findings.iter().find(|f| f.kind == "limit").expect("a limit finding");
    assert!(f.detail.contains("4194304 bytes"), "{}", f.detail);
}

#[test]
fn nesting_stops_at_the_depth_bound() {
    // 10,000 levels of gzip in gzip would take long to build; 40 levels show the bound as well
    let mut d = b"innermost".to_vec();
    for _ in 0..40 {
        d = gzip(&d);
    }
    let r = analyze("nested.gz", &d, &Limits::default());
    let f = r.findings.iter().find(|f| f.kind == "limit").expect("a limit finding");
    assert!(f.detail.contains("8 levels"), "{}", f.detail);
    assert!(r.parts.len() <= 10, "{}", r.parts.len());
}

#[test]
fn tar_names_that_climb_out_are_read_in_place() {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(12);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    // the name is written raw: the tar crate's own setter refuses "..", as it should
    h.as_mut_bytes()[..20].copy_from_slice(b"../../../etc/passwd\0");
    h.set_cksum();
    b.append(&h, &b"root::0:0::/:\n"[..12]).unwrap();
    let mut l = tar::Header::new_ustar();
    l.set_entry_type(tar::EntryType::Symlink);
    l.set_size(0);
    l.set_path("link").unwrap();
    l.set_link_name("/etc/shadow").unwrap();
    l.set_cksum();
    b.append(&l, std::io::empty()).unwrap();
    let t = b.into_inner().unwrap();
    let r = analyze("x.tar", &t, &Limits::default());
    assert!(r.parts.iter().any(|p| p.kind == "tar" && p.status == "unpacked"), "{:?}", r.parts);
    let f = r.findings.iter().find(|f| f.kind == "path_traversal").unwrap();
    assert_eq!(f.path, "/etc/passwd");
    assert_eq!(f.evidence, "../../../etc/passwd");
}

#[test]
fn outputs_follow_the_contract() {
    let (img, _) = sample::image(&Options::default());
    let r = analyze("sample.bin", &img, &Limits::default());
    let v: serde_json::Value = serde_json::from_str(&crate::output::json(&r)).unwrap();
    for p in v["parts"].as_array().unwrap() {
        assert!(p["offset"].is_u64() && p["type"].is_string() && p["size"].is_u64());
    }
    assert!(v["os"].is_string());
    for c in v["components"].as_array().unwrap() {
        for k in ["name", "version", "purl", "evidence"] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
    }
    for f in v["findings"].as_array().unwrap() {
        for k in ["kind", "severity", "path", "detail"] {
            assert!(f[k].is_string(), "{k} in {f}");
        }
    }
    let bom = crate::output::cyclonedx(&r);
    let doc = sbom::parse(bom.as_bytes()).expect("the SBOM reads back");
    assert!(doc.format.contains("CycloneDX"));
    assert!(doc.components.iter().any(|c| c.name == "busybox" && c.version == "1.36.1"));
    assert_eq!(doc.os.map(|o| o.name).as_deref(), Some("OpenWrt"));
}

/// Damaged images: thousands of bit flips and cuts in a SquashFS, an initramfs and a U-Boot
/// image, deterministically: each gives a report (parts found, failed or not), never a panic.
#[test]
fn damaged_images_never_panic() {
    let seeds = [
        sample::squashfs(&Options { compressor: Compressor::Gzip, ..Default::default() }),
        sample::initramfs(),
        sample::uimage(),
    ];
    let limits = Limits { max_total_bytes: 16 << 20, ..Default::default() };
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in &seeds {
        for round in 0..400 {
            let mut d = seed.clone();
            for _ in 0..(1 + round % 8) {
                let i = (next() as usize) % d.len();
                d[i] ^= 1 << (next() % 8);
            }
            if round % 5 == 0 {
                let cut = (next() as usize) % d.len();
                d.truncate(cut.max(1));
            }
            let _ = analyze("damaged.bin", &d, &limits);
        }
    }
}

/// A gzip member whose deflate stream is stored blocks (no compression): cheap to nest deeply.
fn stored_gzip(d: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = if d.is_empty() { vec![&[][..]] } else { d.chunks(65_535).collect() };
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32fast::hash(d).to_le_bytes());
    out.extend_from_slice(&(d.len() as u32).to_le_bytes());
    out
}

#[test]
fn ten_thousand_nested_archives_stop_at_the_depth_bound() {
    let mut d = b"the innermost file".to_vec();
    for _ in 0..10_000 {
        d = stored_gzip(&d);
    }
    let started = std::time::Instant::now();
    let r = analyze("nested-10000.gz", &d, &Limits::default());
    let f = r.findings.iter().find(|f| f.kind == "limit").expect("a limit finding");
    assert!(f.detail.contains("8 levels"), "{}", f.detail);
    assert!(r.parts.len() <= 10, "{} parts", r.parts.len());
    // bounded work: far less than 10,000 decompressions (a generous bound for a loaded machine)
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn binary_hardening_of_a_real_elf() {
    // this test binary, as rustc linked it: NX and PIE on Debian, and its symbols not stripped
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let b = crate::hardening::binary("/usr/bin/test", &me).expect("readable ELF");
    assert_eq!(b.kind, "executable");
    assert!(b.nx && b.pie, "{b:?}");
    assert!(!b.stripped, "{b:?}");
    assert_ne!(b.relro, "none", "{b:?}");
    // the sample image's stand-in binaries are ELF headers only: counted as unreadable
    let (img, _) = sample::image(&Options::default());
    let r = analyze("fw.bin", &img, &Limits::default());
    assert_eq!(r.hardening.binaries, 0);
    assert!(r.hardening.unreadable >= 2, "{:?}", r.hardening);
    // a real binary in an image is read and summarised
    let mut files = sample::rootfs_files();
    files.push(("/usr/sbin/real".into(), 0o755, me));
    let sq = sample::squashfs_of(&files, &[], Compressor::Gzip);
    let r = analyze("real.sqfs", &sq, &Limits::default());
    assert_eq!((r.hardening.binaries, r.hardening.executables, r.hardening.nx), (1, 1, 1), "{:?}", r.hardening);
    let json: serde_json::Value = serde_json::from_str(&crate::output::json(&r)).unwrap();
    assert_eq!(json["binaries"][0]["path"], "/usr/sbin/real");
    assert_eq!(json["hardening"]["pie"], 1);
    assert!(crate::output::text(&r).contains("Binary hardening (1 ELF files)"));
}

#[test]
fn html_report_in_japanese_and_english_escapes_what_the_image_says() {
    let mut files = sample::rootfs_files();
    files.push(("/etc/init.d/<script>x".into(), 0o755, b"#!/bin/sh\ntelnetd -l /bin/sh\n".to_vec()));
    let sq = sample::squashfs_of(&files, &[], Compressor::Gzip);
    let r = analyze("fw<img>.bin", &sq, &Limits::default());
    let html = crate::output::html(&r);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"ja\">"));
    assert!(html.contains("検出事項 / Findings") && html.contains("バイナリの堅牢化 / Binary hardening"));
    assert!(html.contains("fw&lt;img&gt;.bin") && !html.contains("<script>x") && html.contains("&lt;script&gt;x"));
    assert!(html.contains("telnetd"));
    let nothing = crate::output::html(&analyze("text.txt", b"just text", &Limits::default()));
    assert!(nothing.contains("Nothing found"));
}

fn zip_of(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, mode, data) in entries {
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        if mode & 0o170000 == 0o120000 {
            z.add_symlink(*name, std::str::from_utf8(data).unwrap(), o).unwrap();
        } else {
            z.start_file(*name, o).unwrap();
            z.write_all(data).unwrap();
        }
    }
    z.finish().unwrap().into_inner()
}

/// zip-slip and symlink escapes: the names are kept inside the image and reported, the link is
/// text, and an archive in the middle of other bytes is read on its own.
#[test]
fn zip_names_and_links_that_climb_out_are_read_in_place() {
    let z = zip_of(&[
        ("../../../etc/shadow", 0o100600, b"root::19000:0:99999:7:::\n"),
        ("etc/link", 0o120777, b"/../../etc/passwd"),
        ("etc/config/cloud", 0o100600, b"option api_key 'AbCdEf0123456789'\n"),
    ]);
    let mut blob = vec![0x55u8; 4096];
    blob.extend_from_slice(&z);
    blob.extend_from_slice(&[0xaa; 4096]);
    let r = analyze("in-blob.bin", &blob, &Limits::default());
    let p = r.parts.iter().find(|p| p.kind == "zip").expect("zip part");
    assert_eq!((p.offset, p.status.as_str(), p.files), (4096, "unpacked", 2), "{p:?}");
    assert_eq!(p.size, z.len() as u64);
    let t = r.findings.iter().find(|f| f.kind == "path_traversal").expect("zip-slip reported");
    assert_eq!(t.path, "/etc/shadow");
    assert!(t.evidence.contains("../../../etc/shadow"), "{t:?}");
    assert!(r.findings.iter().any(|f| f.kind == "weak_password" && f.account.as_deref() == Some("root")));
    assert!(r.findings.iter().any(|f| f.kind == "hardcoded_secret"));
}

/// A zip bomb (one entry of 64 MiB of zeros, about 64 KiB deflated) stops at the bound with a
/// finding; the entry is counted, not held.
#[test]
fn a_zip_bomb_stops_at_the_bound() {
    let zeros = vec![0u8; 64 << 20];
    let z = zip_of(&[("usr/share/big.bin", 0o100644, &zeros)]);
    assert!(z.len() < 200_000, "{}", z.len());
    let limits = Limits { max_total_bytes: 4 << 20, ..Default::default() };
    let r = analyze("bomb.zip", &z, &limits);
    assert!(r.unpacked_bytes <= 4 << 20, "{}", r.unpacked_bytes);
    assert!(r.findings.iter().any(|f| f.kind == "limit"), "{:?}", r.findings);
    // a zip whose central directory is cut off is found, not unpacked, and says why
    let cut = &z[..z.len() - 30];
    let r = analyze("cut.zip", cut, &Limits::default());
    let p = r.parts.iter().find(|p| p.kind == "zip").expect("zip part");
    assert_eq!(p.status, "found");
    assert!(p.detail.contains("truncated"), "{p:?}");
}

/// An Android sparse image (raw, fill and don't-care chunks) is expanded and what it holds is
/// found at its offset in the expanded image; a bad chunk ends it without a panic.
#[test]
fn an_android_sparse_image_is_expanded() {
    let fs = sample::squashfs(&Options { compressor: Compressor::Gzip, ..Default::default() });
    let blk = 4096usize;
    let blocks = fs.len().div_ceil(blk);
    let mut raw = fs.clone();
    raw.resize(blocks * blk, 0);
    let mut s = Vec::new();
    let chunks = 3u32;
    let total_blocks = (2 + blocks + 1) as u32;
    s.extend_from_slice(&[0x3a, 0xff, 0x26, 0xed]);
    s.extend_from_slice(&1u16.to_le_bytes());
    s.extend_from_slice(&0u16.to_le_bytes());
    s.extend_from_slice(&28u16.to_le_bytes());
    s.extend_from_slice(&12u16.to_le_bytes());
    s.extend_from_slice(&(blk as u32).to_le_bytes());
    s.extend_from_slice(&total_blocks.to_le_bytes());
    s.extend_from_slice(&chunks.to_le_bytes());
    s.extend_from_slice(&0u32.to_le_bytes());
    let chunk = |s: &mut Vec<u8>, kind: u16, blocks: u32, body: &[u8]| {
        s.extend_from_slice(&kind.to_le_bytes());
        s.extend_from_slice(&0u16.to_le_bytes());
        s.extend_from_slice(&blocks.to_le_bytes());
        s.extend_from_slice(&(12 + body.len() as u32).to_le_bytes());
        s.extend_from_slice(body);
    };
    chunk(&mut s, 0xcac3, 2, &[]);
    chunk(&mut s, 0xcac1, blocks as u32, &raw);
    chunk(&mut s, 0xcac2, 1, &[0xde, 0xad, 0xbe, 0xef]);
    let r = analyze("system.simg", &s, &Limits::default());
    let sp = r.parts.iter().find(|p| p.kind == "android-sparse").expect("sparse part");
    assert_eq!(sp.status, "decompressed", "{sp:?}");
    let c = r.parts.iter().find(|p| p.kind == "squashfs").expect("the SquashFS inside");
    assert_eq!((c.offset, c.status.as_str()), (2 * blk as u64, "unpacked"), "{c:?}");
    assert!(c.container.contains("android-sparse"), "{c:?}");
    assert!(r.findings.iter().any(|f| f.kind == "boot_service"));
    assert!(r.findings.iter().any(|f| f.kind == "weak_password"));
    // an unknown chunk type and a cut: no panic, and what could be read is still read
    let mut bad = s.clone();
    let second = 28 + 12;
    bad[second..second + 2].copy_from_slice(&0xcaffu16.to_le_bytes());
    let _ = analyze("bad.simg", &bad, &Limits::default());
    for cut in [29, 40, 60, s.len() / 2] {
        let _ = analyze("cut.simg", &s[..cut], &Limits::default());
    }
    // a sparse image that claims 4 TiB stops at the bound
    let mut huge = s.clone();
    huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    huge[12..16].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let r = analyze("huge.simg", &huge, &Limits { max_total_bytes: 8 << 20, ..Default::default() });
    assert!(r.unpacked_bytes <= 8 << 20);
}

fn lzma_alone(d: &[u8]) -> Vec<u8> {
    let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
    let stream = liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap();
    let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

/// A bare LZMA stream (a vendor kernel or root file system) at an offset in other bytes is
/// decompressed and what it holds unpacked; a look-alike header over noise is not a part.
#[test]
fn a_bare_lzma_stream_is_decompressed() {
    let l = lzma_alone(&sample::squashfs(&Options { compressor: Compressor::Gzip, ..Default::default() }));
    assert_eq!(l[0], 0x5d);
    let mut blob = vec![0x11u8; 1000];
    blob.extend_from_slice(&l);
    let r = analyze("kernel+initramfs.bin", &blob, &Limits::default());
    let p = r.parts.iter().find(|p| p.kind == "lzma").unwrap_or_else(|| panic!("{:?}", r.parts));
    assert_eq!((p.offset, p.status.as_str()), (1000, "decompressed"));
    assert!(r.parts.iter().any(|p| p.kind == "squashfs" && p.status == "unpacked"), "{:?}", r.parts);
    assert!(r.findings.iter().any(|f| f.kind == "weak_password"));
    let mut fake = l[..13].to_vec();
    fake.extend_from_slice(&[0xff; 64]);
    let r = analyze("fake.lzma", &fake, &Limits::default());
    assert!(r.parts.iter().all(|p| p.status != "unpacked"), "{:?}", r.parts);
}

/// Each reader on its own takes damaged input without a panic (what the fuzz targets run, on a
/// few thousand deterministic mutations).
#[test]
fn every_reader_takes_damaged_input() {
    let z = zip_of(&[("etc/passwd", 0o100644, b"root::0:0::/:/bin/sh\n")]);
    let l = lzma_alone(b"hello hello hello hello");
    let seeds: [(&str, Vec<u8>); 5] = [
        ("zip", z),
        ("lzma", l),
        ("cpio", sample::initramfs()),
        ("squashfs", sample::squashfs(&Options { compressor: Compressor::Gzip, ..Default::default() })),
        ("uimage", sample::uimage()),
    ];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (kind, seed) in &seeds {
        for round in 0..300 {
            let mut d = seed.clone();
            for _ in 0..(1 + round % 6) {
                let i = (next() as usize) % d.len();
                d[i] ^= 1 << (next() % 8);
            }
            if round % 4 == 0 {
                let cut = (next() as usize) % d.len();
                d.truncate(cut.max(1));
            }
            let _ = crate::read_as(kind, &d);
        }
    }
}

/// An Ed25519 key as openssl writes it (PKCS#8 v1: the seed only, no public key): the
/// fingerprint is derived from the seed and equals `openssl pkey -pubout -outform DER | sha256sum`.
#[test]
fn an_ed25519_key_without_its_public_half_is_fingerprinted() {
    let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINVBwhvL5WbRQlpjmWOUiB4hpgeIsdBjVbiMVfrkev6h\n-----END PRIVATE KEY-----\n";
    assert_eq!(
        crate::findings::spki_fingerprint("PRIVATE KEY", pem).as_deref(),
        Some("afd16f4a2b77035f9686ba21312b83519634a382d55a0e9280f6e2ec2d6fac73")
    );
}

/// A CramFS by hand: a root holding `etc/` (whose one entry is `passwd`, zlib-compressed) and
/// `loop/`, a directory whose entries are the root's own (a cycle).
fn cramfs_with_a_cycle() -> Vec<u8> {
    let inode = |mode: u32, size: u32, name: &str, offset: usize| -> Vec<u8> {
        let mut name = name.as_bytes().to_vec();
        name.resize(name.len().div_ceil(4) * 4, 0);
        let mut v = Vec::new();
        v.extend_from_slice(&mode.to_le_bytes()); // uid 0
        v.extend_from_slice(&(size & 0x00ff_ffff).to_le_bytes()); // gid 0
        v.extend_from_slice(&((name.len() as u32 >> 2) | ((offset as u32 >> 2) << 6)).to_le_bytes());
        v.extend_from_slice(&name);
        v
    };
    let passwd = b"root::0:0:root:/root:/bin/sh\n";
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(passwd).unwrap();
    let z = z.finish().unwrap();
    // layout: superblock (76) | root entries | etc entries | passwd block table | passwd data
    let root_at = 76usize;
    let etc_entry_len = 12 + 8; // "passwd" padded to 8
    let root_len = (12 + 4) + (12 + 4); // "etc", "loop"
    let etc_at = root_at + root_len;
    let data_at = etc_at + etc_entry_len;
    let mut body = Vec::new();
    body.extend(inode(0o040755, etc_entry_len as u32, "etc", etc_at));
    body.extend(inode(0o040755, root_len as u32, "loop", root_at));
    body.extend(inode(0o100644, passwd.len() as u32, "passwd", data_at));
    body.extend_from_slice(&((data_at + 4 + z.len()) as u32).to_le_bytes());
    body.extend_from_slice(&z);
    let size = 76 + body.len();
    let mut fs = Vec::new();
    fs.extend_from_slice(&0x28cd_3d45u32.to_le_bytes());
    fs.extend_from_slice(&(size as u32).to_le_bytes());
    fs.extend_from_slice(&[0; 8]);
    fs.extend_from_slice(b"Compressed ROMFS");
    fs.extend_from_slice(&[0; 32]);
    fs.extend(inode(0o040755, root_len as u32, "", root_at));
    assert_eq!(fs.len(), 76);
    fs.extend(body);
    fs
}

/// CramFS is read (a cycle among directories stops, each directory read once), and damaged or
/// cut CramFS never panics.
#[test]
fn cramfs_is_read_and_a_directory_cycle_stops() {
    let fs = cramfs_with_a_cycle();
    let r = analyze("cyclic.cramfs", &fs, &Limits::default());
    let p = r.parts.iter().find(|p| p.kind == "cramfs").unwrap_or_else(|| panic!("{:?}", r.parts));
    assert_eq!((p.status.as_str(), p.files), ("unpacked", 1), "{p:?}");
    assert!(r.findings.iter().any(|f| f.kind == "weak_password" && f.path == "/etc/passwd"), "{:?}", r.findings);
    assert_eq!(r.files, 1);
    let _ = crate::read_as("cramfs", &fs[..fs.len() - 10]);
    let r = analyze("cut.cramfs", &fs[..60], &Limits::default());
    assert!(r.parts.iter().all(|p| p.status != "unpacked"));
    let mut x = 0x1234_5678_9abc_def1u64;
    for round in 0..500 {
        let mut d = fs.clone();
        for _ in 0..(1 + round % 5) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = 64 + (x as usize) % (d.len() - 64);
            d[i] ^= 1 << (x % 8);
        }
        let _ = crate::read_as("cramfs", &d);
    }
}

/// A JFFS2 log by hand (big-endian, as on a MIPS router): the newest version of a name and of a
/// file's data wins, a name whose newest dirent points at inode 0 is deleted, a node whose header
/// CRC is wrong is skipped, and erased flash (0xff) between nodes is passed over.
#[test]
fn jffs2_newest_nodes_win_and_deleted_names_are_gone() {
    fn crc(d: &[u8]) -> u32 {
        let mut c = crc32fast::Hasher::new_with_initial(0xffff_ffff);
        c.update(d);
        !c.finalize()
    }
    fn node(kind: u16, body: &[u8], good_crc: bool) -> Vec<u8> {
        let mut n = Vec::new();
        n.extend_from_slice(&0x1985u16.to_be_bytes());
        n.extend_from_slice(&kind.to_be_bytes());
        n.extend_from_slice(&((12 + body.len()) as u32).to_be_bytes());
        let c = crc(&n[..8]);
        n.extend_from_slice(&(if good_crc { c } else { c ^ 1 }).to_be_bytes());
        n.extend_from_slice(body);
        while n.len() % 4 != 0 {
            n.push(0);
        }
        n
    }
    let dirent = |pino: u32, version: u32, ino: u32, name: &str| -> Vec<u8> {
        let mut b = Vec::new();
        for v in [pino, version, ino, 0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[name.len() as u8, 0, 0, 0]);
        b.extend_from_slice(&[0; 8]); // node and name CRCs (not checked)
        b.extend_from_slice(name.as_bytes());
        node(0xe001, &b, true)
    };
    let inode = |ino: u32, version: u32, mode: u32, offset: u32, data: &[u8], isize: u32, good: bool| -> Vec<u8> {
        let mut b = Vec::new();
        for v in [ino, version, mode] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0; 4]); // uid, gid
        b.extend_from_slice(&isize.to_be_bytes());
        b.extend_from_slice(&[0; 12]); // times
        for v in [offset, data.len() as u32, data.len() as u32] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0, 0, 0, 0]); // compression none
        b.extend_from_slice(&[0; 8]); // data and node CRCs
        b.extend_from_slice(data);
        node(0xe002, &b, good)
    };
    let mut img = Vec::new();
    img.extend(dirent(1, 1, 2, "etc"));
    img.extend(inode(2, 1, 0o040755, 0, b"", 0, true));
    img.extend(dirent(2, 2, 3, "passwd"));
    img.extend(inode(3, 1, 0o100644, 0, b"root:x:0:0:root:/root:/bin/sh\n", 30, true));
    img.extend(vec![0xff; 64]); // erased flash
    // the newer version gives root an empty password
    img.extend(inode(3, 2, 0o100644, 0, b"root::0:0:root:/root:/bin/sh\n", 29, true));
    img.extend(dirent(2, 3, 4, "old.conf"));
    img.extend(inode(4, 1, 0o100644, 0, b"option api_key 'AbCdEf0123456789'\n", 34, true));
    img.extend(dirent(2, 4, 0, "old.conf")); // deleted
    // a data node with a broken header CRC is skipped: the file it belongs to reads as empty
    img.extend(dirent(2, 5, 5, "ghost"));
    let n = img.len();
    img.extend(inode(5, 1, 0o100644, 0, b"x", 1, false));
    let r = analyze("flash.jffs2", &img, &Limits::default());
    let p = r.parts.iter().find(|p| p.kind == "jffs2").unwrap_or_else(|| panic!("{:?}", r.parts));
    assert_eq!((p.status.as_str(), p.files), ("unpacked", 2), "{p:?}"); // passwd and ghost (empty)
    let w = r.findings.iter().find(|f| f.kind == "weak_password").expect("the newest passwd is read");
    assert_eq!((w.path.as_str(), w.account.as_deref()), ("/etc/passwd", Some("root")));
    assert!(!r.findings.iter().any(|f| f.kind == "hardcoded_secret"), "a deleted file is gone: {:?}", r.findings);
    assert!(n < img.len());
    for cut in [5, 13, 40, img.len() / 2] {
        let _ = crate::read_as("jffs2", &img[..cut]);
    }
}

/// What a review found: a lone zip header claiming 4 GiB does not hide the SquashFS behind it; a
/// stored inner zip's end record does not cut the outer archive short; a file that looks like an
/// archive arriving just past the entries bound does not panic.
#[test]
fn zip_look_alikes_and_nested_zips_and_the_entries_bound() {
    let mut fake = b"PK\x03\x04".to_vec();
    fake.extend_from_slice(&[0; 14]);
    fake.extend_from_slice(&u32::MAX.to_le_bytes()); // compressed size
    fake.extend_from_slice(&[0; 8]);
    fake.extend_from_slice(&[0x42; 200]);
    let sq = sample::squashfs(&Options { compressor: Compressor::Gzip, ..Default::default() });
    fake.extend_from_slice(&sq);
    let r = analyze("fake-zip.bin", &fake, &Limits::default());
    assert!(r.parts.iter().any(|p| p.kind == "squashfs" && p.status == "unpacked"), "{:?}", r.parts);

    let inner = zip_of(&[("etc/shadow", 0o100600, b"root::19000:0:99999:7:::\n")]);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("inner.zip", stored).unwrap();
    z.write_all(&inner).unwrap();
    z.start_file("etc/config/cloud", stored).unwrap();
    z.write_all(b"option api_key 'AbCdEf0123456789'\n").unwrap();
    let outer = z.finish().unwrap().into_inner();
    let r = analyze("outer.zip", &outer, &Limits::default());
    let p = &r.parts[0];
    assert_eq!((p.kind.as_str(), p.offset, p.size, p.files), ("zip", 0, outer.len() as u64, 2), "{:?}", r.parts);
    assert!(r.findings.iter().any(|f| f.kind == "hardcoded_secret"), "the outer entry after the inner zip is read");
    assert!(r.findings.iter().any(|f| f.kind == "weak_password"), "the inner zip is read");

    let z = zip_of(&[("a", 0o100644, b"a"), ("b", 0o100644, b"b"), ("c.gz", 0o100644, &gzip(b"inner"))]);
    let r = analyze("bound.zip", &z, &Limits { max_entries: 2, ..Default::default() });
    assert!(r.findings.iter().any(|f| f.kind == "limit"), "{:?}", r.findings);
}

/// Debian's /etc/os-release is a link to ../usr/lib/os-release: the OS is read through it (the
/// Debian minbase image of bench/firmware-real.sh showed it was missed).
#[test]
fn os_release_through_a_relative_link() {
    let files = vec![(
        "/usr/lib/os-release".to_string(),
        0o644u16,
        b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n".to_vec(),
    )];
    let fs = sample::squashfs_of(&files, &[("/etc/os-release", "../usr/lib/os-release")], Compressor::Gzip);
    let r = analyze("debian.sqsh", &fs, &Limits::default());
    assert_eq!(
        (r.os.as_str(), r.os_id.as_str(), r.os_version.as_str()),
        ("Debian GNU/Linux 12 (bookworm)", "debian", "12")
    );
}

/// Inputs the fuzz targets found, kept so that they stay fixed: an ext superblock whose block
/// count (with its high half) made the reader ask for 66 GB, an abort no unwind catches.
#[test]
fn fuzz_regressions_do_not_crash() {
    let found: [(&str, &[u8]); 1] = [("ext", include_bytes!("../tests/fuzz-regressions/ext-huge-block-count.bin"))];
    for (kind, data) in found {
        let _ = crate::read_as(kind, data);
        let _ = analyze("regression.bin", data, &Limits::default());
    }
}

#[test]
fn parts_far_apart_are_all_found_and_nothing_inside_a_part_is_a_part() {
    // a flash dump: erased flash, a gzip'd kernel past the first search window, a tar at an odd
    // offset (its magic is 257 bytes in), a SquashFS at 2 MiB, and a gzip stored inside the tar
    // (raw bytes at a known offset, but inside a part: found in the tar, not as a part of the dump)
    let inner = gzip(b"inner\n");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(inner.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "boot/x.gz", &inner[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let sq = sample::squashfs(&Options::default());
    let mut img = vec![0xffu8; 300 << 10];
    img.extend_from_slice(&gzip(b"Linux version 5.15.150 (builder@buildhost) #0 SMP\n"));
    img.resize((1 << 20) + 3, 0xff);
    img.extend_from_slice(&tar);
    img.resize(2 << 20, 0xff);
    img.extend_from_slice(&sq);
    img.resize(img.len() + (700 << 10), 0xff);
    let r = analyze("dump.bin", &img, &Limits::default());
    let top: Vec<(u64, &str)> =
        r.parts.iter().filter(|p| p.container.is_empty()).map(|p| (p.offset, p.kind.as_str())).collect();
    assert_eq!(top, vec![(300 << 10, "gzip"), ((1 << 20) + 3, "tar"), (2 << 20, "squashfs")], "{:#?}", r.parts);
    assert!(r.parts.iter().any(|p| p.kind == "gzip" && p.container.ends_with("/boot/x.gz")), "{:#?}", r.parts);
    assert!(r.parts.iter().all(|p| p.status != "found"), "{:#?}", r.parts);
}

#[test]
fn signatures_across_search_windows_and_the_candidate_bound() {
    // the scan searches 256 KiB at a time: a magic that straddles a window's end, and a tar whose
    // header is in one window and its magic (257 bytes in) in the next
    const W: usize = 256 << 10;
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(5);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "etc/motd", &b"hello"[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let mut img = vec![0xffu8; W - 1];
    img.extend_from_slice(&gzip(b"first\n"));
    img.resize(2 * W - 100, 0xff);
    img.extend_from_slice(&tar);
    img.resize(3 * W, 0xff);
    let r = analyze("dump.bin", &img, &Limits::default());
    let top: Vec<(u64, &str)> =
        r.parts.iter().filter(|p| p.container.is_empty()).map(|p| (p.offset, p.kind.as_str())).collect();
    assert_eq!(top, vec![(W as u64 - 1, "gzip"), (2 * W as u64 - 100, "tar")], "{:#?}", r.parts);
    assert!(r.findings.iter().all(|f| f.kind != "limit"));

    // look-alikes that are not parts use up the candidate bound: what follows them is not
    // searched, and the report says so
    let mut noisy = b"HDR0\0\0\0\0".repeat(20);
    noisy.extend_from_slice(&gzip(b"after the noise\n"));
    let r = analyze("noisy.bin", &noisy, &Limits { max_candidates: 8, ..Default::default() });
    assert!(r.parts.is_empty(), "{:#?}", r.parts);
    let f = r.findings.iter().find(|f| f.kind == "limit").expect("a limit note");
    assert!(f.detail.contains("after 8 candidates"), "{}", f.detail);
    let r = analyze("noisy.bin", &noisy, &Limits::default());
    assert!(r.parts.iter().any(|p| p.kind == "gzip"), "{:#?}", r.parts);
}
