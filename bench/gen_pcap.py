#!/usr/bin/env python3
"""Writes a labelled capture for `kakehashi pcap` benchmarks.

usage: bench/gen_pcap.py SIZE_MB OUT.pcap LABELS.json

Mixes DNS queries and answers, TLS ClientHellos with SNI, HTTP requests (some with Basic auth),
FTP logins, MQTT CONNECTs with credentials, telnet logins and Modbus writes between IoT
devices (10.0.0.0/16) and servers, plus bulk TCP data. LABELS.json lists every credential, SNI,
DNS name and Modbus write written, for precision and recall (bench/pcap_score.py).
Deterministic for a given size.
"""
import json, random, struct, sys

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def eth_ip(src, dst, proto, l4):
    total = 20 + len(l4)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + h + l4

def tcp(src, dst, sp, dp, seq, payload, flags=0x18):
    return eth_ip(src, dst, 6, struct.pack("!HHIIBBHHH", sp, dp, seq, 1, 0x50, flags, 65535, 0, 0) + payload)

def udp(src, dst, sp, dp, payload):
    return eth_ip(src, dst, 17, struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload)

def dns_query(name, qid, answer=None):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    if answer is None:
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + ip4(answer)

def client_hello(sni):
    s = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(s) + 5, len(s) + 3, 0, len(s)) + s
    alpn = b"\x00\x10\x00\x0b\x00\x09\x08http/1.1"
    exts = sni_ext + alpn
    body = b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs

def mqtt_connect(cid, user, pw):
    def s(x):
        return struct.pack("!H", len(x)) + x.encode()
    vh = s("MQTT") + b"\x04\xc2" + struct.pack("!H", 60)
    body = vh + s(cid) + s(user) + s(pw)
    return b"\x10" + bytes([len(body)]) + body

def main():
    size = int(float(sys.argv[1]) * 1024 * 1024)
    out, labels_path = sys.argv[2], sys.argv[3]
    rnd = random.Random(7)
    labels = {"credentials": [], "sni": [], "dns": [], "ics": []}
    f = open(out, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written = 24
    t = 1700000000.0
    bulk = bytes(rnd.getrandbits(8) for _ in range(1400))
    seqs = {}
    n = 0
    while written < size:
        n += 1
        dev = "10.0.%d.%d" % (rnd.randrange(4), rnd.randrange(1, 250))
        srv = "198.51.100.%d" % rnd.randrange(1, 250)
        sp = 20000 + rnd.randrange(40000)
        kind = n % 20
        pkts = []
        if kind == 0:
            name = "api%d.vendor-cloud.example" % rnd.randrange(1000)
            pkts.append(udp(dev, "10.0.0.1", sp, 53, dns_query(name, n & 0xFFFF)))
            pkts.append(udp("10.0.0.1", dev, 53, sp, dns_query(name, n & 0xFFFF, srv)))
            labels["dns"].append(name)
        elif kind == 1:
            name = "telemetry%d.example.net" % rnd.randrange(1000)
            pkts.append(tcp(dev, srv, sp, 443, 1, client_hello(name)))
            labels["sni"].append({"client": dev, "sni": name})
        elif kind == 2:
            user, pw = "admin%d" % rnd.randrange(100), "pw%d" % rnd.randrange(10**6)
            import base64
            auth = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
            req = "GET /cgi-bin/status HTTP/1.1\r\nHost: %s\r\nUser-Agent: cam/1.0\r\nAuthorization: Basic %s\r\n\r\n" % (srv, auth)
            pkts.append(tcp(dev, srv, sp, 80, 1, req.encode()))
            labels["credentials"].append({"protocol": "http", "src": dev, "dst": srv, "username": user, "secret": pw})
        elif kind == 3:
            user, pw = "ftp%d" % rnd.randrange(100), "ftppw%d" % rnd.randrange(10**6)
            a = ("USER %s\r\n" % user).encode()
            pkts.append(tcp(dev, srv, sp, 21, 1, a))
            pkts.append(tcp(dev, srv, sp, 21, 1 + len(a), ("PASS %s\r\n" % pw).encode()))
            labels["credentials"].append({"protocol": "ftp", "src": dev, "dst": srv, "username": user, "secret": pw})
        elif kind == 4:
            user, pw = "mq%d" % rnd.randrange(100), "mqpw%d" % rnd.randrange(10**6)
            pkts.append(tcp(dev, srv, sp, 1883, 1, mqtt_connect("dev%d" % n, user, pw)))
            labels["credentials"].append({"protocol": "mqtt", "src": dev, "dst": srv, "username": user, "secret": pw})
        elif kind == 5:
            # a telnet login on the device: option negotiation, prompt, user name, password
            user, pw = "root%d" % rnd.randrange(100), "tpw%d" % rnd.randrange(10**6)
            pkts.append(tcp(dev, srv, 23, sp, 1, b"\xff\xfb\x01\xff\xfb\x03login: "))
            a = ("%s\r\n" % user).encode()
            pkts.append(tcp(srv, dev, sp, 23, 1, a))
            pkts.append(tcp(dev, srv, 23, sp, 14, b"Password: "))
            pkts.append(tcp(srv, dev, sp, 23, 1 + len(a), ("%s\r\n" % pw).encode()))
            labels["credentials"].append({"protocol": "telnet", "src": srv, "dst": dev, "username": user, "secret": pw})
        elif kind == 6:
            # Modbus write single register (function 6)
            pkts.append(tcp(srv, dev, sp, 502, 1, struct.pack("!HHHBBHH", n & 0xFFFF, 0, 6, 1, 6, 40001, 1234)))
            labels["ics"].append({"protocol": "modbus", "src": srv, "dst": dev})
        else:
            key = (dev, srv, sp)
            seq = seqs.get(key, 1)
            for _ in range(4):
                pkts.append(tcp(srv, dev, 443, sp, seq, bulk))
                seq += len(bulk)
            seqs[key] = seq
        for p in pkts:
            t += 0.0005
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(p), len(p)))
            f.write(p)
            written += 16 + len(p)
    f.close()
    json.dump(labels, open(labels_path, "w"))
    print("wrote %s: %d bytes, %d credentials, %d SNIs, %d DNS names" % (out, written, len(labels["credentials"]), len(labels["sni"]), len(labels["dns"])))

if __name__ == "__main__":
    main()
