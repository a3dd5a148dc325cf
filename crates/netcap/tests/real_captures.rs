//! The analyser against real captures: every capture in ../shared/data/pcap is read without a
//! panic, and the suricata-verify cases whose expectations it covers (MQTT credentials, TLS
//! server names, DNS queries, SNMP communities, FTP logins) are found.

mod common;
use common::{capture, temp_capture};
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pcap")
}

/// The shared data is missing: with KAKEHASHI_REQUIRE_DATA=1 (as in CI) that fails the test;
/// otherwise a SKIPPED line is written past the test harness's capture, so it shows in the run.
fn skip_without_data(what: &str) {
    if std::env::var("KAKEHASHI_REQUIRE_DATA").is_ok_and(|v| v == "1") {
        panic!("KAKEHASHI_REQUIRE_DATA=1 but {what} is missing under {}", data().display());
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} is missing under {}", data().display());
}

/// Whether a shared file is there; when it is not, skips loudly (or fails, in CI).
fn have(p: &Path) -> bool {
    p.exists() || {
        skip_without_data(&p.display().to_string());
        false
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

fn is_capture(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(p).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic)).is_ok()
        && matches!(
            magic,
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
                | [0x1f, 0x8b, _, _]
        )
}

#[test]
fn every_shared_capture_is_read_without_panic() {
    let mut files = Vec::new();
    walk(&data(), &mut files);
    let caps: Vec<&PathBuf> = files.iter().filter(|p| is_capture(p)).collect();
    if caps.is_empty() {
        return skip_without_data("the shared captures");
    }
    let opts = netcap::Options::default();
    let (mut ok, mut err, mut packets) = (0, 0, 0u64);
    let mut skipped = std::collections::BTreeMap::new();
    let mut refused = Vec::new();
    for p in &caps {
        match netcap::analyze_path(p, &opts) {
            Ok(r) => {
                ok += 1;
                packets += r.packets;
                for (k, v) in r.skipped {
                    *skipped.entry(k).or_insert(0u64) += v;
                }
            }
            Err(e) => {
                err += 1;
                assert!(e.to_string().contains(&p.display().to_string()), "errors name the file: {e}");
                let rel = p.strip_prefix(data()).unwrap_or(p).display().to_string();
                let why =
                    e.to_string().replace(&p.display().to_string(), "").trim_start_matches([':', ' ']).to_string();
                refused.push(format!("{rel}: {why}"));
            }
        }
    }
    refused.sort();
    eprintln!("{ok} captures read ({packets} packets), {err} refused; skipped link types: {skipped:?}");
    // every one of the 1,285 shared captures is read (none refused); a change names the file and why
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert_eq!(ok, 1285, "{ok} read, {err} refused");
    assert_eq!(packets, 427_576);
    assert!(caps.iter().filter(|p| p.extension().is_some_and(|e| e == "gz")).count() >= 10, "gzip captures too");
    assert!(!skipped.is_empty(), "unsupported link types are counted as skipped, not errors");
}

/// Facts a suricata-verify case expects that the analyser covers.
fn expectations(yaml: &serde_yaml_ng::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for check in yaml.get("checks").and_then(|c| c.as_sequence()).into_iter().flatten() {
        let Some(filter) = check.get("filter") else { continue };
        if filter.get("count").and_then(|c| c.as_i64()) == Some(0) {
            continue;
        }
        let Some(m) = filter.get("match").and_then(|m| m.as_mapping()) else { continue };
        for (k, v) in m {
            let (Some(k), Some(v)) =
                (k.as_str(), v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|i| i.to_string())))
            else {
                continue;
            };
            match k {
                "mqtt.connect.username" | "tls.sni" | "dns.queries[0].rrname" | "snmp.community" => {
                    out.push((k.to_string(), v))
                }
                // a file moved or a data channel opened means a login happened before it
                "ftp.command" if matches!(v.as_str(), "PASS" | "RETR" | "STOR" | "LIST" | "NLST" | "PASV" | "EPSV") => {
                    out.push(("ftp.login".into(), String::new()))
                }
                "pop3.request.command" if v == "PASS" => out.push(("pop3.login".into(), String::new())),
                // any POP3 command: a clear-text mail session
                "pop3.request.command" => out.push(("pop3.cleartext".into(), String::new())),
                // a Modbus transaction was seen
                "modbus.id" => out.push(("modbus.seen".into(), String::new())),
                "dhcp.hostname" => out.push((k.to_string(), v)),
                // Modbus requests that write (the analyser reports writes, not reads)
                "modbus.request.function_code"
                    if matches!(
                        v.as_str(),
                        "5" | "6"
                            | "15"
                            | "16"
                            | "22"
                            | "23"
                            | "WrSingleCoil"
                            | "WrSingleReg"
                            | "WrMultCoils"
                            | "WrMultRegs"
                            | "MaskWrReg"
                            | "RdWrMultRegs"
                    ) =>
                {
                    out.push(("modbus.write".into(), v))
                }
                // an NTP client request (mode 3) names the server asked for time
                "ntp.mode" if v == "3" => out.push(("ntp.client".into(), String::new())),
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn suricata_verify_cases_are_found() {
    let mut files = Vec::new();
    walk(&data().join("suricata-verify/tests"), &mut files);
    let yamls: Vec<&PathBuf> = files.iter().filter(|p| p.file_name().is_some_and(|n| n == "test.yaml")).collect();
    if yamls.is_empty() {
        return skip_without_data("suricata-verify");
    }
    let opts = netcap::Options { show_secrets: true, ..Default::default() };
    let (mut checked, mut found) = (0, 0);
    let mut missed = Vec::new();
    // facts found per kind: each kind's matcher must match something, or it is dead code
    let mut per_kind: std::collections::BTreeMap<String, usize> = Default::default();
    for y in yamls {
        let Ok(text) = std::fs::read_to_string(y) else { continue };
        let Ok(v) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text) else { continue };
        let exp = expectations(&v);
        if exp.is_empty() {
            continue;
        }
        let dir = y.parent().unwrap();
        let mut caps = Vec::new();
        walk(dir, &mut caps);
        caps.retain(|p| p.parent() == Some(dir) && is_capture(p));
        let mut reports = Vec::new();
        for c in &caps {
            if let Ok(r) = netcap::analyze_path(c, &opts) {
                reports.push(r);
            }
        }
        for (k, val) in exp {
            checked += 1;
            let hit = reports.iter().any(|r| match k.as_str() {
                "mqtt.connect.username" => {
                    r.findings.iter().any(|f| f.protocol == "mqtt" && f.username.as_deref() == Some(val.as_str()))
                }
                "tls.sni" => r.tls.iter().any(|t| t.sni.as_deref() == Some(val.as_str())),
                "dns.queries[0].rrname" => r.dns.iter().any(|d| d.query == val),
                "snmp.community" => {
                    r.findings.iter().any(|f| f.protocol == "snmp" && f.secret.as_deref() == Some(val.as_str()))
                }
                "ftp.login" => r.findings.iter().any(|f| f.protocol == "ftp" && f.kind == "credentials_in_clear"),
                "pop3.login" => r.findings.iter().any(|f| f.protocol == "pop3" && f.kind == "credentials_in_clear"),
                "pop3.cleartext" => r.findings.iter().any(|f| f.protocol == "pop3" && f.kind == "cleartext_protocol"),
                "modbus.seen" => r.findings.iter().any(|f| f.protocol == "modbus"),
                "dhcp.hostname" => r.names.iter().any(|n| n.name == val && n.source.starts_with("dhcp")),
                "modbus.write" => r.findings.iter().any(|f| f.protocol == "modbus" && f.kind == "ics_operation"),
                "ntp.client" => !r.ntp_servers.is_empty(),
                _ => false,
            });
            if hit {
                found += 1;
                *per_kind.entry(k.clone()).or_default() += 1;
            } else {
                missed.push(format!("{} {k}={val}", dir.strip_prefix(data()).unwrap_or(dir).display()));
            }
        }
    }
    eprintln!("suricata-verify: {found} of {checked} expected facts found; missed: {missed:#?}");
    // exact, per kind: a matcher that finds nothing (or a corpus change) shows here
    let want: std::collections::BTreeMap<String, usize> = [
        ("dhcp.hostname", 1),
        ("dns.queries[0].rrname", 3),
        ("ftp.login", 7),
        ("modbus.seen", 1),
        ("mqtt.connect.username", 28),
        ("ntp.client", 1),
        ("pop3.cleartext", 1),
        ("snmp.community", 1),
        ("tls.sni", 6),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(per_kind, want);
    assert_eq!(checked, 49, "{checked} cases enumerated");
    assert!(missed.is_empty(), "missed {} of {checked}:\n{}", missed.len(), missed.join("\n"));
}

/// Known content of real captures: a telnet login (the classic "fake"/"user" session) and
/// Modbus writes.
#[test]
fn telnet_login_and_modbus_writes() {
    let telnet = data().join("suricata-verify/tests/telnet/telnet-01/telnet.pcap");
    if have(&telnet) {
        let r = netcap::analyze_path(&telnet, &netcap::Options { show_secrets: true, ..Default::default() }).unwrap();
        let c = r
            .findings
            .iter()
            .find(|f| f.protocol == "telnet" && f.kind == "credentials_in_clear")
            .expect("telnet login");
        assert_eq!((c.username.as_deref(), c.secret.as_deref()), (Some("fake"), Some("user")));
        assert!(r.findings.iter().any(|f| f.kind == "listening_service" && f.protocol == "telnet"));
    }
    let mut files = Vec::new();
    walk(&data().join("zeek-traces/testing/btest/Traces/modbus"), &mut files);
    let mut writes = 0;
    for f in files.iter().filter(|p| is_capture(p)) {
        if let Ok(r) = netcap::analyze_path(f, &netcap::Options::default()) {
            writes += r.findings.iter().filter(|x| x.kind == "ics_operation" && x.protocol == "modbus").count();
        }
    }
    if !files.is_empty() {
        assert!(writes > 0, "Modbus writes are reported");
    }
}

/// TLS 1.2 handshakes show the server certificate: subject and issuer are reported.
#[test]
fn server_certificates_from_tls12_handshakes() {
    let mut files = Vec::new();
    walk(&data().join("zeek-traces/testing/btest/Traces/tls"), &mut files);
    if files.is_empty() {
        return skip_without_data("zeek's TLS traces");
    }
    let mut subjects = Vec::new();
    let (mut chosen, mut suites) = (0, 0);
    for f in files.iter().filter(|p| is_capture(p)) {
        if let Ok(r) = netcap::analyze_path(f, &netcap::Options::default()) {
            subjects.extend(r.tls.iter().filter_map(|t| t.certificate_subject.clone()));
            chosen += r.tls.iter().filter(|t| t.version_chosen.is_some() && t.cipher_chosen.is_some()).count();
            suites +=
                r.tls.iter().filter(|t| t.cipher_suites_offered.names().iter().any(|c| c.starts_with("TLS_"))).count();
            // certificates hold dates and serial numbers: never card or individual numbers
            let numbers = ["card_number", "individual_number"];
            assert!(!r.findings.iter().any(|x| numbers.contains(&x.protocol)), "{}", f.display());
        }
    }
    assert!(chosen >= 5 && suites >= 5, "versions and ciphers chosen: {chosen}, suites named: {suites}");
    assert!(subjects.iter().any(|s| s.contains("CN=certauth.idrix.fr")), "{subjects:?}");
    assert!(subjects.len() >= 5);
}

/// EtherNet/IP: firmware updates, set-attribute, stop and start, device reset (OpenICS and ITI
/// captures); BACnet devices that answer; gzip-compressed captures.
#[test]
fn cip_operations_bacnet_and_compressed_captures() {
    let ics = data().join("iti-ics-security-tools/pcaps");
    if !ics.exists() {
        return skip_without_data("the ITI ICS captures");
    }
    let ops = |rel: &str| -> Vec<String> {
        let r = netcap::analyze_path(&ics.join(rel), &netcap::Options::default()).unwrap();
        r.findings
            .iter()
            .filter(|f| f.kind == "ics_operation" && f.protocol == "cip")
            .map(|f| f.detail.clone())
            .collect()
    };
    let fw = ops("openics/EIP-FirmwareChange.pcap");
    assert!(fw.iter().any(|d| d.starts_with("firmware update")), "{fw:?}");
    assert!(fw.iter().any(|d| d == "device reset (Identity object)"), "{fw:?}");
    assert!(ops("EthernetIP/cip_stop_plc.pcap").iter().any(|d| d.starts_with("Stop")));
    assert!(ops("EthernetIP/cip_start_plc.pcap").iter().any(|d| d.starts_with("Start")));
    // the Set_Attribute_List comes late in a long session (past the kept stream prefix)
    assert!(ops("openics/EIP-ChangeDateAttempt.pcap").iter().any(|d| d.starts_with("Set_Attribute_List")));
    assert!(
        ops("openics/EIP-ChangePortConfigurationAttempt.pcap").iter().any(|d| d.starts_with("Set_Attribute_Single"))
    );
    // reads only: nothing reported
    assert!(ops("openics/EIP-ViewDeviceStatus.pcap").is_empty());

    let r = netcap::analyze_path(&ics.join("BACnet/bacnet_test.pcap"), &netcap::Options::default()).unwrap();
    let l: Vec<_> = r.findings.iter().filter(|f| f.kind == "listening_service").collect();
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].protocol, l[0].src.to_string().as_str()), ("bacnet", "10.1.1.165"));

    let gz = data().join("zeek-traces/testing/btest/Traces/contentline/rlogin-long-client-user-no-nul.pcapng.gz");
    let r = netcap::analyze_path(&gz, &netcap::Options::default()).unwrap();
    assert!(r.packets > 10_000, "gzip-compressed pcapng is read: {}", r.packets);
    assert!(r.findings.iter().any(|f| f.kind == "listening_service" && f.protocol == "rlogin"));
}

/// Traffic inside tunnels, QUIC, LLMNR and DNS over TCP in the Zeek traces: what tshark finds in
/// each capture (server names, hosts, DNS names, tunnel identifiers) is found, tagged with the
/// tunnel that carried it, and endpoints are the inner hosts.
#[test]
fn tunnels_quic_llmnr_and_dns_over_tcp() {
    let traces = data().join("zeek-traces/testing/btest/Traces");
    if !have(&traces) {
        return;
    }
    let read = |rel: &str| netcap::analyze_path(&traces.join(rel), &netcap::Options::default()).unwrap();
    // (capture, the tunnel kind and id that carried it, what came through)
    let via = |r: &netcap::Report, t: Option<u32>| -> (String, Option<u32>) {
        let t = &r.tunnels[t.expect("entry names its tunnel") as usize];
        (t.kind.to_string(), t.id)
    };
    let http = [
        ("tunnels/vxlan-encapsulated-http.pcap", "eu.httpbin.org", "vxlan", Some(1)),
        ("tunnels/geneve-many-options.pcap", "wtfismyip.com", "geneve", Some(786734)),
        ("mpls-in-vlan.pcap", "ww.example.org", "mpls", None),
        ("tunnels/ayiya3.pcap", "ipv6.google.com", "ayiya", None),
        ("tunnels/gre-aruba.pcap", "zeek.org", "gre", None),
        ("tunnels/gre-over-udp-4754.pcap", "zeek.org", "gre", None),
        ("tunnels/gtp/gtp2_different_udp_port.pcap", "cdn.epicgameads.com", "gtp-u", None),
        ("erspan.pcap", "192.168.69.2", "gre", None),
    ];
    for (file, host, kind, id) in http {
        let r = read(file);
        let h =
            r.http.iter().find(|h| h.host.split(':').next() == Some(host)).unwrap_or_else(|| panic!("{file}: {host}"));
        let (k, i) = via(&r, h.tunnel);
        assert_eq!(k, kind, "{file}");
        if id.is_some() {
            assert_eq!(i, id, "{file}");
        }
        // endpoints are the inner hosts
        assert!(r.endpoints.iter().any(|e| e.address == h.server || e.device == h.server), "{file}");
        let outer = &r.tunnels[h.tunnel.unwrap() as usize];
        if let Some(o) = outer.outer_dst {
            assert_ne!(o, h.server, "{file}: the inner server, not the tunnel's end");
        }
    }
    let dns = [
        ("tunnels/gtp/gtp7_ipv6.pcap", "xmail.nelt.com", "gtp-u", Some(2436252775)),
        ("tunnels/gre-sample.pcap", "www.gleeble.org", "gre", None),
        ("tunnels/gre-pptp.pcap", "xqt-detect-mode2-97712e88-167a-45b9-93ee-913140e76678", "pptp", None),
        ("tunnels/geneve-vxlan-dns-truncated.pcap", "corelight.com", "vxlan", Some(4242)),
    ];
    for (file, name, kind, id) in dns {
        let r = read(file);
        let d = r.dns.iter().find(|d| d.query == name).unwrap_or_else(|| panic!("{file}: {name}"));
        let (k, i) = via(&r, d.tunnel);
        assert_eq!(k, kind, "{file}");
        if id.is_some() {
            assert_eq!(i, id, "{file}");
        }
    }
    // nested: VXLAN inside GENEVE, PPTP inside IPv4-in-IPv6
    let r = read("tunnels/geneve-vxlan-dns-truncated.pcap");
    let inner = &r.tunnels[r.dns[0].tunnel.unwrap() as usize];
    assert_eq!(r.tunnels[inner.inside.expect("nested") as usize].kind, "geneve");
    let r = read("tunnels/gre-pptp.pcap");
    assert!(
        r.tunnels.iter().any(|t| t.kind == "pptp" && t.inside.is_some_and(|o| r.tunnels[o as usize].kind == "4in6"))
    );
    // ERSPAN II and III with their session ids, PPPoE on QinQ with its session, 6in4, Teredo
    assert!(read("erspanII.pcap").tunnels.iter().any(|t| t.kind == "erspan-ii" && t.id == Some(100)));
    assert!(read("tunnels/gre-erspan3-dot1q.pcap").tunnels.iter().any(|t| t.kind == "erspan-iii"));
    let r = read("pppoe-over-qinq.pcap");
    let t = r.tls.iter().find(|t| t.sni.as_deref() == Some("xp.apple.com")).expect("TLS inside PPPoE");
    assert_eq!(via(&r, t.tunnel), ("pppoe".to_string(), Some(3847)));
    assert!(read("tunnels/6in4.pcap").tunnels.iter().any(|t| t.kind == "6in4" && t.outer_src.is_some()));
    assert!(read("tunnels/Teredo.pcap").tunnels.iter().any(|t| t.kind == "teredo"));

    // QUIC Initial packets: server name, ALPN, version; the endpoint is QUIC
    let quic = [
        ("quic/chromium-115.0.5790.110-api-cirrus-com.pcap", "api.cirrus-ci.com", "QUIC v1", 443),
        ("quic/chromium-115.0.5790.110-google-de-fragmented.pcap", "www.google.de", "QUIC v1", 443),
        ("quic/curl-8.1.2-dev-http3-www-google-de.pcap", "www.google.de", "QUIC v1", 443),
        ("quic/firefox-102.13.0esr-blog-cloudflare-com.pcap", "blog.cloudflare.com", "QUIC v1", 443),
        ("quic/quic-39264-rand.pcap", "tr6.snapchat.com", "QUIC v1", 443),
        ("quic/quic-multiple-initial-fragmented-crypto.pcap", "googleads.g.doubleclick.net", "QUIC v1", 443),
        ("quic/chromium-dpd-custom-port-4433.pcap", "api.cirrus-ci.com", "QUIC v1", 4433),
        ("quic/quicv2-echo-443.pcap", "localhost", "QUIC v2", 443),
    ];
    for (file, sni, version, port) in quic {
        let r = read(file);
        let t = r.tls.iter().find(|t| t.sni.as_deref() == Some(sni)).unwrap_or_else(|| panic!("{file}: {sni}"));
        assert_eq!((t.quic.as_deref(), t.port), (Some(version), port), "{file}");
        assert!(!t.versions_offered.codes.is_empty() && !t.cipher_suites_offered.codes.is_empty(), "{file}");
        assert!(r.endpoints.iter().any(|e| e.protocol == "quic" && e.port == port), "{file}");
        assert!(r.not_decoded.is_empty(), "{file}: {:?}", r.not_decoded);
    }
    let r = read("quic/chromium-dpd-custom-port-4433.pcap");
    assert_eq!(r.tls[0].alpn, ["h3"]);

    // LLMNR and mDNS questions, marked; DNS over TCP split over segments (a 1,460-byte segment
    // then the rest) and several messages per connection
    let r = read("wikipedia.pcap");
    assert!(r.dns.iter().any(|d| d.protocol == "llmnr" && d.query == "BRWC0CB383D1F42"));
    assert!(r.dns.iter().any(|d| d.protocol == "mdns" && d.query == "gemini._sftp-ssh._tcp.local"));
    let r = read("smb/smb_v2_only_non_zero_reserved1.pcap");
    assert_eq!(r.dns.iter().filter(|d| d.protocol == "llmnr").count(), 5);
    let r = read("dns/tkey.pcap");
    assert!(
        r.dns.iter().any(|d| d.protocol == "dns/tcp" && d.query == "1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5")
    );
    assert!(read("dns-edns-cookie.pcap").dns.iter().any(|d| d.protocol == "dns/tcp" && d.query == "wikipedia.org"));
}

/// A real QUIC v2 Initial (quicv2-echo-443.pcap), then the same packet with a corrupted
/// ciphertext and with an unknown version: skipped and counted, never a panic.
#[test]
fn quic_initial_corrupted_or_of_an_unknown_version() {
    let file = data().join("zeek-traces/testing/btest/Traces/quic/quicv2-echo-443.pcap");
    if !have(&file) {
        return;
    }
    let bytes = std::fs::read(&file).unwrap();
    // the first record of the legacy pcap (little-endian, Ethernet): the client's Initial
    let caplen = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let frame = bytes[40..40 + caplen].to_vec();
    let udp_at = 14 + usize::from(frame[14] & 0x0F) * 4 + 8;
    assert_eq!(frame[udp_at] & 0xC0, 0xC0, "a long header");
    let run = |frame: Vec<u8>| {
        let f = temp_capture("quic", &capture(&[frame]));
        netcap::analyze_path(&f, &netcap::Options::default()).unwrap()
    };
    let r = run(frame.clone());
    assert_eq!(r.tls.len(), 1, "the untouched packet gives its ClientHello");
    assert_eq!(r.tls[0].quic.as_deref(), Some("QUIC v2"));
    let mut corrupt = frame.clone();
    corrupt[udp_at + 200] ^= 0x55;
    let r = run(corrupt);
    assert!(r.tls.is_empty());
    let key = "QUIC Initial that did not decrypt (corrupted, or a server's without its client's)";
    assert_eq!(r.not_decoded.get(key), Some(&1), "{:?}", r.not_decoded);
    let mut unknown = frame.clone();
    unknown[udp_at + 1..udp_at + 5].copy_from_slice(&[0x0a, 0x1a, 0x2a, 0x3a]);
    let r = run(unknown);
    assert!(r.tls.is_empty());
    assert_eq!(r.not_decoded.get("QUIC Initial of a version not read"), Some(&1), "{:?}", r.not_decoded);
    // cut short at every length: no panic
    for n in (udp_at..frame.len()).step_by(37) {
        let _ = netcap::fuzzing::client_initial(&frame[udp_at..n], None);
    }
}
