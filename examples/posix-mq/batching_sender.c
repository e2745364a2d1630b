/* posix-mq/batching_sender.c: a BROKEN acknowledging sender for the POSIX message queue
 * example; pair it with posix-mq/receiver. Everything but the bug is as in sender.c (see
 * examples/README.md).
 *
 * THE BUG, which the harness must report as `lost` under `kill-sender`: to save system calls,
 * messages are collected in a batch of up to 16 and sent together (the rest at EOF), but each
 * one is acknowledged (4 zero bytes on stdout) as soon as it has been READ from stdin, before it
 * is in the queue. Without faults every message arrives, intact and in order, and every one was
 * acknowledged: the pair passes. A SIGKILL, though, throws away the batch being collected,
 * messages the harness was told are in the channel. With the acknowledgements those messages
 * are definite, and `check` reports them `lost` under `kill-sender` (unless the kill lands just
 * after a batch went out, with nothing collected since).
 *
 * With `--no-ack` as the first argument it acknowledges nothing. The messages given to a killed
 * sender are then indeterminate: they may be lost (never duplicated), so the same loss passes
 * every case. That is what acknowledgements add: without them the harness cannot catch it.
 * Any other argument is ignored.
 *
 * Exit codes:
 *   0  stdin ended and every message was sent
 *   1  bad environment: IPCH_ENDPOINT unset or not a queue name ("/name")
 *   2  a call on the queue failed (mq_open, mq_getattr, mq_send), the queue never appeared, or
 *      malloc failed
 *   3  malformed input: stdin ended inside a frame, or a frame is larger than the queue's
 *      mq_msgsize
 *   4  reading stdin or writing an acknowledgement to stdout failed
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 16

static const char* const prog = "posix-mq/batching_sender";

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

// Sends the n messages collected, oldest first, and empties the batch.
static void send_batch(mqd_t q, const char* name, char* const* body, const uint32_t* len, int* n) {
  for (int i = 0; i < *n; ++i) {
    while (mq_send(q, body[i], len[i], 0) != 0) {
      if (errno != EINTR) fail(2, "mq_send", name);
    }
  }
  *n = 0;
}

int main(int argc, char** argv) {
  const int ack = !(argc > 1 && strcmp(argv[1], "--no-ack") == 0);
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a queue name like /ipch-4242-17\n", prog);
    return 1;
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
  char* body[BATCH];
  uint32_t len[BATCH];
  for (int i = 0; i < BATCH; ++i) {
    body[i] = malloc((size_t)attr.mq_msgsize);
    if (!body[i]) fail(2, "malloc", "mq_msgsize");
  }

  int held = 0;
  for (unsigned long count = 1;; ++count) {
    unsigned char head[4];
    size_t got = read_full(STDIN_FILENO, head, sizeof head);
    if (got == 0) break;  // EOF at a frame boundary: done
    if (got < sizeof head) {
      fprintf(stderr, "%s: stdin ended inside the length of frame %lu (%zu of 4 bytes)\n", prog, count, got);
      return 3;
    }
    uint32_t n = get_le32(head);
    if (n > (uint32_t)attr.mq_msgsize) {
      fprintf(stderr, "%s: frame %lu is %lu bytes, larger than the queue's mq_msgsize (%ld)\n", prog, count,
              (unsigned long)n, (long)attr.mq_msgsize);
      return 3;
    }
    got = read_full(STDIN_FILENO, body[held], n);
    if (got < n) {
      fprintf(stderr, "%s: stdin ended inside frame %lu (%zu of %lu bytes)\n", prog, count, got, (unsigned long)n);
      return 3;
    }
    len[held++] = n;
    static const unsigned char empty[4] = {0, 0, 0, 0};
    if (ack) write_all(STDOUT_FILENO, empty, sizeof empty, "stdout (acknowledgement)");  // the bug: not sent yet
    if (held == BATCH) send_batch(q, name, body, len, &held);
  }
  send_batch(q, name, body, len, &held);  // the rest

  for (int i = 0; i < BATCH; ++i) free(body[i]);
  if (mq_close(q) != 0) fail(2, "mq_close", name);
  return 0;
}
