//! Bad captures: a clear message or a partial report, never a panic.

mod common;
use common::*;

fn analyze(bytes: Vec<u8>) -> Result<netcap::Report, String> {
    netcap::analyze_reader(Box::new(std::io::Cursor::new(bytes)), "test.pcap", &netcap::Options::default())
        .map_err(|e| e.to_string())
}

#[test]
fn credentials_are_found_and_redacted() {
    let mut f = pcap_header(1, 65535);
    let a = b"USER alice\r\n";
    let b = b"PASS s3cret\r\n";
    f.extend(record(&ftp_packet(a, 1000), 0));
    f.extend(record(&ftp_packet(b, 1000 + a.len() as u32), 0));
    let r = analyze(f.clone()).unwrap();
    let c = r.findings.iter().find(|x| x.kind == "credentials_in_clear").expect("FTP login found");
    assert_eq!((c.username.as_deref(), c.secret.as_deref()), (Some("alice"), Some("***")));
    assert_eq!(c.packets, vec![2]);
    let r = netcap::analyze_reader(
        Box::new(std::io::Cursor::new(f)),
        "t",
        &netcap::Options { show_secrets: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!(r.findings.iter().find(|x| x.kind == "credentials_in_clear").unwrap().secret.as_deref(), Some("s3cret"));
}

#[test]
fn bad_captures() {
    // zero-length and random bytes: refused with a reason
    assert!(analyze(vec![]).is_err());
    let e = analyze(b"this is not a capture at all, just text".to_vec()).unwrap_err();
    assert!(e.contains("not a pcap or pcapng"), "{e}");
    // truncated header
    assert!(analyze(pcap_header(1, 65535)[..10].to_vec()).is_err());
    // a truncated last packet: what was read is reported, with where it stopped
    let mut f = pcap_header(1, 65535);
    f.extend(record(&ftp_packet(b"USER bob\r\n", 1), 0));
    let mut cut = record(&ftp_packet(b"PASS x\r\n", 11), 0);
    cut.truncate(cut.len() - 20);
    f.extend(cut);
    let r = analyze(f).unwrap();
    assert_eq!(r.packets, 1);
    assert!(r.stopped.as_deref().is_some_and(|s| s.contains("truncated")), "{:?}", r.stopped);
    // packets cut by the snap length: read, not analysed beyond what is there
    let mut f = pcap_header(1, 30);
    let full = ftp_packet(b"PASS cut\r\n", 1);
    f.extend(record(&full[..30], full.len() as u32));
    let r = analyze(f).unwrap();
    assert_eq!(r.packets, 1);
    // an absurd length field
    let mut f = pcap_header(1, 65535);
    let mut rec = record(&ftp_packet(b"x", 1), 0);
    rec[8..12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    f.extend(rec);
    let _ = analyze(f);
    // an unsupported link type is skipped, not an error
    let mut f = pcap_header(147, 65535);
    f.extend(record(b"\x01\x02\x03", 0));
    let r = analyze(f).unwrap();
    assert_eq!(r.skipped.values().sum::<u64>(), 1);
    // pcapng with an unknown block type between known ones
    let mut ng = Vec::new();
    let shb = [
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 28, 0, 0, 0,
    ];
    ng.extend_from_slice(&shb);
    let idb = [1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0];
    ng.extend_from_slice(&idb);
    ng.extend_from_slice(&[0x99, 0x99, 0, 0, 16, 0, 0, 0, 1, 2, 3, 4, 16, 0, 0, 0]);
    let r = analyze(ng).unwrap();
    assert_eq!(r.packets, 0);
}

#[test]
fn mutated_captures_never_panic() {
    let mut base = pcap_header(1, 65535);
    base.extend(record(&ftp_packet(b"USER a\r\nPASS b\r\n", 1), 0));
    let mut x: u64 = 99;
    for round in 0..3000 {
        let mut v = base.clone();
        for _ in 0..(round % 6 + 1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if v.len() <= 24 {
                break;
            }
            let i = 24 + (x as usize) % (v.len() - 24);
            match x % 3 {
                0 => v[i] = (x >> 8) as u8,
                1 => v.truncate(i),
                _ => v.insert(i, (x >> 16) as u8),
            }
        }
        let _ = analyze(v);
    }
}

#[test]
fn periodic_connections_are_beaconing() {
    let mut f = pcap_header(1, 65535);
    for i in 0..8u32 {
        let mut p = ftp_packet(b"", 1);
        p[47] = 0x02; // SYN only
        let mut r = record(&p, 0);
        r[0..4].copy_from_slice(&(1000 + i * 60).to_le_bytes());
        f.extend(r);
    }
    let r = analyze(f).unwrap();
    let b = r.findings.iter().find(|x| x.kind == "periodic_beacon").expect("beacon");
    assert!(b.detail.contains("every 60.0 s"), "{}", b.detail);
}

/// A DNS query split into two IPv4 fragments is reassembled and read.
#[test]
fn ipv4_fragments_are_reassembled() {
    let name = b"\x08firmware\x06vendor\x07example\x00";
    let mut dns = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    dns.extend_from_slice(name);
    dns.extend_from_slice(&[0, 1, 0, 1]);
    let mut udp = Vec::new();
    udp.extend_from_slice(&5353u16.to_be_bytes());
    udp.extend_from_slice(&53u16.to_be_bytes());
    udp.extend_from_slice(&((8 + dns.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&dns);
    let frag = |payload: &[u8], offset8: u16, more: bool| {
        let mut p = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
        let total = (20 + payload.len()) as u16;
        let flags = (if more { 0x2000 } else { 0 }) | offset8;
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0xab, 0xcd]);
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&[64, 17, 0, 0, 192, 168, 1, 10, 192, 168, 1, 1]);
        p.extend_from_slice(payload);
        p
    };
    let mut f = pcap_header(1, 65535);
    f.extend(record(&frag(&udp[..16], 0, true), 0));
    f.extend(record(&frag(&udp[16..], 2, false), 0));
    let r = analyze(f).unwrap();
    assert_eq!(r.dns.iter().map(|d| d.query.as_str()).collect::<Vec<_>>(), ["firmware.vendor.example"]);
}

/// The file reader (in place, from read-ahead chunks) and the stream reader agree on every bad
/// input: the same packets read, the same refusal, a stop reported by both.
#[test]
fn file_and_stream_readers_agree() {
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("random", b"this is not a capture at all, just text".to_vec()),
        ("short-header", pcap_header(1, 65535)[..10].to_vec()),
        ("header-only", pcap_header(1, 65535)),
    ];
    let mut f = pcap_header(1, 65535);
    f.extend(record(&ftp_packet(b"USER bob\r\n", 1), 0));
    let mut cut = record(&ftp_packet(b"PASS x\r\n", 11), 0);
    cut.truncate(cut.len() - 20);
    f.extend(cut);
    cases.push(("truncated-record", f.clone()));
    f.truncate(24 + 10);
    cases.push(("truncated-record-header", f));
    let mut f = pcap_header(1, 65535);
    let mut rec = record(&ftp_packet(b"x", 1), 0);
    rec[8..12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    f.extend(record(&ftp_packet(b"USER a\r\n", 1), 0));
    f.extend(rec);
    cases.push(("absurd-length", f));
    // big-endian and nanosecond headers
    let mut be = vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1];
    let p = ftp_packet(b"USER carol\r\n", 5);
    for v in [1u32, 500, p.len() as u32, p.len() as u32] {
        be.extend_from_slice(&v.to_be_bytes());
    }
    be.extend_from_slice(&p);
    cases.push(("big-endian-nanoseconds", be));
    // many records: several read-ahead chunks, records straddling their edges
    let mut many = pcap_header(1, 65535);
    for i in 0..40_000u32 {
        many.extend(record(&ftp_packet(&vec![b'a'; (i % 50) as usize], i), 0));
    }
    cases.push(("many", many));
    for (name, bytes) in cases {
        let path = temp_capture(name, &bytes);
        let from_file = netcap::analyze_path(&path, &netcap::Options::default());
        let from_stream = analyze(bytes);
        match (&from_file, &from_stream) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.packets, b.packets, "{name}");
                assert_eq!(a.stopped.is_some(), b.stopped.is_some(), "{name}: {:?} / {:?}", a.stopped, b.stopped);
                assert_eq!(a.findings.len(), b.findings.len(), "{name}");
            }
            (Err(a), Err(_)) => assert!(a.to_string().contains(name), "the error names the file: {a}"),
            _ => {
                panic!("{name}: file {:?} vs stream {:?}", from_file.map(|r| r.packets), from_stream.map(|r| r.packets))
            }
        }
    }
}

/// Mutations through the file reader too.
#[test]
fn mutated_capture_files_never_panic() {
    let mut base = pcap_header(1, 65535);
    for i in 0..4 {
        base.extend(record(&ftp_packet(b"USER a\r\nPASS b\r\n", i * 16), 0));
    }
    let mut x: u64 = 7;
    for round in 0..400 {
        let mut v = base.clone();
        for _ in 0..(round % 5 + 1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = 24 + (x as usize) % (v.len() - 24);
            match x % 3 {
                0 => v[i] = (x >> 8) as u8,
                1 => v.truncate(i.max(25)),
                _ => v.insert(i, (x >> 16) as u8),
            }
        }
        let _ = netcap::analyze_path(&temp_capture("mutated", &v), &netcap::Options::default());
    }
}

/// Found by the capture fuzz target: a pcapng process-information block shorter than its header
/// (pcap-parser subtracts 12 from its length). Reported as unreadable, no panic, in every build.
#[test]
fn short_pcapng_process_information_block() {
    let shb_pib = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0x26, 0, 0xff, 0xff, 0xff, 0xff, 0xef,
        0xef, 0xff, 0xff, 0x1c, 0, 0, 0, 0x01, 0, 0, 0x80, 9, 0, 0, 0, 0x7a, 0, 0x40, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x31,
        0x7e,
    ];
    let r = analyze(shb_pib.to_vec()).unwrap();
    assert_eq!(r.packets, 0);
    assert!(r.stopped.as_deref().is_some_and(|s| s.contains("after 28 bytes")), "{:?}", r.stopped);
}

/// An IPv4 header around `payload` (protocol `proto`), without Ethernet.
fn ip4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2]);
    p.extend_from_slice(payload);
    p
}

/// A raw-IP capture (link type 101) of the given packets.
fn raw_capture(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = pcap_header(101, 65535);
    for p in packets {
        f.extend(record(p, 0));
    }
    f
}

/// Tunnels: nested within the bound they are followed, past it they are counted and not read;
/// headers cut short (a GRE key, a VXLAN header) are counted, never a panic.
#[test]
fn tunnels_nested_past_the_bound_and_headers_cut_short() {
    let dns = udp_packet([10, 0, 0, 5], [10, 0, 0, 53], 40000, 53, &dns_query("inner.example", 7))[14..].to_vec();
    let nest = |n: usize| (0..n).fold(dns.clone(), |p, _| ip4(4, &p));
    let r = analyze(raw_capture(&[nest(3)])).unwrap();
    assert_eq!(r.dns.len(), 1, "three IP-in-IP tunnels deep: read");
    assert_eq!(r.dns[0].client.to_string(), "10.0.0.5", "the inner host");
    let t = &r.tunnels[r.dns[0].tunnel.unwrap() as usize];
    assert_eq!((t.kind, t.inside), ("4in4", Some(1)));
    assert_eq!(r.tunnels.len(), 3);
    let r = analyze(raw_capture(&[nest(9), nest(40)])).unwrap();
    assert!(r.dns.is_empty());
    assert_eq!(r.not_decoded.get("tunnels nested past the bound (8 deep)"), Some(&2), "{:?}", r.not_decoded);
    assert!(r.tunnels.len() <= 8);

    // GRE with the key flag and the key cut off; a GRE with a checksum flag and nothing after
    let r = analyze(raw_capture(&[ip4(47, &[0x20, 0, 0x08, 0x00, 0, 0]), ip4(47, &[0x80, 0, 0x08, 0x00])])).unwrap();
    assert_eq!(r.not_decoded.get("GRE header cut short"), Some(&2), "{:?}", r.not_decoded);
    // VXLAN cut short inside its UDP datagram; a GENEVE whose options run past the packet
    let vx = udp_packet([10, 0, 0, 1], [10, 0, 0, 2], 5555, 4789, &[0x08, 0, 0, 0, 0]);
    let geneve = udp_packet([10, 0, 0, 1], [10, 0, 0, 2], 5555, 6081, &[0x3f, 0, 0x65, 0x58, 0, 0, 1, 0]);
    let r = analyze(capture(&[vx, geneve])).unwrap();
    assert_eq!(r.not_decoded.get("VXLAN header cut short"), Some(&1), "{:?}", r.not_decoded);
    assert_eq!(r.not_decoded.get("GENEVE options cut short"), Some(&1));
    // the same through the GRE and VXLAN parsers directly, cut at every length: no panic
    let frame = udp_packet([10, 0, 0, 5], [10, 0, 0, 53], 40000, 53, &dns_query("x.example", 1));
    let mut vxlan = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vxlan.extend(&frame);
    for n in 0..vxlan.len() {
        let _ = netcap::fuzzing::vxlan(&vxlan[..n]);
        let _ = analyze(capture(&[udp_packet([10, 0, 0, 1], [10, 0, 0, 2], 5555, 4789, &vxlan[..n])])).unwrap();
    }
}

/// DNS over TCP: two messages in one segment and one split over two are read; a length past
/// what the connection carries is counted when the connection ends, with no panic.
#[test]
fn dns_over_tcp_lengths() {
    let (c, s) = ([10, 0, 0, 5], [10, 0, 0, 53]);
    let framed = |m: Vec<u8>| {
        let mut v = (m.len() as u16).to_be_bytes().to_vec();
        v.extend(m);
        v
    };
    let mut two = framed(dns_query("one.example", 1));
    two.extend(framed(dns_query("two.example", 2)));
    let split = framed(dns_query("split.example", 3));
    let packets = vec![
        tcp_packet(c, s, 40001, 53, 100, &two),
        tcp_packet(c, s, 40002, 53, 500, &split[..7]),
        tcp_packet(c, s, 40002, 53, 507, &split[7..]),
    ];
    let r = analyze(capture(&packets)).unwrap();
    let mut names: Vec<&str> = r.dns.iter().map(|d| d.query.as_str()).collect();
    names.sort();
    assert_eq!(names, ["one.example", "split.example", "two.example"]);
    assert!(r.dns.iter().all(|d| d.protocol == "dns/tcp"));

    // a length past the kept stream (4 KiB), then more segments on the same connection: counted
    // once, nothing read past it, no overflow (found by fuzz/: the capture target)
    let mut long = vec![0xFF, 0xF0];
    long.extend(vec![b'a'; 1400]);
    let mut packets = Vec::new();
    for i in 0..6u32 {
        let chunk = if i == 0 { long.clone() } else { vec![b'b'; 1400] };
        let seq = if i == 0 { 7000 } else { 7000 + 1402 + (i - 1) * 1400 };
        packets.push(tcp_packet(c, s, 40004, 53, seq, &chunk));
    }
    let r = analyze(capture(&packets)).unwrap();
    assert_eq!(r.not_decoded.get("DNS over TCP message longer than the kept stream"), Some(&1), "{:?}", r.not_decoded);

    // a length of 500 with 30 bytes sent, then FIN
    let mut cut = vec![0x01, 0xF4];
    cut.extend(&dns_query("never.example", 4)[..28]);
    let mut fin = tcp_packet(c, s, 40003, 53, 900 + cut.len() as u32, b"");
    fin[47] = 0x11; // FIN|ACK
    let r = analyze(capture(&[tcp_packet(c, s, 40003, 53, 900, &cut), fin])).unwrap();
    assert!(r.dns.is_empty());
    assert_eq!(r.not_decoded.get("DNS over TCP message cut short"), Some(&1), "{:?}", r.not_decoded);
}

/// A reader that hands out at most `step` bytes per read, as pipes, sockets and buffered files do.
struct Trickle {
    data: std::io::Cursor<Vec<u8>>,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step);
        self.data.read(&mut buf[..n])
    }
}

/// A reader's short reads never look like the end of the capture (a 3 MiB capture read through
/// reads of odd sizes, as pcap, pcapng and gzip, is read whole); the platform's jobs read stored
/// captures through `analyze_reader`.
#[test]
fn short_reads_are_not_truncation() {
    let packets: Vec<Vec<u8>> = (0..2200u32)
        .map(|i| tcp_packet([192, 168, 0, 2], [192, 168, 0, 1], 40000, 80, i * 1400, &[b'A'; 1400]))
        .collect();
    let plain = capture(&packets);
    assert!(plain.len() > 3 << 20);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gz = gz.finish().unwrap();
    for (what, bytes) in [("pcap", plain.clone()), ("gzip", gz)] {
        for step in [977, 65_536, 1 << 20] {
            let r = netcap::analyze_reader(
                Box::new(Trickle { data: std::io::Cursor::new(bytes.clone()), step }),
                "t",
                &netcap::Options::default(),
            )
            .unwrap();
            assert_eq!((r.packets, r.stopped.clone()), (2200, None), "{what} in reads of {step}");
        }
    }
    // cut short: still a truncated capture, with what was read
    let cut = plain[..plain.len() - 700].to_vec();
    let r = netcap::analyze_reader(
        Box::new(Trickle { data: std::io::Cursor::new(cut), step: 977 }),
        "t",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.packets, 2199);
    assert!(r.stopped.unwrap().contains("truncated"));
}
