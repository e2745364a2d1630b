#include "cli_list.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "catalogue.hpp"
#include "registry.hpp"

namespace ipch::cli {

int list_mechanisms(std::ostream& out, bool json) {
  if (json) {
    auto arr = nlohmann::json::array();
    for (const Mechanism* m : registry::all()) {
      auto settings = nlohmann::json::object();
      for (const auto& s : m->settings) settings[s.name] = s.meaning;
      arr.push_back({{"name", m->name},
                     {"summary", m->summary},
                     {"contract", m->contract},
                     {"traits", m->traits},
                     {"settings", settings}});
    }
    out << nlohmann::json{{"mechanisms", arr}}.dump(2) << "\n";
    return 0;
  }
  for (const Mechanism* m : registry::all()) {
    const Contract& c = m->contract;
    out << fmt::format("{:<15} {}\n", m->name, m->summary);
    out << fmt::format("{:<15} {}, order {}, boundaries {}, atomic write {}, {}, {}\n", "", to_string(c.delivery),
                       to_string(c.ordering), c.boundaries ? "kept" : "not kept",
                       c.atomic_write_limit ? fmt::format("<= {} B", c.atomic_write_limit) : "whole message",
                       to_string(c.direction), c.outlives_creator ? "outlives its creator" : "dies with its users");
    out << fmt::format("{:<15} senders {}, receivers {}{}\n", "", c.many_senders ? "many" : "one",
                       c.many_receivers ? "many" : "one", c.sharing_note.empty() ? "" : " (" + c.sharing_note + ")");
    out << fmt::format("{:<15} {}\n", "", describe(m->traits));
    for (const auto& s : m->settings) out << fmt::format("{:<15} {}: {}\n", "", s.name, s.meaning);
    out << "\n";
  }
  return 0;
}

int list_faults(std::ostream& out, bool json) {
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& f : faults::mechanism_faults()) arr.push_back(faults::to_json(f));
    auto programs = nlohmann::json::array();
    for (const auto& f : faults::program_faults())
      if (f.act != faults::Act::none) programs.push_back({{"name", f.name}, {"how", f.how}, {"expected", f.expected}});
    out << nlohmann::json{{"faults", arr}, {"program_faults", programs}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& f : faults::mechanism_faults()) {
    std::string where;
    for (const auto& m : faults::where(f)) where += (where.empty() ? "" : ", ") + m;
    out << fmt::format("{:<17} {}\n{:<17} applies to: {} ({})\n{:<17} expected: {}\n", f.name, f.how, "", where,
                       f.applies_to, "", f.expected);
    for (const auto& p : f.params) out << fmt::format("{:<17} {}: {}\n", "", p.name, p.meaning);
    out << "\n";
  }
  out << "Faults for your own programs (ipc-harness check --fault F):\n\n";
  for (const auto& f : faults::program_faults()) {
    if (f.act == faults::Act::none) continue;
    out << fmt::format("{:<17} {}\n{:<17} expected: {}\n\n", f.name, f.how, "", f.expected);
  }
  return 0;
}

}  // namespace ipch::cli
