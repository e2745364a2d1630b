#include "points.hpp"

#include <fiu-control.h>
#include <fiu.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

#include "fault_point.hpp"

namespace ipch::faults {

static_assert(kStopHere == fault_point::kStopHere, "the mechanisms stop on the value plans write");

namespace {

struct Arming {
  std::uint64_t from = 1;
  std::uint64_t count = 0;
  std::uint64_t hits = 0;
  std::uint64_t fired = 0;
};

// libfiu calls decide() from whichever thread passes a point, under its own read lock only, so
// the table has a lock of its own. It is never destroyed: a point may be passed during exit.
struct Table {
  std::mutex m;
  std::map<std::string, Arming, std::less<>> points;
};
Table& table() {
  static Table* t = new Table;
  return *t;
}

// Counting here rather than with FIU_ONETIME or fiu_enable_random is what makes "the n-th hit"
// a logical point: the same on every replay, whatever the timing.
int decide(const char* name, int*, void**, unsigned*) {
  Table& t = table();
  std::lock_guard lock(t.m);
  auto it = t.points.find(std::string_view(name));
  if (it == t.points.end()) return 0;
  Arming& a = it->second;
  std::uint64_t hit = ++a.hits;
  bool fire = hit >= a.from && (a.count == 0 || hit - a.from < a.count);
  if (fire) ++a.fired;
  return fire ? 1 : 0;
}

}  // namespace

std::string point(const std::string& mechanism, const std::string& what) {
  return fault_point::name(mechanism, what);
}

bool arm(const std::string& name, std::uint64_t from, std::uint64_t count, std::uintptr_t failinfo) {
  // Once per process image: libfiu's own flag makes later calls no-ops, and a forked child
  // inherits the initialised table (and every armed point) with the rest of memory.
  static const int init = fiu_init(0);
  if (init != 0) return false;
  Table& t = table();
  {
    std::lock_guard lock(t.m);
    t.points.insert_or_assign(name, Arming{std::max<std::uint64_t>(from, 1), count, 0, 0});
  }
  // Not under our lock: libfiu takes its write lock here, and decide() runs under its read lock.
  if (fiu_enable_external(name.c_str(), 1, reinterpret_cast<void*>(failinfo), 0, decide) != 0) {
    std::lock_guard lock(t.m);
    t.points.erase(name);
    return false;
  }
  return true;
}

std::uint64_t fired(const std::string& name) {
  Table& t = table();
  std::lock_guard lock(t.m);
  auto it = t.points.find(name);
  return it == t.points.end() ? 0 : it->second.fired;
}

}  // namespace ipch::faults
