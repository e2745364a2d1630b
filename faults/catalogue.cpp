#include "catalogue.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "points.hpp"
#include "preload.hpp"
#include "registry.hpp"

namespace ipch::faults {

namespace {

std::string u(std::uint64_t v) { return std::to_string(v); }
// Sets `key` unless the user gave it. The value is computed either way, so a seeded draw happens
// whether or not it is used: the draws after it stay the same when a user fixes one parameter.
void fill(Fault& f, const char* key, std::string value) {
  if (!f.params.count(key)) f.params[key] = std::move(value);
}
std::uint64_t half(std::uint64_t n) { return std::max<std::uint64_t>(1, n / 2); }

bool every(const Mechanism&) { return true; }
const Param kAt{"at", "after the target's k-th message (default: seeded, in the first half of its messages)"};

void on_usr1(int) {}

std::vector<Entry> make() {
  std::vector<Entry> c;
  // ---- Faults of our workers running a mechanism.
  {
    Entry e{.name = "kill-receiver",
            .how = "SIGKILL from the runner after the receiver's k-th message",
            .applies_to = "every mechanism",
            .params = {kAt, {"restart", "true: start a new receiver on the same object (default: true where the object "
                                        "outlives its processes and keeps whole messages: sysv-msg, posix-mq, "
                                        "sysv-shm, posix-shm)"}},
            .expected = "the sender does not hang: a pipe, fifo or stream socket sender gets EPIPE (or ECONNRESET), a "
                        "datagram sender ECONNREFUSED, a ring sender EPIPE; where a new receiver starts, every later "
                        "message reaches it. Messages held by the killed receiver are lost with it; nothing is "
                        "duplicated or reordered"};
    e.applies = every;
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "at", u(x.between(1, half(x.per_receiver))));
      // A new reader of a FIFO would start inside a frame the killed one half read: no takeover.
      fill(f, "restart", x.mechanism.traits.receiver_takes_over ? "true" : "false");
      return std::string();
    };
    e.drive = Drive::kill_at_message;
    e.target = "receiver";
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "kill-sender",
            .how = "SIGKILL from the runner after the sender's k-th message",
            .applies_to = "every mechanism",
            .params = {kAt},
            .expected = "every message the sender completed before its death arrives once, in order; the one in "
                        "flight is indeterminate; receivers end (end of stream or the runner's drain) instead of "
                        "hanging"};
    e.applies = every;
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "at", u(x.between(1, half(x.per_sender))));
      return std::string();
    };
    e.drive = Drive::kill_at_message;
    e.target = "sender";
    e.kills_sender = true;
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "stop",
            .how = "SIGSTOP from the runner after the target's k-th message, SIGCONT after `for` messages of the "
                   "others or once the others cannot move",
            .applies_to = "every mechanism",
            .params = {kAt,
                       {"target", "receiver or sender (default: receiver)"},
                       {"for", "messages the others make while it is stopped (default: seeded, 1..50)"}},
            .expected = "nothing is lost, duplicated or reordered; senders block (or get EAGAIN) while a receiver is "
                        "stopped and go on once it continues"};
    e.applies = every;
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "target", "receiver");
      fill(f, "at", u(x.between(1, std::max<std::uint64_t>(1, x.per_receiver / 4))));
      fill(f, "for", u(x.between(1, 50)));
      return std::string();
    };
    e.drive = Drive::stop_at_message;
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "full-buffer",
            .how = "the kernel buffer shrunk to its smallest (pipe 4096 B, sockets 4096 B, mq depth 1, msg_qbytes and "
                   "rings one message) and the receivers held back (SIGSTOP) until every sender is blocked",
            .applies_to = "every mechanism; a user's only if it lists the capacity setting",
            .params = {{"capacity", "the buffer size in the mechanism's unit (default: the smallest that holds one "
                                    "message)"}},
            .expected = "blocking senders block and non-blocking ones get EAGAIN, and nothing is lost once the "
                        "receivers continue; udp may lose messages (lossy), unix-dgram must not"};
    e.applies = every;
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "capacity", u(x.mechanism.traits.full_buffer_capacity(x.max_size)));
      return std::string();
    };
    e.drive = Drive::hold_receivers;
    e.sets_capacity = true;
    e.needs_setting = "capacity";
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "drop-datagram",
            .how = "libfiu point ipch/<mechanism>/drop: the send path drops the n-th datagram and reports success",
            .applies_to = "mechanisms with a drop point: datagram sockets",
            .params = {{"nth", "the datagram to drop (default: seeded)"}, {"count", "how many in a row (default 1)"}},
            .expected = "udp: the loss is allowed (lossy) and reported as a note; unix-dgram promises delivery, so the "
                        "harness reports the drop as a lost message (a violation)"};
    e.applies = [](const Mechanism& m) { return m.traits.points.drop; };
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "nth", u(x.between(1, half(x.per_sender))));
      fill(f, "count", "1");
      return std::string();
    };
    e.arm = [](const Fault& f, const ArmContext& w) {
      if (w.first_sender) w.arm(point(w.mechanism, "drop"), f.get_u64("nth", 1), f.get_u64("count", 1), 0);
    };
    // A mechanism that promises delivery reports the drop as a lost message: a violation by design.
    e.fails_by_contract = [](const Mechanism& m) { return m.contract.delivery == Delivery::reliable; };
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "delay-lock",
            .how = "libfiu point ipch/<mechanism>/lock or lock-held: sleep while taking or holding the ring's lock",
            .applies_to = "mechanisms with lock points: shared-memory rings",
            .params = {{"us", "microseconds to sleep (default: seeded, 100..5000)"},
                       {"where", "before or holding (default: holding)"},
                       {"nth", "first lock hit to delay (default 1)"},
                       {"count", "hits to delay, 0 for all (default 0)"}},
            .expected = "only slower: nothing lost, duplicated, reordered or corrupted"};
    e.applies = [](const Mechanism& m) { return m.traits.points.lock; };
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "us", u(x.between(100, 5000)));
      fill(f, "where", "holding");
      fill(f, "nth", "1");
      fill(f, "count", "0");
      return std::string();
    };
    e.arm = [](const Fault& f, const ArmContext& w) {
      w.arm(point(w.mechanism, f.get("where") == "before" ? "lock" : "lock-held"), f.get_u64("nth", 1),
            f.get_u64("count", 0), f.get_u64("us", 1000));
    };
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "kill-lock-holder",
            .how = "libfiu point ipch/<mechanism>/lock-held stops a sender while it holds the lock; the runner "
                   "SIGKILLs it there",
            .applies_to = "mechanisms with lock points: shared-memory rings",
            .params = {{"nth", "the lock hit of sender-0 to die at (default: seeded)"}},
            .expected = "the ring recovers: posix-shm through EOWNERDEAD and pthread_mutex_consistent, sysv-shm "
                        "through SEM_UNDO; the killed sender's message in flight is indeterminate, nothing else is "
                        "lost; a non-robust lock deadlocks"};
    e.applies = [](const Mechanism& m) { return m.traits.points.lock; };
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "nth", u(x.between(2, std::max<std::uint64_t>(2, std::min<std::uint64_t>(20, x.per_sender)))));
      return std::string();
    };
    e.arm = [](const Fault& f, const ArmContext& w) {
      if (w.first_sender) w.arm(point(w.mechanism, "lock-held"), f.get_u64("nth", 2), 1, kStopHere);
    };
    e.drive = Drive::kill_stopped_sender;
    e.target = "sender";
    e.kills_sender = true;
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "short-io",
            .how = "libfiu points ipch/sys/write and ipch/sys/read: every read and write moves at most `bytes` bytes",
            .applies_to = "mechanisms whose bytes pass the I/O wrappers as a stream: pipes, stream sockets",
            .params = {{"bytes", "most bytes per call (default: seeded, 1..64)"}},
            .expected = "short reads and writes are finished by the one wrapper that does I/O: every message arrives "
                        "whole"};
    e.applies = [](const Mechanism& m) { return m.traits.points.short_io; };
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "bytes", u(x.between(1, 64)));
      return std::string();
    };
    e.arm = [](const Fault& f, const ArmContext& w) {
      w.arm("ipch/sys/write", 1, 0, f.get_u64("bytes", 1));
      w.arm("ipch/sys/read", 1, 0, f.get_u64("bytes", 1));
    };
    e.splits_writes = true;
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "eintr",
            .how = "SIGUSR1 from the runner at every k-th event of each worker, caught by a handler installed without "
                   "SA_RESTART, so blocking calls fail with EINTR",
            .applies_to = "every mechanism",
            .params = {{"every", "signal each worker at every k-th of its events (default: seeded, 1..8)"}},
            .expected = "EINTR is retried where it happens: nothing is lost or duplicated, no call fails"};
    e.applies = every;
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "every", u(x.between(1, 8)));
      return std::string();
    };
    e.arm = [](const Fault&, const ArmContext&) {
      // Without SA_RESTART, so a signal in a blocking call is EINTR, which the wrappers retry.
      struct sigaction sa {};
      sa.sa_handler = on_usr1;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = 0;
      sigaction(SIGUSR1, &sa, nullptr);
    };
    e.drive = Drive::signal_every;
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "errno",
            .how = "libfiu point ipch/<mechanism>/send or /receive: the n-th call fails with the chosen errno",
            .applies_to = "mechanisms with send/receive fault points: all of ours, and a user's through the adapter",
            .params = {{"call", "send or receive (default send)"},
                       {"errno", "the errno, by name: ENOMEM, ENOSPC, EAGAIN, EMSGSIZE... (default ENOSPC)"},
                       {"nth", "which call (default: seeded)"}},
            .expected = "the failure is reported with that errno as data, never a crash or a hang; no message is "
                        "counted as sent that was not"};
    e.applies = [](const Mechanism& m) { return m.traits.points.calls; };
    e.draw = [](Fault& f, const DrawContext& x) {
      fill(f, "call", "send");
      fill(f, "errno", "ENOSPC");
      fill(f, "nth", u(x.between(1, half(x.per_sender))));
      if (f.get("call") != "send" && f.get("call") != "receive")
        return "fault errno: call=" + f.get("call") + " is not send or receive";
      if (!errno_by_name(f.get("errno")))
        return "fault errno: errno=" + f.get("errno") + " is not an errno name such as ENOSPC";
      return std::string();
    };
    e.arm = [](const Fault& f, const ArmContext& w) {
      bool send = f.get("call", "send") == "send";
      if ((send && w.first_sender) || (!send && w.first_receiver)) {
        w.arm(point(w.mechanism, send ? "send" : "receive"), f.get_u64("nth", 1), 1,
              static_cast<std::uintptr_t>(errno_by_name(f.get("errno", "ENOSPC"))));
      }
    };
    c.push_back(std::move(e));
  }
  {
    Entry e{.name = "leaked-fd",
            .how = "a bystander process keeps every end of the channel open (an fd leaked across fork)",
            .applies_to = "mechanisms whose ends another forked process can hold: pipes",
            .params = {},
            .expected = "alone, nothing changes; with kill-receiver the sender never gets EPIPE and blocks in write() "
                        "for ever: the source text's \"writer blocks indefinitely\", diagnosed as a deadlock naming "
                        "the bystander"};
    e.applies = [](const Mechanism& m) { return m.traits.inherited_ends; };
    e.drive = Drive::bystander;
    c.push_back(std::move(e));
  }

  // ---- Faults of users' programs (`ipc-harness check`). Each fires at the at-th message (given
  // to the sender, or written out by the receiver), never at a wall-clock time; the libfiu ones
  // are seeded (FIU_PRNG_SEED), so a replay hits the same points.
  auto program = [&](std::string name, Side side, Act act, std::string how, std::string expected) -> Entry& {
    Entry e{.name = std::move(name), .subject = Subject::program, .how = std::move(how),
            .applies_to = "programs (check)", .expected = std::move(expected)};
    e.side = side;
    e.act = act;
    c.push_back(std::move(e));
    return c.back();
  };
  program("none", Side::none, Act::none, "no fault", "every message arrives once, intact, in the declared order");
  program("kill-sender", Side::sender, Act::kill,
          "SIGKILL to the sender's process group once the at-th message has been given to it; a new sender continues "
          "with the messages not yet given (under no-restart: nothing is restarted)",
          "nothing duplicated; messages the killed sender acknowledged arrive; the rest it was given may be lost "
          "(indeterminate); under no-restart the receiver ends by itself or when told, never hangs");
  program("kill-receiver", Side::receiver, Act::kill,
          "SIGKILL to the receiver's process group once it has written out the at-th message; a new receiver takes "
          "over the channel and writes a new ready frame (under no-restart: nothing is restarted)",
          "at most window=N messages per kill lost, nothing duplicated; under no-restart the sender ends (an error "
          "is fine), never hangs");
  program("stop-sender", Side::sender, Act::stop,
          "SIGSTOP to the sender once the at-th message has been given to it, SIGCONT once it has exited or its stdin "
          "is full",
          "nothing lost, duplicated or reordered");
  program("stop-receiver", Side::receiver, Act::stop,
          "SIGSTOP to the receiver once it has written out the at-th message, SIGCONT once the sender has exited or "
          "stopped taking messages (the channel is full)",
          "nothing lost, duplicated or reordered: the sender waits or buffers");
  program("hold-receiver", Side::receiver, Act::hold,
          "the harness stops reading the receiver's stdout after the at-th message, and reads again once the sender "
          "has exited or stopped taking messages",
          "nothing lost, duplicated or reordered: back-pressure reaches the sender");
  program("fiu-eintr", Side::both, Act::preload,
          "libfiu's POSIX preload: read, write, send, recv, sendmsg and recvmsg fail with EINTR, seeded, with "
          "probability 0.05 per call, in both programs",
          "a correct program retries: nothing lost, duplicated or reordered")
      .environment = [](std::uint64_t seed) {
        std::vector<std::string> lines;
        for (const char* p : {"posix/io/rw/read", "posix/io/rw/write", "posix/io/net/send", "posix/io/net/recv",
                              "posix/io/net/sendmsg", "posix/io/net/recvmsg"})
          lines.push_back(std::string("enable_random name=") + p + ",probability=0.05,failinfo=" + std::to_string(EINTR));
        return fiu_preload_environment(lines, seed);
      };
  program("fiu-short-io", Side::both, Act::preload,
          "libfiu's POSIX preload: read, write, readv and writev move fewer bytes than asked, seeded, with "
          "probability 0.2 per call, in both programs",
          "a correct program finishes short reads and writes: nothing lost, torn or corrupted")
      .environment = [](std::uint64_t seed) {
        std::vector<std::string> lines;
        for (const char* p : {"posix/io/rw/read/reduce", "posix/io/rw/write/reduce", "posix/io/rw/readv/reduce",
                              "posix/io/rw/writev/reduce"})
          lines.push_back(std::string("enable_random name=") + p + ",probability=0.2");
        return fiu_preload_environment(lines, seed);
      };
  return c;
}

const std::vector<Entry>& all() {
  static const std::vector<Entry> c = make();
  return c;
}

std::size_t programs_from() {
  static const std::size_t at = static_cast<std::size_t>(
      std::find_if(all().begin(), all().end(), [](const Entry& e) { return e.subject == Subject::program; }) -
      all().begin());
  return at;
}

std::string joined(std::span<const Entry> es) {
  std::string out;
  for (const auto& e : es) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

}  // namespace

std::span<const Entry> mechanism_faults() { return std::span(all()).first(programs_from()); }
std::span<const Entry> program_faults() { return std::span(all()).subspan(programs_from()); }

const Entry* find(std::string_view name) {
  for (const auto& e : mechanism_faults())
    if (e.name == name) return &e;
  return nullptr;
}

const Entry* find_program(std::string_view name) {
  for (const auto& e : program_faults())
    if (e.name == name) return &e;
  return nullptr;
}

std::string names() { return joined(mechanism_faults()); }
std::string program_names() { return joined(program_faults()); }

std::vector<std::string> where(const Entry& f) {
  std::vector<std::string> out;
  if (f.subject != Subject::mechanism) return out;
  for (const Mechanism* m : registry::all())
    if (f.applies(*m)) out.push_back(m->name);
  return out;
}

std::string why_not(const Entry& f, const Mechanism& m) {
  if (f.subject == Subject::mechanism && f.applies(m)) return "";
  std::string at;
  for (const auto& n : where(f)) at += (at.empty() ? "" : ", ") + n;
  return "fault " + f.name + " does not apply to " + m.name + " (" + f.how + "); it applies to: " + at;
}

std::string why_not(const Entry& f, const std::string& mechanism) {
  if (const Mechanism* m = registry::find(mechanism)) return why_not(f, *m);
  return "fault " + f.name + " does not apply to " + mechanism + ": no such mechanism; use one of: " + registry::names();
}

int errno_by_name(const std::string& n) {
  for (int e = 1; e < 134; ++e) {
    const char* name = strerrorname_np(e);
    if (name && n == name) return e;
  }
  return 0;
}

nlohmann::json to_json(const Entry& e) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : e.params) params[p.name] = p.meaning;
  return {{"name", e.name}, {"how", e.how},           {"mechanisms", where(e)},
          {"applies_to", e.applies_to}, {"params", params}, {"expected", e.expected}};
}

}  // namespace ipch::faults
