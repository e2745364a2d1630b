// What `ps` and `pgrep -f` show for a forked worker: "ipc-harness worker sender-0 (runner 123)"
// instead of its runner's command line, so a person at 3 a.m. can tell them apart.
#pragma once

#include <string>

namespace ipch::title {

// Call first thing in main(): remembers where the kernel keeps the command line.
void init(int argc, char** argv);
// Rewrites the command line in place (truncated to the space the original had).
void set(const std::string& title);
// argv[0], as the binary was started.
const std::string& program();

}  // namespace ipch::title
