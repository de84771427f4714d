#!/bin/sh
# Installs a minimal Debian and the live system's packages into the proto area; .debs are kept in the data cache.
set -eu
mkdir -p "$DCSNAP_DATA_CACHE/debs"
debootstrap --variant=minbase --cache-dir="$DCSNAP_DATA_CACHE/debs" "$SUITE" "$DCSNAP_PROTO" "$MIRROR"
chroot "$DCSNAP_PROTO" apt-get install -y --no-install-recommends $PACKAGES
chroot "$DCSNAP_PROTO" apt-get clean
