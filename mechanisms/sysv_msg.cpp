#include "sysv_msg.hpp"

namespace ipch {

const Mechanism& sysv_msg_mechanism() {
  static const Mechanism m{"sysv-msg", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "sysv-msg: not built yet"});
  }};
  return m;
}

}  // namespace ipch
