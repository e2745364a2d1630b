// Damaged messages. Each received event with Damage != none is named exactly once, by what most
// likely broke it on this contract:
//
//   boundary   the contract keeps message boundaries (Contract::boundaries), yet a message arrived
//              split or merged with another: Damage::bad_length or short_message
//   torn       a byte stream (boundaries == false) written by two or more senders delivered a
//              damaged message (bad_hash, bad_length, bad_magic, short_message) although that
//              message's frame (size + 4 B length) was within the atomic write limit (0 = every
//              message is atomic): concurrent writes interleaved where the kernel promises they
//              cannot (PIPE_BUF), or a ring let two writers in at once
//   corrupted  everything else: the bytes changed (bad_hash, bad_body, bad_magic where boundaries
//              are kept); on a byte stream with one writer the framing itself broke; on a shared
//              byte stream a frame beyond the atomic limit was interleaved (the kernel allows
//              that, so the writer that sent it is at fault)
//
// Functions of (history, contract), online: a damaged receipt is kept until the end (it is a
// violation; it needs to know every writer of its link), an intact one costs nothing, and the
// size each message was sent with is kept only while it is in flight on a byte stream. Each
// checker returns the violations of its kind, in history order, the detail naming the receiver, the message, its size, its offset in what that
// receiver read, and, for torn, the size against the limit.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "contract.hpp"
#include "history.hpp"
#include "violation.hpp"

namespace ipch {

// Whether a receipt with this damage still names its message: the envelope header was read, so
// the event's sender and seq are the real ones (bad_length, bad_hash, bad_body).
bool names_its_message(Damage d);

class IntegrityCheck {
 public:
  IntegrityCheck(const History& head, const Contract& c) : h_(head), c_(c) {}
  void add(const Event& e, std::uint64_t line);
  // Every damaged receipt, in history order; only those of kind `only` unless it is empty.
  std::vector<Violation> finish(std::string_view only = "");

 private:
  using Key = std::tuple<std::uint8_t, std::uint32_t, std::uint64_t>;
  struct Damaged {
    Event e;
    std::uint64_t line, nth, byte;
    std::uint64_t sent_size;  // 0: unknown
  };
  const History& h_;
  const Contract& c_;
  std::map<std::uint8_t, std::set<std::uint32_t>> writers_;
  std::map<std::uint8_t, std::uint64_t> largest_;
  std::map<Key, std::uint64_t> in_flight_;  // sent sizes on a byte stream, until received
  std::map<Key, std::vector<std::size_t>> wanted_;  // damaged receipts whose send comes later
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::pair<std::uint64_t, std::uint64_t>> at_;
  std::vector<Damaged> damaged_;
};

std::vector<Violation> check_corrupted(const History& h, const Contract& c);
std::vector<Violation> check_boundary(const History& h, const Contract& c);
std::vector<Violation> check_torn(const History& h, const Contract& c);
// The three together, in history order: every damaged message once.
std::vector<Violation> check_integrity(const History& h, const Contract& c);

}  // namespace ipch
