#include "schedule_strategy.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <random>
#include <set>

#include "seed.hpp"

namespace ipch::schedule {

std::string Spec::text() const {
  switch (kind) {
    case Kind::os: return "os";
    case Kind::random: return "random";
    case Kind::pct: return "pct:depth=" + std::to_string(depth);
    case Kind::dfs: return "dfs:preemptions=" + std::to_string(preemptions);
  }
  return "os";
}

Result<Spec> parse(std::string_view text, std::string* why) {
  auto fail = [&](std::string w) -> Result<Spec> {
    if (why) *why = std::move(w);
    return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  };
  Spec s;
  auto colon = text.find(':');
  std::string_view name = text.substr(0, colon), params = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (name == "os") s.kind = Kind::os;
  else if (name == "random") s.kind = Kind::random;
  else if (name == "pct") s.kind = Kind::pct;
  else if (name == "dfs") s.kind = Kind::dfs;
  else return fail("unknown strategy '" + std::string(name) + "'; use os, random, pct[:depth=D] or dfs[:preemptions=P]");
  if (colon != std::string_view::npos) {
    std::string_view key = s.kind == Kind::pct ? "depth" : s.kind == Kind::dfs ? "preemptions" : "";
    if (key.empty()) return fail("'" + std::string(name) + "' takes no parameters");
    auto eq = params.find('=');
    if (eq == std::string_view::npos || params.substr(0, eq) != key)
      return fail("'" + std::string(name) + "' takes " + std::string(key) + "=N, not '" + std::string(params) + "'");
    unsigned v = 0;
    auto value = params.substr(eq + 1);
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    unsigned lo = s.kind == Kind::pct ? 1 : 0, hi = s.kind == Kind::pct ? 10 : 8;
    if (ec != std::errc() || p != value.data() + value.size() || v < lo || v > hi)
      return fail(std::string(key) + " must be a whole number in " + std::to_string(lo) + ".." + std::to_string(hi) +
                  ", not '" + std::string(value) + "'");
    (s.kind == Kind::pct ? s.depth : s.preemptions) = v;
  }
  return s;
}

namespace {

class RandomWalk : public Strategy {
 public:
  explicit RandomWalk(std::uint64_t seed) : rng_(seed) {}
  std::size_t pick(std::span<const Option> options, std::uint64_t, std::optional<std::uint32_t>) override {
    return std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng_);
  }

 private:
  std::mt19937_64 rng_;
};

// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).
class Pct : public Strategy {
 public:
  Pct(std::uint64_t seed, unsigned depth, std::uint64_t k) : rng_(seed), depth_(depth) {
    std::uniform_int_distribution<std::uint64_t> at(1, std::max<std::uint64_t>(k, 1));
    for (unsigned i = 1; i < depth; ++i) change_[at(rng_)] = depth - i;  // lower than every initial priority
  }
  std::size_t pick(std::span<const Option> options, std::uint64_t step, std::optional<std::uint32_t> last) override {
    for (const auto& o : options)
      if (!priority_.count(o.task)) priority_[o.task] = depth_ + 1 + std::uniform_int_distribution<std::uint64_t>(0, 1u << 30)(rng_);
    if (auto c = change_.find(step); c != change_.end() && last) priority_[*last] = c->second;
    std::size_t best = 0;
    for (std::size_t i = 1; i < options.size(); ++i)
      if (priority_[options[i].task] > priority_[options[best].task]) best = i;
    return best;
  }

 private:
  std::mt19937_64 rng_;
  unsigned depth_;
  std::map<std::uint64_t, std::uint64_t> change_;  // step -> the priority the running task drops to
  std::map<std::uint32_t, std::uint64_t> priority_;
};

}  // namespace

// Depth-first search over the choices, bounded by preemptions (CHESS, Musuvathi & Qadeer 2007).
// The stack holds, per decision of the last schedule, the options seen, the choice taken and the
// choices already explored there; the next schedule follows it and then runs without preempting.
struct Explorer::Dfs {
  struct Frame {
    std::vector<std::uint32_t> options;
    std::optional<std::uint32_t> last;
    std::uint32_t chosen = 0;
    unsigned preemptions = 0;  // before this decision
    std::set<std::uint32_t> tried;
  };
  unsigned bound = 2;
  std::vector<Frame> stack;
  bool exhausted = false;

  bool preempts(const Frame& f, std::uint32_t task) const {
    return f.last && task != *f.last && std::find(f.options.begin(), f.options.end(), *f.last) != f.options.end();
  }
  // After a schedule: the deepest decision with an unexplored choice in bound becomes the branch.
  void backtrack() {
    while (!stack.empty()) {
      Frame& f = stack.back();
      for (auto t : f.options) {
        if (f.tried.count(t) || f.preemptions + preempts(f, t) > bound) continue;
        f.chosen = t;
        f.tried.insert(t);
        return;
      }
      stack.pop_back();
    }
    exhausted = true;
  }
};

namespace {

class DfsWalk : public Strategy {
 public:
  explicit DfsWalk(std::shared_ptr<Explorer::Dfs> d) : d_(std::move(d)) {}
  // `step` counts every decision; the stack counts the ones given to this strategy (the
  // supervisor takes some itself, for fairness among pollers).
  std::size_t pick(std::span<const Option> options, std::uint64_t, std::optional<std::uint32_t> last) override {
    const std::uint64_t step = picks_++;
    auto& st = d_->stack;
    auto index_of = [&](std::uint32_t task) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < options.size(); ++i)
        if (options[i].task == task) return i;
      return std::nullopt;
    };
    if (step < st.size()) {
      if (auto i = index_of(st[step].chosen)) return *i;
      st.resize(step);  // this run went elsewhere: explore from here anew
    }
    if (step > st.size()) return 0;  // decisions were skipped (never: one pick per step)
    Explorer::Dfs::Frame f;
    for (const auto& o : options) f.options.push_back(o.task);
    f.last = last;
    f.preemptions = st.empty() ? 0 : st.back().preemptions + d_->preempts(st.back(), st.back().chosen);
    // Without a preemption: the task that ran last, if it can; else the first.
    std::size_t i = 0;
    if (last)
      if (auto j = index_of(*last)) i = *j;
    f.chosen = options[i].task;
    f.tried.insert(f.chosen);
    st.push_back(std::move(f));
    return i;
  }

 private:
  std::shared_ptr<Explorer::Dfs> d_;
  std::uint64_t picks_ = 0;
};

}  // namespace

Explorer::Explorer(Spec spec, std::uint64_t seed) : spec_(spec), seed_(seed) {
  if (spec_.kind == Kind::dfs) {
    dfs_ = std::make_shared<Dfs>();
    dfs_->bound = spec_.preemptions;
  }
}

Explorer::~Explorer() = default;

bool Explorer::exhausted() const { return dfs_ && dfs_->exhausted; }

std::unique_ptr<Strategy> Explorer::next() {
  std::uint64_t seed = derive_seed(seed_, "schedule-" + std::to_string(attempt_));
  ++attempt_;
  switch (spec_.kind) {
    case Kind::os: return nullptr;
    case Kind::random: return std::make_unique<RandomWalk>(seed);
    case Kind::pct: return std::make_unique<Pct>(seed, spec_.depth, k_ ? k_ : 1000);
    case Kind::dfs:
      if (dfs_->exhausted) return nullptr;
      return std::make_unique<DfsWalk>(dfs_);
  }
  return nullptr;
}

void Explorer::finished(std::uint64_t steps) {
  k_ = std::max<std::uint64_t>(steps, 1);
  if (dfs_) dfs_->backtrack();
}

}  // namespace ipch::schedule
