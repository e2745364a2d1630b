/* posix-mq/broken_receiver.c: a BROKEN receiver for the POSIX message queue example; pair it
 * with posix-mq/sender. Everything but the bug is as in receiver.c (see examples/README.md).
 *
 * THE BUG, which the harness must report as `reordered`: to save writes to stdout, messages are
 * collected into a batch, a linked list built by pushing each new message at its head, until 8
 * have arrived or the queue has been quiet for 20 ms. The batch is then written out by walking
 * the list from its head, which is newest first. Every message arrives, intact and exactly
 * once, but each batch of two or more comes out reversed. The messages it holds are also more
 * than the default in-flight window (window=1) allows, which only matters under kill faults.
 *
 * Exit codes:
 *   0  ended by SIGTERM; the batch written out as far as stdout takes it, the queue unlinked
 *   1  bad environment: IPCH_ENDPOINT unset or not a queue name ("/name")
 *   2  a call on the queue failed (mq_open, mq_getattr, mq_timedreceive), or malloc failed
 *   4  writing to stdout failed (EPIPE: the harness stopped reading)
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

static const char* const prog = "posix-mq/broken_receiver";
static volatile sig_atomic_t stop;  // SIGTERM came
static const char* created;         // the queue, once opened: unlinked on every exit but SIGKILL

struct node {
  struct node* next;
  unsigned char frame[];  // 4 bytes of length, then the message
};

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

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

static uint32_t get_le32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Writes out the batch and empties it. Returns write_all's answer.
static int flush(struct node** head, int* count) {
  int w = 0, e = 0;
  for (struct node* n = *head; n;) {  // the bug: the head is the NEWEST message
    if (w == 0) w = write_all(STDOUT_FILENO, n->frame, 4 + (size_t)get_le32(n->frame));
    if (w < 0 && !e) e = errno;
    struct node* next = n->next;
    free(n);
    n = next;
  }
  *head = NULL;
  *count = 0;
  errno = e;
  return w;
}

int main(void) {
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a queue name like /ipch-4242-17\n", prog);
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0) fail(2, "sigaction", "SIGTERM");
  signal(SIGPIPE, SIG_IGN);

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

  static const unsigned char ready[4] = {0, 0, 0, 0};
  int w = write_all(STDOUT_FILENO, ready, sizeof ready);
  if (w < 0) fail(4, "write", "stdout (ready frame)");

  struct node* batch = NULL;
  int held = 0;
  while (w == 0 && !stop) {
    // Wait 20 ms for the next message of a batch, 100 ms (then check `stop`) for a first one.
    struct timespec until;
    if (clock_gettime(CLOCK_REALTIME, &until) != 0) fail(2, "clock_gettime", "CLOCK_REALTIME");
    until.tv_nsec += (held ? 20 : 100) * 1000L * 1000L;
    if (until.tv_nsec >= 1000L * 1000L * 1000L) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000L * 1000L * 1000L;
    }
    struct node* n = malloc(sizeof *n + 4 + (size_t)got.mq_msgsize);
    if (!n) fail(2, "malloc", "a batch entry");
    ssize_t len = mq_timedreceive(q, (char*)n->frame + 4, (size_t)got.mq_msgsize, NULL, &until);
    if (len < 0) {
      int e = errno;
      free(n);
      errno = e;
      if (e == ETIMEDOUT && held) w = flush(&batch, &held);
      if (e == EINTR || e == ETIMEDOUT) continue;
      fail(2, "mq_timedreceive", name);
    }
    for (int i = 0; i < 4; ++i) n->frame[i] = (unsigned char)((uint32_t)len >> (8 * i));
    n->next = batch;  // pushed at the head
    batch = n;
    if (++held == 8) w = flush(&batch, &held);
  }
  if (w == 0 && held) w = flush(&batch, &held);
  if (w < 0) fail(4, "write", "stdout");

  mq_close(q);
  if (mq_unlink(name) != 0) {
    created = NULL;
    fail(2, "mq_unlink", name);
  }
  return 0;
}
