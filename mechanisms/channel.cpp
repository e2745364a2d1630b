#include "channel.hpp"

namespace ipch {

std::string_view to_string(Role r) { return r == Role::sender ? "sender" : "receiver"; }

std::optional<SetupError> unsupported_setting(const std::string& mechanism, const Settings& s, bool capacity,
                                              bool message_size) {
  auto refuse = [&](const char* name) {
    return SetupError{std::make_error_code(std::errc::invalid_argument),
                      mechanism + ": setting " + name + " does not apply to this mechanism; drop it (see `ipc-harness list mechanisms`)"};
  };
  if (s.capacity && !capacity) return refuse("capacity");
  if (s.message_size && !message_size) return refuse("message_size");
  return std::nullopt;
}

SetupError setup_error(const std::string& mechanism, const std::string& what, std::error_code ec,
                       const std::string& fix) {
  return SetupError{ec, mechanism + ": " + what + " failed: " + describe(ec) + "; " + fix};
}

std::string explain_send_error(std::error_code ec, std::size_t size, const MessageLimit& limit) {
  std::string out = describe(ec);
  if (size > limit.bytes) {
    out += ": " + std::to_string(size) + " B is over the limit of " + std::to_string(limit.bytes) + " B: " + limit.source;
  }
  return out;
}

}  // namespace ipch
