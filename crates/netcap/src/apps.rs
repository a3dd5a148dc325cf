//! Application protocols: just enough of each to find names, credentials and versions.

use base64::Engine;

/// A DNS message: queries and (name, address) answers.
pub struct Dns {
    pub response: bool,
    pub queries: Vec<String>,
    pub answers: Vec<(String, String)>,
    /// PTR and SRV targets (service instance and host names, as mDNS announces them).
    pub targets: Vec<String>,
}

fn dns_name(msg: &[u8], mut at: usize, depth: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(at)? as usize;
        if len == 0 {
            at += 1;
            break;
        }
        if len & 0xC0 == 0xC0 {
            let ptr = ((len & 0x3F) << 8) | *msg.get(at + 1)? as usize;
            if depth > 16 || ptr >= msg.len() {
                return None;
            }
            let (rest, _) = dns_name(msg, ptr, depth + 1)?;
            if !rest.is_empty() {
                labels.push(rest);
            }
            end.get_or_insert(at + 2);
            return Some((labels.join("."), end.unwrap_or(at + 2)));
        }
        let label = msg.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + len;
    }
    Some((labels.join("."), end.unwrap_or(at)))
}

pub fn dns(msg: &[u8]) -> Option<Dns> {
    if msg.len() < 12 {
        return None;
    }
    let response = msg[2] & 0x80 != 0;
    let qd = u16::from_be_bytes([msg[4], msg[5]]) as usize;
    let an = u16::from_be_bytes([msg[6], msg[7]]) as usize;
    if (qd == 0 && an == 0) || qd > 32 || an > 256 {
        return None;
    }
    let mut at = 12;
    let mut queries = Vec::new();
    for _ in 0..qd {
        let (name, next) = dns_name(msg, at, 0)?;
        at = next + 4;
        queries.push(name);
    }
    let mut answers = Vec::new();
    let mut targets = Vec::new();
    // answers are read while they make sense: a malformed record ends them, the questions stay
    let mut record = |at: usize| -> Option<usize> {
        let (name, next) = dns_name(msg, at, 0)?;
        let ty = u16::from_be_bytes([*msg.get(next)?, *msg.get(next + 1)?]);
        let rdlen = u16::from_be_bytes([*msg.get(next + 8)?, *msg.get(next + 9)?]) as usize;
        let rd = msg.get(next + 10..next + 10 + rdlen)?;
        match (ty, rd.len()) {
            (1, 4) => answers.push((name, std::net::Ipv4Addr::new(rd[0], rd[1], rd[2], rd[3]).to_string())),
            (28, 16) => {
                let b: [u8; 16] = rd.try_into().ok()?;
                answers.push((name, std::net::Ipv6Addr::from(b).to_string()));
            }
            (12, _) => {
                if let Some((target, _)) = dns_name(msg, next + 10, 0) {
                    targets.push(target);
                }
            }
            (33, n) if n > 6 => {
                if let Some((target, _)) = dns_name(msg, next + 16, 0) {
                    targets.push(target);
                }
            }
            _ => {}
        }
        Some(next + 10 + rdlen)
    };
    for _ in 0..an {
        match record(at) {
            Some(next) => at = next,
            None => break,
        }
    }
    Some(Dns { response, queries, answers, targets })
}

pub struct ClientHello {
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub versions: Vec<u16>,
    pub ciphers: Vec<u16>,
}

/// Case-insensitive search of an ASCII needle in bytes.
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// GREASE values (RFC 8701) clients put among versions and cipher suites: not real offers.
pub fn is_grease(code: u16) -> bool {
    code & 0x0f0f == 0x0a0a
}

pub fn tls_version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        v if is_grease(v) => "GREASE".into(),
        v => format!("0x{v:04x}"),
    }
}

/// Weak cipher suites by name pattern: NULL, EXPORT, RC4, DES (single), anonymous.
pub fn weak_cipher(c: u16) -> Option<&'static str> {
    Some(match c {
        0x0000 => "TLS_NULL_WITH_NULL_NULL",
        0x0001 => "TLS_RSA_WITH_NULL_MD5",
        0x0002 => "TLS_RSA_WITH_NULL_SHA",
        0x003B => "TLS_RSA_WITH_NULL_SHA256",
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        0x0018 => "TLS_DH_anon_WITH_RC4_128_MD5",
        0xC011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xC007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        _ => return None,
    })
}

/// A cipher suite's IANA name for the common ones (weak ones included), else its code.
pub fn cipher_name(c: u16) -> String {
    if let Some(w) = weak_cipher(c) {
        return w.to_string();
    }
    let name = match c {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xC009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xC027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0x009C => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009F => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x000A => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x00FF => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x5600 => "TLS_FALLBACK_SCSV",
        _ => return format!("0x{c:04x}"),
    };
    name.to_string()
}

fn u16at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// A TLS handshake record's ClientHello.
pub fn client_hello(p: &[u8]) -> Option<ClientHello> {
    if p.len() < 9 || p[0] != 0x16 || p[1] != 0x03 || p[5] != 0x01 {
        return None;
    }
    // the whole message must be there (a hello split over TCP segments is parsed once complete)
    let rec_len = u16at(p, 3)? as usize;
    let msg_len = 4 + ((usize::from(p[6]) << 16) | (usize::from(p[7]) << 8) | usize::from(p[8]));
    if msg_len <= rec_len {
        return client_hello_body(p.get(9..5 + rec_len)?);
    }
    // a ClientHello spread over several handshake records (the record layer may fragment it)
    let mut hs = Vec::with_capacity(msg_len.min(p.len()));
    let mut at = 0;
    while hs.len() < msg_len {
        if p.get(at) != Some(&0x16) {
            return None;
        }
        let len = u16at(p, at + 3)? as usize;
        hs.extend_from_slice(p.get(at + 5..at + 5 + len)?);
        at += 5 + len;
    }
    client_hello_body(&hs[4..msg_len])
}

/// The body of a ClientHello handshake message (after its type and length).
fn client_hello_body(hs: &[u8]) -> Option<ClientHello> {
    let legacy = u16at(hs, 0)?;
    let mut at = 2 + 32;
    let sid = *hs.get(at)? as usize;
    at += 1 + sid;
    let clen = u16at(hs, at)? as usize;
    let ciphers: Vec<u16> = (0..clen / 2).filter_map(|i| u16at(hs, at + 2 + i * 2)).collect();
    at += 2 + clen;
    let comp = *hs.get(at)? as usize;
    at += 1 + comp;
    let mut ch = ClientHello { sni: None, alpn: Vec::new(), versions: vec![legacy], ciphers };
    let Some(elen) = u16at(hs, at) else { return Some(ch) };
    let end = (at + 2 + elen as usize).min(hs.len());
    at += 2;
    while at + 4 <= end {
        let ty = u16at(hs, at)?;
        let len = u16at(hs, at + 2)? as usize;
        let body = hs.get(at + 4..at + 4 + len)?;
        match ty {
            0 if body.len() > 5 => {
                let n = u16at(body, 3)? as usize;
                ch.sni = body.get(5..5 + n).map(|s| String::from_utf8_lossy(s).into_owned());
            }
            16 if body.len() > 2 => {
                let mut i = 2;
                while i < body.len() {
                    let n = body[i] as usize;
                    if let Some(s) = body.get(i + 1..i + 1 + n) {
                        ch.alpn.push(String::from_utf8_lossy(s).into_owned());
                    }
                    i += 1 + n;
                }
            }
            43 if !body.is_empty() => {
                ch.versions = (0..body[0] as usize / 2).filter_map(|i| u16at(body, 1 + i * 2)).collect();
            }
            _ => {}
        }
        at += 4 + len;
    }
    Some(ch)
}

/// A ServerHello's chosen version and cipher suite.
pub fn server_hello(p: &[u8]) -> Option<(u16, u16)> {
    if p.len() < 9 || p[0] != 0x16 || p[1] != 0x03 || p[5] != 0x02 {
        return None;
    }
    let hs = p.get(9..)?;
    let mut version = u16at(hs, 0)?;
    let mut at = 2 + 32;
    let sid = *hs.get(at)? as usize;
    at += 1 + sid;
    let cipher = u16at(hs, at)?;
    at += 3;
    if let Some(elen) = u16at(hs, at) {
        let end = (at + 2 + elen as usize).min(hs.len());
        at += 2;
        while at + 4 <= end {
            let ty = u16at(hs, at)?;
            let len = u16at(hs, at + 2)? as usize;
            if ty == 43 && len == 2 {
                version = u16at(hs, at + 4)?;
            }
            at += 4 + len;
        }
    }
    Some((version, cipher))
}

/// The server certificate (subject, issuer) from a TLS 1.2-or-older handshake stream, where the
/// Certificate message is still in clear.
pub fn server_certificate(stream: &[u8]) -> Option<(String, String)> {
    let mut at = 0;
    // walk TLS records; collect handshake bytes
    let mut hs = Vec::new();
    while at + 5 <= stream.len() && hs.len() < 64 * 1024 {
        if stream[at] != 0x16 {
            break;
        }
        let len = u16at(stream, at + 3)? as usize;
        // the last record may be cut by the stream prefix; the first certificate is usually whole
        let body = stream.get(at + 5..(at + 5 + len).min(stream.len()))?;
        hs.extend_from_slice(body);
        at += 5 + len;
    }
    let mut i = 0;
    while i + 4 <= hs.len() {
        let ty = hs[i];
        let len = ((hs[i + 1] as usize) << 16) | ((hs[i + 2] as usize) << 8) | hs[i + 3] as usize;
        if ty == 11 {
            let body = hs.get(i + 4..(i + 4 + len).min(hs.len()))?;
            // certificate_list length (3), first certificate length (3), DER
            let clen = ((*body.get(3)? as usize) << 16) | ((*body.get(4)? as usize) << 8) | *body.get(5)? as usize;
            let der = body.get(6..6 + clen)?;
            let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
            return Some((cert.subject().to_string(), cert.issuer().to_string()));
        }
        i += 4 + len;
    }
    None
}

pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub host: String,
    pub user_agent: String,
    pub basic: Option<(String, String)>,
    pub digest_user: Option<String>,
}

const METHODS: [&str; 9] =
    ["GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "SUBSCRIBE "];

/// Where an HTTP header ends (the empty line, CRLF or bare LF), if it has.
pub fn http_head_end(p: &[u8]) -> Option<usize> {
    (0..p.len()).find(|&i| p[i] == b'\n' && (p.get(i + 1) == Some(&b'\n') || p.get(i + 1..i + 3) == Some(b"\r\n")))
}

pub fn http_request(p: &[u8]) -> Option<HttpRequest> {
    if !METHODS.iter().any(|m| p.starts_with(m.as_bytes())) {
        return None;
    }
    let head_end = http_head_end(p).unwrap_or(p.len().min(8192));
    let head = String::from_utf8_lossy(&p[..head_end]);
    // lines end with CRLF, or a bare LF as lenient servers accept
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next()?;
    let mut parts = first.split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut r =
        HttpRequest { method, path, host: String::new(), user_agent: String::new(), basic: None, digest_user: None };
    for l in lines {
        let Some((k, v)) = l.split_once(':') else { continue };
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "host" => r.host = v.to_string(),
            "user-agent" => r.user_agent = v.to_string(),
            "authorization" | "proxy-authorization" => {
                if let Some(b64) = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")) {
                    if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                        let s = String::from_utf8_lossy(&raw).into_owned();
                        let (u, pw) = s.split_once(':').unwrap_or((&s, ""));
                        r.basic = Some((u.to_string(), pw.to_string()));
                    }
                } else if let Some(d) = v.strip_prefix("Digest ") {
                    r.digest_user = d
                        .split(',')
                        .find_map(|kv| kv.trim().strip_prefix("username="))
                        .map(|u| u.trim_matches('"').to_string());
                }
            }
            _ => {}
        }
    }
    Some(r)
}

/// Credentials typed on line protocols (FTP, POP3, IMAP, SMTP AUTH), from the client's stream.
pub fn line_credentials(protocol: &str, stream: &[u8]) -> Vec<(String, String)> {
    // lines as bytes: only the parts that matter become strings; only whole lines (a line still
    // arriving would read as an empty password)
    let mut lines: Vec<&[u8]> = stream.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
    lines.pop();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    let starts = |l: &[u8], p: &[u8]| l.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let b64 = |s: &[u8]| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim_ascii())
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let mut out = Vec::new();
    let mut user: Option<String> = None;
    for (i, l) in lines.iter().enumerate() {
        match protocol {
            "ftp" | "pop3" => {
                if starts(l, b"USER ") {
                    user = Some(text(&l[5..]));
                } else if starts(l, b"PASS ") {
                    out.push((user.clone().unwrap_or_default(), text(&l[5..])));
                }
            }
            "imap" => {
                // a1 LOGIN user pass
                let parts: Vec<&[u8]> = l.split(|b| b.is_ascii_whitespace()).filter(|p| !p.is_empty()).collect();
                if parts.len() >= 4 && parts[1].eq_ignore_ascii_case(b"LOGIN") {
                    let unquote = |p: &[u8]| text(p).trim_matches('"').to_string();
                    out.push((unquote(parts[2]), unquote(parts[3])));
                }
            }
            "smtp" | "pop3-auth" => {
                if starts(l, b"AUTH PLAIN") {
                    let arg = l[10..].trim_ascii();
                    let raw = if arg.is_empty() { lines.get(i + 1).and_then(|n| b64(n)) } else { b64(arg) };
                    if let Some(raw) = raw {
                        let parts: Vec<&str> = raw.split('\0').collect();
                        if parts.len() == 3 {
                            out.push((parts[1].to_string(), parts[2].to_string()));
                        }
                    }
                } else if starts(l, b"AUTH LOGIN") {
                    let u = lines.get(i + 1).and_then(|n| b64(n));
                    let p = lines.get(i + 2).and_then(|n| b64(n));
                    if let (Some(u), Some(p)) = (u, p) {
                        out.push((u, p));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// MQTT CONNECT: (client id, username, password).
pub fn mqtt_connect(p: &[u8]) -> Option<(String, Option<String>, Option<String>)> {
    if p.first()? >> 4 != 1 {
        return None;
    }
    let (len, i) = mqtt_varint(p, 1)?;
    let body = p.get(i..(i + len).min(p.len()))?;
    let nlen = u16at(body, 0)? as usize;
    let proto = body.get(2..2 + nlen)?;
    if proto != b"MQTT" && proto != b"MQIsdp" {
        return None;
    }
    let level = *body.get(2 + nlen)?;
    let flags = *body.get(3 + nlen)?;
    let mut at = 6 + nlen;
    if level == 5 {
        let (plen, next) = mqtt_varint(body, at)?;
        at = next + plen;
    }
    let field = |at: &mut usize| -> Option<String> {
        let n = u16at(body, *at)? as usize;
        let s = body.get(*at + 2..*at + 2 + n)?;
        *at += 2 + n;
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let client = field(&mut at)?;
    if flags & 0x04 != 0 {
        if level == 5 {
            // will properties
            let (plen, next) = mqtt_varint(body, at)?;
            at = next + plen;
        }
        field(&mut at)?;
        field(&mut at)?;
    }
    let user = if flags & 0x80 != 0 { field(&mut at) } else { None };
    let pass = if flags & 0x40 != 0 { field(&mut at) } else { None };
    Some((client, user, pass))
}

/// An MQTT variable-length integer at `at`: (value, where the next field starts). At most four
/// bytes, as the specification allows; a fifth continuation is malformed.
fn mqtt_varint(b: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in [0, 7, 14, 21] {
        let byte = *b.get(at)? as usize;
        value |= (byte & 0x7f) << shift;
        at += 1;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

/// SNMP v1/v2c: (version, community).
pub fn snmp_community(p: &[u8]) -> Option<(u8, String)> {
    // SEQUENCE { INTEGER version, OCTET STRING community, ... }
    if *p.first()? != 0x30 {
        return None;
    }
    let mut at = 1;
    let l = *p.get(at)?;
    at += 1 + if l & 0x80 != 0 { (l & 0x7f) as usize } else { 0 };
    if *p.get(at)? != 0x02 || *p.get(at + 1)? != 1 {
        return None;
    }
    let version = *p.get(at + 2)?;
    if version > 1 {
        return None;
    }
    at += 3;
    if *p.get(at)? != 0x04 {
        return None;
    }
    let n = *p.get(at + 1)? as usize;
    let c = p.get(at + 2..at + 2 + n)?;
    Some((version, String::from_utf8_lossy(c).into_owned()))
}

/// Industrial-control operations in one client payload that change a device:
/// (protocol, description). EtherNet/IP may carry several (multiple-service packets).
pub fn ics_operations(port: u16, p: &[u8]) -> Vec<(&'static str, String)> {
    if port == 44818 {
        let mut out = Vec::new();
        enip_requests(p, &mut out);
        return out;
    }
    ics_operation(port, p).into_iter().collect()
}

fn u16le(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|x| u16::from_le_bytes([x[0], x[1]]) as usize)
}

/// EtherNet/IP encapsulation messages (TCP 44818): the CIP requests inside SendRRData
/// (unconnected data items) and SendUnitData (connected data items).
fn enip_requests(p: &[u8], out: &mut Vec<(&'static str, String)>) {
    let mut at = 0;
    while let Some(h) = p.get(at..at + 24) {
        let command = u16::from_le_bytes([h[0], h[1]]);
        let len = u16::from_le_bytes([h[2], h[3]]) as usize;
        let Some(body) = p.get(at + 24..at + 24 + len) else { break };
        if matches!(command, 0x6F | 0x70) {
            // interface handle (4), timeout (2), item count (2), then typed items
            let count = u16le(body, 6).unwrap_or(0).min(8);
            let mut i = 8;
            for _ in 0..count {
                let (Some(ty), Some(l)) = (u16le(body, i), u16le(body, i + 2)) else { break };
                match (ty, body.get(i + 4..i + 4 + l)) {
                    (0xB2, Some(d)) => cip_request(d, 0, out),
                    // connected data starts with a 2-byte sequence count
                    (0xB1, Some(d)) if d.len() > 2 => cip_request(&d[2..], 0, out),
                    _ => {}
                }
                i += 4 + l;
            }
        }
        at += 24 + len;
    }
}

/// The logical path of a CIP request: its class, or a tag name (symbolic segments).
#[derive(Default)]
struct CipPath {
    class: Option<usize>,
    symbol: Option<String>,
}

fn cip_path(path: &[u8]) -> CipPath {
    let mut c = CipPath::default();
    let mut i = 0;
    while let Some(&seg) = path.get(i) {
        let (value, next) = match seg {
            0x20 | 0x24 | 0x30 => (path.get(i + 1).map(|v| *v as usize), i + 2),
            0x21 | 0x25 | 0x31 => (u16le(path, i + 2), i + 4),
            0x91 => {
                let n = path.get(i + 1).copied().unwrap_or(0) as usize;
                if let Some(name) = path.get(i + 2..i + 2 + n) {
                    let part = String::from_utf8_lossy(name).into_owned();
                    c.symbol = Some(match c.symbol.take() {
                        Some(s) => format!("{s}.{part}"),
                        None => part,
                    });
                }
                (None, i + 2 + n + n % 2)
            }
            // element (array index) segments
            0x28 => (None, i + 2),
            0x29 => (None, i + 4),
            _ => break,
        };
        if matches!(seg, 0x20 | 0x21) {
            c.class = value;
        }
        i = next;
    }
    c
}

/// One CIP request; Unconnected Send and Multiple Service Packet are opened (two levels deep).
fn cip_request(msg: &[u8], depth: usize, out: &mut Vec<(&'static str, String)>) {
    let (Some(&service), Some(&words)) = (msg.first(), msg.get(1)) else { return };
    if service & 0x80 != 0 || out.len() >= 32 {
        return; // a response
    }
    let Some(path) = msg.get(2..2 + 2 * words as usize) else { return };
    let data = &msg[2 + 2 * words as usize..];
    let path = cip_path(path);
    match service {
        // Unconnected Send to the connection manager: priority, ticks, size, embedded request
        0x52 if path.class == Some(6) && depth < 2 => {
            if let Some(m) = u16le(data, 2).and_then(|n| data.get(4..4 + n)) {
                cip_request(m, depth + 1, out);
            }
            return;
        }
        // Multiple Service Packet: a count, offsets from the start of the data, the requests
        0x0A if depth < 2 => {
            let n = u16le(data, 0).unwrap_or(0).min(32);
            for k in 0..n {
                let Some(start) = u16le(data, 2 + 2 * k) else { break };
                let end = if k + 1 < n { u16le(data, 2 + 2 * (k + 1)).unwrap_or(data.len()) } else { data.len() };
                if let Some(m) = data.get(start..end.max(start)) {
                    cip_request(m, depth + 1, out);
                }
            }
            return;
        }
        _ => {}
    }
    // one finding per service and class: instances and attributes vary too much (a program
    // download sets hundreds), the evidence packets show them
    let target = path.class.map(|c| format!(" class 0x{c:02x}")).unwrap_or_default();
    let what = match (service, path.class) {
        (_, Some(0xA1)) => format!("firmware update (ControlFLASH object 0xa1, service 0x{service:02x})"),
        (0x4C | 0x4E | 0x50, Some(0x37)) => format!("file download (File object 0x37, service 0x{service:02x})"),
        (0x10, _) => format!("Set_Attribute_Single{target}"),
        (0x04, _) => format!("Set_Attribute_List{target}"),
        (0x02, _) => format!("Set_Attributes_All{target}"),
        (0x05, Some(1)) => "device reset (Identity object)".to_string(),
        (0x05, _) => format!("Reset{target}"),
        (0x06, _) => format!("Start{target}"),
        (0x07, _) => format!("Stop{target}"),
        (0x4D | 0x4E | 0x53, None) if path.symbol.is_some() => {
            let name = path.symbol.unwrap_or_default();
            let name: String = name.chars().take(64).collect();
            format!("tag write {name}")
        }
        _ => return,
    };
    out.push(("cip", what));
}

/// BACnet/IP (UDP 47808): whether the message answers as a server does — an acknowledgement,
/// error, reject or abort, or an I-Am announcing the device.
pub fn bacnet_answer(p: &[u8]) -> bool {
    if p.first() != Some(&0x81) {
        return false;
    }
    // BVLC: forwarded NPDUs carry the original source (6 bytes) first
    let mut at = if p.get(1) == Some(&0x04) { 10 } else { 4 };
    let (Some(1), Some(&control)) = (p.get(at), p.get(at + 1)) else { return false };
    if control & 0x80 != 0 {
        return false; // a network-layer message, no application data
    }
    at += 2;
    if control & 0x20 != 0 {
        let Some(&dlen) = p.get(at + 2) else { return false };
        at += 3 + dlen as usize;
    }
    if control & 0x08 != 0 {
        let Some(&slen) = p.get(at + 2) else { return false };
        at += 3 + slen as usize;
    }
    if control & 0x20 != 0 {
        at += 1; // hop count
    }
    match p.get(at).map(|b| b >> 4) {
        Some(2..=7) => true,
        Some(1) => p.get(at + 1) == Some(&0), // I-Am
        _ => false,
    }
}

/// rlogin (TCP 513): the client opens with NUL, its local user, NUL, the remote user, NUL,
/// terminal/speed, NUL; what it types after that is the password when the server asked for one.
/// Returns (remote user, password).
pub fn rlogin(stream: &[u8], asked_password: bool) -> Option<(String, Option<String>)> {
    let rest = stream.strip_prefix(&[0])?;
    let mut parts = rest.splitn(4, |b| *b == 0);
    let (_local, remote, _term, after) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if remote.is_empty() || remote.len() > 64 || !remote.iter().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let password = asked_password
        .then(|| after.iter().position(|b| *b == b'\r' || *b == b'\n').map(|e| &after[..e]))
        .flatten()
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Some((String::from_utf8_lossy(remote).into_owned(), password))
}

/// An industrial-control operation that changes a device: (protocol, description).
fn ics_operation(port: u16, p: &[u8]) -> Option<(&'static str, String)> {
    match port {
        // Modbus/TCP: MBAP header (7 bytes), then the function code
        502 if p.len() >= 8 => {
            let unit = p[6];
            let what = match p[7] {
                5 => "write single coil",
                6 => "write single register",
                15 => "write multiple coils",
                16 => "write multiple registers",
                22 => "mask write register",
                23 => "read/write multiple registers",
                8 => "diagnostics",
                _ => return None,
            };
            let addr = u16at(p, 8).map(|a| format!(" at address {a}")).unwrap_or_default();
            Some(("modbus", format!("{what}{addr} (unit {unit})")))
        }
        // S7comm over ISO-on-TCP: TPKT (4) + COTP (3, data) + S7 header; job (ROSCTR 1) function
        102 if p.len() >= 18 && p[0] == 0x03 && p[7] == 0x32 && p[8] == 0x01 => {
            let param_at = 7 + 10;
            let what = match *p.get(param_at)? {
                0x29 => "PLC STOP",
                0x28 => "PLC control (start / program operations)",
                0x1A => "request program download",
                0x1B => "download block",
                0x1C => "download ended",
                0x05 => "write variable",
                _ => return None,
            };
            Some(("s7", what.to_string()))
        }
        // DNP3: link header (10 bytes incl. CRC), transport (1), application control (1), function
        20000 if p.len() >= 13 && p[0] == 0x05 && p[1] == 0x64 => {
            let what = match p[12] {
                3 => "select",
                4 => "operate",
                5 => "direct operate",
                6 => "direct operate (no acknowledgement)",
                13 => "cold restart",
                14 => "warm restart",
                _ => return None,
            };
            Some(("dnp3", what.to_string()))
        }
        _ => None,
    }
}

fn luhn(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, c) in d.iter().rev().enumerate() {
        let mut v = (c - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Japanese individual number (マイナンバー): 12 digits, the last a check digit.
fn my_number(d: &[u8]) -> bool {
    if d.len() != 12 {
        return false;
    }
    let digits: [u32; 12] = std::array::from_fn(|i| (d[i] - b'0') as u32);
    let sum: u32 = (1..=11)
        .map(|n| {
            let p = digits[11 - n];
            let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
            p * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    digits[11] == check
}

/// Personal data visible in a clear payload: (kind, redacted sample).
pub fn personal_data(p: &[u8]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    // clear text only: binary protocols (ICS registers, file transfers) hold digit-like bytes by
    // chance; SSH banners and algorithm lists name user@host-like identifiers
    let texty = p.iter().filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || **b >= 0x80).count();
    if p.is_empty() || texty * 10 < p.len() * 9 || p.starts_with(b"SSH-") {
        return out;
    }
    // every kind needs a digit or an @
    if !p.iter().any(|b| b.is_ascii_digit() || *b == b'@') {
        return out;
    }
    let mut push = |k: &'static str, s: String| {
        if !out.iter().any(|(x, _)| *x == k) {
            out.push((k, s));
        }
    };
    // digit runs: card numbers (Luhn), individual numbers (check digit), phone numbers
    let mut i = 0;
    let mut digits = [0u8; 20];
    while i < p.len() {
        if p[i].is_ascii_digit() {
            let st = i;
            let mut n = 0;
            while i < p.len()
                && (p[i].is_ascii_digit()
                    || ((p[i] == b'-' || p[i] == b' ') && n < 19 && p.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                if p[i].is_ascii_digit() {
                    if n < digits.len() {
                        digits[n] = p[i];
                    }
                    n += 1;
                }
                i += 1;
            }
            if n > digits.len() {
                continue; // a longer number than any of these
            }
            let (raw, digits) = (&p[st..i], &digits[..n]);
            // not part of a word, and not an ASN.1 time (YYMMDDhhmmssZ)
            let bounded =
                (st == 0 || !p[st - 1].is_ascii_alphanumeric()) && !p.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
            // the digit groups as written: one run, or groups split by one kind of separator
            let groups: Vec<usize> = raw.split(|c| *c == b'-' || *c == b' ').map(<[u8]>::len).collect();
            let one_separator = !(raw.contains(&b'-') && raw.contains(&b' '));
            let card_groups = groups.len() == 1
                || one_separator
                    && (groups[..groups.len() - 1].iter().all(|g| *g == 4)
                        || groups == [4, 6, 5]
                        || groups == [4, 6, 4]);
            if !bounded {
            } else if (13..=19).contains(&n) && card_groups && luhn(digits) && digits[0] != b'0' {
                push("card_number", format!("****{}", String::from_utf8_lossy(&digits[n - 4..])));
            } else if n == 12 && (groups.len() == 1 || groups == [4, 4, 4] && one_separator) && my_number(digits) {
                push("individual_number", format!("********{}", String::from_utf8_lossy(&digits[8..])));
            } else if groups.len() == 3 && !raw.contains(&b' ') && (10..=11).contains(&n) && digits[0] == b'0' {
                push("phone_number", format!("{}-****-****", String::from_utf8_lossy(&digits[..3])));
            }
        } else {
            i += 1;
        }
    }
    // e-mail addresses (only where there is an @)
    if p.contains(&b'@') {
        let text = String::from_utf8_lossy(p);
        for w in text.split(|c: char| c.is_whitespace() || "\"'<>(),;:[]{}=&?".contains(c)) {
            if let Some((l, d)) = w.split_once('@')
                && !l.is_empty()
                && d.contains('.')
                && d.rsplit('.')
                    .next()
                    .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
                && l.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
            {
                push("email_address", format!("{}***@{d}", &l[..1]));
            }
        }
    }
    // GPS coordinates named as such
    // (the cheap counts first: most payloads stop there)
    let has = |k: &[u8]| contains_ci(p, k);
    if p.iter().filter(|c| **c == b'.').count() >= 2
        && p.iter().filter(|c| c.is_ascii_digit()).count() >= 6
        && (has(b"\"lat\"") || has(b"latitude") || has(b"\"lon\"") || has(b"longitude") || has(b"\"lng\""))
    {
        push("gps_coordinates", "latitude/longitude fields".into());
    }
    out
}

/// Telnet: the printable text of a client stream, IAC negotiation removed, as lines.
pub fn telnet_lines(stream: &[u8]) -> Vec<String> {
    let mut text = Vec::new();
    let mut i = 0;
    while i < stream.len() {
        match stream[i] {
            0xFF => {
                // IAC: commands with an option byte skip 3, sub-negotiation until IAC SE
                match stream.get(i + 1) {
                    Some(0xFA) => {
                        while i + 1 < stream.len() && !(stream[i] == 0xFF && stream[i + 1] == 0xF0) {
                            i += 1;
                        }
                        i += 2;
                    }
                    Some(0xFB..=0xFE) => i += 3,
                    _ => i += 2,
                }
            }
            b'\r' | b'\n' | 0 => {
                text.push(b'\n');
                i += 1;
            }
            c if (0x20..0x7f).contains(&c) => {
                text.push(c);
                i += 1;
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&text).split('\n').map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// DHCP (BOOTP) options a client sends about itself: host name (12) and vendor class (60).
pub fn dhcp_names(p: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if p.len() < 240 || p[236..240] != [99, 130, 83, 99] {
        return out;
    }
    let mut i = 240;
    while i + 1 < p.len() {
        let code = p[i];
        if code == 255 {
            break;
        }
        if code == 0 {
            i += 1;
            continue;
        }
        let len = p[i + 1] as usize;
        let Some(v) = p.get(i + 2..i + 2 + len) else { break };
        match code {
            12 => out.push(("dhcp host name", String::from_utf8_lossy(v).into_owned())),
            60 => out.push(("dhcp vendor class", String::from_utf8_lossy(v).into_owned())),
            _ => {}
        }
        i += 2 + len;
    }
    out
}

/// SSDP announcements: the SERVER header (device and firmware) of NOTIFY or responses.
pub fn ssdp_server(p: &[u8]) -> Option<String> {
    let t = std::str::from_utf8(p).ok()?;
    if !(t.starts_with("NOTIFY") || t.starts_with("HTTP/1.1 200")) {
        return None;
    }
    t.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case("server").then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqtt_lengths_that_never_end_are_malformed() {
        // found by the capture fuzz target: a v5 properties length of twelve continuation bytes
        // overflowed the multiplier
        let mut p = vec![0x10, 0x20, 0, 4, b'M', b'Q', b'T', b'T', 5, 0xc2, 0, 60];
        p.extend_from_slice(&[0xff; 12]);
        p.extend_from_slice(&[0; 16]);
        assert_eq!(mqtt_connect(&p), None);
        assert_eq!(mqtt_varint(&[0xff, 0xff, 0xff, 0x7f], 0), Some((268_435_455, 4)));
        assert_eq!(mqtt_varint(&[0xff, 0xff, 0xff, 0xff, 0x01], 0), None);
        // a remaining length longer than four bytes
        assert_eq!(mqtt_connect(&[0x10, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 4]), None);
    }

    #[test]
    fn mdns_ptr_targets() {
        // response: 0 questions, 1 answer: _ipp._tcp.local PTR Printer._ipp._tcp.local (compressed)
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(b"\x04_ipp\x04_tcp\x05local\x00");
        m.extend_from_slice(&[0, 12, 0, 1, 0, 0, 0, 120]);
        let rdata = b"\x07Printer\xc0\x0c";
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
        let d = dns(&m).unwrap();
        assert_eq!(d.targets, ["Printer._ipp._tcp.local"]);
    }

    #[test]
    fn dhcp_and_ssdp() {
        let mut p = vec![0u8; 240];
        p[236..240].copy_from_slice(&[99, 130, 83, 99]);
        p.extend_from_slice(&[53, 1, 1, 12, 6]);
        p.extend_from_slice(b"cam-01");
        p.extend_from_slice(&[60, 4]);
        p.extend_from_slice(b"ipcm");
        p.push(255);
        assert_eq!(
            dhcp_names(&p),
            vec![("dhcp host name", "cam-01".to_string()), ("dhcp vendor class", "ipcm".to_string())]
        );
        assert_eq!(
            ssdp_server(b"NOTIFY * HTTP/1.1\r\nSERVER: Linux/3.4 UPnP/1.0 IPCam/2.1\r\n\r\n").as_deref(),
            Some("Linux/3.4 UPnP/1.0 IPCam/2.1")
        );
        assert!(ssdp_server(b"M-SEARCH * HTTP/1.1\r\n").is_none());
    }

    #[test]
    fn ics() {
        let modbus = [0, 1, 0, 0, 0, 6, 1, 6, 0x9c, 0x41, 0x04, 0xd2];
        assert_eq!(ics_operation(502, &modbus).unwrap().1, "write single register at address 40001 (unit 1)");
        assert!(ics_operation(502, &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]).is_none(), "reads are not operations");
        let dnp3 = [0x05, 0x64, 0x11, 0xc4, 0x0a, 0, 0x01, 0, 0, 0, 0xc0, 0xc1, 5];
        assert_eq!(ics_operation(20000, &dnp3).unwrap().1, "direct operate");
    }

    #[test]
    fn personal() {
        let found = |s: &str| personal_data(s.as_bytes()).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(found("card=4111 1111 1111 1111&x"), ["card_number"]);
        assert!(found("id=4111 1111 1111 1112").is_empty(), "fails Luhn");
        assert_eq!(found("owner: taro.yamada@example.co.jp"), ["email_address"]);
        assert_eq!(found("tel 090-1234-5678"), ["phone_number"]);
        assert_eq!(found(r#"{"lat": 35.6812, "lon": 139.7671}"#), ["gps_coordinates"]);
        assert_eq!(found("mynumber=123456789018"), ["individual_number"]);
        assert!(found("mynumber=123456789012").is_empty(), "wrong check digit");
        assert!(found("version 1.2.3 build 20240101").is_empty());
    }

    #[test]
    fn telnet() {
        let s = b"\xff\xfd\x18\xff\xfa\x18\x00xterm\xff\xf0root\r\n\xff\xfb\x01hunter2\r\n";
        assert_eq!(telnet_lines(s), ["root", "hunter2"]);
    }
}
