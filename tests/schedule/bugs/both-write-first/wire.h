/* both-write-first/wire.h: one connection per message on the Unix stream socket $IPCH_DIR/sock.
 * On each, the sender writes a greeting of GREETING bytes and reads the receiver's, then writes
 * the message (a 4-byte little-endian length, then the bytes; END as the length: no more
 * messages) and closes. Both ends shrink their send buffer to its least (SO_SNDBUF 4096: the
 * kernel makes it 8 KiB), so a greeting does not fit in the socket: writing it blocks until the
 * other end reads. */
#include <sys/socket.h>
#include <sys/un.h>
#include "../common.h"

#define GREETING (64u << 10)
#define END UINT32_MAX

static struct sockaddr_un socket_address(void) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  const char* dir = getenv("IPCH_DIR");
  if (!dir || !dir[0] || (size_t)snprintf(a.sun_path, sizeof a.sun_path, "%s/sock", dir) >= sizeof a.sun_path) {
    fprintf(stderr, "%s: IPCH_DIR must be set to a private directory short enough for a socket path\n", prog);
    exit(1);
  }
  return a;
}

static void small_buffer(int fd) {
  int size = 4096;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) != 0) fail(2, "setsockopt", "SO_SNDBUF");
}

static unsigned char greeting[GREETING];
static void make_greeting(char who) {
  for (size_t i = 0; i < GREETING; ++i) greeting[i] = (unsigned char)(i % 64 ? who : '\n');
}

// Reads the other end's greeting (all GREETING bytes). 0 when read, -1 on EOF, an error or SIGTERM.
static int read_greeting(int fd) {
  static unsigned char theirs[GREETING];
  return read_full(fd, theirs, GREETING) == (ssize_t)GREETING ? 0 : -1;
}
