/* lost-wakeup/receiver.c: creates the slot at $IPCH_ENDPOINT, writes the ready frame, then loops:
 * a message in the slot (full, acquire) is copied out, full is cleared and the sender woken
 * (FUTEX_WAKE on `full`), and the message written out as a frame; an empty slot with eos set is
 * the end (unlink, exit 0); an empty slot otherwise means sleeping on the futex word `wake`.
 * SIGTERM interrupts the sleep: unlink, exit 0.
 *
 * BUG (depth 2): the receiver resets `wake` to 0 only after it found the slot empty, and makes a
 * system call in between (a FUTEX_WAKE on `full`: a point where the other program may run). If
 * the sender fills the slot and wakes it inside that window (after the check, before the reset),
 * the reset wipes out the wake-up and FUTEX_WAIT(wake, 0) sleeps for ever; the sender then sleeps
 * on `full` for ever too: a deadlock, both in futex(FUTEX_WAIT). Two orderings make it: the receiver's check of
 * `full` before the sender's store to it, and the sender's FUTEX_WAKE before the receiver's reset.
 * The fix: reset `wake` before checking `full`. A wake-up lost on the final eos (the sender has
 * exited) is a hang only under the contract `eof` (the receiver must end by itself): check this
 * pair with --contract reliable,fifo,boundaries,eof. */
#include "slot.h"

static struct slot* s;

int main(void) {
  prog = "lost-wakeup/receiver";
  const char* name = endpoint();
  setup_signals();
  int fresh;
  s = shm_create(name, sizeof(struct slot), &fresh);
  if (atomic_load_explicit(&s->ready, memory_order_acquire) != 1)  // new (zeroed), not taken over
    atomic_store_explicit(&s->ready, 1, memory_order_release);
  if (put_frame(NULL, 0) != 0) fail(4, "write", "stdout (ready frame)");
  static unsigned char buf[MAX_MESSAGE];
  while (!stop) {
    if (atomic_load_explicit(&s->full, memory_order_acquire)) {
      uint32_t len = s->len;
      memcpy(buf, s->data, len);
      atomic_store_explicit(&s->full, 0, memory_order_release);
      futex_wake(&s->full);
      if (put_frame(buf, len) != 0) {
        if (stop) break;
        fail(4, "write", "stdout");
      }
      continue;
    }
    if (atomic_load_explicit(&s->eos, memory_order_acquire)) {  // then the slot again: eos follows the last fill
      if (!atomic_load_explicit(&s->full, memory_order_acquire)) break;
      continue;
    }
    futex_wake(&s->full);  // nudge a sender that might be waiting for room, then sleep
    atomic_store_explicit(&s->wake, 0, memory_order_release);  // BUG: too late, see above
    futex_wait(&s->wake, 0);
  }
  munmap(s, sizeof *s);
  remove_objects();
  return 0;
}
