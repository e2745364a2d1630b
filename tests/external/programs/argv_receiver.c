/* A receiver for the hostile-command-line test: writes its arguments argv[2..] to the file
 * argv[1], each followed by a NUL byte (so a word holding a newline or a quote stays one word),
 * then becomes the correct POSIX mq receiver (REAL_RECEIVER, same arguments). The test reads
 * the file to see exactly which words arrived.
 * Exit: 1 if the file cannot be written or the receiver cannot be started. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: argv_receiver FILE WORD...\n");
    return 1;
  }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror("argv_receiver: open");
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    size_t n = strlen(argv[i]) + 1;  /* the NUL too */
    if (write(fd, argv[i], n) != (ssize_t)n) {
      perror("argv_receiver: write");
      return 1;
    }
  }
  close(fd);
  /* The arguments stay, so that a test's marker word still finds the receiver. */
  argv[0] = REAL_RECEIVER;
  execv(REAL_RECEIVER, argv);
  perror("argv_receiver: execv " REAL_RECEIVER);
  return 1;
}
