//! Protocol findings on built captures: rlogin logins, devices given by MAC address, bounded
//! lists, UDP services that answer.

mod common;
use common::*;

const DEV: [u8; 4] = [192, 168, 1, 20];
const PEER: [u8; 4] = [192, 168, 1, 30];

fn secrets() -> netcap::Options {
    netcap::Options { show_secrets: true, ..Default::default() }
}

#[test]
fn rlogin_user_and_password() {
    let hello = b"\0alice\0root\0xterm/38400\0";
    let packets = vec![
        tcp_packet(PEER, DEV, 40001, 513, 1, hello),
        tcp_packet(DEV, PEER, 513, 40001, 1, b"\0Password: "),
        tcp_packet(PEER, DEV, 40001, 513, 1 + hello.len() as u32, b"hunter2\r"),
    ];
    let r = analyze_with(capture(&packets), &secrets()).unwrap();
    let c = r.findings.iter().find(|f| f.kind == "credentials_in_clear" && f.protocol == "rlogin").expect("rlogin");
    assert_eq!((c.username.as_deref(), c.secret.as_deref()), (Some("root"), Some("hunter2")));
    assert_eq!(c.src.to_string(), "192.168.1.30");
    assert!(r.findings.iter().any(|f| f.kind == "cleartext_protocol" && f.protocol == "rlogin"));
    // trusted-host login: no password asked, the user name alone is reported
    let r = analyze_with(capture(&packets[..1]), &secrets()).unwrap();
    let c = r.findings.iter().find(|f| f.protocol == "rlogin" && f.kind == "credentials_in_clear").unwrap();
    assert_eq!((c.username.as_deref(), c.secret.as_deref()), (Some("root"), None));
    // a client user that never ends (no NUL) is not a login
    let r = analyze_with(capture(&[tcp_packet(PEER, DEV, 40001, 513, 1, &[b'a'; 3000])]), &secrets()).unwrap();
    assert!(!r.findings.iter().any(|f| f.kind == "credentials_in_clear"));
}

#[test]
fn devices_given_by_mac_address() {
    // frames from the device's MAC (02:00:00:00:00:99) carry its IP address, which is learnt
    let mut from_dev = udp_packet(DEV, [8, 8, 8, 8], 40000, 53, &dns_query("cloud.vendor.example", 1));
    from_dev[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 0x99]);
    let other = udp_packet(PEER, [8, 8, 4, 4], 40000, 53, &dns_query("other.example", 2));
    let opts = netcap::Options { devices: vec!["02:00:00:00:00:99".into()], ..Default::default() };
    let r = analyze_with(capture(&[from_dev.clone(), other.clone()]), &opts).unwrap();
    let devices: Vec<String> = r.endpoints.iter().map(|e| e.device.to_string()).collect();
    assert_eq!(devices, ["192.168.1.20"], "only the device's traffic");
    assert_eq!(r.dns.len(), 1);
    // dashes, upper case, and IP addresses work too; anything else is refused
    for ok in ["02-00-00-00-00-99", "02:00:00:00:00:9A", "192.168.1.20", "fe80::1"] {
        assert!(netcap::Options { devices: vec![ok.into()], ..Default::default() }.validate().is_ok(), "{ok}");
    }
    for bad in ["camera", "02:00:00:00:00", "02:00:00:00:00:zz", "300.1.1.1", ""] {
        let e = netcap::Options { devices: vec![bad.into()], ..Default::default() }.validate().unwrap_err();
        assert!(matches!(e, netcap::Error::BadOptions(_)) && e.to_string().contains("not an IP or MAC address"), "{e}");
        let o = netcap::Options { devices: vec![bad.into()], ..Default::default() };
        assert!(analyze_with(capture(std::slice::from_ref(&other)), &o).is_err());
    }
}

#[test]
fn lists_are_bounded_and_repeats_merged() {
    let mut packets = Vec::new();
    for i in 0..30u16 {
        packets.push(udp_packet(DEV, [10, 0, 0, 1], 40000 + i, 53, &dns_query(&format!("n{i}.example"), i)));
    }
    for i in 0..5u16 {
        packets.push(udp_packet(DEV, [10, 0, 0, 1], 41000 + i, 53, &dns_query("n0.example", 100 + i)));
    }
    let opts = netcap::Options {
        bounds: netcap::Bounds { endpoints: 1000, entries: 10, findings: 1000 },
        ..Default::default()
    };
    let r = analyze_with(capture(&packets), &opts).unwrap();
    assert_eq!(r.dns.len(), 10);
    assert_eq!(r.not_listed.get("dns"), Some(&20));
    assert_eq!(r.dns[0].count, 6, "a repeated question is one entry with a count");
    assert_eq!(r.packets, 35, "packets past a bound still count");
    let opts =
        netcap::Options { bounds: netcap::Bounds { endpoints: 0, entries: 10, findings: 0 }, ..Default::default() };
    let r = analyze_with(capture(&packets), &opts).unwrap();
    assert!(r.endpoints.is_empty() && r.findings.is_empty());
    assert_eq!(r.not_listed.get("endpoints"), Some(&35));
}

#[test]
fn udp_services_that_answer() {
    // SNMP: a request to the device's port 161 and its answer
    let get = [0x30, 0x0b, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c'];
    let packets = vec![udp_packet(PEER, DEV, 40000, 161, &get), udp_packet(DEV, PEER, 161, 40000, &get)];
    let r = analyze_with(capture(&packets), &secrets()).unwrap();
    let l = r.findings.iter().find(|f| f.kind == "listening_service").expect("snmp answers");
    assert_eq!((l.protocol, l.src.to_string().as_str()), ("snmp", "192.168.1.20"));
    assert!(r.findings.iter().any(|f| f.protocol == "snmp" && f.secret.as_deref() == Some("public")));
    // an answer nobody asked for is not a listening service
    let r = analyze_with(capture(&packets[1..]), &secrets()).unwrap();
    assert!(!r.findings.iter().any(|f| f.kind == "listening_service"));
    // SSDP: a search sent to the multicast group, answered by the device
    let search = udp_packet(PEER, [239, 255, 255, 250], 50000, 1900, b"M-SEARCH * HTTP/1.1\r\n\r\n");
    let answer = udp_packet(DEV, PEER, 1900, 50000, b"HTTP/1.1 200 OK\r\nSERVER: Linux UPnP/1.0 Cam/2\r\n\r\n");
    let r = analyze_with(capture(&[search, answer]), &secrets()).unwrap();
    assert!(r.findings.iter().any(|f| f.kind == "listening_service" && f.protocol == "upnp"));
    assert!(r.names.iter().any(|n| n.name.contains("Cam/2")), "{:?}", r.names);
}

#[test]
fn hardcoded_addresses_are_those_not_named_before_contact() {
    const CLOUD: [u8; 4] = [203, 0, 113, 9];
    const NAMED: [u8; 4] = [203, 0, 113, 10];
    let resolver = [192, 168, 1, 1];
    let packets = vec![
        // named first, then contacted: fine
        udp_packet(resolver, DEV, 53, 40000, &dns_answer("api.vendor.example", 1, NAMED)),
        tcp_packet(DEV, NAMED, 40001, 443, 1, b"x"),
        // contacted first, named only afterwards: hard-coded
        tcp_packet(DEV, CLOUD, 40002, 8883, 1, b"x"),
        udp_packet(resolver, DEV, 53, 40003, &dns_answer("late.vendor.example", 2, CLOUD)),
    ];
    let r = analyze_with(capture(&packets), &netcap::Options::default()).unwrap();
    let hard: Vec<_> = r.findings.iter().filter(|f| f.kind == "hardcoded_address").collect();
    assert_eq!(hard.len(), 1, "{hard:?}");
    assert_eq!(hard[0].dst.to_string(), "203.0.113.9");
    assert!(hard[0].detail.contains("late.vendor.example") && hard[0].detail.contains("8883"), "{}", hard[0].detail);
    // the endpoint table names both
    assert!(r.endpoints.iter().any(|e| e.name.as_deref() == Some("api.vendor.example") && e.port == 443));
}

/// Rotated captures read as one: a login split across two files is found, a name learnt in the
/// first file names the address contacted in the second, packet numbers count on.
#[test]
fn several_files_are_one_capture() {
    const SERVER: [u8; 4] = [203, 0, 113, 21];
    let user = b"USER dave\r\n";
    let first = capture(&[
        udp_packet([192, 168, 1, 1], DEV, 53, 40000, &dns_answer("ftp.vendor.example", 1, SERVER)),
        tcp_packet(DEV, SERVER, 40001, 21, 1, user),
    ]);
    let second = capture(&[tcp_packet(DEV, SERVER, 40001, 21, 1 + user.len() as u32, b"PASS pw\r\n")]);
    let (a, b) = (temp_capture("rotated-1", &first), temp_capture("rotated-2", &second));
    let r = netcap::analyze_paths(&[&a, &b], &secrets()).unwrap();
    assert_eq!((r.files.len(), r.packets), (2, 3));
    let c = r.findings.iter().find(|f| f.kind == "credentials_in_clear").expect("login across files");
    assert_eq!(
        (c.username.as_deref(), c.secret.as_deref(), c.packets.as_slice()),
        (Some("dave"), Some("pw"), &[3][..])
    );
    assert!(!r.findings.iter().any(|f| f.kind == "hardcoded_address"), "{:?}", r.findings);
    // one file alone does not see the other's name
    let r = netcap::analyze_path(&b, &secrets()).unwrap();
    assert!(r.findings.iter().any(|f| f.kind == "hardcoded_address"));
    // a bad file among good ones: refused, named
    let bad = temp_capture("rotated-bad", b"garbage garbage garbage garbage");
    let e = netcap::analyze_paths(&[&a, &bad], &secrets()).unwrap_err();
    assert!(matches!(e, netcap::Error::Unreadable(_)) && e.to_string().contains("rotated-bad"), "{e}");
}

/// A full flow table drops the least recently active half, not everything: a login in
/// progress survives thousands of idle connections (and the table stays bounded).
#[test]
fn full_flow_table_keeps_recent_flows() {
    let idle = |i: u32| tcp_packet([10, 9, (i >> 8) as u8, i as u8], [203, 0, 113, 50], 30000, 21, 1, b"NOOP\r\n");
    let mut packets: Vec<Vec<u8>> = (0..6000).map(idle).collect();
    let user = b"USER erin\r\n";
    packets.push(tcp_packet(DEV, [203, 0, 113, 51], 40000, 21, 1, user));
    packets.extend((6000..8500).map(idle));
    packets.push(tcp_packet(DEV, [203, 0, 113, 51], 40000, 21, 1 + user.len() as u32, b"PASS pw2\r\n"));
    let r = analyze_with(capture(&packets), &secrets()).unwrap();
    let c = r.findings.iter().find(|f| f.kind == "credentials_in_clear" && f.username.as_deref() == Some("erin"));
    assert_eq!(c.and_then(|c| c.secret.as_deref()), Some("pw2"), "the login survived the eviction");
}

/// A telnet login after a banner longer than the kept stream prefix is still found: the
/// server's prompts are looked for in every segment.
#[test]
fn telnet_login_after_a_long_banner() {
    let banner = vec![b'#'; 3000];
    let packets = vec![
        tcp_packet(DEV, PEER, 23, 40100, 1, &banner),
        tcp_packet(DEV, PEER, 23, 40100, 3001, &banner),
        tcp_packet(DEV, PEER, 23, 40100, 6001, b"\r\ncamera login: "),
        tcp_packet(PEER, DEV, 40100, 23, 1, b"admin\r\n"),
        tcp_packet(DEV, PEER, 23, 40100, 6017, b"Password: "),
        tcp_packet(PEER, DEV, 40100, 23, 8, b"12345\r\n"),
    ];
    let r = analyze_with(capture(&packets), &secrets()).unwrap();
    let c = r.findings.iter().find(|f| f.kind == "credentials_in_clear" && f.protocol == "telnet").expect("login");
    assert_eq!((c.username.as_deref(), c.secret.as_deref()), (Some("admin"), Some("12345")));
}
