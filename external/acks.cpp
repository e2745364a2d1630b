#include "acks.hpp"

#include <fmt/format.h>

namespace ipch::external {

std::uint64_t AckReader::feed(std::span<const std::byte> bytes) {
  std::uint64_t completed = 0;
  for (std::byte b : bytes) {
    if (level_ == Level::plain || malformed()) return completed;
    head_[held_++] = static_cast<unsigned char>(b);
    if (held_ < sizeof head_) continue;
    bool zero = head_[0] == 0 && head_[1] == 0 && head_[2] == 0 && head_[3] == 0;
    if (level_ == Level::unknown) level_ = zero ? Level::acknowledged : Level::plain;
    if (level_ == Level::plain) return completed;
    if (!zero) {
      why_ = fmt::format(
          "bytes {:02x} {:02x} {:02x} {:02x} at byte offset {} of its stdout, after {} acknowledgements; an "
          "acknowledgement is 4 zero bytes, and a sender that acknowledges writes nothing else to stdout",
          head_[0], head_[1], head_[2], head_[3], offset_, acks_);
      return completed;
    }
    ++acks_;
    ++completed;
    offset_ += sizeof head_;
    held_ = 0;
  }
  return completed;
}

const char* to_string(AckReader::Level l) {
  switch (l) {
    case AckReader::Level::acknowledged:
      return "acknowledged";
    case AckReader::Level::plain:
      return "plain";
    case AckReader::Level::unknown:
      break;
  }
  return "silent";
}

}  // namespace ipch::external
