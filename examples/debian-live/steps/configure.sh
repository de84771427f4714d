#!/bin/sh
# The host name, a user, and $PACKAGES installed with apt-get inside the root (a misspelt package fails here).
set -eu
echo "$HOSTNAME" > "$DCSNAP_PROTO/etc/hostname"
chroot "$DCSNAP_PROTO" sh -c "id -u $USERNAME >/dev/null 2>&1 || useradd -m -s /bin/bash $USERNAME"
chroot "$DCSNAP_PROTO" apt-get update
chroot "$DCSNAP_PROTO" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES
