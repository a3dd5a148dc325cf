#!/usr/bin/env bash
# Firmware engine against the shell pipeline a tester would use, on the same SquashFS image:
#   kakehashi firmware --format json IMAGE
# versus
#   unsquashfs -d DIR IMAGE && find DIR -type f | xargs strings | grep (versions, keys, passwords)
# The image is made by the engine's own builder (an OpenWrt-like root file system plus N filler
# files of SIZE bytes, xz-compressed like OpenWrt's): by default about 2,000 files in a 64 MiB
# SquashFS. Prints each run's wall time and peak RSS and the medians; the ratio is peer / ours.
#   bench/firmware.sh [FILES] [SIZE] [RUNS]        (defaults 2000 68000 5: a 64 MiB image)
#   IMAGE=some.sqsh bench/firmware.sh 0 0 [RUNS]   (the same runs on an existing SquashFS)
# Needs squashfs-tools (unsquashfs, mksquashfs) and binutils (strings), from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES="${1:-2000}"; SIZE="${2:-68000}"; RUNS="${3:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/kakehashi-target}"
command -v unsquashfs >/dev/null || { apt-get install -y -qq squashfs-tools >/dev/null; }
command -v strings >/dev/null || { apt-get install -y -qq binutils >/dev/null; }
cargo build --quiet --release -p kakehashi
BIN="$CARGO_TARGET_DIR/release/kakehashi"
W=/var/tmp/kh-fw-bench; rm -rf "$W"; mkdir -p "$W"
if [ -n "${IMAGE:-}" ]; then
  # another image (bench/firmware-real.sh times the Debian one this way)
  cp "$IMAGE" "$W/image.sqsh"
  echo "image: $IMAGE, $(stat -c %s "$W/image.sqsh") bytes"
else
  cargo build --quiet --release -p firmware --example make-image
  "$CARGO_TARGET_DIR/release/examples/make-image" --squashfs "$W/image.sqsh" --files "$FILES" --size "$SIZE" --compressor xz
  echo "image: $(stat -c %s "$W/image.sqsh") bytes, $((FILES + 16)) files"
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ours_t=(); ours_m=(); peer_t=(); peer_m=()
for i in $(seq 1 "$RUNS"); do
  # the peer's 136 MB written in the run before are flushed first, so the disk's write-back does
  # not run during the next timed command (neither side's time includes it)
  sync
  /usr/bin/time -f "%e %M" -o "$W/t" "$BIN" firmware --format json "$W/image.sqsh" > "$W/report.json"
  read -r t m < "$W/t"; ours_t+=("$t"); ours_m+=("$m")
  rm -rf "$W/x"; sync
  /usr/bin/time -f "%e %M" -o "$W/t" bash -c "unsquashfs -q -n -d '$W/x' '$W/image.sqsh' >/dev/null && \
    find '$W/x' -type f -print0 | xargs -0 strings -n 6 | \
    grep -E 'BusyBox v|OpenSSL [0-9]|dropbear_|Linux version|BEGIN .*PRIVATE KEY|password|passwd|http://' > '$W/peer.txt' || true"
  read -r t m < "$W/t"; peer_t+=("$t"); peer_m+=("$m")
  echo "run $i: ours ${ours_t[-1]} s ${ours_m[-1]} KiB; peer ${peer_t[-1]} s ${peer_m[-1]} KiB"
done
ot=$(printf '%s\n' "${ours_t[@]}" | median); om=$(printf '%s\n' "${ours_m[@]}" | median)
pt=$(printf '%s\n' "${peer_t[@]}" | median); pm=$(printf '%s\n' "${peer_m[@]}" | median)
echo "median: ours $ot s, peak $((om / 1024)) MiB; unsquashfs+find+strings $pt s (peak RSS of its largest process $((pm / 1024)) MiB); ratio $(awk -v a="$pt" -v b="$ot" 'BEGIN {printf "%.2f", a / b}')x"
echo "report: $(python3 -c "import json;r=json.load(open('$W/report.json'));print(len(r['parts']),'parts,',r['files'],'files,',len(r['components']),'components,',len(r['findings']),'findings')")"
