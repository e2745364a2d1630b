// What sysv-shm and posix-shm share: a byte ring of whole messages in one shared segment.
//
// Contract: reliable, fifo, any number of senders and receivers. The raw memory keeps nothing
// (no boundaries, no atomic write); our framing (4-byte little-endian length + body) and one lock
// around each whole message copy give both. A message may be at most capacity - 4 bytes (else
// EMSGSIZE). A send when receivers were opened and none is open now is EPIPE; a receive from an
// empty ring when senders were opened and none is open now is end_of_stream. A sender advances
// `head` only after the body is in, a receiver `tail` only after it is out, so a process killed
// mid-copy leaves the ring as it was.
//
// Fault points (faults/points.hpp), each hit once per send or receive: ipch/<m>/send and
// /receive at entry, ipch/<m>/lock before its first lock, ipch/<m>/lock-held right after.
//
// Segment: [lock area of the mechanism][Header][capacity data bytes], each part 64-aligned.
// The two mechanisms differ only in their Sync: how the ring is locked, waited on, and how open
// ends are counted.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "channel.hpp"

namespace ipch::shm_ring {

constexpr std::uint64_t kMagic = 0x676e6972'68637069;  // "ipchring"
constexpr std::size_t kFrameHeader = 4;
constexpr std::size_t kDefaultCapacity = 65536;
constexpr std::size_t kMinCapacity = 8;
constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;  // ours, not the kernel's: a hang guard on memory

// Indexed by Role: [0] senders, [1] receivers.
struct Header {
  std::uint64_t magic;
  std::uint64_t capacity;
  std::uint64_t head;                   // bytes ever published; moved last by a sender
  std::uint64_t tail;                   // bytes ever consumed; moved last by a receiver
  std::uint64_t owner_died_recoveries;  // locks taken over from a process that died holding them
  std::uint32_t open[2];         // opens minus closes: a killed process stays in it (sysv-shm asks its semaphores)
  std::uint32_t ever_opened[2];  // 1 once any end of that role was opened: before that, no EPIPE / end_of_stream
  std::uint32_t waiting[2];      // senders waiting for space, receivers waiting for data
};

// The mechanism's half: locking, waiting and counting open ends. wait, wake and open_count run
// with the lock held; join and leave without.
class Sync {
 public:
  Sync(void* base, std::size_t lock_bytes, std::size_t capacity);
  virtual ~Sync() = default;

  // Takes the lock. On error the lock is not held.
  virtual Result<void> lock(Deadline d) = 0;
  virtual void unlock() = 0;
  // Releases the lock, sleeps until woken, the deadline, or a slice of it passes, and takes the
  // lock again: {} then (a spurious return only makes the caller re-check). On error: not held.
  virtual Result<void> wait(Role waiter, Deadline d) = 0;
  // Wakes every process of role `waiter` that is waiting.
  virtual Result<void> wake(Role waiter) = 0;
  // How many ends of role `r` are open, as the mechanism knows it.
  virtual Result<std::uint32_t> open_count(Role r) = 0;
  // Counts this process's end in or out, outside the lock (sysv-shm: SEM_UNDO semaphores).
  virtual Result<void> join(Role) { return {}; }
  virtual void leave(Role) {}

  Header& header() const { return *h_; }
  std::byte* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  Header* h_;
  std::byte* data_;
  std::size_t capacity_;
};

// Bytes a segment needs for a lock area of `lock_bytes` and a ring of `capacity`.
std::size_t segment_size(std::size_t lock_bytes, std::size_t capacity);
// Writes a fresh Header into a new (zeroed) segment.
void init_header(void* base, std::size_t lock_bytes, std::size_t capacity);

// The ring size the settings ask for, or a SetupError naming the setting, the limit and the fix.
// `limit` is the mechanism's largest capacity, `limit_why` where it comes from.
std::expected<std::size_t, SetupError> capacity(const std::string& mechanism, const Settings& s, std::size_t limit,
                                                const std::string& limit_why);

// A Link over one segment. Subclasses own the kernel objects (remove, object); the segment is
// shared with every channel opened from it, so it stays mapped while any of them lives.
class RingLink : public Link {
 public:
  // `mechanism` names the channels' fault points.
  RingLink(const char* mechanism, std::shared_ptr<Sync> sync, Settings s)
      : mechanism_(mechanism), sync_(std::move(sync)), s_(s) {}
  Result<std::unique_ptr<Channel>> open(Role role, Deadline d) override;
  MessageLimit limit() const override;
  Sync& sync() const { return *sync_; }

 protected:
  bool is_creator() const { return ::getpid() == creator_; }

 private:
  const char* mechanism_;
  std::shared_ptr<Sync> sync_;
  Settings s_;
  pid_t creator_ = ::getpid();
};

Contract contract(const std::string& persistence, const std::string& peer_death, EndOfStream eof);
std::vector<SettingInfo> settings(const std::string& capacity_limit);
Traits traits();

// Test hooks. hold_lock_for_test takes the ring's lock and keeps it: the caller is about to die
// holding it. snapshot reads the header without the lock. EINVAL iff `link` is not a ring.
Result<void> hold_lock_for_test(Link& link);
Result<Header> snapshot(Link& link);

}  // namespace ipch::shm_ring
