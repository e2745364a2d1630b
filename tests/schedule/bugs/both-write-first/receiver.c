/* both-write-first/receiver.c: listens on $IPCH_DIR/sock, writes the ready frame, then serves
 * one connection after the other: the greetings (see below), then the message, written out as a
 * frame; END is the end of the stream. At the end, or on SIGTERM (which interrupts accept, read or
 * write), it removes the socket file and exits 0.
 *
 * BUG (depth 1): the protocol is "the sender speaks first", but to save a round trip the receiver
 * peeks (recv MSG_PEEK|MSG_DONTWAIT) right after accept and setsockopt, and when the sender's
 * greeting has not begun to arrive it writes its own greeting first, then reads the sender's. The sender writes
 * its greeting first too, and a greeting is bigger than a socket's send buffer: both block in
 * write(2) (unix_stream_sendmsg, waiting in sock_alloc_send_pskb) for ever: a deadlock. One
 * ordering makes it: the receiver's peek before the sender's first write on that connection. The
 * fix: always read the sender's greeting first. */
#include "wire.h"

static const char* sock_path;
static void unlink_socket(void) {
  if (sock_path) unlink(sock_path);
}

int main(void) {
  prog = "both-write-first/receiver";
  struct sockaddr_un a = socket_address();
  setup_signals();
  make_greeting('r');
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) fail(2, "socket", "AF_UNIX");
  unlink(a.sun_path);  // left by a receiver killed before (the directory is this case's own)
  if (bind(lfd, (struct sockaddr*)&a, sizeof a) != 0) fail(2, "bind", a.sun_path);
  sock_path = a.sun_path;
  atexit(unlink_socket);
  if (listen(lfd, 16) != 0) fail(2, "listen", a.sun_path);
  if (put_frame(NULL, 0) != 0) fail(4, "write", "stdout (ready frame)");
  static unsigned char body[MAX_MESSAGE];
  while (!stop) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      fail(2, "accept", a.sun_path);
    }
    small_buffer(fd);
    unsigned char c, le[4];
    int ok, nothing_yet = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
    if (nothing_yet)  // BUG: the sender has not spoken yet, so "greet first"
      ok = write_all(fd, greeting, GREETING) == 0 && read_greeting(fd) == 0;
    else
      ok = read_greeting(fd) == 0 && write_all(fd, greeting, GREETING) == 0;
    ok = ok && read_full(fd, le, 4) == 4;
    uint32_t len = ok ? get_le32(le) : 0;
    if (ok && len != END && (len > MAX_MESSAGE || read_full(fd, body, len) != (ssize_t)len)) ok = 0;
    close(fd);
    if (stop) break;
    if (!ok) continue;  // a sender killed on this connection: its message was not acknowledged
    if (len == END) break;
    if (put_frame(body, len) != 0) {
      if (stop) break;
      fail(4, "write", "stdout");
    }
  }
  close(lfd);
  return 0;
}
