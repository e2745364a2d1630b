/* sem-no-undo/slot.h: the one-message slot both programs map at $IPCH_ENDPOINT, and the SysV
 * semaphore (one, value 1: a lock) keyed ftok($IPCH_DIR, 'S') that guards every field but ready. */
#include <sys/ipc.h>
#include "../common.h"

struct slot {
  _Atomic uint32_t ready;  // 1 once the receiver has initialised the slot and the lock: first word
  uint32_t full;           // 1 while a message waits in the slot
  uint32_t eos;            // 1 once the sender has read stdin to its end
  uint32_t len;
  unsigned char data[MAX_MESSAGE];
};

static key_t lock_key(void) {
  const char* dir = getenv("IPCH_DIR");
  if (!dir || !dir[0]) {
    fprintf(stderr, "%s: IPCH_DIR must be set to a private directory\n", prog);
    exit(1);
  }
  key_t key = ftok(dir, 'S');
  if (key == -1) fail(2, "ftok", dir);
  return key;
}

// Adds `op` (-1 take, +1 give back) to the lock. BUG: sem_flg is 0, not SEM_UNDO: a program
// killed between taking and giving back leaves the lock taken for ever. 0 when done, -1 when
// SIGTERM interrupted it; exits 2 on a failure.
static int lock_op(int semid, short op) {
  struct sembuf b = {.sem_num = 0, .sem_op = op, .sem_flg = 0};
  while (semop(semid, &b, 1) != 0) {
    if (errno != EINTR) fail(2, "semop", op < 0 ? "take" : "give back");
    if (stop) return -1;
  }
  return 0;
}
