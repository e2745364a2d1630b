/* sem-no-undo/receiver.c: creates the slot at $IPCH_ENDPOINT and the lock (a SysV semaphore
 * keyed ftok($IPCH_DIR, 'S'), value 1), writes the ready frame, then loops: take the lock; a
 * full slot is copied out and emptied, the lock given back, and the message written out as a
 * frame; an empty slot with eos set is the end; an empty slot otherwise: give the lock back and
 * wait a little (sched_yield, then short sleeps). At the end, or on SIGTERM (which interrupts a
 * blocked semop), it removes the lock and unlinks the slot and exits 0. A receiver started after
 * one was killed takes over the slot and the lock as they are.
 *
 * BUG (a fault, not an interleaving): both programs take the lock without SEM_UNDO (slot.h).
 * Under `--fault kill-sender`, a sender killed while it holds the lock (after its semop -1,
 * before its semop +1: copying the message in, or writing the acknowledgement) never gives it
 * back: this receiver then blocks in semop(-1) for ever, and so does the new sender: a deadlock,
 * both in semop (the kernel function: do_semtimedop). Whether the kill lands inside the critical
 * section is the race. The fix: sem_flg = SEM_UNDO. */
#include "slot.h"

int main(void) {
  prog = "sem-no-undo/receiver";
  const char* name = endpoint();
  key_t key = lock_key();
  setup_signals();
  int fresh;
  struct slot* s = shm_create(name, sizeof(struct slot), &fresh);
  int semid = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
  if (semid >= 0) {
    cleanup_sem = semid;
    if (semctl(semid, 0, SETVAL, 1) != 0) fail(2, "semctl", "SETVAL");
  } else if (errno == EEXIST) {  // taken over from a killed receiver
    semid = semget(key, 1, 0);
    if (semid < 0) fail(2, "semget", "the lock");
    cleanup_sem = semid;
  } else {
    fail(2, "semget", "the lock");
  }
  atomic_store_explicit(&s->ready, 1, memory_order_release);
  if (put_frame(NULL, 0) != 0) fail(4, "write", "stdout (ready frame)");
  static unsigned char buf[MAX_MESSAGE];
  unsigned idle = 0;
  while (!stop) {
    if (lock_op(semid, -1) != 0) break;
    if (s->full) {
      uint32_t len = s->len;
      memcpy(buf, s->data, len);
      s->full = 0;
      lock_op(semid, +1);
      if (put_frame(buf, len) != 0) {
        if (stop) break;
        fail(4, "write", "stdout");
      }
      idle = 0;
      continue;
    }
    uint32_t end = s->eos;
    lock_op(semid, +1);
    if (end) break;
    backoff(&idle);
  }
  munmap(s, sizeof *s);
  remove_objects();
  return 0;
}
