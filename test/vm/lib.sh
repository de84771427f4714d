# test/vm/lib.sh: shared settings and helpers for the dcsnap test VM scripts (sourced, not run).
# shellcheck shell=bash

CACHE_ROOT=${DCSNAP_VM_CACHE:-/var/cache/dcsnap-vm}   # built images, outside the checkout
RUN_DIR=${DCSNAP_VM_RUN:-/run/dcsnap-vm}              # state of the running VM
VM_PORTS=${DCSNAP_VM_PORTS:-4}                        # virtio-serial control ports = parallel calls
VM_MEM=${DCSNAP_VM_MEM:-4096}                         # MiB of guest RAM
VM_TMP_SIZE=${DCSNAP_VM_TMP_SIZE:-3g}                 # guest /tmp (tmpfs) limit, for file vdevs
VM_ARC_MAX=${DCSNAP_VM_ARC_MAX:-536870912}            # zfs_arc_max in the guest (bytes)
ZFS_SUITE=bookworm-backports                          # where zfs-dkms / zfsutils-linux 2.3 come from
IMAGE_FORMAT=2   # bump when build-image changes what goes into the image: cached images get rebuilt
APT_SOURCE=/etc/apt/sources.list.d/dcsnap-vm.sources

log() { printf 'dcsnap-vm: %s\n' "$*" >&2; }
die() { printf 'dcsnap-vm: ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# apt-get without prompts, and without the _apt sandbox warning for downloads as root.
apt_q() {
  DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0 "$@"
}

# Versions that the image is keyed by. Sets KVER (e.g. 6.1.0-56-amd64), KPKG_VER,
# ZFS_DEB_VER (e.g. 2.3.2-2~bpo12+2), ZFS_VER (2.3.2) and KEY. Returns 1 if apt does not know them
# (lists missing or stale: the caller runs apt-get update and asks again).
resolve_versions() {
  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
  [ -n "$kpkg" ] || return 1
  KVER=${kpkg#linux-image-}
  KPKG_VER=$(apt-cache policy "$kpkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
  [ -n "$KPKG_VER" ] && [ "$KPKG_VER" != "(none)" ] || return 1
  ZFS_DEB_VER=$(apt-cache madison zfs-dkms 2>/dev/null |
    awk -F'|' -v s="$ZFS_SUITE/" 'index($3, s) { gsub(/ /, "", $2); print $2; exit }')
  [ -n "$ZFS_DEB_VER" ] || return 1
  ZFS_VER=${ZFS_DEB_VER%%-*}
  KEY="$KVER-zfs-$ZFS_VER"
}

# The image that start boots: DCSNAP_VM_IMAGE, else the one build-image made last.
image_dir() {
  local d=${DCSNAP_VM_IMAGE:-$CACHE_ROOT/current}
  [ -f "$d/.complete" ] && grep -qx "format=$IMAGE_FORMAT" "$d/versions" || return 1
  (cd "$d" && pwd -P)
}

# Is process PID alive? A zombie is not (here PID 1 may leave a daemonized qemu unreaped).
alive() {
  local st
  st=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid of the running qemu, or nothing.
qemu_pid() {
  local pid
  pid=$(cat "$RUN_DIR/qemu.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" && echo "$pid"
}
