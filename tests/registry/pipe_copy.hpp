// pipe-copy: pipe's code under another name, defined only in the tests. It shows that a new
// mechanism is one file pair and one registry line (the Registrar in pipe_copy.cpp): nothing
// outside this pair names it, and faults, generators and `run --cases` treat it as pipe.
#pragma once

#include "channel.hpp"

namespace ipch::test {
const Mechanism& pipe_copy_mechanism();
}
