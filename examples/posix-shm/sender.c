/* posix-shm/sender.c: the sending half of the POSIX shared memory ring example for
 * `ipc-harness check` (the protocol is in examples/README.md; the ring is described in
 * receiver.c).
 *
 * Opens the ring in the shared memory object $IPCH_ENDPOINT (retrying for up to 5 s until the
 * receiver has created it, sized it and written its magic number), then reads frames from stdin
 * (a 4-byte little-endian length, then the bytes). For each one it waits until the ring has room
 * for the record (sched_yield 64 times, then sleeps of 1 us doubling up to 1 ms), copies the
 * record in at head (its length, then the bytes, wrapping around the end of the data), then
 * publishes the new head (release): only then can the receiver see it. Then it acknowledges the
 * message: one empty frame, 4 zero bytes, on stdout. A sender killed while copying has not
 * published anything, so the record it was writing is simply not there; a sender started after
 * one was killed continues from the head that one last published.
 *
 * At EOF on stdin, at a frame boundary, it sets `eos` (release) after its last commit, creates
 * the file $IPCH_DIR/end-of-stream (when IPCH_DIR is set; it outlives the ring, see
 * receiver.c) and exits 0.
 * Contract: reliable,fifo,boundaries, and also reliable,fifo,boundaries,eof,restart.
 *
 * Exit codes:
 *   0  stdin ended; every record is committed and eos is set
 *   1  bad environment: IPCH_ENDPOINT unset or not a shared memory name ("/name"), or
 *      $IPCH_DIR/end-of-stream too long for a path
 *   2  a call on the ring failed (shm_open, fstat, mmap), the ring never appeared, the object
 *      at $IPCH_ENDPOINT is not this ring (its size or magic number) or its head and tail are
 *      inconsistent, creating $IPCH_DIR/end-of-stream failed, or malloc failed
 *   3  malformed input: stdin ended inside a frame, or a frame is over 256 KiB (MAX_MESSAGE)
 *   4  reading stdin or writing an acknowledgement to stdout failed
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

// --- the ring's layout: the same in receiver.c -----------------------------------------------
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

static const char* const prog = "posix-shm/sender";

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

// Copies n bytes into the ring's data at position pos, wrapping around its end.
static void copy_in(unsigned char* data, uint64_t pos, const void* from, size_t n) {
  size_t at = (size_t)(pos & (RING_DATA - 1));
  size_t first = n < RING_DATA - at ? n : RING_DATA - at;
  memcpy(data + at, from, first);
  memcpy(data, (const unsigned char*)from + first, n - first);
}

// One more turn of waiting for room: sched_yield 64 times, then sleeps of 1 us doubling up to
// 1 ms.
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

  // The receiver creates, sizes and initialises the ring; wait for each step briefly (500
  // tries in all, 10 ms apart).
  const size_t total = (size_t)RING_HEADER + RING_DATA;
  int tries = 0, fd;
  while ((fd = shm_open(name, O_RDWR, 0)) < 0) {
    if (errno == EINTR) continue;
    if (errno != ENOENT || ++tries > 500) fail(2, "shm_open", name);
    sleep_ms(10);
  }
  struct stat st;
  for (;;) {
    if (fstat(fd, &st) != 0) fail(2, "fstat", name);
    if (st.st_size != 0 || ++tries > 500) break;
    sleep_ms(10);
  }
  if (st.st_size != (off_t)total) {
    fprintf(stderr, "%s: %s is %lld bytes, not a ring of this example (%zu bytes)\n", prog, name,
            (long long)st.st_size, total);
    return 2;
  }
  void* map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail(2, "mmap", name);
  close(fd);  // the mapping keeps the object
  struct ring* r = map;
  unsigned char* data = (unsigned char*)map + RING_HEADER;
  uint64_t magic;
  while ((magic = atomic_load_explicit(&r->magic, memory_order_acquire)) == 0 && ++tries <= 500) sleep_ms(10);
  if (magic != RING_MAGIC || r->data_size != RING_DATA || r->max_message != MAX_MESSAGE) {
    fprintf(stderr, "%s: %s is not a ring of this example (magic %#llx, %llu data bytes)\n", prog, name,
            (unsigned long long)magic, (unsigned long long)r->data_size);
    return 2;
  }

  // Where a killed sender stopped: head is only ever written by a sender.
  uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  if (head - tail > RING_DATA) {
    fprintf(stderr, "%s: %s is inconsistent: head %llu and tail %llu are more than %u bytes apart\n", prog, name,
            (unsigned long long)head, (unsigned long long)tail, RING_DATA);
    return 2;
  }
  unsigned char* body = malloc(MAX_MESSAGE);
  if (!body) fail(2, "malloc", "a message buffer");

  for (unsigned long count = 1;; ++count) {
    unsigned char len_le[4];
    size_t got = read_full(STDIN_FILENO, len_le, sizeof len_le);
    if (got == 0) break;  // EOF at a frame boundary: done
    if (got < sizeof len_le) {
      fprintf(stderr, "%s: stdin ended inside the length of frame %lu (%zu of 4 bytes)\n", prog, count, got);
      return 3;
    }
    uint32_t len = get_le32(len_le);
    if (len > MAX_MESSAGE) {
      fprintf(stderr, "%s: frame %lu is %lu bytes, over the ring's limit of %u bytes a message\n", prog, count,
              (unsigned long)len, MAX_MESSAGE);
      return 3;
    }
    got = read_full(STDIN_FILENO, body, len);
    if (got < len) {
      fprintf(stderr, "%s: stdin ended inside frame %lu (%zu of %lu bytes)\n", prog, count, got, (unsigned long)len);
      return 3;
    }
    // Room: the receiver releases a record's bytes (tail, release) once it has copied it out.
    const uint64_t need = 4 + (uint64_t)len;
    for (unsigned idle = 0; RING_DATA - (head - atomic_load_explicit(&r->tail, memory_order_acquire)) < need;)
      wait_a_little(&idle);
    copy_in(data, head, len_le, 4);  // the frame's length is the record's length
    copy_in(data, head + 4, body, len);
    head += need;
    atomic_store_explicit(&r->head, head, memory_order_release);  // committed: the receiver may take it
    static const unsigned char ack[4] = {0, 0, 0, 0};
    write_all(STDOUT_FILENO, ack, sizeof ack, "stdout (acknowledgement)");
  }

  // The end of the stream: eos after the last commit, then the file that outlives the ring.
  atomic_store_explicit(&r->eos, 1, memory_order_release);
  free(body);
  if (munmap(map, total) != 0) fail(2, "munmap", name);
  if (end_path[0]) {
    int f;
    while ((f = open(end_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0 && errno == EINTR) {
    }
    if (f < 0) fail(2, "open", end_path);
    close(f);
  }
  return 0;
}
