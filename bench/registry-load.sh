#!/usr/bin/env bash
# Load benchmark for the public registry list (issue: registry foundation, "Speed").
#
#   bench/registry-load.sh [SCALE] [RUNS]
#
# Builds the release binary, loads `demo --scale SCALE` (default 100000) into SQLite and into a
# fresh PostgreSQL database, serves each in turn, and drives it with wrk (32 connections, 2 threads,
# 10 s per run, RUNS runs, default 3) on three URLs: /livez (the bare HTTP path; /healthz now
# tries a database write, a readiness check, not a load target), the JSON search with a Japanese word,
# and the HTML list with filters. Prints each run and the medians; also the server's RSS.
# Needs: wrk (apt-get install wrk), PostgreSQL on 127.0.0.1:5432 for the PostgreSQL leg.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-100000}"
RUNS="${2:-3}"
PORT="${PORT:-18080}"
DUR="${DUR:-10s}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then   # BIN=path/to/kakehashi measures a given build (e.g. an older one, side by side)
  cargo build --release -q
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
mkdir -p "$DATA"

# 診断 ("assessment/diagnosis") and a filtered HTML list
Q_JSON="/api/v1/services?q=%E8%A8%BA%E6%96%AD"
Q_HTML="/services?category=vulnerability_assessment&region=kanto&sort=newest"

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
  echo "== $name: loading scale $SCALE"
  local t0=$(date +%s.%N)
  "$BIN" demo --database-url "$url" --scale "$SCALE" --no-serve >/dev/null 2>&1
  echo "load: $(echo "$(date +%s.%N) - $t0" | bc) s"
  # The first sweep sends the reminders the generated services are due (thousands of notices):
  # deliver them before measuring, so the list is measured, not the backlog (builds with jobs only).
  if "$BIN" worker --help >/dev/null 2>&1; then
    "$BIN" registry sweep --database-url "$url" >/dev/null 2>&1 || true
    "$BIN" worker --database-url "$url" --until-idle >/dev/null 2>&1 || true
  fi
  if [[ $url == postgres* ]]; then psql -q "$url" -c "VACUUM ANALYZE" >/dev/null; fi   # settle autovacuum before measuring
  RUST_LOG=warn "$BIN" serve --database-url "$url" --bind "127.0.0.1:$PORT" --no-migrate >"$DATA/$name.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  (curl -fs "http://127.0.0.1:$PORT$Q_JSON" || true) | cut -c1-160
  wrk -t2 -c32 -d3s "http://127.0.0.1:$PORT$Q_JSON" >/dev/null   # warm-up
  for target in livez json html; do
    local path
    case $target in livez) path=/livez;; json) path=$Q_JSON;; html) path=$Q_HTML;; esac
    : >"$DATA/$name-$target.runs"
    for i in $(seq 1 "$RUNS"); do
      r=$(run_wrk "$path"); echo "$r" >>"$DATA/$name-$target.runs"
      echo "$name $target run $i: rps=$(cut -d' ' -f1 <<<"$r") p99_ms=$(cut -d' ' -f2 <<<"$r")"
    done
    echo "$name $target MEDIAN rps=$(cut -d' ' -f1 "$DATA/$name-$target.runs" | median) p99_ms=$(cut -d' ' -f2 "$DATA/$name-$target.runs" | median)"
  done
  echo "$name server RSS after load: $(( $(ps -o rss= -p $pid) / 1024 )) MiB"
  kill -TERM $pid; wait $pid || true
}

LEGS="${LEGS:-sqlite postgres}"
[[ $LEGS == *sqlite* ]] && bench_backend sqlite "sqlite://$DATA/bench.db"
[[ $LEGS != *postgres* ]] && exit 0
if pg_isready -h 127.0.0.1 -p 5432 -q; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS kakehashi_bench WITH (FORCE)" postgres
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE kakehashi_bench" postgres
  bench_backend postgres "postgres://postgres@127.0.0.1:5432/kakehashi_bench"
else
  echo "PostgreSQL not reachable: PostgreSQL leg skipped"
fi
