// A channel over one byte-stream fd (a pipe or FIFO end, a connected stream socket), moving
// whole messages with framing.
#pragma once

#include "channel.hpp"
#include "fault_point.hpp"
#include "framing.hpp"
#include "sys.hpp"

namespace ipch {

class StreamChannel final : public Channel {
 public:
  // `fd` must already be in the blocking mode `blocking` asks for. `mechanism` names the fault points.
  StreamChannel(const char* mechanism, sys::Fd fd, bool blocking, bool socket, std::size_t chunk, MessageLimit limit)
      : fd_(std::move(fd)),
        blocking_(blocking),
        io_{fd_.get(), socket, chunk, !blocking},
        limit_(std::move(limit)),
        points_(mechanism) {}

  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned priority) override;
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override;
  void close() override { fd_.reset(); }
  MessageLimit limit() const override { return limit_; }

 private:
  sys::Fd fd_;
  bool blocking_;
  framing::StreamIo io_;
  framing::Reader reader_;
  MessageLimit limit_;
  fault_point::ChannelPoints points_;
};

}  // namespace ipch
