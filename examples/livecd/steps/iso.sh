#!/bin/sh
# Makes a hybrid ISO (BIOS and USB) from the data cache's ISO tree, with isolinux from the proto area.
set -eu
iso="$DCSNAP_DATA_CACHE/iso"
mkdir -p "$iso/isolinux"
cp "$DCSNAP_PROTO"/usr/lib/ISOLINUX/isolinux.bin "$DCSNAP_PROTO"/usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
printf 'default live\nlabel live\n  kernel /live/vmlinuz\n  append initrd=/live/initrd.img boot=live\n' > "$iso/isolinux/isolinux.cfg"
xorriso -as mkisofs -o "$DCSNAP_DATA_CACHE/livecd-$DCSNAP_BUILD.iso" -V "$VOLUME_ID" \
  -isohybrid-mbr "$DCSNAP_PROTO/usr/lib/ISOLINUX/isohdpfx.bin" \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso"
echo "ISO: $DCSNAP_DATA_CACHE/livecd-$DCSNAP_BUILD.iso"
