/* both-write-first/sender.c: for each frame on stdin, and once more at EOF with END: connects
 * to $IPCH_DIR/sock (retrying ENOENT and ECONNREFUSED for up to 5 s), writes its greeting, reads
 * the receiver's, writes the message, acknowledges it (it is in the socket), closes. Exits 0
 * after the END connection. The bug is in receiver.c; this program speaks first, as the
 * protocol (wire.h) says. */
#include "wire.h"

static void one_connection(const struct sockaddr_un* a, const unsigned char* body, uint32_t len) {
  int fd = -1;
  for (int tries = 0;; ++tries) {
    if (fd < 0) {
      if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) fail(2, "socket", "AF_UNIX");
      small_buffer(fd);
    }
    if (connect(fd, (const struct sockaddr*)a, sizeof *a) == 0) break;
    if ((errno != ENOENT && errno != ECONNREFUSED && errno != EINTR) || tries > 500) fail(2, "connect", a->sun_path);
    close(fd);
    fd = -1;
    sleep_us(10000);
  }
  unsigned char le[4];
  put_le32(le, len);
  if (write_all(fd, greeting, GREETING) != 0) fail(2, "write", "the greeting");
  if (read_greeting(fd) != 0) fail(2, "read", "the receiver's greeting");
  if (write_all(fd, le, 4) != 0 || (len != END && write_all(fd, body, len) != 0)) fail(2, "write", "a message");
  close(fd);
}

int main(void) {
  prog = "both-write-first/sender";
  struct sockaddr_un a = socket_address();
  signal(SIGPIPE, SIG_IGN);
  make_greeting('s');
  static unsigned char body[MAX_MESSAGE];
  for (;;) {
    long len = next_frame(body);
    if (len < 0) break;
    one_connection(&a, body, (uint32_t)len);
    acknowledge();
  }
  one_connection(&a, NULL, END);
  return 0;
}
