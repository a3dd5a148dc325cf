#!/usr/bin/env python3
"""Writes a capture built to fill every list and table of `kakehashi pcap` at once, for the
memory bound ("under 200 MiB whatever the capture size").

usage: bench/gen_pcap_worst.py SIZE_MB OUT.pcap

Every packet is new to the analyser: DNS questions for new names from new devices, TLS
ClientHellos with new server names, HTTP requests with new paths and new Basic credentials,
TCP streams on followed ports filled to their 4 KiB prefix (with out-of-order segments waiting),
connection attempts to new (device, server, port) triples.
"""
import base64, struct, sys
sys.path.insert(0, __import__("os").path.dirname(__file__))
from gen_pcap import tcp, udp, dns_query, client_hello

def ip(n, net):
    return "%d.%d.%d.%d" % (net, (n >> 16) & 255, (n >> 8) & 255, n & 255)

def main():
    size = int(float(sys.argv[1]) * 1024 * 1024)
    f = open(sys.argv[2], "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written, n, t = 24, 0, 1700000000.0
    fill = b"A" * 1400
    while written < size:
        n += 1
        dev, srv = ip(n, 10), ip(n * 7 + 3, 198)
        sp = 1024 + n % 60000
        kind = n % 6
        pkts = []
        if kind == 0:
            pkts.append(udp(dev, "10.255.255.1", sp, 53, dns_query("h%d.n%d.example" % (n, n // 97), n & 0xFFFF)))
        elif kind == 1:
            pkts.append(tcp(dev, srv, sp, 443, 1, client_hello("s%d.example.net" % n)))
        elif kind == 2:
            auth = base64.b64encode(("u%d:p%d" % (n, n)).encode()).decode()
            req = "GET /p/%d HTTP/1.1\r\nHost: h%d\r\nUser-Agent: ua%d\r\nAuthorization: Basic %s\r\n\r\n" % (n, n, n, auth)
            pkts.append(tcp(dev, srv, sp, 80, 1, req.encode()))
        elif kind == 3:
            # a followed stream filled past its prefix, plus segments past a gap
            for i in range(4):
                pkts.append(tcp(dev, srv, sp, 21, 1 + i * 1400, fill))
            for i in range(3):
                pkts.append(tcp(dev, srv, sp + 1, 23, 100000 + i * 1400, fill))
        elif kind == 4:
            pkts.append(tcp(dev, srv, sp, 1000 + n % 50000, 1, b"", flags=0x02))
        else:
            pkts.append(udp(dev, srv, sp, 123, b"\x23" + bytes(47)))
        for p in pkts:
            t += 0.0001
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(p), len(p)))
            f.write(p)
            written += 16 + len(p)
    f.close()
    print("wrote %s: %d bytes, %d groups" % (sys.argv[2], written, n))

if __name__ == "__main__":
    main()
