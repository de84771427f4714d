#!/bin/sh
# test/vm/init.sh: /init of the dcsnap test VM (busybox sh, PID 1 until it execs the agent).
# test/vm/start packs it into the initramfs together with the agent; the kernel runs it at boot.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# /tmp holds the file vdevs of test pools: a tmpfs, sized by dcsnap.tmpsize= on the kernel command line.
tmpsize=$(sed -n 's/.*dcsnap\.tmpsize=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t tmpfs -o "size=${tmpsize:-3g},mode=1777" tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
hostname dcsnap-vm
ip link set lo up 2>/dev/null
# virtio (PCI + serial console) drivers, in dependency order; spl and zfs are loaded by test/vm/start.
while read -r m; do
  insmod "/lib/modules/dcsnap/$m.ko" || echo "dcsnap-vm init: insmod $m failed"
done < /lib/modules/dcsnap/boot.order
echo "dcsnap-vm init: starting the agent"
exec /sbin/dcsnap-vm-agent init
