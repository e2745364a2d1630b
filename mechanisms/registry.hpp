// Every mechanism, by name. Adding a mechanism: one file pair (its Link, Channel, Contract and
// Traits) and one registry line: an entry in registry.cpp's list for one of ours, or, from outside
// mechanisms/ (a test), `static const registry::Registrar r{&my_mechanism};` in the file pair's .cpp.
// Nothing else names it: faults, generators, bench and the adapter read its Contract and Traits.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "channel.hpp"

namespace ipch::registry {

// In the order `list mechanisms` prints them: ours, then those of Registrars in the order they ran.
std::span<const Mechanism* const> all();
// The mechanism called `name`, or nullptr. Finds added ones too.
const Mechanism* find(std::string_view name);
// Makes `m` findable by name in this process (and its forks) without listing it in all():
// how the tests' deliberately broken mechanisms (tests/mutants/) run through the real runner.
// Throws std::invalid_argument iff its traits are incomplete or the name is taken.
void add(const Mechanism* m);

// Lists `m` in all() (and so in `list mechanisms`, `--mechanism all` and every fault's
// applicability) from a static object in any file linked into the program. Throws as add().
struct Registrar {
  explicit Registrar(const Mechanism* m);
};
// "pipe, fifo, ...": for errors that must name the valid choices.
std::string names();

// Parses "capacity=65536,message_size=8192,blocking=false" (any subset, any order; sizes take
// K/M suffixes). Returns the settings iff every key is known and every value parses; else one
// line naming the bad part and the valid form.
std::expected<Settings, std::string> parse_settings(std::string_view text);

}  // namespace ipch::registry
