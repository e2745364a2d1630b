#include "unix_stream.hpp"

namespace ipch {

const Mechanism& unix_stream_mechanism() {
  static const Mechanism m{"unix-stream", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "unix-stream: not built yet"});
  }};
  return m;
}

}  // namespace ipch
