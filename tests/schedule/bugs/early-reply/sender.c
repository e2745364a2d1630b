/* early-reply/sender.c: for each frame on stdin, waits for the reply to say the slot is free
 * (rep == 1, acquire), copies the message in, publishes it (req = n, release) and acknowledges
 * it; it looks at rep every 2 ms (nanosleep first). At EOF it sets eos and exits 0. A sender started after one was killed counts on from req.
 *
 * BUG (depth 1): the reply it waits for may be the reply to the request before: rep is still 1
 * from message n-1 until the receiver has noticed request n and cleared it. A sender that gets
 * back here (acknowledge, read the next frame, sleep: three system calls) before the receiver has looked
 * at req reads that stale reply as the acknowledgement of request n and overwrites message n in
 * the slot, which the receiver never read: message n is lost (or, copied while the receiver reads
 * it, corrupted). One ordering makes it: the sender's read of rep for message n+1 before the
 * receiver's clearing of rep for message n. The fix: clear rep here, before publishing req. */
#include "slot.h"

int main(void) {
  prog = "early-reply/sender";
  const char* name = endpoint();
  signal(SIGPIPE, SIG_IGN);
  struct slot* s = shm_attach(name, sizeof(struct slot));
  uint32_t n = atomic_load_explicit(&s->req, memory_order_acquire);
  static unsigned char body[MAX_MESSAGE];
  for (;;) {
    long len = next_frame(body);
    if (len < 0) break;
    do sleep_us(2000);  // give the receiver time to reply before looking
    while (atomic_load_explicit(&s->rep, memory_order_acquire) != 1);  // BUG
    memcpy(s->data, body, (size_t)len);
    s->len = (uint32_t)len;
    atomic_store_explicit(&s->req, ++n, memory_order_release);
    acknowledge();
  }
  atomic_store_explicit(&s->eos, 1, memory_order_release);
  munmap(s, sizeof *s);
  return 0;
}
