// What the adapter's parts share; not installed.
#pragma once

#include <string>

#include "channel.hpp"

namespace ipch::adapter {

// The traits of a user's mechanism, which the harness cannot see inside: send/receive points
// only (the adapter asks them on the user's behalf), capacities 4096 and 16384 in the user's
// unit, and a new receiver takes over after a kill iff the contract says the object outlives its
// creator and keeps boundaries. full-buffer's capacity is Options::full_buffer_capacity, set by
// check (fit_faults); the trait's own answer is only the default a resolve starts from.
Traits user_traits(const Contract& c);

// The user's mechanism registered under `name` by register_mechanism, or nullptr.
const Mechanism* find_registered(const std::string& name);
// Whether `m` lists `setting` among those it honours.
bool honours(const Mechanism& m, const std::string& setting);

}  // namespace ipch::adapter
