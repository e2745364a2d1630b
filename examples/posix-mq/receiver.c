/* posix-mq/receiver.c: the receiving half of the POSIX message queue example for
 * `ipc-harness check` (the protocol is in examples/README.md).
 *
 * Creates the queue named $IPCH_ENDPOINT (O_CREAT, mq_maxmsg 10, mq_msgsize 8192; a queue that
 * already exists is taken over as it is, so that a restarted receiver continues on the same
 * channel), writes the ready frame (4 zero bytes) to stdout, then one frame per message taken
 * from the queue: a 4-byte little-endian length, then the bytes. On SIGTERM it unlinks the
 * queue and exits 0, without finishing a frame that stdout, held back, has not taken yet.
 * Contract: reliable,fifo,boundaries.
 *
 * Exit codes:
 *   0  ended by SIGTERM; the queue is unlinked
 *   1  bad environment: IPCH_ENDPOINT unset or not a queue name ("/name")
 *   2  a call on the queue failed (mq_open, mq_getattr, mq_timedreceive); the queue is unlinked
 *   4  writing to stdout failed (EPIPE: the harness stopped reading); the queue is unlinked
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

static const char* const prog = "posix-mq/receiver";
static volatile sig_atomic_t stop;  // SIGTERM came
static const char* created;         // the queue, once opened: unlinked on every exit but SIGKILL

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

// Reports the failed call with errno's text, unlinks the queue, exits with `code`.
static void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  if (created) mq_unlink(created);
  exit(code);
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

static void put_le32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

int main(void) {
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a queue name like /ipch-4242-17\n", prog);
    return 1;
  }
  // SIGTERM sets `stop` and interrupts a blocked call (no SA_RESTART). A SIGTERM that lands
  // between the check of `stop` and the next receive is seen when that receive times out, so
  // the receive waits at most 100 ms at a time.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0) fail(2, "sigaction", "SIGTERM");
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE to report, not a silent death

  struct mq_attr want;
  memset(&want, 0, sizeof want);
  want.mq_maxmsg = 10;
  want.mq_msgsize = 8192;
  mqd_t q;
  while ((q = mq_open(name, O_RDONLY | O_CREAT, 0600, &want)) == (mqd_t)-1 && errno == EINTR) {
  }
  if (q == (mqd_t)-1) fail(2, "mq_open", name);
  created = name;
  struct mq_attr got;
  if (mq_getattr(q, &got) != 0) fail(2, "mq_getattr", name);

  // One buffer for the frame: 4 bytes of length, then room for the largest message.
  unsigned char* frame = malloc(4 + (size_t)got.mq_msgsize);
  if (!frame) fail(2, "malloc", "mq_msgsize");

  static const unsigned char ready[4] = {0, 0, 0, 0};
  int w = write_all(STDOUT_FILENO, ready, sizeof ready);
  if (w < 0) fail(4, "write", "stdout (ready frame)");

  while (w == 0 && !stop) {
    struct timespec until;
    if (clock_gettime(CLOCK_REALTIME, &until) != 0) fail(2, "clock_gettime", "CLOCK_REALTIME");
    until.tv_nsec += 100 * 1000 * 1000;
    if (until.tv_nsec >= 1000 * 1000 * 1000) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000 * 1000 * 1000;
    }
    ssize_t n = mq_timedreceive(q, (char*)frame + 4, (size_t)got.mq_msgsize, NULL, &until);
    if (n < 0 && (errno == EINTR || errno == ETIMEDOUT)) continue;  // the loop checks `stop`
    if (n < 0) fail(2, "mq_timedreceive", name);
    put_le32(frame, (uint32_t)n);
    w = write_all(STDOUT_FILENO, frame, 4 + (size_t)n);
    if (w < 0) fail(4, "write", "stdout");
  }

  free(frame);
  if (mq_close(q) != 0) fail(2, "mq_close", name);
  if (mq_unlink(name) != 0) {
    created = NULL;
    fail(2, "mq_unlink", name);
  }
  return 0;
}
