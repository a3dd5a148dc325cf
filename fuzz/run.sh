#!/usr/bin/env bash
# Coverage-guided fuzzing of the capture readers, every protocol parser, the tunnel headers, the
# firmware engine's readers, label verification and
# QUIC Initial packets (libFuzzer via
# cargo-fuzz, stable toolchain, no sanitizer: the crate forbids unsafe code, so what is looked
# for is panics, hangs, runaway memory).
#   fuzz/run.sh [SECONDS_PER_TARGET]      (default 60)
# Installs cargo-fuzz under /var/tmp if missing. Corpora live in /var/tmp/netcap-fuzz (seeded
# from small shared captures, which are never copied into the repository); crashes land in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
SECS="${1:-60}"
export PATH="/var/tmp/kh-cargo-fuzz/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --root /var/tmp/kh-cargo-fuzz
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/kakehashi-target}/fuzz"
C=/var/tmp/netcap-fuzz
mkdir -p "$C/capture" "$C/parsers" "$C/sbom" "$C/osv" "$C/tunnels" "$C/firmware" "$C/label"
DATA=../../shared/data/pcap
if [ -d "$DATA" ] && [ -z "$(ls -A "$C/capture")" ]; then
  find "$DATA" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -size -8k | head -200 \
    | while read -r f; do cp "$f" "$C/capture/$(sha1sum "$f" | cut -c1-16)"; done || true
fi
# tunnelled and QUIC captures seed the capture target too (they reach the tunnel and QUIC code)
if [ -d "$DATA" ] && [ ! -e "$C/capture/.tunnels" ]; then
  find "$DATA/zeek-traces/testing/btest/Traces/tunnels" "$DATA/zeek-traces/testing/btest/Traces/quic" \
    -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k 2>/dev/null \
    | while read -r f; do cp "$f" "$C/capture/$(sha1sum "$f" | cut -c1-16)"; done || true
  touch "$C/capture/.tunnels"
fi
# the firmware target starts from small images the engine's own builder makes (a SquashFS, an
# initramfs, a U-Boot kernel)
if [ -z "$(ls -A "$C/firmware")" ]; then
  cargo run --quiet --release --manifest-path ../Cargo.toml -p firmware --example make-image -- --seeds "$C/firmware" || true
fi
# each firmware reader's own target starts from a small image of its format, made by Debian's
# tools from a tiny root file system (skipped for a format whose tool is missing)
FW="fw_squashfs fw_cpio fw_tar fw_zip fw_ext fw_sparse fw_streams fw_cramfs fw_jffs2"
for t in $FW; do mkdir -p "$C/$t"; done
if [ ! -e "$C/.fw-seeded" ]; then
  touch "$C/.fw-seeded"
  T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; mkdir -p "$T/r/etc/init.d" "$T/r/bin"
  printf 'root::0:0:root:/root:/bin/sh\n' > "$T/r/etc/passwd"
  printf '::respawn:/usr/sbin/telnetd -F\n' > "$T/r/etc/inittab"
  printf '#!/bin/sh\nwget http://update.example/fw.bin\n' > "$T/r/etc/init.d/S99up"; ln -s /etc/passwd "$T/r/bin/link"
  cp "$C/firmware/"* "$C/fw_squashfs/" 2>/dev/null || true
  command -v mksquashfs >/dev/null && for c in gzip lzo lzma; do mksquashfs "$T/r" "$C/fw_squashfs/$c" -comp "$c" -noappend -quiet -no-progress >/dev/null || true; done
  (cd "$T/r" && find . | cpio -o -H newc --quiet > "$C/fw_cpio/seed")
  tar -C "$T/r" -cf "$C/fw_tar/seed" .
  command -v zip >/dev/null && (cd "$T/r" && zip -qry --symlinks "$C/fw_zip/seed.zip" .)
  command -v mkfs.ext2 >/dev/null && mkfs.ext2 -q -F -b 1024 -N 32 -d "$T/r" "$C/fw_ext/seed" 64K >/dev/null \
    && command -v img2simg >/dev/null && img2simg "$C/fw_ext/seed" "$C/fw_sparse/seed" >/dev/null
  command -v mkfs.cramfs >/dev/null && mkfs.cramfs "$T/r" "$C/fw_cramfs/seed" >/dev/null 2>&1
  command -v mkfs.jffs2 >/dev/null && { mkfs.jffs2 -r "$T/r" -o "$C/fw_jffs2/le" -e 4KiB -l -n \
    && mkfs.jffs2 -r "$T/r" -o "$C/fw_jffs2/be" -e 4KiB -b -n -X rtime -x zlib || true; }
  tar -C "$T/r" -cf "$T/r.tar" .
  i=0; for z in "gzip -c" "xz -c" "xz --format=lzma -c" "zstd -qc"; do
    command -v ${z%% *} >/dev/null && { printf "\\x$(printf %02x $i)"; $z "$T/r.tar"; } > "$C/fw_streams/s$i"; i=$((i + 1))
  done
  rm -rf "$T"
fi
for t in ${TARGETS:-capture parsers sbom osv tunnels firmware label $FW}; do
  echo "== $t: ${SECS}s"
  cargo fuzz run -s none "$t" "$C/$t" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=1024 \
    -timeout=10 -print_final_stats=1 2>&1 | grep -E "DONE|INITED|Done|ERROR|panicked|SUMMARY|artifact|stat::number_of_executed_units|stat::peak_rss" || true
done
if ls artifacts/*/* >/dev/null 2>&1; then ls artifacts/*/*; echo "crashes above"; else echo "no crashes"; fi
