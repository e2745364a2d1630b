// The frames of the check protocol, on a program's stdin and stdout: a 4-byte little-endian
// length, then that many bytes. A receiver's first frame is empty (length 0): "ready".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ipch::external {

constexpr std::size_t kFrameHeader = 4;

// Appends one frame carrying `body` to `out`.
void append_frame(std::vector<std::byte>& out, std::span<const std::byte> body);

// Cuts a program's stdout into frames as bytes arrive (fed from non-blocking reads, in pieces
// of any size, a frame split anywhere, even inside its length).
class FrameReader {
 public:
  // `max_size`: the largest body a frame may declare; a longer one is malformed, because the
  // reader would otherwise wait for gigabytes that never come (or allocate them).
  explicit FrameReader(std::size_t max_size);

  void feed(std::span<const std::byte> bytes);

  enum class Status { frame, need_more, malformed };
  // Takes the next complete frame's body into `body`. Returns frame iff one was complete;
  // need_more iff the bytes so far end inside a frame (or at a boundary); malformed iff a
  // frame declared a length over max_size: why() then names the length, the limit and the
  // byte offset in the stream, and every later call returns malformed.
  Status next(std::vector<std::byte>& body);

  // Bytes of an unfinished frame held so far: 0 iff the stream so far ends on a boundary.
  // At EOF, non-zero means the last frame was cut short.
  std::size_t pending() const;
  // "a frame of 4 B of a declared 100 B" style description of the unfinished frame, for a
  // verdict; empty iff pending() == 0.
  std::string describe_pending() const;
  // Complete frames returned so far.
  std::uint64_t frames() const { return frames_; }
  // Bytes fed so far.
  std::uint64_t offset() const { return offset_; }
  const std::string& why() const { return why_; }

 private:
  std::size_t max_size_;
  std::vector<std::byte> buf_;   // unconsumed bytes
  std::size_t start_ = 0;        // where the unconsumed part of buf_ begins
  std::uint64_t frames_ = 0;
  std::uint64_t offset_ = 0;     // bytes fed
  std::uint64_t consumed_ = 0;   // bytes of complete frames returned
  std::string why_;
};

}  // namespace ipch::external
