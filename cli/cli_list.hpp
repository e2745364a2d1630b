// `ipc-harness list mechanisms [--json]`: each mechanism with its contract and settings.
#pragma once

#include <ostream>

namespace ipch::cli {

// Writes the listing. Returns the process exit code.
int list_mechanisms(std::ostream& out, bool json);
// `ipc-harness list faults [--json]`: each fault, where it applies, and what a correct mechanism does.
int list_faults(std::ostream& out, bool json);

}  // namespace ipch::cli
