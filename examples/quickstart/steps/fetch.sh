#!/bin/sh
# Downloads the packages into the data cache. Here they are made up: 1 MiB of random bytes each.
set -eu
mkdir -p "$DCSNAP_DATA_CACHE/pkgs"
for pkg in base shell editor network; do
  echo "fetching $pkg"
  head -c 1048576 /dev/urandom > "$DCSNAP_DATA_CACHE/pkgs/$pkg.pkg"
done
