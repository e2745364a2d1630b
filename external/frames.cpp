#include "frames.hpp"

#include <cstdlib>
#include <limits>

namespace ipch::external {
namespace {

std::uint32_t read_length(const std::byte* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// Consumed bytes are dropped from the front only once they are many, or are most of the
// buffer, so that feeding a large frame a byte at a time stays linear.
constexpr std::size_t kCompactAt = 64 * 1024;

}  // namespace

void append_frame(std::vector<std::byte>& out, std::span<const std::byte> body) {
  // A body the length field cannot say is a harness bug, never program input.
  if (body.size() > std::numeric_limits<std::uint32_t>::max()) std::abort();
  auto n = static_cast<std::uint32_t>(body.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::byte>((n >> shift) & 0xFF));
  out.insert(out.end(), body.begin(), body.end());
}

FrameReader::FrameReader(std::size_t max_size) : max_size_(max_size) {}

void FrameReader::feed(std::span<const std::byte> bytes) {
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  } else if (start_ >= kCompactAt || start_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  offset_ += bytes.size();
}

FrameReader::Status FrameReader::next(std::vector<std::byte>& body) {
  if (!why_.empty()) return Status::malformed;
  std::size_t avail = buf_.size() - start_;
  if (avail < kFrameHeader) return Status::need_more;
  std::uint32_t length = read_length(buf_.data() + start_);
  if (length > max_size_) {
    why_ = "a frame at byte offset " + std::to_string(consumed_) + " declares a length of " + std::to_string(length) +
           " B, over the limit of " + std::to_string(max_size_) + " B (--max-size)";
    return Status::malformed;
  }
  if (avail - kFrameHeader < length) return Status::need_more;
  auto first = buf_.begin() + static_cast<std::ptrdiff_t>(start_ + kFrameHeader);
  body.assign(first, first + length);
  start_ += kFrameHeader + length;
  consumed_ += kFrameHeader + length;
  ++frames_;
  return Status::frame;
}

// Complete frames not yet taken by next() are not "pending": they are on a boundary. So walk
// over them, and whatever is left is the unfinished frame.
std::size_t FrameReader::pending() const {
  std::size_t at = start_;
  while (buf_.size() - at >= kFrameHeader) {
    std::uint32_t length = read_length(buf_.data() + at);
    if (length > max_size_ || buf_.size() - at - kFrameHeader < length) break;
    at += kFrameHeader + length;
  }
  return buf_.size() - at;
}

std::string FrameReader::describe_pending() const {
  std::size_t left = pending();
  if (left == 0) return {};
  std::uint64_t from = offset_ - left;
  if (left < kFrameHeader) {
    return "a frame cut short inside its length: " + std::to_string(left) + " of its " + std::to_string(kFrameHeader) +
           " length bytes, from byte offset " + std::to_string(from);
  }
  std::uint32_t length = read_length(buf_.data() + (buf_.size() - left));
  return "a frame cut short: " + std::to_string(left - kFrameHeader) + " B of a declared " + std::to_string(length) +
         " B, from byte offset " + std::to_string(from);
}

}  // namespace ipch::external
