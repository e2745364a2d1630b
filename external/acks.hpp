// A sender's stdout under the check protocol. A sender may acknowledge: one empty frame (4 zero
// bytes) each time it has handed one message to the channel, so the n-th acknowledgement says
// "the first n messages you gave me are in the channel". A sender that does not acknowledge may
// write anything to stdout (logs, say): its first 4 bytes decide which it speaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ipch::external {

class AckReader {
 public:
  enum class Level {
    unknown,       // fewer than 4 bytes so far
    plain,         // the first 4 bytes were not an acknowledgement: stdout is the program's output
    acknowledged,  // the first 4 bytes were 4 zero bytes
  };

  // Feeds the bytes that came next. Returns how many acknowledgements they completed (0 when
  // plain or malformed). Once acknowledged, any 4 bytes that are not zero make the stream
  // malformed: why() then names the bytes and their offset, and nothing more is counted.
  std::uint64_t feed(std::span<const std::byte> bytes);

  Level level() const { return level_; }
  std::uint64_t acks() const { return acks_; }
  bool malformed() const { return !why_.empty(); }
  const std::string& why() const { return why_; }
  // Bytes of an acknowledgement cut short so far (0 iff the stream ends on a boundary).
  std::size_t pending() const { return held_; }

 private:
  Level level_ = Level::unknown;
  std::uint64_t acks_ = 0;
  std::uint64_t offset_ = 0;  // bytes fed before the held ones
  unsigned char head_[4] = {};
  std::size_t held_ = 0;      // bytes of head_ filled
  std::string why_;
};

// "acknowledged" / "plain" / "silent" (unknown: it wrote nothing), for verdict lines and JSON.
const char* to_string(AckReader::Level l);

}  // namespace ipch::external
