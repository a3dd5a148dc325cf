//! QUIC Initial packets: the client's first flight carries its TLS ClientHello, protected with
//! keys anyone can derive from the Destination Connection ID (RFC 9001 section 5.2; RFC 9369
//! for QUIC version 2). Reading it gives the server name, ALPN, TLS versions and cipher suites
//! of QUIC traffic, as a TCP ClientHello does. The cryptography is RustCrypto's (HKDF, AES,
//! AES-GCM); only the packet layout is read here.

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::{AeadInPlace, Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

/// QUIC version 1 (RFC 9000) and version 2 (RFC 9369).
pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;

/// Why an Initial packet was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not a QUIC long-header Initial packet (another protocol, a short header, a Handshake or
    /// 0-RTT packet, version negotiation).
    NotInitial,
    /// A QUIC version whose Initial protection is not known here.
    Version(u32),
    /// The header is cut short or inconsistent.
    Malformed(&'static str),
    /// The authentication tag did not match with any key tried (corrupted, or a server's Initial).
    Undecryptable,
}

/// The salt and key labels of a version's Initial protection.
struct Suite {
    salt: [u8; 20],
    key: &'static [u8],
    iv: &'static [u8],
    hp: &'static [u8],
    /// The long-header packet type bits (0..=3) that mean Initial.
    initial: u8,
}

fn suite(version: u32) -> Option<Suite> {
    let hex20 = |s: &str| {
        let mut out = [0u8; 20];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).unwrap_or(0);
        }
        out
    };
    match version {
        V1 | 0xff00_0021 | 0xff00_0022 => Some(Suite {
            salt: hex20("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
            key: b"quic key",
            iv: b"quic iv",
            hp: b"quic hp",
            initial: 0,
        }),
        // drafts 29 to 32
        0xff00_001d..=0xff00_0020 => Some(Suite {
            salt: hex20("afbfec289993d24c9e9786f19c6111e04390a899"),
            key: b"quic key",
            iv: b"quic iv",
            hp: b"quic hp",
            initial: 0,
        }),
        V2 => Some(Suite {
            salt: hex20("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
            key: b"quicv2 key",
            iv: b"quicv2 iv",
            hp: b"quicv2 hp",
            initial: 1,
        }),
        _ => None,
    }
}

/// Whether this version's Initial protection is known here (v1, v2, drafts 29 to 34).
pub fn known(version: u32) -> bool {
    suite(version).is_some()
}

/// A version as people write it: "QUIC v1", "QUIC v2", "QUIC draft-29", else hex.
pub fn version_name(v: u32) -> String {
    match v {
        V1 => "QUIC v1".into(),
        V2 => "QUIC v2".into(),
        0xff00_0000..=0xff00_00ff => format!("QUIC draft-{}", v & 0xff),
        _ => format!("QUIC 0x{v:08x}"),
    }
}

/// TLS 1.3 HKDF-Expand-Label with an empty context.
fn expand_label(secret: &[u8], label: &[u8], out: &mut [u8]) {
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    // lengths here are at most 32 bytes, far below HKDF-SHA256's limit
    if let Ok(hk) = Hkdf::<Sha256>::from_prk(secret) {
        let _ = hk.expand(&info, out);
    }
}

/// The client's Initial keys (AEAD key, IV, header protection key) for a connection ID.
pub struct Keys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

fn client_keys(suite: &Suite, dcid: &[u8]) -> Keys {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(&suite.salt), dcid);
    let mut client = [0u8; 32];
    expand_label(&prk, b"client in", &mut client);
    let mut k = Keys { key: [0; 16], iv: [0; 12], hp: [0; 16] };
    expand_label(&client, suite.key, &mut k.key);
    expand_label(&client, suite.iv, &mut k.iv);
    expand_label(&client, suite.hp, &mut k.hp);
    k
}

/// A variable-length integer (RFC 9000 section 16) at `at`: its value and the next position.
pub fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(at..at + len)?;
    let mut v = u64::from(first & 0x3f);
    for x in &bytes[1..] {
        v = (v << 8) | u64::from(*x);
    }
    Some((v, at + len))
}

/// The version and connection IDs of a long-header packet, if `d` starts with one of a known
/// version (enough to tell QUIC from other UDP traffic on any port).
pub fn long_header(d: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    if d.len() < 7 || d[0] & 0xC0 != 0xC0 {
        return None;
    }
    let version = u32::from_be_bytes(d[1..5].try_into().ok()?);
    let dlen = usize::from(d[5]);
    if dlen > 20 {
        return None;
    }
    let dcid = d.get(6..6 + dlen)?;
    let slen = usize::from(*d.get(6 + dlen)?);
    if slen > 20 {
        return None;
    }
    let scid = d.get(7 + dlen..7 + dlen + slen)?;
    Some((version, dcid, scid))
}

/// CRYPTO frame data of one Initial packet, by offset in the handshake stream.
pub struct Initial {
    pub version: u32,
    pub dcid: Vec<u8>,
    pub crypto: Vec<(u64, Vec<u8>)>,
}

/// Reads a client's Initial packet at the start of a UDP datagram. Keys are derived from the
/// packet's Destination Connection ID, then from `original_dcid` (a client keeps the keys of
/// its first Initial after the server has given it a new connection ID).
pub fn client_initial(d: &[u8], original_dcid: Option<&[u8]>) -> Result<Initial, Error> {
    let (version, dcid, scid) = long_header(d).ok_or(Error::NotInitial)?;
    if version == 0 {
        return Err(Error::NotInitial);
    }
    let suite = suite(version).ok_or(Error::Version(version))?;
    if (d[0] >> 4) & 0x03 != suite.initial {
        return Err(Error::NotInitial);
    }
    let at = 7 + dcid.len() + scid.len();
    let (token_len, at) = varint(d, at).ok_or(Error::Malformed("QUIC Initial cut short"))?;
    let at = usize::try_from(token_len)
        .ok()
        .and_then(|t| at.checked_add(t))
        .ok_or(Error::Malformed("QUIC token length too large"))?;
    let (length, pn_at) = varint(d, at).ok_or(Error::Malformed("QUIC Initial cut short"))?;
    let end = usize::try_from(length)
        .ok()
        .and_then(|l| pn_at.checked_add(l))
        .filter(|e| *e <= d.len())
        .ok_or(Error::Malformed("QUIC Initial length past the datagram"))?;
    // the header-protection sample starts 4 bytes after the packet number's start
    if pn_at + 4 + 16 > end {
        return Err(Error::Malformed("QUIC Initial too short to hold a sample"));
    }
    let sample = GenericArray::clone_from_slice(&d[pn_at + 4..pn_at + 20]);
    let candidates = std::iter::once(dcid).chain(original_dcid.filter(|o| *o != dcid));
    for cid in candidates {
        let keys = client_keys(&suite, cid);
        let mut mask = sample;
        aes::Aes128::new(GenericArray::from_slice(&keys.hp)).encrypt_block(&mut mask);
        let first = d[0] ^ (mask[0] & 0x0f);
        let pn_len = usize::from(first & 0x03) + 1;
        let mut header = d[..pn_at + pn_len].to_vec();
        header[0] = first;
        // the truncated packet number is used as it is: a client's Initials are its first
        // packets, numbered from 0, far below what 1 to 4 bytes can hold (RFC 9000 A.3's
        // reconstruction only matters past that)
        let mut pn: u64 = 0;
        for i in 0..pn_len {
            header[pn_at + i] ^= mask[1 + i];
            pn = (pn << 8) | u64::from(header[pn_at + i]);
        }
        let body = &d[pn_at + pn_len..end];
        if body.len() < 16 {
            continue;
        }
        let (ciphertext, tag) = body.split_at(body.len() - 16);
        let mut nonce = keys.iv;
        for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        let mut plain = ciphertext.to_vec();
        let Ok(aead) = Aes128Gcm::new_from_slice(&keys.key) else { continue };
        if aead.decrypt_in_place_detached(Nonce::from_slice(&nonce), &header, &mut plain, Tag::from_slice(tag)).is_ok()
        {
            return Ok(Initial { version, dcid: cid.to_vec(), crypto: crypto_frames(&plain) });
        }
    }
    Err(Error::Undecryptable)
}

/// The CRYPTO frames of a decrypted Initial payload (PADDING, PING and ACK are stepped over;
/// reading stops at any other frame).
fn crypto_frames(p: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < p.len() {
        let Some((ty, next)) = varint(p, at) else { break };
        at = next;
        match ty {
            0x00 | 0x01 => {}
            0x02 | 0x03 => {
                // largest acknowledged, delay, range count, first range, then (gap, range) pairs
                let mut fields = || -> Option<()> {
                    let (_, a) = varint(p, at)?;
                    let (_, a) = varint(p, a)?;
                    let (count, a) = varint(p, a)?;
                    let (_, mut a) = varint(p, a)?;
                    for _ in 0..count.min(256) * 2 + if ty == 0x03 { 3 } else { 0 } {
                        a = varint(p, a)?.1;
                    }
                    at = a;
                    Some(())
                };
                if fields().is_none() {
                    break;
                }
            }
            0x06 => {
                let Some((offset, a)) = varint(p, at) else { break };
                let Some((len, a)) = varint(p, a) else { break };
                let Some(data) = usize::try_from(len).ok().and_then(|l| p.get(a..a.checked_add(l)?)) else { break };
                out.push((offset, data.to_vec()));
                at = a + data.len();
            }
            _ => break,
        }
    }
    out
}

/// Handshake bytes gathered from CRYPTO frames (in any order, over several packets), up to a
/// bound.
#[derive(Default)]
pub struct Handshake {
    chunks: Vec<(u64, Vec<u8>)>,
    held: usize,
}

/// The most CRYPTO data kept per connection: a ClientHello with post-quantum key shares is
/// about 2 KiB, and none is near 16 KiB.
pub const MAX_HANDSHAKE: usize = 16 * 1024;
/// CRYPTO frames kept per connection (browsers split a ClientHello into a dozen at most).
pub const MAX_CHUNKS: usize = 64;

impl Handshake {
    pub fn add(&mut self, offset: u64, data: Vec<u8>) {
        // empty frames add nothing; the chunk count is bounded as well as the bytes (crafted
        // Initials could otherwise carry hundreds of empty or one-byte frames each)
        if data.is_empty()
            || offset >= MAX_HANDSHAKE as u64
            || self.held + data.len() > 2 * MAX_HANDSHAKE
            || self.chunks.len() >= MAX_CHUNKS
        {
            return;
        }
        self.held += data.len();
        self.chunks.push((offset, data));
    }

    /// The first handshake message as a TLS record (what a TCP ClientHello looks like), once
    /// every byte of it is there.
    pub fn client_hello_record(&mut self) -> Option<Vec<u8>> {
        self.chunks.sort_by_key(|(o, _)| *o);
        let mut msg: Vec<u8> = Vec::new();
        for (offset, data) in &self.chunks {
            let o = usize::try_from(*offset).ok()?;
            if o > msg.len() {
                break;
            }
            let skip = msg.len() - o;
            if skip < data.len() {
                let room = MAX_HANDSHAKE.saturating_sub(msg.len());
                msg.extend_from_slice(&data[skip..][..(data.len() - skip).min(room)]);
            }
        }
        if msg.first() != Some(&1) || msg.len() < 4 {
            return None;
        }
        let len = 4 + ((usize::from(msg[1]) << 16) | (usize::from(msg[2]) << 8) | usize::from(msg[3]));
        if msg.len() < len || len > MAX_HANDSHAKE {
            return None;
        }
        let mut record = vec![0x16, 0x03, 0x01];
        record.extend_from_slice(&(len as u16).to_be_bytes());
        record.extend_from_slice(&msg[..len]);
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 9001 appendix A.1: the client's keys for connection ID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_client_keys() {
        let k = client_keys(&suite(V1).unwrap(), &hex("8394c8f03e515708"));
        assert_eq!(k.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(k.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
    }

    /// Protects a packet the way a client does (the inverse of `client_initial`).
    fn protect(version: u32, dcid: &[u8], key_cid: &[u8], payload: &[u8], pn: u8) -> Vec<u8> {
        let s = suite(version).unwrap();
        let keys = client_keys(&s, key_cid);
        let mut d = vec![0xC0 | (s.initial << 4), 0, 0, 0, 0];
        d[1..5].copy_from_slice(&version.to_be_bytes());
        d.push(dcid.len() as u8);
        d.extend_from_slice(dcid);
        d.extend([0, 0]); // no source connection ID, no token
        let len = 1 + payload.len() + 16;
        d.extend([0x40 | (len >> 8) as u8, len as u8]);
        let pn_at = d.len();
        d.push(pn);
        let mut nonce = keys.iv;
        nonce[11] ^= pn;
        let mut body = payload.to_vec();
        let aead = Aes128Gcm::new_from_slice(&keys.key).unwrap();
        let tag = aead.encrypt_in_place_detached(Nonce::from_slice(&nonce), &d, &mut body).unwrap();
        d.extend(body);
        d.extend(tag);
        let mut mask = GenericArray::clone_from_slice(&d[pn_at + 4..pn_at + 20]);
        aes::Aes128::new(GenericArray::from_slice(&keys.hp)).encrypt_block(&mut mask);
        d[0] ^= mask[0] & 0x0f;
        d[pn_at] ^= mask[1];
        d
    }

    #[test]
    fn initial_round_trip_both_versions_and_bad_input() {
        let hello = [1u8, 0, 0, 3, 0xAA, 0xBB, 0xCC];
        // CRYPTO in two frames, second half first, then padding
        let mut payload = vec![0x06, 0x04, 0x03];
        payload.extend(&hello[4..]);
        payload.extend([0x06, 0x00, 0x04]);
        payload.extend(&hello[..4]);
        payload.resize(200, 0);
        for v in [V1, V2] {
            let first = [1, 2, 3, 4, 5, 6, 7, 8];
            let pkt = protect(v, &first, &first, &payload, 2);
            let init = client_initial(&pkt, None).unwrap();
            assert_eq!(init.version, v);
            let mut hs = Handshake::default();
            for (o, d) in init.crypto {
                hs.add(o, d);
            }
            let rec = hs.client_hello_record().unwrap();
            assert_eq!(&rec[..5], &[0x16, 3, 1, 0, 7]);
            assert_eq!(&rec[5..], &hello);
            // a flipped byte in the ciphertext: the tag does not match
            let mut bad = pkt.clone();
            bad[40] ^= 1;
            assert_eq!(client_initial(&bad, None).err(), Some(Error::Undecryptable));
            // the original connection ID's keys still open it after the ID changed
            let moved = protect(v, &[7; 8], &first, &payload, 3);
            assert_eq!(client_initial(&moved, None).err(), Some(Error::Undecryptable));
            assert_eq!(client_initial(&moved, Some(&first)).unwrap().dcid, first);
            // cut short anywhere: an error, never a panic
            for n in 0..pkt.len() {
                assert!(client_initial(&pkt[..n], None).is_err());
            }
        }
        let mut unknown = protect(V1, &[9; 8], &[9; 8], &payload, 0);
        unknown[1..5].copy_from_slice(&0x0a0a_0a0au32.to_be_bytes());
        assert_eq!(client_initial(&unknown, None).err(), Some(Error::Version(0x0a0a_0a0a)));
        // empty frames are dropped and the chunk count is bounded
        let mut hs = Handshake::default();
        for i in 0..1000 {
            hs.add(i, vec![]);
        }
        assert!(hs.chunks.is_empty());
        for i in 0..1000 {
            hs.add(i, vec![1]);
        }
        assert_eq!(hs.chunks.len(), MAX_CHUNKS);
        // a missing middle: no ClientHello yet
        let mut hs = Handshake::default();
        hs.add(4, vec![0xAA]);
        assert!(hs.client_hello_record().is_none());
    }

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x25], 0), Some((37, 1)));
        assert_eq!(varint(&[0x7b, 0xbd], 0), Some((15293, 2)));
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d], 0), Some((494878333, 4)));
        assert_eq!(varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c], 0), Some((151288809941952652, 8)));
        assert_eq!(varint(&[0x9d, 0x7f], 0), None);
    }
}
