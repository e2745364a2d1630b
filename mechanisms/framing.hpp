// Whole messages over a byte stream: a 4-byte little-endian length, then the body.
// One write() carries header and body together, so a frame no larger than the object's
// atomic write limit (PIPE_BUF on a pipe) never interleaves with another writer's.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "deadline.hpp"
#include "result.hpp"

namespace ipch::framing {

constexpr std::size_t kHeader = 4;
// A frame length above this is a torn or foreign stream, not a message (EPROTO).
constexpr std::size_t kMaxBody = 64u << 20;

struct StreamIo {
  int fd = -1;
  bool socket = false;             // send()/MSG_NOSIGNAL instead of write()
  std::size_t chunk = SIZE_MAX;    // largest single write() under a finite deadline
  bool nonblocking = false;        // the fd is O_NONBLOCK: a send that takes nothing is EAGAIN
};

// Returns {} iff the whole frame was written. EAGAIN iff a non-blocking fd took nothing.
Result<void> send(const StreamIo& io, std::span<const std::byte> body, Deadline d);
// Returns the body size iff a whole frame arrived. end_of_stream iff EOF fell between frames;
// EPROTO iff EOF fell inside one or the length is absurd. EAGAIN iff non-blocking and empty.
Result<std::size_t> receive(const StreamIo& io, std::vector<std::byte>& buf, Deadline d, bool nonblocking);

// Reads frames through a buffer: one read() often brings several frames, where an unbuffered
// reader needs two reads (length, then body) for every message. Same contract as receive().
class Reader {
 public:
  Result<std::size_t> receive(const StreamIo& io, std::vector<std::byte>& out, Deadline d, bool nonblocking);

 private:
  std::vector<std::byte> buf_ = std::vector<std::byte>(64 * 1024);
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace ipch::framing
