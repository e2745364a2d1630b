/* lost-wakeup/slot.h: the one-message slot both programs map at $IPCH_ENDPOINT. */
#include "../common.h"

struct slot {
  _Atomic uint32_t ready;  // 1 once the receiver has initialised the slot (release): first word
  _Atomic uint32_t full;   // futex word: 1 while a message waits in the slot; the sender sleeps on it
  _Atomic uint32_t wake;   // futex word the receiver sleeps on: the sender sets it to 1 and wakes it
  _Atomic uint32_t eos;    // 1 once the sender has put its last message in the slot
  uint32_t len;
  unsigned char data[MAX_MESSAGE];
};
