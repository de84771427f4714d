#!/bin/sh
# Installs the fetched packages into the proto area.
set -eu
mkdir -p "$DCSNAP_PROTO/usr/pkg" "$DCSNAP_PROTO/etc"
for pkg in "$DCSNAP_DATA_CACHE"/pkgs/*.pkg; do
  echo "installing $(basename "$pkg" .pkg)"
  cp "$pkg" "$DCSNAP_PROTO/usr/pkg/"
done
