#!/usr/bin/env bash
# Builds realistic firmware images from Debian's own tools, and writes what was put in them as
# the ground truth the engine is checked against (`truth.json`):
#   bench/firmware-images.sh OUT [--debootstrap]
# The root file system is BusyBox from Debian's busybox-static (the real static binary, with its
# applet links) and a small /etc as a cheap router ships it: weak accounts in every crypt format
# (MD5, SHA-256, SHA-512, DES, an empty password) beside a strong one, a telnetd in inittab,
# private keys (RSA, EC, Ed25519; their SubjectPublicKeyInfo fingerprints computed by openssl),
# a cloud API key, an update script over plain HTTP and an opkg database. It is packed as
# SquashFS in every compression mksquashfs has (gzip, lzo, lz4, xz, zstd, lzma), a gzip'd CPIO
# initramfs, tar in xz and lzma, zip, ext2/ext3/ext4, an Android sparse ext4, a uImage placed
# at an offset inside a larger blob, CramFS, JFFS2 (little- and big-endian, LZO), UBI (found, not
# unpacked), and a zip whose entry climbs out of the root (zip-slip).
# With --debootstrap, a Debian minbase root file system (debootstrap, cached under /var/tmp)
# is packed as an xz SquashFS too, its package list from dpkg-query as the truth.
# Needs: busybox-static squashfs-tools cpio xz-utils zip e2fsprogs android-sdk-libsparse-utils
# u-boot-tools util-linux (mkfs.cramfs) mtd-utils openssl python3; debootstrap for the option.
set -euo pipefail
OUT="${1:?usage: firmware-images.sh OUT [--debootstrap]}"
DEBOOT="${2:-}"
for t in busybox mksquashfs cpio gzip xz zip mkfs.ext4 img2simg mkimage mkfs.cramfs mkfs.jffs2 mkfs.ubifs ubinize openssl python3; do
  command -v "$t" >/dev/null || { echo "firmware-images.sh: $t is missing (see the header for the Debian packages)" >&2; exit 2; }
done
# OUT is emptied first: only when it is new, empty, or made by this script before
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ] && [ ! -e "$OUT/.firmware-images" ]; then
  echo "firmware-images.sh: $OUT is not empty and was not made by this script; refusing to empty it" >&2; exit 2
fi
rm -rf "$OUT"; mkdir -p "$OUT"; touch "$OUT/.firmware-images"
OUT="$(cd "$OUT" && pwd)"
R="$OUT/rootfs"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/init.d,etc/config,etc/ssl/private,etc/dropbear,lib/upgrade,usr/lib/opkg,tmp,root,www}

# BusyBox and a few applet links, as the image would boot them
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh ash login; do ln -s busybox "$R/bin/$a"; done
for a in telnetd httpd udhcpc; do ln -s ../../bin/busybox "$R/usr/sbin/$a"; done
BUSYBOX_VERSION="$(busybox 2>&1 | head -n1 | sed -n 's/^BusyBox v\([0-9][0-9.]*\).*/\1/p')"

# accounts: weak ones in each crypt format, and one strong one that must not be reported
salt() { python3 -c "import random,string; random.seed('$1'); print(''.join(random.choice(string.ascii_letters+string.digits) for _ in range(8)))"; }
MD5=$(openssl passwd -1 -salt "$(salt md5)" admin)
SHA256=$(openssl passwd -5 -salt "$(salt sha256)" 1234)
SHA512=$(openssl passwd -6 -salt "$(salt sha512)" root)
# DES crypt: Python's crypt module (up to 3.12), else mkpasswd from Debian's whois package
DES=$(python3 -W ignore -c "import crypt; print(crypt.crypt('xc3511', 'ab'))" 2>/dev/null || mkpasswd -m des xc3511 ab)
STRONG=$(openssl passwd -6 -salt "$(salt strong)" "$(openssl rand -hex 24)")
cat > "$R/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/ash
admin:$MD5:1000:1000:admin:/tmp:/bin/ash
support::1001:1001:support:/tmp:/bin/ash
nobody:*:65534:65534:nobody:/var:/bin/false
EOF
cat > "$R/etc/shadow" <<EOF
root:$SHA512:19000:0:99999:7:::
operator:$SHA256:19000:0:99999:7:::
svc:$DES:19000:0:99999:7:::
alice:$STRONG:19000:0:99999:7:::
daemon:*:0:0:99999:7:::
EOF
chmod 600 "$R/etc/shadow"
cat > "$R/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::respawn:/usr/sbin/telnetd -F -l /bin/sh
ttyS0::askfirst:/bin/login
EOF
printf '#!/bin/sh\nfor s in /etc/init.d/S*; do "$s" start; done\n' > "$R/etc/init.d/rcS"
chmod 755 "$R/etc/init.d/rcS"
cat > "$R/etc/openwrt_release" <<'EOF'
DISTRIB_ID='OpenWrt'
DISTRIB_RELEASE='23.05.3'
DISTRIB_DESCRIPTION='OpenWrt 23.05.3 r23809-234f1a2efa'
EOF
API_KEY="$(openssl rand -hex 16)"
printf "config cloud 'main'\n\toption server 'api.vendor.example'\n\toption api_key '%s'\n" "$API_KEY" > "$R/etc/config/cloud"
printf '#!/bin/sh\nwget -q http://update.vendor.example/fw/latest.bin -O /tmp/fw.bin && sysupgrade /tmp/fw.bin\n' > "$R/lib/upgrade/fetch.sh"
chmod 755 "$R/lib/upgrade/fetch.sh"
cat > "$R/usr/lib/opkg/status" <<'EOF'
Package: dropbear
Version: 2022.83-1
Status: install user installed
Architecture: mipsel_24kc

Package: dnsmasq
Version: 2.89-4
Status: install user installed
Architecture: mipsel_24kc

Package: uhttpd
Version: 2023-06-25-34a8a74d-2
Status: install user installed
Architecture: mipsel_24kc
EOF
printf '<html><body>router</body></html>\n' > "$R/www/index.html"

# keys, and their fingerprints (SHA-256 of the public key's SubjectPublicKeyInfo DER)
openssl genrsa -traditional -out "$R/etc/ssl/private/legacy.key" 2048 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$R/etc/ssl/private/device.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$R/etc/dropbear/ed25519.key" 2>/dev/null
fp() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
FP_RSA=$(fp "$R/etc/ssl/private/legacy.key"); FP_EC=$(fp "$R/etc/ssl/private/device.key"); FP_ED=$(fp "$R/etc/dropbear/ed25519.key")
FILES=$(find "$R" -type f | wc -l)

# the packings
cd "$OUT"
IMAGES=()
add() { IMAGES+=("{\"file\": \"$1\", \"part\": \"$2\", \"status\": \"$3\"}"); }
for c in gzip lzo lz4 xz zstd lzma; do
  mksquashfs "$R" "squashfs-$c.img" -comp "$c" -noappend -quiet -no-progress -all-root >/dev/null
  add "squashfs-$c.img" squashfs unpacked
done
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9n > initramfs.cpio.gz
add initramfs.cpio.gz cpio unpacked
tar -C "$R" -cf - . | xz -6 > rootfs.tar.xz
add rootfs.tar.xz tar unpacked
tar -C "$R" -cf - . | xz --format=lzma -6 > rootfs.tar.lzma
add rootfs.tar.lzma tar unpacked
(cd "$R" && zip -qry --symlinks "$OUT/rootfs.zip" .)
add rootfs.zip zip unpacked
for e in ext2 ext3 ext4; do
  "mkfs.$e" -q -F -d "$R" -L rootfs "$e.img" 16M >/dev/null
  add "$e.img" ext unpacked
done
img2simg ext4.img sparse-ext4.img >/dev/null
add sparse-ext4.img ext unpacked
mkimage -A mips -O linux -T filesystem -C none -n "rootfs" -d squashfs-xz.img rootfs.uimage >/dev/null
python3 - "$OUT" <<'EOF'
import random, sys
out = sys.argv[1]
random.seed(12)
with open(f"{out}/rootfs.uimage", "rb") as f:
    u = f.read()
# a flash dump: a boot loader's worth of noise, the uImage at 1 MiB, then more noise
with open(f"{out}/flash-dump.bin", "wb") as f:
    f.write(random.randbytes(1 << 20)); f.write(u); f.write(random.randbytes(512 << 10))
EOF
add flash-dump.bin uimage wrapper
add flash-dump.bin squashfs unpacked
mkfs.cramfs "$R" rootfs.cramfs >/dev/null 2>&1
add rootfs.cramfs cramfs unpacked
# JFFS2 as a NOR flash partition holds it: little-endian (zlib and rtime), big-endian as on MIPS
# routers, and LZO
mkfs.jffs2 -r "$R" -o jffs2-le.img -e 64KiB -l
add jffs2-le.img jffs2 unpacked
mkfs.jffs2 -r "$R" -o jffs2-be.img -e 64KiB -b
add jffs2-be.img jffs2 unpacked
mkfs.jffs2 -r "$R" -o jffs2-lzo.img -e 64KiB -l -X lzo -x zlib -x rtime
add jffs2-lzo.img jffs2 unpacked
# UBI holding a UBIFS (NAND flash): found, not unpacked (no maintained reader)
mkfs.ubifs -q -r "$R" -m 2048 -e 126976 -c 64 -o rootfs.ubifs
printf '[rootfs]\nmode=ubi\nimage=%s\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\nvol_flags=autoresize\n' "$OUT/rootfs.ubifs" > ubinize.cfg
ubinize -o ubi.img -m 2048 -p 128KiB ubinize.cfg
rm -f ubinize.cfg rootfs.ubifs
add ubi.img ubi found
python3 - "$OUT" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(f"{sys.argv[1]}/zip-slip.zip", "w") as z:
    z.writestr("../../etc/cron.d/evil", "* * * * * root nc -l -p 4444 -e /bin/sh\n")
    z.writestr("etc/passwd", "root::0:0:root:/root:/bin/sh\n")
EOF
add zip-slip.zip zip unpacked

DEB_JSON=null
if [ "$DEBOOT" = "--debootstrap" ]; then
  D=/var/tmp/kh-debootstrap
  if [ ! -d "$D" ]; then
    debootstrap --variant=minbase bookworm "$D.tmp" http://deb.debian.org/debian >/dev/null && mv "$D.tmp" "$D"
  fi
  mksquashfs "$D" debian-minbase.img -comp xz -noappend -quiet -no-progress -e proc sys dev >/dev/null
  PKGS=$(dpkg-query --admindir="$D/var/lib/dpkg" -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')
  OS=$(. "$D/etc/os-release" && echo "$PRETTY_NAME")
  DEB_JSON="{\"file\": \"debian-minbase.img\", \"os\": \"$OS\", \"packages\": $PKGS, \"files\": $(find "$D" -xdev -type f | wc -l)}"
fi

{
  echo "{"
  echo "  \"images\": [$(IFS=,; echo "${IMAGES[*]}")],"
  echo "  \"rootfs\": {"
  echo "    \"files\": $FILES,"
  echo "    \"os\": \"OpenWrt 23.05.3 r23809-234f1a2efa\","
  echo "    \"weak_accounts\": {\"root\": \"sha512-crypt\", \"admin\": \"md5-crypt\", \"support\": \"empty\", \"operator\": \"sha256-crypt\", \"svc\": \"des-crypt\"},"
  echo "    \"strong_accounts\": [\"alice\"],"
  echo "    \"boot_services\": [\"telnetd\"],"
  echo "    \"private_keys\": {\"/etc/ssl/private/legacy.key\": \"$FP_RSA\", \"/etc/ssl/private/device.key\": \"$FP_EC\", \"/etc/dropbear/ed25519.key\": \"$FP_ED\"},"
  echo "    \"hardcoded_secret\": [\"/etc/config/cloud\"],"
  echo "    \"plain_http_update\": [\"/lib/upgrade/fetch.sh\"],"
  echo "    \"components\": {\"busybox\": \"$BUSYBOX_VERSION\", \"dropbear\": \"2022.83-1\", \"dnsmasq\": \"2.89-4\", \"uhttpd\": \"2023-06-25-34a8a74d-2\"}"
  echo "  },"
  echo "  \"debootstrap\": $DEB_JSON"
  echo "}"
} > truth.json
python3 -c "import json,sys; json.load(open('$OUT/truth.json'))"
echo "firmware-images.sh: $(ls "$OUT" | grep -vc -e rootfs$ -e truth.json) images in $OUT, truth in $OUT/truth.json"
