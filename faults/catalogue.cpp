#include "catalogue.hpp"

#include <algorithm>

namespace ipch::faults {

namespace {
const std::vector<std::string> kAll{"pipe", "fifo", "sysv-msg", "posix-mq", "sysv-shm", "posix-shm",
                                    "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp"};
const Param kAt{"at", "after the target's k-th message (default: seeded, in the first half of its messages)"};
}  // namespace

const std::vector<Entry>& catalogue() {
  static const std::vector<Entry> c{
      {"kill-receiver", "SIGKILL from the runner after the receiver's k-th message", kAll,
       {kAt, {"restart", "true: start a new receiver on the same object (default: true where the object outlives its "
                         "processes and keeps whole messages: sysv-msg, posix-mq, sysv-shm, posix-shm)"}},
       "the sender does not hang: a pipe, fifo or stream socket sender gets EPIPE (or ECONNRESET), a datagram sender "
       "ECONNREFUSED, a ring sender EPIPE; where a new receiver starts, every later message reaches it. Messages held "
       "by the killed receiver are lost with it; nothing is duplicated or reordered"},
      {"kill-sender", "SIGKILL from the runner after the sender's k-th message", kAll, {kAt},
       "every message the sender completed before its death arrives once, in order; the one in flight is "
       "indeterminate; receivers end (end of stream or the runner's drain) instead of hanging"},
      {"stop", "SIGSTOP from the runner after the target's k-th message, SIGCONT after `for` messages of the others "
               "or once the others cannot move",
       kAll,
       {kAt, {"target", "receiver or sender (default: receiver)"},
        {"for", "messages the others make while it is stopped (default: seeded, 1..50)"}},
       "nothing is lost, duplicated or reordered; senders block (or get EAGAIN) while a receiver is stopped and go on "
       "once it continues"},
      {"full-buffer", "the kernel buffer shrunk to its smallest (pipe 4096 B, sockets 4096 B, mq depth 1, msg_qbytes "
                      "and rings one message) and the receivers held back (SIGSTOP) until every sender is blocked",
       kAll, {{"capacity", "the buffer size in the mechanism's unit (default: the smallest that holds one message)"}},
       "blocking senders block and non-blocking ones get EAGAIN, and nothing is lost once the receivers continue; udp "
       "may lose messages (lossy), unix-dgram must not"},
      {"drop-datagram", "libfiu point ipch/<mechanism>/drop: the send path drops the n-th datagram and reports success",
       {"udp", "unix-dgram"},
       {{"nth", "the datagram to drop (default: seeded)"}, {"count", "how many in a row (default 1)"}},
       "udp: the loss is allowed (lossy) and reported as a note; unix-dgram promises delivery, so the harness reports "
       "the drop as a lost message (a violation)"},
      {"delay-lock", "libfiu point ipch/<mechanism>/lock or lock-held: sleep while taking or holding the ring's lock",
       {"sysv-shm", "posix-shm"},
       {{"us", "microseconds to sleep (default: seeded, 100..5000)"},
        {"where", "before or holding (default: holding)"},
        {"nth", "first lock hit to delay (default 1)"},
        {"count", "hits to delay, 0 for all (default 0)"}},
       "only slower: nothing lost, duplicated, reordered or corrupted"},
      {"kill-lock-holder", "libfiu point ipch/<mechanism>/lock-held stops a sender while it holds the lock; the runner "
                           "SIGKILLs it there",
       {"sysv-shm", "posix-shm"}, {{"nth", "the lock hit of sender-0 to die at (default: seeded)"}},
       "the ring recovers: posix-shm through EOWNERDEAD and pthread_mutex_consistent, sysv-shm through SEM_UNDO; the "
       "killed sender's message in flight is indeterminate, nothing else is lost; a non-robust lock deadlocks"},
      {"short-io", "libfiu points ipch/sys/write and ipch/sys/read: every read and write moves at most `bytes` bytes",
       {"pipe", "fifo", "unix-stream", "tcp"},
       {{"bytes", "most bytes per call (default: seeded, 1..64)"}},
       "short reads and writes are finished by the one wrapper that does I/O: every message arrives whole"},
      {"eintr", "SIGUSR1 from the runner at every k-th event of each worker, caught by a handler installed without "
                "SA_RESTART, so blocking calls fail with EINTR",
       kAll, {{"every", "signal each worker at every k-th of its events (default: seeded, 1..8)"}},
       "EINTR is retried where it happens: nothing is lost or duplicated, no call fails"},
      {"errno", "libfiu point ipch/<mechanism>/send or /receive: the n-th call fails with the chosen errno",
       kAll,
       {{"call", "send or receive (default send)"},
        {"errno", "the errno, by name: ENOMEM, ENOSPC, EAGAIN, EMSGSIZE... (default ENOSPC)"},
        {"nth", "which call (default: seeded)"}},
       "the failure is reported with that errno as data, never a crash or a hang; no message is counted as sent "
       "that was not"},
      {"leaked-fd", "a bystander process keeps every end of the channel open (an fd leaked across fork)",
       {"pipe", "fifo"}, {},
       "alone, nothing changes; with kill-receiver the sender never gets EPIPE and blocks in write() for ever: the "
       "source text's \"writer blocks indefinitely\", diagnosed as a deadlock naming the bystander"},
  };
  return c;
}

const Entry* find(const std::string& name) {
  for (const auto& e : catalogue())
    if (e.name == name) return &e;
  return nullptr;
}

std::string names() {
  std::string out;
  for (const auto& e : catalogue()) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

std::string why_not(const Entry& f, const std::string& mechanism) {
  if (std::find(f.mechanisms.begin(), f.mechanisms.end(), mechanism) != f.mechanisms.end()) return "";
  std::string where;
  for (const auto& m : f.mechanisms) where += (where.empty() ? "" : ", ") + m;
  return "fault " + f.name + " does not apply to " + mechanism + " (" + f.how + "); it applies to: " + where;
}

nlohmann::json to_json(const Entry& e) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : e.params) params[p.name] = p.meaning;
  return {{"name", e.name}, {"how", e.how}, {"mechanisms", e.mechanisms}, {"params", params}, {"expected", e.expected}};
}

}  // namespace ipch::faults
