/* unix-stream/sender.c: the sending half of the Unix stream socket example for
 * `ipc-harness check` (the protocol is in examples/README.md).
 *
 * Connects to the socket $IPCH_DIR/sock (retrying ENOENT and ECONNREFUSED for up to 5 s, until
 * the receiver listens), reads frames from stdin (a 4-byte little-endian length, then the
 * bytes) and sends each message framed the same way on the socket: the length, then the bytes,
 * every short write finished. Closes the connection, which is the end of the stream for the
 * receiver, and exits 0 once stdin reaches EOF at a frame boundary and everything is sent.
 * Contract: reliable,fifo,boundaries,eof.
 *
 * Exit codes:
 *   0  stdin ended and every message was sent
 *   1  bad environment: IPCH_DIR unset, or $IPCH_DIR/sock too long for a socket address
 *   2  a call on the socket failed (socket, connect, write, close), the receiver never
 *      listened, or malloc failed
 *   3  malformed input: stdin ended inside a frame, or a length is over 64 MiB
 *   4  reading stdin failed
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE (64u << 20)

static const char* const prog = "unix-stream/sender";

// Reports the failed call with errno's text and exits with `code`.
static void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  exit(code);
}

// Reads up to n bytes, finishing short reads and retrying EINTR. Returns how many were read:
// fewer than n only at EOF. Exits 4 on an error.
static size_t read_full(int fd, unsigned char* b, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, b + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(4, "read", "stdin");
    if (r == 0) break;
    got += (size_t)r;
  }
  return got;
}

// Writes all n bytes, finishing short writes and retrying EINTR. Exits 2 on an error.
static void write_all(int fd, const unsigned char* b, size_t n, const char* what) {
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail(2, "write", what);
    b += w;
    n -= (size_t)w;
  }
}

static uint32_t get_le32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
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
  signal(SIGPIPE, SIG_IGN);  // a receiver that went away is an EPIPE to report, not a silent death

  // The receiver binds and listens; wait for it briefly (500 tries, 10 ms apart). A socket
  // whose connect() failed is in an unspecified state, so every try takes a new one.
  int s = -1;
  for (int tries = 0; s < 0; ++tries) {
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) fail(2, "socket", "AF_UNIX, SOCK_STREAM");
    if (connect(s, (struct sockaddr*)&addr, sizeof addr) == 0) break;
    int e = errno;
    close(s);
    s = -1;
    errno = e;
    if (e == EINTR) continue;
    if ((e != ENOENT && e != ECONNREFUSED) || tries >= 500) fail(2, "connect", addr.sun_path);
    sleep_ms(10);
  }

  unsigned char* frame = NULL;
  size_t cap = 0;
  for (unsigned long count = 1;; ++count) {
    unsigned char head[4];
    size_t got = read_full(STDIN_FILENO, head, sizeof head);
    if (got == 0) break;  // EOF at a frame boundary: done
    if (got < sizeof head) {
      fprintf(stderr, "%s: stdin ended inside the length of frame %lu (%zu of 4 bytes)\n", prog, count, got);
      return 3;
    }
    uint32_t n = get_le32(head);
    if (n > MAX_MESSAGE) {
      fprintf(stderr, "%s: frame %lu claims %lu bytes, over the %u-byte limit\n", prog, count, (unsigned long)n,
              MAX_MESSAGE);
      return 3;
    }
    if (4 + (size_t)n > cap) {
      unsigned char* bigger = realloc(frame, 4 + (size_t)n);
      if (!bigger) fail(2, "realloc", "a message buffer");
      frame = bigger;
      cap = 4 + (size_t)n;
    }
    memcpy(frame, head, 4);  // the socket's framing is the same as stdin's: length, then bytes
    got = read_full(STDIN_FILENO, frame + 4, n);
    if (got < n) {
      fprintf(stderr, "%s: stdin ended inside frame %lu (%zu of %lu bytes)\n", prog, count, got, (unsigned long)n);
      return 3;
    }
    write_all(s, frame, 4 + (size_t)n, addr.sun_path);
  }
  free(frame);
  if (close(s) != 0) fail(2, "close", addr.sun_path);
  return 0;
}
