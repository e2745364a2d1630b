// A scenario is its seed: the JSON round trip is exact, and one seed gives byte-identical
// scenarios, message sizes and payloads.
#include <gtest/gtest.h>

#include "envelope.hpp"
#include "reproducer.hpp"
#include "scenario.hpp"
#include "seed.hpp"

namespace ipch {
namespace {

Scenario sample(std::uint64_t seed) {
  Scenario s;
  s.seed = seed;
  s.mechanism = "posix-mq";
  s.settings.capacity = 8;
  s.settings.blocking = false;
  s.workload = {WorkloadKind::request_response, 1, 1, 777, 5000, 16};
  s.stall_ms = 1234;
  return s;
}

TEST(Scenario, JsonRoundTripIsExact) {
  for (std::uint64_t seed : {0ULL, 7ULL, 0xffffffffffffffffULL}) {
    Scenario s = sample(seed);
    auto j = to_json(s);
    auto back = scenario_from_json(nlohmann::json::parse(j.dump()));
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(to_json(*back), j);
    EXPECT_EQ(back->seed, seed);
    EXPECT_EQ(back->settings.capacity, 8u);
    EXPECT_FALSE(back->settings.message_size);
    EXPECT_EQ(back->workload.depth, 16u);
  }
}

TEST(Scenario, OneSeedGivesByteIdenticalScenariosAndPayloads) {
  Scenario a = sample(42), b = sample(42), c = sample(43);
  EXPECT_EQ(to_json(a).dump(), to_json(b).dump());
  std::vector<std::byte> pa, pb, pc;
  bool differs = false;
  for (std::uint64_t seq = 0; seq < 200; ++seq) {
    std::size_t sa = a.message_size(1, seq, 5000), sb = b.message_size(1, seq, 5000);
    ASSERT_EQ(sa, sb);
    make_envelope(a.payload_seed(), 1, seq, sa, pa);
    make_envelope(b.payload_seed(), 1, seq, sb, pb);
    ASSERT_EQ(pa, pb) << "seq " << seq;
    make_envelope(c.payload_seed(), 1, seq, sa, pc);
    differs |= pa != pc;
  }
  EXPECT_TRUE(differs) << "another seed gave the same bytes";
}

TEST(Scenario, SizesStayInsideTheEnvelopeAndTheCapAndReachBoth) {
  Scenario s = sample(9);
  bool min = false, max = false;
  for (std::uint64_t seq = 0; seq < 1000; ++seq) {
    auto n = s.message_size(0, seq, 4096);
    ASSERT_GE(n, kEnvelopeSize);
    ASSERT_LE(n, 4096u);
    min |= n == kEnvelopeSize;
    max |= n == 4096;
  }
  EXPECT_TRUE(min && max);
}

TEST(Scenario, SubSeedsAreUnrelatedToEachOther) {
  EXPECT_NE(derive_seed(1, "payload"), derive_seed(1, "sizes"));
  EXPECT_NE(derive_seed(1, "payload"), derive_seed(2, "payload"));
  EXPECT_EQ(derive_seed(1, "payload"), derive_seed(1, "payload"));
}

TEST(Scenario, EveryMissingOrWrongFieldIsNamed) {
  auto good = to_json(sample(1));
  struct Case {
    std::string path;
    nlohmann::json value;  // null: remove the field
  };
  for (const Case& c : std::vector<Case>{{"/seed", nullptr},
                                         {"/mechanism", 12},
                                         {"/settings/blocking", "yes"},
                                         {"/settings/capacity", -5},
                                         {"/workload/kind", "zigzag"},
                                         {"/workload/senders", nullptr},
                                         {"/workload/depth", "deep"},
                                         {"/faults", "none"},
                                         {"/stall_ms", nullptr},
                                         {"/version", 99}}) {
    auto j = good;
    nlohmann::json::json_pointer p(c.path);
    if (c.value.is_null()) j[p.parent_pointer()].erase(p.back());
    else j[p] = c.value;
    auto s = scenario_from_json(j);
    ASSERT_FALSE(s) << c.path << " was accepted";
    std::string field = c.path.substr(1);
    std::replace(field.begin(), field.end(), '/', '.');
    EXPECT_NE(s.error().find(field), std::string::npos) << c.path << ": " << s.error();
    EXPECT_EQ(s.error().find('\n'), std::string::npos);
  }
}

TEST(Envelope, FindsEveryKindOfDamage) {
  std::vector<std::byte> m;
  make_envelope(5, 2, 9, 100, m);
  auto ok = open_envelope(5, m);
  EXPECT_TRUE(ok.intact) << ok.why;
  EXPECT_EQ(ok.sender, 2u);
  EXPECT_EQ(ok.seq, 9u);
  auto flip = m;
  flip[60] ^= std::byte{0x10};
  EXPECT_EQ(open_envelope(5, flip).damage, Damage::bad_hash);
  EXPECT_EQ(open_envelope(5, std::span(m).first(99)).damage, Damage::bad_length);
  EXPECT_EQ(open_envelope(5, std::span(m).first(10)).damage, Damage::short_message);
  auto magic = m;
  magic[0] = std::byte{0};
  EXPECT_EQ(open_envelope(5, magic).damage, Damage::bad_magic);
  EXPECT_EQ(open_envelope(6, m).damage, Damage::bad_body);  // another run's bytes with a valid hash
}

}  // namespace
}  // namespace ipch
