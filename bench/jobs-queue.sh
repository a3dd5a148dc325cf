#!/usr/bin/env bash
# Job queue benchmark (platform kit issue, "Speed"): on SQLite and on PostgreSQL,
#  1. throughput: enqueue 100,000 no-op jobs (`kakehashi jobs enqueue-noop`, 1,000 per
#     transaction), then run them with one `kakehashi worker --workers 2 --until-idle` process;
#  2. pick-up latency: with the worker process idle and polling, a producer process enqueues
#     batches of 20 jobs every 100 ms for about 10 s; latency = claimed (started_at) - due
#     (run_at) for each job, p50 and p99, read back from the jobs table.
# RUNS runs each (default 3); prints every run and the medians.
#
#   bench/jobs-queue.sh [COUNT] [RUNS]        (BIN=path: measure that binary instead of building;
#                                             LEGS="sqlite" or "postgres": one backend only)
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust) for the PostgreSQL leg, python3 for the SQLite read-back.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"
RUNS="${2:-3}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-jobs}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
# BIN=path runs another build (e.g. an older commit's) through the same steps.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
mkdir -p "$DATA"
export RUST_LOG=warn

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

latency_sql="SELECT started_at - run_at FROM jobs WHERE kind = 'platform.noop' AND state = 'done' ORDER BY 1"

read_latencies() { # url -> one latency (ms) per line
  local url=$1
  if [[ $url == postgres* ]]; then
    psql -qtA "$url" -c "$latency_sql"
  else
    python3 - "${url#sqlite://}" "$latency_sql" <<'EOF'
import sqlite3, sys
path = sys.argv[1].split('?')[0]
for (v,) in sqlite3.connect(path).execute(sys.argv[2]):
    print(v)
EOF
  fi
}

pct() { # p -> percentile of stdin (sorted numbers)
  awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'
}

fresh_db() { # backend run -> url
  local backend=$1 run=$2
  if [[ $backend == sqlite ]]; then
    rm -f "$DATA/jobs-$run.db"*
    echo "sqlite://$DATA/jobs-$run.db?mode=rwc"
  else
    local name="kakehashi_bench_jobs_$run"
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
    echo "${PG_ADMIN%/*}/$name"
  fi
}

for backend in ${LEGS:-sqlite postgres}; do
  if [[ $backend == postgres ]] && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "postgres: skipped (no server on 127.0.0.1:5432)"; continue
  fi
  : >"$DATA/$backend.enq"; : >"$DATA/$backend.run"; : >"$DATA/$backend.p50"; : >"$DATA/$backend.p99"
  for run in $(seq 1 "$RUNS"); do
    url=$(fresh_db "$backend" "$run")
    "$BIN" migrate --database-url "$url" >/dev/null
    t0=$(now); "$BIN" jobs enqueue-noop --database-url "$url" --count "$COUNT" >/dev/null; t1=$(now)
    "$BIN" worker --database-url "$url" --workers 2 --until-idle >/dev/null; t2=$(now)
    enq=$(echo "$COUNT / ($t1 - $t0)" | bc -l); ran=$(echo "$COUNT / ($t2 - $t1)" | bc -l)
    printf '%.0f\n' "$enq" >>"$DATA/$backend.enq"; printf '%.0f\n' "$ran" >>"$DATA/$backend.run"

    # Pick-up latency on a fresh database with an idle worker process.
    url=$(fresh_db "$backend" "lat$run")
    "$BIN" migrate --database-url "$url" >/dev/null
    KAKEHASHI_JOB_POLL_MS="${POLL_MS:-100}" "$BIN" worker --database-url "$url" --workers 2 >/dev/null 2>&1 &
    wpid=$!
    sleep 1
    for _ in $(seq 1 100); do
      "$BIN" jobs enqueue-noop --database-url "$url" --count 20 >/dev/null
      sleep 0.1
    done
    sleep 1
    kill "$wpid"; wait "$wpid" 2>/dev/null || true
    lat=$(read_latencies "$url" | sort -g)
    p50=$(pct 50 <<<"$lat"); p99=$(pct 99 <<<"$lat"); n=$(wc -l <<<"$lat")
    echo "$p50" >>"$DATA/$backend.p50"; echo "$p99" >>"$DATA/$backend.p99"
    printf '%s run %d: enqueue %.0f jobs/s, run %.0f jobs/s (%d jobs, 2 workers); pick-up p50 %s ms, p99 %s ms (%d jobs)\n' \
      "$backend" "$run" "$enq" "$ran" "$COUNT" "$p50" "$p99" "$n"
  done
  echo "$backend MEDIAN: enqueue $(median <"$DATA/$backend.enq") jobs/s, run $(median <"$DATA/$backend.run") jobs/s, pick-up p50 $(median <"$DATA/$backend.p50") ms, p99 $(median <"$DATA/$backend.p99") ms"
done
