// The mutants of each file, for register_mutants() (mutants.cpp).
#pragma once

#include <vector>

#include "channel.hpp"

namespace ipch::mutants {

std::vector<const Mechanism*> stream_mutants();  // stream_mutants.cpp
std::vector<const Mechanism*> other_mutants();   // other_mutants.cpp

}  // namespace ipch::mutants
