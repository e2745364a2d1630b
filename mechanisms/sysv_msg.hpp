// sysv-msg: a System V message queue (msgget with a key derived from its ipch- name, mode 0600), used by its id.
//
// Contract: reliable; order per type (a receive takes msgtyp 0, the oldest message of any type,
// so one sender's messages in fact come out in send order); boundaries kept; every message is
// atomic; one-way; many senders and receivers; the queue outlives its creator until
// msgctl(IPC_RMID) or reboot.
//
// Priority p is sent as mtype p + 1, since the kernel refuses mtype 0; Received.priority is
// mtype - 1. Errors are the kernel's errno, never mapped, since the errno is the datum:
//   send     EAGAIN     blocking=false and the queue is full (msg_qbytes bytes or messages)
//            EINVAL     the message is over msgmax, or the queue is already removed
//   receive  ENOMSG     blocking=false and the queue is empty: IPC_NOWAIT's errno, not EAGAIN
//            E2BIG      a message over the msgmax this channel was opened with (msgmax raised)
//   both     EIDRM      the queue was removed while the call waited
//            ETIMEDOUT  a finite deadline passed. No timed msgsnd/msgrcv exists, so the wait
//                       polls with IPC_NOWAIT; under Deadline::never() the raw call blocks, so a
//                       stuck process shows msgsnd/msgrcv in /proc.
//            EBADF      after close()
// There is no peer: a receive without senders waits, a send succeeds while there is room.
#pragma once

#include "channel.hpp"

namespace ipch {
const Mechanism& sysv_msg_mechanism();
}
