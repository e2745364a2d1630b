// Deliberately broken mechanisms, one bug each, that the checkers must catch (tests/mutants/).
// Each is a Mechanism made findable by name with registry::add, so the real runner runs it in
// real processes; register_mutants() adds them all (idempotent). Where it can, a mutant wraps a
// real mechanism's Link and breaks one thing, so what is under test is that one bug.
//
//   mutant-unframed-unix-stream   unix stream socketpair, no length prefix: a receive returns
//                                 whatever one read() brings, so messages split and merge
//   mutant-short-write-unix-stream  framed, but a send makes one write() of at most 1 KiB and
//                                 ignores the rest, as code that ignores a short count does
//   mutant-resend-unix-stream     framed; after a short (1 KiB) write the sender starts the whole
//                                 frame again: the stream carries the first piece twice
//   mutant-unlocked-shm           the shm ring with lock() and unlock() doing nothing
//   mutant-truncating-unix-dgram  unix datagrams read into a 1 KiB buffer without MSG_TRUNC
//   mutant-swapping-posix-mq      posix-mq whose receiver hands back each pair it can get swapped
//   mutant-held-pipe              pipe whose every end also keeps the opposite end: the receiver
//                                 never sees EOF, the sender never EPIPE (caught under kill-receiver)
// posix-shm-nonrobust (nonrobust_shm.hpp) is the eighth.
#pragma once

namespace ipch::mutants {

void register_mutants();

}  // namespace ipch::mutants
