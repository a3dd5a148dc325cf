#!/usr/bin/env bash
# The firmware engine on images made by Debian's own tools (bench/firmware-images.sh
# --debootstrap): every packing is scored against what the script put in
# (bench/firmware_truth.py), then the Debian minbase SquashFS (debootstrap, xz) is timed against
# the shell pipeline a tester would use on it:
#   unsquashfs -d DIR IMAGE && find DIR -type f | xargs strings | grep (versions, keys, passwords)
#   bench/firmware-real.sh [RUNS]      (default 5; medians of wall time and peak RSS)
# Needs the packages listed in firmware-images.sh, debootstrap and network to deb.debian.org the
# first time (the root file system is cached under /var/tmp/kh-debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/kakehashi-target}"
cargo build --quiet --release -p kakehashi
BIN="$CARGO_TARGET_DIR/release/kakehashi"
W=/var/tmp/kh-fw-real
bash bench/firmware-images.sh "$W" --debootstrap
mkdir -p "$W/reports"
for f in $(python3 -c "import json; t=json.load(open('$W/truth.json')); print(' '.join(sorted({i['file'] for i in t['images']} | ({t['debootstrap']['file']} if t['debootstrap'] else set()))))"); do
  /usr/bin/time -f "%e %M" -o "$W/t" "$BIN" firmware --format json "$W/$f" > "$W/reports/$f.json"
  read -r t m < "$W/t"
  echo "$f: $(stat -c %s "$W/$f") bytes, ${t} s, $((m / 1024)) MiB"
done
python3 bench/firmware_truth.py "$W" "$W/reports"

# the Debian image against the shell pipeline, with bench/firmware.sh's runs
IMAGE="$W/debian-minbase.img" bash bench/firmware.sh 0 0 "$RUNS"

# bombs: one zip entry of 8 GiB of zeros (8 MiB deflated) and a nest of zips (16 zips of 16
# zips of 16 MiB of zeros: 4 GiB in 256 files, 4 MiB on disk): each must stop at the bound
# (4 × --max-mb, 4 GiB by default) with a `limit` finding, with memory far under the bound
python3 - "$W" <<'PY'
import sys, zipfile, zlib
w = sys.argv[1]
with zipfile.ZipFile(f"{w}/zip-bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("usr/share/zeros.bin", "w", force_zip64=True) as f:
        block = bytes(1 << 24)
        for _ in range(512):
            f.write(block)
inner = None
with zipfile.ZipFile(f"{w}/nest-0.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("zeros.bin", bytes(16 << 20))
prev = f"{w}/nest-0.zip"
for level in range(1, 3):
    data = open(prev, "rb").read()
    name = f"{w}/nest-{level}.zip"
    with zipfile.ZipFile(name, "w", zipfile.ZIP_STORED) as z:
        for i in range(16):
            z.writestr(f"{i:x}.zip", data)
    prev = name
PY
for b in zip-bomb.zip nest-2.zip; do
  /usr/bin/time -f "%e %M" -o "$W/t" "$BIN" firmware --format json "$W/$b" > "$W/$b.json"
  read -r t m < "$W/t"
  echo "$b ($(stat -c %s "$W/$b") bytes): ${t} s, peak $((m / 1024)) MiB; $(python3 -c "import json;r=json.load(open('$W/$b.json'));l=[f['detail'] for f in r['findings'] if f['kind']=='limit'];print(r['unpacked_bytes'],'bytes unpacked,',r['files'],'files;', l[0] if l else 'NO LIMIT FINDING')")"
done
