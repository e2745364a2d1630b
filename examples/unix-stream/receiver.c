/* unix-stream/receiver.c: the receiving half of the Unix stream socket example for
 * `ipc-harness check` (the protocol is in examples/README.md).
 *
 * Binds and listens on the socket $IPCH_DIR/sock, writes the ready frame (4 zero bytes) to
 * stdout after listen(), accepts one connection and reads messages from it, each framed on the
 * socket as a 4-byte little-endian length and then the bytes, writing each one out to stdout as
 * one frame of the same form. At the end of the stream (the sender closed) it removes the
 * socket and exits 0 by itself; SIGTERM ends it the same way.
 * Contract: reliable,fifo,boundaries,eof.
 *
 * Exit codes:
 *   0  the sender closed at a frame boundary and every message was written out, or SIGTERM
 *   1  bad environment: IPCH_DIR unset, or $IPCH_DIR/sock too long for a socket address
 *   2  a call on the socket failed (socket, bind, listen, poll, accept, read), or malloc failed
 *   3  malformed stream: it ended inside a frame, or a length is over 64 MiB
 *   4  writing to stdout failed (EPIPE: the harness stopped reading)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_MESSAGE (64u << 20)

static const char* const prog = "unix-stream/receiver";
static volatile sig_atomic_t stop;                             // SIGTERM came
static char path[sizeof(((struct sockaddr_un*)0)->sun_path)];  // removed on every exit but SIGKILL

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static void leave(int code) {
  if (path[0]) unlink(path);
  exit(code);
}

// Reports the failed call with errno's text, removes the socket, exits with `code`.
static void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  leave(code);
}

// Waits until fd is readable, 100 ms at a time so that a SIGTERM that lands just before the
// wait is seen. Returns 0 when readable, 1 when SIGTERM came.
static int wait_readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    if (stop) return 1;
    int r = poll(&p, 1, 100);
    if (r > 0) return 0;  // POLLIN, POLLHUP or POLLERR: the read or accept tells which
    if (r < 0 && errno != EINTR) fail(2, "poll", path);
  }
}

// Reads up to n bytes from the connection, finishing short reads and retrying EINTR. Returns
// how many were read: fewer than n at the end of the stream or when SIGTERM came.
static size_t read_full(int fd, unsigned char* b, size_t n) {
  size_t got = 0;
  while (got < n && wait_readable(fd) == 0) {
    ssize_t r = read(fd, b + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(2, "read", path);
    if (r == 0) break;
    got += (size_t)r;
  }
  return got;
}

// Writes all n bytes, finishing short writes and retrying EINTR. Returns 0 when done, 1 when
// SIGTERM came (the harness has ended the case: the rest is not wanted), -1 on error.
static int write_all(int fd, const void* p, size_t n) {
  const unsigned char* b = p;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (stop) return 1;  // a short count or EINTR: SIGTERM came while the harness held stdout back
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static uint32_t get_le32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(void) {
  const char* dir = getenv("IPCH_DIR");
  if (!dir || !dir[0]) {
    fprintf(stderr, "%s: IPCH_DIR must be set to a private directory\n", prog);
    return 1;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", dir);
  if (len < 0 || (size_t)len >= sizeof addr.sun_path) {
    fprintf(stderr, "%s: %s/sock is longer than a socket address allows (%zu bytes)\n", prog, dir,
            sizeof addr.sun_path - 1);
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;  // no SA_RESTART: a blocked write returns EINTR
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0) fail(2, "sigaction", "SIGTERM");
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE to report, not a silent death

  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  if (ls < 0) fail(2, "socket", "AF_UNIX, SOCK_STREAM");
  if (bind(ls, (struct sockaddr*)&addr, sizeof addr) != 0) fail(2, "bind", addr.sun_path);
  memcpy(path, addr.sun_path, sizeof path);  // ours from here on: removed on exit
  if (listen(ls, 1) != 0) fail(2, "listen", path);

  static const unsigned char ready[4] = {0, 0, 0, 0};
  int w = write_all(STDOUT_FILENO, ready, sizeof ready);
  if (w < 0) fail(4, "write", "stdout (ready frame)");

  int c = -1;
  while (w == 0 && c < 0 && wait_readable(ls) == 0) {
    c = accept(ls, NULL, NULL);
    if (c < 0 && errno != EINTR && errno != ECONNABORTED) fail(2, "accept", path);
  }
  if (c < 0) leave(0);  // SIGTERM before any sender came
  close(ls);

  unsigned char* frame = NULL;
  size_t cap = 0;
  for (unsigned long count = 1; w == 0; ++count) {
    unsigned char head[4];
    size_t got = read_full(c, head, sizeof head);
    if (stop) break;
    if (got == 0) break;  // the sender closed at a frame boundary: done
    if (got < sizeof head) {
      fprintf(stderr, "%s: the stream ended inside the length of message %lu (%zu of 4 bytes)\n", prog, count, got);
      leave(3);
    }
    uint32_t n = get_le32(head);
    if (n > MAX_MESSAGE) {
      fprintf(stderr, "%s: message %lu claims %lu bytes, over the %u-byte limit: not a length\n", prog, count,
              (unsigned long)n, MAX_MESSAGE);
      leave(3);
    }
    if (4 + (size_t)n > cap) {
      unsigned char* bigger = realloc(frame, 4 + (size_t)n);
      if (!bigger) fail(2, "realloc", "a message buffer");
      frame = bigger;
      cap = 4 + (size_t)n;
    }
    memcpy(frame, head, 4);
    got = read_full(c, frame + 4, n);
    if (stop) break;
    if (got < n) {
      fprintf(stderr, "%s: the stream ended inside message %lu (%zu of %lu bytes)\n", prog, count, got,
              (unsigned long)n);
      leave(3);
    }
    w = write_all(STDOUT_FILENO, frame, 4 + (size_t)n);
    if (w < 0) fail(4, "write", "stdout");
  }
  free(frame);
  close(c);
  leave(0);
}
