#!/usr/bin/env python3
"""kakehashi pcap against tshark on real captures (bench/pcap-vs-tshark-real.sh).

usage:
  bench/pcap_real_score.py linktypes < FILES          (one path a line) prints, per readable file,
                                                      PATH<TAB>DLT:PACKETS[,DLT:PACKETS...]
  bench/pcap_real_score.py score TSHARK.tsv REPORT.json MANIFEST.tsv [SPEED]
      TSHARK.tsv  the tshark fields pass (columns: FIELDS below, separator tab, aggregator 0x1f)
      REPORT.json `kakehashi pcap --format json --show-secrets MERGED`
      MANIFEST.tsv  PATH<TAB>FIRST_FRAME<TAB>LAST_FRAME<TAB>LINKTYPES, in merge order
      SPEED       "size_bytes k_s k_rss_kib k1_s t_s t_rss_kib" (optional)

Compares sets per kind (names, or (user, password) for logins) and prints tshark's count,
kakehashi's, both, recall (of tshark's set) and precision (kakehashi's items tshark also has),
every item tshark has that kakehashi lacks (capture file, protocol stack, likely cause) and the
items only kakehashi has. A report: exits 0 whatever it finds.
"""
import bisect, collections, gzip, json, struct, sys

# the tshark fields pass; the shell script takes the -e list from here (`fields` subcommand)
FIELDS = [
    "frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.stream", "tcp.segment.count",
    "ip.fragment.count", "ipv6.fragment.count",
    "_ws.malformed", "dns.flags.response", "dns.count.answers", "dns.resp.type", "dns.qry.name",
    "tls.handshake.extensions_server_name", "http.host", "http.authbasic",
    "ftp.request.command", "ftp.request.arg", "pop.request.command", "pop.request.parameter",
    "imap.request.username", "imap.request.password", "smtp.auth.username", "smtp.auth.password",
]
FILTER = ("dns.qry.name or tls.handshake.extensions_server_name or http.host or http.authbasic"
          " or ftp.request.command or pop.request.command or imap.request.username"
          " or smtp.auth.username or smtp.auth.password")
AGG = "\x1f"
LINKS = {0: "NULL", 1: "EN10MB", 9: "PPP", 12: "RAW", 14: "RAW", 101: "RAW", 105: "IEEE802_11",
         108: "LOOP", 113: "LINUX_SLL", 127: "IEEE802_11_RADIO", 228: "IPV4", 229: "IPV6",
         276: "LINUX_SLL2", 10: "FDDI", 230: "IEEE802_15_4_NOFCS", 239: "NFLOG"}
SUPPORTED = {0, 1, 9, 12, 14, 101, 105, 108, 113, 127, 228, 229, 276}


def linktypes(path):
    """{DLT: packets} of one pcap or pcapng file (gzip or not)."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    with (gzip.open if gz else open)(path, "rb") as f:
        d = f.read()
    out = collections.Counter()
    m = d[:4]
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if m[0] in (0xD4, 0x4D) else ">"
        lt = struct.unpack(e + "I", d[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(d):
            off += 16 + struct.unpack(e + "I", d[off + 8:off + 12])[0]
            out[lt] += 1
        return out
    if m != b"\x0a\x0d\x0d\x0a":
        raise ValueError("not pcap or pcapng")
    off, e, ifs = 0, "<", []
    while off + 12 <= len(d):
        if d[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if d[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifs = []
        bt, bl = struct.unpack(e + "II", d[off:off + 8])
        if bl < 12:
            break
        if bt == 1:
            ifs.append(struct.unpack(e + "H", d[off + 8:off + 10])[0])
        elif bt in (2, 6):
            i = struct.unpack(e + ("I" if bt == 6 else "H"), d[off + 8:off + (12 if bt == 6 else 10)])[0]
            out[ifs[i] if i < len(ifs) else -1] += 1
        elif bt == 3:
            out[ifs[0] if ifs else -1] += 1
        off += bl
    return out


def cmd_linktypes():
    for p in sys.stdin.read().splitlines():
        try:
            c = linktypes(p)
        except Exception as ex:  # reported by the script as unreadable
            print("%s\tERR %s" % (p, ex))
            continue
        print(p + "\t" + ",".join("%d:%d" % kv for kv in sorted(c.items())))


class Manifest:
    def __init__(self, path):
        self.rows = []
        for line in open(path):
            p, a, b, lts = line.rstrip("\n").split("\t")
            self.rows.append((int(a), int(b), p, lts))
        self.starts = [r[0] for r in self.rows]

    def file(self, frame):
        i = bisect.bisect_right(self.starts, frame) - 1
        if i >= 0 and self.rows[i][0] <= frame <= self.rows[i][1]:
            return self.rows[i][2], self.rows[i][3]
        return "?", ""


def vals(row, name):
    v = row.get(name, "")
    return [x for x in v.split(AGG)] if v else []


def host_norm(h):
    h = h.strip().lower()
    if h.startswith("["):
        return h[1:h.index("]")] if "]" in h else h[1:]
    if h.count(":") == 1:
        h = h.split(":")[0]
    return h.rstrip(".")


def name_norm(n):
    n = n.strip().lower()
    return "" if n == "<root>" else n.rstrip(".")


def tshark_escape(n):
    """A name as tshark prints it: bytes outside printable ASCII as a backslash and three octal
    digits (kakehashi's JSON holds the characters themselves)."""
    return "".join(c if 0x20 <= ord(c) < 0x7f else "\\%03o" % ord(c) for c in n)


def row_tags(row, man, kind):
    """The protocol stack features of one frame that may explain a miss."""
    stack = row["frame.protocols"].split(":")
    tags = []
    lts = man.file(int(row["frame.number"]))[1]
    dlts = [int(x.split(":")[0]) for x in lts.split(",") if x]
    if any(d != 1 for d in dlts):
        tags.append("link " + "+".join(LINKS.get(d, str(d)) for d in dlts))
    if "llc" in stack and "wlan" not in stack:
        tags.append("802.3 LLC/SNAP frame")
    nvlan = stack.count("vlan")
    if nvlan:
        tags.append("QinQ" if nvlan > 1 else "VLAN")
    tunnels = [t for t in ("mpls", "pppoes", "gre", "erspan", "vxlan", "geneve", "gtp", "teredo", "ayiya",
                           "nsh", "lisp", "l2tp", "etherip", "socks") if t in stack]
    for t in tunnels:
        if t == "gre":
            i = stack.index("gre")
            inner = stack[i + 1] if i + 1 < len(stack) else ""
            t = "GRE%s (%s)" % (" over UDP" if stack[i - 1] == "udp" else "",
                               {"eth": "Ethernet 0x6558", "wlan": "Aruba 802.11", "ppp": "PPTP/PPP",
                                "ip": "IPv4", "ipv6": "IPv6", "erspan": "ERSPAN"}.get(inner, inner))
        tags.append(t.upper() if t.islower() else t)
    ips = [t for t in stack if t in ("ip", "ipv6")]
    if any(a in ("icmp", "icmpv6") and b in ("ip", "ipv6") for a, b in zip(stack, stack[1:])):
        tags.append("packet quoted inside an ICMP error")
    elif len(ips) > 1 and not tunnels:
        tags.append({("ip", "ip"): "IP-in-IP", ("ip", "ipv6"): "6in4", ("ipv6", "ip"): "4in6",
                     ("ipv6", "ipv6"): "6in6"}[(ips[0], ips[1])])
    if any(x.isdigit() and int(x) > 1 for x in vals(row, "ip.fragment.count") + vals(row, "ipv6.fragment.count")):
        tags.append("IP fragments")
    segs = [int(x) for x in vals(row, "tcp.segment.count") if x.isdigit()]
    if segs and max(segs) > 1:
        tags.append("spans TCP segments")
    if kind == "dns":
        if "tcp" in stack:
            tags.append("DNS over TCP")
        if "mdns" in stack:
            tags.append("mDNS")
        if "llmnr" in stack:
            tags.append("LLMNR")
    if vals(row, "_ws.malformed"):
        tags.append("malformed (tshark)")
    if kind == "sni" and "quic" in stack:
        tags.append("QUIC Initial")
    if kind == "http" and "ssdp" in stack:
        tags.append("SSDP (HTTP over UDP)")
    if kind == "http" and len(vals(row, "http.host")) > 1:
        tags.append("several requests in one frame")
    return tags


def cause(rows, man, kind):
    """(file, tags, ports, stack) of a miss: the tags of every frame that shows it (the first 50)."""
    row = rows[0]
    tags = []
    for r in rows[:50]:
        tags += [t for t in row_tags(r, man, kind) if t not in tags]
    if kind == "dns" and all((vals(r, "dns.flags.response") or ["0"])[-1] in ("1", "True") for r in rows):
        # the answer section's record types: the first dns.count.answers of dns.resp.type
        types = set()
        for r in rows:
            n = (vals(r, "dns.count.answers") or ["0"])[-1]
            types |= set(vals(r, "dns.resp.type")[:int(n) if n.isdigit() else 0])
        tags.append("only in responses, " + ("no answer records" if not types else
                    "answer types %s%s" % (",".join(sorted(types, key=int)),
                                           "" if types & {"1", "28"} else " (no A/AAAA)")))
    sp = (vals(row, "tcp.srcport") or vals(row, "udp.srcport") or [""])[-1]
    dp = (vals(row, "tcp.dstport") or vals(row, "udp.dstport") or [""])[-1]
    proto = "tcp" if vals(row, "tcp.srcport") else "udp"
    return man.file(int(row["frame.number"]))[0], tags, "%s %s->%s" % (proto, sp, dp), row["frame.protocols"]


def b64(s):
    import base64, binascii
    try:
        return base64.b64decode(s.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def b64_text(s):
    """s decoded when it is base64 of printable text, else s."""
    t = b64(s) if len(s.strip()) % 4 == 0 else None
    return t if t and t.isprintable() and "\ufffd" not in t else s


def client(row):
    src = vals(row, "ip.src") + vals(row, "ipv6.src")
    return src[-1] if src else "?"


def tshark_items(path):
    """kind -> {item: [rows that show it]}"""
    items = collections.defaultdict(lambda: collections.defaultdict(list))
    pending = collections.defaultdict(dict)  # tcp stream -> {proto: user}
    placeholders = items["ignored"] = collections.Counter()
    excluded = items["excluded"] = collections.Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            row = dict(zip(FIELDS, cols + [""] * (len(FIELDS) - len(cols))))
            if not row["frame.number"].isdigit():
                continue
            stack = row["frame.protocols"].split(":")
            sub = "mdns" if "mdns" in stack else "llmnr" if "llmnr" in stack else "dns"
            for n in vals(row, "dns.qry.name"):
                if n.startswith("<") and n.endswith(">") and n != "<Root>":
                    placeholders[n] += 1  # tshark's text for a malformed name
                    continue
                items["dns"][(name_norm(n), sub)].append(row)
            for n in vals(row, "tls.handshake.extensions_server_name"):
                items["sni"][(n.strip().lower(), "quic" if "quic" in stack else "tls")].append(row)
            for h in vals(row, "http.host"):
                if host_norm(h) and "ssdp" in stack:
                    # not a request to a server: SSDP discovery is HTTP's syntax over UDP multicast;
                    # the analyser lists the devices SSDP names under names, not as HTTP requests
                    excluded[("http host", host_norm(h), "SSDP discovery (HTTP syntax over UDP multicast)")] += 1
                elif host_norm(h):
                    items["http host"][(host_norm(h), "")].append(row)
            for b in vals(row, "http.authbasic"):
                u, _, p = b.partition(":")
                items["http basic"][((u, p), "")].append(row)
            st = (vals(row, "tcp.stream") or ["?"])[-1]
            for proto, cmdf, argf in (("ftp", "ftp.request.command", "ftp.request.arg"),
                                      ("pop3", "pop.request.command", "pop.request.parameter")):
                for c, a in zip(vals(row, cmdf), vals(row, argf) + [""] * 8):
                    auth = pending[st].pop(proto + " auth", None)
                    if c.upper() == "USER":
                        pending[st][proto] = a.strip()
                    elif c.upper() == "PASS":
                        items[proto + " login"][((pending[st].get(proto, ""), a.strip()), "")].append(row)
                    elif proto == "pop3" and c.upper() == "AUTH":
                        # POP3 AUTH PLAIN/LOGIN: tshark shows the base64 lines as commands
                        mech, _, inline = a.strip().partition(" ")
                        if mech.upper() == "PLAIN" and inline:
                            plain = b64(inline)
                            if plain and plain.count("\0") == 2:
                                items["pop3 login"][(tuple(plain.split("\0")[1:]), "")].append(row)
                        elif mech.upper() in ("PLAIN", "LOGIN"):
                            pending[st][proto + " auth"] = [mech.upper()]
                    elif auth:
                        text = b64(c)
                        if auth[0] == "PLAIN" and text and text.count("\0") == 2:
                            items["pop3 login"][(tuple(text.split("\0")[1:]), "")].append(row)
                        elif auth[0] == "LOGIN" and text is not None:
                            if len(auth) == 1:
                                pending[st][proto + " auth"] = auth + [text]
                            else:
                                items["pop3 login"][((auth[1], text), "")].append(row)
            for u, p in zip(vals(row, "imap.request.username"), vals(row, "imap.request.password")):
                items["imap login"][((u.strip('"'), p.strip('"')), "")].append(row)
            # AUTH LOGIN: tshark shows the base64 text as it was sent
            us = [b64_text(u) for u in vals(row, "smtp.auth.username")]
            ps = [b64_text(p) for p in vals(row, "smtp.auth.password")]
            if us and not ps:
                pending[st]["smtp"] = us[-1]
            for p in ps:
                u = us[0] if us else pending[st].get("smtp", "")
                items["smtp login"][((u, p), "")].append(row)
    return items


def kakehashi_items(report):
    """kind -> {item: first packet}"""
    k = collections.defaultdict(dict)
    for d in report.get("dns", []):
        k["dns"].setdefault(name_norm(tshark_escape(d["query"])), d["packet"])
    for t in report.get("tls", []):
        if t.get("sni"):
            k["sni"].setdefault(t["sni"].strip().lower(), t["packet"])
    for h in report.get("http", []):
        if host_norm(h.get("host", "")):
            k["http host"].setdefault(host_norm(h["host"]), h["packet"])
    kinds = {"ftp": "ftp login", "pop3": "pop3 login", "imap": "imap login", "smtp": "smtp login"}
    for f in report.get("findings", []):
        if f["kind"] != "credentials_in_clear":
            continue
        if f["protocol"] == "http":
            if f.get("detail") != "HTTP Basic authentication":
                continue  # digest user names: tshark's authbasic has no counterpart
            kind = "http basic"
        elif f["protocol"] in kinds:
            kind = kinds[f["protocol"]]
        else:
            continue
        item = (f.get("username") or "", f.get("secret") or "")
        k[kind].setdefault(item, (f.get("packets") or [0])[0])
    return k


def show(item):
    if isinstance(item, tuple):
        return "user %r pass %r" % item
    return repr(item)


def score(tsv, report_path, manifest_path, speed=None):
    man = Manifest(manifest_path)
    report = json.load(open(report_path))
    t_all = tshark_items(tsv)
    k_all = kakehashi_items(report)
    kinds = ["dns", "sni", "http host", "http basic", "ftp login", "pop3 login", "imap login", "smtp login"]
    print("%-12s %8s %9s %7s %8s %9s" % ("kind", "tshark", "kakehashi", "both", "recall", "precision"))
    summary, details = [], []
    by_cause = collections.defaultdict(list)
    for kind in kinds:
        tk = t_all.get(kind, {})
        t_by_item = collections.defaultdict(list)
        subs = collections.defaultdict(set)
        for (item, sub), rows in tk.items():
            t_by_item[item] += rows
            subs[sub].add(item)
        t_set, k_set = set(t_by_item), set(k_all.get(kind, {}))
        both = t_set & k_set
        recall = len(both) / len(t_set) if t_set else 1.0
        precision = len(both) / len(k_set) if k_set else 1.0
        print("%-12s %8d %9d %7d %7.1f%% %8.1f%%" % (kind, len(t_set), len(k_set), len(both), 100 * recall,
                                                   100 * precision))
        if len(subs) > 1 or (subs and next(iter(subs)) not in ("", "dns", "tls")):
            for sub in sorted(subs):
                s = subs[sub]
                print("  %-10s %8d %9s %7d %7.1f%%" % (sub, len(s), "", len(s & k_set),
                                                     100 * len(s & k_set) / len(s)))
        summary.append("TARGET recall>=99%% %-12s %s (%.1f%%)" % (kind, "MET" if recall >= 0.99 else "NOT MET",
                                                                100 * recall))
        missed = sorted(t_set - k_set, key=lambda i: int(t_by_item[i][0]["frame.number"]))
        if missed:
            details.append("\n%s: tshark only (%d)" % (kind, len(missed)))
            for item in missed:
                rows = t_by_item[item]
                sub = [s for s, its in subs.items() if item in its]
                details.append("  %s%s" % (show(item), " [%s]" % ",".join(sub)
                                           if sub not in ([""], ["dns"], ["tls"]) else ""))
                by_file = collections.OrderedDict()
                for r in rows:
                    by_file.setdefault(man.file(int(r["frame.number"]))[0], []).append(r)
                for n, (path, frows) in enumerate(by_file.items()):
                    if n == 5:
                        details.append("      ... and %d more files" % (len(by_file) - 5))
                        break
                    _, tags, ports, stack = cause(frows, man, kind.split()[0])
                    why = ", ".join(tags) or "other (see stack)"
                    by_cause[why].append((kind, show(item), path))
                    details.append("      %s  frame %s %s src %s\n        stack %s\n        cause %s"
                                   % (path, frows[0]["frame.number"], ports, client(frows[0]), stack, why))
        only = sorted(k_set - t_set, key=lambda i: k_all[kind][i])
        if only:
            details.append("%s: kakehashi only (%d)" % (kind, len(only)))
            for item in only[:25]:
                details.append("  %s  packet %s  file %s" % (show(item), k_all[kind][item], man.file(k_all[kind][item])[0]))
            if len(only) > 25:
                details.append("  ... and %d more" % (len(only) - 25))
    if t_all.get("excluded"):
        details.append("\nfound by tshark, not to be reported by the analyser (left out of recall):")
        for (kind, item, why), n in sorted(t_all["excluded"].items()):
            details.append("  %s %r x%d: %s" % (kind, item, n, why))
    if t_all.get("ignored"):
        details.append("\nignored (tshark's text for malformed DNS names): %s"
                       % ", ".join("%s x%d" % kv for kv in sorted(t_all["ignored"].items())))
    print("\n".join(details))
    print("\nmisses by cause (item, file):")
    for why, hits in sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kinds_n = collections.Counter(k for k, _, _ in hits)
        files = collections.Counter(f for _, _, f in hits)
        print("  %3d  %s  [%s]\n       %s" % (len(hits), why, ", ".join("%s %d" % kv for kv in kinds_n.items()),
                                            ", ".join("%s (%d)" % kv for kv in files.items())))
    print()
    print("\n".join(summary))
    if report.get("skipped"):
        print("kakehashi skipped (link types):", report["skipped"])
    if report.get("not_listed"):
        print("kakehashi not listed (bounds reached):", report["not_listed"])
    if report.get("stopped"):
        print("kakehashi stopped:", report["stopped"])
    if speed:
        size, k, km, k1, t, tm = speed.split()
        size, k, k1, t = int(size), float(k), float(k1), float(t)
        mb = size / 1e6
        print("speed: %.1f MB; kakehashi %.2fs (%.0f MB/s, peak %d MiB); one core %.2fs (%.0f MB/s); "
              "tshark %.2fs (%.1f MB/s, peak %d MiB); ratio %.1fx (one core %.1fx)"
              % (mb, k, mb / k if k else 0, int(km) // 1024, k1, mb / k1 if k1 else 0, t, mb / t if t else 0,
                 int(tm) // 1024, t / k if k else 0, t / k1 if k1 else 0))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "linktypes":
        cmd_linktypes()
    elif len(sys.argv) >= 2 and sys.argv[1] == "fields":
        print(" ".join("-e " + f for f in FIELDS))
    elif len(sys.argv) >= 2 and sys.argv[1] == "filter":
        print(FILTER)
    elif len(sys.argv) >= 5 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
