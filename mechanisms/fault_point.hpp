// The mechanisms' side of the libfiu fault points: how a point is named, asked and read. Which
// points exist and what each does is faults/points.hpp; this layer only carries them out, so it
// needs nothing of faults/.
//
// Cost when nothing is armed: one fiu_fail() per point passed, a read-locked hash lookup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ipch::fault_point {

// failinfo of a lock-held point that stops the process (SIGSTOP) while it holds the lock.
constexpr std::uintptr_t kStopHere = ~std::uintptr_t{0};

// "ipch/<scope>/<what>": scope is a mechanism name or "sys".
std::string name(std::string_view scope, std::string_view what);

// True iff the point fired at this hit; then info() is its failinfo (same thread, no other
// point asked in between).
bool fires(const char* point);
inline bool fires(const std::string& point) {
  return fires(point.c_str());
}
std::uintptr_t info();

// The errno a fired send/receive point returns: failinfo, or EIO if failinfo is 0 (an errno
// of 0 would read as success).
int error_number();

// Sleeps `us` microseconds (EINTR resumed): what lock and lock-held points do.
void pause_us(std::uintptr_t us);

// The names of one channel's send and receive points, built once at construction since
// fiu_fail looks points up by name on every message.
struct ChannelPoints {
  explicit ChannelPoints(std::string_view mechanism)
      : send(name(mechanism, "send")), receive(name(mechanism, "receive")) {}
  std::string send, receive;
};

}  // namespace ipch::fault_point
