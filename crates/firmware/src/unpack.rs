//! Finding parts by signature and unpacking them, in memory and within bounds.
//!
//! Every file system and archive is read into a list of [`Entry`]s; nothing is ever written to
//! the disk, so a name such as `../../etc/passwd` or an absolute symlink cannot reach outside the
//! image: names are normalised (a `..` is dropped and reported), symlinks are kept as their target
//! text and never followed. Decompression reads at most what the remaining budget allows, so a
//! compression bomb stops at the bound with a finding instead of filling memory.

use std::io::{Cursor, Read};

use crate::formats;
use crate::{Finding, Part};

/// Bounds on what one analysis unpacks.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Containers inside containers (an archive in a file of a file system counts 2).
    pub max_depth: usize,
    /// Bytes unpacked in all (file contents and decompressed streams).
    pub max_total_bytes: u64,
    /// Files, directories and links in all.
    pub max_entries: usize,
    /// Candidate signatures tried per blob (a blob full of magic bytes is not tried forever).
    pub max_candidates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 8, max_total_bytes: 1 << 30, max_entries: 200_000, max_candidates: 4096 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Device,
}

/// A file, directory, link or device found in a part.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Normalised absolute path inside its part; for a part found inside a file, the file's path,
    /// `!`, and the path inside (`/usr/share/x.tar!/etc/passwd`).
    pub path: String,
    pub kind: EntryKind,
    /// Unix mode bits (permissions, setuid), 0 when the format has none.
    pub mode: u32,
    /// The contents, for the files the analysis reads (see [`worth_keeping`]); empty for others.
    pub data: Vec<u8>,
    /// The file's size, kept or not.
    pub size: u64,
    /// A symlink's target, as stored.
    pub link: String,
    /// The name as the archive stored it, when it tried to climb above the root (`../../x`).
    pub escaped: Option<String>,
}

pub(crate) struct Unpacker {
    limits: Limits,
    parts: Vec<Part>,
    entries: Vec<Entry>,
    notes: Vec<Finding>,
    budget: u64,
    stopped: bool,
    ext_tries: usize,
}

/// ext file systems tried per analysis.
const MAX_EXT_TRIES: usize = 16;

/// What a parser made of a candidate.
pub(crate) enum Parsed {
    /// A container: the bytes it takes, and its entries (paths inside it).
    Tree { size: u64, entries: Vec<Entry>, status: &'static str },
    /// A compressed stream: the bytes it takes and what it holds.
    Stream { size: u64, data: Vec<u8>, truncated: bool },
    /// A wrapper with a payload at `payload` (relative), `size` in all.
    Wrapper { size: u64, payload: u64, detail: String },
    /// Recognised but not unpacked.
    Found { size: u64, why: String },
}

const SIGNATURES: &[(&[u8], &str)] = &[
    (b"hsqs", "squashfs"),
    (b"sqsh", "squashfs"),
    (&[0x1f, 0x8b, 0x08], "gzip"),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz"),
    (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
    (b"070701", "cpio"),
    (b"070702", "cpio"),
    (&[0x27, 0x05, 0x19, 0x56], "uimage"),
    (b"HDR0", "trx"),
    (b"UBI#", "ubi"),
    (&[0x45, 0x3d, 0xcd, 0x28], "cramfs"),
    // JFFS2 nodes (clean marker, dirent, inode), little- and big-endian
    (&[0x85, 0x19, 0x03, 0x20], "jffs2"),
    (&[0x85, 0x19, 0x01, 0xe0], "jffs2"),
    (&[0x85, 0x19, 0x02, 0xe0], "jffs2"),
    (&[0x19, 0x85, 0x20, 0x03], "jffs2"),
    (&[0x19, 0x85, 0xe0, 0x01], "jffs2"),
    (&[0x19, 0x85, 0xe0, 0x02], "jffs2"),
    (b"ustar", "tar"),
    (b"PK\x03\x04", "zip"),
    (&formats::SPARSE_MAGIC, "android-sparse"),
    // the lzma_alone header and the ext superblock's magic are short: candidates are checked
    // further before they are kept (see `plausible`)
    (&[0x5d, 0x00, 0x00], "lzma"),
    (&[0x53, 0xef], "ext"),
];

/// Where a part starts given where its signature was found, and whether the bytes there are worth
/// a parser's time; None for a signature that cannot start a part.
fn plausible(blob: &[u8], found: usize, kind: &str) -> Option<usize> {
    match kind {
        // tar's magic sits 257 bytes into its header
        "tar" => found.checked_sub(257),
        // an ext file system starts 1080 bytes before its magic, on a sector boundary
        "ext" => {
            found.checked_sub(formats::EXT_MAGIC_AT).filter(|at| at % 512 == 0 && formats::ext_plausible(&blob[*at..]))
        }
        "lzma" => formats::lzma_plausible(&blob[found..]).then_some(found),
        _ => Some(found),
    }
}

impl Unpacker {
    pub(crate) fn new(limits: Limits) -> Unpacker {
        let budget = limits.max_total_bytes;
        Unpacker {
            limits,
            parts: Vec::new(),
            entries: Vec::new(),
            notes: Vec::new(),
            budget,
            stopped: false,
            ext_tries: 0,
        }
    }

    pub(crate) fn finish(self) -> (Vec<Part>, Vec<Entry>, Vec<Finding>) {
        (self.parts, self.entries, self.notes)
    }

    /// The whole image: every signature at every offset.
    pub(crate) fn scan_image(&mut self, image: &[u8]) {
        if image.starts_with(b"\x7fELF") {
            // a single program rather than an image: analysed as one file
            self.parts.push(part(0, "elf", image.len() as u64, "", "found", 1, "a single ELF program"));
            self.push_entry(Entry {
                path: "/image.elf".into(),
                kind: EntryKind::File,
                mode: 0o755,
                size: image.len() as u64,
                data: image.to_vec(),
                link: String::new(),
                escaped: None,
            });
            return;
        }
        self.scan(image, "", 0);
    }

    /// One reader at the start of `bytes`, without the signature scan (the fuzz targets).
    pub(crate) fn read_as(&mut self, bytes: &[u8], kind: &str) {
        self.parse_at(bytes, 0, kind, "", 0);
    }

    /// Entries a reader may still list: one past the bound, so that the bound is reported.
    fn room(&self) -> usize {
        self.limits.max_entries.saturating_sub(self.entries.len()) + 1
    }

    fn limit(&mut self, path: &str, detail: String) {
        if !self.stopped {
            self.notes.push(Finding::new("limit", "info", path, detail));
        }
        self.stopped = true;
    }

    fn push_entry(&mut self, e: Entry) -> bool {
        if self.entries.len() >= self.limits.max_entries {
            let n = self.limits.max_entries;
            self.limit(&e.path, format!("stopped at {n} files: the image holds more than the bound"));
            return false;
        }
        self.entries.push(e);
        true
    }

    /// Takes `n` bytes from the budget; false (and a finding) once it is spent.
    fn spend(&mut self, n: u64, path: &str) -> bool {
        if n > self.budget {
            let max = self.limits.max_total_bytes;
            self.limit(
                path,
                format!("stopped at {max} bytes unpacked: a compression bomb, or an image larger than the bound"),
            );
            self.budget = 0;
            return false;
        }
        self.budget -= n;
        true
    }

    /// Every signature in `blob` (the image, or a file found in it), parsed in order of offset;
    /// a candidate inside a part already taken is skipped.
    fn scan(&mut self, blob: &[u8], container: &str, depth: usize) {
        if self.stopped {
            return;
        }
        if depth > self.limits.max_depth {
            let d = self.limits.max_depth;
            self.limit(container, format!("stopped at {d} levels of containers inside containers"));
            return;
        }
        let mut candidates: Vec<(usize, &str)> = Vec::new();
        for (magic, kind) in SIGNATURES {
            for found in memchr::memmem::find_iter(blob, magic) {
                let Some(at) = plausible(blob, found, kind) else { continue };
                candidates.push((at, kind));
                if candidates.len() > self.limits.max_candidates {
                    break;
                }
            }
        }
        candidates.sort_unstable();
        let mut taken_until = 0usize;
        for (tried, (at, kind)) in candidates.into_iter().enumerate() {
            if self.stopped || tried >= self.limits.max_candidates {
                break;
            }
            if at < taken_until {
                continue;
            }
            let end = self.parse_at(blob, at, kind, container, depth);
            if let Some(end) = end {
                taken_until = end;
            }
        }
    }

    /// Parses one candidate; the end of what it took, when it was a part.
    fn parse_at(&mut self, blob: &[u8], at: usize, kind: &str, container: &str, depth: usize) -> Option<usize> {
        let bytes = &blob[at..];
        let parsed = match kind {
            "squashfs" => squashfs(bytes, self.budget),
            "gzip" | "xz" | "zstd" | "lzma" => self.stream(bytes, kind),
            "cpio" => cpio(bytes),
            "tar" => tar(bytes, self.budget),
            "zip" => formats::zip(bytes, self.budget, self.room()),
            "ext" => {
                // each try copies the file system for the reader: a blob full of look-alike
                // superblocks is not tried without end
                self.ext_tries += 1;
                if self.ext_tries > MAX_EXT_TRIES {
                    return None;
                }
                formats::ext(bytes, self.budget, self.room())
            }
            "android-sparse" => {
                let p = formats::sparse(bytes, self.budget)?;
                if let Parsed::Stream { data, .. } = &p {
                    self.budget = self.budget.saturating_sub(data.len() as u64);
                }
                Some(p)
            }
            "uimage" => uimage(bytes),
            "trx" => trx(bytes),
            "ubi" => Some(Parsed::Found {
                size: 0,
                why: "UBI/UBIFS: no maintained Rust reader (the maintained one, ubi_reader, is Python); not unpacked"
                    .into(),
            }),
            "cramfs" => formats::cramfs(bytes, self.budget, self.room()),
            "jffs2" => formats::jffs2(bytes, self.budget, self.room()),
            _ => None,
        }?;
        let prefix = if container.is_empty() { String::new() } else { format!("{container}!") };
        match parsed {
            Parsed::Tree { size, entries, status } => {
                let mut files = 0u64;
                let mut files_to_scan = Vec::new();
                for mut e in entries {
                    if self.stopped {
                        break;
                    }
                    if e.kind == EntryKind::File {
                        if !self.spend(e.size, &e.path) {
                            break;
                        }
                        files += 1;
                    }
                    e.path = format!("{prefix}{}", e.path);
                    let container_file = e.kind == EntryKind::File && looks_like_container(&e.data);
                    if !self.push_entry(e) {
                        break;
                    }
                    if container_file {
                        files_to_scan.push(self.entries.len() - 1);
                    }
                }
                self.parts.push(part(at as u64, kind, size, container, status, files, ""));
                // archives inside the files (a .tar.gz in /usr/share, an initramfs in /boot)
                for i in files_to_scan {
                    let (path, data) = (self.entries[i].path.clone(), std::mem::take(&mut self.entries[i].data));
                    self.scan(&data, &path, depth + 1);
                    self.entries[i].data = data;
                }
                Some(at + size as usize)
            }
            Parsed::Stream { size, data, truncated } => {
                let name = format!("{prefix}@{at:#x}.{kind}");
                let detail = if truncated { "the stream ends early; what could be read is analysed" } else { "" };
                self.parts.push(part(at as u64, kind, size, container, "decompressed", 0, detail));
                self.scan_or_keep(data, &name, depth);
                Some(at + size.max(1) as usize)
            }
            Parsed::Wrapper { size, payload, detail } => {
                self.parts.push(part(at as u64, kind, size, container, "wrapper", 0, &detail));
                // the payload is scanned where it lies, as part of this blob
                Some(at + payload as usize)
            }
            Parsed::Found { size, why } => {
                self.parts.push(part(at as u64, kind, size, container, "found", 0, &why));
                // a truncated zip's local entries are not each another part; other kinds' sizes
                // come from headers that may be false, so what follows is still scanned
                (kind == "zip" && size > 0).then(|| at + size as usize)
            }
        }
    }

    /// Decompressed data: scanned for more parts; a stream holding none is kept as a file (a
    /// gzip-compressed kernel or config is still read for versions and secrets).
    fn scan_or_keep(&mut self, data: Vec<u8>, name: &str, depth: usize) {
        let before = self.parts.len();
        self.scan(&data, name, depth + 1);
        if self.parts.len() == before && !self.stopped {
            self.push_entry(Entry {
                path: name.to_string(),
                kind: EntryKind::File,
                mode: 0,
                size: data.len() as u64,
                data,
                link: String::new(),
                escaped: None,
            });
        }
    }

    /// A compressed stream at the start of `bytes`, decoded within the budget; its size is what
    /// the decoder consumed (the bufread decoders read no further than their stream). None when
    /// not even the first bytes decode (a false signature).
    fn stream(&mut self, bytes: &[u8], kind: &str) -> Option<Parsed> {
        let mut rest: &[u8] = bytes;
        let cap = self.budget;
        let mut data = Vec::new();
        let r = {
            let mut d: Box<dyn Read + '_> = match kind {
                "gzip" => Box::new(flate2::bufread::GzDecoder::new(&mut rest)),
                "xz" => Box::new(liblzma::bufread::XzDecoder::new(&mut rest)),
                "lzma" => Box::new(formats::lzma_decoder(&mut rest)?),
                _ => Box::new(zstd::stream::read::Decoder::with_buffer(&mut rest).ok()?.single_frame()),
            };
            d.by_ref().take(cap.saturating_add(1)).read_to_end(&mut data)
        };
        let truncated = r.is_err();
        if truncated && data.is_empty() {
            return None;
        }
        if data.len() as u64 > cap {
            data.truncate(cap as usize);
            let max = self.limits.max_total_bytes;
            self.limit(
                "",
                format!("stopped at {max} bytes unpacked: a compression bomb, or an image larger than the bound"),
            );
        }
        self.budget = self.budget.saturating_sub(data.len() as u64);
        let size = (bytes.len() - rest.len()) as u64;
        Some(Parsed::Stream { size: size.max(1), data, truncated })
    }
}

fn part(offset: u64, kind: &str, size: u64, container: &str, status: &str, files: u64, detail: &str) -> Part {
    Part {
        offset,
        kind: kind.into(),
        size,
        container: container.into(),
        status: status.into(),
        files,
        detail: detail.into(),
    }
}

/// Whether a file found in a part starts like something to unpack.
fn looks_like_container(d: &[u8]) -> bool {
    d.starts_with(b"hsqs")
        || d.starts_with(b"sqsh")
        || d.starts_with(&[0x1f, 0x8b])
        || d.starts_with(&[0xfd, b'7', b'z', b'X', b'Z'])
        || d.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || d.starts_with(b"0707")
        || d.get(257..262) == Some(b"ustar")
        || d.starts_with(&[0x27, 0x05, 0x19, 0x56])
        || d.starts_with(b"PK\x03\x04")
        || d.starts_with(&[0x45, 0x3d, 0xcd, 0x28])
        || d.starts_with(&formats::SPARSE_MAGIC)
        || formats::lzma_plausible(d)
        || formats::ext_plausible(d)
}

/// Whether the analysis reads this file again (its contents are kept in memory): configuration,
/// scripts, package databases and account files, programs and libraries (version strings,
/// hardening), keys and certificates, and containers to unpack. Other files (documentation, web
/// assets, data) are read once while unpacking and dropped, which keeps memory near the size of
/// what matters rather than of the whole image.
pub(crate) fn worth_keeping(path: &str, data: &[u8]) -> bool {
    let p = path.rsplit_once('!').map(|(_, p)| p).unwrap_or(path);
    let head = &data[..data.len().min(512)];
    data.starts_with(b"\x7fELF")
        || looks_like_container(data)
        || p.starts_with("/etc/")
        || p.ends_with("/os-release")
        || p.starts_with("/lib/upgrade/")
        || p.starts_with("/lib/apk/")
        || p.starts_with("/var/lib/dpkg/")
        || p.starts_with("/usr/lib/opkg/")
        || p.starts_with("/var/lib/opkg/")
        || p.starts_with("/root/")
        || p.starts_with("/www/") && !head.contains(&0)
        || p.contains("vmlinu")
        || p.contains("zImage")
        || head.starts_with(b"#!")
        || [".sh", ".conf", ".cfg", ".ini", ".json", ".lua", ".cgi", ".py", ".env", ".pem", ".key", ".crt", ".der"]
            .iter()
            .any(|x| p.ends_with(x))
        || data.len() < 1 << 20 && memchr::memmem::find(data, b"-----BEGIN ").is_some()
}

/// A name from an archive as a clean absolute path: `.` and empty parts dropped, `..` dropped
/// (the caller reports it), never above the root.
pub(crate) fn normalise(name: &str) -> (String, bool) {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                escaped = true;
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    (format!("/{}", parts.join("/")), escaped)
}

fn squashfs(bytes: &[u8], cap: u64) -> Option<Parsed> {
    // bytes_used at 40 (little-endian superblock; "sqsh" is big-endian, which backhand reads as
    // another kind)
    let size = if bytes.starts_with(b"hsqs") {
        u64::from_le_bytes(bytes.get(40..48)?.try_into().ok()?)
    } else {
        u64::from_be_bytes(bytes.get(40..48)?.try_into().ok()?)
    };
    if size < 96 {
        return None;
    }
    if size > bytes.len() as u64 {
        return Some(Parsed::Found {
            size,
            why: format!("SquashFS truncated: the superblock says {size} bytes, {} are present", bytes.len()),
        });
    }
    let image = &bytes[..size as usize];
    // the reader is a third party's on hostile input: a panic in it is a damaged part, not a crash
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| squashfs_entries(image, size, cap))) {
        Ok(p) => Some(p),
        Err(_) => {
            Some(Parsed::Found { size, why: "SquashFS not readable: the reader gave up on damaged metadata".into() })
        }
    }
}

fn squashfs_entries(image: &[u8], size: u64, cap: u64) -> Parsed {
    // one budget for all the reading threads: files that share their blocks (SquashFS
    // deduplicates) are each counted
    let cap = std::sync::atomic::AtomicU64::new(cap);
    let cap = &cap;
    // every compression mksquashfs writes, LZO and LZMA included
    let open = || {
        backhand::FilesystemReader::from_reader_with_offset_and_kind(
            std::io::BufReader::new(Cursor::new(image)),
            0,
            backhand::kind::Kind::new_v4(&formats::ANY_COMPRESSION),
        )
    };
    let fs = match open() {
        Ok(fs) => fs,
        Err(e) => return Parsed::Found { size, why: format!("SquashFS not readable: {e}") },
    };
    // Decompressing the files is the work: it is shared among the cores, each thread with a reader
    // of its own over the same bytes (a reader serialises its reads), taking every n-th file.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
    let count = fs.files().count();
    let mut parts: Vec<Vec<(usize, Entry)>> = Vec::new();
    if threads > 1 && count > 64 {
        let results: Vec<Vec<(usize, Entry)>> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let open = &open;
                    sc.spawn(move || match open() {
                        Ok(fs) => read_nodes(&fs, |i| i % threads == t, cap),
                        Err(_) => Vec::new(),
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        parts = results;
    } else {
        parts.push(read_nodes(&fs, |_| true, cap));
    }
    let mut all: Vec<(usize, Entry)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    Parsed::Tree { size, entries: all.into_iter().map(|(_, e)| e).collect(), status: "unpacked" }
}

/// The nodes this reader is to read (by their place in the listing), as entries.
fn read_nodes(
    fs: &backhand::FilesystemReader<'_>,
    mine: impl Fn(usize) -> bool,
    cap: &std::sync::atomic::AtomicU64,
) -> Vec<(usize, Entry)> {
    let mut entries = Vec::new();
    for (i, node) in fs.files().enumerate().filter(|(i, _)| mine(*i)) {
        let (path, _) = normalise(&node.fullpath.to_string_lossy());
        let mode = u32::from(node.header.permissions);
        let e = match &node.inner {
            backhand::InnerNode::File(f) => {
                use std::sync::atomic::Ordering::Relaxed;
                let left = cap.load(Relaxed);
                let (data, size) = formats::read_file(fs.file(f).reader(), &path, left.saturating_add(1));
                let _ = cap.fetch_update(Relaxed, Relaxed, |b| Some(b.saturating_sub(size)));
                Entry { path, kind: EntryKind::File, mode, data, size, link: String::new(), escaped: None }
            }
            backhand::InnerNode::Symlink(l) => Entry {
                path,
                kind: EntryKind::Symlink,
                mode,
                data: Vec::new(),
                size: 0,
                link: l.link.to_string_lossy().into_owned(),
                escaped: None,
            },
            backhand::InnerNode::Dir(_) => Entry {
                path,
                kind: EntryKind::Dir,
                mode,
                data: Vec::new(),
                size: 0,
                link: String::new(),
                escaped: None,
            },
            _ => Entry {
                path,
                kind: EntryKind::Device,
                mode,
                data: Vec::new(),
                size: 0,
                link: String::new(),
                escaped: None,
            },
        };
        entries.push((i, e));
    }
    entries
}

/// CPIO "newc" (initramfs): hand-written because it is 110 bytes of hex fields per entry and
/// reading it from memory with bounds checks is shorter than adapting a reader crate.
fn cpio(bytes: &[u8]) -> Option<Parsed> {
    let mut entries = Vec::new();
    let mut at = 0usize;
    let hex = |b: &[u8]| -> Option<u64> { u64::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok() };
    let pad4 = |n: usize| n.div_ceil(4) * 4;
    loop {
        let h = bytes.get(at..at + 110)?;
        if !(h.starts_with(b"070701") || h.starts_with(b"070702")) {
            // a signature whose first header does not parse is no archive
            if entries.is_empty() {
                return None;
            }
            break;
        }
        let mode = hex(&h[14..22])? as u32;
        let size = hex(&h[54..62])? as usize;
        let namesize = hex(&h[94..102])? as usize;
        let name_start = at + 110;
        let name = bytes.get(name_start..name_start.checked_add(namesize)?)?;
        let name = String::from_utf8_lossy(name.strip_suffix(&[0]).unwrap_or(name)).into_owned();
        let data_start = pad4(name_start + namesize);
        let data_end = data_start.checked_add(size)?;
        if name == "TRAILER!!!" {
            at = pad4(data_start);
            break;
        }
        let data = bytes.get(data_start..data_end.min(bytes.len()))?.to_vec();
        let truncated = data_end > bytes.len();
        let (path, escaped) = normalise(&name);
        let escaped = escaped.then(|| name.clone());
        let kind = match mode & 0o170000 {
            0o040000 => EntryKind::Dir,
            0o120000 => EntryKind::Symlink,
            0o100000 => EntryKind::File,
            _ => EntryKind::Device,
        };
        let (data, link) = if kind == EntryKind::Symlink {
            (Vec::new(), String::from_utf8_lossy(&data).into_owned())
        } else {
            (data, String::new())
        };
        let size = data.len() as u64;
        let data = if worth_keeping(&path, &data) { data } else { Vec::new() };
        entries.push(Entry { path, kind, mode, data, size, link, escaped });
        if truncated {
            at = bytes.len();
            break;
        }
        at = pad4(data_end);
    }
    Some(Parsed::Tree { size: at as u64, entries, status: "unpacked" })
}

fn tar(bytes: &[u8], cap: u64) -> Option<Parsed> {
    let mut a = tar::Archive::new(Cursor::new(bytes));
    let mut entries = Vec::new();
    let mut end = 0u64;
    for e in a.entries().ok()? {
        let Ok(mut e) = e else { break };
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let (path, escaped) = normalise(&name);
        let escaped = escaped.then(|| name.clone());
        let mode = e.header().mode().unwrap_or(0);
        let start = e.raw_file_position();
        let size = e.header().size().unwrap_or(0);
        end = end.max(start + size.div_ceil(512) * 512);
        let kind = e.header().entry_type();
        let entry = if kind.is_dir() {
            Entry { path, kind: EntryKind::Dir, mode, data: Vec::new(), size: 0, link: String::new(), escaped }
        } else if kind.is_symlink() || kind.is_hard_link() {
            let link = e.link_name_bytes().map(|l| String::from_utf8_lossy(&l).into_owned()).unwrap_or_default();
            Entry { path, kind: EntryKind::Symlink, mode, data: Vec::new(), size: 0, link, escaped }
        } else if kind.is_file() {
            let (data, size) = formats::read_file(e.by_ref(), &path, cap.saturating_add(1));
            Entry { path, kind: EntryKind::File, mode, data, size, link: String::new(), escaped }
        } else {
            continue;
        };
        entries.push(entry);
    }
    if entries.is_empty() {
        return None;
    }
    // two zero blocks close the archive
    Some(Parsed::Tree { size: (end + 1024).min(bytes.len() as u64), entries, status: "unpacked" })
}

/// U-Boot legacy image: a 64-byte header (big-endian) before its payload.
fn uimage(bytes: &[u8]) -> Option<Parsed> {
    let h = bytes.get(..64)?;
    let size = u32::from_be_bytes(h[12..16].try_into().ok()?) as u64;
    let name = String::from_utf8_lossy(&h[32..64]).trim_end_matches('\0').to_string();
    let comp = match h[31] {
        0 => "none",
        1 => "gzip",
        2 => "bzip2",
        3 => "lzma",
        4 => "lzo",
        5 => "lz4",
        6 => "zstd",
        _ => "unknown",
    };
    if size == 0 || !name.chars().all(|c| !c.is_control()) {
        return None;
    }
    Some(Parsed::Wrapper { size: 64 + size, payload: 64, detail: format!("U-Boot image \"{name}\", {comp}") })
}

/// Broadcom TRX: "HDR0", length, CRC, flags and version, then up to three partition offsets.
fn trx(bytes: &[u8]) -> Option<Parsed> {
    let h = bytes.get(..28)?;
    let len = u32::from_le_bytes(h[4..8].try_into().ok()?) as u64;
    if len < 28 {
        return None;
    }
    let offs: Vec<String> = (0..3)
        .map(|i| u32::from_le_bytes(h[16 + 4 * i..20 + 4 * i].try_into().unwrap_or([0; 4])))
        .filter(|o| *o != 0)
        .map(|o| format!("{o:#x}"))
        .collect();
    Some(Parsed::Wrapper { size: len, payload: 28, detail: format!("TRX, partitions at {}", offs.join(", ")) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_analysis_reads_is_kept() {
        assert!(worth_keeping("/etc/passwd", b"root:x:0:0"));
        assert!(worth_keeping("/bin/busybox", b"\x7fELF\x02"));
        assert!(worth_keeping("/usr/share/x/init", b"#!/bin/sh\n"));
        assert!(worth_keeping("/usr/share/doc/a.txt", b"note\n-----BEGIN PRIVATE KEY-----\n"));
        assert!(worth_keeping("/x.tar!/etc/shadow", b"root::"));
        assert!(!worth_keeping("/usr/share/doc/pkg/README", b"just documentation"));
        assert!(!worth_keeping("/www/logo.png", b"\x89PNG\r\n\x1a\n\0\0"));
    }

    #[test]
    fn names_never_leave_the_root() {
        assert_eq!(normalise("../../etc/passwd"), ("/etc/passwd".into(), true));
        assert_eq!(normalise("/bin/./sh"), ("/bin/sh".into(), false));
        assert_eq!(normalise("a/../../b"), ("/b".into(), true));
        assert_eq!(normalise(""), ("/".into(), false));
    }
}
