#include "stream_channel.hpp"

namespace ipch {

Result<void> StreamChannel::send(std::span<const std::byte> msg, Deadline d, unsigned) {
  if (!fd_.valid()) return errno_error(EBADF);
  if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
  if (msg.size() > limit_.bytes) return errno_error(EMSGSIZE);
  return framing::send(io_, msg, d);
}

Result<Received> StreamChannel::receive(std::vector<std::byte>& buf, Deadline d) {
  if (!fd_.valid()) return errno_error(EBADF);
  if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
  auto n = reader_.receive(io_, buf, d, !blocking_);
  if (!n) return std::unexpected(n.error());
  return Received{*n, 0};
}

}  // namespace ipch
