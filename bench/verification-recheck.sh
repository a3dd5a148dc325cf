#!/usr/bin/env bash
# Continuous re-check (issue 10, "Speed"): 10,000 stored product SBOMs (about 2 million
# components), then an import of 100 new advisories: all new findings stored and the vendors'
# notifications queued in under 5 s, on SQLite and on PostgreSQL.
#
#   bench/verification-recheck.sh [PRODUCTS] [RUNS]
#
# Loads `demo --products PRODUCTS` (200 npm components each, drawn from 20,000 package names),
# builds a small advisory index, then RUNS times imports 100 new OSV advisories (each for one
# package name, versions below 1.0.5; run r names packages 100r … 100r+99) with
# `osv import --database-url`, which re-matches only the stored components those names appear
# in. Prints the command's wall time and its own report, and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
RUNS="${2:-5}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-recheck}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
rm -rf "$DATA" && mkdir -p "$DATA/base"
cat >"$DATA/base/BASE-0001.json" <<'JSON'
{"id":"BASE-0001","modified":"2026-01-01T00:00:00Z","summary":"base","affected":[{"package":{"ecosystem":"npm","name":"unrelated-package"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}
JSON
for r in $(seq 0 $((RUNS - 1))); do
  mkdir -p "$DATA/run$r"
  for k in $(seq $((r * 100)) $((r * 100 + 99))); do
    printf '{"id":"BENCH-%05d","modified":"2026-06-01T00:00:00Z","summary":"generated advisory %d","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"bench-pkg-%d"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.5"}]}]}]}\n' \
      "$k" "$k" "$k" >"$DATA/run$r/BENCH-$k.json"
  done
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_backend() { # name database-url
  local name=$1 url=$2
  local t0=$(date +%s.%N)
  "$BIN" demo --database-url "$url" --no-serve --shared-data /nonexistent --products "$N" >/dev/null 2>&1
  echo "$name: loaded $N products in $(echo "$(date +%s.%N) - $t0" | bc) s"
  if [[ $url == postgres* ]]; then psql -q "$url" -c "VACUUM ANALYZE" >/dev/null; fi
  rm -rf "$DATA/index-$name"
  "$BIN" osv import --db "$DATA/index-$name" "$DATA/base" >/dev/null
  local walls=()
  for r in $(seq 0 $((RUNS - 1))); do
    local t1 out t2
    t1=$(date +%s%3N)
    out=$(RUST_LOG=warn "$BIN" osv import --db "$DATA/index-$name" --database-url "$url" "$DATA/run$r" | tail -1)
    t2=$(date +%s%3N)
    echo "$name run $r: $((t2 - t1)) ms wall — $out"
    walls+=($((t2 - t1)))
  done
  echo "$name median: $(printf '%s\n' "${walls[@]}" | median) ms for 100 new advisories over $N stored SBOMs"
}

bench_backend sqlite "sqlite://$DATA/bench.db?mode=rwc"
if psql -h 127.0.0.1 -U postgres -c 'SELECT 1' >/dev/null 2>&1; then
  psql -q -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS kakehashi_bench_recheck' -c 'CREATE DATABASE kakehashi_bench_recheck'
  bench_backend postgres "postgres://postgres@127.0.0.1:5432/kakehashi_bench_recheck"
fi
