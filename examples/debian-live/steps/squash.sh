#!/bin/sh
# The root as a squashfs in the data cache.
set -eu
mkdir -p "$DCSNAP_DATA_CACHE/iso/live"
mksquashfs "$DCSNAP_PROTO" "$DCSNAP_DATA_CACHE/iso/live/filesystem.squashfs" -noappend -quiet -e proc sys dev/pts
ls -l "$DCSNAP_DATA_CACHE/iso/live/filesystem.squashfs"
