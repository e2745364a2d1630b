/* tests/schedule/bugs/common.h: what the planted-bug pairs share, none of it racy: the program
 * protocol of `ipc-harness check` (frames of a 4-byte little-endian length and the bytes on
 * stdin/stdout; the receiver's ready frame; a sender's acknowledgement, 4 zero bytes), SIGTERM,
 * and small wrappers. Each pair's one planted bug is in its own files, marked "BUG".
 * Exit codes, as the examples: 1 bad environment, 2 a failed call on the channel, 3 malformed
 * input, 4 reading stdin or writing stdout failed. */
#ifndef IPCH_SCHEDULE_BUGS_COMMON_H
#define IPCH_SCHEDULE_BUGS_COMMON_H
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE (64u << 10)  // the longest message these pairs carry: keep --max-size at most this

static const char* prog = "bug";
static volatile sig_atomic_t stop;  // SIGTERM came (the harness ended the case)
static const char* cleanup_shm;     // a POSIX shared memory name to unlink on exit, if any
static int cleanup_sem = -1;        // a SysV semaphore set to remove on exit, if any

static inline void on_term(int sig) {
  (void)sig;
  stop = 1;
}

// Removes this program's kernel objects (only the receivers own any).
static inline void remove_objects(void) {
  if (cleanup_shm) shm_unlink(cleanup_shm);
  if (cleanup_sem >= 0) semctl(cleanup_sem, 0, IPC_RMID);
  cleanup_shm = NULL;
  cleanup_sem = -1;
}

static inline void fail(int code, const char* call, const char* arg) {
  int e = errno;
  fprintf(stderr, "%s: %s(%s): %s\n", prog, call, arg, strerror(e));
  remove_objects();
  exit(code);
}

// SIGTERM sets `stop` and interrupts a blocked call with EINTR (no SA_RESTART); SIGPIPE is EPIPE.
static inline void setup_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0) fail(2, "sigaction", "SIGTERM");
  signal(SIGPIPE, SIG_IGN);
}

// Reads up to n bytes, finishing short reads and retrying EINTR; fewer than n only at EOF.
// Returns -1 on an error.
static inline ssize_t read_full(int fd, void* p, size_t n) {
  unsigned char* b = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, b + got, n - got);
    if (r < 0 && errno == EINTR && !stop) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

// Writes all n bytes, finishing short writes and retrying EINTR (not after SIGTERM). 0 when
// done, -1 on an error or SIGTERM.
static inline int write_all(int fd, const void* p, size_t n) {
  const unsigned char* b = p;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR && !stop) continue;
    if (w < 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static inline uint32_t get_le32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void put_le32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

// The next frame on stdin into body (MAX_MESSAGE bytes): its length, or -1 at EOF at a frame
// boundary. Exits 3 on a frame cut short or too long, 4 on a read error.
static inline long next_frame(unsigned char* body) {
  unsigned char le[4];
  ssize_t got = read_full(STDIN_FILENO, le, 4);
  if (got < 0) fail(4, "read", "stdin");
  if (got == 0) return -1;
  uint32_t len = get_le32(le);
  if (got < 4 || len > MAX_MESSAGE) {
    fprintf(stderr, "%s: malformed input: a frame cut short or over %u bytes\n", prog, MAX_MESSAGE);
    exit(3);
  }
  got = read_full(STDIN_FILENO, body, len);
  if (got < 0) fail(4, "read", "stdin");
  if ((size_t)got < len) {
    fprintf(stderr, "%s: stdin ended inside a frame\n", prog);
    exit(3);
  }
  return (long)len;
}

// A frame (the ready frame when len is 0) or an acknowledgement (4 zero bytes) on stdout.
// 0 when written, -1 on an error or SIGTERM.
static inline int put_frame(const void* body, uint32_t len) {
  unsigned char le[4];
  put_le32(le, len);
  if (write_all(STDOUT_FILENO, le, 4) != 0) return -1;
  return len ? write_all(STDOUT_FILENO, body, len) : 0;
}
static inline void acknowledge(void) {
  if (put_frame(NULL, 0) != 0) fail(4, "write", "stdout (acknowledgement)");
}

static inline const char* endpoint(void) {
  const char* name = getenv("IPCH_ENDPOINT");
  if (!name || name[0] != '/' || !name[1]) {
    fprintf(stderr, "%s: IPCH_ENDPOINT must be set to a shared memory name like /ipch-4242-17\n", prog);
    exit(1);
  }
  return name;
}

static inline void sleep_us(long us) {
  struct timespec t = {us / 1000000, (us % 1000000) * 1000L};
  nanosleep(&t, NULL);
}

// One more turn of polling: sched_yield 64 times, then sleeps of 1 us doubling up to 1 ms.
static inline void backoff(unsigned* idle) {
  if (*idle < 64) {
    ++*idle;
    sched_yield();
    return;
  }
  unsigned shift = *idle - 64;
  if (shift < 10) ++*idle;
  sleep_us(1L << shift);
}

// futex(2) on a word in MAP_SHARED memory (not FUTEX_PRIVATE: the two programs share it).
static inline long futex_wait(_Atomic uint32_t* word, uint32_t expected) {
  return syscall(SYS_futex, (uint32_t*)word, FUTEX_WAIT, expected, NULL, NULL, 0);
}
static inline long futex_wake(_Atomic uint32_t* word) {
  return syscall(SYS_futex, (uint32_t*)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

// The receiver's side of a shared memory object of `size` bytes at `name`: created (and then
// *fresh is 1, the bytes zero), or taken over from a receiver killed before it. Unlinked on exit.
static inline void* shm_create(const char* name, size_t size, int* fresh) {
  int fd;
  *fresh = 1;
  while ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0 && errno == EINTR) {
  }
  if (fd < 0 && errno == EEXIST) {
    *fresh = 0;
    fd = shm_open(name, O_RDWR, 0);
  }
  if (fd < 0) fail(2, "shm_open", name);
  cleanup_shm = name;
  if (ftruncate(fd, (off_t)size) != 0) fail(2, "ftruncate", name);
  void* map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail(2, "mmap", name);
  close(fd);
  return map;
}

// The sender's side: waits up to 5 s for the receiver to have created and sized the object,
// then for its first word, `ready`, to be 1 (the receiver sets it last, with release).
static inline void* shm_attach(const char* name, size_t size) {
  int fd = -1;
  struct stat st;
  for (int tries = 0;; ++tries) {
    if (fd < 0) fd = shm_open(name, O_RDWR, 0);
    if (fd >= 0 && fstat(fd, &st) == 0 && (size_t)st.st_size == size) break;
    if ((fd < 0 && errno != ENOENT && errno != EINTR) || tries > 500) fail(2, "shm_open", name);
    sleep_us(10000);
  }
  void* map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail(2, "mmap", name);
  close(fd);
  for (int tries = 0; atomic_load_explicit((_Atomic uint32_t*)map, memory_order_acquire) != 1; ++tries) {
    if (tries > 500) {
      fprintf(stderr, "%s: %s was never initialised by the receiver\n", prog, name);
      exit(2);
    }
    sleep_us(10000);
  }
  return map;
}
#endif
