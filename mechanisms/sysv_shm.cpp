#include "sysv_shm.hpp"

namespace ipch {

const Mechanism& sysv_shm_mechanism() {
  static const Mechanism m{"sysv-shm", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "sysv-shm: not built yet"});
  }};
  return m;
}

}  // namespace ipch
