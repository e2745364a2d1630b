/* posix-shm/receiver.c: the receiving half of the POSIX shared memory ring example for
 * `ipc-harness check` (the protocol is in examples/README.md).
 *
 * The channel is a single-producer, single-consumer ring in the shared memory object
 * $IPCH_ENDPOINT: a 4 KiB header, then 1 MiB of data holding records of a 4-byte little-endian
 * length and then the bytes, each record wrapping around the end of the data as it must. The
 * header has two positions that only grow (C11 atomics, 64 bits: bytes committed ever, `head`,
 * written by the sender only; bytes taken ever, `tail`, written by the receiver only), published
 * with release and read with acquire, and an `eos` flag the sender sets after its last commit.
 * The layout is repeated in sender.c and must match it.
 *
 * The receiver creates the object (shm_open O_CREAT|O_EXCL, ftruncate, mmap MAP_SHARED) and
 * initialises the header, the magic number last. An object that already exists is taken over
 * without touching what is in it, once its size and magic number say it is this ring, so that a
 * receiver started after one was killed continues where that one stopped; one whose magic is
 * still 0 was left by a receiver killed while initialising it, and no sender has used it yet, so
 * it is initialised again. Then it writes the ready frame (4 zero bytes) to stdout and loops:
 *   - a record is there (tail < head): copy it out, advance tail, then write it to stdout as one
 *     frame. A receiver killed between the two loses that one message (window=1) and never
 *     duplicates one; a receiver killed before it advanced tail leaves the record to the next.
 *   - the ring is empty and eos is set: the end of the stream. Unmap, shm_unlink, exit 0.
 *   - the ring is empty: wait, first by yielding the CPU (sched_yield) 64 times, then sleeping
 *     1 us, doubling up to 1 ms, so that an idle receiver costs next to nothing.
 * The sender also creates the file $IPCH_DIR/end-of-stream after setting eos. It outlives the
 * ring: a receiver killed after it unlinked the ring is replaced by one that creates a new, empty
 * ring, and that one ends the same way once the file is there and its ring is empty.
 * On SIGTERM it unmaps and unlinks the ring and exits 0, without finishing a frame that stdout,
 * held back, has not taken yet.
 * Contract: reliable,fifo,boundaries, and also reliable,fifo,boundaries,eof,restart.
 *
 * Exit codes:
 *   0  the end of the stream came, or SIGTERM; the ring is unlinked
 *   1  bad environment: IPCH_ENDPOINT unset or not a shared memory name ("/name"), or
 *      $IPCH_DIR/end-of-stream too long for a path
 *   2  a call on the ring failed (shm_open, fstat, ftruncate, mmap, shm_unlink), malloc failed,
 *      or the object at $IPCH_ENDPOINT is not this ring (its size or magic number); a ring this
 *      receiver created or took over is unlinked
 *   3  malformed ring: a record's length is over 256 KiB or runs past head, or head and tail
 *      are further apart than the ring is long; the ring is unlinked
 *   4  writing to stdout failed (EPIPE: the harness stopped reading); the ring is unlinked
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// --- the ring's layout: the same in sender.c -------------------------------------------------
#define RING_MAGIC UINT64_C(0x31676e6972686370)  // "pchring1", little-endian
#define RING_HEADER 4096u                        // the header's share of the object
#define RING_DATA (1u << 20)                     // bytes of records; a power of two
#define MAX_MESSAGE (256u << 10)                 // the longest message a record may hold

_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "the ring's atomics must be lock-free, and so address-free, to work between processes");

struct ring {
  _Atomic uint64_t magic;  // RING_MAGIC once the receiver has initialised the rest (release)
  uint64_t data_size;      // RING_DATA
  uint64_t max_message;    // MAX_MESSAGE
  unsigned char pad0[64 - 3 * sizeof(uint64_t)];
  _Atomic uint64_t head;  // bytes of records committed, ever: written by the sender only
  unsigned char pad1[64 - sizeof(uint64_t)];
  _Atomic uint64_t tail;  // bytes of records taken, ever: written by the receiver only
  unsigned char pad2[64 - sizeof(uint64_t)];
  _Atomic uint32_t eos;  // 1 once the sender has committed its last record
};
_Static_assert(sizeof(struct ring) <= RING_HEADER, "the header must fit in its share");
// ----------------------------------------------------------------------------------------------

static const char* const prog = "posix-shm/receiver";
static volatile sig_atomic_t stop;  // SIGTERM came
static const char* created;         // the ring, once ours: unlinked on every exit but SIGKILL

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

// Reports the failed call with errno's text, unlinks the ring, exits with `code`.
static void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  if (created) shm_unlink(created);
  exit(code);
}

// Reports a problem that is no failed call, unlinks the ring, exits with `code`.
static void refuse(int code, const char* what) {
  fprintf(stderr, "%s: %s\n", prog, what);
  if (created) shm_unlink(created);
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

// Copies n bytes out of the ring's data from position pos, wrapping around its end.
static void copy_out(const unsigned char* data, uint64_t pos, void* to, size_t n) {
  size_t at = (size_t)(pos & (RING_DATA - 1));
  size_t first = n < RING_DATA - at ? n : RING_DATA - at;
  memcpy(to, data + at, first);
  memcpy((unsigned char*)to + first, data, n - first);
}

// One more turn of waiting on an empty ring: sched_yield 64 times, then sleeps of 1 us doubling
// up to 1 ms. A signal cuts a sleep short; the caller then looks at `stop`.
static void wait_a_little(unsigned* idle) {
  if (*idle < 64) {
    ++*idle;
    sched_yield();
    return;
  }
  unsigned shift = *idle - 64;
  if (shift < 10) ++*idle;
  struct timespec t = {0, 1000L << shift};
  nanosleep(&t, NULL);
}

int main(void) {
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a shared memory name like /ipch-4242-17\n", prog);
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
  // SIGTERM sets `stop` and interrupts a blocked write or a sleep (no SA_RESTART).
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0) fail(2, "sigaction", "SIGTERM");
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE to report, not a silent death

  // Create the ring, or take over the one a killed receiver left.
  const size_t total = (size_t)RING_HEADER + RING_DATA;
  int fresh = 1, fd;
  while ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 && errno == EINTR) {
  }
  if (fd >= 0) {
    created = name;
  } else if (errno == EEXIST) {
    fresh = 0;
    while ((fd = shm_open(name, O_RDWR, 0)) < 0 && errno == EINTR) {
    }
  }
  if (fd < 0) fail(2, "shm_open", name);
  struct stat st;
  if (fstat(fd, &st) != 0) fail(2, "fstat", name);
  if (!fresh && st.st_size != 0 && st.st_size != (off_t)total) {
    fprintf(stderr, "%s: %s is %lld bytes, not a ring of this example (%zu bytes); left as it is\n", prog, name,
            (long long)st.st_size, total);
    return 2;
  }
  if (st.st_size == 0) {  // new, or left by a receiver killed before it sized it
    created = name;
    while (ftruncate(fd, (off_t)total) != 0) {
      if (errno != EINTR) fail(2, "ftruncate", name);
    }
  }
  void* map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail(2, "mmap", name);
  close(fd);  // the mapping keeps the object
  struct ring* r = map;
  const unsigned char* data = (const unsigned char*)map + RING_HEADER;
  uint64_t magic = atomic_load_explicit(&r->magic, memory_order_acquire);
  if (magic == 0) {
    // New, or left by a receiver killed while initialising it: no sender has used it yet
    // (senders wait for the magic number), so it is initialised, the magic number last.
    created = name;
    r->data_size = RING_DATA;
    r->max_message = MAX_MESSAGE;
    atomic_store_explicit(&r->head, 0, memory_order_relaxed);
    atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
    atomic_store_explicit(&r->eos, 0, memory_order_relaxed);
    atomic_store_explicit(&r->magic, RING_MAGIC, memory_order_release);
  } else if (magic != RING_MAGIC || r->data_size != RING_DATA || r->max_message != MAX_MESSAGE) {
    fprintf(stderr, "%s: %s is not a ring of this example (magic %#llx, %llu data bytes); left as it is\n", prog,
            name, (unsigned long long)magic, (unsigned long long)r->data_size);
    return 2;
  }
  created = name;  // this ring is ours from here on, taken over or new

  // Where a killed receiver stopped: tail is only ever written by a receiver.
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  unsigned char* frame = malloc(4 + (size_t)MAX_MESSAGE);
  if (!frame) fail(2, "malloc", "a frame buffer");

  static const unsigned char ready[4] = {0, 0, 0, 0};
  int w = write_all(STDOUT_FILENO, ready, sizeof ready);
  if (w < 0) fail(4, "write", "stdout (ready frame)");

  unsigned idle = 0;
  while (w == 0 && !stop) {
    // Looked at before head: the sender creates the file after its last commit. Only while
    // sleeping, so that a busy ring costs no system call for it.
    int ended = idle >= 64 && end_path[0] && access(end_path, F_OK) == 0;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head == tail) {
      // eos is set after the last commit: once it is seen, a head read after it is final.
      if (ended || (atomic_load_explicit(&r->eos, memory_order_acquire) &&
                    atomic_load_explicit(&r->head, memory_order_acquire) == tail))
        break;  // the end of the stream
      wait_a_little(&idle);
      continue;
    }
    idle = 0;
    if (head - tail > RING_DATA || head - tail < 4) {
      char why[160];
      snprintf(why, sizeof why, "malformed ring: head %llu and tail %llu are not 4 to %u bytes apart",
               (unsigned long long)head, (unsigned long long)tail, RING_DATA);
      refuse(3, why);
    }
    copy_out(data, tail, frame, 4);  // the record's length is the frame's length
    uint32_t len = get_le32(frame);
    if (len > MAX_MESSAGE || 4 + (uint64_t)len > head - tail) {
      char why[160];
      snprintf(why, sizeof why, "malformed ring: the record at %llu claims %lu bytes, %llu committed",
               (unsigned long long)tail, (unsigned long)len, (unsigned long long)(head - tail - 4));
      refuse(3, why);
    }
    copy_out(data, tail + 4, frame + 4, len);
    // Taken: the room goes back to the sender before the frame goes out, so that a receiver
    // killed in between loses this message rather than a successor writing it out again.
    tail += 4 + (uint64_t)len;
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    w = write_all(STDOUT_FILENO, frame, 4 + (size_t)len);
    if (w < 0) fail(4, "write", "stdout");
  }

  free(frame);
  if (munmap(map, total) != 0) fail(2, "munmap", name);
  if (shm_unlink(name) != 0) {
    created = NULL;
    fail(2, "shm_unlink", name);
  }
  return 0;
}
