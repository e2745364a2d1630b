#include "posix_mq.hpp"

namespace ipch {

const Mechanism& posix_mq_mechanism() {
  static const Mechanism m{"posix-mq", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "posix-mq: not built yet"});
  }};
  return m;
}

}  // namespace ipch
