#include "udp.hpp"

namespace ipch {

const Mechanism& udp_mechanism() {
  static const Mechanism m{"udp", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "udp: not built yet"});
  }};
  return m;
}

}  // namespace ipch
