#include "shm_ring.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <new>
#include <optional>

#include "fault_point.hpp"
#include "sys.hpp"

namespace ipch::shm_ring {

namespace {

constexpr std::size_t align64(std::size_t n) {
  return (n + 63) & ~std::size_t{63};
}
int idx(Role r) {
  return r == Role::sender ? 0 : 1;
}

MessageLimit message_limit(std::size_t capacity) {
  return {capacity - kFrameHeader, "ring size capacity=" + std::to_string(capacity) + " minus 4 B header"};
}

// Header fields are also read without the lock (snapshot, sysv-shm's wake), and head/tail must
// reach memory after the bytes they publish even if the compiler inlines the copy.
template <class T>
std::atomic_ref<T> atom(T& v) {
  static_assert(std::atomic_ref<T>::is_always_lock_free, "shared memory needs address-free atomics");
  return std::atomic_ref<T>(v);
}

void copy_in(const Sync& s, std::uint64_t at, const std::byte* src, std::size_t n) {
  if (n == 0) return;
  std::size_t i = at % s.capacity(), first = std::min(n, s.capacity() - i);
  std::memcpy(s.data() + i, src, first);
  std::memcpy(s.data(), src + first, n - first);
}

void copy_out(const Sync& s, std::uint64_t at, std::byte* dst, std::size_t n) {
  if (n == 0) return;
  std::size_t i = at % s.capacity(), first = std::min(n, s.capacity() - i);
  std::memcpy(dst, s.data() + i, first);
  std::memcpy(dst + first, s.data(), n - first);
}

struct RingPoints : fault_point::ChannelPoints {
  explicit RingPoints(const char* mechanism)
      : ChannelPoints(mechanism),
        lock(fault_point::name(mechanism, "lock")),
        lock_held(fault_point::name(mechanism, "lock-held")) {}
  std::string lock, lock_held;
};

class RingChannel final : public Channel {
 public:
  RingChannel(const char* mechanism, std::shared_ptr<Sync> sync, Role role, bool blocking)
      : sync_(std::move(sync)), h_(sync_->header()), role_(role), blocking_(blocking), points_(mechanism) {}
  ~RingChannel() override { close(); }

  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned) override {
    if (closed_ || role_ != Role::sender) return errno_error(EBADF);
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    if (msg.size() > limit_bytes()) return errno_error(EMSGSIZE);
    if (!blocking_ && !fits(msg.size()) && peers_open(Role::receiver)) return errno_error(EAGAIN);
    return under_lock<void>(d, [&]() -> std::optional<Result<void>> {
      auto receivers = sync_->open_count(Role::receiver);
      if (!receivers) return std::unexpected(receivers.error());
      if (h_.ever_opened[idx(Role::receiver)] && *receivers == 0) return errno_error(EPIPE);
      std::uint64_t head = h_.head, used = head - atom(h_.tail).load(std::memory_order_acquire);
      if (sync_->capacity() - used < kFrameHeader + msg.size()) return std::nullopt;
      std::byte len[kFrameHeader];
      for (std::size_t i = 0; i < kFrameHeader; ++i) len[i] = std::byte(msg.size() >> (8 * i));
      copy_in(*sync_, head, len, kFrameHeader);
      copy_in(*sync_, head + kFrameHeader, msg.data(), msg.size());
      atom(h_.head).store(head + kFrameHeader + msg.size(), std::memory_order_release);
      // The message is published: a failed wake (the semaphores removed) must not make it look unsent.
      (void)sync_->wake(Role::receiver);
      return Result<void>{};
    });
  }

  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (closed_ || role_ != Role::receiver) return errno_error(EBADF);
    if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
    if (!blocking_ && empty() && peers_open(Role::sender)) return errno_error(EAGAIN);
    return under_lock<Received>(d, [&]() -> std::optional<Result<Received>> {
      std::uint64_t tail = h_.tail, used = atom(h_.head).load(std::memory_order_acquire) - tail;
      if (used == 0) {
        auto senders = sync_->open_count(Role::sender);
        if (!senders) return std::unexpected(senders.error());
        if (h_.ever_opened[idx(Role::sender)] && *senders == 0)
          return std::unexpected(make_error_code(channel_errc::end_of_stream));
        return std::nullopt;
      }
      std::byte len[kFrameHeader];
      if (used < kFrameHeader || used > sync_->capacity()) return errno_error(EPROTO);
      copy_out(*sync_, tail, len, kFrameHeader);
      std::size_t n = 0;
      for (std::size_t i = 0; i < kFrameHeader; ++i) n |= std::size_t(len[i]) << (8 * i);
      if (n > used - kFrameHeader) return errno_error(EPROTO);  // someone else wrote into the segment
      buf.resize(n);
      copy_out(*sync_, tail + kFrameHeader, buf.data(), n);
      atom(h_.tail).store(tail + kFrameHeader + n, std::memory_order_release);
      (void)sync_->wake(Role::sender);
      return Received{n, 0};
    });
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    sync_->leave(role_);
    if (!sync_->lock(Deadline::never())) return;
    auto& open = h_.open[idx(role_)];
    if (open > 0) atom(open).fetch_sub(1);
    // Waiters of either role re-check: receivers may now be at end_of_stream, senders at EPIPE.
    (void)sync_->wake(Role::sender);
    (void)sync_->wake(Role::receiver);
    sync_->unlock();
  }

  MessageLimit limit() const override { return message_limit(sync_->capacity()); }

 private:
  std::size_t limit_bytes() const { return sync_->capacity() - kFrameHeader; }

  // Lock-free looks for a non-blocking caller that would only find the ring full or empty: a
  // caller polling in a loop must not take the lock its peer needs to make progress. They may be
  // stale by the time they return; the locked path decides for real.
  bool empty() const {
    return atom(h_.head).load(std::memory_order_acquire) == atom(h_.tail).load(std::memory_order_acquire);
  }
  bool fits(std::size_t n) const {
    std::uint64_t used = atom(h_.head).load(std::memory_order_acquire) - atom(h_.tail).load(std::memory_order_acquire);
    return used <= sync_->capacity() && sync_->capacity() - used >= kFrameHeader + n;
  }
  // True iff a peer of role `r` is open: without one, the locked path reports EPIPE or end of stream.
  bool peers_open(Role r) {
    auto n = sync_->open_count(r);
    return n && *n > 0;
  }

  // The lock points sit here and not in Sync::lock: the relocks after waits depend on timing,
  // and a hit number must mean the same send or receive on every replay.
  Result<void> lock(Deadline d) {
    if (fault_point::fires(points_.lock)) fault_point::pause_us(fault_point::info());
    if (auto l = sync_->lock(d); !l) return l;
    if (fault_point::fires(points_.lock_held)) {
      auto info = fault_point::info();
      if (info == fault_point::kStopHere) {
        ::raise(SIGSTOP);  // stopped holding the lock, for the runner to kill it there
      } else {
        fault_point::pause_us(info);
      }
    }
    return {};
  }

  // Runs `step` under the lock until it gives a result; nullopt means "not yet": wait as role_.
  template <class T, class Step>
  Result<T> under_lock(Deadline d, Step step) {
    if (auto l = lock(d); !l) return std::unexpected(l.error());
    for (;;) {
      std::optional<Result<T>> r = step();
      if (!r && !blocking_) r = errno_error(EAGAIN);
      if (!r && d.expired()) r = errno_error(ETIMEDOUT);
      if (r) {
        sync_->unlock();
        return std::move(*r);
      }
      // Registered under the lock, so a wake after our release cannot miss us.
      auto& waiting = h_.waiting[idx(role_)];
      atom(waiting).fetch_add(1);
      auto w = sync_->wait(role_, d);
      atom(waiting).fetch_sub(1);
      if (!w) return std::unexpected(w.error());
    }
  }

  std::shared_ptr<Sync> sync_;
  Header& h_;
  Role role_;
  bool blocking_;
  RingPoints points_;
  bool closed_ = false;
};

RingLink* as_ring(Link& link) {
  return dynamic_cast<RingLink*>(&link);
}

}  // namespace

Sync::Sync(void* base, std::size_t lock_bytes, std::size_t capacity)
    : h_(reinterpret_cast<Header*>(static_cast<std::byte*>(base) + align64(lock_bytes))),
      data_(reinterpret_cast<std::byte*>(h_) + align64(sizeof(Header))),
      capacity_(capacity) {}

std::size_t segment_size(std::size_t lock_bytes, std::size_t capacity) {
  return align64(lock_bytes) + align64(sizeof(Header)) + capacity;
}

void init_header(void* base, std::size_t lock_bytes, std::size_t capacity) {
  auto* h = new (static_cast<std::byte*>(base) + align64(lock_bytes)) Header{};
  h->capacity = capacity;
  atom(h->magic).store(kMagic, std::memory_order_release);
}

std::expected<std::size_t, SetupError> capacity(const std::string& mechanism, const Settings& s, std::size_t limit,
                                                const std::string& limit_why) {
  std::size_t cap = s.capacity.value_or(kDefaultCapacity);
  if (cap >= kMinCapacity && cap <= limit) return cap;
  return std::unexpected(SetupError{std::make_error_code(std::errc::invalid_argument),
                                    mechanism + ": capacity=" + std::to_string(cap) +
                                        " refused: the ring size must be " + std::to_string(kMinCapacity) + " .. " +
                                        std::to_string(limit) + " B (" + limit_why +
                                        "); use a capacity in that range"});
}

Result<std::unique_ptr<Channel>> RingLink::open(Role role, Deadline d) {
  Header& h = sync_->header();
  if (atom(h.magic).load(std::memory_order_acquire) != kMagic || h.capacity != sync_->capacity()) {
    return errno_error(EPROTO);
  }
  if (auto j = sync_->join(role); !j) return std::unexpected(j.error());
  if (auto l = sync_->lock(d); !l) {
    sync_->leave(role);
    return std::unexpected(l.error());
  }
  atom(h.open[idx(role)]).fetch_add(1);
  atom(h.ever_opened[idx(role)]).store(1);
  sync_->unlock();
  // Each process faults the ring in once here rather than page by page inside sends and receives
  // (a forked child does not inherit the page tables of a shared mapping). Best effort: an older
  // kernel just faults on first touch.
  (void)sys::populate(sync_->data(), sync_->capacity());
  return std::make_unique<RingChannel>(mechanism_, sync_, role, s_.blocking);
}

MessageLimit RingLink::limit() const {
  return message_limit(sync_->capacity());
}

Traits traits() {
  Traits t;
  t.capacity_unit = CapacityUnit::bytes;
  // A ring holds a 4 B length and an envelope at least; 64 B holds one small message at a time.
  t.capacities = {64, 4096, 16384};
  t.shared_memory = true;
  t.receiver_takes_over = true;
  t.points = {.calls = true, .lock = true};
  // One message of the largest size the run can send, with its length word.
  t.full_buffer_capacity = [](std::size_t max_size) { return std::max<std::size_t>(max_size, 64) + 8; };
  // A 4 MiB ring holds a 1 MiB message with room for the next ones in flight.
  t.bench_capacity = [] { return std::optional<std::size_t>{4u << 20}; };
  return t;
}

Contract contract(const std::string& persistence, const std::string& peer_death, EndOfStream eof) {
  Contract c;
  c.end_of_stream = eof;
  c.delivery = Delivery::reliable;
  c.ordering = Ordering::fifo;
  c.boundaries = false;
  c.atomic_write_limit = 0;
  c.direction = Direction::one_way;
  c.outlives_creator = true;
  c.persistence = persistence;
  c.many_senders = true;
  c.many_receivers = true;
  c.sharing_note =
      "messages are whole (atomic_write_limit 0) only because each is copied in and out under one lock "
      "behind a 4 B length: raw shared memory keeps no boundaries and no atomicity; " +
      peer_death;
  return c;
}

std::vector<SettingInfo> settings(const std::string& capacity_limit) {
  return {
      {"capacity", "ring size in bytes (default " + std::to_string(kDefaultCapacity) + ", at least " +
                       std::to_string(kMinCapacity) + ", at most " + capacity_limit +
                       "); the largest message is capacity - 4"},
      {"blocking", "false: a send that does not fit and a receive from an empty ring give EAGAIN at once"},
  };
}

Result<void> hold_lock_for_test(Link& link) {
  RingLink* r = as_ring(link);
  if (!r) return errno_error(EINVAL);
  return r->sync().lock(Deadline::never());
}

Result<Header> snapshot(Link& link) {
  RingLink* r = as_ring(link);
  if (!r) return errno_error(EINVAL);
  Header& h = r->sync().header();
  Header s{};
  s.magic = atom(h.magic).load();
  s.capacity = atom(h.capacity).load();
  s.head = atom(h.head).load();
  s.tail = atom(h.tail).load();
  s.owner_died_recoveries = atom(h.owner_died_recoveries).load();
  for (int i = 0; i < 2; ++i) {
    s.open[i] = atom(h.open[i]).load();
    s.ever_opened[i] = atom(h.ever_opened[i]).load();
    s.waiting[i] = atom(h.waiting[i]).load();
  }
  return s;
}

}  // namespace ipch::shm_ring
