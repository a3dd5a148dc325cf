//! The firmware engine against images made by Debian's own tools (`bench/firmware-images.sh`):
//! SquashFS in every compression mksquashfs writes, a gzip'd CPIO, tar in xz and lzma, zip,
//! ext2/3/4, an Android sparse image, a uImage inside a flash dump, CramFS, JFFS2 in both byte
//! orders and LZO, UBI, and a zip-slip archive. What the script put in (accounts and their crypt formats, keys and their
//! fingerprints computed by openssl, the boot service, the secrets, the packages) is the truth
//! each report is checked against, through `kakehashi firmware --format json` and
//! `--format cyclonedx` then `kakehashi scan`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::kakehashi;
use serde_json::Value;

fn tools_present() -> bool {
    [
        "busybox",
        "mksquashfs",
        "cpio",
        "zip",
        "mkfs.ext4",
        "img2simg",
        "mkimage",
        "mkfs.cramfs",
        "mkfs.jffs2",
        "ubinize",
        "openssl",
    ]
    .iter()
    .all(|t| Command::new("sh").args(["-c", &format!("command -v {t}")]).output().is_ok_and(|o| o.status.success()))
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn build_images() -> Option<(Scratch, PathBuf, Value)> {
    if !tools_present() {
        if std::env::var("KAKEHASHI_REQUIRE_FIRMWARE_TOOLS").is_ok_and(|v| v == "1") {
            panic!(
                "KAKEHASHI_REQUIRE_FIRMWARE_TOOLS=1 but the image tools are missing: apt-get install busybox-static squashfs-tools cpio zip e2fsprogs android-sdk-libsparse-utils u-boot-tools util-linux mtd-utils openssl"
            );
        }
        eprintln!("skipped: the image tools are not installed");
        return None;
    }
    let tmp = Scratch(std::env::temp_dir().join(format!("kh-fw-images-{}", app::auth::random_token()[..8].to_owned())));
    let out = tmp.0.join("images");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/firmware-images.sh");
    let o = Command::new("bash").arg(script).arg(&out).output().expect("run the image script");
    assert!(o.status.success(), "firmware-images.sh failed: {}", String::from_utf8_lossy(&o.stderr));
    let truth: Value =
        serde_json::from_slice(&std::fs::read(out.join("truth.json")).expect("truth")).expect("truth json");
    Some((tmp, out, truth))
}

fn report(path: &Path) -> Value {
    let o = kakehashi(&["firmware", "--format", "json", path.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(0), "{}: {}", path.display(), String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json report")
}

fn findings<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["findings"].as_array().expect("findings").iter().filter(|f| f["kind"] == kind).collect()
}

/// The path inside the part (`/usr/x.tar!/etc/passwd` → `/etc/passwd`).
fn inner(p: &Value) -> &str {
    let p = p.as_str().unwrap_or_default();
    p.rsplit_once('!').map(|(_, p)| p).unwrap_or(p)
}

/// The images are built once (about 10 s) and every check runs on them.
#[test]
fn images_made_by_debian_tools() {
    let Some((tmp, dir, truth)) = build_images() else { return };
    every_packing_reports_what_the_script_put_in(&dir, &truth);
    a_uimage_inside_a_flash_dump_is_found_at_its_offset(&dir);
    ubi_is_found_with_the_reason_and_zip_slip_is_reported(&dir);
    the_sbom_of_an_ext4_image_is_scanned(&tmp.0, &dir);
    damaged_real_images_are_reported_not_crashed(&tmp.0, &dir);
}

/// Every image unpacks to the same root file system, and the report finds in it what the script
/// put there: nothing missed, the strong account not reported.
fn every_packing_reports_what_the_script_put_in(dir: &Path, truth: &Value) {
    let root = &truth["rootfs"];
    let mut checked = 0;
    for img in truth["images"].as_array().expect("images") {
        let file = img["file"].as_str().expect("file");
        let (kind, status) = (img["part"].as_str().expect("part"), img["status"].as_str().expect("status"));
        let r = report(&dir.join(file));
        let part = r["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .find(|p| p["type"] == kind)
            .unwrap_or_else(|| panic!("{file}: no {kind} part in {}", r["parts"]));
        assert_eq!(part["status"], status, "{file}: {kind} part {part}");
        for k in ["offset", "type", "size"] {
            assert!(part.get(k).is_some(), "{file}: part without {k}");
        }
        if status != "unpacked" || file == "zip-slip.zip" {
            continue;
        }
        checked += 1;
        assert_eq!(r["os"], root["os"], "{file}: os");
        // accounts: every weak one, in its crypt format, and never the strong one
        let weak = findings(&r, "weak_password");
        for (account, format) in root["weak_accounts"].as_object().expect("weak") {
            assert!(
                weak.iter().any(|f| f["account"] == account.as_str()),
                "{file}: weak account {account} ({format}) not reported: {weak:?}"
            );
        }
        for strong in root["strong_accounts"].as_array().expect("strong") {
            assert!(!weak.iter().any(|f| f["account"] == *strong), "{file}: strong account {strong} reported as weak");
        }
        // the boot service
        for s in root["boot_services"].as_array().expect("services") {
            assert!(findings(&r, "boot_service").iter().any(|f| f["service"] == *s), "{file}: boot service {s} missed");
        }
        // keys: each with the fingerprint openssl computed
        let keys = findings(&r, "private_key");
        for (path, fp) in root["private_keys"].as_object().expect("keys") {
            assert!(
                keys.iter().any(|f| inner(&f["path"]) == path && f["fingerprint"] == *fp),
                "{file}: key {path} with fingerprint {fp} not reported: {keys:?}"
            );
        }
        for (kind, paths) in
            [("hardcoded_secret", &root["hardcoded_secret"]), ("plain_http_update", &root["plain_http_update"])]
        {
            for p in paths.as_array().expect("paths") {
                assert!(findings(&r, kind).iter().any(|f| inner(&f["path"]) == p), "{file}: {kind} in {p} missed");
            }
        }
        // components: BusyBox from its binary, the rest from the opkg database
        let comps = r["components"].as_array().expect("components");
        for (name, version) in root["components"].as_object().expect("components") {
            assert!(
                comps.iter().any(|c| c["name"] == name.as_str() && c["version"] == *version),
                "{file}: component {name} {version} missing: {comps:?}"
            );
        }
        // BusyBox is Debian's real static binary: its hardening is read
        assert!(
            r["binaries"].as_array().expect("binaries").iter().any(|b| inner(&b["path"]) == "/bin/busybox"),
            "{file}: /bin/busybox not analysed"
        );
    }
    assert!(checked >= 19, "only {checked} images were checked in full");
}

/// The uImage sits 1 MiB into a flash dump of noise: both the wrapper and the SquashFS inside are
/// found at their offsets.
fn a_uimage_inside_a_flash_dump_is_found_at_its_offset(dir: &Path) {
    let r = report(&dir.join("flash-dump.bin"));
    let parts = r["parts"].as_array().expect("parts");
    let u = parts.iter().find(|p| p["type"] == "uimage").expect("uimage part");
    assert_eq!(u["offset"], 1 << 20);
    let s = parts.iter().find(|p| p["type"] == "squashfs").expect("squashfs part");
    assert_eq!(s["offset"], (1 << 20) + 64);
    assert!(u["detail"].as_str().unwrap_or_default().contains("rootfs"), "{u}");
}

/// UBI has no maintained reader: found, not unpacked, with the reason; a zip entry named
/// `../../etc/cron.d/evil` is reported and kept inside the image.
fn ubi_is_found_with_the_reason_and_zip_slip_is_reported(dir: &Path) {
    let r = report(&dir.join("ubi.img"));
    let c = r["parts"].as_array().expect("parts").iter().find(|p| p["type"] == "ubi").expect("ubi part").clone();
    assert_eq!(c["status"], "found");
    assert!(c["detail"].as_str().unwrap_or_default().contains("not unpacked"), "{c}");
    let r = report(&dir.join("zip-slip.zip"));
    let t = findings(&r, "path_traversal");
    assert!(
        t.iter()
            .any(|f| f["path"] == "/etc/cron.d/evil" && f["evidence"].as_str().unwrap_or_default().contains("../../")),
        "{t:?}"
    );
    // the climbing entry is still read as data inside the image: its empty root password is found
    assert!(findings(&r, "weak_password").iter().any(|f| f["account"] == "root"));
}

/// `--format cyclonedx` on a real image is an SBOM `kakehashi scan` takes (against the Alpine
/// advisories of the shared data: OpenWrt's packages have no OSV ecosystem, so none match).
fn the_sbom_of_an_ext4_image_is_scanned(tmp: &Path, dir: &Path) {
    let o = kakehashi(&["firmware", "--format", "cyclonedx", dir.join("ext4.img").to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let bom: Value = serde_json::from_slice(&o.stdout).expect("cyclonedx");
    assert_eq!(bom["bomFormat"], "CycloneDX");
    let purls: Vec<&str> =
        bom["components"].as_array().expect("components").iter().filter_map(|c| c["purl"].as_str()).collect();
    assert!(purls.contains(&"pkg:opkg/openwrt/dropbear@2022.83-1"), "{purls:?}");
    assert!(purls.iter().any(|p| p.starts_with("pkg:generic/busybox@")), "{purls:?}");
    let Some(osv) = test_support::shared_data("osv/alpine-secdb-osv.zip") else { return };
    let sbom = tmp.join("fw.cdx.json");
    std::fs::write(&sbom, &o.stdout).expect("write sbom");
    let db = tmp.join("db");
    let o = kakehashi(&["osv", "import", "--db", db.to_str().expect("path"), osv.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = kakehashi(&["scan", "--db", db.to_str().expect("path"), "--format", "json", sbom.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "scan refused the firmware SBOM: {}", String::from_utf8_lossy(&o.stderr));
    let s: Value = serde_json::from_slice(&o.stdout).expect("scan json");
    assert!(s["findings"].as_array().is_some_and(|f| f.is_empty()), "{s}");
}

/// Real images cut short or with their metadata overwritten: a report (the part found, failed
/// or truncated), exit 0, never a crash; an ext4 cut in half says it is truncated.
fn damaged_real_images_are_reported_not_crashed(tmp: &Path, dir: &Path) {
    let ext = std::fs::read(dir.join("ext4.img")).expect("ext4");
    let cut = tmp.join("cut-ext4.img");
    std::fs::write(&cut, &ext[..ext.len() / 2]).expect("write");
    let r = report(&cut);
    let p = r["parts"].as_array().expect("parts").iter().find(|p| p["type"] == "ext").expect("ext part").clone();
    assert_eq!(p["status"], "found", "{p}");
    assert!(p["detail"].as_str().unwrap_or_default().contains("truncated"), "{p}");
    for (name, at) in [
        ("ext4.img", 4096usize),
        ("squashfs-lzo.img", 96),
        ("squashfs-lzma.img", 4096),
        ("rootfs.zip", 64),
        ("rootfs.cramfs", 76),
        ("jffs2-be.img", 0),
        ("jffs2-lzo.img", 4096),
    ] {
        let mut d = std::fs::read(dir.join(name)).expect("image");
        let end = (at + 8192).min(d.len());
        for (i, b) in d[at..end].iter_mut().enumerate() {
            *b ^= (i as u8).wrapping_mul(31).wrapping_add(7);
        }
        let bad = tmp.join(format!("bad-{name}"));
        std::fs::write(&bad, &d).expect("write");
        let o = kakehashi(&["firmware", "--format", "json", bad.to_str().expect("path")]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let _: Value = serde_json::from_slice(&o.stdout).expect("json report");
    }
}
