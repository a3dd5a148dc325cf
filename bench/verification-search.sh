#!/usr/bin/env bash
# Public product search at 100,000 products (issue 10, "Speed": p99 under 20 ms at 32
# connections), on SQLite and on PostgreSQL.
#
#   bench/verification-search.sh [PRODUCTS] [RUNS]
#
# Loads `demo --products PRODUCTS --product-components 0` into a fresh database, serves it, and
# drives it with wrk (2 threads, 32 connections, 10 s a run, RUNS runs) on: the JSON search with
# a Japanese word every product has (ルーター: 100,000 matches, page 3 of 20), the JSON search
# with a partial model number (few matches), and the HTML list filtered by category. Medians.
# Needs: wrk, PostgreSQL on 127.0.0.1:5432 for the PostgreSQL leg.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
RUNS="${2:-3}"
PORT="${PORT:-18091}"
DUR="${DUR:-10s}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-search}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
rm -rf "$DATA" && mkdir -p "$DATA"
Q_WIDE="/api/v1/products?q=%E3%83%AB%E3%83%BC%E3%82%BF%E3%83%BC&page=3"
Q_NARROW="/api/v1/products?q=BR-0123"
Q_HTML="/products?category=iot_device&page=2"

run_wrk() { # url -> "rps p99_ms"
  local out; out=$(wrk -t2 -c32 -d"$DUR" --latency "http://127.0.0.1:$PORT$1")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  echo "$rps $p99"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_backend() { # name url
  local name=$1 url=$2
  local t0=$(date +%s.%N)
  "$BIN" demo --database-url "$url" --no-serve --shared-data /nonexistent --products "$N" --product-components 0 >/dev/null 2>&1
  echo "$name: loaded $N products in $(echo "$(date +%s.%N) - $t0" | bc) s"
  if [[ $url == postgres* ]]; then psql -q "$url" -c "VACUUM ANALYZE" >/dev/null; fi
  RUST_LOG=warn "$BIN" serve --database-url "$url" --bind "127.0.0.1:$PORT" --no-migrate --workers 0 >"$DATA/$name.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/livez" >/dev/null && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$PORT$Q_WIDE" | cut -c1-120; echo
  curl -fs "http://127.0.0.1:$PORT$Q_NARROW" | cut -c1-120; echo
  wrk -t2 -c32 -d3s "http://127.0.0.1:$PORT$Q_WIDE" >/dev/null   # warm-up (builds the index)
  for target in wide narrow html; do
    local path
    case $target in wide) path=$Q_WIDE;; narrow) path=$Q_NARROW;; html) path=$Q_HTML;; esac
    : >"$DATA/$name-$target.runs"
    for i in $(seq 1 "$RUNS"); do
      r=$(run_wrk "$path"); echo "$r" >>"$DATA/$name-$target.runs"
      echo "$name $target run $i: rps=$(cut -d' ' -f1 <<<"$r") p99_ms=$(cut -d' ' -f2 <<<"$r")"
    done
    echo "$name $target MEDIAN rps=$(cut -d' ' -f1 "$DATA/$name-$target.runs" | median) p99_ms=$(cut -d' ' -f2 "$DATA/$name-$target.runs" | median)"
  done
  echo "$name server RSS: $(( $(ps -o rss= -p $pid) / 1024 )) MiB"
  kill -TERM $pid; wait $pid || true
  trap - EXIT
}

bench_backend sqlite "sqlite://$DATA/bench.db?mode=rwc"
if pg_isready -h 127.0.0.1 -p 5432 -q; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS kakehashi_bench_search WITH (FORCE)" postgres
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE kakehashi_bench_search" postgres
  bench_backend postgres "postgres://postgres@127.0.0.1:5432/kakehashi_bench_search"
fi
