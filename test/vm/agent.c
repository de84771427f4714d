/* test/vm/agent.c: the guest side of the dcsnap test VM (static binary, runs as PID 1).
 *
 *   agent init          PID 1: one worker per virtio-serial port named "dcsnap.N"; reaps orphans
 *   agent port DEVICE   one worker on one port (for debugging)
 *
 * A worker runs one request at a time (the host side serialises each port with flock): it forks
 * argv with stdout/stderr on pipes and streams them back as frames (proto.h), then the exit status.
 * If a new request arrives on the port while one still runs (its client was killed or timed out:
 * the host side never sends two at once on a port), the running command's process group is killed
 * and its unsent output dropped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"

#define OUT_HIGH (256 * 1024)  /* stop reading the child's pipes while this much waits to go out */
#define IN_HIGH (4 << 20)      /* stop reading the port while this much of the host's stdin waits for the child */

struct frame { struct frame *next; size_t len, off; unsigned char data[]; };

static int port = -1, sigfd = -1;
static int connected = 1;                  /* host side of the port open? (poll POLLHUP says no) */
static struct frame *outq, **outtail = &outq;
static size_t outbytes;
static char *line; static size_t line_len, line_cap;

static struct job {
  int active; pid_t pid; unsigned char id[8];
  int out, err, in;                        /* pipes, -1 when closed */
  unsigned char *inbuf; size_t in_off, in_len, in_cap; int in_eof;  /* pending stdin: inbuf[in_off, in_off + in_len) */
  int exited, status;
} job = { .out = -1, .err = -1, .in = -1 };

static void logmsg(const char *fmt, const char *a) {
  int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  char msg[512], line[600];
  snprintf(msg, sizeof msg, fmt, a);
  int n = snprintf(line, sizeof line, "dcsnap-vm agent: %s\n", msg);   /* one write: lines stay whole */
  if (fd >= 0) { if (write(fd, line, (size_t)n)) {} close(fd); }
}

static void queue(char type, const unsigned char *id, const void *p, size_t n) {
  struct frame *f = malloc(sizeof *f + VM_HDR + n);
  if (!f) abort();
  vm_header(f->data, type, id, (uint32_t)n);
  if (n) memcpy(f->data + VM_HDR, p, n);
  f->len = VM_HDR + n; f->off = 0; f->next = NULL;
  *outtail = f; outtail = &f->next; outbytes += f->len;
}

/* Drop queued output; a frame already half written is kept so the stream stays well-formed. */
static void drop_output(int keep_partial) {
  struct frame *f = outq, *n;
  if (keep_partial && f && f->off > 0) { n = f->next; f->next = NULL; outtail = &f->next; outbytes = f->len - f->off; f = n; }
  else { outq = NULL; outtail = &outq; outbytes = 0; }
  for (; f; f = n) { n = f->next; free(f); }
}

static void closefd(int *fd) { if (*fd >= 0) { close(*fd); *fd = -1; } }

static void kill_job(void) {
  if (!job.active) return;
  if (!job.exited) kill(-job.pid, SIGKILL);   /* reaped via SIGCHLD */
  closefd(&job.out); closefd(&job.err); closefd(&job.in);
  job.active = 0;
}

static void finish_job_if_done(void) {
  if (!job.active || !job.exited || job.out >= 0 || job.err >= 0) return;
  unsigned char st[4];
  vm_put32(st, (uint32_t)job.status);
  queue('X', job.id, st, 4);
  closefd(&job.in);
  job.active = 0;
}

static void reject(const unsigned char *id, const char *msg) {
  unsigned char st[4]; vm_put32(st, 125);
  queue('E', id, msg, strlen(msg)); queue('X', id, st, 4);
}

static void start_job(const unsigned char *id, int with_stdin, char **argv) {
  int po[2], pe[2], pi[2] = { -1, -1 };
  kill_job();
  drop_output(1);
  memcpy(job.id, id, 8);
  if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || (with_stdin && pipe2(pi, O_CLOEXEC))) {
    reject(id, "dcsnap-vm agent: pipe failed\n");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int nul = open("/dev/null", O_RDONLY);
    dup2(with_stdin ? pi[0] : nul, 0); dup2(po[1], 1); dup2(pe[1], 2);
    if (chdir("/")) {}
    execvp(argv[0], argv);
    int e = errno;
    dprintf(2, "dcsnap-vm: %s: %s\n", argv[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  close(po[1]); close(pe[1]);
  if (with_stdin) close(pi[0]);
  if (pid < 0) {
    close(po[0]); close(pe[0]); if (with_stdin) close(pi[1]);
    reject(id, "dcsnap-vm agent: fork failed\n");
    return;
  }
  job.active = 1; job.pid = pid; job.exited = 0; job.status = 0;
  job.out = po[0]; job.err = pe[0]; job.in = with_stdin ? pi[1] : -1;
  fcntl(job.out, F_SETFL, O_NONBLOCK); fcntl(job.err, F_SETFL, O_NONBLOCK);
  if (job.in >= 0) fcntl(job.in, F_SETFL, O_NONBLOCK);
  job.in_off = job.in_len = 0; job.in_eof = 0;
}

/* One complete line from the host (without its '\n'). Bad lines are ignored. */
static void handle_line(char *s, size_t n) {
  unsigned char id[8];
  if (n < 18) return;
  s[n] = 0;
  if (s[1] != ' ' || (s[18] != ' ' && s[18] != 0) || vm_hexid(s + 2, id)) return;
  char *rest = n > 18 ? s + 19 : s + n;
  size_t rlen = strlen(rest);
  if (s[0] == 'R') {
    char *sp = memchr(rest, ' ', rlen);
    if (!sp) { reject(id, "dcsnap-vm agent: malformed request\n"); return; }
    int with_stdin = memchr(rest, 'i', (size_t)(sp - rest)) != NULL;
    char *b = sp + 1;
    long len = vm_b64dec(b, strlen(b), (unsigned char *)b);
    if (len <= 0 || b[len - 1] != 0) { reject(id, "dcsnap-vm agent: malformed argv\n"); return; }
    size_t argc = 0;
    for (long i = 0; i < len; i++) argc += b[i] == 0;
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) abort();
    for (size_t a = 0, i = 0; a < argc; a++) { argv[a] = b + i; i += strlen(b + i) + 1; }
    start_job(id, with_stdin, argv);
    free(argv);
  } else if (s[0] == 'I' || s[0] == 'E') {
    if (!job.active || memcmp(id, job.id, 8) || job.in < 0) return;
    if (s[0] == 'E') { job.in_eof = 1; return; }
    if (job.in_off + job.in_len + rlen > job.in_cap) {   /* move what is pending to the front once, grow if still short */
      memmove(job.inbuf, job.inbuf + job.in_off, job.in_len);
      job.in_off = 0;
    }
    if (job.in_len + rlen > job.in_cap) {
      job.in_cap = (job.in_len + rlen) * 2;
      job.inbuf = realloc(job.inbuf, job.in_cap);
      if (!job.inbuf) abort();
    }
    long len = vm_b64dec(rest, rlen, job.inbuf + job.in_off + job.in_len);
    if (len > 0) job.in_len += (size_t)len;
  }
}

/* read() gave EOF: the guest kernel believes the host side is closed. That belief can be stale:
 * the "host connected" notice travels on the control queue, apart from the data, so a new client's
 * request can be read before its connect notice. So nothing is killed or dropped here: the port is
 * only looked at again after SIGIO (or 1 s), and writes wait. A command left by a client that went
 * away is killed when the next request arrives on this port (see start_job). */
static void host_gone(void) {
  connected = 0;
}

/* The child is behind on its stdin: the host's data waits in the port (and so the host waits) instead of piling up here. */
static int stdin_backed_up(void) {
  return job.active && job.in >= 0 && job.in_len > IN_HIGH;
}

static void read_port(void) {
  char buf[65536];
  while (!stdin_backed_up()) {
    ssize_t r = read(port, buf, sizeof buf);
    if (r == 0) { host_gone(); return; }          /* EOF: the host side closed */
    if (r < 0) { if (errno != EAGAIN && errno != EINTR) host_gone(); return; }
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] == '\n') { handle_line(line, line_len); line_len = 0; continue; }
      if (line_len + 2 > line_cap) { line_cap = line_cap ? line_cap * 2 : 4096; line = realloc(line, line_cap); if (!line) abort(); }
      line[line_len++] = buf[i];
    }
  }
}

static void write_port(void) {
  while (outq) {
    struct frame *f = outq;
    size_t n = f->len - f->off;
    if (n > VM_CHUNK) n = VM_CHUNK;
    ssize_t w = write(port, f->data + f->off, n);
    if (w < 0) return;                              /* EAGAIN: wait for POLLOUT */
    f->off += (size_t)w; outbytes -= (size_t)w;
    if (f->off < f->len) continue;
    outq = f->next; if (!outq) outtail = &outq;
    free(f);
  }
}

static void read_pipe(int *fd, char type) {
  char buf[VM_CHUNK];
  ssize_t r = read(*fd, buf, sizeof buf);
  if (r > 0) queue(type, job.id, buf, (size_t)r);
  else if (r == 0 || (errno != EAGAIN && errno != EINTR)) closefd(fd);
}

static void write_stdin(void) {
  if (job.in_len) {
    ssize_t w = write(job.in, job.inbuf + job.in_off, job.in_len);
    if (w > 0) { job.in_off += (size_t)w; job.in_len -= (size_t)w; }
    else if (w < 0 && errno != EAGAIN) { job.in_len = 0; job.in_eof = 1; }  /* EPIPE: child closed stdin */
    if (!job.in_len) job.in_off = 0;
  }
  if (!job.in_len && job.in_eof) closefd(&job.in);
}

static void reap(void) {
  struct signalfd_siginfo si;
  while (read(sigfd, &si, sizeof si) > 0) {}
  int st; pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (job.active && p == job.pid) {
      job.exited = 1;
      job.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
}

static int worker(const char *dev) {
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGCHLD); sigaddset(&m, SIGIO);
  sigprocmask(SIG_BLOCK, &m, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  port = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (port < 0 || sigfd < 0) { logmsg("cannot open %s", dev); return 1; }
  fcntl(port, F_SETOWN, getpid());
  fcntl(port, F_SETFL, O_RDWR | O_NONBLOCK | O_ASYNC);   /* SIGIO when the host connects */
  logmsg("serving %s", dev);
  for (;;) {
    struct pollfd p[5]; int n = 0, ip = -1, io = -1, ie = -1, ii = -1;
    int hold = stdin_backed_up();
    if (connected && (!hold || outq)) { ip = n; p[n].fd = port; p[n++].events = (hold ? 0 : POLLIN) | (outq ? POLLOUT : 0); }
    int is = n; p[n].fd = sigfd; p[n++].events = POLLIN;
    if (job.active && outbytes < OUT_HIGH) {
      if (job.out >= 0) { io = n; p[n].fd = job.out; p[n++].events = POLLIN; }
      if (job.err >= 0) { ie = n; p[n].fd = job.err; p[n++].events = POLLIN; }
    }
    if (job.active && job.in >= 0 && (job.in_len || job.in_eof)) { ii = n; p[n].fd = job.in; p[n++].events = POLLOUT; }
    /* While the host side is closed the port polls as "hung up" all the time, so it is left out
     * and looked at again on SIGIO (host connected / data), or after 1 s as a fallback. */
    if (poll(p, (nfds_t)n, connected ? -1 : 1000) < 0 && errno != EINTR) return 1;
    if (!connected) connected = 1;
    if (p[is].revents) reap();
    if (io >= 0 && p[io].revents) read_pipe(&job.out, 'O');
    if (ie >= 0 && p[ie].revents) read_pipe(&job.err, 'E');
    if (ii >= 0 && p[ii].revents) write_stdin();
    if (ip >= 0 && p[ip].revents) {
      /* A closed host side polls as POLLIN|POLLHUP and reads as EOF once the data is drained:
       * only that EOF (read_port) counts as "host gone". A POLLHUP from poll may be stale by the
       * time the data is read (a new client connected meanwhile) and must not kill its request. */
      if (!hold && (p[ip].revents & (POLLIN | POLLHUP))) read_port();
      if (connected && (p[ip].revents & POLLOUT)) write_port();
    }
    finish_job_if_done();
    if (connected && outq) write_port();
  }
}

/* PID 1: start a worker for every port named dcsnap.N, restart any that dies, reap everything. */
static int init_main(void) {
  char devs[32][64]; int ndev = 0;
  pid_t pids[32] = { 0 };
  for (int tries = 0; tries < 300 && ndev == 0; tries++) {
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    while (d && (e = readdir(d)) && ndev < 32) {
      char path[300], name[64] = "";
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      FILE *f = fopen(path, "r");
      if (f) { if (!fgets(name, sizeof name, f)) name[0] = 0; fclose(f); }
      if (strncmp(name, "dcsnap.", 7) == 0) snprintf(devs[ndev++], 64, "/dev/%.50s", e->d_name);
    }
    if (d) closedir(d);
    if (!ndev) usleep(100000);
  }
  if (!ndev) logmsg("no virtio-serial port named dcsnap.N%s", "");
  for (int i = 0; i < ndev; i++) {
    for (int t = 0; t < 50 && access(devs[i], F_OK); t++) usleep(100000);  /* devtmpfs node */
  }
  logmsg("ready%s", "");
  for (;;) {
    for (int i = 0; i < ndev; i++) {
      if (pids[i] > 0) continue;
      pid_t p = fork();
      if (p == 0) _exit(worker(devs[i]));
      pids[i] = p;
    }
    int st; pid_t p = wait(&st);
    if (p < 0) { sleep(1); continue; }
    for (int i = 0; i < ndev; i++) {
      if (pids[i] == p) { pids[i] = 0; logmsg("worker for %s exited; restarting", devs[i]); sleep(1); }
    }
  }
}

int main(int argc, char **argv) {
  setenv("PATH", "/sbin:/usr/sbin:/bin:/usr/bin", 1);
  setenv("HOME", "/root", 1);
  if (argc == 2 && !strcmp(argv[1], "init")) return init_main();
  if (argc == 3 && !strcmp(argv[1], "port")) return worker(argv[2]);
  fprintf(stderr, "usage: agent init | agent port DEVICE\n");
  return 2;
}
