#include "framing.hpp"

#include <cstdint>
#include <cstring>

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

}  // namespace ipch::framing
