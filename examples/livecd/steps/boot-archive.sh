#!/bin/sh
# Builds the initramfs in the proto area and copies kernel and initramfs into the data cache's ISO tree.
# Usage: boot-archive.sh --compress zstd|gzip|xz
set -eu
compress=zstd
[ "${1:-}" = --compress ] && compress=$2
echo "COMPRESS=$compress" > "$DCSNAP_PROTO/etc/initramfs-tools/conf.d/compress"
chroot "$DCSNAP_PROTO" update-initramfs -c -k all
mkdir -p "$DCSNAP_DATA_CACHE/iso/live"
cp "$DCSNAP_PROTO"/boot/vmlinuz-* "$DCSNAP_DATA_CACHE/iso/live/vmlinuz"
cp "$DCSNAP_PROTO"/boot/initrd.img-* "$DCSNAP_DATA_CACHE/iso/live/initrd.img"
