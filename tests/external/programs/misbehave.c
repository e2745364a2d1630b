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
  } else if (strcmp(mode, "orphan-sleeper") == 0) {
    wait_forever();
  }
  fprintf(stderr, "misbehave: unknown mode '%s'\n", mode);
  return 1;
}
