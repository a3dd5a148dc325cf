#!/usr/bin/env bash
# Verification labels (issue 11, "Speed"), on the embedded default (SQLite):
#  1. `kakehashi label verify` (one process per check, trust root and status list given) under
#     10 ms, beside the DSSE reference implementation (securesystemslib, bench/dsse_verify.py)
#     checking the same envelope's signature against the same trust root;
#  2. the signed status list regenerated for LABELS labels under 1 s: the demo's labels are
#     copied to LABELS rows, the stored list is marked stale, and GET /api/v1/labels/status-list
#     re-issues it (read every label in a transaction, build, sign with ed25519, store, answer);
#  3. the label page p99 under 20 ms at 32 connections (wrk), beside /livez (no work) in the same run.
#
#   bench/labels.sh [LABELS] [RUNS]
#
# Needs: wrk, sqlite3, python3 (a venv with securesystemslib is made under $DATA), the shared
# data beside the checkout (../shared/data) for the demo's labels.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
RUNS="${2:-5}"
PORT="${PORT:-18095}"
DUR="${DUR:-10s}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-labels}"
SHARED="${SHARED:-../shared/data}"
for c in wrk sqlite3 python3 curl; do command -v $c >/dev/null || { echo "$c is required" >&2; exit 2; }; done
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
rm -rf "$DATA" && mkdir -p "$DATA"
python3 -m venv "$DATA/venv" && "$DATA/venv/bin/pip" install -q 'securesystemslib[crypto]>=1,<2'

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f\n", m}'; }
now_ns() { date +%s%N; }
serve() {
  "$BIN" demo --data-dir "$DATA/demo" --port "$PORT" --shared-data "$SHARED" >"$DATA/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return; sleep 0.5; done
  echo "server did not start" >&2; exit 1
}
trap '[ -n "${PID:-}" ] && kill $PID 2>/dev/null || true' EXIT

serve
U="http://127.0.0.1:$PORT"
curl -fs "$U/api/v1/labels?status=active" >"$DATA/active.json"
ID=$(python3 -c "import json;print(json.load(open('$DATA/active.json'))['items'][0]['id'])")
curl -fs "$U/api/v1/labels/$ID" >"$DATA/label.json"
curl -fs "$U/api/v1/trust-root" >"$DATA/root.json"
curl -fs "$U/api/v1/labels/status-list" >"$DATA/status.json"
"$BIN" label verify "$DATA/label.json" --trust-root "$DATA/root.json" --status "$DATA/status.json" >/dev/null
"$DATA/venv/bin/python" bench/dsse_verify.py "$DATA/label.json" "$DATA/root.json"

echo "== 1. label verify (ms per check, median of $((RUNS * 20)))"
for _ in $(seq 1 $((RUNS * 20))); do
  t0=$(now_ns); "$BIN" label verify "$DATA/label.json" --trust-root "$DATA/root.json" --status "$DATA/status.json" >/dev/null; t1=$(now_ns)
  echo "scale=3; ($t1 - $t0) / 1000000" | bc
done | median | tee "$DATA/ours.ms" | sed 's/^/ours (kakehashi label verify, with status list): /'
for _ in $(seq 1 $((RUNS * 20))); do
  t0=$(now_ns); "$DATA/venv/bin/python" bench/dsse_verify.py "$DATA/label.json" "$DATA/root.json"; t1=$(now_ns)
  echo "scale=3; ($t1 - $t0) / 1000000" | bc
done | median | tee "$DATA/peer.ms" | sed 's/^/peer (securesystemslib DSSE verify, signature only): /'

echo "== 3. label page and /livez at 32 connections ($RUNS runs of $DUR)"
run_wrk() { wrk -t2 -c32 -d"$DUR" --latency "$U$1" | awk '/Requests\/sec/ {r=$2} /^ +99%/ {p=$2} END {
  if (p ~ /us$/) {sub(/us/,"",p); p=p/1000} else if (p ~ /ms$/) {sub(/ms/,"",p)} else if (p ~ /s$/) {sub(/s/,"",p); p=p*1000}
  print r, p}'; }
wrk -t2 -c32 -d3s "$U/labels/$ID" >/dev/null
for path in "/labels/$ID" /livez; do
  : >"$DATA/wrk.runs"
  for _ in $(seq 1 "$RUNS"); do run_wrk "$path" >>"$DATA/wrk.runs"; done
  echo "$path: rps $(cut -d' ' -f1 "$DATA/wrk.runs" | median), p99 ms $(cut -d' ' -f2 "$DATA/wrk.runs" | median)"
done

echo "== 2. status list regenerated for $N labels (ms, median of $RUNS)"
kill $PID; wait $PID 2>/dev/null || true; PID=
DB="$DATA/demo/kakehashi.db"
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N - (SELECT COUNT(*) FROM labels))
  INSERT INTO labels (case_id, product_id, version_id, vendor_org_id, body_org_id, levels, status, reason, envelope,
    sbom_sha256, keyid, issued_at, valid_until, status_at)
  SELECT 10000000 + i, product_id, version_id, vendor_org_id, body_org_id, levels,
    CASE WHEN i % 50 = 0 THEN 'suspended' ELSE 'active' END, '', envelope, sbom_sha256, keyid, issued_at, valid_until, status_at
  FROM n, (SELECT * FROM labels WHERE id = $ID);"
echo "labels: $(sqlite3 "$DB" 'SELECT COUNT(*) FROM labels')"
serve
: >"$DATA/regen.runs"
for _ in $(seq 1 "$RUNS"); do
  sqlite3 "$DB" "UPDATE status_lists SET issued_at = 0"
  curl -fs -o "$DATA/big-status.json" -w '%{time_total}\n' "$U/api/v1/labels/status-list" | awk '{printf "%.1f\n", $1 * 1000}' >>"$DATA/regen.runs"
done
echo "regeneration + transfer ($(stat -c %s "$DATA/big-status.json") bytes): $(median <"$DATA/regen.runs") ms"
: >"$DATA/bigverify.runs"
for _ in $(seq 1 "$RUNS"); do
  t0=$(now_ns); "$BIN" label verify "$DATA/label.json" --trust-root "$DATA/root.json" --status "$DATA/big-status.json" >/dev/null; t1=$(now_ns)
  echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$DATA/bigverify.runs"
done
echo "label verify against the $N-label status list: $(median <"$DATA/bigverify.runs") ms"
