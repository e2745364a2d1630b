// What a checker reports: one violation of the contract, by kind, with the evidence a user needs
// to find it in history.jsonl (message ids as "sender S seq Q", sizes, offsets, the worker).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "history.hpp"

namespace ipch {

// The kinds, spelt once: tests, mutants and users match on these words.
namespace kinds {
inline constexpr std::string_view lost = "lost";
inline constexpr std::string_view duplicated = "duplicated";
inline constexpr std::string_view unexpected = "unexpected";
inline constexpr std::string_view reordered = "reordered";
inline constexpr std::string_view corrupted = "corrupted";
inline constexpr std::string_view boundary = "boundary";
inline constexpr std::string_view torn = "torn";
inline constexpr std::string_view liveness = "liveness";
inline constexpr std::string_view leaked = "leaked";
// An external program broke the check protocol (no ready frame, a malformed frame, an early
// exit, SIGTERM ignored): names the program and what it did.
inline constexpr std::string_view protocol = "protocol";
}  // namespace kinds

struct Violation {
  std::string kind;
  std::string detail;
  // The messages it names, when it names any (lost, duplicated, unexpected, reordered, a damaged
  // receipt whose header still names its message): what a timeline highlights. The detail says
  // the same in words; nothing parses it.
  std::vector<MessageId> messages;
};

// {"kind", "detail"}, and "messages": [{"link", "sender", "seq"}...] iff it names any.
nlohmann::json to_json(const Violation& v);

// Collects violations, listing the first `per_kind` of each kind one by one and counting the
// rest ("and 9980 more lost"): a run that loses 10,000 messages must read as examples and a
// count, not a wall of lines.
class Violations {
 public:
  explicit Violations(std::size_t per_kind = 20) : per_kind_(per_kind) {}
  void add(std::string_view kind, std::string detail);
  // The same, for a violation that names `messages`.
  void add(std::string_view kind, std::string detail, std::vector<MessageId> messages);
  // `n` more of `kind`, counted and never listed (a checker that kept only the first few).
  void add_unlisted(std::string_view kind, std::size_t n);
  // The listed violations, then one "and N more" line per kind that overflowed.
  std::vector<Violation> take();

 private:
  std::size_t per_kind_;
  std::vector<Violation> listed_;
  std::map<std::string, std::size_t, std::less<>> counts_;
};

// Evidence in the words every checker uses.
// "receiver-0 (pid 102)": the worker by role and pid, as ps and the diagnosis show it.
std::string who(const History& h, std::uint32_t worker);
// "sender 1 seq 7", with " (responses)" on the response link of request-response.
std::string message_id(std::uint32_t sender, std::uint64_t seq, std::uint8_t link = 0);
// "history.jsonl line N": where the evidence is, for a reader with the file.
std::string history_line(std::uint64_t line);
// The line of event `i` of an in-memory history written whole (line 1 is the header).
inline std::uint64_t event_line(std::size_t i) { return i + 2; }

}  // namespace ipch
