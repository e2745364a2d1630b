#include "worker.hpp"

#include <unistd.h>

#include <thread>

#include "envelope.hpp"
#include "sys.hpp"

namespace ipch {

namespace {

class Reporter {
 public:
  Reporter(int fd, std::uint32_t worker) : fd_(fd), worker_(worker) {}
  void report(Event e) {
    e.t_ns = monotonic_ns();
    e.worker = worker_;
    // One write of 40 bytes: atomic on a pipe. A runner that is gone kills us (PDEATHSIG).
    if (!sys::write_all(fd_, std::as_bytes(std::span(&e, 1)), Deadline::never())) ::_exit(3);
  }

 private:
  int fd_;
  std::uint32_t worker_;
};

bool would_block(std::error_code ec) {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::no_message;  // ENOMSG: sysv IPC_NOWAIT
}

// A non-blocking channel is driven the way careful user code drives one: retry EAGAIN.
Result<void> send_retrying(Channel& ch, std::span<const std::byte> msg) {
  for (;;) {
    auto r = ch.send(msg, Deadline::never());
    if (r || !would_block(r.error())) return r;
    std::this_thread::yield();
  }
}
Result<Received> receive_retrying(Channel& ch, std::vector<std::byte>& buf) {
  for (;;) {
    auto r = ch.receive(buf, Deadline::never());
    if (r || !would_block(r.error())) return r;
    std::this_thread::yield();
  }
}

class Worker {
 public:
  Worker(const Scenario& s, const WorkerPlan& p, int control_fd)
      : s_(s), plan_(p), rep_(control_fd, p.info.index), payload_seed_(s.payload_seed()) {}

  // Returns false iff the send failed (reported); the caller stops sending.
  bool send(Channel& ch, std::uint8_t link, std::uint32_t sender, std::uint64_t seq) {
    std::size_t size = s_.message_size(sender, seq, plan_.cap);
    make_envelope(payload_seed_, sender, seq, size, out_);
    rep_.report({.kind = EventKind::send_invoked, .link = link, .sender = sender, .seq = seq, .size = size});
    auto r = send_retrying(ch, out_);
    if (r) {
      rep_.report({.kind = EventKind::send_ok, .link = link, .sender = sender, .seq = seq, .size = size});
      return true;
    }
    rep_.report({.kind = EventKind::send_failed, .link = link, .err = r.error().value(), .sender = sender, .seq = seq,
                 .size = size});
    return false;
  }

  // Returns the opened message iff one arrived (reported); else reports why not.
  std::optional<Opened> receive(Channel& ch, std::uint8_t link) {
    auto r = receive_retrying(ch, in_);
    if (!r) {
      bool eof = r.error() == make_error_code(channel_errc::end_of_stream);
      rep_.report({.kind = EventKind::receive_failed, .link = link, .err = eof ? kEndOfStream : r.error().value()});
      return std::nullopt;
    }
    Opened o = open_envelope(payload_seed_, std::span(in_).first(r->size));
    rep_.report({.kind = EventKind::received, .link = link, .damage = o.damage, .sender = o.sender, .seq = o.seq,
                 .size = r->size});
    return o;
  }

  void sender(Channel& tx) {
    std::uint64_t n = s_.messages_of(plan_.info.rank);
    for (std::uint64_t seq = 0; seq < n; ++seq)
      if (!send(tx, 0, plan_.info.index, seq)) break;
  }

  void receiver(Channel& rx) {
    while (receive(rx, 0)) {
    }
  }

  // Keeps up to `depth` requests outstanding: with a depth past what both buffers hold, client
  // and server both block in send - the classic pipelining deadlock.
  void client(Channel& requests, Channel& responses) {
    std::uint64_t n = s_.workload.messages, next = 0, got = 0;
    std::uint64_t depth = std::max<std::uint32_t>(1, s_.workload.depth);
    while (got < n) {
      while (next < n && next - got < depth) {
        if (!send(requests, 0, plan_.info.index, next)) return;
        ++next;
      }
      if (!receive(responses, 1)) return;
      ++got;
    }
  }

  void server(Channel& requests, Channel& responses) {
    while (auto req = receive(requests, 0)) {
      if (!send(responses, 1, plan_.info.index, req->seq)) return;
    }
  }

  void started() { rep_.report({.kind = EventKind::started}); }
  void finished() { rep_.report({.kind = EventKind::finished}); }

 private:
  const Scenario& s_;
  const WorkerPlan& plan_;
  Reporter rep_;
  std::uint64_t payload_seed_;
  std::vector<std::byte> out_, in_;
};

}  // namespace

int run_worker(const Scenario& s, const WorkerPlan& plan, std::vector<std::unique_ptr<Link>>& links, int control_fd,
               int start_fd) {
  Worker w(s, plan, control_fd);
  auto open = [&](std::size_t link, Role role) -> std::unique_ptr<Channel> {
    auto c = links.at(link)->open(role, Deadline::never());
    if (!c) {
      std::fprintf(stderr, "ipc-harness worker %s: opening the %s end of %s failed: %s\n", plan.info.name().c_str(),
                   std::string(to_string(role)).c_str(), links[link]->object().c_str(), describe(c.error()).c_str());
      return nullptr;
    }
    return std::move(*c);
  };
  std::unique_ptr<Channel> a, b;
  switch (plan.info.role) {
    case WorkerRole::sender: a = open(0, Role::sender); break;
    case WorkerRole::receiver: a = open(0, Role::receiver); break;
    case WorkerRole::client: a = open(0, Role::sender), b = open(1, Role::receiver); break;
    case WorkerRole::server: a = open(0, Role::receiver), b = open(1, Role::sender); break;
  }
  for (auto& l : links) l->release();
  bool two = plan.info.role == WorkerRole::client || plan.info.role == WorkerRole::server;
  if (!a || (two && !b)) return 3;
  w.started();
  std::byte go;
  (void)sys::read(start_fd, std::span(&go, 1));  // EOF: every worker is up
  switch (plan.info.role) {
    case WorkerRole::sender: w.sender(*a); break;
    case WorkerRole::receiver: w.receiver(*a); break;
    case WorkerRole::client: w.client(*a, *b); break;
    case WorkerRole::server: w.server(*a, *b); break;
  }
  a->close();  // before `finished`: a receiver waiting for end of stream sees it now
  if (b) b->close();
  w.finished();
  return 0;
}

}  // namespace ipch
