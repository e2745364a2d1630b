#include "framing.hpp"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <poll.h>

#include "sys.hpp"

namespace ipch::framing {

Result<void> send(const StreamIo& io, std::span<const std::byte> body, Deadline d) {
  if (body.size() > kMaxBody) return errno_error(EMSGSIZE);
  thread_local std::vector<std::byte> frame;
  frame.resize(kHeader + body.size());
  auto n = static_cast<std::uint32_t>(body.size());
  for (std::size_t i = 0; i < kHeader; ++i) frame[i] = std::byte((n >> (8 * i)) & 0xff);
  if (!body.empty()) std::memcpy(frame.data() + kHeader, body.data(), body.size());
  return sys::write_all(io.fd, frame, d, nullptr, io.chunk, io.socket, io.nonblocking);
}

Result<std::size_t> receive(const StreamIo& io, std::vector<std::byte>& buf, Deadline d, bool nonblocking) {
  std::byte header[kHeader];
  if (auto r = sys::read_exact(io.fd, header, d, nonblocking); !r) return std::unexpected(r.error());
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < kHeader; ++i) n |= std::uint32_t(header[i]) << (8 * i);
  if (n > kMaxBody) return errno_error(EPROTO);
  buf.resize(n);
  if (n == 0) return 0;
  // The rest of a frame that has begun must be read even on a non-blocking fd.
  if (auto r = sys::read_exact(io.fd, buf, d); !r) {
    if (r.error() == make_error_code(channel_errc::end_of_stream)) return errno_error(EPROTO);
    return std::unexpected(r.error());
  }
  return n;
}

Result<std::size_t> Reader::receive(const StreamIo& io, std::vector<std::byte>& out, Deadline d, bool nonblocking) {
  for (;;) {
    std::size_t have = end_ - begin_;
    std::size_t need = kHeader;
    if (have >= kHeader) {
      std::uint32_t n = 0;
      for (std::size_t i = 0; i < kHeader; ++i) n |= std::uint32_t(buf_[begin_ + i]) << (8 * i);
      if (n > kMaxBody) return errno_error(EPROTO);
      need = kHeader + n;
      if (have >= need) {
        out.assign(buf_.begin() + static_cast<long>(begin_ + kHeader), buf_.begin() + static_cast<long>(begin_ + need));
        begin_ += need;
        return n;
      }
    }
    // Make room for the rest of this frame, at the front of the buffer.
    if (begin_ > 0) {
      std::copy(buf_.begin() + static_cast<long>(begin_), buf_.begin() + static_cast<long>(end_), buf_.begin());
      end_ = have;
      begin_ = 0;
    }
    if (need > buf_.size()) buf_.resize(need);
    bool first = have == 0;  // nothing of a message yet: a non-blocking reader may give up here
    if (!d.is_never() && !(nonblocking && first)) {
      if (auto w = sys::wait_for(io.fd, POLLIN, d); !w) return std::unexpected(w.error());
    }
    auto space = std::span(buf_).subspan(end_);
    auto r = io.socket ? sys::recv(io.fd, space, 0) : sys::read(io.fd, space);
    if (!r) {
      if (r.error() != std::errc::resource_unavailable_try_again || (nonblocking && first)) {
        return std::unexpected(r.error());
      }
      // A message that has begun is finished even on a non-blocking fd.
      if (auto w = sys::wait_for(io.fd, POLLIN, d); !w) return std::unexpected(w.error());
      continue;
    }
    if (*r == 0) {
      if (first) return std::unexpected(make_error_code(channel_errc::end_of_stream));
      return errno_error(EPROTO);  // EOF inside a frame: a torn stream
    }
    end_ += *r;
    if (end_ - begin_ < need) ++sys::io_counters().short_reads;  // this frame needs another read
  }
}

}  // namespace ipch::framing
