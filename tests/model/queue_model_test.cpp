// A model-based test of the queue-like mechanisms: a rapidcheck state machine drives the real
// mechanism layer (Mechanism::create -> Link -> Channel) with real processes and compares every
// result with a model that is a FIFO queue of message ids plus the receivers' states.
//
//   Send(id, size)          the parent sends; the model appends, or, when the model says the queue
//                           is full, the non-blocking send must be refused with EAGAIN
//   Receive(r)              receiver process r (a forked child commanded over a pipe) takes one
//                           message; it must be the model's front, every byte intact
//   KillAndRestart(r)       SIGKILL receiver r and fork a new one on the same object: the queue
//                           outlives its processes, so the model keeps it
//   StopContinue(r)         SIGSTOP then SIGCONT receiver r: the model is unchanged
//
// The settings are non-blocking and small, so that the model knows the capacity exactly and a
// receive from an empty queue answers at once. A failure prints the shrunk command sequence, one
// command a line ("send #3 (120 B)"), and what the real queue did against what the model expected.
//
// The last test gives the same machine a deliberately wrong model (LIFO) and requires rapidcheck
// to refute it: a model check that cannot fail proves nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "child.hpp"
#include "leaks.hpp"
#include "payload.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;

// CI runs a bounded slice (the label stays well under its budget on 2 cores); set before
// rapidcheck reads its configuration on the first property. RC_PARAMS set by the caller wins.
const bool kBoundedByDefault = (setenv("RC_PARAMS", "max_success=40,max_size=60", 0), true);

// Hang guards, not timing assertions: every call below answers at once when the mechanism works.
constexpr auto kGuard = 10s;

struct Msg {
  std::uint64_t id = 0;
  std::size_t size = 0;
};

std::string str(const Msg& m) { return "#" + std::to_string(m.id) + " (" + std::to_string(m.size) + " B)"; }

std::string str(const std::deque<Msg>& q) {
  std::string s = "[";
  for (const auto& m : q) s += (s.size() > 1 ? ", " : "") + str(m);
  return s + "]";
}

// What the model knows about one mechanism: the settings that make its capacity exact, and that
// capacity as a predicate on the model's queue.
struct Spec {
  std::string mechanism;
  Settings settings;
  std::size_t max_size = 0;  // the largest message generated: the mechanism's limit under `settings`
  std::string capacity;      // in words, for the counterexample
  std::function<bool(const std::deque<Msg>&, std::size_t)> fits;
};

std::size_t bytes_of(const std::deque<Msg>& q, std::size_t per_message = 0) {
  std::size_t n = 0;
  for (const auto& m : q) n += m.size + per_message;
  return n;
}

Settings non_blocking(std::optional<std::size_t> capacity, std::optional<std::size_t> message_size = std::nullopt) {
  Settings s;
  s.capacity = capacity;
  s.message_size = message_size;
  s.blocking = false;
  return s;
}

// A unix datagram receiver refuses a datagram when its queue is longer than max_dgram_qlen
// (unix_recvq_full: len > backlog), so it holds qlen + 1; the messages here are far too small for
// the sender's SO_SNDBUF to bind first.
std::size_t unix_dgram_capacity() {
  std::ifstream in("/proc/sys/net/unix/max_dgram_qlen");
  std::size_t qlen = 10;
  in >> qlen;
  return qlen + 1;
}

const Spec& spec_for(const std::string& mechanism) {
  static const std::vector<Spec> specs = [] {
    std::vector<Spec> v;
    // mq_maxmsg = 4 messages of at most mq_msgsize = 512 B.
    v.push_back({"posix-mq", non_blocking(4, 512), 512, "4 messages (mq_maxmsg)",
                 [](const std::deque<Msg>& q, std::size_t) { return q.size() < 4; }});
    // msgsnd's test (msg_fits_inqueue): bytes + size <= msg_qbytes and count + 1 <= msg_qbytes.
    // A message may be as large as msg_qbytes itself, so one message can fill the queue.
    v.push_back({"sysv-msg", non_blocking(1024), 1024, "1024 B (msg_qbytes)",
                 [](const std::deque<Msg>& q, std::size_t size) {
                   return bytes_of(q) + size <= 1024 && q.size() + 1 <= 1024;
                 }});
    // A ring of 512 B; each message takes a 4-byte length frame too, so the largest is 508 B.
    for (const char* ring : {"sysv-shm", "posix-shm"}) {
      v.push_back({ring, non_blocking(512), 508, "a 512 B ring, 4 B of frame per message",
                   [](const std::deque<Msg>& q, std::size_t size) { return bytes_of(q, 4) + 4 + size <= 512; }});
    }
    std::size_t dgrams = unix_dgram_capacity();
    v.push_back({"unix-dgram", non_blocking(std::nullopt), 512,
                 std::to_string(dgrams) + " datagrams (/proc/sys/net/unix/max_dgram_qlen + 1)",
                 [dgrams](const std::deque<Msg>& q, std::size_t) { return q.size() < dgrams; }});
    return v;
  }();
  for (const auto& s : specs) {
    if (s.mechanism == mechanism) return s;
  }
  throw std::logic_error("no model spec for " + mechanism);
}

// "Nothing there" as a non-blocking receive reports it: IPC_NOWAIT says ENOMSG, the rest EAGAIN.
bool is_empty_answer(std::error_code ec) {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::no_message;
}

// The deliberately wrong model takes the newest message instead of the oldest.
enum class Order { fifo, lifo };

struct Model {
  const Spec* spec = nullptr;
  Order order = Order::fifo;
  std::deque<Msg> queue;
  std::vector<unsigned> restarts;  // per receiver: how many times it was killed and replaced
  std::uint64_t next_id = 0;

  const Msg& next_out() const { return order == Order::fifo ? queue.front() : queue.back(); }
  void take() { order == Order::fifo ? queue.pop_front() : queue.pop_back(); }
};

// --- the real side

// What a receiver process got: a message, or the error its channel returned.
struct Got {
  std::error_code error;
  std::vector<std::byte> bytes;
};

// The reply a receiver process writes on its reply pipe (never the channel under test).
struct Reply {
  std::int32_t category = 0;  // 0 ok, 1 errno, 2 channel_errc, 3 another category
  std::int32_t value = 0;
  std::uint64_t size = 0;
};

Reply reply_for(std::error_code ec, std::size_t size) {
  if (!ec) return {0, 0, size};
  if (ec.category() == channel_category()) return {2, ec.value(), 0};
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) return {1, ec.value(), 0};
  return {3, ec.value(), 0};
}

std::error_code error_of(const Reply& r) {
  switch (r.category) {
    case 0: return {};
    case 1: return {r.value, std::generic_category()};
    case 2: return make_error_code(static_cast<channel_errc>(r.value));
    default: return {r.value, std::system_category()};
  }
}

template <class T>
std::span<const std::byte> bytes_of_struct(const T& t) {
  return std::as_bytes(std::span(&t, 1));
}

// One receiver: a forked child that opens the receiver end and, on each 'R' from the parent,
// receives one message and writes back what it got. It reports each message as soon as it has
// it, so a SIGKILL between commands never takes a message with it.
class Receiver {
 public:
  explicit Receiver(Link& link) {
    auto cmd = sys::pipe(O_CLOEXEC);
    auto rep = sys::pipe(O_CLOEXEC);
    if (!cmd || !rep) throw std::runtime_error("receiver: pipe failed");
    cmd_r_ = std::move(cmd->first);
    cmd_w_ = std::move(cmd->second);
    rep_r_ = std::move(rep->first);
    rep_w_ = std::move(rep->second);
    child_.emplace(test::Child::spawn([&link, this] { return serve(link); }));
    // The child's ends are the child's: closing them here makes a dead child an EOF, not a hang.
    cmd_r_.reset();
    rep_w_.reset();
    Reply opened;
    if (auto r = sys::read_exact(rep_r_.get(), std::as_writable_bytes(std::span(&opened, 1)), Deadline::after(kGuard));
        !r) {
      throw std::runtime_error("receiver " + std::to_string(pid()) + " never said it opened: " + describe(r.error()));
    }
    if (opened.category != 0) {
      throw std::runtime_error("receiver open: " + describe(error_of(opened)));
    }
  }

  pid_t pid() const { return child_->pid(); }

  Got receive() {
    Got got;
    const std::byte r{'R'};
    if (auto w = sys::write_all(cmd_w_.get(), std::span(&r, 1), Deadline::after(kGuard)); !w) {
      throw std::runtime_error("receiver " + std::to_string(pid()) + " took no command: " + describe(w.error()));
    }
    Reply reply;
    if (auto h = sys::read_exact(rep_r_.get(), std::as_writable_bytes(std::span(&reply, 1)), Deadline::after(kGuard));
        !h) {
      throw std::runtime_error("receiver " + std::to_string(pid()) + " did not answer: " + describe(h.error()));
    }
    got.error = error_of(reply);
    got.bytes.resize(reply.size);
    if (auto b = sys::read_exact(rep_r_.get(), got.bytes, Deadline::after(kGuard)); !b && reply.size > 0) {
      throw std::runtime_error("receiver " + std::to_string(pid()) + " sent a short message: " + describe(b.error()));
    }
    return got;
  }

  // SIGKILL, reaped; returns how it ended.
  test::ExitStatus kill() {
    child_->kill(SIGKILL);
    return child_->wait(kGuard);
  }
  void signal(int sig) { child_->kill(sig); }

  // Asks the child to exit; returns how it ended (ok() iff it served every command and exited 0).
  test::ExitStatus quit() {
    const std::byte q{'Q'};
    (void)sys::write_all(cmd_w_.get(), std::span(&q, 1), Deadline::after(kGuard));
    return child_->wait(kGuard);
  }

 private:
  int serve(Link& link) {
    cmd_w_.reset();
    rep_r_.reset();
    auto rx = link.open(Role::receiver, Deadline::after(kGuard));
    link.release();  // this process's copies of the object that are not the opened end
    Reply opened = reply_for(rx ? std::error_code{} : rx.error(), 0);
    if (!sys::write_all(rep_w_.get(), bytes_of_struct(opened), Deadline::after(kGuard)) || !rx) return 1;
    std::vector<std::byte> buf;
    for (;;) {
      std::byte c{};
      // Blocks until the parent commands; the child dies with the parent (PR_SET_PDEATHSIG).
      if (!sys::read_exact(cmd_r_.get(), std::span(&c, 1), Deadline::never()) || c != std::byte{'R'}) return 0;
      auto r = (*rx)->receive(buf, Deadline::after(kGuard));
      Reply reply = reply_for(r ? std::error_code{} : r.error(), r ? r->size : 0);
      if (!sys::write_all(rep_w_.get(), bytes_of_struct(reply), Deadline::after(kGuard))) return 2;
      if (r && !sys::write_all(rep_w_.get(), std::span(buf).first(r->size), Deadline::after(kGuard))) return 2;
    }
  }

  sys::Fd cmd_r_, cmd_w_, rep_r_, rep_w_;
  std::optional<test::Child> child_;
};

// The process state letter in /proc/<pid>/stat ('T' when stopped), or 0 if it is gone.
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto p = s.rfind(')');
  return p == std::string::npos || p + 2 >= s.size() ? 0 : s[p + 2];
}

// Waits (hang guard) until the process is stopped (want_stopped) or running again.
bool await_state(pid_t pid, bool want_stopped) {
  auto d = Deadline::after(kGuard);
  while (!d.expired()) {
    char st = process_state(pid);
    if (st == 0) return false;
    if ((st == 'T') == want_stopped) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// The system under test: one Link made here, the parent's sender end, the receiver processes.
struct Sut {
  Sut(const Spec& spec, std::size_t receivers) {
    auto l = registry::find(spec.mechanism)->create(spec.settings);
    if (!l) throw std::runtime_error(l.error().message);
    link = std::move(*l);
    auto t = link->open(Role::sender, Deadline::after(kGuard));
    if (!t) throw std::runtime_error("sender open: " + describe(t.error()));
    tx = std::move(*t);
    // The parent keeps the Link's own references (no release()): a unix-dgram socket lives in
    // them, and the object must outlive every receiver process, as a queue does.
    for (std::size_t i = 0; i < receivers; ++i) rx.push_back(std::make_unique<Receiver>(*link));
  }

  // Quits every receiver, closes the sender, removes the object; "" iff every receiver served
  // every command and exited cleanly.
  std::string finish() {
    std::string problems;
    for (std::size_t i = 0; i < rx.size(); ++i) {
      auto st = rx[i]->quit();
      if (!st.ok()) problems += "receiver " + std::to_string(i) + " ended badly: " + st.describe() + "\n";
    }
    rx.clear();
    tx.reset();
    link->remove();
    link.reset();
    return problems;
  }

  ~Sut() {
    rx.clear();  // kills what is still running
    tx.reset();
    if (link) link->remove();
  }

  std::unique_ptr<Link> link;
  std::unique_ptr<Channel> tx;
  std::vector<std::unique_ptr<Receiver>> rx;
  std::size_t refused = 0;  // sends the real queue refused as full: evidence the capacity was reached
};

// Names a received message by the queued message it is exactly, else by what it carries.
std::string identify(std::span<const std::byte> bytes, const std::deque<Msg>& queue) {
  for (const auto& m : queue) {
    if (!test::check_payload(bytes, m.id, m.size)) return str(m);
  }
  std::string s = "a message of " + std::to_string(bytes.size()) + " B that is none of the queued ones";
  if (bytes.size() >= 8) s += " (it carries id " + std::to_string(test::payload_seq(bytes)) + ")";
  return s;
}

// --- the commands

using Command = rc::state::Command<Model, Sut>;

std::size_t gen_size(const Spec& spec) {
  // The edges (empty, just enough for an id, the mechanism's limit) as often as the range between.
  return *rc::gen::oneOf(rc::gen::element(std::size_t{0}, std::size_t{8}, std::size_t{spec.max_size}),
                         rc::gen::inRange<std::size_t>(0, spec.max_size + 1));
}

std::size_t gen_receiver(const Model& m) { return *rc::gen::inRange<std::size_t>(0, m.restarts.size()); }

struct Send : Command {
  Msg msg;
  explicit Send(const Model& m) : msg{m.next_id, gen_size(*m.spec)} {}

  void apply(Model& m) const override {
    m.next_id = std::max(m.next_id, msg.id + 1);
    if (m.spec->fits(m.queue, msg.size)) m.queue.push_back(msg);
  }

  void run(const Model& m, Sut& sut) const override {
    const bool fits = m.spec->fits(m.queue, msg.size);
    auto r = sut.tx->send(test::make_payload(msg.id, msg.size), Deadline::after(kGuard));
    if (fits && !r) {
      RC_FAIL("send " + str(msg) + " failed with " + describe(r.error()) + ", but the model has room: queue " +
              str(m.queue) + " of " + m.spec->capacity);
    }
    if (!fits && r) {
      RC_FAIL("send " + str(msg) + " was accepted, but the model's queue is full: " + str(m.queue) + " of " +
              m.spec->capacity);
    }
    if (!fits && r.error() != std::errc::resource_unavailable_try_again) {
      RC_FAIL("send " + str(msg) + " into a full queue failed with " + describe(r.error()) + ", expected EAGAIN");
    }
    if (!fits) ++sut.refused;
  }

  void show(std::ostream& os) const override { os << "send " << str(msg); }
};

struct Receive : Command {
  std::size_t receiver;
  explicit Receive(const Model& m) : receiver(gen_receiver(m)) {}

  void apply(Model& m) const override {
    if (!m.queue.empty()) m.take();
  }

  void run(const Model& m, Sut& sut) const override {
    Got got = sut.rx[receiver]->receive();
    const std::string who = "receiver " + std::to_string(receiver);
    if (m.queue.empty()) {
      if (!got.error) RC_FAIL(who + " got " + identify(got.bytes, m.queue) + ", but the model's queue is empty");
      if (!is_empty_answer(got.error)) {
        RC_FAIL(who + " got " + describe(got.error) + " from an empty queue, expected EAGAIN (ENOMSG for SysV)");
      }
      return;
    }
    const Msg& want = m.next_out();
    if (got.error) {
      RC_FAIL(who + " got " + describe(got.error) + ", but the model expected " + str(want) + "; model queue " +
              str(m.queue));
    }
    if (auto bad = test::check_payload(got.bytes, want.id, want.size)) {
      RC_FAIL(who + " got " + identify(got.bytes, m.queue) + ", but the model expected " + str(want) + " (" + *bad +
              "); model queue " + str(m.queue));
    }
  }

  void show(std::ostream& os) const override { os << "receiver " << receiver << " receives one"; }
};

struct KillAndRestart : Command {
  std::size_t receiver;
  explicit KillAndRestart(const Model& m) : receiver(gen_receiver(m)) {}

  // The queue is the kernel object's, not the process's: it stays as it was. The killed process
  // held no message (a receiver reports each one as soon as it has it).
  void apply(Model& m) const override { ++m.restarts[receiver]; }

  void run(const Model&, Sut& sut) const override {
    auto st = sut.rx[receiver]->kill();
    if (st.signal != SIGKILL) {
      RC_FAIL("receiver " + std::to_string(receiver) + " did not die of SIGKILL: " + st.describe());
    }
    // Reaped before the replacement opens: sysv-shm counts receivers in SEM_UNDO semaphores,
    // which the kernel adjusts when the process exits.
    sut.rx[receiver].reset();
    sut.rx[receiver] = std::make_unique<Receiver>(*sut.link);
  }

  void show(std::ostream& os) const override {
    os << "kill -9 receiver " << receiver << ", then start a new receiver " << receiver << " on the same object";
  }
};

struct StopContinue : Command {
  std::size_t receiver;
  explicit StopContinue(const Model& m) : receiver(gen_receiver(m)) {}

  void run(const Model&, Sut& sut) const override {
    auto& r = *sut.rx[receiver];
    r.signal(SIGSTOP);
    if (!await_state(r.pid(), true)) RC_FAIL("receiver " + std::to_string(receiver) + " never showed as stopped");
    r.signal(SIGCONT);
    if (!await_state(r.pid(), false)) {
      RC_FAIL("receiver " + std::to_string(receiver) + " never ran again after SIGCONT");
    }
  }

  void show(std::ostream& os) const override {
    os << "stop receiver " << receiver << " (SIGSTOP), then continue it (SIGCONT)";
  }
};

// One case: a fresh object, 1 or 2 receivers, a generated command sequence; then nothing left.
void model_holds(const std::string& mechanism, Order order) {
  const Spec& spec = spec_for(mechanism);
  const auto receivers = *rc::gen::inRange<std::size_t>(1, 3).as("receiver processes");
  Model m0;
  m0.spec = &spec;
  m0.order = order;
  m0.restarts.assign(receivers, 0);
  RC_LOG() << mechanism << ", non-blocking, capacity " << spec.capacity << ", messages 0.." << spec.max_size
           << " B, " << receivers << " receiver process(es), the parent sends; model: "
           << (order == Order::fifo ? "FIFO" : "LIFO (deliberately wrong)") << "\n";
  std::string problems;
  {
    Sut sut(spec, receivers);
    // Sends more likely than receives, and both more than kills and stops, so that the queue fills
    // up to its capacity. rc::state::check, spelled out so the counterexample's heading reads well.
    const auto commands =
        *rc::state::gen::commands(m0, rc::state::gen::execOneOfWithArgs<Send, Send, Send, Receive, Receive,
                                                                        KillAndRestart, StopContinue>())
             .as("commands, in order");
    rc::state::runAll(commands, m0, sut);
    RC_CLASSIFY(sut.refused > 0, "met a full queue");
    problems = sut.finish();
  }
  if (!problems.empty()) RC_FAIL(problems);
  auto left = test::leftovers();
  if (!left.empty()) RC_FAIL("left behind: " + ::testing::PrintToString(left));
}

RC_GTEST_PROP(QueueModel, PosixMq, ()) { model_holds("posix-mq", Order::fifo); }
RC_GTEST_PROP(QueueModel, SysvMsg, ()) { model_holds("sysv-msg", Order::fifo); }
RC_GTEST_PROP(QueueModel, SysvShm, ()) { model_holds("sysv-shm", Order::fifo); }
RC_GTEST_PROP(QueueModel, PosixShm, ()) { model_holds("posix-shm", Order::fifo); }
RC_GTEST_PROP(QueueModel, UnixDgram, ()) { model_holds("unix-dgram", Order::fifo); }

struct Quiet : rc::detail::TestListener {
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

// The same machine with a LIFO model must be refuted, whatever RC_PARAMS says (its seed still
// applies, so a surprising run replays), and shrunk to the story that shows why: two sends of
// distinguishable messages, then one receive.
TEST(QueueModel, AWrongModelIsRefutedAndShrunk) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = 100;
  params.maxSize = 30;
  params.disableShrinking = false;
  rc::detail::TestMetadata meta;
  meta.id = "QueueModel/AWrongModelIsRefutedAndShrunk";
  meta.description = "a LIFO model of posix-mq";
  // A listener of our own: rapidcheck's default one would end the binary with "Some of your
  // RapidCheck properties had failures", about the failure this test requires.
  Quiet quiet;
  auto result = rc::detail::checkTestable([] { model_holds("posix-mq", Order::lifo); }, meta, params, quiet);
  ASSERT_TRUE(result.is<rc::detail::FailureResult>()) << "rapidcheck did not refute a LIFO model of a FIFO queue";
  const auto& failure = result.get<rc::detail::FailureResult>();
  std::ostringstream story;
  rc::detail::printResultMessage(failure, story);
  std::cout << "the refuted LIFO model, as a user would read it:\n" << story.str() << "\n";
  EXPECT_NE(failure.description.find("but the model expected"), std::string::npos) << failure.description;
  // The shrunk counterexample: the command sequence is one value, one command per line.
  std::string commands;
  for (const auto& [type, value] : failure.counterExample) {
    if (value.find("send #") != std::string::npos) commands = value;
  }
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto p = commands.find(what); p != std::string::npos; p = commands.find(what, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("send #"), 2u) << commands;
  EXPECT_EQ(count("receives one"), 1u) << commands;
  EXPECT_EQ(count("kill -9"), 0u) << commands;
  EXPECT_EQ(count("SIGSTOP"), 0u) << commands;
  auto left = test::leftovers();
  EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
}

}  // namespace
}  // namespace ipch
