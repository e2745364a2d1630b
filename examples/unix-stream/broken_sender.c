/* unix-stream/broken_sender.c: a BROKEN sender for the Unix stream socket example; pair it
 * with unix-stream/receiver. Everything but the bug is as in sender.c (see examples/README.md).
 *
 * THE BUG, which the harness must report as `boundary`: the sender forwards each message from
 * stdin to the socket through a fixed 1 KiB buffer, and frames each buffer-full as it goes:
 * the length written on the socket is the length of the piece, not of the message. A message
 * of up to 1 KiB arrives whole; a longer one arrives as several messages. The first piece is the
 * start of the right message but too short (its envelope names the message and its length, which
 * differs from what arrived): `boundary`. The pieces after it carry no envelope header, so the
 * harness may report them as `corrupted` too. The stream stays well framed, so the receiver
 * still ends by itself at the end of the stream.
 *
 * Exit codes:
 *   0  stdin ended and every piece was sent
 *   1  bad environment: IPCH_DIR unset, or $IPCH_DIR/sock too long for a socket address
 *   2  a call on the socket failed (socket, connect, write, close), or the receiver never
 *      listened
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

static const char* const prog = "unix-stream/broken_sender";

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

static void put_le32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
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

  unsigned char piece[4 + 1024];
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
    // Forward the body a buffer-full at a time. An empty message is one empty piece.
    uint32_t left = n;
    do {
      size_t want = left < sizeof piece - 4 ? left : sizeof piece - 4;
      got = read_full(STDIN_FILENO, piece + 4, want);
      if (got < want) {
        fprintf(stderr, "%s: stdin ended inside frame %lu (%lu of %lu bytes)\n", prog, count,
                (unsigned long)(n - left + got), (unsigned long)n);
        return 3;
      }
      put_le32(piece, (uint32_t)got);  // the bug: the piece's length, where the message's belongs
      write_all(s, piece, 4 + got, addr.sun_path);
      left -= (uint32_t)got;
    } while (left > 0);
  }
  if (close(s) != 0) fail(2, "close", addr.sun_path);
  return 0;
}
