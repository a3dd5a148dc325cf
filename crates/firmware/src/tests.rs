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
