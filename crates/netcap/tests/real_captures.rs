//! The analyser against real captures: every capture in ../shared/data/pcap is read without a
//! panic, and the suricata-verify cases whose expectations it covers (MQTT credentials, TLS
//! server names, DNS queries, SNMP communities, FTP logins) are found.

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
