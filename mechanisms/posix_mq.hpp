// posix-mq: a POSIX message queue ("/ipch-<pid>-<n>", mode 0600), opened by name in each process.
//
// Contract: reliable; order per priority (higher priority first, FIFO within one); boundaries
// kept; every message is atomic; one-way; many senders and receivers; the queue outlives its
// creator until mq_unlink or reboot.
//
// Errors are the kernel's errno, never mapped, since the errno is the datum:
//   send     EAGAIN     blocking=false (O_NONBLOCK) and the queue holds mq_maxmsg messages
//            EMSGSIZE   the message is over mq_msgsize
//            EINVAL     priority >= MQ_PRIO_MAX (32768)
//   receive  EAGAIN     blocking=false and the queue is empty
//   both     ETIMEDOUT  a finite deadline passed (mq_timedsend/mq_timedreceive; under
//                       Deadline::never() the untimed calls, so a stuck process shows them in /proc)
//            EBADF      after close()
// There is no peer: a receive without senders waits, a send succeeds while there is room.
// Removing the queue (mq_unlink) only drops its name: descriptors already open keep working.
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& posix_mq_mechanism();
}
