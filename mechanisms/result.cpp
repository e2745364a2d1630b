#include "result.hpp"

#include <cstring>

namespace ipch {

namespace {
class ChannelCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "channel"; }
  std::string message(int v) const override {
    switch (static_cast<channel_errc>(v)) {
      case channel_errc::end_of_stream:
        return "end of stream: every sender closed";
    }
    return "unknown channel error";
  }
};
}  // namespace

const std::error_category& channel_category() noexcept {
  static const ChannelCategory c;
  return c;
}

std::string describe(std::error_code ec) {
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    const char* name = strerrorname_np(ec.value());
    return std::string(name ? name : "E?") + " (" + ec.message() + ")";
  }
  return ec.message();
}

}  // namespace ipch
