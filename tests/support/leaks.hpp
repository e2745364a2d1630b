// What a test left on the machine: every kernel object or folder this process (the creator of
// every Link in the unit tests) made and did not remove, as found by the kernel, not by our
// own bookkeeping alone.
#pragma once

#include <string>
#include <vector>

namespace ipch::test {

// One line per leftover: "/dev/shm/ipch-12-3", "sysv-msg key 0x1234abcd", "live record ...".
std::vector<std::string> leftovers();

}  // namespace ipch::test
