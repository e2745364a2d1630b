/* lost-wakeup/sender.c: for each frame on stdin, waits until the slot is empty (futex on `full`,
 * done right: the kernel rechecks full == 1 before sleeping), copies the message in, sets full
 * (release), then sets `wake` to 1 and FUTEX_WAKEs the receiver, and acknowledges. At EOF it
 * sets eos (no more messages after the one in the slot, if any), wakes the receiver and exits 0.
 * The bug is in receiver.c. */
#include "slot.h"

int main(void) {
  prog = "lost-wakeup/sender";
  const char* name = endpoint();
  signal(SIGPIPE, SIG_IGN);
  struct slot* s = shm_attach(name, sizeof(struct slot));
  static unsigned char body[MAX_MESSAGE];
  for (;;) {
    long len = next_frame(body);
    if (len < 0) break;
    while (atomic_load_explicit(&s->full, memory_order_acquire)) futex_wait(&s->full, 1);
    memcpy(s->data, body, (size_t)len);
    s->len = (uint32_t)len;
    atomic_store_explicit(&s->full, 1, memory_order_release);
    atomic_store_explicit(&s->wake, 1, memory_order_release);
    futex_wake(&s->wake);
    acknowledge();
  }
  atomic_store_explicit(&s->eos, 1, memory_order_release);
  atomic_store_explicit(&s->wake, 1, memory_order_release);
  futex_wake(&s->wake);
  munmap(s, sizeof *s);
  return 0;
}
