#!/usr/bin/env bash
# kakehashi pcap vs one tshark fields pass extracting the same facts, same captures, same run.
#   bench/pcap-vs-tshark.sh [RUNS]     (needs tshark: apt-get install tshark)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
cargo build --release -q
BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
D=/var/tmp/kakehashi-pcap-bench
mkdir -p "$D"
for mb in 10 100 1024; do
  [ -f "$D/gen-$mb.pcap" ] || python3 bench/gen_pcap.py "$mb" "$D/gen-$mb.pcap" "$D/gen-$mb.json" >/dev/null
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for mb in 10 100 1024; do
  f="$D/gen-$mb.pcap"
  size=$(stat -c %s "$f")
  : > "$D/k.t"; : > "$D/t.t"
  for i in $(seq 1 "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$D/one" "$BIN" pcap --format json "$f" > /dev/null
    cat "$D/one" >> "$D/k.t"
    if [ "$mb" != 1024 ] || [ "$i" = 1 ]; then
      /usr/bin/time -f "%e %M" -o "$D/one" tshark -n -r "$f" -T fields -e ip.src -e ip.dst -e dns.qry.name \
        -e tls.handshake.extensions_server_name -e http.authorization -e ftp.request.command -e ftp.request.arg \
        -e mqtt.username -e mqtt.passwd > /dev/null 2>&1
      cat "$D/one" >> "$D/t.t"
    fi
  done
  k=$(cut -d' ' -f1 "$D/k.t" | median); km=$(cut -d' ' -f2 "$D/k.t" | sort -n | tail -1)
  t=$(cut -d' ' -f1 "$D/t.t" | median)
  echo "$mb MB: kakehashi ${k}s ($(echo "$size / $k / 1000000" | bc) MB/s, peak ${km} KB), tshark ${t}s, ratio $(echo "scale=1; $t / $k" | bc)x"
done
