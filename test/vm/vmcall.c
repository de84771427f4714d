/* test/vm/vmcall.c: the host side of a call into the dcsnap test VM.
 *
 *   vmcall [--stdin] [--timeout SECONDS] [--] PROGRAM [ARG...]
 *
 * Runs PROGRAM ARG... inside the VM (PATH there: /sbin:/usr/sbin:/bin:/usr/bin), with the argument
 * array passed as is (no shell anywhere), and gives back its stdout, stderr and exit status.
 * stdin is /dev/null in the VM unless --stdin forwards ours.
 * Exit codes of its own: 125 the VM is not running or went away, 124 --timeout expired.
 *
 * The VM has N control ports ($DCSNAP_VM_RUN/portI.sock, one virtio-serial port each). A call takes
 * the first free one (flock on portI.lock), so up to N calls run in parallel and more wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static const char *run_dir;

static void vm_down(const char *what, int err) {
  fprintf(stderr, "dcsnap-vm: the test VM is not running (%s: %s); start it with test/vm/start\n",
          what, strerror(err));
  exit(125);
}

static void write_all(int fd, const unsigned char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE) {          /* our reader went away: die of SIGPIPE like a local */
      signal(SIGPIPE, SIG_DFL);             /* command would (the VM's command is killed when */
      raise(SIGPIPE);                       /* the next call comes to this port) */
      exit(141);
    }
    if (w < 0) return;
    p += w; n -= (size_t)w;
  }
}

struct buf { unsigned char *p; size_t len, cap; };
static void buf_add(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 4096;
    b->p = realloc(b->p, b->cap);
    if (!b->p) { perror("dcsnap-vm"); exit(125); }
  }
  memcpy(b->p + b->len, p, n); b->len += n;
}
static void buf_b64(struct buf *b, const unsigned char *p, size_t n) {
  char *tmp = malloc(4 * (n / 3 + 1) + 1);
  if (!tmp) { perror("dcsnap-vm"); exit(125); }
  buf_add(b, tmp, vm_b64enc(p, n, tmp));
  free(tmp);
}

/* Take a free control port: try each without waiting, from a pid-dependent start; when all are
 * busy, try again after a short sleep (1 ms, growing to 20 ms), so whichever frees first is taken.
 * The lock is held (fd left open) until this process exits. Returns the port's index. */
static int take_port(int nports) {
  int start = (int)(getpid() % nports), fds[64];
  char path[4200];
  if (nports > 64) nports = 64;
  for (int i = 0; i < nports; i++) {
    snprintf(path, sizeof path, "%s/port%d.lock", run_dir, i);
    fds[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fds[i] < 0) vm_down(path, errno);
  }
  for (long us = 1000;; us = us < 20000 ? us * 2 : 20000) {
    for (int k = 0; k < nports; k++) {
      int i = (start + k) % nports;
      if (flock(fds[i], LOCK_EX | LOCK_NB) == 0) {
        for (int j = 0; j < nports; j++) if (j != i) close(fds[j]);
        return i;
      }
    }
    usleep((useconds_t)us);
  }
}

int main(int argc, char **argv) {
  int fwd_stdin = 0; double timeout = 0;
  int a = 1;
  for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
    if (!strcmp(argv[a], "--")) { a++; break; }
    else if (!strcmp(argv[a], "--stdin")) fwd_stdin = 1;
    else if (!strcmp(argv[a], "--timeout") && a + 1 < argc) timeout = atof(argv[++a]);
    else break;
  }
  if (a >= argc) {
    fprintf(stderr, "usage: vmcall [--stdin] [--timeout SECONDS] [--] PROGRAM [ARG...]\n");
    return 2;
  }
  run_dir = getenv("DCSNAP_VM_RUN");
  if (!run_dir || !*run_dir) run_dir = "/run/dcsnap-vm";

  int nports = 0;
  char path[4200];
  for (;; nports++) {
    snprintf(path, sizeof path, "%s/port%d.sock", run_dir, nports);
    if (access(path, F_OK)) break;
  }
  if (!nports) { snprintf(path, sizeof path, "%s/port0.sock", run_dir); vm_down(path, ENOENT); }
  int port = take_port(nports);

  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf(path, sizeof path, "%s/port%d.sock", run_dir, port);
  if (strlen(path) >= sizeof sa.sun_path) { fprintf(stderr, "dcsnap-vm: path too long: %s\n", path); return 125; }
  strcpy(sa.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa)) vm_down(path, errno);

  /* The request: an empty line (ends any half line left by a killed client), then R. */
  unsigned char id[8];
  char idhex[17];
  if (getrandom(id, sizeof id, 0) != sizeof id) { perror("dcsnap-vm: getrandom"); return 125; }
  for (int i = 0; i < 8; i++) snprintf(idhex + 2 * i, 3, "%02x", id[i]);
  struct buf out = { 0 }, args = { 0 }, in = { 0 };
  for (int i = a; i < argc; i++) buf_add(&args, argv[i], strlen(argv[i]) + 1);
  buf_add(&out, "\nR ", 3); buf_add(&out, idhex, 16);
  buf_add(&out, fwd_stdin ? " i " : " - ", 3);
  buf_b64(&out, args.p, args.len);
  buf_add(&out, "\n", 1);
  size_t sent = 0;
  fcntl(s, F_SETFL, O_NONBLOCK);
  int stdin_open = fwd_stdin;

  struct timespec t0; clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    struct pollfd p[2] = { { s, POLLIN | (sent < out.len ? POLLOUT : 0), 0 }, { 0, POLLIN, 0 } };
    int n = stdin_open && out.len - sent < 1 << 20 ? 2 : 1;
    int ms = -1;
    if (timeout > 0) {
      struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
      double left = timeout - (double)(t.tv_sec - t0.tv_sec) - (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
      if (left <= 0) { fprintf(stderr, "dcsnap-vm: no answer from the test VM within %g s\n", timeout); return 124; }
      ms = (int)(left * 1000) + 1;
    }
    if (poll(p, (nfds_t)n, ms) < 0) { if (errno == EINTR) continue; perror("dcsnap-vm: poll"); return 125; }
    if (n == 2 && p[1].revents) {                    /* our stdin -> I lines, then E at EOF */
      unsigned char b[49152];
      ssize_t r = read(0, b, sizeof b);
      if (r > 0) {
        buf_add(&out, "I ", 2); buf_add(&out, idhex, 16); buf_add(&out, " ", 1);
        buf_b64(&out, b, (size_t)r); buf_add(&out, "\n", 1);
      } else if (r == 0 || errno != EAGAIN) {
        buf_add(&out, "E ", 2); buf_add(&out, idhex, 16); buf_add(&out, "\n", 1);
        stdin_open = 0;
      }
    }
    if (p[0].revents & POLLOUT && sent < out.len) {
      ssize_t w = send(s, out.p + sent, out.len - sent, MSG_NOSIGNAL);
      if (w > 0) sent += (size_t)w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR) vm_down("write", errno);
      if (sent == out.len) { out.len = sent = 0; }
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    unsigned char b[65536];
    ssize_t r = read(s, b, sizeof b);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) {
      fprintf(stderr, "dcsnap-vm: lost the connection to the test VM (it stopped or crashed; see %s/console.log); "
              "restart it with test/vm/stop; test/vm/start\n", run_dir);
      return 125;
    }
    buf_add(&in, b, (size_t)r);
    /* Parse frames: look for the magic, check the header CRC and our id; skip anything else. */
    size_t i = 0;
    while (in.len - i >= VM_HDR) {
      unsigned char *h = in.p + i;
      if (memcmp(h, VM_MAGIC, 4)) {
        unsigned char *m = memmem(h + 1, in.len - i - 1, VM_MAGIC, 4);
        i = m ? (size_t)(m - in.p) : in.len - 3;
        continue;
      }
      if (vm_get32(h + 17) != vm_crc32(h, 17) || memcmp(h + 5, id, 8)) { i++; continue; }
      uint32_t len = vm_get32(h + 13);
      if (in.len - i - VM_HDR < len) break;             /* wait for the rest of this frame */
      unsigned char *pl = h + VM_HDR;
      if (h[4] == 'O') write_all(1, pl, len);
      else if (h[4] == 'E') write_all(2, pl, len);
      else if (h[4] == 'X' && len == 4) return (int)vm_get32(pl);
      i += VM_HDR + len;
    }
    memmove(in.p, in.p + i, in.len - i);
    in.len -= i;
  }
}
