#!/bin/sh
# What a live image does not need.
set -eu
cd "$DCSNAP_PROTO"
rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* var/lib/apt/lists/* var/cache/apt/archives/*.deb var/cache/apt/*.bin
echo "trim: $(du -sh . | cut -f1) left"
