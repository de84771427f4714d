#!/bin/sh
# Configures the installed system from ./site.conf, which the quickstart leaves out on purpose.
set -eu
if [ ! -f site.conf ]; then
  echo "configure: $(pwd)/site.conf is missing: it names the image's host." >&2
  echo "configure: create it, e.g.: echo hostname=demo > $(pwd)/site.conf" >&2
  exit 1
fi
. ./site.conf
echo "configuring host ${hostname:?site.conf must set hostname=NAME}"
echo "$hostname" > "$DCSNAP_PROTO/etc/hostname"
# configuration rewrites the base package (so the install checkpoint keeps the old one)
head -c 1048576 /dev/urandom > "$DCSNAP_PROTO/usr/pkg/base.pkg"
