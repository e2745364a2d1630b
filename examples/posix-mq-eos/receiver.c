/* posix-mq-eos/receiver.c: the receiving half of the POSIX message queue example whose receiver
 * ends by itself at the end of the stream and survives restarts, for `ipc-harness check` (the
 * protocol is in examples/README.md).
 *
 * Creates the queue named $IPCH_ENDPOINT (O_CREAT without O_EXCL, mq_maxmsg 10, mq_msgsize
 * 8192; a queue that already exists is taken over as it is, so that a receiver started after
 * one was killed continues on the same channel), writes the ready frame (4 zero bytes) to
 * stdout, then takes messages from the queue. Each message of 1 byte or more is written out as
 * one frame, a 4-byte little-endian length and then the bytes, right after it was taken: a
 * receiver killed between the two loses that one message (window=1) and never duplicates one.
 *
 * The end of the stream is a zero-length message, which the sender sends after its last
 * message: the receiver then unlinks the queue and exits 0. Before that message the sender
 * creates the file $IPCH_DIR/end-of-stream, which outlives the queue and this process: a
 * receiver killed after it took the zero-length message (or after it unlinked the queue) is
 * replaced by one that would otherwise wait for a message that never comes. So when the queue
 * has been empty for 100 ms and that file existed before the wait began, every message has been
 * taken, and the receiver ends the same way. Without IPCH_DIR only the zero-length message
 * counts. On SIGTERM it unlinks the queue and exits 0, without finishing a frame that stdout,
 * held back, has not taken yet.
 * Contract: reliable,fifo,boundaries, and also reliable,fifo,boundaries,eof,restart.
 *
 * Exit codes:
 *   0  the end of the stream came, or SIGTERM; the queue is unlinked
 *   1  bad environment: IPCH_ENDPOINT unset or not a queue name ("/name"), or
 *      $IPCH_DIR/end-of-stream too long for a path
 *   2  a call on the queue failed (mq_open, mq_getattr, mq_timedreceive, mq_unlink), or malloc
 *      failed; the queue is unlinked
 *   4  writing to stdout failed (EPIPE: the harness stopped reading); the queue is unlinked
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

static const char* const prog = "posix-mq-eos/receiver";
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
  // The sender's end-of-stream file, when there is a directory for it.
  char end_path[PATH_MAX] = "";
  const char* dir = getenv("IPCH_DIR");
  if (dir && dir[0]) {
    int len = snprintf(end_path, sizeof end_path, "%s/end-of-stream", dir);
    if (len < 0 || (size_t)len >= sizeof end_path) {
      fprintf(stderr, "%s: %s/end-of-stream is longer than a path may be\n", prog, dir);
      return 1;
    }
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

  int idle = 0;  // the last receive timed out: the queue was empty for 100 ms
  while (w == 0 && !stop) {
    // Looked at before the wait: the sender creates the file after its last mq_send returned,
    // so if it is there now and the wait then times out, nothing is left to take.
    int ended = idle && end_path[0] && access(end_path, F_OK) == 0;
    struct timespec until;
    if (clock_gettime(CLOCK_REALTIME, &until) != 0) fail(2, "clock_gettime", "CLOCK_REALTIME");
    until.tv_nsec += 100 * 1000 * 1000;
    if (until.tv_nsec >= 1000 * 1000 * 1000) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000 * 1000 * 1000;
    }
    ssize_t n = mq_timedreceive(q, (char*)frame + 4, (size_t)got.mq_msgsize, NULL, &until);
    if (n < 0 && errno == ETIMEDOUT && ended) break;  // the end of the stream, its marker taken before
    idle = n < 0 && errno == ETIMEDOUT;
    if (n < 0 && (errno == EINTR || errno == ETIMEDOUT)) continue;  // the loop checks `stop`
    if (n < 0) fail(2, "mq_timedreceive", name);
    if (n == 0) break;  // the end-of-stream marker
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
