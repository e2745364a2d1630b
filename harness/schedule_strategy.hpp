// Who runs next: the strategies a controlled schedule chooses from (--schedule).
//
//   os                  no control: the kernel's scheduler decides (the default)
//   random              a random walk over the processes that can run
//   pct[:depth=D]       PCT: random priorities, D-1 priority change points over k steps, k
//                       learned from the schedule before (a depth-D bug is found with
//                       probability at least 1/(n k^(D-1)) per schedule)
//   dfs[:preemptions=P] every schedule with at most P preemptions, one per try, in order;
//                       the count explored is reported
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace ipch::schedule {

enum class Kind { os, random, pct, dfs };

struct Spec {
  Kind kind = Kind::os;
  unsigned depth = 3;        // pct
  unsigned preemptions = 2;  // dfs
  bool controlled() const { return kind != Kind::os; }
  // The canonical text parse() reads back: "os", "random", "pct:depth=3", "dfs:preemptions=2".
  std::string text() const;
};

// Returns the spec iff `text` names a strategy with valid parameters; else the one-line reason
// (the caller names the option).
Result<Spec> parse(std::string_view text, std::string* why);

// One choice the strategy may take: a task whose parked call can go on.
struct Option {
  std::uint32_t task;
  long nr;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // The index into `options` (never empty, in task order) to run at decision `step`; `last` is
  // the task that ran the decision before, if any.
  virtual std::size_t pick(std::span<const Option> options, std::uint64_t step, std::optional<std::uint32_t> last) = 0;
};

// Makes the strategy for each schedule tried of one case: the first, then the next after the one
// before ended (PCT learns k from it; DFS backtracks to its next unexplored branch).
class Explorer {
 public:
  Explorer(Spec spec, std::uint64_t seed);
  ~Explorer();
  // The strategy for schedule `attempt` (0, 1, ...); nullptr once DFS has explored every
  // schedule within its bound.
  std::unique_ptr<Strategy> next();
  // The schedule just run took `steps` decisions.
  void finished(std::uint64_t steps);
  std::uint64_t tried() const { return attempt_; }
  bool exhausted() const;

  struct Dfs;  // the search stack DFS keeps across schedules

 private:
  Spec spec_;
  std::uint64_t seed_;
  std::uint64_t attempt_ = 0;
  std::uint64_t k_ = 0;
  std::shared_ptr<Dfs> dfs_;
};

}  // namespace ipch::schedule
