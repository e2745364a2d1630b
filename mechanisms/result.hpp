// Results of every call that can fail: the value, or the real errno as a std::error_code.
// EPIPE, EAGAIN, EINTR, EMSGSIZE are data for the checkers, never exceptions.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <system_error>

namespace ipch {

template <class T>
using Result = std::expected<T, std::error_code>;

// The error of the last failed system call in this thread.
inline std::unexpected<std::error_code> last_errno() {
  return std::unexpected(std::error_code(errno, std::generic_category()));
}
inline std::unexpected<std::error_code> errno_error(int e) {
  return std::unexpected(std::error_code(e, std::generic_category()));
}

// Conditions that are not an errno. Everything a kernel call reports stays an errno.
enum class channel_errc {
  end_of_stream = 1,  // every sender has closed and nothing is left to receive (read() == 0)
};
const std::error_category& channel_category() noexcept;
inline std::error_code make_error_code(channel_errc e) noexcept {
  return {static_cast<int>(e), channel_category()};
}

// "EPIPE (Broken pipe)": the errno name first, since that is what users grep for.
std::string describe(std::error_code ec);

}  // namespace ipch

template <>
struct std::is_error_code_enum<ipch::channel_errc> : std::true_type {};
