#!/bin/sh
# Configures the installed system: hostname, root login on the console, ssh, locale.
set -eu
echo "$HOSTNAME" > "$DCSNAP_PROTO/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$HOSTNAME" > "$DCSNAP_PROTO/etc/hosts"
chroot "$DCSNAP_PROTO" passwd -d root
chroot "$DCSNAP_PROTO" systemctl enable ssh
echo "LANG=$LOCALE" > "$DCSNAP_PROTO/etc/default/locale"
