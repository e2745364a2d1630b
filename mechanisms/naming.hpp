// Names of kernel objects and folders: every one carries the prefix ipch-<pid>-<n>, so that
// a leftover can be traced to its run and removed once that run is dead.
#pragma once

#include <string>

#include "result.hpp"

namespace ipch::naming {

constexpr const char* kPrefix = "ipch";

// "ipch-<pid>-<n>", unique within this process and, by the pid, across live processes.
std::string next_name();

// Creates a private folder (0700) /tmp/ipch-<pid>-<n> (under $TMPDIR when set) for
// path-named objects: FIFOs and socket files. Returns its path.
Result<std::string> make_folder();

// Removes a folder made by make_folder() and whatever is left in it. Never follows links.
void remove_folder(const std::string& path);

}  // namespace ipch::naming
