//! Tunnels: the headers cloud mirroring, mobile networks, VPNs and carriers wrap traffic in.
//! Each function takes what follows the outer header (an IP payload, a UDP payload, an
//! Ethernet payload) and says what is inside, so the analyser can read the inner packet as if
//! it had been captured on its own. Written by hand: each header is a few fixed fields, and no
//! maintained crate decodes this set (etherparse reads VLAN and IP, not GRE, VXLAN, GENEVE,
//! GTP-U, MPLS or PPPoE).

/// What a tunnel header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An Ethernet frame (transparent bridging: VXLAN, GENEVE, GRE 0x6558, ERSPAN).
    Ethernet(&'a [u8]),
    /// An IPv4 or IPv6 packet.
    Ip(&'a [u8]),
    /// A PPP frame (PPTP's enhanced GRE).
    Ppp(&'a [u8]),
    /// An MPLS label stack (MPLS over GRE).
    Mpls(&'a [u8]),
    /// An 802.11 frame (Aruba access points send their clients' frames to the controller in GRE).
    Wifi(&'a [u8]),
}

/// The tunnel one packet went through: its kind and its identifier where the header has one
/// (VXLAN/GENEVE VNI, GRE key, GTP-U TEID, ERSPAN session, MPLS label, PPPoE session, PPTP call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    pub kind: &'static str,
    pub id: Option<u32>,
}

/// The result of reading a tunnel header.
#[derive(Debug, PartialEq, Eq)]
pub enum Decap<'a> {
    /// A tunnel and what it carries.
    Inner(Tunnel, Inner<'a>),
    /// A tunnel header that is cut short or inconsistent: the packet is counted, not read.
    Malformed(&'static str),
    /// Not this tunnel after all (another protocol on the port, a control message): the packet
    /// is read as it is.
    Not,
}

fn u16at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// What an EtherType (GRE, GENEVE, Ethernet and Linux cooked captures use the same numbers)
/// says follows; `None` for types not read.
pub fn by_ethertype(ty: u16, payload: &[u8]) -> Option<Inner<'_>> {
    match ty {
        0x0800 | 0x86DD => Some(Inner::Ip(payload)),
        0x6558 => Some(Inner::Ethernet(payload)),
        0x8847 | 0x8848 => Some(Inner::Mpls(payload)),
        0x880B => Some(Inner::Ppp(payload)),
        // Aruba's GRE protocol types for 802.11 frames
        0x8200..=0x8370 | 0x9000 if ty & 0x000F == 0 => Some(Inner::Wifi(payload)),
        _ => None,
    }
}

/// GRE (IP protocol 47, or UDP port 4754): RFC 2784/2890, PPTP's enhanced GRE (RFC 2637), and
/// ERSPAN types I, II and III carried in it.
pub fn gre(p: &[u8]) -> Decap<'_> {
    let (Some(&b0), Some(&b1), Some(proto)) = (p.first(), p.get(1), u16at(p, 2)) else {
        return Decap::Malformed("GRE header cut short");
    };
    let (checksum, routing, key, seq) = (b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x20 != 0, b0 & 0x10 != 0);
    let version = b1 & 0x07;
    let (len, id) = match version {
        0 => {
            if routing {
                // source routing (RFC 1701) is obsolete and variable-length: not read
                return Decap::Malformed("GRE with source routing");
            }
            let key_at = 4 + if checksum { 4 } else { 0 };
            let id = if key { u32at(p, key_at) } else { None };
            (key_at + if key { 4 } else { 0 } + if seq { 4 } else { 0 }, id)
        }
        1 => {
            // enhanced GRE: the key holds the payload length and the call id; an acknowledgment
            // number may follow the sequence number
            if !key {
                return Decap::Malformed("PPTP GRE without its key field");
            }
            let ack = b1 & 0x80 != 0;
            (8 + if seq { 4 } else { 0 } + if ack { 4 } else { 0 }, u16at(p, 6).map(u32::from))
        }
        _ => return Decap::Not,
    };
    let Some(payload) = p.get(len..) else { return Decap::Malformed("GRE header cut short") };
    if id.is_none() && key {
        return Decap::Malformed("GRE header cut short");
    }
    match proto {
        // ERSPAN type II has a sequence number and an 8-byte header; type I has neither
        0x88BE if seq => match payload.get(8..) {
            Some(frame) => {
                Decap::Inner(Tunnel { kind: "erspan-ii", id: erspan_session(payload) }, Inner::Ethernet(frame))
            }
            None => Decap::Malformed("ERSPAN header cut short"),
        },
        0x88BE => Decap::Inner(Tunnel { kind: "erspan-i", id: None }, Inner::Ethernet(payload)),
        0x22EB => {
            // ERSPAN type III: 12 bytes, then an 8-byte platform sub-header when O is set
            let Some(&flags) = payload.get(11) else { return Decap::Malformed("ERSPAN header cut short") };
            let at = 12 + if flags & 0x01 != 0 { 8 } else { 0 };
            match payload.get(at..) {
                Some(frame) => {
                    Decap::Inner(Tunnel { kind: "erspan-iii", id: erspan_session(payload) }, Inner::Ethernet(frame))
                }
                None => Decap::Malformed("ERSPAN header cut short"),
            }
        }
        _ => match by_ethertype(proto, payload) {
            Some(inner) => Decap::Inner(Tunnel { kind: if version == 1 { "pptp" } else { "gre" }, id }, inner),
            None => Decap::Malformed("GRE payload type not read"),
        },
    }
}

/// An ERSPAN header's session id (10 bits, types II and III alike).
fn erspan_session(h: &[u8]) -> Option<u32> {
    u16at(h, 2).map(|s| u32::from(s & 0x03FF))
}

/// VXLAN (UDP port 4789, RFC 7348): 8 bytes with the I flag and a 24-bit VNI, then Ethernet.
pub fn vxlan(p: &[u8]) -> Decap<'_> {
    let Some(h) = p.get(..8) else { return Decap::Malformed("VXLAN header cut short") };
    if h[0] & 0x08 == 0 {
        return Decap::Not;
    }
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    Decap::Inner(Tunnel { kind: "vxlan", id: Some(vni) }, Inner::Ethernet(&p[8..]))
}

/// GENEVE (UDP port 6081, RFC 8926): 8 bytes and options, a protocol type and a 24-bit VNI.
pub fn geneve(p: &[u8]) -> Decap<'_> {
    let Some(h) = p.get(..8) else { return Decap::Malformed("GENEVE header cut short") };
    if h[0] >> 6 != 0 {
        return Decap::Not;
    }
    let len = 8 + usize::from(h[0] & 0x3F) * 4;
    let Some(payload) = p.get(len..) else { return Decap::Malformed("GENEVE options cut short") };
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    match by_ethertype(u16::from_be_bytes([h[2], h[3]]), payload) {
        Some(inner) => Decap::Inner(Tunnel { kind: "geneve", id: Some(vni) }, inner),
        None => Decap::Malformed("GENEVE payload type not read"),
    }
}

/// GTP-U (UDP port 2152, 3GPP TS 29.281): a G-PDU carries a user's IP packet; other messages
/// (echo, error indication, end marker) carry none.
pub fn gtp_u(p: &[u8]) -> Decap<'_> {
    let (Some(&flags), Some(&ty)) = (p.first(), p.get(1)) else { return Decap::Malformed("GTP-U header cut short") };
    if flags >> 5 != 1 || flags & 0x10 == 0 {
        return Decap::Not; // not GTP version 1, or GTP' (charging)
    }
    if ty != 0xFF {
        return Decap::Not;
    }
    let Some(teid) = u32at(p, 4) else { return Decap::Malformed("GTP-U header cut short") };
    let mut at = 8;
    if flags & 0x07 != 0 {
        // sequence number, N-PDU number and the next extension header type, which means
        // something only when E is set
        let Some(&next) = p.get(11) else { return Decap::Malformed("GTP-U header cut short") };
        at = 12;
        let mut next = if flags & 0x04 != 0 { next } else { 0 };
        let mut hops = 0;
        while next != 0 {
            // each extension: length in 4-byte units, content, the next type in its last byte
            let Some(&units) = p.get(at) else { return Decap::Malformed("GTP-U extension header cut short") };
            hops += 1;
            if units == 0 || hops > 16 {
                return Decap::Malformed("GTP-U extension header malformed");
            }
            let end = at + usize::from(units) * 4;
            let Some(&n) = p.get(end - 1) else { return Decap::Malformed("GTP-U extension header cut short") };
            next = n;
            at = end;
        }
    }
    match p.get(at..) {
        Some(ip) if ip.first().is_some_and(|b| matches!(b >> 4, 4 | 6)) => {
            Decap::Inner(Tunnel { kind: "gtp-u", id: Some(teid) }, Inner::Ip(ip))
        }
        Some([]) => Decap::Not,
        Some(_) => Decap::Malformed("GTP-U payload is not IP"),
        None => Decap::Malformed("GTP-U header cut short"),
    }
}

/// Teredo (UDP port 3544, RFC 4380): IPv6 in UDP, after optional authentication and origin
/// indication headers. Bubbles (no payload) and other traffic on the port are not tunnels.
pub fn teredo(p: &[u8]) -> Decap<'_> {
    let mut at = 0;
    if u16at(p, 0) == Some(0x0001) {
        // authentication: id length, auth length, id, auth, nonce (8), confirmation (1)
        let (Some(&idl), Some(&aul)) = (p.get(2), p.get(3)) else { return Decap::Not };
        at = 4 + usize::from(idl) + usize::from(aul) + 9;
    }
    if u16at(p, at) == Some(0x0000) {
        at += 8;
    }
    match p.get(at..) {
        // an IPv6 header with a payload (bubbles carry none)
        Some(ip) if ip.len() > 40 && ip[0] >> 4 == 6 => {
            Decap::Inner(Tunnel { kind: "teredo", id: None }, Inner::Ip(ip))
        }
        _ => Decap::Not,
    }
}

/// AYIYA (UDP port 5072, "anything in anything"): an identity and a signature whose lengths
/// the header gives, then IPv6 or IPv4 for the forward operation.
pub fn ayiya(p: &[u8]) -> Decap<'_> {
    let Some(h) = p.get(..8) else { return Decap::Malformed("AYIYA header cut short") };
    let (id_len, sig_len, opcode, next) = (1usize << (h[0] >> 4), usize::from(h[1] >> 4) * 4, h[2] & 0x0F, h[3]);
    if opcode != 1 || !matches!(next, 4 | 41) {
        return Decap::Not; // heartbeats and queries carry no packet
    }
    match p.get(8 + id_len + sig_len..) {
        Some(ip) if !ip.is_empty() => Decap::Inner(Tunnel { kind: "ayiya", id: None }, Inner::Ip(ip)),
        _ => Decap::Malformed("AYIYA header cut short"),
    }
}

/// An MPLS label stack (EtherType 0x8847/0x8848): labels up to the bottom of the stack, then
/// IPv4, IPv6, or Ethernet behind a pseudowire control word.
pub fn mpls(p: &[u8]) -> Decap<'_> {
    let mut at = 0;
    let mut top = None;
    for _ in 0..16 {
        let Some(entry) = u32at(p, at) else { return Decap::Malformed("MPLS label stack cut short") };
        top.get_or_insert(entry >> 12);
        at += 4;
        if entry & 0x100 != 0 {
            let tunnel = Tunnel { kind: "mpls", id: top };
            return match p.get(at).map(|b| b >> 4) {
                Some(4 | 6) => Decap::Inner(tunnel, Inner::Ip(&p[at..])),
                Some(0) => match p.get(at + 4..) {
                    Some(frame) if frame.len() >= 14 => Decap::Inner(tunnel, Inner::Ethernet(frame)),
                    _ => Decap::Malformed("MPLS pseudowire cut short"),
                },
                Some(_) => Decap::Malformed("MPLS payload not read"),
                None => Decap::Malformed("MPLS label stack cut short"),
            };
        }
    }
    Decap::Malformed("MPLS label stack deeper than 16")
}

/// A PPPoE session frame (EtherType 0x8864): 6 bytes, then PPP.
pub fn pppoe(p: &[u8]) -> Decap<'_> {
    let (Some(&vt), Some(&code), Some(session)) = (p.first(), p.get(1), u16at(p, 2)) else {
        return Decap::Malformed("PPPoE header cut short");
    };
    if vt != 0x11 || code != 0 {
        return Decap::Not;
    }
    match p.get(6..) {
        Some(ppp) => Decap::Inner(Tunnel { kind: "pppoe", id: Some(u32::from(session)) }, Inner::Ppp(ppp)),
        None => Decap::Malformed("PPPoE header cut short"),
    }
}

/// An Ethernet frame's EtherType and payload, past any 802.1Q / 802.1ad / QinQ tags; an
/// 802.3 frame with an LLC/SNAP header gives the EtherType in its SNAP header.
pub fn ethernet(frame: &[u8]) -> Option<(u16, &[u8])> {
    let mut at = 12;
    for _ in 0..4 {
        let ty = u16at(frame, at)?;
        if matches!(ty, 0x8100 | 0x88A8 | 0x9100) {
            at += 4;
            continue;
        }
        if ty < 0x0600 {
            // a length: 802.3 with LLC; only SNAP (AA AA 03, OUI, EtherType) carries IP
            let llc = frame.get(at + 2..at + 10)?;
            return if llc[..3] == [0xAA, 0xAA, 0x03] {
                Some((u16::from_be_bytes([llc[6], llc[7]]), frame.get(at + 10..)?))
            } else {
                None
            };
        }
        return Some((ty, frame.get(at + 2..)?));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: [u8; 20] = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn gre_variants() {
        // plain, with key and sequence number
        let p = cat(&[&[0x30, 0, 0x08, 0x00], &[0, 0, 0, 42], &[0, 0, 0, 7], &IP]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "gre", id: Some(42) }, Inner::Ip(&IP)));
        // with a checksum
        let p = cat(&[&[0x80, 0, 0x86, 0xDD], &[0, 0, 0, 0], &IP]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "gre", id: None }, Inner::Ip(&IP)));
        // a key flag with the key cut off
        assert_eq!(gre(&[0x20, 0, 0x08, 0x00, 0, 0]), Decap::Malformed("GRE header cut short"));
        assert_eq!(gre(&[0x20, 0]), Decap::Malformed("GRE header cut short"));
        // ERSPAN II (sequence flag), session 0x123
        let frame = [0u8; 14];
        let p = cat(&[&[0x10, 0, 0x88, 0xBE], &[0, 0, 0, 1], &[0x10, 0, 0x01, 0x23, 0, 0, 0, 0], &frame]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "erspan-ii", id: Some(0x123) }, Inner::Ethernet(&frame)));
        // ERSPAN I (no sequence flag): Ethernet straight away
        let p = cat(&[&[0, 0, 0x88, 0xBE], &frame]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "erspan-i", id: None }, Inner::Ethernet(&frame)));
        // ERSPAN III with the platform sub-header
        let mut h3 = vec![0x20, 0, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x01];
        h3.extend([0u8; 8]);
        let p = cat(&[&[0x10, 0, 0x22, 0xEB], &[0, 0, 0, 1], &h3, &frame]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "erspan-iii", id: Some(5) }, Inner::Ethernet(&frame)));
        assert_eq!(gre(&[0x10, 0, 0x22, 0xEB, 0, 0, 0, 1, 0x20]), Decap::Malformed("ERSPAN header cut short"));
        // PPTP: key holds length and call id 9, with sequence and acknowledgment
        let ppp = [0xFF, 0x03, 0x00, 0x21];
        let p = cat(&[&[0x30, 0x81, 0x88, 0x0B, 0, 4, 0, 9], &[0, 0, 0, 1], &[0, 0, 0, 0], &ppp]);
        assert_eq!(gre(&p), Decap::Inner(Tunnel { kind: "pptp", id: Some(9) }, Inner::Ppp(&ppp)));
    }

    #[test]
    fn udp_tunnels() {
        let frame = [0u8; 14];
        let p = cat(&[&[0x08, 0, 0, 0, 0, 0x01, 0x02, 0], &frame]);
        assert_eq!(vxlan(&p), Decap::Inner(Tunnel { kind: "vxlan", id: Some(0x102) }, Inner::Ethernet(&frame)));
        assert_eq!(vxlan(&p[..5]), Decap::Malformed("VXLAN header cut short"));
        assert_eq!(vxlan(&[0u8; 20]), Decap::Not);
        // GENEVE with one 4-byte option, carrying IPv4
        let p = cat(&[&[0x01, 0, 0x08, 0x00, 0, 0, 7, 0], &[1, 2, 3, 4], &IP]);
        assert_eq!(geneve(&p), Decap::Inner(Tunnel { kind: "geneve", id: Some(7) }, Inner::Ip(&IP)));
        assert_eq!(geneve(&p[..10]), Decap::Malformed("GENEVE options cut short"));
        // GTP-U G-PDU with an extension header (PDU session container)
        let p = cat(&[&[0x34, 0xFF, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 0x85], &[1, 0x10, 0x05, 0x00], &IP]);
        assert_eq!(gtp_u(&p), Decap::Inner(Tunnel { kind: "gtp-u", id: Some(0x1001) }, Inner::Ip(&IP)));
        // an echo request is not a tunnel; a G-PDU cut short is malformed
        assert_eq!(gtp_u(&[0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]), Decap::Not);
        assert_eq!(gtp_u(&[0x30, 0xFF, 0, 0, 0]), Decap::Malformed("GTP-U header cut short"));
        // a sequence number without E: byte 11 is not an extension type
        let p = cat(&[&[0x32, 0xFF, 0, 0, 0, 0, 0, 9, 0, 1, 0, 0x85], &IP]);
        assert_eq!(gtp_u(&p), Decap::Inner(Tunnel { kind: "gtp-u", id: Some(9) }, Inner::Ip(&IP)));
        // an extension header whose length runs past the packet
        assert_eq!(
            gtp_u(&[0x34, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 9]),
            Decap::Malformed("GTP-U extension header cut short")
        );
        assert_eq!(
            gtp_u(&[0x34, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 0]),
            Decap::Malformed("GTP-U extension header malformed")
        );
    }

    #[test]
    fn mpls_pppoe_vlan() {
        let p = cat(&[&[0x00, 0x01, 0x00, 0x40], &[0x00, 0x02, 0x01, 0x40], &IP]);
        assert_eq!(mpls(&p), Decap::Inner(Tunnel { kind: "mpls", id: Some(16) }, Inner::Ip(&IP)));
        assert_eq!(mpls(&[0x00, 0x01, 0x00, 0x40]), Decap::Malformed("MPLS label stack cut short"));
        assert_eq!(mpls(&[0u8; 80]), Decap::Malformed("MPLS label stack deeper than 16"));
        let ppp = [0x00, 0x21, 0x45];
        let p = cat(&[&[0x11, 0x00, 0x12, 0x34, 0x00, 0x03], &ppp]);
        assert_eq!(pppoe(&p), Decap::Inner(Tunnel { kind: "pppoe", id: Some(0x1234) }, Inner::Ppp(&ppp)));
        assert_eq!(pppoe(&[0x11, 0x00]), Decap::Malformed("PPPoE header cut short"));
        let mut frame = vec![0u8; 12];
        frame.extend([0x88, 0xA8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00]);
        frame.extend(IP);
        assert_eq!(ethernet(&frame), Some((0x0800, &IP[..])));
        assert_eq!(ethernet(&frame[..14]), None);
        // 802.3 with LLC/SNAP
        let mut snap = vec![0u8; 12];
        snap.extend([0x00, 0x30, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]);
        snap.extend(IP);
        assert_eq!(ethernet(&snap), Some((0x0800, &IP[..])));
        // 802.3 with another LLC (spanning tree): no IP
        let mut stp = vec![0u8; 12];
        stp.extend([0x00, 0x26, 0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
        assert_eq!(ethernet(&stp), None);
    }

    #[test]
    fn ayiya_and_aruba() {
        // identity 2^4 = 16 bytes, signature 5 words = 20 bytes, forward, IPv4
        let mut p = vec![0x41, 0x52, 0x11, 4, 0, 0, 0, 0];
        p.extend([0u8; 36]);
        p.extend(IP);
        assert_eq!(ayiya(&p), Decap::Inner(Tunnel { kind: "ayiya", id: None }, Inner::Ip(&IP)));
        assert_eq!(ayiya(&p[..30]), Decap::Malformed("AYIYA header cut short"));
        p[2] = 0x10; // a heartbeat
        assert_eq!(ayiya(&p), Decap::Not);
        let wifi = [0x08u8, 0x01];
        let g = cat(&[&[0, 0, 0x82, 0x00], &wifi]);
        assert_eq!(gre(&g), Decap::Inner(Tunnel { kind: "gre", id: None }, Inner::Wifi(&wifi)));
    }

    #[test]
    fn teredo_with_origin_indication() {
        let mut ip6 = vec![0x60u8; 1];
        ip6.resize(48, 0);
        let p = cat(&[&[0, 0, 0x12, 0x34, 1, 2, 3, 4], &ip6]);
        assert_eq!(teredo(&p), Decap::Inner(Tunnel { kind: "teredo", id: None }, Inner::Ip(&ip6)));
        // a bubble: an IPv6 header with no payload
        assert_eq!(teredo(&ip6[..40]), Decap::Not);
    }
}
