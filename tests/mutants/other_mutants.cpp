// The ring, datagram, queue and pipe mutants (see mutants.hpp).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <thread>

#include "mutants_internal.hpp"
#include "registry.hpp"
#include "shm_ring.hpp"
#include "sys.hpp"
#include "wrap_link.hpp"

namespace ipch::mutants {

namespace {

// --- mutant-unlocked-shm: the real ring, a Sync whose lock is no lock. Two senders read the same
// head, copy over each other and publish one frame's worth: torn and lost messages.
class NoLockSync final : public shm_ring::Sync {
 public:
  NoLockSync(void* base, std::size_t capacity) : Sync(base, 0, capacity) {}
  Result<void> lock(Deadline) override { return {}; }
  void unlock() override {}
  Result<void> wait(Role, Deadline d) override {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (d.expired()) return errno_error(ETIMEDOUT);
    return {};
  }
  Result<void> wake(Role) override { return {}; }
  Result<std::uint32_t> open_count(Role r) override {
    return std::atomic_ref(header().open[r == Role::sender ? 0 : 1]).load();
  }
};

// An anonymous shared mapping: inherited by fork, gone with its last process, nothing to leak.
class UnlockedLink final : public shm_ring::RingLink {
 public:
  UnlockedLink(std::shared_ptr<NoLockSync> sync, Settings s) : RingLink("mutant-unlocked-shm", sync, s) {}
  void remove() override {}
  std::string object() const override { return "anonymous shared memory (mutant)"; }
};

std::expected<std::unique_ptr<Link>, SetupError> create_unlocked(const Settings& s) {
  std::size_t cap = s.capacity.value_or(shm_ring::kDefaultCapacity);
  auto base = sys::mmap(shm_ring::segment_size(0, cap), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
  if (!base) return std::unexpected(setup_error("mutant-unlocked-shm", "mmap", base.error(), "-"));
  shm_ring::init_header(*base, 0, cap);
  return std::make_unique<UnlockedLink>(std::make_shared<NoLockSync>(*base, cap), s);
}

// --- mutant-truncating-unix-dgram: a receive buffer of 1 KiB and no MSG_TRUNC, so a longer
// datagram is cut and nobody is told. The sender is the real unix-dgram's.
class TruncatingReceiver final : public Channel {
 public:
  explicit TruncatingReceiver(sys::Fd fd) : fd_(std::move(fd)) {}
  Result<void> send(std::span<const std::byte>, Deadline, unsigned) override { return errno_error(EBADF); }
  Result<Received> receive(std::vector<std::byte>& buf, Deadline) override {
    buf.resize(1024);
    auto n = sys::recv(fd_.get(), buf, 0);  // the bug: no MSG_TRUNC, so the real length is never seen
    if (!n) return std::unexpected(n.error());
    buf.resize(*n);
    return Received{*n, 0};
  }
  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return {8192, "mutant"}; }

 private:
  sys::Fd fd_;
};

class DgramPairLink final : public Link {
 public:
  DgramPairLink(sys::Fd tx, sys::Fd rx) : tx_(std::move(tx)), rx_(std::move(rx)) {}
  Result<std::unique_ptr<Channel>> open(Role role, Deadline) override;
  void release() override {
    tx_.reset();
    rx_.reset();
  }
  void remove() override { release(); }
  std::string object() const override { return "unix datagram socketpair (mutant)"; }
  MessageLimit limit() const override { return {8192, "mutant"}; }

 private:
  sys::Fd tx_, rx_;
};

// The sender writes whole datagrams, as the real one does; only the receiver is broken.
class DgramSender final : public Channel {
 public:
  explicit DgramSender(sys::Fd fd) : fd_(std::move(fd)) {}
  Result<void> send(std::span<const std::byte> msg, Deadline, unsigned) override {
    auto n = sys::send(fd_.get(), msg, 0);
    if (!n) return std::unexpected(n.error());
    return {};
  }
  Result<Received> receive(std::vector<std::byte>&, Deadline) override { return errno_error(EBADF); }
  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return {8192, "mutant"}; }

 private:
  sys::Fd fd_;
};

Result<std::unique_ptr<Channel>> DgramPairLink::open(Role role, Deadline) {
  const sys::Fd& end = role == Role::sender ? tx_ : rx_;
  if (!end.valid()) return errno_error(EBADF);
  auto dup = sys::fcntl(end.get(), F_DUPFD_CLOEXEC, 0);
  if (!dup) return std::unexpected(dup.error());
  if (role == Role::sender) return std::make_unique<DgramSender>(sys::Fd(*dup));
  return std::make_unique<TruncatingReceiver>(sys::Fd(*dup));
}

std::expected<std::unique_ptr<Link>, SetupError> create_truncating(const Settings&) {
  auto p = sys::socketpair(AF_UNIX, SOCK_DGRAM);
  if (!p) return std::unexpected(setup_error("mutant-truncating-unix-dgram", "socketpair()", p.error(), "-"));
  return std::make_unique<DgramPairLink>(std::move(p->first), std::move(p->second));
}

// --- mutant-swapping-posix-mq: the real queue; the receiver takes a message, then, if another
// comes within a moment, returns that one first.
class SwappingReceiver final : public Channel {
 public:
  explicit SwappingReceiver(std::unique_ptr<Channel> inner) : inner_(std::move(inner)) {}
  Result<void> send(std::span<const std::byte> m, Deadline d, unsigned p) override { return inner_->send(m, d, p); }
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (held_) {
      buf.swap(held_buf_);
      return *std::exchange(held_, std::nullopt);
    }
    auto a = inner_->receive(held_buf_, d);
    if (!a) return a;
    auto b = inner_->receive(buf, Deadline::after(std::chrono::milliseconds(20)));
    if (!b) {  // no second one: no swap
      buf.swap(held_buf_);
      return a;
    }
    held_ = *a;  // the bug: the later message goes out first
    return b;
  }
  void close() override { inner_->close(); }
  MessageLimit limit() const override { return inner_->limit(); }

 private:
  std::unique_ptr<Channel> inner_;
  std::optional<Received> held_;
  std::vector<std::byte> held_buf_;
};

std::expected<std::unique_ptr<Link>, SetupError> create_swapping(const Settings& s) {
  auto inner = registry::find("posix-mq")->create(s);
  if (!inner) return std::unexpected(inner.error());
  return std::make_unique<WrapLink>(std::move(*inner), [](Role r, std::unique_ptr<Channel> c, Link&) {
    if (r == Role::sender) return Result<std::unique_ptr<Channel>>(std::move(c));
    return Result<std::unique_ptr<Channel>>(std::make_unique<SwappingReceiver>(std::move(c)));
  });
}

// --- mutant-held-pipe: the real pipe; each end's open also opens the opposite end and keeps it,
// as code that forgets to close the unused end after fork() does. The receiver then never sees
// EOF and the sender never gets EPIPE: after kill-receiver the sender blocks in write() for ever.
class HoldingChannel final : public Channel {
 public:
  HoldingChannel(std::unique_ptr<Channel> inner, std::unique_ptr<Channel> held)
      : inner_(std::move(inner)), held_(std::move(held)) {}
  Result<void> send(std::span<const std::byte> m, Deadline d, unsigned p) override { return inner_->send(m, d, p); }
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override { return inner_->receive(buf, d); }
  void close() override {
    inner_->close();
    held_->close();
  }
  MessageLimit limit() const override { return inner_->limit(); }

 private:
  std::unique_ptr<Channel> inner_, held_;
};

std::expected<std::unique_ptr<Link>, SetupError> create_held(const Settings& s) {
  auto inner = registry::find("pipe")->create(s);
  if (!inner) return std::unexpected(inner.error());
  return std::make_unique<WrapLink>(std::move(*inner), [](Role r, std::unique_ptr<Channel> c, Link& l) {
    auto other = l.open(r == Role::sender ? Role::receiver : Role::sender, Deadline::never());  // the bug
    if (!other) return Result<std::unique_ptr<Channel>>(std::unexpected(other.error()));
    return Result<std::unique_ptr<Channel>>(std::make_unique<HoldingChannel>(std::move(c), std::move(*other)));
  });
}

Mechanism like(const char* real, const char* name, const char* summary,
               std::function<std::expected<std::unique_ptr<Link>, SetupError>(const Settings&)> create) {
  const Mechanism* m = registry::find(real);
  return {name, summary, m->contract, m->settings, std::move(create), m->traits};
}

}  // namespace

std::vector<const Mechanism*> other_mutants() {
  static const Mechanism unlocked{"mutant-unlocked-shm", "mutant: shm ring whose lock does nothing",
                                  shm_ring::contract("mutant", "no lock at all", EndOfStream::after_close), shm_ring::settings("-"),
                                  create_unlocked, shm_ring::traits()};
  static const Mechanism truncating = [] {
    Mechanism m = like("unix-dgram", "mutant-truncating-unix-dgram", "mutant: 1 KiB receive buffer, no MSG_TRUNC",
                       create_truncating);
    m.settings = {};
    m.contract.many_receivers = false;
    return m;
  }();
  static const Mechanism swapping =
      like("posix-mq", "mutant-swapping-posix-mq", "mutant: the receiver swaps pairs", create_swapping);
  static const Mechanism held =
      like("pipe", "mutant-held-pipe", "mutant: each end also keeps the opposite end", create_held);
  return {&unlocked, &truncating, &swapping, &held};
}

}  // namespace ipch::mutants
