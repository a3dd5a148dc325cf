#!/usr/bin/env bash
# Verification platform: a 50,000-component SBOM pushed by API to findings visible on the product
# (issue 10, "Speed": under 2 s end to end), on SQLite and on PostgreSQL.
#
#   bench/verification-sbom.sh [COMPONENTS] [RUNS]
#
# Builds the advisory index from the shared data (PyPI, Go, RustSec), loads the demo into a fresh
# database, serves it with two job workers, signs in as the demo vendor and makes an API token
# (as a build pipeline would have), then RUNS times: POST the SBOM to a new version, poll
# /api/v1/jobs/{id} every 20 ms until done, and GET /api/v1/products/{id}?version=V, which shows
# the findings. Prints each run (push answered, job done, findings shown, in ms) and the medians.
# Peer: Dependency-Track's BOM upload answers with a token and processes asynchronously too; it
# is not installed here, so this benchmark has no peer figure (see bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
RUNS="${2:-5}"
PORT="${PORT:-18090}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-verification}"
SHARED="${SHARED:-../shared/data}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
rm -rf "$DATA" && mkdir -p "$DATA"
python3 bench/gen_sbom.py "$N" "$DATA/sbom.json"
"$BIN" osv import --db "$DATA/index" "$SHARED/osv/pypa-advisory-database.zip" "$SHARED/osv/golang-vulndb.zip" \
  "$SHARED/osv/rustsec-advisory-db.zip" >/dev/null
now_ms() { date +%s%3N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_backend() { # name database-url
  local name=$1 url=$2 base="http://127.0.0.1:$PORT"
  "$BIN" demo --database-url "$url" --no-serve --shared-data /nonexistent >/dev/null 2>&1
  RUST_LOG="${RUST_LOG:-warn}" KAKEHASHI_ADVISORY_DB="$DATA/index" "$BIN" serve --database-url "$url" --bind "127.0.0.1:$PORT" \
    --workers 2 >"$DATA/$name.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
  local jar="$DATA/$name.cookies"
  rm -f "$jar"
  local csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
  curl -s -c "$jar" -b "$jar" -H "Origin: $base" -o /dev/null \
    --data-urlencode "csrf=$csrf" --data-urlencode "email=provider-admin@demo.kakehashi.jp" \
    --data-urlencode "password=kakehashi-demo-2026" --data-urlencode "next=/" "$base/login"
  csrf=$(curl -s -b "$jar" "$base/account" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
  local token
  token=$(curl -s -b "$jar" -H "Origin: $base" --data-urlencode "csrf=$csrf" --data-urlencode "name=bench" \
    --data-urlencode "scopes=verification:read" --data-urlencode "scopes=verification:write" "$base/account/tokens" \
    | grep -o 'kh_[A-Za-z0-9_]*' | head -1)
  [ -n "$token" ] || { echo "no token" >&2; exit 1; }
  local product
  product=$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"ベンチマーク 製品","category":"software","vuln_contact":"psirt@example.jp","public":true}' \
    "$base/api/v1/products" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  local pushes=() dones=() shows=()
  for run in $(seq 1 "$RUNS"); do
    local t0 job t1 t2 t3 state findings
    t0=$(now_ms)
    job=$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "@$DATA/sbom.json" \
      "$base/api/v1/products/$product/versions/1.0.$run/sbom" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    t1=$(now_ms)
    while :; do
      state=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
      [ "$state" = done ] || [ "$state" = failed ] && break
      sleep 0.02
    done
    t2=$(now_ms)
    findings=$(curl -s "$base/api/v1/products/$product?version=1.0.$run" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["findings"]), d["components"])')
    t3=$(now_ms)
    echo "$name run $run: push answered $((t1 - t0)) ms, job $state $((t2 - t0)) ms, findings shown $((t3 - t0)) ms ($findings findings/components)"
    pushes+=($((t1 - t0))); dones+=($((t2 - t0))); shows+=($((t3 - t0)))
  done
  echo "$name median: push $(printf '%s\n' "${pushes[@]}" | median) ms, job done $(printf '%s\n' "${dones[@]}" | median) ms, findings visible $(printf '%s\n' "${shows[@]}" | median) ms"
  # the same SBOM as evidence of a verification case (the demo router's white-hat case, 2), to its
  # findings on the case page (the evidence row's scan summary)
  local cups=() cshows=()
  for run in $(seq 1 "$RUNS"); do
    local t0 job t1 t3 shown
    t0=$(now_ms)
    job=$(curl -s -H "Authorization: Bearer $token" -F kind=sbom -F "version=9.0.$run" -F "file=@$DATA/sbom.json" \
      "$base/api/v1/cases/2/evidence" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    t1=$(now_ms)
    while :; do
      state=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
      [ "$state" = done ] || [ "$state" = failed ] && break
      sleep 0.02
    done
    shown=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/cases/2/evidence" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["items"][-1]["summary"].get("findings"))')
    t3=$(now_ms)
    echo "$name case run $run: upload answered $((t1 - t0)) ms, findings on the case $((t3 - t0)) ms ($shown findings)"
    cups+=($((t1 - t0))); cshows+=($((t3 - t0)))
  done
  echo "$name case median: upload $(printf '%s\n' "${cups[@]}" | median) ms, findings visible on the case $(printf '%s\n' "${cshows[@]}" | median) ms"
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
}

bench_backend sqlite "sqlite://$DATA/bench.db?mode=rwc"
if psql -h 127.0.0.1 -U postgres -c 'SELECT 1' >/dev/null 2>&1; then
  psql -q -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS kakehashi_bench_verification' -c 'CREATE DATABASE kakehashi_bench_verification'
  bench_backend postgres "postgres://postgres@127.0.0.1:5432/kakehashi_bench_verification"
fi
