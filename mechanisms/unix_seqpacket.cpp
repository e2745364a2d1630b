#include "unix_seqpacket.hpp"

namespace ipch {

const Mechanism& unix_seqpacket_mechanism() {
  static const Mechanism m{"unix-seqpacket", "(stub)", Contract{}, {}, [](const Settings&) -> std::expected<std::unique_ptr<Link>, SetupError> {
    return std::unexpected(SetupError{std::make_error_code(std::errc::function_not_supported), "unix-seqpacket: not built yet"});
  }};
  return m;
}

}  // namespace ipch
