#!/bin/sh
# Makes the image from root.tgz, with its checksum.
set -eu
cd "$DCSNAP_PROTO"
cat root.tgz > "$IMAGE_NAME"   # a real image tool writes a new file
rm root.tgz
sha256sum "$IMAGE_NAME" > "$IMAGE_NAME.sha256"
echo "image: $DCSNAP_PROTO/$IMAGE_NAME (build $DCSNAP_BUILD)"
