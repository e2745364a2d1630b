// What the adapter's parts share; not installed.
#pragma once

#include <string>

#include "channel.hpp"

namespace ipch::adapter {

// A user's mechanism resolves its faults as this built-in one does: the one whose faults are
// exactly those the runner injects from outside (signals, buffer sizing, the errno points the
// adapter asks for the user): kill-receiver, kill-sender, stop, full-buffer, eintr, errno.
// The parameters that depend on the mechanism (restart, capacity) the adapter sets itself.
inline constexpr const char* kKin = "unix-seqpacket";

// The user's mechanism registered under `name` by register_mechanism, or nullptr.
const Mechanism* find_registered(const std::string& name);
// Whether `m` lists `setting` among those it honours.
bool honours(const Mechanism& m, const std::string& setting);

}  // namespace ipch::adapter
