//! Capture builders shared by the tests: pcap headers and records, Ethernet/IPv4/TCP packets.
#![allow(dead_code)]

pub fn pcap_header(linktype: u32, snaplen: u32) -> Vec<u8> {
    let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    h.extend_from_slice(&snaplen.to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    h
}

pub fn record(data: &[u8], orig: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&1u32.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(&orig.to_le_bytes());
    r.extend_from_slice(data);
    r
}

/// An Ethernet/IPv4/TCP packet to port 21 carrying `payload`.
pub fn ftp_packet(payload: &[u8], seq: u32) -> Vec<u8> {
    let mut p = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    let total = 20 + 20 + payload.len();
    p.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0x40,
        0,
        64,
        6,
        0,
        0,
        192,
        168,
        1,
        10,
        203,
        0,
        113,
        5,
    ]);
    p.extend_from_slice(&40000u16.to_be_bytes());
    p.extend_from_slice(&21u16.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// An Ethernet/IPv4/TCP packet (ACK|PSH) between any two addresses and ports.
pub fn tcp_packet(src: [u8; 4], dst: [u8; 4], sp: u16, dp: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = ftp_packet(payload, seq);
    p[26..30].copy_from_slice(&src);
    p[30..34].copy_from_slice(&dst);
    p[34..36].copy_from_slice(&sp.to_be_bytes());
    p[36..38].copy_from_slice(&dp.to_be_bytes());
    p
}

/// An Ethernet/IPv4/UDP packet.
pub fn udp_packet(src: [u8; 4], dst: [u8; 4], sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    let total = (20 + 8 + payload.len()) as u16;
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0x40, 0, 64, 17, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&sp.to_be_bytes());
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// A DNS query for `name`.
pub fn dns_query(name: &str, id: u16) -> Vec<u8> {
    let mut d = id.to_be_bytes().to_vec();
    d.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        d.push(label.len() as u8);
        d.extend_from_slice(label.as_bytes());
    }
    d.extend_from_slice(&[0, 0, 1, 0, 1]);
    d
}

/// A capture of the given packets (Ethernet).
pub fn capture(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = pcap_header(1, 65535);
    for p in packets {
        f.extend(record(p, 0));
    }
    f
}

pub fn analyze_with(bytes: Vec<u8>, opts: &netcap::Options) -> Result<netcap::Report, String> {
    netcap::analyze_reader(Box::new(std::io::Cursor::new(bytes)), "test.pcap", opts).map_err(|e| e.to_string())
}

/// Writes `bytes` to a fresh file in the temporary directory and returns its path.
pub fn temp_capture(tag: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netcap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{tag}.pcap"));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A DNS answer: `name` has the IPv4 address `addr`.
pub fn dns_answer(name: &str, id: u16, addr: [u8; 4]) -> Vec<u8> {
    let mut d = dns_query(name, id);
    d[2] = 0x81;
    d[3] = 0x80;
    d[7] = 1; // one answer
    d.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    d.extend_from_slice(&addr);
    d
}
