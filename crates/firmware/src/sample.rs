//! A realistic test image, built in memory with known contents (the ground truth of the tests and
//! the benchmark): an OpenWrt-like root file system with weak accounts, a telnetd in inittab, a
//! bind shell, private keys, a hard-coded secret, an update script over plain HTTP and an opkg
//! status file, packed as SquashFS (any compression backhand writes), behind a U-Boot kernel
//! image and a gzip'd initramfs, placed at offsets inside a larger blob.

use std::io::{Cursor, Write};

use backhand::compression::Compressor;
/// The SquashFS compressions the builder writes (backhand's).
pub use backhand::compression::Compressor as Compression;
use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};

/// Test keys made for these images (never used anywhere else), and the SHA-256 of each key's
/// SubjectPublicKeyInfo DER as `openssl pkey -pubout -outform DER | sha256sum` gives it.
pub const EC_PKCS8: &str = include_str!("../tests/keys/ec_pkcs8.pem");
pub const EC_SEC1: &str = include_str!("../tests/keys/ec_sec1.pem");
pub const RSA_PKCS1: &str = include_str!("../tests/keys/rsa_pkcs1.pem");
pub const DEVICE_CERT: &str = include_str!("../tests/keys/device_cert.pem");
pub const EC_FINGERPRINT: &str = "1bd58cdd0efb52c16e6cefba2a6007f0665e2f194e1131e017872ba94b868f1c";
pub const RSA_FINGERPRINT: &str = "fd022489e71276308cde8adaec5a3ceb26caad95ce46190ad6dea6eb1559d4ad";

/// Where the parts of [`image`] lie.
#[derive(Debug, Clone)]
pub struct Layout {
    pub uimage_at: u64,
    pub squashfs_at: u64,
    pub squashfs_size: u64,
    pub initramfs_at: u64,
}

/// How to build the image.
#[derive(Debug, Clone)]
pub struct Options {
    pub compressor: Compressor,
    /// Extra files of filler (`/usr/share/doc/N`), for a bigger image.
    pub filler_files: usize,
    pub filler_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { compressor: Compressor::Xz, filler_files: 0, filler_size: 0 }
    }
}

fn header(mode: u16) -> NodeHeader {
    NodeHeader::new(mode, 0, 0, 0)
}

/// The root file system's files: (path, mode, contents).
// MD5-crypt is what such devices store; the test needs one
#[allow(deprecated)]
pub fn rootfs_files() -> Vec<(String, u16, Vec<u8>)> {
    let md5_admin = pwhash::md5_crypt::hash_with("$1$kakehash$", "admin").unwrap_or_default();
    let sha512_root = pwhash::sha512_crypt::hash_with("$6$rounds=5000$saltsalt$", "root").unwrap_or_default();
    let mut busybox = b"\x7fELF\x02\x01\x01\x00".to_vec();
    busybox.resize(4096, 0);
    busybox.extend_from_slice(b"BusyBox v1.36.1 (2024-03-22 22:09:42 UTC) multi-call binary.\0");
    let mut dropbear = b"\x7fELF\x02\x01\x01\x00".to_vec();
    dropbear.resize(2048, 0);
    dropbear.extend_from_slice(b"SSH-2.0-dropbear_2022.83\0");
    let mut libssl = b"\x7fELF\x02\x01\x01\x00".to_vec();
    libssl.resize(1024, 0);
    libssl.extend_from_slice(b"OpenSSL 1.1.1w  11 Sep 2023\0");
    let f = |p: &str, m: u16, d: &[u8]| (p.to_string(), m, d.to_vec());
    vec![
        f("/etc/openwrt_release", 0o644, b"DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.3'\nDISTRIB_DESCRIPTION='OpenWrt 23.05.3 r23809-234f1a2efa'\n"),
        f("/etc/passwd", 0o644, format!("root:x:0:0:root:/root:/bin/ash\nadmin:{md5_admin}:1000:1000:admin:/home/admin:/bin/ash\nsupport::1001:1001:support:/tmp:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n").as_bytes()),
        f("/etc/shadow", 0o600, format!("root:{sha512_root}:19000:0:99999:7:::\ndaemon:*:0:0:99999:7:::\n").as_bytes()),
        f("/etc/inittab", 0o644, b"::sysinit:/etc/init.d/rcS S boot\n::respawn:/usr/sbin/telnetd -F -l /bin/login.sh\n# ::respawn:/usr/sbin/rlogind\nttyS0::askfirst:/usr/libexec/login.sh\n"),
        f("/etc/init.d/debug", 0o777, b"#!/bin/sh /etc/rc.common\nSTART=99\nstart() {\n  nc -lp 4444 -e /bin/sh &\n  miniupnpd -f /var/etc/miniupnpd.conf\n}\n"),
        f("/etc/ssl/private/device.key", 0o600, EC_PKCS8.as_bytes()),
        f("/etc/ssl/private/legacy.key", 0o600, RSA_PKCS1.as_bytes()),
        f("/etc/uhttpd.crt", 0o644, DEVICE_CERT.as_bytes()),
        f("/etc/dropbear/ec.key", 0o600, EC_SEC1.as_bytes()),
        f("/etc/config/cloud", 0o600, b"config cloud 'main'\n\toption server 'api.vendor.example'\n\toption api_key 'AbCdEf0123456789'\n"),
        f("/lib/upgrade/fetch.sh", 0o755, b"#!/bin/sh\nwget -q http://update.vendor.example/fw/latest.bin -O /tmp/fw.bin && sysupgrade /tmp/fw.bin\n"),
        f("/usr/lib/opkg/status", 0o644, b"Package: dropbear\nVersion: 2022.83-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n\nPackage: dnsmasq\nVersion: 2.89-4\nStatus: install user installed\n\nPackage: uhttpd\nVersion: 2023-06-25-34a8a74d-2\nStatus: install user installed\n"),
        f("/bin/busybox", 0o4755, &busybox),
        f("/usr/sbin/dropbear", 0o755, &dropbear),
        f("/usr/lib/libssl.so.1.1", 0o644, &libssl),
    ]
}

/// A SquashFS of [`rootfs_files`] (plus filler), with a symlink that points above the root.
pub fn squashfs(o: &Options) -> Vec<u8> {
    let filler = (0..o.filler_files).map(|i| {
        let mut d = format!("filler {i}\n").into_bytes();
        // text that compresses like real files do, not like zeros
        let mut x = i as u64 + 1;
        while d.len() < o.filler_size {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            d.extend_from_slice(format!("{:016x} ", x >> 8).as_bytes());
        }
        (format!("/usr/share/doc/pkg{}/file{i}.txt", i % 50), 0o644, d)
    });
    let files: Vec<(String, u16, Vec<u8>)> = rootfs_files().into_iter().chain(filler).collect();
    squashfs_of(&files, &[("/etc/escape", "/../../../etc/shadow")], o.compressor)
}

/// A SquashFS of these files (path, mode, contents) and symlinks (path, target).
pub fn squashfs_of(files: &[(String, u16, Vec<u8>)], links: &[(&str, &str)], compressor: Compressor) -> Vec<u8> {
    let mut fs = FilesystemWriter::default();
    fs.set_compressor(FilesystemCompressor::new(compressor, None).expect("compressor"));
    let mut dirs: Vec<String> = Vec::new();
    let parents = files.iter().map(|f| f.0.as_str()).chain(links.iter().map(|l| l.0));
    for p in parents {
        let dir = p.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        if !dir.is_empty() && !dirs.contains(&dir) {
            fs.push_dir_all(&dir, header(0o755)).expect("dir");
            dirs.push(dir);
        }
    }
    for (p, m, d) in files {
        fs.push_file(Cursor::new(d.clone()), p, header(*m)).expect("file");
    }
    for (p, target) in links {
        fs.push_symlink(*target, *p, header(0o777)).expect("symlink");
    }
    let mut out = Cursor::new(Vec::new());
    fs.write(&mut out).expect("write squashfs");
    out.into_inner()
}

/// A gzip'd CPIO (newc) initramfs with one entry that names `../../etc/evil`.
pub fn initramfs() -> Vec<u8> {
    let mut cpio = Vec::new();
    let mut add = |name: &str, mode: u32, data: &[u8]| {
        let namesize = name.len() + 1;
        cpio.extend_from_slice(
            format!(
                "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                1,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                namesize,
                0
            )
            .as_bytes(),
        );
        cpio.extend_from_slice(name.as_bytes());
        cpio.push(0);
        while cpio.len() % 4 != 0 {
            cpio.push(0);
        }
        cpio.extend_from_slice(data);
        while cpio.len() % 4 != 0 {
            cpio.push(0);
        }
    };
    add("init", 0o100755, b"#!/bin/sh\nexec /sbin/init\n");
    add("../../etc/evil", 0o100644, b"climbs out\n");
    add("TRAILER!!!", 0, b"");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&cpio).expect("gzip");
    gz.finish().expect("gzip")
}

/// A U-Boot legacy image whose payload is a gzip'd "kernel".
pub fn uimage() -> Vec<u8> {
    let mut kernel = vec![0u8; 2048];
    kernel.extend_from_slice(
        b"Linux version 5.15.150 (builder@buildhost) (mipsel-openwrt-linux-musl-gcc 12.3.0) #0 SMP\0",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&kernel).expect("gzip");
    let payload = gz.finish().expect("gzip");
    let mut h = vec![0u8; 64];
    h[0..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[28] = 5; // OS: Linux
    h[29] = 5; // arch: MIPS
    h[30] = 2; // type: kernel
    h[31] = 1; // gzip
    h[32..32 + 21].copy_from_slice(b"MIPS OpenWrt Linux-5.");
    h.extend_from_slice(&payload);
    h
}

/// The whole image: filler, the U-Boot kernel at 0x1000, the SquashFS at 0x20000, the
/// initramfs after it.
pub fn image(o: &Options) -> (Vec<u8>, Layout) {
    let mut img = vec![0xffu8; 0x1000];
    let uimage_at = img.len() as u64;
    img.extend_from_slice(&uimage());
    let sq = squashfs(o);
    let squashfs_at = 0x20000u64.max((img.len() as u64).div_ceil(0x1000) * 0x1000);
    img.resize(squashfs_at as usize, 0xff);
    img.extend_from_slice(&sq);
    img.resize(img.len().div_ceil(0x1000) * 0x1000, 0xff);
    let initramfs_at = img.len() as u64;
    img.extend_from_slice(&initramfs());
    img.resize(img.len() + 0x800, 0xff);
    (img, Layout { uimage_at, squashfs_at, squashfs_size: sq.len() as u64, initramfs_at })
}
