/* test/vm/proto.h: the wire format between vmcall (host) and agent (guest), shared by both.
 *
 * Host -> guest, text lines (so a half-sent line from a killed client is dropped at the next '\n';
 * every client therefore starts with an empty line):
 *   R <id> <flags> <base64(arg0 NUL arg1 NUL ... argN NUL)>   run argv; flags "-" or "i" (stdin follows)
 *   I <id> <base64(bytes)>                                   stdin data for request id
 *   E <id>                                                   stdin EOF
 * <id> is 16 hex digits, random per call.
 *
 * Guest -> host, binary frames:
 *   "DcVm" | type (1 byte) | id (8 bytes) | payload length (4 bytes BE) | CRC-32 of those 17 bytes
 *   (4 bytes BE) | payload
 *   type 'O' = stdout bytes, 'E' = stderr bytes, 'X' = exit status (payload: 4 bytes BE, 0..255).
 * A client reads only frames carrying its own id: it looks for the magic, checks the header CRC,
 * and skips anything else byte by byte, so bytes left over from an earlier, abandoned call (even a
 * frame cut in the middle) can never be taken for its own.
 */
#ifndef DCSNAP_VM_PROTO_H
#define DCSNAP_VM_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VM_MAGIC "DcVm"
#define VM_HDR 25          /* 4 magic + 1 type + 8 id + 4 len + 4 crc */
#define VM_CHUNK 32768     /* max payload of one frame (the virtio-serial write size) */

static inline uint32_t vm_crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static inline void vm_put32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static inline uint32_t vm_get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Fill a frame header for a payload of len bytes. */
static inline void vm_header(unsigned char *h, char type, const unsigned char id[8], uint32_t len) {
  memcpy(h, VM_MAGIC, 4);
  h[4] = (unsigned char)type;
  memcpy(h + 5, id, 8);
  vm_put32(h + 13, len);
  vm_put32(h + 17, vm_crc32(h, 17));
}

static const char vm_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64-encode n bytes into out (room for 4*((n+2)/3)+1); returns the length written. */
static inline size_t vm_b64enc(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = vm_b64[v >> 18]; out[o++] = vm_b64[(v >> 12) & 63];
    out[o++] = vm_b64[(v >> 6) & 63]; out[o++] = vm_b64[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = vm_b64[v >> 18]; out[o++] = vm_b64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? vm_b64[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  out[o] = 0;
  return o;
}

/* base64-decode in place-safe (out may equal in); returns length or -1 on a bad character. */
static inline long vm_b64dec(const char *in, size_t n, unsigned char *out) {
  uint32_t v = 0; int bits = 0; long o = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)in[i], d;
    if (c == '=') break;
    const char *p = memchr(vm_b64, c, 64);
    if (!p || !c) return -1;
    d = (int)(p - vm_b64);
    v = v << 6 | (uint32_t)d; bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (unsigned char)(v >> bits); }
  }
  return o;
}

static inline int vm_hexid(const char *s, unsigned char id[8]) {
  for (int i = 0; i < 8; i++) {
    unsigned v = 0;
    for (int k = 0; k < 2; k++) {
      char c = s[2 * i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
      else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
      else return -1;
    }
    id[i] = (unsigned char)v;
  }
  return 0;
}

#endif
