#!/bin/sh
# Packs the installed tree into root.tgz and removes the loose files.  Usage: compress.sh --level N
set -eu
level=6
[ "${1:-}" = --level ] && level=$2
echo "compressing usr and etc (gzip -$level)"
tar -C "$DCSNAP_PROTO" -cf - usr etc | gzip "-$level" > "$DCSNAP_PROTO/root.tgz"
rm -rf "$DCSNAP_PROTO/usr"
