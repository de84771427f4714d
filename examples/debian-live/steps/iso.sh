#!/bin/sh
# An ISO 9660 image holding the squashfs (a data image: a bootable one also needs a kernel, live-boot and a boot loader).
set -eu
xorriso -as mkisofs -r -J -V DCSNAP_LIVE -o "$DCSNAP_DATA_CACHE/debian-live.iso" "$DCSNAP_DATA_CACHE/iso"
ls -l "$DCSNAP_DATA_CACHE/debian-live.iso"
