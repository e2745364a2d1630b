#include "fault_point.hpp"

#include <fiu.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace ipch::fault_point {

std::string name(std::string_view scope, std::string_view what) {
  std::string n = "ipch/";
  n += scope;
  n += '/';
  n += what;
  return n;
}

bool fires(const char* point) {
  return fiu_fail(point) != 0;
}

std::uintptr_t info() {
  return reinterpret_cast<std::uintptr_t>(fiu_failinfo());
}

int error_number() {
  auto e = static_cast<int>(info());
  return e > 0 ? e : EIO;
}

void pause_us(std::uintptr_t us) {
  // A day caps it: microseconds near 2^64 overflow sleep_for's nanoseconds and sleep not at all.
  constexpr std::uintptr_t kDay = 86'400'000'000;
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(us < kDay ? us : kDay)));
}

}  // namespace ipch::fault_point
