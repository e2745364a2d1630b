#include "unix_dgram.hpp"

namespace ipch {

const Mechanism& unix_dgram_mechanism() {
  static const Mechanism m{"unix-dgram", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "unix-dgram: not built yet"});
  }};
  return m;
}

}  // namespace ipch
