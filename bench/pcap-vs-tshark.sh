#!/usr/bin/env bash
# kakehashi pcap vs one tshark fields pass extracting the same facts, same captures, same run.
#   bench/pcap-vs-tshark.sh [RUNS]     (needs tshark: apt-get install tshark)
# Prints, per capture size (and for a capture built to fill every bound, bench/gen_pcap_worst.py): kakehashi wall time (median of RUNS; its reader thread reads ahead),
# the same pinned to one core (taskset -c 0), peak RSS, tshark's median, the ratio, and
# precision/recall against the generator's labels (bench/pcap_score.py).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
cargo build --release -q -p kakehashi
BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
D=/var/tmp/kakehashi-pcap-bench
mkdir -p "$D"
for mb in 10 100 1024; do
  [ -f "$D/gen-$mb.pcap" ] || python3 bench/gen_pcap.py "$mb" "$D/gen-$mb.pcap" "$D/gen-$mb.json" >/dev/null
done
# every fact the JSON report holds: endpoints (addresses, ports, sizes, times), DNS questions and
# answers, TLS server names, ALPN, versions and ciphers, HTTP requests and Authorization, FTP
# commands, MQTT credentials, telnet data, Modbus function codes
FIELDS="-e frame.number -e frame.time_epoch -e frame.len -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst
  -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e dns.qry.name -e dns.a
  -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str -e tls.handshake.version
  -e tls.handshake.ciphersuite -e http.request.method -e http.host -e http.request.uri -e http.user_agent
  -e http.authorization -e ftp.request.command -e ftp.request.arg -e mqtt.username -e mqtt.passwd
  -e telnet.data -e modbus.func_code"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for mb in 10 100 1024; do
  f="$D/gen-$mb.pcap"
  size=$(stat -c %s "$f")
  : > "$D/k.t"; : > "$D/k1.t"; : > "$D/t.t"
  for i in $(seq 1 "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$D/one" "$BIN" pcap --format json --show-secrets "$f" > "$D/report.json"
    cat "$D/one" >> "$D/k.t"
    /usr/bin/time -f "%e %M" -o "$D/one" taskset -c 0 "$BIN" pcap --format json --show-secrets "$f" > /dev/null
    cat "$D/one" >> "$D/k1.t"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$D/one" tshark -n -r "$f" -T fields $FIELDS > /dev/null 2>&1
    cat "$D/one" >> "$D/t.t"
  done
  k=$(cut -d' ' -f1 "$D/k.t" | median); km=$(cut -d' ' -f2 "$D/k.t" | sort -n | tail -1)
  k1=$(cut -d' ' -f1 "$D/k1.t" | median)
  t=$(cut -d' ' -f1 "$D/t.t" | median); tm=$(cut -d' ' -f2 "$D/t.t" | sort -n | tail -1)
  echo "$mb MB: kakehashi ${k}s ($(echo "$size / $k / 1000000" | bc) MB/s, peak $((km / 1024)) MiB);" \
    "one core ${k1}s ($(echo "$size / $k1 / 1000000" | bc) MB/s); tshark ${t}s (peak $((tm / 1024)) MiB);" \
    "ratio $(echo "scale=1; $t / $k" | bc)x (one core $(echo "scale=1; $t / $k1" | bc)x)"
  python3 bench/pcap_score.py "$D/gen-$mb.json" "$D/report.json" | sed 's/^/    /'
done
# memory whatever the capture: a 1 GB capture built to fill every list and table at once
[ -f "$D/worst-1024.pcap" ] || python3 bench/gen_pcap_worst.py 1024 "$D/worst-1024.pcap" >/dev/null
: > "$D/w.t"
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$D/one" "$BIN" pcap --format json "$D/worst-1024.pcap" > "$D/worst.json"
  cat "$D/one" >> "$D/w.t"
done
w=$(cut -d' ' -f1 "$D/w.t" | median); wm=$(cut -d' ' -f2 "$D/w.t" | sort -n | tail -1)
echo "worst case 1 GB: kakehashi ${w}s, peak $((wm / 1024)) MiB; not listed: $(python3 -c "import json; print(json.load(open('$D/worst.json')).get('not_listed'))")"
