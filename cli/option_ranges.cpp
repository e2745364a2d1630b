#include "option_ranges.hpp"

#include "schedule_strategy.hpp"

#include <fmt/format.h>

#include <charconv>

#include "claims_catalogue.hpp"
#include "registry.hpp"

namespace ipch::cli {

namespace {

bool digits(std::string_view t) { return !t.empty() && t.find_first_not_of("0123456789") == t.npos; }

// True iff `text` reads as an integer, however large or negative: such a value is out of range,
// anything else is not a number at all.
bool integer(std::string_view text) { return digits(text) || (text.starts_with('-') && digits(text.substr(1))); }

// The text as the refusal quotes it: a hostile value may be empty or very long.
std::string shown(const std::string& text) {
  std::string t = text.size() > 40 ? text.substr(0, 40) + "..." : text;
  return integer(text) ? t : "'" + t + "'";
}

}  // namespace

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

CLI::Validator in_range(std::uint64_t lo, std::uint64_t hi, const std::string& why) {
  std::string range = fmt::format("{}..{}", lo, hi);
  return CLI::Validator(
      [lo, hi, range, why](std::string& text) -> std::string {
        auto v = parse_decimal(text);
        if (v && *v >= lo && *v <= hi) {
          text = std::to_string(*v);  // else CLI11 reads a leading 0 as octal: 010 would be 8
          return {};
        }
        if (integer(text)) return fmt::format("{} is not in {}; {}", shown(text), range, why);
        return fmt::format("{} is not a whole number in {}; {}", shown(text), range, why);
      },
      range);
}

CLI::Validator schedule_spec() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string why;
        auto s = schedule::parse(text, &why);
        if (!s) return why;
        text = s->text();
        return {};
      },
      "os|random|pct[:depth=D]|dfs[:preemptions=P]");
}

CLI::Validator seed_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (auto v = parse_decimal(text)) {
          text = std::to_string(*v);  // else CLI11 reads a leading 0 as octal: 010 would be 8
          return {};
        }
        return fmt::format("{} is not a seed: give a whole number in 0..{} (plain decimal, as printed by a run)",
                           shown(text), UINT64_MAX);
      },
      fmt::format("0..{}", UINT64_MAX));
}

CLI::Validator shard_form() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto slash = text.find('/');
        if (slash != std::string::npos) {
          auto i = parse_decimal(std::string_view(text).substr(0, slash));
          auto n = parse_decimal(std::string_view(text).substr(slash + 1));
          if (i && n && *n >= 1 && *n <= kMaxShards && *i < *n) return {};
        }
        return fmt::format("{} is not i/n with 0 <= i < n <= {}; e.g. 0/4 ... 3/4 on four machines", shown(text),
                           kMaxShards);
      },
      "i/n");
}

CLI::Validator claim_ids() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string_view rest = text;
        bool any = false;
        while (true) {
          auto comma = rest.find(',');
          std::string_view id = rest.substr(0, comma);
          if (!id.empty()) {
            if (!claims::find(id))
              return fmt::format("'{}' is not a claim; use ids from: {}", std::string(id), claims::ids());
            any = true;
          }
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
        if (!any) return fmt::format("{} names no claim; give ids from: {}", shown(text), claims::ids());
        return {};
      },
      "IDS");
}

CLI::Validator mechanism_name(bool all_too) {
  return CLI::Validator(
      [all_too](std::string& text) -> std::string {
        if ((all_too && text == "all") || registry::find(text)) return {};
        return fmt::format("{} is not a mechanism; use {}one of: {}", shown(text), all_too ? "all or " : "",
                           registry::names());
      },
      "MECHANISM");
}

}  // namespace ipch::cli
