//! What a white-hat tester looks for first, each with the file and the evidence: accounts with
//! empty or well-known passwords, private keys and certificates (with the public key's
//! fingerprint: the same key on every device is the point), remote shells and debug services
//! started at boot, hard-coded secrets, firmware updates fetched over plain HTTP, world-writable
//! start-up scripts, setuid programs, and names that tried to climb out of their archive.

use std::time::{Duration, Instant};

use der::{Decode, Encode};
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::Finding;
use crate::inventory::{is_elf, strip};
use crate::unpack::{Entry, EntryKind};

/// Passwords devices ship with (vendor defaults, and the usual first guesses). Checked only
/// against the hashes in the image, within [`CRACK_BUDGET`].
const DEFAULT_PASSWORDS: &[&str] = &[
    "admin",
    "root",
    "password",
    "1234",
    "12345",
    "123456",
    "12345678",
    "default",
    "toor",
    "pass",
    "support",
    "user",
    "guest",
    "service",
    "system",
    "vizxv",
    "xc3511",
    "888888",
    "666666",
    "54321",
    "7ujMko0admin",
    "realtek",
    "hi3518",
    "xmhdipc",
    "juantech",
    "anko",
    "zlxx.",
    "Zte521",
    "ikwb",
    "dreambox",
    "ubnt",
    "changeme",
    "openwrt",
    "raspberry",
];

/// Time spent checking hashes against [`DEFAULT_PASSWORDS`], in all.
const CRACK_BUDGET: Duration = Duration::from_secs(5);

/// Services that give a remote shell or debug access when started at boot.
const SHELLS: &[(&str, &str, &str)] = &[
    ("telnetd", r"\b(?:u?telnetd|in\.telnetd)\b", "high"),
    ("rlogind", r"\b(?:in\.)?rlogind\b", "high"),
    ("rshd", r"\b(?:in\.)?rshd\b", "high"),
    ("bind_shell", r"\bnc\b[^\n]*\s-[a-z]*l[a-z]*p?\b[^\n]*(?:-e\s*/bin/(?:ba)?sh|/bin/(?:ba)?sh)", "critical"),
    ("netcat_listener", r"\bnc\b[^\n]*\s-[a-z]*l", "high"),
    ("tftpd", r"\b(?:in\.)?tftpd\b", "medium"),
    ("upnp", r"\b(?:miniupnpd|upnpd)\b", "medium"),
    ("tr069", r"\b(?:cwmpd|easycwmp|tr069|tr-069)\b", "medium"),
    ("adbd", r"\badbd\b", "high"),
    ("gdbserver", r"\bgdbserver\b", "high"),
];

pub(crate) fn findings(entries: &[Entry]) -> Vec<Finding> {
    let mut out = Vec::new();
    passwords(entries, &mut out);
    boot_services(entries, &mut out);
    keys(entries, &mut out);
    secrets_and_updates(entries, &mut out);
    modes(entries, &mut out);
    for e in entries {
        if let Some(raw) = &e.escaped {
            let mut f = Finding::new(
                "path_traversal",
                "medium",
                &e.path,
                format!("the archive names \"{raw}\", which climbs above its root; read in place, never written out"),
            );
            f.evidence = raw.clone();
            out.push(f);
        }
    }
    out
}

fn file<'a>(entries: &'a [Entry], name: &str) -> Vec<&'a Entry> {
    entries.iter().filter(|e| e.kind == EntryKind::File && strip(&e.path) == name).collect()
}

fn text(e: &Entry) -> String {
    String::from_utf8_lossy(&e.data).into_owned()
}

/// Empty passwords, and hashes of well-known defaults, in /etc/shadow and /etc/passwd.
fn passwords(entries: &[Entry], out: &mut Vec<Finding>) {
    let started = Instant::now();
    for name in ["/etc/shadow", "/etc/passwd"] {
        for e in file(entries, name) {
            for line in text(e).lines() {
                let mut f = line.split(':');
                let (Some(account), Some(hash)) = (f.next(), f.next()) else { continue };
                if account.is_empty() || account.starts_with('#') {
                    continue;
                }
                // "x" points to the shadow file; "*" and "!" lock the account
                if hash == "x" || hash.starts_with('*') || hash.starts_with('!') {
                    continue;
                }
                let found = if hash.is_empty() {
                    Some("has no password: anyone may log in as it".to_string())
                } else if started.elapsed() < CRACK_BUDGET {
                    DEFAULT_PASSWORDS
                        .iter()
                        .find(|p| pwhash::unix::verify(p, hash))
                        .map(|p| format!("has the well-known password \"{p}\""))
                } else {
                    None
                };
                if let Some(detail) = found {
                    let sev =
                        if account == "root" || line.split(':').nth(2) == Some("0") { "critical" } else { "high" };
                    let mut x = Finding::new("weak_password", sev, &e.path, format!("account {account} {detail}"));
                    x.account = Some(account.to_string());
                    x.evidence = format!("{account}:{}", mask(hash));
                    out.push(x);
                }
            }
        }
    }
}

/// Start-up files: inittab, init scripts, rc files, systemd units, cron.
fn is_startup(path: &str) -> bool {
    let p = strip(path);
    p == "/etc/inittab"
        || p == "/etc/rc.local"
        || p.starts_with("/etc/init.d/")
        || p.starts_with("/etc/rc.d/")
        || p.starts_with("/etc/rcS.d/")
        || p.starts_with("/etc/rc") && p.contains(".d/")
        || p.starts_with("/etc/systemd/system/")
        || p.starts_with("/lib/systemd/system/") && p.ends_with(".service")
        || p.starts_with("/etc/crontabs/")
        || p == "/etc/crontab"
        || p.starts_with("/etc/inetd.conf")
        || p.starts_with("/etc/xinetd.d/")
}

fn boot_services(entries: &[Entry], out: &mut Vec<Finding>) {
    let res: Vec<(&str, Regex, &str)> =
        SHELLS.iter().filter_map(|(s, p, sev)| Regex::new(p).ok().map(|r| (*s, r, *sev))).collect();
    for e in entries.iter().filter(|e| e.kind == EntryKind::File && is_startup(&e.path) && !is_elf(&e.data)) {
        let t = text(e);
        let mut seen = std::collections::BTreeSet::new();
        for line in t.lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.is_empty()) {
            for (service, re, sev) in &res {
                // a bind shell is also a netcat listener: one finding per line
                if re.is_match(line) && seen.insert(line.to_string()) {
                    let mut f = Finding::new(
                        "boot_service",
                        sev,
                        &e.path,
                        format!("{service} is started at boot: a way in for anyone on the network"),
                    );
                    f.service = Some((*service).to_string());
                    f.evidence = line.chars().take(200).collect();
                    out.push(f);
                }
            }
        }
    }
}

/// Private keys and certificates in PEM, with the fingerprint of the public key.
fn keys(entries: &[Entry], out: &mut Vec<Finding>) {
    for e in entries.iter().filter(|e| e.kind == EntryKind::File && e.data.len() < 16 << 20) {
        let Some(start) = memchr::memmem::find(&e.data, b"-----BEGIN ") else { continue };
        let t = String::from_utf8_lossy(&e.data[start..]);
        let mut rest: &str = &t;
        while let Some(i) = rest.find("-----BEGIN ") {
            let block = &rest[i..];
            let Some(label_end) = block[11..].find("-----") else { break };
            let label = &block[11..11 + label_end];
            let end_marker = format!("-----END {label}-----");
            let Some(j) = block.find(&end_marker) else { break };
            let pem = &block[..j + end_marker.len()];
            rest = &block[j + end_marker.len()..];
            let (kind, sev, what) = match label {
                "CERTIFICATE" => ("certificate", "info", "a certificate"),
                l if l.ends_with("PRIVATE KEY") => ("private_key", "high", "a private key"),
                _ => continue,
            };
            let fp = spki_fingerprint(label, pem);
            let detail = match (&fp, kind) {
                (Some(_), "private_key") => {
                    format!(
                        "{what} ({label}) ships in the image: every device has the same key, so whoever reads one image can impersonate or decrypt all"
                    )
                }
                (Some(_), _) => format!("{what}; its public key's fingerprint tells whether other devices share it"),
                (None, _) => format!("{what} ({label}) whose public key could not be read"),
            };
            let mut f = Finding::new(kind, sev, &e.path, detail);
            f.fingerprint = fp;
            f.evidence = format!("-----BEGIN {label}-----");
            out.push(f);
        }
    }
}

/// Hex SHA-256 of the SubjectPublicKeyInfo DER of a PEM key or certificate.
pub(crate) fn spki_fingerprint(label: &str, pem: &str) -> Option<String> {
    let spki_der: Vec<u8> = match label {
        "CERTIFICATE" => {
            let c = <x509_cert::Certificate as der::DecodePem>::from_pem(pem.as_bytes()).ok()?;
            c.tbs_certificate.subject_public_key_info.to_der().ok()?
        }
        "PRIVATE KEY" => {
            let (_, doc) = der::Document::from_pem(pem).ok()?;
            let pk = pkcs8::PrivateKeyInfo::from_der(doc.as_bytes()).ok()?;
            if pk.algorithm.oid == RSA_ENCRYPTION {
                rsa_spki(pk.private_key)?
            } else {
                // EC keys carry their public key; so do PKCS#8 v2 keys (Ed25519 among them)
                match pk.public_key {
                    Some(p) => spki::SubjectPublicKeyInfoRef {
                        algorithm: pk.algorithm,
                        subject_public_key: der::asn1::BitStringRef::from_bytes(p).ok()?,
                    }
                    .to_der()
                    .ok()?,
                    None if pk.algorithm.oid == ED25519 => ed25519_spki(pk.private_key)?,
                    None => ec_spki(pk.private_key, pk.algorithm.parameters_oid().ok())?,
                }
            }
        }
        "RSA PRIVATE KEY" => {
            let (_, doc) = der::Document::from_pem(pem).ok()?;
            rsa_spki(doc.as_bytes())?
        }
        "EC PRIVATE KEY" => {
            let (_, doc) = der::Document::from_pem(pem).ok()?;
            ec_spki(doc.as_bytes(), None)?
        }
        _ => return None,
    };
    Some(hex::encode(Sha256::digest(&spki_der)))
}

/// rsaEncryption (PKCS #1).
const RSA_ENCRYPTION: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// id-Ed25519 (RFC 8410).
const ED25519: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("1.3.101.112");

/// An Ed25519 private key (RFC 8410: an OCTET STRING holding the 32-byte seed) → its public key
/// as SubjectPublicKeyInfo DER.
fn ed25519_spki(private_key: &[u8]) -> Option<Vec<u8>> {
    let seed = der::asn1::OctetStringRef::from_der(private_key).ok()?;
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed.as_bytes()).ok()?;
    let public = ring::signature::KeyPair::public_key(&pair).as_ref().to_vec();
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef { oid: ED25519, parameters: None },
        subject_public_key: der::asn1::BitStringRef::from_bytes(&public).ok()?,
    }
    .to_der()
    .ok()
}

/// An RSA private key (PKCS#1) → its public key as SubjectPublicKeyInfo DER.
fn rsa_spki(pkcs1_der: &[u8]) -> Option<Vec<u8>> {
    let k = pkcs1::RsaPrivateKey::from_der(pkcs1_der).ok()?;
    let public = pkcs1::RsaPublicKey { modulus: k.modulus, public_exponent: k.public_exponent }.to_der().ok()?;
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef { oid: RSA_ENCRYPTION, parameters: Some(der::asn1::AnyRef::NULL) },
        subject_public_key: der::asn1::BitStringRef::from_bytes(&public).ok()?,
    }
    .to_der()
    .ok()
}

/// A SEC1 EC private key → its public key as SubjectPublicKeyInfo DER (the curve from the key
/// or, in PKCS#8, from its algorithm).
fn ec_spki(sec1_der: &[u8], curve: Option<der::asn1::ObjectIdentifier>) -> Option<Vec<u8>> {
    let k = sec1::EcPrivateKey::from_der(sec1_der).ok()?;
    let curve = curve.or_else(|| k.parameters.and_then(|p| p.named_curve()))?;
    let public = k.public_key?;
    let id_ec = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef { oid: id_ec, parameters: Some(der::asn1::AnyRef::from(&curve)) },
        subject_public_key: der::asn1::BitStringRef::from_bytes(public).ok()?,
    }
    .to_der()
    .ok()
}

/// Config and scripts: where secrets are written and update URLs live.
fn is_text_config(e: &Entry) -> bool {
    let p = strip(&e.path);
    !is_elf(&e.data)
        && e.data.len() < 1 << 20
        && (p.starts_with("/etc/")
            || p.starts_with("/www/")
            || p.starts_with("/usr/share/")
            || p.starts_with("/usr/lib/lua/")
            || p.starts_with("/root/")
            || [".sh", ".conf", ".cfg", ".ini", ".json", ".lua", ".cgi", ".js", ".py", ".xml", ".yaml", ".yml", ".env"]
                .iter()
                .any(|x| p.ends_with(x)))
        && !e.data[..e.data.len().min(512)].contains(&0)
}

fn secrets_and_updates(entries: &[Entry], out: &mut Vec<Finding>) {
    let secret = Regex::new(
        r#"(?i)\b(password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|private[_-]?key)\b\s*[:=]\s*["']?([^\s"'#;,]{4,})"#,
    )
    .expect("secret pattern");
    // OpenWrt's UCI: `option password 'x'`
    let uci = Regex::new(
        r#"(?i)^\s*option\s+(password|passwd|key|secret|api_?key|token|auth_?token|psk)\s+['"]?([^\s'"]{4,})"#,
    )
    .expect("uci pattern");
    let aws = Regex::new(r"\b(AKIA[0-9A-Z]{16})\b").expect("aws pattern");
    let update =
        Regex::new(r#"(?i)http://[^\s"'<>]*(?:firmware|upgrade|update|ota|fw)[^\s"'<>]*"#).expect("update pattern");
    let update_ctx = Regex::new(r"(?i)(?:upgrade|update|firmware|ota|sysupgrade|fw_)").expect("update context");
    let any_http = Regex::new(r#"http://[^\s"'<>]+"#).expect("http pattern");
    for e in entries.iter().filter(|e| e.kind == EntryKind::File && is_text_config(e)) {
        let t = text(e);
        let p = strip(&e.path);
        let is_account_file = p == "/etc/shadow" || p == "/etc/passwd" || p == "/etc/group";
        for line in t.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            if !is_account_file {
                if let Some(c) = secret.captures(line).or_else(|| uci.captures(line)) {
                    let value = &c[2];
                    // placeholders and variable references are not secrets
                    let placeholder = value.starts_with('$')
                        || value.starts_with('%')
                        || value.starts_with('<')
                        || value.eq_ignore_ascii_case("null")
                        || value.eq_ignore_ascii_case("none");
                    if !placeholder {
                        let mut f = Finding::new(
                            "hardcoded_secret",
                            "high",
                            &e.path,
                            format!("a {} is written in the file", c[1].to_lowercase()),
                        );
                        f.evidence = line.replace(value, &mask(value)).chars().take(200).collect();
                        out.push(f);
                        continue;
                    }
                }
                if let Some(c) = aws.captures(line) {
                    let mut f = Finding::new(
                        "hardcoded_secret",
                        "high",
                        &e.path,
                        "an AWS access key id is written in the file",
                    );
                    f.evidence = mask(&c[1]);
                    out.push(f);
                    continue;
                }
            }
            if let Some(m) = update.find(line).or_else(|| {
                // a plain-HTTP URL on a line about updates (`wget http://…` in sysupgrade)
                update_ctx.is_match(line).then(|| any_http.find(line)).flatten()
            }) {
                let mut f = Finding::new(
                    "plain_http_update",
                    "high",
                    &e.path,
                    "firmware or software updates are fetched over plain HTTP: anyone on the path can replace them",
                );
                f.evidence = m.as_str().chars().take(200).collect();
                out.push(f);
            }
        }
    }
}

/// World-writable start-up scripts and setuid programs.
fn modes(entries: &[Entry], out: &mut Vec<Finding>) {
    for e in entries.iter().filter(|e| e.kind == EntryKind::File) {
        if is_startup(&e.path) && e.mode & 0o002 != 0 {
            out.push(Finding::new(
                "world_writable_startup",
                "high",
                &e.path,
                format!("a start-up file anyone on the device may change (mode {:o})", e.mode & 0o7777),
            ));
        }
        if e.mode & 0o4000 != 0 && is_elf(&e.data) {
            let busybox = memchr::memmem::find(&e.data, b"BusyBox v").is_some();
            out.push(Finding::new(
                "setuid",
                if busybox { "high" } else { "medium" },
                &e.path,
                if busybox {
                    "BusyBox is setuid root: every applet it links runs as root".to_string()
                } else {
                    format!("a setuid program (mode {:o})", e.mode & 0o7777)
                },
            ));
        }
    }
}

/// Keeps the first two characters of a secret.
fn mask(s: &str) -> String {
    let shown: String = s.chars().take(2).collect();
    format!("{shown}{}", "*".repeat(s.chars().count().saturating_sub(2).min(12)))
}
