// Every mechanism, by name. Adding a mechanism: one file pair and one line in registry.cpp.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "channel.hpp"

namespace ipch::registry {

// In the order `list mechanisms` prints them.
std::span<const Mechanism* const> all();
// The mechanism called `name`, or nullptr. Finds added ones too.
const Mechanism* find(std::string_view name);
// Makes `m` findable by name in this process (and its forks) without listing it in all():
// how the tests' deliberately broken mechanisms (tests/mutants/) run through the real runner.
void add(const Mechanism* m);
// "pipe, fifo, ...": for errors that must name the valid choices.
std::string names();

// Parses "capacity=65536,message_size=8192,blocking=false" (any subset, any order; sizes take
// K/M suffixes). Returns the settings iff every key is known and every value parses; else one
// line naming the bad part and the valid form.
std::expected<Settings, std::string> parse_settings(std::string_view text);

}  // namespace ipch::registry
