#!/usr/bin/env bash
# Case evidence: a large capture (2 GiB by default) uploaded to a verification case by API —
# streamed to the file store — and analysed by a job for the case's devices, end to end, with the
# server's peak memory (issue 10: "2 GiB capture (streamed, bounded memory in the job)"); beside
# the capture analyser alone on the same file (`kakehashi pcap --format json`), in the same run,
# so the ratio is the platform's cost over the engine's.
#
#   bench/verification-capture.sh [SIZE_MB] [RUNS]
#
# The capture is bench/gen_pcap.py's labelled mix (DNS, TLS, HTTP with Basic auth, FTP, MQTT and
# telnet logins, Modbus writes, bulk TCP). The demo is loaded on SQLite and served with one job
# worker; the demo vendor's token uploads to the router's white-hat case (case 2, in progress; no device
# addresses, so every host is analysed, as the engine alone does)
# with curl, then GET /api/v1/jobs/{id} is polled every 100 ms until the analysis is done.
# Prints each run (upload answered, analysis done, in ms; server peak RSS) and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
MB="${1:-2048}"
RUNS="${2:-3}"
PORT="${PORT:-18091}"
DATA="${BENCH_DATA:-/var/tmp/kakehashi-bench-capture}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
rm -rf "$DATA" && mkdir -p "$DATA"
python3 bench/gen_pcap.py "$MB" "$DATA/big.pcap" "$DATA/labels.json" >/dev/null
SIZE=$(stat -c %s "$DATA/big.pcap")
now_ms() { date +%s%3N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
url="sqlite://$DATA/kh.db?mode=rwc"
"$BIN" demo --database-url "$url" --no-serve --shared-data /nonexistent >/dev/null 2>&1
base="http://127.0.0.1:$PORT"
RUST_LOG=warn KAKEHASHI_BLOB_DIR="$DATA/blobs" "$BIN" serve --database-url "sqlite://$DATA/kh.db" \
  --bind "127.0.0.1:$PORT" --workers 1 >"$DATA/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
jar="$DATA/cookies"
csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -c "$jar" -b "$jar" -H "Origin: $base" -o /dev/null --data-urlencode "csrf=$csrf" \
  --data-urlencode "email=provider-admin@demo.kakehashi.jp" --data-urlencode "password=kakehashi-demo-2026" "$base/login"
csrf=$(curl -s -b "$jar" "$base/account" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
token=$(curl -s -b "$jar" -H "Origin: $base" --data-urlencode "csrf=$csrf" --data-urlencode "name=bench" \
  --data-urlencode "scopes=verification:read" --data-urlencode "scopes=verification:write" "$base/account/tokens" \
  | grep -o 'kh_[A-Za-z0-9_]*' | head -1)
[ -n "$token" ] || { echo "no token" >&2; exit 1; }
state=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/cases/2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = in_progress ] || { echo "case 2 is $state, not in_progress" >&2; exit 1; }
hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }
echo "capture: $((SIZE / 1048576)) MiB; server RSS at start: $(hwm $pid) MiB"
ups=() ans=() engs=()
for run in $(seq 1 "$RUNS"); do
  t0=$(now_ms)
  job=$(curl -sf -H "Authorization: Bearer $token" -F kind=capture -F "file=@$DATA/big.pcap" \
    "$base/api/v1/cases/2/evidence" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  t1=$(now_ms)
  until s=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])');
        [ "$s" = done ] || [ "$s" = failed ]; do sleep 0.1; done
  t2=$(now_ms)
  [ "$s" = done ] || { echo "analysis $s" >&2; exit 1; }
  e0=$(now_ms)
  "$BIN" pcap --format json "$DATA/big.pcap" >/dev/null
  e1=$(now_ms)
  ups+=($((t1 - t0))); ans+=($((t2 - t1))); engs+=($((e1 - e0)))
  echo "run $run: upload answered ${ups[-1]} ms, analysis done $((t2 - t0)) ms after the start (job ${ans[-1]} ms); engine alone ${engs[-1]} ms; server peak RSS $(hwm $pid) MiB"
done
/usr/bin/time -f "%M" -o "$DATA/engine.rss" "$BIN" pcap --format json "$DATA/big.pcap" >/dev/null
up=$(printf '%s\n' "${ups[@]}" | median); an=$(printf '%s\n' "${ans[@]}" | median); en=$(printf '%s\n' "${engs[@]}" | median)
echo "median: upload $up ms, analysis $an ms, end to end $((up + an)) ms; engine alone $en ms (ratio $(python3 -c "print(round(($up + $an) / $en, 2))")); server peak RSS $(hwm $pid) MiB, engine alone $(( $(cat "$DATA/engine.rss") / 1024 )) MiB"
