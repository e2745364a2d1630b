#include "posix_shm.hpp"

namespace ipch {

const Mechanism& posix_shm_mechanism() {
  static const Mechanism m{"posix-shm", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "posix-shm: not built yet"});
  }};
  return m;
}

}  // namespace ipch
