#!/usr/bin/env python3
"""Side-by-side: `kakehashi scan` against trivy on the same SBOMs and the same OSV data.

usage: bench/scan_vs_trivy.py KAKEHASHI_BIN KH_DB TRIVY_BIN TRIVY_CACHE [RUNS]
       KH_SBOMS=sbom/alpine-images bench/scan_vs_trivy.py ...   (every SBOM in a folder of the shared data)

For each SBOM: median wall time of RUNS whole-process runs of each tool (cold process, warm
page cache), and the agreement on (package, version, vulnerability) triples, where a
kakehashi finding agrees with a trivy finding when trivy's ID is the finding's ID or one of
its aliases. Prints a Markdown table. Needs ../shared/data next to the repository and, for
CycloneDX XML, the peers' cdx-xml2json.py (trivy cannot read XML).
"""
import json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
PEERS = os.path.join(ROOT, "..", "shared", "tools", "peers")
SBOMS = [
    "sbom/bom-shelter/in-the-wild/spdx/constellation-spdx.json",
    "sbom/bom-shelter/in-the-wild/spdx/istio-release.spdx",
    "sbom/sonatype-cyclonedx-sbom-examples/jake-bom.xml",
    "sbom/guac-data/docs/cyclonedx/syft-cyclonedx-docker.io-library-python.latest.json",
    "sbom/guac-data/top-dh-sboms/caddy.json",
]


def timed(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True)
    return time.perf_counter() - t, p


def main():
    kh, db, trivy, cache = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    print("| SBOM | components | kakehashi s (median) | trivy s (median) | speed-up | triples kakehashi | triples trivy | both | only kakehashi | only trivy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    details = []
    sboms = SBOMS
    if os.environ.get("KH_SBOMS"):
        folder = os.environ["KH_SBOMS"]
        sboms = sorted(os.path.join(folder, f) for f in os.listdir(os.path.join(DATA, folder)) if f.endswith((".json", ".xml")))
    for rel in sboms:
        path = os.path.join(DATA, rel)
        if not os.path.exists(path):
            continue
        tpath = path
        if path.endswith(".xml"):
            tpath = os.path.join(tempfile.mkdtemp(), "bom.json")
            subprocess.run([sys.executable, os.path.join(PEERS, "cdx-xml2json.py"), path, tpath], check=True, capture_output=True)
        kt, tt = [], []
        kout = tout = None
        for _ in range(runs):
            d, p = timed([kh, "scan", "--db", db, "--format", "json", path])
            kt.append(d)
            kout = p
            d, p = timed([trivy, "sbom", "--offline-scan", "--skip-db-update", "--skip-java-db-update", "--cache-dir", cache, "-f", "json", "-q", tpath])
            tt.append(d)
            tout = p
        k = json.loads(kout.stdout)
        t = json.loads(tout.stdout or b"{}")
        ours = {}
        for f in k["findings"]:
            ours.setdefault((f["package"]["name"], f["package"]["version"]), []).append(set([f["id"]] + f["aliases"]))
        theirs = set()
        for r in t.get("Results") or []:
            for v in r.get("Vulnerabilities") or []:
                theirs.add((v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"]))
        def norm(n, v):
            # trivy keeps Go's "v" and PyPI names as written; compare case-insensitively
            return n.lower(), v
        ours_n = {}
        for (n, v), sets in ours.items():
            ours_n.setdefault(norm(n, v), []).extend(sets)
        only_t = [x for x in theirs if not any(x[2] in s for s in ours_n.get(norm(x[0], x[1]), []))]
        theirs_by = {}
        for n, v, i in theirs:
            theirs_by.setdefault(norm(n, v), set()).add(i)
        ours_triples = [(n, v, s) for (n, v), sets in ours_n.items() for s in sets]
        only_k = [(n, v, sorted(s)) for (n, v, s) in ours_triples if not (s & theirs_by.get((n, v), set()))]
        both = len(ours_triples) - len(only_k)
        km, tm = statistics.median(kt), statistics.median(tt)
        print(f"| {os.path.basename(rel)} | {k['components']} | {km:.3f} | {tm:.3f} | {tm / km:.1f}x | {len(ours_triples)} | {len(theirs)} | {both} | {len(only_k)} | {len(only_t)} |")
        details.append((rel, only_k[:10], only_t[:10]))
    for rel, ok, ot in details:
        if ok or ot:
            print(f"\n{os.path.basename(rel)}: only kakehashi {ok}; only trivy {ot}")


if __name__ == "__main__":
    main()
