#include "deadline.hpp"

#include <algorithm>
#include <limits>

namespace ipch {

namespace {
std::chrono::nanoseconds left(Deadline::Clock::time_point at) {
  return std::max(std::chrono::nanoseconds(0), at - Deadline::Clock::now());
}
timespec to_timespec(std::chrono::nanoseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
  return timespec{static_cast<time_t>(s.count()), static_cast<long>((d - s).count())};
}
timespec add(timespec a, std::chrono::nanoseconds d) {
  timespec b = to_timespec(d);
  a.tv_sec += b.tv_sec;
  a.tv_nsec += b.tv_nsec;
  if (a.tv_nsec >= 1'000'000'000) {
    a.tv_sec += 1;
    a.tv_nsec -= 1'000'000'000;
  }
  return a;
}
constexpr auto kFarAway = std::chrono::hours(24 * 365);
}  // namespace

int Deadline::poll_ms() const {
  if (is_never()) return -1;
  auto ns = left(at_).count();
  auto ms = (ns + 999'999) / 1'000'000;
  return static_cast<int>(std::min<long long>(ms, std::numeric_limits<int>::max()));
}

timespec Deadline::relative() const { return to_timespec(is_never() ? kFarAway : left(at_)); }

timespec Deadline::absolute_realtime() const {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return add(now, is_never() ? kFarAway : left(at_));
}

timespec Deadline::absolute_monotonic() const {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return add(now, is_never() ? kFarAway : left(at_));
}

Deadline Deadline::capped(std::chrono::nanoseconds slice) const {
  auto t = Clock::now() + slice;
  return Deadline(std::min(t, at_));
}

}  // namespace ipch
