#!/usr/bin/env python3
"""Writes an Ubuntu 22.04 image SBOM with N installed packages and OSV advisories for it, with the
findings a correct matcher must report, for the distribution-package scan benchmark.

usage: bench/gen_distro.py N OUTDIR
  OUTDIR/ubuntu.cdx.json   CycloneDX 1.5, N deb packages (syft's purl form: upstream=, distro=)
                           and the operating-system component
  OUTDIR/osv/*.json        Ubuntu:22.04:LTS advisories keyed by source package, plus decoys for
                           Ubuntu 20.04 and Debian 12 that must not match
  OUTDIR/expected.json     the (advisory, installed package) pairs that must be found

No Ubuntu advisories are in the shared data: the records are synthetic, in the shape OSV
publishes Ubuntu's (source package names, ECOSYSTEM ranges, Debian version order).
Deterministic: the same N gives the same files.
"""
import json, os, random, sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(7)
    os.makedirs(os.path.join(out, "osv"), exist_ok=True)
    comps, expected, sources = [], [], {}
    for i in range(n):
        src = f"src{i // 2}"  # two binaries per source package, like libfoo1 + foo-bin
        binary = src if i % 2 == 0 else f"lib{src}-{i % 7}"
        # the binaries of one source package share its version, as dpkg builds them
        j = i // 2
        epoch = "1:" if j % 11 == 0 else ""
        upstream = f"{1 + j % 9}.{j % 13}.{j % 5}"
        version = f"{epoch}{upstream}-{1 + j % 3}ubuntu{j % 4}"
        sources.setdefault(src, version)
        qualifiers = {"arch": "amd64"}
        if binary != src:
            qualifiers["upstream"] = src  # syft's form: the source package when it differs
        qualifiers["distro"] = "ubuntu-22.04"
        purl = f"pkg:deb/ubuntu/{binary}@{version}?" + "&".join(f"{k}={v}" for k, v in qualifiers.items())
        comps.append({"type": "library", "name": binary, "version": version, "purl": purl, "_src": src})
    comps.insert(0, {"type": "operating-system", "name": "ubuntu", "version": "22.04"})
    n_adv = 0
    for src, version in sources.items():
        for k in range(3):
            # fixed above the installed version (affected), below it (not), or at ~ (not)
            affected = rnd.random() < 0.4
            fixed = version + ("+1" if affected else "") if affected else version.split("-")[0] + "-0ubuntu0"
            adv = {
                "id": f"UBUNTU-CVE-2099-{n_adv:05d}",
                "modified": "2026-01-01T00:00:00Z",
                "aliases": [f"CVE-2099-{n_adv:05d}"],
                "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": src},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
            }
            n_adv += 1
            with open(os.path.join(out, "osv", adv["id"] + ".json"), "w") as f:
                json.dump(adv, f)
            if affected:
                # every installed package built from this source (the generator's own pairs)
                for c in comps[1:]:
                    if c["_src"] == src and c["version"] == version:
                        expected.append([adv["id"], c["name"]])
            # decoys: the same package in other releases, always "affected"
            for eco in ("Ubuntu:20.04:LTS", "Debian:12"):
                decoy = dict(adv, id=adv["id"] + "-" + eco.split(":")[0] + eco.split(":")[1].replace(".", ""))
                decoy["affected"] = [{"package": {"ecosystem": eco, "name": src},
                                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}]}]
                with open(os.path.join(out, "osv", decoy["id"] + ".json"), "w") as f:
                    json.dump(decoy, f)
    for c in comps:
        c.pop("_src", None)
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    with open(os.path.join(out, "ubuntu.cdx.json"), "w") as f:
        json.dump(bom, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(sorted(expected), f)
    print(f"{n} packages, {len(sources)} source packages, {n_adv} advisories (+{2 * n_adv} decoys), {len(expected)} expected findings")


if __name__ == "__main__":
    main()
