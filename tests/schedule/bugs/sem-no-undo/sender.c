/* sem-no-undo/sender.c: for each frame on stdin, takes the lock, and while the slot is still
 * full gives it back, waits a little and takes it again; then copies the message in, sets full,
 * acknowledges it (it is committed) and only then gives the lock back. At EOF it sets eos under
 * the lock and exits 0. A sender started after one was killed continues with the same slot.
 * The bug is in slot.h: the lock is taken without SEM_UNDO; see receiver.c. */
#include "slot.h"

int main(void) {
  prog = "sem-no-undo/sender";
  const char* name = endpoint();
  key_t key = lock_key();
  signal(SIGPIPE, SIG_IGN);
  struct slot* s = shm_attach(name, sizeof(struct slot));
  int semid = semget(key, 1, 0);
  if (semid < 0) fail(2, "semget", "the lock");
  static unsigned char body[MAX_MESSAGE];
  for (;;) {
    long len = next_frame(body);
    if (len < 0) break;
    unsigned idle = 0;
    for (;;) {
      lock_op(semid, -1);
      if (!s->full) break;
      lock_op(semid, +1);
      backoff(&idle);
    }
    memcpy(s->data, body, (size_t)len);
    s->len = (uint32_t)len;
    s->full = 1;
    acknowledge();  // committed: acknowledged while the lock is still held
    lock_op(semid, +1);
  }
  lock_op(semid, -1);
  s->eos = 1;
  lock_op(semid, +1);
  munmap(s, sizeof *s);
  return 0;
}
