#include "contract_spec.hpp"

#include <array>
#include <charconv>
#include <optional>

namespace ipch::external {
namespace {

constexpr std::uint32_t kMaxWindow = 1000000;
constexpr const char* kChoices = "reliable, lossy, fifo, unordered, boundaries, bytes, eof, restart, no-restart, window=N";

// Each pair: its two words, the first the default. Which one was given, and where, is kept so
// that a conflict names both words as the user wrote them.
enum Pair { delivery, ordering, boundaries, restart, kPairs };
const std::array<std::array<std::string_view, 2>, kPairs> kWords = {{
    {"reliable", "lossy"},
    {to_string(Ordering::fifo), "unordered"},  // the contract's own word for one order
    {"boundaries", "bytes"},
    {"restart", "no-restart"},
}};

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view w) {
  return "'" + std::string(w) + "'";
}

}  // namespace

std::expected<ProgramContract, std::string> parse_contract(std::string_view list) {
  if (trim(list).empty()) {
    return std::unexpected(std::string("the contract is empty: give a comma list of ") + kChoices + ", e.g. " +
                           kDefaultContract);
  }
  std::array<std::optional<std::size_t>, kPairs> chosen;  // index into kWords[pair]
  bool eof = false;
  std::optional<std::uint32_t> window;
  std::size_t position = 0;
  while (true) {
    ++position;
    std::size_t comma = list.find(',');
    std::string_view word = trim(list.substr(0, comma));
    if (word.empty()) {
      return std::unexpected("contract word " + std::to_string(position) +
                             " is empty (two commas in a row, or a comma at an end): remove the extra comma");
    }
    bool known = false;
    for (int p = 0; p < kPairs && !known; ++p) {
      for (std::size_t k = 0; k < 2; ++k) {
        if (word != kWords[p][k]) continue;
        known = true;
        if (chosen[p] == k) return std::unexpected("contract word " + quoted(word) + " appears twice: give it once");
        if (chosen[p]) {
          return std::unexpected("contract words " + quoted(kWords[p][*chosen[p]]) + " and " + quoted(word) +
                                 " contradict each other: choose one of them");
        }
        chosen[p] = k;
      }
    }
    if (known) {
      // taken above
    } else if (word == "eof") {
      if (eof) return std::unexpected("contract word 'eof' appears twice: give it once");
      eof = true;
    } else if (word.starts_with("window=")) {
      if (window) return std::unexpected("contract word " + quoted(word) + ": window is given twice: give it once");
      std::string_view digits = word.substr(7);
      std::uint32_t n = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > kMaxWindow) {
        return std::unexpected("contract word " + quoted(word) + ": N of window=N must be a whole number from 1 to " +
                               std::to_string(kMaxWindow) +
                               " (how many messages a receiver may hold before writing them out)");
      }
      window = n;
    } else {
      return std::unexpected("contract word " + quoted(word) + " is not one of: " + kChoices);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }

  ProgramContract pc;
  pc.contract.delivery = chosen[delivery].value_or(0) == 0 ? Delivery::reliable : Delivery::lossy;
  pc.contract.ordering = chosen[ordering].value_or(0) == 0 ? Ordering::fifo : Ordering::none;
  pc.contract.boundaries = chosen[boundaries].value_or(0) == 0;
  pc.contract.end_of_stream = eof ? EndOfStream::after_close_or_death : EndOfStream::none;
  pc.eof = eof;
  pc.restart = chosen[restart] ? *chosen[restart] == 0 : !eof;
  pc.window = window.value_or(1);
  return pc;
}

std::string to_string(const ProgramContract& c) {
  std::string out;
  out += kWords[delivery][c.contract.delivery == Delivery::reliable ? 0 : 1];
  out += ',';
  out += kWords[ordering][c.contract.ordering == Ordering::fifo ? 0 : 1];  // no per-priority/type here
  out += ',';
  out += kWords[boundaries][c.contract.boundaries ? 0 : 1];
  if (c.eof) out += ",eof";
  out += ',';
  out += kWords[restart][c.restart ? 0 : 1];
  out += ",window=" + std::to_string(c.window);
  return out;
}

}  // namespace ipch::external
