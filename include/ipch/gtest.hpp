// Your mechanism's checks as ordinary GoogleTest tests: one line per mechanism.
//
//   #include <ipch/gtest.hpp>
//   ipch::Mechanism my_pipe();                       // yours: name, contract, settings, create
//   IPCH_MECHANISM_SUITE(MyPipe, my_pipe());
//
// defines, for that mechanism,
//   MyPipe.Properties                       check_properties: generated cases without faults
//   MyPipe/MyPipeFaults.Holds/<fault>       check_fault, one test per fault of faults_for()
//                                           (kill_receiver, kill_sender, stop, full_buffer, eintr, errno)
// Each fails with the violations, the seed, and the command that replays the failing case.
// They are plain tests: --gtest_filter, GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX and ctest's
// gtest_discover_tests split them as any others.
//
//   IPCH_MECHANISM_SUITE_WITH(MyPipe, my_pipe(), ipch::adapter::Options{.cases = 5, .seed = 7});
//
// The mechanism expression is evaluated once, when GoogleTest registers the tests
// (InitGoogleTest), not during static initialisation.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "adapter.hpp"

namespace ipch::adapter {

// `r` as a test outcome: a failure with r.message() (and the replay command narrowed to the
// running test) iff it did not pass; a one-line note with the seed either way.
inline void expect_pass(CheckResult r) {
  const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
  if (t) {
    std::string filter = std::string(" --gtest_filter='") + t->test_suite_name() + "." + t->name() + "'";
    if (!r.replay.empty()) r.replay += filter;
    if (!r.rerun.empty()) r.rerun += filter;
  }
  std::printf("ipc-harness: %s, fault %s: %s in %llu case%s (seed %llu)\n", r.mechanism.c_str(), r.fault.c_str(),
              r.verdict.c_str(), static_cast<unsigned long long>(r.cases), r.cases == 1 ? "" : "s",
              static_cast<unsigned long long>(r.seed));
  if (!r.passed) ADD_FAILURE() << r.message();
}

namespace detail {
// A mechanism registered once per suite, lazily; a registration that throws fails every test of
// the suite with its message instead of aborting the binary.
struct Suite {
  std::string name;
  std::string error;
};
template <class Make>
const Suite& suite(Make make) {
  static const Suite s = [&] {
    try {
      return Suite{register_mechanism(make()), ""};
    } catch (const std::exception& e) {
      return Suite{"", e.what()};
    }
  }();
  return s;
}
// Every fault a mechanism of yours can get: the tests of a suite whose mechanism could not be
// registered still exist, and fail with the reason.
inline std::vector<std::string> suite_faults(const Suite& s) {
  if (!s.error.empty()) return faults_for_any_mechanism();
  return faults_for(s.name);
}
// A fault name with dashes becomes one with underscores (kill-sender: kill_sender): test names
// are identifiers.
inline std::string test_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string n = p.param;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}
}  // namespace detail

}  // namespace ipch::adapter

#define IPCH_MECHANISM_SUITE(SuiteName, mechanism) \
  IPCH_MECHANISM_SUITE_WITH(SuiteName, mechanism, ::ipch::adapter::Options{})

#define IPCH_MECHANISM_SUITE_WITH(SuiteName, mechanism, ...)                                                   \
  namespace {                                                                                                \
  const ::ipch::adapter::detail::Suite& SuiteName##_IpchSuite() {                                            \
    return ::ipch::adapter::detail::suite([] { return (mechanism); });                                       \
  }                                                                                                          \
  ::ipch::adapter::Options SuiteName##_IpchOptions() { return (__VA_ARGS__); }                               \
  }                                                                                                          \
  TEST(SuiteName, Properties) {                                                                              \
    const auto& s = SuiteName##_IpchSuite();                                                                 \
    ASSERT_TRUE(s.error.empty()) << s.error;                                                                 \
    ::ipch::adapter::expect_pass(::ipch::adapter::check_properties(s.name, SuiteName##_IpchOptions()));      \
  }                                                                                                          \
  class SuiteName##Faults : public ::testing::TestWithParam<std::string> {};                                 \
  TEST_P(SuiteName##Faults, Holds) {                                                                         \
    const auto& s = SuiteName##_IpchSuite();                                                                 \
    ASSERT_TRUE(s.error.empty()) << s.error;                                                                 \
    ::ipch::adapter::expect_pass(::ipch::adapter::check_fault(s.name, GetParam(), SuiteName##_IpchOptions())); \
  }                                                                                                          \
  INSTANTIATE_TEST_SUITE_P(SuiteName, SuiteName##Faults,                                                     \
                           ::testing::ValuesIn(::ipch::adapter::detail::suite_faults(SuiteName##_IpchSuite())), \
                           ::ipch::adapter::detail::test_name)
