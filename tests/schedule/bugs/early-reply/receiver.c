/* early-reply/receiver.c: creates the slot at $IPCH_ENDPOINT (rep = 1: free), writes the ready
 * frame, then loops: a request it has not taken (req != the last it took, acquire) is taken:
 * rep cleared (busy), the message copied out, rep set to 1 (release: the reply, the slot is
 * free), the message written out as a frame; no new request and eos set is the end (unlink, exit
 * 0); no new request otherwise: wait a little (sched_yield, then short sleeps). SIGTERM: unlink,
 * exit 0. The bug is in sender.c: it reads the reply to the previous request as the reply to the
 * new one. */
#include "slot.h"

int main(void) {
  prog = "early-reply/receiver";
  const char* name = endpoint();
  setup_signals();
  int fresh;
  struct slot* s = shm_create(name, sizeof(struct slot), &fresh);
  if (atomic_load_explicit(&s->ready, memory_order_acquire) != 1) {  // new, not taken over
    atomic_store_explicit(&s->rep, 1, memory_order_relaxed);
    atomic_store_explicit(&s->ready, 1, memory_order_release);
  }
  uint32_t taken = atomic_load_explicit(&s->req, memory_order_acquire);
  if (put_frame(NULL, 0) != 0) fail(4, "write", "stdout (ready frame)");
  static unsigned char buf[MAX_MESSAGE];
  unsigned idle = 0;
  while (!stop) {
    int end = atomic_load_explicit(&s->eos, memory_order_acquire);  // before req: eos follows the last one
    uint32_t r = atomic_load_explicit(&s->req, memory_order_acquire);
    if (r != taken) {
      atomic_store_explicit(&s->rep, 0, memory_order_release);
      uint32_t len = s->len;
      if (len > MAX_MESSAGE) len = MAX_MESSAGE;  // only a torn read can see that
      memcpy(buf, s->data, len);
      taken = r;
      atomic_store_explicit(&s->rep, 1, memory_order_release);
      if (put_frame(buf, len) != 0) {
        if (stop) break;
        fail(4, "write", "stdout");
      }
      idle = 0;
      continue;
    }
    if (end) break;
    backoff(&idle);
  }
  munmap(s, sizeof *s);
  remove_objects();
  return 0;
}
