//! What the device runs: its OS release, its package databases (dpkg, opkg, apk) and the
//! versions programs announce in their own strings (BusyBox, OpenSSL, Dropbear, …), each with
//! the file and the string that show it.

use std::collections::BTreeMap;

use regex::bytes::Regex;

use crate::Component;
use crate::unpack::{Entry, EntryKind};

/// A program whose version its binary states, and how to read it.
struct Banner {
    name: &'static str,
    purl_type: &'static str,
    pattern: &'static str,
}

/// Version strings as these programs print them (in their binaries and libraries).
const BANNERS: &[Banner] = &[
    Banner { name: "busybox", purl_type: "generic", pattern: r"BusyBox v(\d+\.\d+(?:\.\d+)?)" },
    Banner {
        name: "openssl",
        purl_type: "generic",
        pattern: r"OpenSSL (\d+\.\d+\.\d+[a-z]?)[ -]+\d{1,2} [A-Z][a-z]{2} \d{4}",
    },
    Banner { name: "dropbear", purl_type: "generic", pattern: r"dropbear_(\d{4}\.\d+)" },
    Banner { name: "dnsmasq", purl_type: "generic", pattern: r"dnsmasq-(\d+\.\d+(?:\.\d+)?)" },
    Banner { name: "lighttpd", purl_type: "generic", pattern: r"lighttpd/(\d+\.\d+\.\d+)" },
    Banner { name: "openssh", purl_type: "generic", pattern: r"OpenSSH_(\d+\.\d+(?:p\d+)?)" },
    Banner { name: "curl", purl_type: "generic", pattern: r"(?:libcurl|curl)/(\d+\.\d+\.\d+)" },
    Banner { name: "zlib", purl_type: "generic", pattern: r"(?:deflate|inflate) (\d+\.\d+\.\d+(?:\.\d+)?) Copyright" },
    Banner { name: "u-boot", purl_type: "generic", pattern: r"U-Boot (\d{4}\.\d{2}(?:\.\d+)?)" },
    Banner { name: "linux", purl_type: "generic", pattern: r"Linux version (\d+\.\d+\.\d+)" },
    Banner { name: "uhttpd", purl_type: "generic", pattern: r"uhttpd[/ -]v?(\d{4}-\d{2}-\d{2}|\d+\.\d+(?:\.\d+)?)" },
];

/// What the inventory found.
pub(crate) struct Inventory {
    pub os: String,
    pub os_id: String,
    pub os_version: String,
    /// Sorted, without repeats.
    pub components: Vec<Component>,
}

pub(crate) fn inventory(entries: &[Entry]) -> Inventory {
    // a file, or the file a symlink of that name points at (Debian's /etc/os-release links to
    // ../usr/lib/os-release), resolved inside the image
    let file = |name: &str| {
        let target = entries.iter().find(|e| e.kind == EntryKind::Symlink && strip(&e.path) == name).map(|l| {
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            let joined = if l.link.starts_with('/') { l.link.clone() } else { format!("{dir}/{}", l.link) };
            crate::unpack::normalise(&joined).0
        });
        let want = target.as_deref().unwrap_or(name);
        entries.iter().find(|e| e.kind == EntryKind::File && strip(&e.path) == want)
    };
    let os_release = file("/etc/os-release").or_else(|| file("/usr/lib/os-release"));
    let kv = |text: &str, key: &str| -> Option<String> {
        text.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().trim_matches(['"', '\'']).to_string())
    };
    let mut os = String::new();
    let mut distro: Option<(String, String)> = None;
    if let Some(e) = os_release {
        let t = String::from_utf8_lossy(&e.data);
        os = kv(&t, "PRETTY_NAME=").or_else(|| kv(&t, "NAME=")).unwrap_or_default();
        if let (Some(id), Some(v)) = (kv(&t, "ID="), kv(&t, "VERSION_ID=")) {
            distro = Some((id, v));
        }
    }
    if let Some(e) = file("/etc/openwrt_release") {
        let t = String::from_utf8_lossy(&e.data);
        if let Some(d) = kv(&t, "DISTRIB_DESCRIPTION=") {
            os = d;
        }
    }
    let mut out: BTreeMap<(String, String), Component> = BTreeMap::new();
    let mut add = |c: Component| {
        out.entry((c.name.clone(), c.version.clone())).or_insert(c);
    };
    for e in entries.iter().filter(|e| e.kind == EntryKind::File) {
        let p = strip(&e.path);
        let text = || String::from_utf8_lossy(&e.data).into_owned();
        if p == "/var/lib/dpkg/status" {
            if let Ok(doc) = sbom::parse(&e.data) {
                let d = distro.clone().filter(|(id, _)| sbom::purl::distro_base(id).is_some());
                for c in doc.components {
                    let purl = c.purl.clone().unwrap_or_default();
                    let purl = match &d {
                        // the release the advisories are filed under
                        Some((id, v)) => {
                            let purl = purl.replacen("pkg:deb/debian/", &format!("pkg:deb/{id}/"), 1);
                            format!("{purl}?upstream={}&distro={id}-{v}", c.name)
                        }
                        None => purl,
                    };
                    let name = purl.split('/').nth(2).and_then(|n| n.split('@').next()).unwrap_or(&c.name).to_string();
                    add(Component { name, version: c.version, purl, evidence: e.path.clone() });
                }
            }
        } else if p == "/lib/apk/db/installed" {
            if let Ok(doc) = sbom::parse(&e.data) {
                let v = distro.as_ref().map(|(_, v)| v.clone()).unwrap_or_default();
                for c in doc.components {
                    let mut purl = c.purl.clone().unwrap_or_default();
                    if !v.is_empty() && !purl.contains("distro=") {
                        purl = format!("{purl}?distro={v}");
                    }
                    add(Component { name: c.name, version: c.version, purl, evidence: e.path.clone() });
                }
            }
        } else if p == "/usr/lib/opkg/status"
            || p == "/var/lib/opkg/status"
            || p.starts_with("/usr/lib/opkg/info/") && p.ends_with(".control")
        {
            for (name, version) in opkg(&text()) {
                let purl = format!("pkg:opkg/openwrt/{name}@{version}");
                add(Component { name, version, purl, evidence: e.path.clone() });
            }
        }
    }
    // versions announced by the programs themselves
    let banners: Vec<(&Banner, Regex)> =
        BANNERS.iter().filter_map(|b| Regex::new(b.pattern).ok().map(|r| (b, r))).collect();
    for e in entries.iter().filter(|e| e.kind == EntryKind::File && e.data.len() >= 16) {
        if !(is_elf(&e.data) || looks_like_kernel(&e.path, &e.data)) {
            continue;
        }
        for (b, re) in &banners {
            if let Some(m) = re.captures(&e.data) {
                let version = String::from_utf8_lossy(&m[1]).into_owned();
                let evidence = format!("{}: {}", e.path, String::from_utf8_lossy(&m[0]));
                add(Component {
                    name: b.name.into(),
                    purl: format!("pkg:{}/{}@{version}", b.purl_type, b.name),
                    version,
                    evidence,
                });
            }
        }
    }
    let (os_id, os_version) = distro.unwrap_or_default();
    Inventory { os, os_id, os_version, components: out.into_values().collect() }
}

/// The path inside the file system a part holds (`/x.tar!/etc/passwd` → `/etc/passwd`).
pub(crate) fn strip(path: &str) -> &str {
    path.rsplit_once('!').map(|(_, p)| p).unwrap_or(path)
}

pub(crate) fn is_elf(d: &[u8]) -> bool {
    d.starts_with(b"\x7fELF")
}

fn looks_like_kernel(path: &str, d: &[u8]) -> bool {
    path.contains("vmlinu") || path.contains("zImage") || path.contains("@0x") && !d.is_empty()
}

/// `Package:` / `Version:` paragraphs of an opkg status or control file.
fn opkg(t: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for para in t.split("\n\n") {
        let field = |k: &str| para.lines().find_map(|l| l.strip_prefix(k)).map(str::trim);
        if let (Some(p), Some(v)) = (field("Package:"), field("Version:")) {
            if field("Status:").is_some_and(|s| !s.contains("installed")) {
                continue;
            }
            out.push((p.to_string(), v.to_string()));
        }
    }
    out
}
