//! The firmware engine: finds the file systems and archives inside a device image by their
//! signatures (at any offset, through vendor wrappers such as U-Boot uImage and TRX), unpacks
//! them in memory — never onto the disk, so no name in an archive can write anywhere — within
//! bounds on depth, size and number of files, inventories what the device runs (OS release,
//! package databases, versions read from binaries) and reports what a white-hat tester looks for
//! first: weak accounts, private keys, remote shells started at boot, hard-coded secrets, update
//! URLs over plain HTTP.
//!
//! No platform dependency: the CLI (`kakehashi firmware`) and the platform's jobs call
//! [`analyze`].

mod findings;
mod formats;
pub mod hardening;
mod inventory;
pub mod output;
pub mod sample;
#[cfg(test)]
mod tests;
mod unpack;

use serde::Serialize;

pub use unpack::{Entry, EntryKind, Limits};

/// A part of the image found by its signature.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Part {
    /// Where it starts, in the image or in the file it was found in (`container`).
    pub offset: u64,
    /// `squashfs`, `gzip`, `xz`, `lzma`, `zstd`, `cpio`, `tar`, `zip`, `ext`, `android-sparse`,
    /// `uimage`, `trx`, `jffs2`, `ubi`, `cramfs`, `elf`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bytes it takes in its container.
    pub size: u64,
    /// The file it was found in (`/usr/lib/x.tar.gz`), empty for the image itself.
    pub container: String,
    /// What came of it: `unpacked` (with files; "unpacked (…)" when some of its contents could
    /// not be read, e.g. encrypted zip entries), `decompressed`, `wrapper`, or `found` (recognised
    /// but not unpacked, with the reason in `detail`).
    pub status: String,
    pub files: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A software component the image contains.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub purl: String,
    /// Where it was read: a package database (`/var/lib/dpkg/status`) or a binary and the string
    /// that names the version (`/bin/busybox: BusyBox v1.36.1`).
    pub evidence: String,
}

/// Something a tester should look at, with the file and the evidence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// `weak_password`, `boot_service`, `private_key`, `certificate`, `hardcoded_secret`,
    /// `plain_http_update`, `world_writable_startup`, `setuid`, `path_traversal`, `limit`.
    pub kind: String,
    /// `critical`, `high`, `medium`, `low`, `info`.
    pub severity: String,
    pub path: String,
    pub detail: String,
    /// The account (`weak_password`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The service (`boot_service`), e.g. `telnetd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Hex SHA-256 of the public key's SubjectPublicKeyInfo DER (`private_key`, `certificate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The line or string that shows it, secrets masked.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

impl Finding {
    fn new(kind: &str, severity: &str, path: &str, detail: impl Into<String>) -> Finding {
        Finding {
            kind: kind.into(),
            severity: severity.into(),
            path: path.into(),
            detail: detail.into(),
            account: None,
            service: None,
            fingerprint: None,
            evidence: String::new(),
        }
    }
}

/// What the engine made of an image.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The image's file name, as given.
    pub image: String,
    pub size: u64,
    pub sha256: String,
    pub parts: Vec<Part>,
    /// The operating system, as its release file names it (`OpenWrt 23.05.3`, `Debian GNU/Linux 12 (bookworm)`), or empty.
    pub os: String,
    /// The release file's `ID` and `VERSION_ID` (`alpine`, `3.19.1`), or empty: what SBOMs name the OS by.
    pub os_id: String,
    pub os_version: String,
    pub components: Vec<Component>,
    pub findings: Vec<Finding>,
    /// Binary hardening of the image's ELF files, in numbers.
    pub hardening: hardening::Hardening,
    /// Each ELF file's hardening.
    pub binaries: Vec<hardening::Binary>,
    /// Files unpacked (regular files, all parts).
    pub files: u64,
    /// Bytes unpacked.
    pub unpacked_bytes: u64,
}

impl Report {
    /// Nothing firmware-like was found: no part and no file.
    pub fn nothing_found(&self) -> bool {
        self.parts.is_empty()
    }
}

/// Analyses an image held in memory.
pub fn analyze(name: &str, image: &[u8], limits: &Limits) -> Report {
    // the digest is computed beside the unpacking: this thread waits while the cores decompress
    let (sha256, (parts, entries, mut notes)) = std::thread::scope(|s| {
        let digest = s.spawn(|| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(image)));
        let mut u = unpack::Unpacker::new(limits.clone());
        u.scan_image(image);
        let unpacked = u.finish();
        let digest = digest.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (digest, unpacked)
    });
    let inv = inventory::inventory(&entries);
    let mut found = findings::findings(&entries);
    found.append(&mut notes);
    found.sort_by(|a, b| severity_rank(&a.severity).cmp(&severity_rank(&b.severity)).then(a.path.cmp(&b.path)));
    let files = entries.iter().filter(|e| e.kind == EntryKind::File).count() as u64;
    let unpacked_bytes = entries.iter().map(|e| e.size).sum();
    let (binaries, hardening) = hardening::hardening(&entries);
    Report {
        image: name.to_string(),
        size: image.len() as u64,
        sha256,
        parts,
        os: inv.os,
        os_id: inv.os_id,
        os_version: inv.os_version,
        components: inv.components,
        findings: found,
        hardening,
        binaries,
        files,
        unpacked_bytes,
    }
}

/// One reader on its own, at the start of `bytes` and under small bounds: what the per-reader
/// fuzz targets run. `kind` is a part type (`squashfs`, `cpio`, `tar`, `zip`, `ext`,
/// `android-sparse`, `gzip`, `xz`, `lzma`, `zstd`, `uimage`, `trx`). Returns the numbers of parts
/// and entries it produced.
#[doc(hidden)]
pub fn read_as(kind: &str, bytes: &[u8]) -> (usize, usize) {
    let limits = Limits { max_total_bytes: 32 << 20, max_entries: 20_000, ..Default::default() };
    let mut u = unpack::Unpacker::new(limits);
    u.read_as(bytes, kind);
    let (parts, entries, _) = u.finish();
    (parts.len(), entries.len())
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}
