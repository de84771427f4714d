#!/bin/sh
# Compresses the proto area into the live system's squashfs.  Usage: compress.sh --comp xz|zstd|gzip
set -eu
comp=xz
[ "${1:-}" = --comp ] && comp=$2
mkdir -p "$DCSNAP_DATA_CACHE/iso/live"
rm -f "$DCSNAP_DATA_CACHE/iso/live/filesystem.squashfs"
mksquashfs "$DCSNAP_PROTO" "$DCSNAP_DATA_CACHE/iso/live/filesystem.squashfs" -comp "$comp" -e boot -noappend
