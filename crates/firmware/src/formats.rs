//! The readers added to the signature scan beyond SquashFS, CPIO and tar: zip archives, ext2/3/4
//! file systems, Android sparse images, bare LZMA ("lzma_alone") streams, and SquashFS in the two
//! compressions backhand does not read without a GPL dependency (LZO, LZMA).
//!
//! Each reads from memory, within the caller's remaining budget, and returns what
//! [`crate::unpack`] turns into parts and entries.

use std::io::{Cursor, Read};

use backhand::compression::{CompressionAction, Compressor, DefaultCompressor};
use backhand::{BackhandError, FilesystemCompressor};

use crate::unpack::{Entry, EntryKind, Parsed, normalise, worth_keeping};

/// Reads one file's contents within `cap` bytes: the whole file when the analysis reads it again
/// (see [`worth_keeping`]), otherwise only counted, so a large media file or a compression bomb
/// never sits in memory. `size` is the size the container declares, a hint for the first
/// allocation (bounded: the container may lie). Returns the kept bytes and the size read.
pub(crate) fn read_file(mut r: impl Read, path: &str, size: u64, cap: u64) -> (Vec<u8>, u64) {
    const HEAD: u64 = 1 << 20;
    let mut data = Vec::with_capacity(size.min(HEAD).min(cap) as usize);
    // what is kept holds no more room than it uses (the declared size may have been a lie)
    let fit = |mut d: Vec<u8>| {
        if d.capacity() > 2 * d.len() {
            d.shrink_to_fit();
        }
        d
    };
    if r.by_ref().take(HEAD.min(cap)).read_to_end(&mut data).is_err() {
        // a damaged block: the file is reported with what could be read
        let n = data.len() as u64;
        return (if worth_keeping(path, &data) { fit(data) } else { Vec::new() }, n);
    }
    let rest = cap.saturating_sub(data.len() as u64);
    if worth_keeping(path, &data) {
        let _ = r.take(rest).read_to_end(&mut data);
        let n = data.len() as u64;
        (fit(data), n)
    } else {
        // counted as it is read, so bytes inflated before an error (a bad CRC at the end) count
        let mut r = r.take(rest);
        let mut buf = vec![0u8; 64 << 10];
        let mut n = data.len() as u64;
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k as u64,
            }
        }
        (Vec::new(), n)
    }
}

fn entry(
    path: String,
    kind: EntryKind,
    mode: u32,
    data: Vec<u8>,
    size: u64,
    link: String,
    escaped: Option<String>,
) -> Entry {
    Entry { path, kind, mode, data, size, link, escaped }
}

/// The kind of an entry from its Unix mode bits (`S_IFMT`).
fn kind_of(mode: u32) -> EntryKind {
    match mode & 0o170000 {
        0o040000 => EntryKind::Dir,
        0o120000 => EntryKind::Symlink,
        0o100000 | 0 => EntryKind::File,
        _ => EntryKind::Device,
    }
}

// ---------------------------------------------------------------------------------------------
// zip

/// A zip archive starting at its first local header. The central directory is found by the
/// first end-of-central-directory record after the start, so an archive inside a larger blob is
/// read on its own; names are normalised (zip-slip is reported, never followed).
pub(crate) fn zip(bytes: &[u8], cap: u64, max_entries: usize) -> Option<Parsed> {
    // this archive's end record: its central directory ends where the record starts (the first
    // record found may be a stored inner zip's); zip64 records say 0xffffffff
    let mut end = None;
    for at in memchr::memmem::find_iter(bytes, b"PK\x05\x06") {
        let Some(rec) = bytes.get(at..at + 22) else { break };
        let u32at = |o: usize| u32::from_le_bytes([rec[o], rec[o + 1], rec[o + 2], rec[o + 3]]);
        let (cd_size, cd_offset) = (u32at(12), u32at(16));
        let comment = u16::from_le_bytes([rec[20], rec[21]]) as usize;
        let zip64 = cd_size == u32::MAX || cd_offset == u32::MAX;
        if (zip64 || cd_offset as u64 + cd_size as u64 == at as u64) && at + 22 + comment <= bytes.len() {
            end = Some(at + 22 + comment);
            break;
        }
    }
    let Some(end) = end else {
        // truncated: the local entries that are whole say how far it reaches
        let mut p = 0usize;
        while let Some(h) = bytes.get(p..p + 30).filter(|h| h.starts_with(b"PK\x03\x04")) {
            let u16at = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]) as usize;
            let csize = u32::from_le_bytes([h[18], h[19], h[20], h[21]]) as usize;
            if u16at(6) & 8 != 0 {
                break; // sizes in a trailing descriptor
            }
            let next = p.saturating_add(30 + u16at(26) + u16at(28)).saturating_add(csize);
            if next > bytes.len() {
                break; // an entry that runs past the end is not counted
            }
            p = next;
        }
        if p == 0 {
            return None;
        }
        return Some(Parsed::Found {
            size: p as u64,
            why: "zip without its central directory (truncated); not unpacked".into(),
        });
    };
    let mut a = match zip::ZipArchive::new(Cursor::new(&bytes[..end])) {
        Ok(a) => a,
        // size unknown: what follows is still scanned
        Err(e) => return Some(Parsed::Found { size: 0, why: format!("zip not readable: {e}") }),
    };
    let mut entries = Vec::new();
    let mut budget = cap;
    let mut encrypted = 0usize;
    for i in 0..a.len().min(max_entries) {
        let (name, mode, is_dir) = match a.by_index_raw(i) {
            Ok(f) => (String::from_utf8_lossy(f.name_raw()).into_owned(), f.unix_mode().unwrap_or(0), f.is_dir()),
            Err(_) => continue,
        };
        let (path, escaped) = normalise(&name);
        let escaped = escaped.then(|| name.clone());
        let kind = if is_dir { EntryKind::Dir } else { kind_of(mode) };
        if kind == EntryKind::Dir {
            entries.push(entry(path, kind, mode, Vec::new(), 0, String::new(), escaped));
            continue;
        }
        let f = match a.by_index(i) {
            Ok(f) => f,
            Err(_) => {
                // encrypted, or a method this reader lacks: listed, not read
                encrypted += 1;
                entries.push(entry(path, EntryKind::File, mode, Vec::new(), 0, String::new(), escaped));
                continue;
            }
        };
        if kind == EntryKind::Symlink {
            let mut link = Vec::new();
            let _ = f.take(4096).read_to_end(&mut link);
            let link = String::from_utf8_lossy(&link).into_owned();
            entries.push(entry(path, kind, mode, Vec::new(), 0, link, escaped));
            continue;
        }
        let declared = f.size();
        let (data, size) = read_file(f, &path, declared, budget.saturating_add(1));
        budget = budget.saturating_sub(size);
        entries.push(entry(path, EntryKind::File, mode, data, size, String::new(), escaped));
        if size > cap {
            break;
        }
    }
    let status = if encrypted > 0 { "unpacked (encrypted entries listed, not read)" } else { "unpacked" };
    Some(Parsed::Tree { size: end as u64, entries, status })
}

// ---------------------------------------------------------------------------------------------
// ext2/3/4

/// Where an ext superblock's magic sits from the start of the file system.
pub(crate) const EXT_MAGIC_AT: usize = 1024 + 56;

/// Whether the bytes look like the start of an ext2/3/4 file system (the magic alone is two
/// bytes, so the superblock's other fields are checked before it is tried).
pub(crate) fn ext_plausible(bytes: &[u8]) -> bool {
    let Some(sb) = bytes.get(1024..1024 + 264) else { return false };
    let u32le = |o: usize| u32::from_le_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]);
    let u16le = |o: usize| u16::from_le_bytes([sb[o], sb[o + 1]]);
    sb[56..58] == [0x53, 0xef]
        && u32le(0) > 0 // inodes
        && u32le(4) > 0 // blocks
        && u32le(24) <= 6 // log2(block size) - 10
        && u32le(32) > 0 // blocks per group
        && u32le(40) > 0 // inodes per group
        && (1..=7).contains(&u16le(58)) // state
        && u32le(72) <= 4 // creator OS
        && u32le(76) <= 1 // revision
}

/// The file system's size in bytes from its superblock (blocks × block size).
fn ext_size(bytes: &[u8]) -> Option<u64> {
    let sb = bytes.get(1024..1024 + 0x160)?;
    let u32le = |o: usize| u32::from_le_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]) as u64;
    let block = 1024u64 << u32le(24).min(6);
    // the high half counts whatever the 64bit feature says, as ext4-view reads it: the reader
    // allocates per block group from this count, so it must fit in the bytes present (a fuzzed
    // superblock made it ask for 66 GB, an abort no unwind can catch)
    let blocks = u32le(4) | (u32le(0x150) << 32);
    blocks.checked_mul(block)
}

/// An ext2/3/4 file system read with `ext4-view` (read-only, from memory). The walk is bounded
/// in depth and entries, so a directory that names its own ancestor cannot loop.
pub(crate) fn ext(bytes: &[u8], cap: u64, max_entries: usize) -> Option<Parsed> {
    if !ext_plausible(bytes) {
        return None;
    }
    let size = ext_size(bytes)?;
    if size > bytes.len() as u64 {
        return Some(Parsed::Found {
            size,
            why: format!("ext file system truncated: the superblock says {size} bytes, {} are present", bytes.len()),
        });
    }
    let fs_bytes = bytes[..size as usize].to_vec();
    // the reader is a third party's on hostile input: a panic in it is a damaged part, not a crash
    let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ext_entries(fs_bytes, cap, max_entries)));
    match walked {
        Ok(Ok(entries)) => Some(Parsed::Tree { size, entries, status: "unpacked" }),
        Ok(Err(e)) => Some(Parsed::Found { size, why: format!("ext file system not readable: {e}") }),
        Err(_) => Some(Parsed::Found {
            size,
            why: "ext file system not readable: the reader gave up on damaged metadata".into(),
        }),
    }
}

fn ext_entries(fs_bytes: Vec<u8>, cap: u64, max_entries: usize) -> Result<Vec<Entry>, ext4_view::Ext4Error> {
    const MAX_DEPTH: usize = 64;
    let fs = ext4_view::Ext4::load(Box::new(fs_bytes))?;
    let mut entries = Vec::new();
    let mut budget = cap;
    let mut dirs: Vec<(ext4_view::PathBuf, usize)> = vec![(ext4_view::PathBuf::new("/"), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        let Ok(list) = fs.read_dir(&dir) else { continue };
        for de in list {
            if entries.len() >= max_entries {
                return Ok(entries);
            }
            let Ok(de) = de else { continue };
            let name = de.file_name();
            if name.as_ref() == b"." || name.as_ref() == b".." {
                continue;
            }
            let full = de.path();
            let (path, _) = normalise(&full.display().to_string());
            let Ok(meta) = de.metadata() else { continue };
            let mode = u32::from(meta.mode());
            let ft = meta.file_type();
            if ft.is_dir() {
                entries.push(entry(path, EntryKind::Dir, mode, Vec::new(), 0, String::new(), None));
                if depth < MAX_DEPTH {
                    dirs.push((full, depth + 1));
                }
            } else if ft.is_symlink() {
                let link = fs.read_link(&full).map(|l| l.display().to_string()).unwrap_or_default();
                entries.push(entry(path, EntryKind::Symlink, mode, Vec::new(), 0, link, None));
            } else if ft.is_regular_file() {
                let (data, size) = match fs.open(&full) {
                    Ok(f) => {
                        let declared = f.metadata().len();
                        read_file(f, &path, declared, budget.saturating_add(1))
                    }
                    // an inode that cannot be read: listed, its claimed size not counted
                    Err(_) => (Vec::new(), 0),
                };
                budget = budget.saturating_sub(size);
                entries.push(entry(path, EntryKind::File, mode, data, size, String::new(), None));
                if size > cap {
                    return Ok(entries);
                }
            } else {
                entries.push(entry(path, EntryKind::Device, mode, Vec::new(), 0, String::new(), None));
            }
        }
    }
    Ok(entries)
}

// ---------------------------------------------------------------------------------------------
// Android sparse images

/// The sparse image magic, little-endian 0xED26FF3A.
pub(crate) const SPARSE_MAGIC: [u8; 4] = [0x3a, 0xff, 0x26, 0xed];

/// An Android sparse image (`img2simg`, fastboot) expanded to the raw image it stands for, within
/// `cap` bytes; what it holds (usually an ext4 file system) is then scanned like any decompressed
/// stream. Written by hand: the format is a 28-byte header and four kinds of 12-byte chunks, and
/// the crates for it convert file to file rather than read from memory.
pub(crate) fn sparse(bytes: &[u8], cap: u64) -> Option<Parsed> {
    let h = bytes.get(..28)?;
    let u16le = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
    let u32le = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let (major, hdr, chunk_hdr, blk) = (u16le(4), u16le(8) as usize, u16le(10) as usize, u32le(12) as u64);
    let (total_blocks, chunks) = (u32le(16) as u64, u32le(20));
    if h[..4] != SPARSE_MAGIC || major != 1 || hdr < 28 || chunk_hdr < 12 || blk == 0 || blk % 4 != 0 {
        return None;
    }
    let full = total_blocks.checked_mul(blk)?;
    let want = full.min(cap);
    let mut out: Vec<u8> = Vec::new();
    let mut at = hdr;
    let mut truncated = full > cap;
    for _ in 0..chunks {
        let Some(c) = bytes.get(at..at + chunk_hdr) else {
            truncated = true;
            break;
        };
        let kind = u16::from_le_bytes([c[0], c[1]]);
        let blocks = u32::from_le_bytes([c[4], c[5], c[6], c[7]]) as u64;
        let total = u32::from_le_bytes([c[8], c[9], c[10], c[11]]) as usize;
        let body = at + chunk_hdr;
        let Some(len) = blocks.checked_mul(blk) else { break };
        let room = want.saturating_sub(out.len() as u64);
        let n = len.min(room) as usize;
        match kind {
            // raw: the blocks follow
            0xcac1 => match bytes.get(body..body + len as usize) {
                Some(d) => out.extend_from_slice(&d[..n]),
                None => {
                    let d = bytes.get(body..).unwrap_or(&[]);
                    out.extend_from_slice(&d[..d.len().min(n)]);
                    truncated = true;
                    break;
                }
            },
            // fill: a 4-byte pattern repeated
            0xcac2 => {
                let Some(p) = bytes.get(body..body + 4) else {
                    truncated = true;
                    break;
                };
                out.extend(p.iter().copied().cycle().take(n));
            }
            // don't care: zeros
            0xcac3 => out.resize(out.len() + n, 0),
            // CRC32 of what came before: not checked
            0xcac4 => {}
            _ => {
                truncated = true;
                break;
            }
        }
        if total < chunk_hdr || out.len() as u64 >= want && n < len as usize {
            at = at.saturating_add(total.max(chunk_hdr));
            truncated |= (out.len() as u64) < full;
            break;
        }
        at = at.saturating_add(total);
    }
    if out.is_empty() {
        return None;
    }
    Some(Parsed::Stream { size: at.min(bytes.len()) as u64, data: out, truncated })
}

// ---------------------------------------------------------------------------------------------
// LZMA ("lzma_alone", the .lzma format of LZMA Utils: kernels and root file systems in old
// vendor images)

/// Whether 13 bytes look like an lzma_alone header: the usual properties byte (lc=3 lp=0 pb=2),
/// a dictionary of 64 KiB to 64 MiB that is a power of two (or 2^n + 2^(n-1), as xz writes it),
/// and an uncompressed size that is unknown or under 4 GiB.
pub(crate) fn lzma_plausible(bytes: &[u8]) -> bool {
    let Some(h) = bytes.get(..13) else { return false };
    let dict = u32::from_le_bytes([h[1], h[2], h[3], h[4]]);
    let size = u64::from_le_bytes(h[5..13].try_into().unwrap_or([0; 8]));
    let dict_ok = (1 << 16..=1 << 26).contains(&dict)
        && (dict.is_power_of_two() || (dict - (1 << (31 - dict.leading_zeros()))).is_power_of_two());
    h[0] == 0x5d && dict_ok && (size == u64::MAX || (1..1 << 32).contains(&size))
}

/// A decoder for lzma_alone data, with a memory limit that covers the largest dictionary
/// [`lzma_plausible`] accepts.
pub(crate) fn lzma_decoder<R: std::io::BufRead>(r: R) -> Option<liblzma::bufread::XzDecoder<R>> {
    let stream = liblzma::stream::Stream::new_lzma_decoder(128 << 20).ok()?;
    Some(liblzma::bufread::XzDecoder::new_stream(r, stream))
}

// ---------------------------------------------------------------------------------------------
// SquashFS in every compression mksquashfs writes

/// backhand's own decompressors (gzip, xz, zstd, lz4), plus LZO through `lzokay` (MIT) and LZMA
/// through liblzma's lzma_alone decoder: backhand's LZO feature pulls a GPL-2.0 crate and it
/// reads LZMA only for vendor variants.
pub(crate) struct AnyCompression;

pub(crate) static ANY_COMPRESSION: AnyCompression = AnyCompression;

impl CompressionAction for AnyCompression {
    type Error = BackhandError;
    type Compressor = Compressor;
    type FilesystemCompressor = FilesystemCompressor;
    type SuperBlock = backhand::SuperBlock;

    fn decompress(&self, bytes: &[u8], out: &mut Vec<u8>, compressor: Compressor) -> Result<(), BackhandError> {
        match compressor {
            Compressor::Lzo => {
                // a SquashFS block is at most 1 MiB; the caller reserves the block size
                let start = out.len();
                let room = out.capacity().max(start + (1 << 20));
                out.resize(room, 0);
                match lzokay::decompress::decompress(bytes, &mut out[start..]) {
                    Ok(n) => {
                        out.truncate(start + n);
                        Ok(())
                    }
                    Err(_) => {
                        out.truncate(start);
                        Err(BackhandError::CorruptedOrInvalidSquashfs)
                    }
                }
            }
            Compressor::Lzma => {
                let mut d = lzma_decoder(bytes).ok_or(BackhandError::CorruptedOrInvalidSquashfs)?;
                d.by_ref().take(1 << 20).read_to_end(out).map_err(|_| BackhandError::CorruptedOrInvalidSquashfs)?;
                Ok(())
            }
            c => DefaultCompressor.decompress(bytes, out, c),
        }
    }

    fn compress(&self, bytes: &[u8], fc: FilesystemCompressor, block_size: u32) -> Result<Vec<u8>, BackhandError> {
        DefaultCompressor.compress(bytes, fc, block_size)
    }

    fn compression_options(
        &self,
        superblock: &mut backhand::SuperBlock,
        kind: &backhand::kind::Kind,
        fs_compressor: FilesystemCompressor,
    ) -> Result<Option<Vec<u8>>, BackhandError> {
        DefaultCompressor.compression_options(superblock, kind, fs_compressor)
    }
}

// ---------------------------------------------------------------------------------------------
// CramFS

/// A CramFS image (little-endian, as mkfs.cramfs writes it on the devices that use it), read by
/// hand: the one Rust crate for it has a single release and reads from files, while the format is
/// a 76-byte superblock, 12-byte inodes and zlib-compressed 4 KiB pages. The walk is bounded in
/// depth and entries and never visits a directory twice, so a directory that points at its
/// ancestor cannot loop.
pub(crate) fn cramfs(bytes: &[u8], cap: u64, max_entries: usize) -> Option<Parsed> {
    const PAGE: usize = 4096;
    const FLAG_EXT_BLOCK_POINTERS: u32 = 0x800;
    let sb = bytes.get(..76)?;
    let u32le = |b: &[u8], o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    if u32le(sb, 0) != 0x28cd_3d45 || &sb[16..32] != b"Compressed ROMFS" {
        return None;
    }
    let size = u32le(sb, 4) as u64;
    let flags = u32le(sb, 8);
    if size > bytes.len() as u64 {
        return Some(Parsed::Found {
            size,
            why: format!("CramFS truncated: the superblock says {size} bytes, {} are present", bytes.len()),
        });
    }
    if flags & FLAG_EXT_BLOCK_POINTERS != 0 {
        return Some(Parsed::Found {
            size,
            why: "CramFS with extended block pointers (not read); not unpacked".into(),
        });
    }
    let fs = &bytes[..size as usize];
    // an inode: mode, size, name length and the offset of its data (both in 4-byte units)
    let inode = |at: usize| -> Option<(u32, usize, usize, usize)> {
        let i = fs.get(at..at + 12)?;
        let (a, b, c) = (u32le(i, 0), u32le(i, 4), u32le(i, 8));
        Some((a & 0xffff, (b & 0x00ff_ffff) as usize, ((c & 0x3f) as usize) << 2, ((c >> 6) as usize) << 2))
    };
    // a file's contents: a table of block ends, then the zlib-compressed pages
    let read = |offset: usize, len: usize, cap: u64| -> Option<Vec<u8>> {
        let want = (len as u64).min(cap) as usize;
        let blocks = len.div_ceil(PAGE);
        let mut out = Vec::with_capacity(want.min(1 << 24));
        let mut start = offset.checked_add(blocks * 4)?;
        for b in 0..blocks {
            if out.len() >= want {
                break;
            }
            let end = u32le(fs.get(offset + 4 * b..offset + 4 * b + 4)?, 0) as usize;
            let chunk = fs.get(start..end)?;
            let mut page = Vec::with_capacity(PAGE);
            if !chunk.is_empty() {
                flate2::read::ZlibDecoder::new(chunk).take(PAGE as u64).read_to_end(&mut page).ok()?;
            }
            page.resize(PAGE.min(len - b * PAGE), 0); // an empty block is a hole
            out.extend_from_slice(&page);
            start = end;
        }
        out.truncate(want);
        Some(out)
    };
    let mut entries = Vec::new();
    let mut budget = cap;
    let mut seen = std::collections::HashSet::new();
    let (root_mode, root_size, _, root_off) = inode(64)?;
    if root_mode & 0o170000 != 0o040000 {
        return Some(Parsed::Found { size, why: "CramFS whose root is not a directory; not unpacked".into() });
    }
    let mut dirs = vec![(String::new(), root_off, root_size, 0usize)];
    while let Some((dir, off, len, depth)) = dirs.pop() {
        if !seen.insert(off) || depth > 64 {
            continue;
        }
        let mut at = off;
        while at < off.saturating_add(len) {
            if entries.len() >= max_entries {
                return Some(Parsed::Tree { size, entries, status: "unpacked" });
            }
            let Some((mode, fsize, namelen, data)) = inode(at) else { break };
            let Some(raw) = fs.get(at + 12..at + 12 + namelen) else { break };
            at += 12 + namelen;
            let name = String::from_utf8_lossy(raw.split(|b| *b == 0).next().unwrap_or_default()).into_owned();
            let full = format!("{dir}/{name}");
            let (path, escaped) = normalise(&full);
            let escaped = escaped.then_some(full.clone());
            match kind_of(mode) {
                EntryKind::Dir => {
                    entries.push(entry(path, EntryKind::Dir, mode, Vec::new(), 0, String::new(), escaped));
                    dirs.push((full, data, fsize, depth + 1));
                }
                EntryKind::Symlink => {
                    let link = read(data, fsize.min(4096), 4096).map(|l| String::from_utf8_lossy(&l).into_owned());
                    entries.push(entry(
                        path,
                        EntryKind::Symlink,
                        mode,
                        Vec::new(),
                        0,
                        link.unwrap_or_default(),
                        escaped,
                    ));
                }
                EntryKind::File => {
                    let d = read(data, fsize, budget.saturating_add(1)).unwrap_or_default();
                    let n = d.len() as u64;
                    budget = budget.saturating_sub(n);
                    let d = if worth_keeping(&path, &d) { d } else { Vec::new() };
                    entries.push(entry(path, EntryKind::File, mode, d, n, String::new(), escaped));
                }
                EntryKind::Device => {
                    entries.push(entry(path, EntryKind::Device, mode, Vec::new(), 0, String::new(), escaped));
                }
            }
        }
    }
    Some(Parsed::Tree { size, entries, status: "unpacked" })
}

// ---------------------------------------------------------------------------------------------
// JFFS2

/// A JFFS2 image in either byte order, read by hand: the Rust crate for it extracts to the disk
/// and builds C code, while the format is a log of nodes (12-byte headers, CRC-checked) that
/// name files (dirents) and carry their data (inodes: zlib, rtime, LZO, zeros or none). The
/// newest version of each name and each data range wins; deleted names are dropped. The walk
/// from the root is bounded in depth and entries and visits each directory once.
pub(crate) fn jffs2(bytes: &[u8], cap: u64, max_entries: usize) -> Option<Parsed> {
    use std::collections::{HashMap, HashSet};
    let be = match bytes.get(..2)? {
        [0x85, 0x19] => false,
        [0x19, 0x85] => true,
        _ => return None,
    };
    let u16at = |b: &[u8], o: usize| -> u16 {
        let v = [b[o], b[o + 1]];
        if be { u16::from_be_bytes(v) } else { u16::from_le_bytes(v) }
    };
    let u32at = |b: &[u8], o: usize| -> u32 {
        let v = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if be { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) }
    };
    // the kernel's crc32 (seed 0, no final inversion) of the header's first 8 bytes
    let header_crc_ok = |h: &[u8]| {
        let mut c = crc32fast::Hasher::new_with_initial(0xffff_ffff);
        c.update(&h[..8]);
        !c.finalize() == u32at(h, 8)
    };
    struct Dirent {
        version: u32,
        ino: u32,
        name: String,
    }
    struct Data<'a> {
        version: u32,
        mode: u32,
        isize: u32,
        offset: u32,
        dsize: u32,
        compr: u8,
        data: &'a [u8],
    }
    let mut names: HashMap<(u32, String), Dirent> = HashMap::new();
    let mut inodes: HashMap<u32, Vec<Data<'_>>> = HashMap::new();
    let mut at = 0usize;
    let mut end = 0usize;
    // padding and damaged nodes are passed over, but not without end: 64 KiB before the first
    // good node (a look-alike signature), 1 MiB between good nodes (an erase block or more)
    let mut last_good = 0usize;
    while let Some(h) = bytes.get(at..at + 12) {
        let gap = if end == 0 { 64 << 10 } else { 1 << 20 };
        if at - last_good > gap {
            break;
        }
        if u16at(h, 0) != 0x1985 {
            // erased flash or padding between erase blocks; anything else ends the file system
            if h[..4] == [0xff; 4] || h[..4] == [0; 4] {
                at += 4;
                continue;
            }
            break;
        }
        let (kind, len) = (u16at(h, 2), u32at(h, 4) as usize);
        if len < 12 || !header_crc_ok(h) {
            at += 4;
            continue;
        }
        let Some(node) = bytes.get(at..at.saturating_add(len)) else { break };
        match kind {
            0xe001 if node.len() >= 40 => {
                let nsize = node[28] as usize;
                if let Some(name) = node.get(40..40 + nsize) {
                    let (pino, version, ino) = (u32at(node, 12), u32at(node, 16), u32at(node, 20));
                    let name = String::from_utf8_lossy(name).into_owned();
                    let newer = names.get(&(pino, name.clone())).is_none_or(|d| d.version < version);
                    if newer {
                        names.insert((pino, name.clone()), Dirent { version, ino, name });
                    }
                }
            }
            0xe002 if node.len() >= 68 => {
                let csize = u32at(node, 48) as usize;
                let data = node.get(68..68 + csize).unwrap_or(&[]);
                inodes.entry(u32at(node, 12)).or_default().push(Data {
                    version: u32at(node, 16),
                    mode: u32at(node, 20),
                    isize: u32at(node, 28),
                    offset: u32at(node, 44),
                    dsize: u32at(node, 52),
                    compr: node[56],
                    data,
                });
            }
            _ => {}
        }
        at = (at + len).div_ceil(4) * 4;
        end = at.min(bytes.len());
        last_good = at;
    }
    if names.is_empty() && inodes.is_empty() {
        return None;
    }
    // the newest node says the mode and size; data nodes apply oldest first
    let mut budget = cap;
    let mut unreadable = 0usize;
    let inodes_mode: HashMap<u32, u32> =
        inodes.iter().map(|(k, v)| (*k, v.iter().max_by_key(|n| n.version).map_or(0, |n| n.mode))).collect();
    let mut contents = |ino: u32, budget: &mut u64| -> (u32, Vec<u8>, u64) {
        let Some(nodes) = inodes.get_mut(&ino) else { return (0, Vec::new(), 0) };
        nodes.sort_by_key(|n| n.version);
        let last = nodes.last().map(|n| (n.mode, n.isize)).unwrap_or_default();
        // the size the newest node states, never past the data the nodes say they carry, and
        // charged to the budget
        let extent = nodes.iter().map(|n| n.offset as u64 + n.dsize as u64).max().unwrap_or(0);
        let size = (last.1 as u64).min(extent).min(*budget);
        let mut out = vec![0u8; size as usize];
        for n in nodes.iter() {
            let (off, dsize) = (n.offset as usize, n.dsize as usize);
            // a node's page is at most 4 KiB in practice; work stops at the file's size
            if off >= out.len() || dsize > 1 << 20 || n.compr == 1 {
                continue; // out of range, implausible, or zeros (already there)
            }
            let dsize = dsize.min(out.len() - off);
            let page = match n.compr {
                0 => Some(n.data[..n.data.len().min(dsize)].to_vec()),
                2 => rtime(n.data, dsize),
                6 => {
                    let mut p = Vec::new();
                    flate2::read::ZlibDecoder::new(n.data).take(dsize as u64).read_to_end(&mut p).ok().map(|_| p)
                }
                7 => {
                    // LZO needs room for the whole page
                    let mut p = vec![0; (n.dsize as usize).min(1 << 20)];
                    lzokay::decompress::decompress(n.data, &mut p).ok().map(|k| {
                        p.truncate(k);
                        p
                    })
                }
                _ => None,
            };
            match page {
                Some(p) => {
                    let w = p.len().min(out.len() - off);
                    out[off..off + w].copy_from_slice(&p[..w]);
                }
                None => unreadable += 1,
            }
        }
        *budget = budget.saturating_sub(size);
        (last.0, out, size)
    };
    let mut children: HashMap<u32, Vec<&Dirent>> = HashMap::new();
    for ((pino, _), d) in &names {
        if d.ino != 0 {
            children.entry(*pino).or_default().push(d);
        }
    }
    for c in children.values_mut() {
        c.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut read = HashSet::new();
    let mut dirs = vec![(1u32, String::new(), 0usize)];
    while let Some((dir, path, depth)) = dirs.pop() {
        if !seen.insert(dir) || depth > 64 {
            continue;
        }
        for d in children.get(&dir).map(Vec::as_slice).unwrap_or_default() {
            if entries.len() >= max_entries {
                break;
            }
            let full = format!("{path}/{}", d.name);
            let (p, escaped) = normalise(&full);
            let escaped = escaped.then_some(full.clone());
            // a hard link's inode is read once
            let (mode, data, size) = if read.insert(d.ino) {
                contents(d.ino, &mut budget)
            } else {
                (inodes_mode.get(&d.ino).copied().unwrap_or(0), Vec::new(), 0)
            };
            match kind_of(mode) {
                EntryKind::Dir => {
                    entries.push(entry(p, EntryKind::Dir, mode, Vec::new(), 0, String::new(), escaped));
                    dirs.push((d.ino, full, depth + 1));
                }
                EntryKind::Symlink => {
                    let link = String::from_utf8_lossy(&data).into_owned();
                    entries.push(entry(p, EntryKind::Symlink, mode, Vec::new(), 0, link, escaped));
                }
                EntryKind::File => {
                    let data = if worth_keeping(&p, &data) { data } else { Vec::new() };
                    entries.push(entry(p, EntryKind::File, mode, data, size, String::new(), escaped));
                }
                EntryKind::Device => {
                    entries.push(entry(p, EntryKind::Device, mode, Vec::new(), 0, String::new(), escaped));
                }
            }
        }
    }
    let status = if unreadable > 0 { "unpacked (some data nodes in a compression not read)" } else { "unpacked" };
    Some(Parsed::Tree { size: end as u64, entries, status })
}

/// JFFS2's "rtime" compression: each byte is followed by a repeat count of bytes copied from
/// after the previous occurrence of the same byte.
fn rtime(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    let mut last = [0usize; 256];
    let mut i = 0;
    while out.len() < len {
        let (value, repeat) = (*input.get(i)?, *input.get(i + 1)? as usize);
        i += 2;
        out.push(value);
        let from = last[value as usize];
        last[value as usize] = out.len();
        // byte by byte: the copy may overlap what it is writing
        for at in from..from + repeat {
            if out.len() >= len {
                break;
            }
            let b = *out.get(at)?;
            out.push(b);
        }
    }
    Some(out)
}
