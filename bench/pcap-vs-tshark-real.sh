#!/usr/bin/env bash
# kakehashi pcap vs one tshark fields pass on real captures: every capture of the Zeek test traces
# (../shared/data/pcap/zeek-traces) whose link type kakehashi reads, merged into one pcapng.
#   bench/pcap-vs-tshark-real.sh [RUNS]     (needs tshark, mergecap, capinfos: apt-get install tshark)
#   BIN=path/to/kakehashi bench/pcap-vs-tshark-real.sh 3     (no build)
#   TRACES=dir  another folder of captures (default ../shared/data/pcap/zeek-traces)
# Prints the files merged and those skipped (link type, unreadable), kakehashi's wall time (median
# of RUNS) and peak RSS, once pinned to one core (taskset -c 0), tshark's median, and per kind
# (DNS names, TLS SNI, HTTP hosts, FTP/HTTP Basic/POP3/IMAP/SMTP logins) what tshark finds that
# kakehashi does not, with the capture file and protocol stack of each (bench/pcap_real_score.py).
# A report: exits 0 whatever the recall.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p kakehashi
  BIN="${CARGO_TARGET_DIR:-target}/release/kakehashi"
fi
TRACES="${TRACES:-../shared/data/pcap/zeek-traces}"
D=/var/tmp/kakehashi-pcap-bench/real
SCORE=bench/pcap_real_score.py
mkdir -p "$D"
for t in tshark mergecap capinfos; do
  command -v "$t" >/dev/null || { echo "needs $t (apt-get install tshark)" >&2; exit 1; }
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 1. captures whose link type kakehashi reads: Ethernet (1), raw IP (101, 12, 14, 228, 229),
# Linux SLL (113), SLL2 (276), NULL (0), LOOP (108), 802.11 (105), radiotap (127), PPP (9)
(cd "$TRACES" && find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.pcap.gz' \
  -o -name '*.pcapng.gz' -o -name '*.cap.gz' \) | sed 's|^\./||' | LC_ALL=C sort) > "$D/all.txt"
(cd "$TRACES" && python3 "$OLDPWD/$SCORE" linktypes < "$D/all.txt") > "$D/linktypes.tsv"
# what wiretap (tshark) reads, with its packet counts
(cd "$TRACES" && tr '\n' '\0' < "$D/all.txt" | xargs -0 capinfos -T -r -c -M 2> "$D/capinfos.err" || true) \
  > "$D/capinfos.tsv"
: > "$D/in.txt"; : > "$D/skipped.tsv"
while IFS=$'\t' read -r path lts; do
  n=$(awk -F'\t' -v p="$path" '$1 == p {print $2}' "$D/capinfos.tsv")
  if [ -z "$n" ] || [ "${lts#ERR}" != "$lts" ]; then
    printf '%s\tunreadable (tshark)\n' "$path" >> "$D/skipped.tsv"; continue
  fi
  bad=$(tr ',' '\n' <<< "$lts" | cut -d: -f1 | grep -vxE '1|101|12|14|228|229|113|276|0|108|105|127|9' || true)
  if [ -n "$bad" ]; then
    printf '%s\tlink types %s\n' "$path" "$lts" >> "$D/skipped.tsv"; continue
  fi
  printf '%s\t%s\t%s\n' "$path" "$n" "$lts" >> "$D/in.txt"
done < "$D/linktypes.tsv"
key=$( (cut -f1 "$D/in.txt" | while read -r p; do stat -c '%n %s %Y' "$TRACES/$p"; done) | sha256sum | cut -c1-16)
M="$D/merged.pcapng"
if [ ! -f "$M" ] || [ "$(cat "$D/merged.key" 2>/dev/null)" != "$key" ]; then
  rm -f "$M" "$D/merged.key"
  # -a: concatenated in list order, so frame numbers map back to files (the manifest)
  if ! (cd "$TRACES" && cut -f1 "$D/in.txt" | tr '\n' '\0' | xargs -0 mergecap -a -w "$M" 2> "$D/mergecap.err"); then
    echo "mergecap failed on the whole list ($(head -1 "$D/mergecap.err")); testing files one by one"
    : > "$D/in2.txt"
    while IFS=$'\t' read -r path n lts; do
      if mergecap -w "$D/one.pcapng" "$TRACES/$path" 2>/dev/null; then
        printf '%s\t%s\t%s\n' "$path" "$n" "$lts" >> "$D/in2.txt"
      else
        printf '%s\tbreaks mergecap\n' "$path" >> "$D/skipped.tsv"
      fi
    done < "$D/in.txt"
    rm -f "$D/one.pcapng"; mv "$D/in2.txt" "$D/in.txt"
    (cd "$TRACES" && cut -f1 "$D/in.txt" | tr '\n' '\0' | xargs -0 mergecap -a -w "$M")
  fi
  echo "$key" > "$D/merged.key"
fi
awk -F'\t' 'BEGIN {OFS = "\t"; f = 1} {print $1, f, f + $2 - 1, $3; f += $2}' "$D/in.txt" > "$D/manifest.tsv"
packets=$(capinfos -T -r -c -M "$M" | cut -f2)
size=$(stat -c %s "$M")
expect=$(awk -F'\t' '{s += $2} END {print s + 0}' "$D/in.txt")
echo "merged $(wc -l < "$D/in.txt") of $(wc -l < "$D/all.txt") files: $packets packets, $((size / 1000000)) MB ($M)"
[ "$packets" = "$expect" ] || echo "WARNING: merged file has $packets packets, the files $expect: file attribution is off"
echo "skipped $(wc -l < "$D/skipped.tsv") files:"
sed 's/^/  /' "$D/skipped.tsv"

# 2. tshark: one fields pass with what the comparison needs
# shellcheck disable=SC2207
FIELDS=($(python3 "$SCORE" fields))
FILTER=$(python3 "$SCORE" filter)
: > "$D/t.t"; : > "$D/k.t"
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$D/one" tshark -n -r "$M" -Y "$FILTER" -T fields -E separator=/t -E occurrence=a \
    -E "aggregator=$(printf '\037')" "${FIELDS[@]}" > "$D/tshark.tsv" 2> "$D/tshark.err"
  cat "$D/one" >> "$D/t.t"
done
# 3. kakehashi
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$D/one" "$BIN" pcap --format json --show-secrets "$M" > "$D/report.json"
  cat "$D/one" >> "$D/k.t"
done
/usr/bin/time -f "%e %M" -o "$D/k1.t" taskset -c 0 "$BIN" pcap --format json --show-secrets "$M" > /dev/null
k=$(cut -d' ' -f1 "$D/k.t" | median); km=$(cut -d' ' -f2 "$D/k.t" | sort -n | tail -1)
k1=$(cut -d' ' -f1 "$D/k1.t")
t=$(cut -d' ' -f1 "$D/t.t" | median); tm=$(cut -d' ' -f2 "$D/t.t" | sort -n | tail -1)
echo "binary $BIN; runs $RUNS (kakehashi runs $(cut -d' ' -f1 "$D/k.t" | tr '\n' ' '); tshark $(cut -d' ' -f1 "$D/t.t" | tr '\n' ' '))"
# 4. the comparison
python3 "$SCORE" score "$D/tshark.tsv" "$D/report.json" "$D/manifest.tsv" "$size $k $km $k1 $t $tm"
