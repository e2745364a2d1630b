// The schedule's pure parts: the recorded steps' text (encode/decode), the --schedule spec
// (parse/text) and the strategies the Explorer hands out (DFS exhaustion, PCT determinism).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "schedule_strategy.hpp"
#include "schedule_trace.hpp"

namespace ipch::schedule {
namespace {

std::string base64(const std::vector<std::uint8_t>& bytes) { return to_base64(bytes); }

TEST(ScheduleTrace, EmptyRoundTrip) {
  EXPECT_EQ(encode({}), "");
  auto d = decode("");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->empty());
}

TEST(ScheduleTrace, RandomStepsRoundTrip) {
  std::mt19937_64 rng(20261203);
  std::uniform_int_distribution<std::uint32_t> task(0, 1'000'000), nr(0, 10'000), kind(0, 3), len(0, 300);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<Step> steps(len(rng));
    for (auto& s : steps) s = {task(rng), nr(rng), static_cast<StepKind>(kind(rng))};
    auto text = encode(steps);
    auto back = decode(text);
    ASSERT_TRUE(back.has_value()) << "trial " << trial << ": " << text;
    ASSERT_EQ(*back, steps) << "trial " << trial;
  }
}

TEST(ScheduleTrace, ExtremesAndEveryKindRoundTrip) {
  std::vector<Step> steps;
  for (std::uint32_t k = 0; k < 4; ++k)
    for (std::uint32_t t : {0u, 1u, 127u, 128u, 1'000'000u})
      for (std::uint32_t n : {0u, 1u, 127u, 128u, 10'000u})
        steps.push_back({t, n, static_cast<StepKind>(k)});
  auto back = decode(encode(steps));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, steps);
}

TEST(ScheduleTrace, RejectsCharactersOutsideTheAlphabet) {
  auto good = encode({{1, 2, StepKind::run}, {0, 202, StepKind::wake}, {3, 9, StepKind::harness}});
  ASSERT_TRUE(decode(good).has_value());
  for (const std::string& bad : std::vector<std::string>{"!!!", "AB=", "A B", "AB\n", "-_", std::string("A\0B", 3), "\xc3\xa9"}) {
    EXPECT_FALSE(decode(bad).has_value()) << "accepted '" << bad << "'";
  }
  for (char c : {'!', '=', '.', '-', '_', ' ', '*'}) {
    std::string t = good;
    t[t.size() / 2] = c;
    EXPECT_FALSE(decode(t).has_value()) << "accepted " << t;
  }
}

TEST(ScheduleTrace, RejectsATruncatedVarint) {
  // A lone continuation byte: the first varint never ends.
  EXPECT_FALSE(decode(base64({0x80})).has_value());
  // A step's first varint but no second.
  EXPECT_FALSE(decode(base64({0x04})).has_value());
  // A whole step, then a second whose nr varint is cut after its continuation byte.
  EXPECT_FALSE(decode(base64({0x04, 0x02, 0x08, 0xff})).has_value());
  // The same bytes without the cut decode.
  auto ok = decode(base64({0x04, 0x02, 0x08, 0x7f}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, (std::vector<Step>{{1, 2, StepKind::run}, {2, 127, StepKind::run}}));
  // Cutting an encoded multi-byte step short is refused, never misread as fewer steps.
  auto text = encode({{1'000'000, 10'000, StepKind::timeout}});
  auto whole = decode(text);
  ASSERT_TRUE(whole.has_value());
  ASSERT_EQ(whole->size(), 1u);
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    auto d = decode(text.substr(0, cut));
    EXPECT_TRUE(!d.has_value() || d->empty()) << "cut to " << cut << " characters gave " << d->size() << " steps";
    if (cut >= 2) {
      EXPECT_FALSE(d.has_value()) << "cut to " << cut << " characters accepted";
    }
  }
}

TEST(ScheduleSpec, ParsesTheStrategiesWithCanonicalText) {
  struct Case {
    const char* in;
    Kind kind;
    const char* text;
  };
  for (auto c : {Case{"os", Kind::os, "os"}, Case{"random", Kind::random, "random"},
                 Case{"pct", Kind::pct, "pct:depth=3"}, Case{"pct:depth=5", Kind::pct, "pct:depth=5"},
                 Case{"pct:depth=1", Kind::pct, "pct:depth=1"}, Case{"pct:depth=10", Kind::pct, "pct:depth=10"},
                 Case{"dfs", Kind::dfs, "dfs:preemptions=2"}, Case{"dfs:preemptions=0", Kind::dfs, "dfs:preemptions=0"},
                 Case{"dfs:preemptions=8", Kind::dfs, "dfs:preemptions=8"}}) {
    std::string why;
    auto s = parse(c.in, &why);
    ASSERT_TRUE(s.has_value()) << c.in << ": " << why;
    EXPECT_EQ(s->kind, c.kind) << c.in;
    EXPECT_EQ(s->text(), c.text) << c.in;
    EXPECT_EQ(s->controlled(), c.kind != Kind::os) << c.in;
    // The canonical text reads back as the same spec.
    auto again = parse(s->text(), nullptr);
    ASSERT_TRUE(again.has_value()) << s->text();
    EXPECT_EQ(again->text(), s->text());
  }
  EXPECT_EQ(parse("pct:depth=5", nullptr)->depth, 5u);
  EXPECT_EQ(parse("dfs:preemptions=0", nullptr)->preemptions, 0u);
}

TEST(ScheduleSpec, RejectsBadSpecsWithAReason) {
  for (const char* bad : {"pct:depth=0", "pct:depth=11", "dfs:preemptions=9", "random:x=1", "fast", "pct:depth=",
                          "pct:depth=3x", "", "PCT", "os:depth=1", "pct:preemptions=2", "dfs:depth=2",
                          "pct:depth=-1", "dfs:preemptions= 1", "pct:depth"}) {
    std::string why;
    auto s = parse(bad, &why);
    EXPECT_FALSE(s.has_value()) << "accepted '" << bad << "'";
    EXPECT_FALSE(why.empty()) << "no reason for '" << bad << "'";
    EXPECT_EQ(why.find('\n'), std::string::npos) << "reason for '" << bad << "' is not one line: " << why;
  }
  EXPECT_FALSE(parse("fast", nullptr).has_value());  // a null reason pointer is allowed
}

// Drives DFS schedules of `steps` decisions, each offering tasks 0 and 1, `last` being the task
// picked the decision before; returns the schedules taken, each as the picked tasks in order.
std::vector<std::vector<std::uint32_t>> dfs_schedules(unsigned preemptions, unsigned steps, unsigned limit = 1000) {
  std::string why;
  auto spec = parse("dfs:preemptions=" + std::to_string(preemptions), &why);
  EXPECT_TRUE(spec.has_value()) << why;
  Explorer explorer(*spec, 42);
  std::vector<std::vector<std::uint32_t>> out;
  const std::vector<Option> options{{0, 1}, {1, 1}};
  while (out.size() < limit) {
    auto strategy = explorer.next();
    if (!strategy) break;
    EXPECT_FALSE(explorer.exhausted());
    std::vector<std::uint32_t> picks;
    std::optional<std::uint32_t> last;
    for (unsigned s = 0; s < steps; ++s) {
      auto i = strategy->pick(options, s, last);
      EXPECT_LT(i, options.size());
      picks.push_back(options[i].task);
      last = options[i].task;
    }
    explorer.finished(steps);
    out.push_back(picks);
  }
  return out;
}

// With both tasks always able to run, a switch between consecutive decisions is a preemption
// (the first decision has no task before it and is free). Over 3 decisions: 2 schedules without
// a switch (000, 111), 4 with one (001, 011, 110, 100), 2 with two (010, 101).
TEST(ScheduleExplorer, DfsWithoutPreemptionsExploresTwoSchedulesThenIsExhausted) {
  auto got = dfs_schedules(0, 3);
  EXPECT_EQ(got, (std::vector<std::vector<std::uint32_t>>{{0, 0, 0}, {1, 1, 1}}));
}

TEST(ScheduleExplorer, DfsWithOnePreemptionExploresSixSchedules) {
  auto got = dfs_schedules(1, 3);
  ASSERT_EQ(got.size(), 6u);
  std::set<std::vector<std::uint32_t>> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 6u) << "a schedule was explored twice";
  EXPECT_EQ(distinct, (std::set<std::vector<std::uint32_t>>{{0, 0, 0}, {0, 0, 1}, {0, 1, 1}, {1, 1, 1}, {1, 1, 0},
                                                              {1, 0, 0}}));
  EXPECT_EQ(got.front(), (std::vector<std::uint32_t>{0, 0, 0}));  // without a preemption first
}

TEST(ScheduleExplorer, DfsWithTwoPreemptionsExploresAllEight) {
  auto got = dfs_schedules(2, 3);
  ASSERT_EQ(got.size(), 8u);
  std::set<std::vector<std::uint32_t>> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 8u);
}

TEST(ScheduleExplorer, DfsStaysExhaustedAndCountsTries) {
  std::string why;
  Explorer explorer(*parse("dfs:preemptions=0", &why), 7);
  const std::vector<Option> options{{0, 1}, {1, 1}};
  unsigned schedules = 0;
  while (auto s = explorer.next()) {
    std::optional<std::uint32_t> last;
    for (unsigned step = 0; step < 3; ++step) last = options[s->pick(options, step, last)].task;
    explorer.finished(3);
    ++schedules;
    ASSERT_LT(schedules, 100u);
  }
  EXPECT_EQ(schedules, 2u);
  EXPECT_TRUE(explorer.exhausted());
  EXPECT_EQ(explorer.next(), nullptr);
  EXPECT_TRUE(explorer.exhausted());
}

TEST(ScheduleExplorer, OsHasNoStrategyAndOthersNeverExhaust) {
  Explorer os(*parse("os", nullptr), 1);
  EXPECT_EQ(os.next(), nullptr);
  EXPECT_FALSE(os.exhausted());
  for (const char* name : {"random", "pct"}) {
    Explorer e(*parse(name, nullptr), 1);
    for (int i = 0; i < 20; ++i) {
      ASSERT_NE(e.next(), nullptr) << name;
      e.finished(10);
    }
    EXPECT_FALSE(e.exhausted()) << name;
    EXPECT_EQ(e.tried(), 20u) << name;
  }
}

// The picks of `strategy` over `steps` decisions among tasks 0..n-1, last = the task picked before.
std::vector<std::size_t> picks(Strategy& strategy, unsigned n, unsigned steps) {
  std::vector<Option> options;
  for (std::uint32_t t = 0; t < n; ++t) options.push_back({t, 0});
  std::vector<std::size_t> out;
  std::optional<std::uint32_t> last;
  for (unsigned s = 0; s < steps; ++s) {
    auto i = strategy.pick(options, s, last);
    EXPECT_LT(i, options.size());
    out.push_back(i);
    last = options[i].task;
  }
  return out;
}

TEST(ScheduleExplorer, PctDepthOneAlwaysPicksTheSameTask) {
  for (std::uint64_t seed : {1u, 2u, 3u, 99u, 123456789u}) {
    Explorer e(*parse("pct:depth=1", nullptr), seed);
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto s = e.next();
      ASSERT_NE(s, nullptr);
      auto p = picks(*s, 3, 200);
      for (auto i : p) ASSERT_EQ(i, p.front()) << "seed " << seed << " attempt " << attempt << ": no change point, yet the task changed";
      e.finished(200);
    }
  }
}

TEST(ScheduleExplorer, EqualSeedsMakeEqualPicks) {
  for (const char* name : {"random", "pct", "pct:depth=1", "pct:depth=5", "dfs:preemptions=1"}) {
    Explorer a(*parse(name, nullptr), 77), b(*parse(name, nullptr), 77);
    for (int attempt = 0; attempt < 6; ++attempt) {
      auto sa = a.next(), sb = b.next();
      ASSERT_EQ(sa == nullptr, sb == nullptr) << name;
      if (!sa) break;
      EXPECT_EQ(picks(*sa, 4, 50), picks(*sb, 4, 50)) << name << " attempt " << attempt;
      a.finished(50);
      b.finished(50);
    }
  }
}

TEST(ScheduleExplorer, RandomSeedsDiffer) {
  // Not a property of the product's contract, a sanity check that the seed is used at all.
  Explorer a(*parse("random", nullptr), 1), b(*parse("random", nullptr), 2);
  auto sa = a.next(), sb = b.next();
  EXPECT_NE(picks(*sa, 4, 64), picks(*sb, 4, 64));
}

}  // namespace
}  // namespace ipch::schedule
