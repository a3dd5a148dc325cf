//! Finding parts by signature and unpacking them, in memory and within bounds.
//!
//! Every file system and archive is read into a list of [`Entry`]s; nothing is ever written to
//! the disk, so a name such as `../../etc/passwd` or an absolute symlink cannot reach outside the
//! image: names are normalised (a `..` is dropped and reported), symlinks are kept as their target
//! text and never followed. Decompression reads at most what the remaining budget allows, so a
//! compression bomb stops at the bound with a finding instead of filling memory.

use std::io::{Cursor, Read};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

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
    let at = found.checked_sub(magic_at(kind))?;
    match kind {
        // an ext file system starts on a sector boundary
        "ext" => (at % 512 == 0 && formats::ext_plausible(&blob[at..])).then_some(at),
        "lzma" => formats::lzma_plausible(&blob[at..]).then_some(at),
        _ => Some(at),
    }
}

/// How far into a part its signature sits: tar's magic is 257 bytes into its header, an ext
/// superblock's magic 1080 bytes into the file system; the others start with theirs.
fn magic_at(kind: &str) -> usize {
    match kind {
        "tar" => 257,
        "ext" => formats::EXT_MAGIC_AT,
        _ => 0,
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
        // Candidates are found lazily, a window at a time, from where the last part ended: the
        // bytes inside a part already taken are never searched, so an image that is one file
        // system costs a window per signature rather than a search of all of it per signature.
        const WINDOW: usize = 256 << 10;
        let finders: Vec<(memchr::memmem::Finder<'_>, &str)> =
            SIGNATURES.iter().map(|(magic, kind)| (memchr::memmem::Finder::new(magic), *kind)).collect();
        // Signature i's first candidate starting at `from` or later: Ok(at), or Err(p) when
        // there is none before p (the window searched), or None when there is none at all.
        let search = |i: usize, from: usize| -> Option<Result<usize, usize>> {
            let (finder, kind) = &finders[i];
            // where the magic sits in a part that starts at `from` or later
            let lead = magic_at(kind);
            let mut pos = from.saturating_add(lead);
            let stop = pos.saturating_add(WINDOW);
            while pos < blob.len().min(stop) {
                // a magic that starts in the window may end past it
                let end = blob.len().min(stop.saturating_add(finder.needle().len() - 1));
                let Some(found) = finder.find(&blob[pos..end]).map(|f| pos + f) else { break };
                if let Some(at) = plausible(blob, found, kind).filter(|at| *at >= from) {
                    return Some(Ok(at));
                }
                pos = found + 1;
            }
            (stop < blob.len()).then_some(Err(stop - lead))
        };
        let mut next: Vec<Option<Result<usize, usize>>> = vec![Some(Err(0)); finders.len()];
        let mut taken_until = 0usize;
        let mut tried = 0usize;
        while !self.stopped && tried < self.limits.max_candidates {
            // the earliest candidate, windows still to search first; at one offset, in the
            // order of the kinds' names
            let Some((i, next_i)) = next
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (i, n)))
                .min_by_key(|(i, n)| (n.unwrap_or_else(|p| p), n.is_ok(), finders[*i].1))
            else {
                break;
            };
            let at = match next_i {
                Err(p) => {
                    next[i] = search(i, p.max(taken_until));
                    continue;
                }
                Ok(at) if at < taken_until => {
                    next[i] = search(i, taken_until);
                    continue;
                }
                Ok(at) => at,
            };
            tried += 1;
            if let Some(end) = self.parse_at(blob, at, finders[i].1, container, depth) {
                taken_until = taken_until.max(end);
            }
            next[i] = search(i, (at + 1).max(taken_until));
        }
        if !self.stopped && tried >= self.limits.max_candidates && next.iter().any(Option::is_some) {
            // not a stop: what was found stays, the rest of this blob is not searched
            let n = self.limits.max_candidates;
            let at = if container.is_empty() { "the image".to_string() } else { container.to_string() };
            self.notes.push(Finding::new(
                "limit",
                "info",
                container,
                format!("stopped trying signatures in {at} after {n} candidates that were not parts; what follows the last one was not searched"),
            ));
        }
    }

    /// Parses one candidate; the end of what it took, when it was a part.
    fn parse_at(&mut self, blob: &[u8], at: usize, kind: &str, container: &str, depth: usize) -> Option<usize> {
        let bytes = &blob[at..];
        let parsed = match kind {
            "squashfs" => squashfs(bytes, self.budget, self.room()),
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

fn squashfs(bytes: &[u8], cap: u64, room: usize) -> Option<Parsed> {
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
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| squashfs_entries(image, size, cap, room))) {
        Ok(p) => Some(p),
        Err(_) => {
            Some(Parsed::Found { size, why: "SquashFS not readable: the reader gave up on damaged metadata".into() })
        }
    }
}

fn squashfs_entries(image: &[u8], size: u64, cap: u64, room: usize) -> Parsed {
    // every compression mksquashfs writes, LZO and LZMA included
    let fs = match backhand::FilesystemReader::from_reader_with_offset_and_kind(
        std::io::BufReader::new(Cursor::new(image)),
        0,
        backhand::kind::Kind::new_v4(&formats::ANY_COMPRESSION),
    ) {
        Ok(fs) => fs,
        Err(e) => return Parsed::Found { size, why: format!("SquashFS not readable: {e}") },
    };
    // backhand lists the nodes; the file data is read below, from the image in memory
    // no more nodes than the caller may still list (it reports the bound)
    let mut nodes: Vec<(Entry, Option<FileData<'_>>)> = fs.files().take(room).map(node_entry).collect();
    let data = SquashData {
        image,
        block_size: fs.block_size as usize,
        compressor: fs.compressor.map(Into::into),
        fragments: fs.fragments.as_deref().unwrap_or(&[]),
    };
    // one budget for all the reading threads: files that share their blocks (SquashFS
    // deduplicates) are each counted
    let budget = AtomicU64::new(cap);
    // Decompressing the files is the work: the cores take runs of neighbouring files in turn
    // (neighbours share fragment blocks), so a core that drew large files does not hold up the rest.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
    if threads > 1 && nodes.len() > 64 {
        let runs = std::sync::Mutex::new(nodes.chunks_mut(32));
        std::thread::scope(|sc| {
            for _ in 0..threads {
                sc.spawn(|| {
                    let mut frags = FragmentCache::default();
                    // the lock is held only while a run is taken
                    let take = || runs.lock().ok().and_then(|mut r| r.next());
                    while let Some(run) = take() {
                        for (e, f) in run {
                            data.read(e, f.as_ref(), &budget, &mut frags);
                        }
                    }
                });
            }
        });
    } else {
        let mut frags = FragmentCache::default();
        for (e, f) in &mut nodes {
            data.read(e, f.as_ref(), &budget, &mut frags);
        }
    }
    Parsed::Tree { size, entries: nodes.into_iter().map(|(e, _)| e).collect(), status: "unpacked" }
}

/// Where a SquashFS file's data lies: its blocks, then perhaps a tail in a fragment block.
struct FileData<'a> {
    len: u64,
    blocks_start: u64,
    blocks: &'a [backhand::DataSize],
    /// (fragment index, offset of the tail in that fragment block)
    fragment: Option<(usize, usize)>,
}

/// A node of the listing as an entry (without its data) and, for a file, where its data lies.
fn node_entry(node: &backhand::Node<backhand::SquashfsFileReader>) -> (Entry, Option<FileData<'_>>) {
    let (path, _) = normalise(&node.fullpath.to_string_lossy());
    let mode = u32::from(node.header.permissions);
    let mut e =
        Entry { path, kind: EntryKind::File, mode, data: Vec::new(), size: 0, link: String::new(), escaped: None };
    match &node.inner {
        backhand::InnerNode::File(f) => {
            let file = FileData {
                len: f.file_len() as u64,
                blocks_start: f.blocks_start(),
                blocks: f.block_sizes(),
                fragment: (f.frag_index() != 0xffff_ffff).then(|| (f.frag_index(), f.block_offset() as usize)),
            };
            return (e, Some(file));
        }
        backhand::InnerNode::Symlink(l) => {
            e.kind = EntryKind::Symlink;
            e.link = l.link.to_string_lossy().into_owned();
        }
        backhand::InnerNode::Dir(_) => e.kind = EntryKind::Dir,
        _ => e.kind = EntryKind::Device,
    }
    (e, None)
}

/// Reads SquashFS file data from the image in memory. backhand's own file reader keeps every
/// fragment block it has decompressed until the reader is dropped, so its memory grows with the
/// image (136 MB of cache for the 64 MiB benchmark image), and it reads through one lock, so each
/// core needed a reader of its own, which parsed all the metadata again. The block layout is
/// simple (a list of block sizes, a fragment table), and decompression stays with the
/// compressors backhand and this crate provide.
struct SquashData<'a> {
    image: &'a [u8],
    block_size: usize,
    compressor: Option<backhand::compression::Compressor>,
    fragments: &'a [backhand::Fragment],
}

/// The last few fragment blocks a core decompressed: the small files that share one are
/// neighbours in the listing.
#[derive(Default)]
struct FragmentCache(std::collections::VecDeque<(u64, Vec<u8>)>);

impl FragmentCache {
    /// The fragment block, decompressed now unless it is one of the last four.
    fn get(&mut self, fs: &SquashData<'_>, frag: &backhand::Fragment) -> std::io::Result<&[u8]> {
        let i = match self.0.iter().position(|(start, _)| *start == frag.start) {
            Some(i) => i,
            None => {
                let mut block = Vec::new();
                fs.block(frag.start, frag.size, &mut block)?;
                if self.0.len() == 4 {
                    self.0.pop_front();
                }
                self.0.push_back((frag.start, block));
                self.0.len() - 1
            }
        };
        Ok(&self.0[i].1)
    }
}

impl SquashData<'_> {
    /// Fills in one entry's data within the shared budget (as [`formats::read_file`] reads it).
    /// The budget is taken a block at a time as the block is read, so the cores together never
    /// hold more than the budget and a block each; once it is spent, a file is counted (one byte
    /// over, which makes the caller report the bound) without being decompressed.
    fn read(&self, e: &mut Entry, f: Option<&FileData<'_>>, budget: &AtomicU64, frags: &mut FragmentCache) {
        let Some(f) = f else { return };
        if f.len > 0 && budget.load(Relaxed) == 0 {
            e.size = 1;
            return;
        }
        let reader = FileReader {
            fs: self,
            file: f,
            next: 0,
            pos: f.blocks_start,
            left: f.len,
            buf: Vec::new(),
            at: 0,
            frags,
            budget,
            over: false,
        };
        // the decompressors are third parties' code on hostile input: a panic is a damaged file
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            formats::read_file(reader, &e.path, f.len, u64::MAX)
        }));
        (e.data, e.size) = read.unwrap_or_default();
    }

    /// One block's bytes as stored (`size` with the "stored uncompressed" flag) at `at`,
    /// decompressed into `out`.
    fn block(&self, at: u64, size: backhand::DataSize, out: &mut Vec<u8>) -> std::io::Result<()> {
        use backhand::compression::CompressionAction;
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "damaged SquashFS data block");
        out.clear();
        let len = size.size() as usize;
        if len == 0 {
            // a hole in a sparse file
            out.resize(self.block_size, 0);
            return Ok(());
        }
        let start = usize::try_from(at).map_err(|_| bad())?;
        let raw = start.checked_add(len).and_then(|end| self.image.get(start..end)).ok_or_else(bad)?;
        if len > self.block_size {
            return Err(bad());
        }
        if size.uncompressed() {
            out.extend_from_slice(raw);
        } else {
            out.reserve(self.block_size);
            let c = self.compressor.ok_or_else(bad)?;
            formats::ANY_COMPRESSION.decompress(raw, out, c).map_err(|_| bad())?;
            if out.len() > self.block_size {
                return Err(bad());
            }
        }
        Ok(())
    }
}

/// One file's contents as a stream, a block at a time.
struct FileReader<'a, 'b> {
    fs: &'a SquashData<'b>,
    file: &'a FileData<'b>,
    /// The next block to read (the fragment comes after the blocks), and where it starts.
    next: usize,
    pos: u64,
    /// Bytes of the file not yet decompressed.
    left: u64,
    buf: Vec<u8>,
    at: usize,
    frags: &'a mut FragmentCache,
    /// The bytes all the cores may still read, and whether this file ran past it.
    budget: &'a AtomicU64,
    over: bool,
}

impl FileReader<'_, '_> {
    fn fill(&mut self) -> std::io::Result<()> {
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "damaged SquashFS file");
        self.at = 0;
        self.buf.clear();
        if self.over {
            return Ok(());
        }
        let f = self.file;
        if let Some(size) = f.blocks.get(self.next) {
            // blocks lie one after another from blocks_start
            self.fs.block(self.pos, *size, &mut self.buf)?;
            self.pos += u64::from(size.size());
            self.next += 1;
        } else if let Some((index, offset)) = f.fragment.filter(|_| self.next == f.blocks.len()) {
            self.next += 1;
            let frag = self.fs.fragments.get(index).ok_or_else(bad)?;
            let block = self.frags.get(self.fs, frag)?;
            let tail = usize::try_from(self.left).map_err(|_| bad())?;
            let end = offset.checked_add(tail).ok_or_else(bad)?;
            self.buf.extend_from_slice(block.get(offset..end).ok_or_else(bad)?);
        } else {
            // the block list ends before the file does
            return Err(bad());
        }
        let mut keep = (self.buf.len() as u64).min(self.left);
        let before = self.budget.fetch_update(Relaxed, Relaxed, |b| Some(b.saturating_sub(keep))).unwrap_or(0);
        if before < keep {
            // the budget ran out in this block: one byte past it, so the caller reports the bound
            keep = before + 1;
            self.over = true;
        }
        self.buf.truncate(keep as usize);
        self.left -= keep;
        Ok(())
    }
}

impl Read for FileReader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            if self.left == 0 || self.over {
                return Ok(0);
            }
            self.fill()?;
            if self.buf.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "empty SquashFS block"));
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
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
            let (data, size) = formats::read_file(e.by_ref(), &path, size, cap.saturating_add(1));
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

    /// Bytes that do not compress (so their blocks are stored as they are).
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn squashfs_file_data_is_read_as_written() {
        use backhand::compression::Compressor;
        let block = 128 << 10;
        let text = |n: usize| (0..n).map(|i| b"root:x:0:0::/root:/bin/sh\n"[i % 26]).collect::<Vec<u8>>();
        // under /etc, so the reader keeps every one of them whole
        let files: Vec<(String, u16, Vec<u8>)> = vec![
            ("/etc/empty".into(), 0o644, Vec::new()),
            ("/etc/one".into(), 0o644, b"x".to_vec()),
            // small files that share fragment blocks
            ("/etc/small1".into(), 0o644, text(100)),
            ("/etc/small2".into(), 0o644, text(5000)),
            ("/etc/small3".into(), 0o644, noise(7000, 3)),
            ("/etc/whole-block".into(), 0o644, text(block)),
            ("/etc/block-and-tail".into(), 0o644, text(block + 5000)),
            ("/etc/blocks".into(), 0o644, text(3 * block + 77)),
            ("/etc/stored".into(), 0o644, noise(2 * block + 10, 7)),
            ("/etc/zeros".into(), 0o644, vec![0; 2 * block]),
        ];
        // the compressions backhand writes (LZO, LZMA and LZ4 images made by mksquashfs are read in
        // crates/kakehashi/tests/firmware_images.rs)
        for c in [Compressor::Gzip, Compressor::Xz, Compressor::Zstd] {
            let img = crate::sample::squashfs_of(&files, &[], c);
            let Some(Parsed::Tree { entries, status, .. }) = squashfs(&img, 1 << 30, 1000) else {
                panic!("{c:?}: not read")
            };
            assert_eq!(status, "unpacked");
            for (path, _, want) in &files {
                let e = entries.iter().find(|e| &e.path == path).unwrap_or_else(|| panic!("{c:?} {path}"));
                assert_eq!(e.size, want.len() as u64, "{c:?} {path}");
                assert!(e.data == *want, "{c:?} {path}: the contents differ");
            }
            // the budget is shared by the reading threads and stops the reading
            let Some(Parsed::Tree { entries, .. }) = squashfs(&img, 200_000, 1000) else { panic!() };
            let read: u64 = entries.iter().map(|e| e.size).sum();
            assert!(read <= 200_000 + files.len() as u64, "{c:?}: {read}");
        }
    }

    #[test]
    fn squashfs_read_by_several_cores_within_one_budget() {
        use backhand::compression::Compressor;
        // more nodes than the single-core path takes, of many sizes, so runs end mid-fragment
        let files: Vec<(String, u16, Vec<u8>)> = (0..150)
            .map(|i| {
                let d = noise(i * 997 % 40_000 + if i % 10 == 0 { 300_000 } else { 0 }, i as u64);
                (format!("/etc/f{i:03}"), 0o644, d)
            })
            .collect();
        let img = crate::sample::squashfs_of(&files, &[], Compressor::Gzip);
        let Some(Parsed::Tree { entries, .. }) = squashfs(&img, 1 << 30, 1000) else { panic!("not read") };
        for (path, _, want) in &files {
            let e = entries.iter().find(|e| &e.path == path).unwrap();
            assert!(e.data == *want && e.size == want.len() as u64, "{path}");
        }
        let all: u64 = files.iter().map(|f| f.2.len() as u64).sum();
        let cap = all / 3;
        let Some(Parsed::Tree { entries, .. }) = squashfs(&img, cap, 1000) else { panic!() };
        let read: u64 = entries.iter().map(|e| e.size).sum();
        let held: u64 = entries.iter().map(|e| e.data.len() as u64).sum();
        // past the budget by at most a byte a file (which is what reports the bound), never more
        assert!(read > cap && read <= cap + files.len() as u64, "{read} of {cap}");
        assert!(held <= cap + files.len() as u64, "{held} held of {cap}");
        // and no more nodes than the caller may list
        let Some(Parsed::Tree { entries, .. }) = squashfs(&img, 1 << 30, 40) else { panic!() };
        assert_eq!(entries.len(), 40);
    }

    #[test]
    fn squashfs_blocks_holes_fragments_and_damage() {
        use backhand::DataSize;
        // an image by hand: a stored block at 0, a stored fragment block at 100
        let mut image = b"0123456789".repeat(10);
        image.extend_from_slice(b"..fragment-tail..");
        let fragments = [backhand::Fragment::new(100, DataSize::new_uncompressed(17), 0)];
        let fs = SquashData { image: &image, block_size: 64, compressor: None, fragments: &fragments };
        let read = |f: FileData| {
            let mut e = Entry {
                path: "/etc/f".into(),
                kind: EntryKind::File,
                mode: 0o644,
                data: Vec::new(),
                size: 0,
                link: String::new(),
                escaped: None,
            };
            let budget = AtomicU64::new(1 << 20);
            fs.read(&mut e, Some(&f), &budget, &mut FragmentCache::default());
            e.data
        };
        // a hole (size 0) reads as zeros; a stored block as it is; then the fragment tail
        let got = read(FileData {
            len: 64 + 64 + 8,
            blocks_start: 0,
            blocks: &[DataSize::new_compressed(0), DataSize::new_uncompressed(64)],
            fragment: Some((0, 2)),
        });
        let mut want = vec![0u8; 64];
        want.extend_from_slice(&image[..64]);
        want.extend_from_slice(b"fragment");
        assert_eq!(got, want);
        // damage: what could be read is kept, nothing panics
        let past_end =
            FileData { len: 100, blocks_start: 90, blocks: &[DataSize::new_uncompressed(64)], fragment: None };
        assert_eq!(read(past_end), b"");
        let no_such_fragment =
            FileData { len: 70, blocks_start: 0, blocks: &[DataSize::new_uncompressed(64)], fragment: Some((9, 0)) };
        assert_eq!(read(no_such_fragment), &image[..64]);
        let tail_past_fragment = FileData { len: 30, blocks_start: 0, blocks: &[], fragment: Some((0, 10)) };
        assert_eq!(read(tail_past_fragment), b"");
        let compressed_without_compressor =
            FileData { len: 64, blocks_start: 0, blocks: &[DataSize::new_compressed(10)], fragment: None };
        assert_eq!(read(compressed_without_compressor), b"");
        let shorter_block_list =
            FileData { len: 200, blocks_start: 0, blocks: &[DataSize::new_uncompressed(64)], fragment: None };
        assert_eq!(read(shorter_block_list), &image[..64]);
    }

    #[test]
    fn names_never_leave_the_root() {
        assert_eq!(normalise("../../etc/passwd"), ("/etc/passwd".into(), true));
        assert_eq!(normalise("/bin/./sh"), ("/bin/sh".into(), false));
        assert_eq!(normalise("a/../../b"), ("/b".into(), true));
        assert_eq!(normalise(""), ("/".into(), false));
    }
}
