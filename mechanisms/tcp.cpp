#include "tcp.hpp"

namespace ipch {

const Mechanism& tcp_mechanism() {
  static const Mechanism m{"tcp", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "tcp: not built yet"});
  }};
  return m;
}

}  // namespace ipch
