#!/usr/bin/env python3
"""Scores `kakehashi firmware --format json` reports against the truth bench/firmware-images.sh
wrote: for each image, the part expected and, for the root file system packings, every weak
account, key fingerprint, boot service, secret, update URL and component that was put in (and the
strong account that must not be reported). For the Debian image, the OS and the packages that
dpkg-query lists. Prints one line per image and a total; exits 1 on any miss.
    firmware_truth.py DIR REPORTS_DIR     (REPORTS_DIR/<image>.json, one report per image)
"""
import json
import sys

d, reports = sys.argv[1], sys.argv[2]
truth = json.load(open(f"{d}/truth.json"))
root = truth["rootfs"]
inner = lambda p: p.rsplit("!", 1)[-1]
misses_all = 0
seen = set()
for img in truth["images"]:
    f = img["file"]
    r = json.load(open(f"{reports}/{f}.json"))
    miss = []
    parts = [p for p in r["parts"] if p["type"] == img["part"]]
    if not parts or parts[0]["status"] != img["status"]:
        miss.append(f"part {img['part']} {img['status']}: got {[(p['type'], p['status']) for p in r['parts']]}")
    full = img["status"] == "unpacked" and f != "zip-slip.zip" and f not in seen
    if full:
        seen.add(f)
    checks = 0
    if full:
        fs = r["findings"]
        def has(kind, **kw):
            return any(x["kind"] == kind and all(
                (inner(x.get(k, "")) if k == "path" else x.get(k)) == v for k, v in kw.items()) for x in fs)
        for a in root["weak_accounts"]:
            checks += 1
            if not has("weak_password", account=a):
                miss.append(f"weak account {a}")
        for a in root["strong_accounts"]:
            checks += 1
            if has("weak_password", account=a):
                miss.append(f"strong account {a} reported")
        for s in root["boot_services"]:
            checks += 1
            if not has("boot_service", service=s):
                miss.append(f"boot service {s}")
        for p, fp in root["private_keys"].items():
            checks += 1
            if not has("private_key", path=p, fingerprint=fp):
                miss.append(f"key {p}")
        for kind in ("hardcoded_secret", "plain_http_update"):
            for p in root[kind]:
                checks += 1
                if not has(kind, path=p):
                    miss.append(f"{kind} {p}")
        for n, v in root["components"].items():
            checks += 1
            if not any(c["name"] == n and c["version"] == v for c in r["components"]):
                miss.append(f"component {n} {v}")
        checks += 1
        if r["os"] != root["os"]:
            miss.append(f"os {r['os']!r}")
    misses_all += len(miss)
    print(f"{f:24} {img['part']:8} {'ok' if not miss else 'MISS'} ({checks} checks){'; ' + '; '.join(miss) if miss else ''}")
deb = truth.get("debootstrap")
if deb:
    r = json.load(open(f"{reports}/{deb['file']}.json"))
    dpkg = [c for c in r["components"] if "/var/lib/dpkg/status" in c["evidence"]]
    ok = r["os"] == deb["os"] and len(dpkg) == deb["packages"]
    misses_all += 0 if ok else 1
    print(f"{deb['file']:24} debian   {'ok' if ok else 'MISS'}: os {r['os']!r} (truth {deb['os']!r}), "
          f"{len(dpkg)} dpkg packages (truth {deb['packages']}); {r['files']} files read, the image's "
          f"{deb['files']} plus what its compressed files hold")
print(f"total misses: {misses_all}")
sys.exit(1 if misses_all else 0)
