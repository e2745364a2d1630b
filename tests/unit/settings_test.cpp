// Settings: parsed strictly, refused by name, and a kernel's refusal is one line naming the
// setting, the limit and the fix.
#include <gtest/gtest.h>

#include "leaks.hpp"
#include "registry.hpp"
#include "sys.hpp"

namespace ipch {
namespace {

TEST(Settings, ParsesEveryKeyAndSizeSuffix) {
  auto s = registry::parse_settings("capacity=64K,message_size=1M,blocking=false");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->capacity, 65536u);
  EXPECT_EQ(s->message_size, 1u << 20);
  EXPECT_FALSE(s->blocking);
  EXPECT_TRUE(registry::parse_settings(""));
}

TEST(Settings, RefusesWhatItCannotParseNamingTheBadPart) {
  for (const char* bad : {"capacity", "capacity=", "capacity=-1", "capacity=0", "capacity=12Q", "blocking=maybe", "colour=red"}) {
    auto s = registry::parse_settings(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().find('\n'), std::string::npos);
    std::string key = std::string(bad).substr(0, std::string(bad).find('='));
    EXPECT_NE(s.error().find(key), std::string::npos) << s.error();
  }
}

TEST(Settings, ASettingThatDoesNotApplyIsRefusedNotIgnored) {
  Settings s;
  s.message_size = 4096;
  auto l = registry::find("pipe")->create(s);
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find("message_size"), std::string::npos) << l.error().message;
}

// The depth of a POSIX queue above what the kernel allows: one line naming the setting, the
// value and the limit file. (Root may exceed msg_max up to a hard 65536, so ask for more.)
TEST(Settings, PosixMqDepthTheKernelRefusesNamesSettingAndLimit) {
  Settings s;
  s.capacity = 100000;
  auto l = registry::find("posix-mq")->create(s);
  ASSERT_FALSE(l) << "the kernel took a queue depth of 100000";
  const std::string& m = l.error().message;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("capacity=100000"), std::string::npos) << m;
  EXPECT_NE(m.find("msg_max"), std::string::npos) << m;
  auto limit = sys::read_long("/proc/sys/fs/mqueue/msg_max");
  ASSERT_TRUE(limit);
  EXPECT_NE(m.find(std::to_string(*limit)), std::string::npos) << m;
  EXPECT_TRUE(test::leftovers().empty());
}

TEST(Settings, PipeCapacityTheKernelRefusesNamesTheLimit) {
  Settings s;
  s.capacity = std::size_t(1) << 40;  // far beyond any pipe-max-size, root or not
  auto l = registry::find("pipe")->create(s);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message.find('\n'), std::string::npos);
  EXPECT_NE(l.error().message.find("pipe-max-size"), std::string::npos) << l.error().message;
}

TEST(Settings, EveryMechanismRefusesACapacityFarBeyondAnyLimit) {
  for (const Mechanism* m : registry::all()) {
    Settings s;
    s.capacity = std::size_t(1) << 40;
    auto l = m->create(s);
    EXPECT_FALSE(l) << m->name << " accepted a capacity of 1 TiB";
    if (!l) {
      EXPECT_EQ(l.error().message.find('\n'), std::string::npos) << l.error().message;
      EXPECT_TRUE(l.error().message.starts_with(m->name + ":")) << l.error().message;
    }
  }
  EXPECT_TRUE(test::leftovers().empty()) << ::testing::PrintToString(test::leftovers());
}

TEST(Registry, ListsElevenMechanismsAndFindsThemByName) {
  EXPECT_EQ(registry::all().size(), 11u);
  for (const Mechanism* m : registry::all()) {
    EXPECT_EQ(registry::find(m->name), m);
    EXPECT_FALSE(m->settings.empty()) << m->name;
  }
  EXPECT_EQ(registry::find("carrier-pigeon"), nullptr);
  EXPECT_NE(registry::names().find("unix-seqpacket"), std::string::npos);
}

}  // namespace
}  // namespace ipch
