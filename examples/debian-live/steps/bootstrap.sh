#!/bin/sh
# Debian minbase into the proto area. The mirror is the first Debian one this machine's apt uses; the .debs are
# kept in $DCSNAP_PERSIST, so a resume or the next build does not download them again.
set -eu
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\(http[^ ]*debian\/\{0,1\}\).*/\1/p' | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb  *\(http[^ ]*debian\/\{0,1\}\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
mkdir -p "$DCSNAP_PERSIST/debs"
echo "bootstrap: $SUITE from $mirror"
debootstrap --variant=minbase --cache-dir="$DCSNAP_PERSIST/debs" "$SUITE" "$DCSNAP_PROTO" "$mirror"
