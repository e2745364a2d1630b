/* early-reply/slot.h: the request slot and its reply word, mapped by both programs at
 * $IPCH_ENDPOINT. */
#include "../common.h"

struct slot {
  _Atomic uint32_t ready;  // 1 once the receiver has initialised the slot (release): first word
  _Atomic uint32_t req;    // requests published: the sender stores n once message n is in (release)
  _Atomic uint32_t rep;    // the reply: 1 = the last request was taken, the slot is free; 0 = busy
  _Atomic uint32_t eos;    // 1 once the sender has published its last request
  uint32_t len;
  unsigned char data[MAX_MESSAGE];
};
