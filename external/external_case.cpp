#include "external_case.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "acks.hpp"
#include "engine.hpp"
#include "envelope.hpp"
#include "catalogue.hpp"
#include "frames.hpp"
#include "leaks.hpp"
#include "naming.hpp"
#include "program.hpp"
#include "run_history.hpp"
#include "seed.hpp"
#include "violation.hpp"

namespace ipch::external {

using faults::Act;
using faults::Side;

nlohmann::json to_json(const CaseSpec& c) {
  return {{"sender", c.sender},     {"receiver", c.receiver},         {"contract", to_string(c.contract)},
          {"seed", c.seed},         {"messages", c.messages},         {"max_size", c.max_size},
          {"fault", c.fault},       {"at", fault_point(c)},           {"stall_ms", c.stall_ms}};
}

std::expected<CaseSpec, std::string> case_from_json(const nlohmann::json& j) {
  CaseSpec c;
  auto words = [&](const char* key, std::vector<std::string>& out) -> std::string {
    if (!j.contains(key) || !j[key].is_array() || j[key].empty())
      return std::string("field '") + key + "' must be a non-empty array of the program's command words";
    for (const auto& w : j[key]) {
      if (!w.is_string()) return std::string("field '") + key + "' must hold strings only";
      out.push_back(w.get<std::string>());
    }
    return "";
  };
  auto number = [&](const char* key, auto& out) -> std::string {
    if (!j.contains(key) || !j[key].is_number_unsigned())
      return std::string("field '") + key + "' must be a non-negative integer";
    out = j[key].get<std::remove_reference_t<decltype(out)>>();
    return "";
  };
  for (std::string e : {words("sender", c.sender), words("receiver", c.receiver), number("seed", c.seed),
                        number("messages", c.messages), number("max_size", c.max_size), number("at", c.at),
                        number("stall_ms", c.stall_ms)})
    if (!e.empty()) return std::unexpected(e);
  if (!j.contains("contract") || !j["contract"].is_string())
    return std::unexpected("field 'contract' must be a string such as \"reliable,fifo,boundaries\"");
  auto contract = parse_contract(j["contract"].get<std::string>());
  if (!contract) return std::unexpected("field 'contract': " + contract.error());
  c.contract = *contract;
  if (!j.contains("fault") || !j["fault"].is_string() || !faults::find_program(j["fault"].get<std::string>()))
    return std::unexpected("field 'fault' must be one of: " + faults::program_names());
  c.fault = j["fault"].get<std::string>();
  if (c.messages == 0) return std::unexpected("field 'messages' must be at least 1");
  if (c.max_size < kEnvelopeSize)
    return std::unexpected("field 'max_size' must be at least " + std::to_string(kEnvelopeSize));
  if (c.at > c.messages) return std::unexpected("field 'at' must be at most 'messages'");
  return c;
}

std::uint64_t fault_point(const CaseSpec& c) {
  if (c.at) return c.at;
  return 1 + derive_seed(c.seed, "fault-point") % c.messages;
}

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::uint64_t now_ms() { return monotonic_ns() / 1'000'000; }

class Case {
 public:
  Case(const CaseSpec& c, std::string dir, const CaseSchedule& sched)
      : c_(c), dir_(std::move(dir)), fault_(faults::find_program(c.fault)) {
    if (sched.controlled()) engine_.schedule(std::make_unique<schedule::Supervisor>(sched.strategy, sched.follow));
    scenario_.seed = c.seed;
    at_ = fault_point(c);
    out_.contract = c.contract.contract;
    out_.contract.killed_receiver_window = c.contract.window;
    if (fault_ && fault_->act != Act::none) out_.history.faults.push_back(std::string(fault_->name));
  }

  CaseResult run();

 private:
  // --- programs: the engine runs them; these react to what they do
  void start(bool sender);
  void give();                  // writes frames into the sender's stdin
  void read_sender(std::span<const std::byte> bytes);  // the sender's stdout: acknowledgements, or its own output
  void acknowledge();           // the next message given to the sender is in the channel
  void keep_output(std::span<const std::byte> bytes);
  void sender_ended(int status, engine::Exit why);
  void bury_sender(int status);  // a sender killed by the fault: its last acknowledgements, its end
  void read_receiver(std::span<const std::byte> bytes);  // the receiver's stdout: its frames
  void take_frames();
  void take(std::span<const std::byte> msg);
  void flush_stream(bool at_end);
  void sender_exited(int status);
  void receiver_ended(int status, engine::Exit why);
  void receiver_exited(int status);
  void bury_receiver(int status);
  // Ends the program if it still runs; its exit is recorded on purpose either way.
  void kill(std::optional<engine::Id>& p, std::uint32_t worker);
  std::string who(engine::Id p) const;
  std::string with_stderr(engine::Id p) const;
  // --- faults
  void fire_on_given(std::uint64_t given);
  void fire_on_received();
  void release();
  bool releasable() const;
  // --- bookkeeping
  // The one place where an event of this case reaches its history.
  void record(const Event& e);
  void event(EventKind k, std::uint32_t worker, std::uint64_t seq = 0, std::int32_t err = 0, std::uint64_t size = 0,
             Damage d = Damage::none, std::uint32_t sender = 0, bool stopped = false);
  void fault_event(FaultAction a, std::uint32_t target);
  void protocol(const std::string& detail);
  void progress() { engine_.progress(); }
  bool all_arrived() const { return intact_.size() == c_.messages; }
  // Message `seq`'s envelope size, drawn from the seed: nothing is made before it is given, so a
  // case of a million messages starts at once (and a signal is seen at once).
  std::size_t size_of(std::uint64_t seq) const { return scenario_.message_size(0, seq, c_.max_size); }
  bool eof() const { return c_.contract.eof; }
  bool restart() const { return c_.contract.restart; }
  // Messages whose whole frame is in the current sender's stdin: the last one given may be partly in.
  std::size_t fully_given() const {
    return given_to_.size() - (!given_to_.empty() && next_ < c_.messages && given_to_.back() == next_);
  }
  std::uint32_t add_worker(WorkerRole role, std::uint32_t rank, pid_t pid);
  void stall();
  void finish_case();

  // First: it catches SIGINT and SIGTERM from the case's start, and outlives every program.
  engine::Engine engine_;
  const CaseSpec& c_;
  std::string dir_;
  const faults::Entry* fault_;
  Scenario scenario_;
  std::uint64_t at_ = 0;
  RunOutcome out_;
  RunHistory history_{out_.history, out_.contract, nullptr};  // the runner's path: events in time order
  Violations protocol_{20};
  bool protocol_broken_ = false;
  std::vector<std::byte> buf_;
  std::vector<std::byte> frame_;  // length + envelope of message frame_seq_, the one being given
  std::uint64_t frame_seq_ = ~std::uint64_t{0};
  std::string endpoint_, folder_;
  std::vector<std::string> stderr_files_;

  std::optional<engine::Id> sender_, receiver_;
  std::uint32_t sender_worker_ = 0, receiver_worker_ = 0, senders_started_ = 0, receivers_started_ = 0;
  std::vector<std::uint64_t> given_to_;  // seqs given to the current sender
  std::size_t next_ = 0, off_ = 0;       // next message to give, and bytes of its frame given
  bool sender_blocked_ = false;          // the last write to the sender's stdin met a full pipe
  bool sender_done_ = false;             // no sender will run again (finished, or killed under eof)
  bool sender_clean_ = false;            // the last sender exited 0 after reading stdin to EOF
  AckReader acks_;                       // the current sender's stdout
  std::uint64_t acked_ = 0;              // its acknowledgements taken (send_ok) so far
  std::vector<std::byte> undecided_;     // its first bytes, until they say whether it acknowledges
  AckReader::Level sender_level_ = AckReader::Level::unknown;  // the highest any sender spoke

  std::optional<FrameReader> reader_;
  bool ready_ = false;
  bool receiver_killed_ = false;
  bool dying_ = false;                   // killed by the fault; its pipe not yet read to the end
  bool receiver_done_ = false;
  std::vector<std::byte> stream_;        // `bytes`: the receiver's frames joined
  std::uint64_t received_ = 0;           // messages written out, over every receiver
  std::set<std::uint64_t> intact_;
  // A receiver that ended by itself (not killed, not told): how, judged with the sender's end.
  std::optional<int> receiver_status_;
  std::string receiver_who_;
  std::uint64_t receiver_wrote_ = 0;     // messages written out when it ended
  bool ended_before_sender_ = false;     // no sender had finished when it ended
  bool terminating_ = false;

  bool fired_ = false, active_ = false, held_ = false;
  std::uint64_t last_receipt_ = 0;
  bool burying_sender_ = false;          // the fault is killing it: its end is a burial
  bool done_ = false;
};

std::uint32_t Case::add_worker(WorkerRole role, std::uint32_t rank, pid_t pid) {
  auto index = static_cast<std::uint32_t>(out_.history.workers.size());
  out_.history.workers.push_back({index, role, rank, pid});
  return index;
}

void Case::event(EventKind k, std::uint32_t worker, std::uint64_t seq, std::int32_t err, std::uint64_t size, Damage d,
                 std::uint32_t sender, bool stopped) {
  Event e;
  e.t_ns = monotonic_ns();
  e.worker = worker;
  e.kind = k;
  e.damage = d;
  e.stopped = stopped ? 1 : 0;
  e.err = err;
  e.sender = sender;
  e.seq = seq;
  e.size = size;
  record(e);
}

void Case::record(const Event& e) { history_.add(e); }

std::string Case::who(engine::Id p) const {
  const engine::Spec& spec = engine_.spec(p);
  return program_who(spec.exec->argv.at(0), spec.name, engine_.pid(p));
}

std::string Case::with_stderr(engine::Id p) const {
  std::string tail = stderr_tail(engine_.spec(p).exec->stderr_path);
  return tail.empty() ? "" : "; its stderr ends: " + tail;
}

void Case::fault_event(FaultAction a, std::uint32_t target) {
  Event e;
  e.t_ns = monotonic_ns();
  e.worker = target;
  e.kind = EventKind::fault;
  e.err = static_cast<std::int32_t>(a);
  e.sender = target;
  e.seq = 0;
  record(e);
}

void Case::protocol(const std::string& detail) {
  protocol_.add(kinds::protocol, detail);
  protocol_broken_ = true;
}

void Case::start(bool sender) {
  engine::Spec spec;
  std::uint32_t rank = sender ? senders_started_++ : receivers_started_++;
  spec.name = std::string(sender ? "sender-" : "receiver-") + std::to_string(rank);
  engine::Exec x;
  x.argv = sender ? c_.sender : c_.receiver;
  x.env = {"IPCH_ENDPOINT=" + endpoint_, "IPCH_DIR=" + folder_};
  if (fault_ && fault_->environment)  // libfiu's preload, for a fault that needs it
    for (auto& kv : fault_->environment(derive_seed(c_.seed, spec.name))) x.env.push_back(kv);
  x.stderr_path = dir_ + "/" + spec.name + ".stderr";
  x.feed_stdin = sender;
  stderr_files_.push_back(x.stderr_path);
  spec.exec = x;
  spec.own_group = true;     // a program and the children it starts are killed together
  spec.output = true;        // a receiver's frames; a sender's acknowledgements (or its own output)
  spec.pipe_bytes = 4096;    // small, so back-pressure shows at once
  if (sender) {
    spec.on_output = [this](std::span<const std::byte> b) { read_sender(b); };
    spec.wants_input = [this] { return next_ < c_.messages; };
    spec.on_writable = [this] { give(); };
    spec.on_exit = [this](int st, engine::Exit why) { sender_ended(st, why); };
  } else {
    spec.on_output = [this](std::span<const std::byte> b) { read_receiver(b); };
    spec.on_exit = [this](int st, engine::Exit why) { receiver_ended(st, why); };
  }
  auto p = engine_.spawn(std::move(spec));
  if (!p) {
    throw BadInput(std::string(sender ? "--sender" : "--receiver") + " '" + x.argv[0] +
                   "' cannot be started: " + p.error().message() +
                   (p.error() == std::errc::no_such_file_or_directory
                        ? "; give a path to the program, or put it on PATH"
                        : "; check that it is an executable file"));
  }
  std::uint32_t w = add_worker(sender ? WorkerRole::sender : WorkerRole::receiver, rank, engine_.pid(*p));
  event(EventKind::started, w);
  if (fault_ && fault_->side == Side::both) fault_event(FaultAction::armed, w);
  if (sender) {
    sender_ = *p;
    sender_worker_ = w;
    given_to_.clear();
    off_ = 0;  // a message cut off in the killed sender's stdin is given again whole
    sender_blocked_ = false;
    acks_ = AckReader();
    acked_ = 0;
    undecided_.clear();
  } else {
    receiver_ = *p;
    receiver_worker_ = w;
    reader_.emplace(c_.contract.contract.boundaries ? c_.max_size : std::max<std::size_t>(c_.max_size, kReadChunk));
    ready_ = false;
    stream_.clear();
  }
  progress();
}

void Case::give() {
  while (sender_ && engine_.input_fd(*sender_) >= 0 && next_ < c_.messages) {
    const std::uint64_t seq = next_;
    if (frame_seq_ != seq) {
      make_envelope(scenario_.payload_seed(), 0, seq, size_of(seq), buf_);
      frame_.clear();
      append_frame(frame_, buf_);
      frame_seq_ = seq;
    }
    if (given_to_.empty() || given_to_.back() != seq) {
      // Once per sender, whatever the writes it takes (a full pipe says EAGAIN before a byte goes);
      // given again after a kill-sender restart: a second invocation of the same message.
      event(EventKind::send_invoked, sender_worker_, seq, 0, frame_.size() - kFrameHeader);
      given_to_.push_back(seq);
    }
    auto n = sys::write(engine_.input_fd(*sender_), std::span(frame_).subspan(off_));
    if (!n) {
      if (n.error() == std::errc::resource_unavailable_try_again) {
        sender_blocked_ = true;
        return;
      }
      // EPIPE: the sender closed its stdin (or died): its exit says which.
      engine_.close_input(*sender_);
      return;
    }
    sender_blocked_ = false;
    progress();
    off_ += *n;
    if (off_ < frame_.size()) continue;
    off_ = 0;
    ++next_;
    fire_on_given(next_);
  }
  if (sender_ && next_ == c_.messages && engine_.input_fd(*sender_) >= 0) engine_.close_input(*sender_);  // EOF: all given
}

// The engine reads a few chunks a turn of a sender that floods its stdout, and a dead one to the end.
void Case::read_sender(std::span<const std::byte> bytes) {
  if (!sender_ || protocol_broken_) return;
  const AckReader::Level before = acks_.level();
  std::uint64_t completed = acks_.feed(bytes);
  if (acks_.level() == AckReader::Level::unknown) {
    undecided_.insert(undecided_.end(), bytes.begin(), bytes.end());
  } else if (acks_.level() == AckReader::Level::plain) {
    if (before == AckReader::Level::unknown) keep_output(undecided_);
    keep_output(bytes);
  }
  sender_level_ = std::max(sender_level_, acks_.level());
  for (std::uint64_t i = 0; i < completed && !protocol_broken_; ++i) acknowledge();
  if (acks_.malformed()) {
    protocol(who(*sender_) + " wrote to stdout " + acks_.why() + with_stderr(*sender_));
    engine_.close_output(*sender_);
  }
}

void Case::acknowledge() {
  const std::uint64_t acked = acked_++;  // this acknowledgement's index: one chunk may complete many
  if (acked >= fully_given()) {
    protocol(who(*sender_) + " wrote acknowledgement " + std::to_string(acked + 1) + " after being given " +
             std::to_string(fully_given()) +
             " whole messages; the n-th acknowledgement says that the first n messages given to it are in the channel" +
             with_stderr(*sender_));
    return;
  }
  std::uint64_t seq = given_to_[acked];
  event(EventKind::send_ok, sender_worker_, seq, 0, size_of(seq));
  progress();
}

// A sender that does not acknowledge may write what it likes to stdout: it goes where its stderr
// goes, as it always did, for the user to read beside the verdict.
void Case::keep_output(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  auto f = sys::open(engine_.spec(*sender_).exec->stderr_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (f) (void)sys::write(f->get(), bytes);
}

// The sender's end, its stdout already read to the end by the engine.
void Case::sender_ended(int status, engine::Exit why) {
  if (why == engine::Exit::by_itself) return sender_exited(status);
  if (burying_sender_) return bury_sender(status);
  event(EventKind::exited, sender_worker_, 0, WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status), 0,
        Damage::none, sender_worker_, true);
  sender_.reset();
}

// Killed by the fault: the acknowledgements it wrote before it died were in its stdout pipe, and
// made those messages definite; the rest of what it was given stays indeterminate.
void Case::bury_sender(int status) {
  burying_sender_ = false;
  const std::size_t given = given_to_.size();
  if (acks_.level() == AckReader::Level::acknowledged)
    out_.notes.push_back(who(*sender_) + " was killed after acknowledging " + std::to_string(acks_.acks()) +
                         " of the " + std::to_string(given) + " messages it was given: " +
                         std::to_string(acks_.acks()) + " definite, " + std::to_string(given - acks_.acks()) +
                         " indeterminate");
  else
    out_.notes.push_back(who(*sender_) + " was killed without acknowledging any message: the " +
                         std::to_string(given) +
                         " messages it was given are indeterminate (a sender that acknowledges each message it "
                         "hands to the channel makes them definite)");
  event(EventKind::exited, sender_worker_, 0, WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status), 0,
        Damage::none, sender_worker_, true);
  sender_.reset();
}

void Case::take(std::span<const std::byte> msg) {
  Opened o = open_envelope(scenario_.payload_seed(), msg);
  event(EventKind::received, receiver_worker_, o.seq, 0, msg.size(), o.damage, o.sender);
  if (o.intact && o.sender == 0 && o.seq < c_.messages) intact_.insert(o.seq);
  ++received_;
  last_receipt_ = now_ms();
  fire_on_received();
}

// `bytes`: the receiver's frames are pieces of one stream; messages are cut from it by the
// envelopes' own lengths. A length no message can have ends the stream as one damaged receipt.
void Case::flush_stream(bool at_end) {
  // A take() may fire kill-receiver: the receiver is then read to its end before it is buried,
  // so the stream goes on; gone() stays as a guard should that ever change.
  const std::uint32_t by = receiver_worker_;
  auto gone = [&] { return !receiver_ || receiver_worker_ != by; };
  std::size_t pos = 0;
  while (stream_.size() - pos >= kEnvelopeSize) {
    EnvelopeHeader h;
    std::memcpy(&h, stream_.data() + pos, sizeof h);
    if (h.length < kEnvelopeSize || h.length > c_.max_size) {
      take(std::span(stream_).subspan(pos));
      if (gone()) return;
      pos = stream_.size();
      break;
    }
    if (stream_.size() - pos < h.length) break;
    take(std::span(stream_).subspan(pos, h.length));
    if (gone()) return;
    pos += h.length;
  }
  if (at_end && pos < stream_.size()) {
    take(std::span(stream_).subspan(pos));
    if (gone()) return;
    pos = stream_.size();
  }
  stream_.erase(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(pos));
}

// Each chunk the engine read; a receiver killed by the fault is read to the end of its pipe
// first, since what it wrote out before it died has arrived (the pipe holds at most a page).
void Case::read_receiver(std::span<const std::byte> bytes) {
  if (!receiver_) return;
  progress();
  reader_->feed(bytes);
  take_frames();
}

// The frames the reader holds, until a hold stops taking them (the rest wait in the reader).
void Case::take_frames() {
  std::vector<std::byte> body;
  for (;;) {
    auto st = reader_->next(body);
    if (st == FrameReader::Status::need_more) break;
    if (st == FrameReader::Status::malformed) {
      protocol(who(*receiver_) + " wrote a malformed frame: " + reader_->why() +
               "; each frame is a 4-byte little-endian length, then that many bytes");
      engine_.close_output(*receiver_);
      return;
    }
    if (!ready_) {
      if (!body.empty()) {
        protocol(who(*receiver_) + " wrote a first frame of " + std::to_string(body.size()) +
                 " B; its first frame must be the empty ready frame (4 zero bytes)");
        engine_.close_output(*receiver_);
        return;
      }
      ready_ = true;
      if (!sender_ && !sender_done_) start(true);
      continue;
    }
    if (c_.contract.contract.boundaries) {
      take(body);
    } else {
      stream_.insert(stream_.end(), body.begin(), body.end());
      flush_stream(false);
    }
    if (held_) return;
  }
}

void Case::receiver_ended(int status, engine::Exit why) {
  if (why == engine::Exit::by_itself) return receiver_exited(status);
  if (dying_) return bury_receiver(status);
  event(EventKind::exited, receiver_worker_, 0, WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status), 0,
        Damage::none, receiver_worker_, true);
  receiver_.reset();
}

void Case::bury_receiver(int st) {
  event(EventKind::exited, receiver_worker_, 0, WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st), 0, Damage::none,
        receiver_worker_, true);
  receiver_.reset();  // a frame it had not finished, and bytes of an unfinished message, die with it
  stream_.clear();
  dying_ = false;
  receiver_killed_ = true;
  if (!restart()) {
    // The stream lives and dies with its two processes: what was in it is lost with it.
    out_.contract.killed_receiver_window = 0;
    receiver_done_ = true;
  } else {
    start(false);
  }
}

void Case::kill(std::optional<engine::Id>& p, std::uint32_t worker) {
  if (!p) return;
  if (engine_.alive(*p)) {
    engine_.kill(*p);  // its on_exit records the end, on purpose, and lets it go
    return;
  }
  // Ended by itself, but kept (a protocol breach was judged first): its end is recorded here.
  int st = engine_.status(*p).value_or(0);
  event(EventKind::exited, worker, 0, WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st), 0, Damage::none, worker, true);
  p.reset();
}

void Case::fire_on_given(std::uint64_t given) {
  if (fired_ || !fault_ || fault_->side != Side::sender || given != at_) return;
  fired_ = true;
  if (fault_->act == Act::kill) {
    fault_event(FaultAction::killed, sender_worker_);
    burying_sender_ = true;
    engine_.kill(*sender_);  // its last acknowledgements are read, then bury_sender()
    if (!restart()) sender_done_ = true;  // the stream dies with its sender: nothing is restarted
    else start(true);
  } else if (fault_->act == Act::stop) {
    fault_event(FaultAction::stopped, sender_worker_);
    engine_.pause(*sender_);
    active_ = true;
  }
}

void Case::fire_on_received() {
  if (fired_ || !fault_ || fault_->side != Side::receiver || received_ != at_) return;
  fired_ = true;
  if (fault_->act == Act::kill) {
    fault_event(FaultAction::killed, receiver_worker_);
    dying_ = true;  // the engine reads what it wrote before it died, then bury_receiver()
    engine_.kill(*receiver_);
  } else if (fault_->act == Act::stop) {
    fault_event(FaultAction::stopped, receiver_worker_);
    engine_.pause(*receiver_);
    active_ = true;
  } else if (fault_->act == Act::hold) {
    fault_event(FaultAction::held, receiver_worker_);
    held_ = true;
    engine_.pause_output(*receiver_, true);
    active_ = true;
  }
}

// A held or stopped program is let go at a logical point: the sender has exited, or it takes no
// more (its stdin is full), or everything has been given.
bool Case::releasable() const {
  if (!sender_) return true;
  if (fault_->side == Side::sender) return sender_blocked_ || next_ == c_.messages;
  return sender_blocked_;
}

void Case::release() {
  if (!active_) return;
  active_ = false;
  if (fault_->act == Act::stop && fault_->side == Side::sender) {
    if (sender_) {
      engine_.resume(*sender_);
      fault_event(FaultAction::continued, sender_worker_);
    }
  } else if (fault_->act == Act::stop && fault_->side == Side::receiver) {
    if (receiver_) {
      engine_.resume(*receiver_);
      fault_event(FaultAction::continued, receiver_worker_);
    }
  } else if (fault_->act == Act::hold) {
    held_ = false;
    fault_event(FaultAction::released, receiver_worker_);
    if (receiver_) {
      engine_.pause_output(*receiver_, false);
      take_frames();  // those read before the hold
    }
  }
  progress();
}

// Its acknowledgements, to the last, were read by the engine before this.
void Case::sender_exited(int st) {
  bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
  if (protocol_broken_) return;
  event(EventKind::exited, sender_worker_, 0, WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st), 0, Damage::none,
        sender_worker_, false);
  std::string given = std::to_string(next_) + " of " + std::to_string(c_.messages) + " messages";
  if (clean && next_ == c_.messages && engine_.input_fd(*sender_) < 0 && off_ == 0) {
    if (acks_.level() != AckReader::Level::acknowledged) {
      for (std::uint64_t seq : given_to_)
        event(EventKind::send_ok, sender_worker_, seq, 0, size_of(seq));
    } else if (acks_.acks() < given_to_.size()) {
      // Its acknowledged messages are definite already; the rest stay indeterminate.
      protocol(who(*sender_) + " exited 0 after acknowledging " + std::to_string(acks_.acks()) + " of the " +
               std::to_string(given_to_.size()) +
               " messages it was given; a sender that acknowledges acknowledges every message it hands to the "
               "channel" +
               with_stderr(*sender_));
    }
    sender_clean_ = true;
  } else if (clean) {
    protocol(who(*sender_) + " exited 0 after being given " + given +
             "; a sender must read stdin to its end (EOF) and send every frame before it exits" + with_stderr(*sender_));
  } else if (!restart() && receiver_killed_) {
    // Without restart a killed receiver ends the stream: reporting an error is what the sender should do.
  } else if (receiver_status_) {
    protocol(receiver_who_ + " " + describe_status(*receiver_status_) + " by itself after writing out " +
             std::to_string(receiver_wrote_) + " of " + std::to_string(c_.messages) +
             " messages, before the sender had finished; the sender then " + describe_status(st));
  } else {
    protocol(who(*sender_) + " " + describe_status(st) + " after being given " + given + with_stderr(*sender_));
  }
  sender_.reset();
  sender_done_ = true;
  progress();
}

// Whatever it wrote before it exited was read by the engine before this.
void Case::receiver_exited(int st) {
  // A receiver that saw end of stream may exit before its sender is reaped: the sender's end,
  // when it has come, is taken first, so that "before the sender had finished" is true.
  if (sender_) engine_.collect(*sender_);
  if (held_) release();  // a receiver that is gone holds nothing back: everything it wrote is taken
  if (dying_) return bury_receiver(st);  // a fault on those last frames killed it first
  event(EventKind::exited, receiver_worker_, 0, WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st), 0, Damage::none,
        receiver_worker_, terminating_);
  const std::string name = who(*receiver_);
  std::string after = " after writing out " + std::to_string(received_) + " of " + std::to_string(c_.messages) +
                      " messages";
  if (!c_.contract.contract.boundaries && ready_) flush_stream(true);
  if (protocol_broken_) {
    // already judged
  } else if (!ready_) {
    protocol(name + " " + describe_status(st) + " before writing its ready frame (4 zero bytes on stdout)" +
             with_stderr(*receiver_));
  } else if (terminating_) {
    if (!ended_cleanly_after_sigterm(st))
      protocol(name + " " + describe_status(st) + " after the harness's SIGTERM; a receiver ends with status 0 (or "
                                                 "dies by SIGTERM) when told to" +
               with_stderr(*receiver_));
  } else if (eof() || (WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
    // Ended by itself: judged on what it delivered, once the sender has ended too. Without eof
    // that is allowed, with status 0; under eof it is required.
    receiver_status_ = st;
    receiver_who_ = name + with_stderr(*receiver_);
    receiver_wrote_ = received_;
    ended_before_sender_ = !sender_done_;
  } else {
    protocol(name + " " + describe_status(st) + " by itself" + after +
             "; a receiver ends with status 0, by itself once its sender has finished, or when the harness sends "
             "SIGTERM" +
             with_stderr(*receiver_));
  }
  if (!protocol_broken_ && reader_ && reader_->pending() && !terminating_)
    protocol(name + " ended in the middle of a frame: " + reader_->describe_pending());
  receiver_.reset();
  receiver_done_ = true;
  progress();
}

void Case::stall() {
  std::uint64_t idle = engine_.idle_ms();
  if (receiver_ && !ready_) {
    protocol(who(*receiver_) + " wrote no ready frame (4 zero bytes on stdout) within " + std::to_string(idle) +
             " ms" + with_stderr(*receiver_));
    return;
  }
  if (terminating_) {
    protocol(who(*receiver_) + " did not exit within " + std::to_string(idle) + " ms of the harness's SIGTERM");
    return;
  }
  out_.deadlock = true;
  out_.stalled_ms = idle;
  out_.diagnosis = engine_.diagnose(false);
  if (sender_done_ && eof() && receiver_)
    out_.notes.push_back(who(*receiver_) + " did not end by itself within " + std::to_string(idle) +
                         " ms after the sender closed (the contract says eof)");
  if (receiver_status_ && ended_before_sender_ && sender_)
    out_.notes.push_back(receiver_who_ + " ended by itself after writing out " + std::to_string(receiver_wrote_) +
                         " of " + std::to_string(c_.messages) + " messages, before the sender had finished");
}

CaseResult Case::run() {
  auto t0 = monotonic_ns();
  auto made = naming::make_folder();
  if (!made) throw std::runtime_error("cannot make the case folder: " + made.error().message());
  folder_ = *made;
  endpoint_ = "/" + naming::next_name();
  // The queue listing of a fresh IPC namespace is mounted in a scratch folder, detached at once.
  std::string scratch = folder_ + "/.mq";
  (void)sys::mkdir(scratch);
  ObjectWatch watch = ObjectWatch::begin(scratch, endpoint_);
  (void)sys::rmdir(scratch);
  out_.notes.push_back(watch.note());
  try {
    start(false);
    progress();
    engine::Loop loop;
    loop.stall_ms = c_.stall_ms;
    loop.tick = std::chrono::milliseconds(20);
    // Under a controlled schedule time means nothing: what waits for quiet here waits for
    // `stuck` (nothing can go on) instead.
    const bool scheduled = engine_.schedule() != nullptr;
    auto turn = [&](bool stuck) {
      if (protocol_broken_) return false;
      bool acted = false;
      if (active_ && releasable()) release(), acted = true;
      // A fallback: the sender neither exits nor blocks visibly.
      if (active_ && (scheduled ? stuck : engine_.idle_ms() >= c_.stall_ms / 2)) release(), acted = true;
      if (acted && scheduled) return true;  // one act at a time: the program let go runs first
      // The end. Under eof both programs end by themselves. Otherwise the receiver is told to end
      // once everything arrived, or once the senders are done and nothing more arrives.
      if (receiver_done_ && (sender_done_ || !sender_)) {
        done_ = true;  // a receiver that ended (by itself, when told, or killed without restart), and no sender
      } else if (!eof() && !terminating_ && receiver_ && ready_ && !active_) {
        bool quiet = scheduled ? stuck : std::min(now_ms() - last_receipt_, engine_.idle_ms()) >= c_.stall_ms / 4;
        if ((all_arrived() && (sender_done_ || !sender_)) || (sender_done_ && quiet)) {
          terminating_ = true;
          engine_.resume(*receiver_);  // a stopped receiver could not act on SIGTERM
          engine_.signal(*receiver_, SIGTERM);
          progress();
          acted = true;
        }
      }
      return acted;
    };
    loop.on_turn = [&] { (void)turn(false); };
    loop.on_stuck = [&] { return turn(true); };
    loop.done = [&] { return done_ || protocol_broken_; };
    // Senders done without eof: the receiver is waited for until it is quiet, then told to end.
    loop.watchdog_paused = [&] { return sender_done_ && !eof() && !terminating_; };
    engine::Ended end = engine_.run(loop);
    if (end.how == engine::End::interrupted) out_.interrupted_by = end.signal;
    else if (end.how == engine::End::stalled || end.how == engine::End::deadlocked) stall();
    else if (end.how == engine::End::diverged) out_.error = engine_.schedule()->divergence();
    if (const auto* sup = engine_.schedule()) record_schedule(*sup, end.how == engine::End::deadlocked, out_);
  } catch (...) {
    kill(sender_, sender_worker_);
    kill(receiver_, receiver_worker_);
    (void)watch.remove_all();
    naming::remove_folder(folder_);
    throw;
  }
  if (done_ && eof() && receiver_status_ && sender_clean_ && !protocol_broken_ &&
      !(WIFEXITED(*receiver_status_) && WEXITSTATUS(*receiver_status_) == 0))
    protocol(receiver_who_ + " " + describe_status(*receiver_status_) +
             " once the sender had closed; under eof a receiver ends with status 0 at end of stream");
  kill(sender_, sender_worker_);
  kill(receiver_, receiver_worker_);
  // A program's own children (reparented to us, the subreaper) die with the case too.
  for (pid_t orphan : children_of_this_process()) {
    (void)sys::kill(orphan, SIGKILL);
    (void)sys::waitpid(orphan, 0);
  }
  // Objects at IPCH_ENDPOINT and in IPCH_DIR are the harness's to remove; anything else the
  // programs left is `leaked`, reported here rather than by check_leaked (which speaks of our
  // own runs' objects and `ipc-harness clean`).
  Violations leaked;
  for (const auto& o : watch.leaked())
    leaked.add(kinds::leaked, o + " was left behind by the programs (only objects named by IPCH_ENDPOINT or inside "
                                  "IPCH_DIR are cleaned up for them); " +
                                  (watch.removes(o) ? std::string("the harness has removed it")
                                                    : "it is kept, because without an IPC namespace of the case's own "
                                                      "it may be another process's: remove it once you know"));
  for (const auto& f : watch.remove_all()) out_.notes.push_back("could not remove " + f);
  watch.end();
  naming::remove_folder(folder_);
  CaseResult result;
  result.seconds = double(monotonic_ns() - t0) / 1e9;
  history_.finish();
  result.outcome = std::move(out_);
  if (result.outcome.interrupted_by) {
    // Not judged: the user asked to stop, and judging a long case's history takes longer than
    // the second a stop may take. Its programs and objects are gone all the same.
    result.report.verdict = "error";
    result.stderr_files = std::move(stderr_files_);
    result.sender_level = to_string(sender_level_);
    result.receiver_end = "by the harness";
    return result;
  }
  result.report = check_all(result.outcome);
  // A receiver that ended by itself while its sender still had messages for it is the cause of
  // what never arrived (or of the sender's hang).
  bool owed = result.outcome.deadlock;
  for (const auto& v : result.report.violations) owed = owed || v.kind == kinds::lost;
  if (owed && receiver_status_ && ended_before_sender_ && !protocol_broken_)
    protocol_.add(kinds::protocol,
                  receiver_who_ + " " + describe_status(*receiver_status_) + " by itself after writing out " +
                      std::to_string(receiver_wrote_) + " of " + std::to_string(c_.messages) +
                      " messages, before the sender had finished: what it left in the channel never arrived");
  auto extra = protocol_.take();
  for (auto& v : leaked.take()) extra.push_back(std::move(v));
  if (!extra.empty()) {
    result.report.violations.insert(result.report.violations.begin(), extra.begin(), extra.end());
    if (result.report.verdict == "pass") result.report.verdict = "violations";
  }
  result.stderr_files = std::move(stderr_files_);
  result.sender_level = to_string(sender_level_);
  result.receiver_end = receiver_status_                   ? "by itself"
                        : terminating_                     ? "on SIGTERM"
                        : receiver_killed_ && !restart()   ? "by a kill"
                                                           : "by the harness";
  return result;
}

}  // namespace

CaseResult run_case(const CaseSpec& c, const std::string& dir, const CaseSchedule& sched) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
  return Case(c, dir, sched).run();
}

}  // namespace ipch::external
