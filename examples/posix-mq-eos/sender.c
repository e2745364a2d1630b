/* posix-mq-eos/sender.c: the sending half of the POSIX message queue example whose receiver
 * ends by itself at the end of the stream, for `ipc-harness check` (the protocol is in
 * examples/README.md).
 *
 * Opens the queue named $IPCH_ENDPOINT for writing (retrying ENOENT for up to 5 s, until the
 * receiver has created it), reads frames from stdin (a 4-byte little-endian length, then the
 * bytes) and sends each one as one message, priority 0, blocking while the queue is full. It
 * acknowledges each message once mq_send has returned 0 (the message is in the queue): one
 * empty frame, 4 zero bytes, on stdout. A sender started after one was killed just continues
 * with the frames it is given.
 *
 * At EOF on stdin, at a frame boundary, it ends the stream: it creates the file
 * $IPCH_DIR/end-of-stream (when IPCH_DIR is set), then sends a zero-length message, the
 * receiver's end-of-stream marker, and exits 0. The file outlives the queue, so that a receiver
 * started after one was killed holding the marker still sees the end (see receiver.c). A frame
 * of length 0 on stdin would read as that marker, so it is refused.
 * Contract: reliable,fifo,boundaries, and also reliable,fifo,boundaries,eof,restart.
 *
 * Exit codes:
 *   0  stdin ended; every message and then the end-of-stream marker are in the queue
 *   1  bad environment: IPCH_ENDPOINT unset or not a queue name ("/name"), or
 *      $IPCH_DIR/end-of-stream too long for a path
 *   2  a call on the queue failed (mq_open, mq_getattr, mq_send), the queue never appeared,
 *      creating $IPCH_DIR/end-of-stream failed, or malloc failed
 *   3  malformed input: stdin ended inside a frame, a frame is empty, or a frame is larger
 *      than the queue's mq_msgsize
 *   4  reading stdin or writing an acknowledgement to stdout failed
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* const prog = "posix-mq-eos/sender";

// Reports the failed call with errno's text and exits with `code`.
static void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  exit(code);
}

// Reads up to n bytes, finishing short reads and retrying EINTR. Returns how many were read:
// fewer than n only at EOF. Exits 4 on an error.
static size_t read_full(int fd, void* p, size_t n) {
  unsigned char* b = p;
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

// Writes all n bytes, finishing short writes and retrying EINTR. Exits 4 on an error.
static void write_all(int fd, const void* p, size_t n, const char* what) {
  const unsigned char* b = p;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail(4, "write", what);
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
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a queue name like /ipch-4242-17\n", prog);
    return 1;
  }
  char end_path[PATH_MAX] = "";
  const char* dir = getenv("IPCH_DIR");
  if (dir && dir[0]) {
    int len = snprintf(end_path, sizeof end_path, "%s/end-of-stream", dir);
    if (len < 0 || (size_t)len >= sizeof end_path) {
      fprintf(stderr, "%s: %s/end-of-stream is longer than a path may be\n", prog, dir);
      return 1;
    }
  }
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE to report, not a silent death

  // The receiver creates the queue; wait for it briefly (500 tries, 10 ms apart).
  mqd_t q = (mqd_t)-1;
  for (int tries = 0; q == (mqd_t)-1; ++tries) {
    q = mq_open(name, O_WRONLY);
    if (q != (mqd_t)-1 || errno == EINTR) continue;
    if (errno != ENOENT || tries >= 500) fail(2, "mq_open", name);
    sleep_ms(10);
  }
  struct mq_attr attr;
  if (mq_getattr(q, &attr) != 0) fail(2, "mq_getattr", name);
  char* body = malloc((size_t)attr.mq_msgsize);
  if (!body) fail(2, "malloc", "mq_msgsize");

  for (unsigned long count = 1;; ++count) {
    unsigned char head[4];
    size_t got = read_full(STDIN_FILENO, head, sizeof head);
    if (got == 0) break;  // EOF at a frame boundary: done
    if (got < sizeof head) {
      fprintf(stderr, "%s: stdin ended inside the length of frame %lu (%zu of 4 bytes)\n", prog, count, got);
      return 3;
    }
    uint32_t len = get_le32(head);
    if (len == 0) {
      fprintf(stderr, "%s: frame %lu is empty; an empty message is the end-of-stream marker\n", prog, count);
      return 3;
    }
    if (len > (uint32_t)attr.mq_msgsize) {
      fprintf(stderr, "%s: frame %lu is %lu bytes, larger than the queue's mq_msgsize (%ld)\n", prog, count,
              (unsigned long)len, (long)attr.mq_msgsize);
      return 3;
    }
    got = read_full(STDIN_FILENO, body, len);
    if (got < len) {
      fprintf(stderr, "%s: stdin ended inside frame %lu (%zu of %lu bytes)\n", prog, count, got, (unsigned long)len);
      return 3;
    }
    while (mq_send(q, body, len, 0) != 0) {
      if (errno != EINTR) fail(2, "mq_send", name);
    }
    static const unsigned char ack[4] = {0, 0, 0, 0};  // this message is in the queue
    write_all(STDOUT_FILENO, ack, sizeof ack, "stdout (acknowledgement)");
  }

  // The end of the stream: first the file that outlives the queue, then the marker.
  if (end_path[0]) {
    int f;
    while ((f = open(end_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0 && errno == EINTR) {
    }
    if (f < 0) fail(2, "open", end_path);
    close(f);
  }
  while (mq_send(q, "", 0, 0) != 0) {
    if (errno != EINTR) fail(2, "mq_send", "the end-of-stream marker");
  }

  free(body);
  if (mq_close(q) != 0) fail(2, "mq_close", name);
  return 0;
}
