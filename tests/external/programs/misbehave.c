/* Programs that break the protocol of `ipc-harness check` in one way each, chosen by argv[1].
 * Every further argument is ignored: tests pass a unique marker word there, so that any process
 * left behind can be found by its command line (pgrep -f MARKER).
 *
 *   silent          receiver: never writes its ready frame; waits to be killed
 *   malformed       receiver: ready frame, then a frame length of 0xFFFFFFFF; waits to be killed
 *   exit3           receiver: ready frame, then exits 3
 *   sender-exit0    sender: exits 0 at once, without reading stdin
 *   sender-exit2    sender: exits 2 at once
 *   leak-sysv KEY   receiver: creates a SysV message queue with the hex KEY, then becomes the
 *                   correct POSIX mq receiver (REAL_RECEIVER), leaving the queue behind
 *   leak-shm NAME   receiver: creates POSIX shared memory NAME, then the same
 *   orphan          receiver: starts a grandchild in a session of its own that sleeps forever
 *                   (argv "orphan-sleeper MARKER..."), then becomes the correct receiver
 *   orphan-sleeper  sleeps until killed
 *   gate FIFO       receiver: waits until a writer has opened and closed FIFO (the test's
 *                   signal that it has done its part), then becomes the correct receiver
 *   quit-early      receiver: the POSIX queue at $IPCH_ENDPOINT (as the example receiver makes
 *                   it), writes out 10 messages, then exits 0 with messages still owed
 *   ack-extra       sender: 1000 acknowledgements before it reads anything: more than it was given
 *   ack-garbage     sender: one acknowledgement, then 4 bytes that are not one; waits to be killed
 *   ack-some        sender: the correct sender's job on the POSIX queue, acknowledging only the
 *                   first message, then exits 0
 * Exit: 1 for a bad mode or a failed setup call; otherwise as the mode says. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <unistd.h>
#include <mqueue.h>

static int write_all(const void* p, size_t n) {
  const char* c = p;
  while (n > 0) {
    ssize_t w = write(1, c, n);
    if (w < 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int ready(void) {
  static const unsigned char zero[4] = {0, 0, 0, 0};
  if (write_all(zero, 4) != 0) {
    perror("misbehave: write ready frame");
    return -1;
  }
  return 0;
}

static void wait_forever(void) {
  for (;;) pause();
}

/* Keeps the arguments, so that the marker still finds the receiver it becomes. */
static int become_receiver(char** argv) {
  argv[0] = REAL_RECEIVER;
  execv(REAL_RECEIVER, argv);
  perror("misbehave: execv " REAL_RECEIVER);
  return 1;
}

/* Reads exactly n bytes of stdin; 0 at a clean EOF before the first byte, -1 otherwise. */
static int read_all(void* p, size_t n) {
  char* c = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, c + got, n - got);
    if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static mqd_t open_queue(int flags) {
  const char* name = getenv("IPCH_ENDPOINT");
  struct mq_attr want = {0};
  want.mq_maxmsg = 10;
  want.mq_msgsize = 8192;
  mqd_t q = name ? mq_open(name, flags | O_CREAT, 0600, &want) : (mqd_t)-1;
  if (q == (mqd_t)-1) perror("misbehave: mq_open $IPCH_ENDPOINT");
  return q;
}

static int quit_early(void) {
  static char msg[8192 + 4];
  mqd_t q = open_queue(O_RDONLY);
  if (q == (mqd_t)-1 || ready() != 0) return 1;
  for (int i = 0; i < 10; ++i) {
    ssize_t n = mq_receive(q, msg + 4, 8192, NULL);
    if (n < 0) return 1;
    uint32_t len = (uint32_t)n;
    memcpy(msg, &len, 4); /* little-endian hosts only: a test program */
    if (write_all(msg, 4 + (size_t)n) != 0) return 1;
  }
  return 0;
}

/* The sender's job, acknowledging only the first message. */
static int ack_some(void) {
  static char msg[8192];
  static const unsigned char zero[4] = {0, 0, 0, 0};
  mqd_t q = open_queue(O_WRONLY);
  if (q == (mqd_t)-1) return 1;
  for (int i = 0;; ++i) {
    uint32_t len;
    int r = read_all(&len, 4);
    if (r == 0) return 0;
    if (r < 0 || len > sizeof msg || read_all(msg, len) != 1) return 1;
    if (mq_send(q, msg, len, 0) != 0) return 1;
    if (i == 0 && write_all(zero, 4) != 0) return 1;
  }
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "silent") == 0) {
    wait_forever();
  } else if (strcmp(mode, "malformed") == 0) {
    static const unsigned char huge[4] = {0xff, 0xff, 0xff, 0xff};
    if (ready() != 0 || write_all(huge, 4) != 0) return 1;
    wait_forever();
  } else if (strcmp(mode, "exit3") == 0) {
    if (ready() != 0) return 1;
    return 3;
  } else if (strcmp(mode, "sender-exit0") == 0) {
    return 0;
  } else if (strcmp(mode, "sender-exit2") == 0) {
    return 2;
  } else if (strcmp(mode, "leak-sysv") == 0 && argc > 2) {
    key_t key = (key_t)strtoul(argv[2], NULL, 16);
    if (msgget(key, IPC_CREAT | 0600) < 0) {
      perror("misbehave: msgget");
      return 1;
    }
    return become_receiver(argv);
  } else if (strcmp(mode, "leak-shm") == 0 && argc > 2) {
    int fd = shm_open(argv[2], O_CREAT | O_RDWR, 0600);
    if (fd < 0) {
      perror("misbehave: shm_open");
      return 1;
    }
    close(fd);
    return become_receiver(argv);
  } else if (strcmp(mode, "orphan") == 0) {
    pid_t p = fork();
    if (p < 0) {
      perror("misbehave: fork");
      return 1;
    }
    if (p == 0) {
      setsid();
      argv[1] = "orphan-sleeper";
      execv("/proc/self/exe", argv);
      _exit(1);
    }
    return become_receiver(argv);
  } else if (strcmp(mode, "gate") == 0 && argc > 2) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) {
      perror("misbehave: open gate");
      return 1;
    }
    char c;
    while (read(fd, &c, 1) > 0) {
    }
    close(fd);
    return become_receiver(argv);
  } else if (strcmp(mode, "quit-early") == 0) {
    return quit_early();
  } else if (strcmp(mode, "ack-extra") == 0) {
    static const unsigned char many[4000] = {0}; /* 1000 acknowledgements: more than it was given */
    if (write_all(many, sizeof many) != 0) return 1;
    wait_forever();
  } else if (strcmp(mode, "ack-garbage") == 0) {
    static const unsigned char bad[8] = {0, 0, 0, 0, 'o', 'o', 'p', 's'};
    uint32_t len;
    static char msg[8192];
    if (read_all(&len, 4) != 1 || len > sizeof msg || read_all(msg, len) != 1) return 1;
    if (write_all(bad, 8) != 0) return 1;
    wait_forever();
  } else if (strcmp(mode, "ack-some") == 0) {
    return ack_some();
  } else if (strcmp(mode, "orphan-sleeper") == 0) {
    wait_forever();
  }
  fprintf(stderr, "misbehave: unknown mode '%s'\n", mode);
  return 1;
}
