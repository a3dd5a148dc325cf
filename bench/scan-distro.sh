#!/usr/bin/env bash
# Distribution packages: a 1,000-package Ubuntu 22.04 image SBOM against Ubuntu advisories
# (bench/gen_distro.py), whole-process `kakehashi scan` time (median of RUNS) and the findings
# checked against the generator's expected (advisory, installed package) pairs.
#   bench/scan-distro.sh [RUNS] [N]      BIN=path/to/kakehashi to skip the build
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-9}"; N="${2:-1000}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
D=/var/tmp/kakehashi-distro-bench
rm -rf "$D" && mkdir -p "$D"
python3 bench/gen_distro.py "$N" "$D"
"$BIN" osv import --db "$D/db" "$D/osv" | tail -1
: > "$D/t"
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e %M" -a -o "$D/t" "$BIN" scan --db "$D/db" --format json "$D/ubuntu.cdx.json" > "$D/report.json" || true
done
python3 - "$D" <<'PY'
import json, statistics, sys
d = sys.argv[1]
times = [float(l.split()[0]) for l in open(d + "/t") if l.strip() and l[0].isdigit()]
rss = max(int(l.split()[1]) for l in open(d + "/t") if l.strip() and l[0].isdigit())
r = json.load(open(d + "/report.json"))
got = sorted([f["id"], f["package"]["name"]] for f in r["findings"])
want = json.load(open(d + "/expected.json"))
print(f"components {r['components']}, findings {len(got)}, expected {len(want)}, "
      f"missing {len([w for w in want if w not in got])}, extra {len([g for g in got if g not in want])}, "
      f"not matched {r['not_matched']}")
print(f"scan: median {statistics.median(times) * 1000:.0f} ms of {len(times)} runs (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), peak {rss // 1024} MiB")
PY
