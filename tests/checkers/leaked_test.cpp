// leaked: objects the kernel still has after a run. The checker over a list, and the probe that
// makes the list, against a real kernel object.
#include "leaked.hpp"

#include <gtest/gtest.h>

#include "builder.hpp"
#include "objects.hpp"
#include "registry.hpp"

namespace ipch::test {
namespace {

TEST(Leaked, FiresOncePerLeftoverWithItsNameAndPersistence) {
  Contract c;
  c.outlives_creator = true;
  c.persistence = "until mq_unlink or reboot";
  auto v = check_leaked(c, {"posix-mq /ipch-12-3", "sysv-sem ipch-12-4"});
  ASSERT_EQ(kinds_of(v), (std::vector<std::string>{"leaked", "leaked"}));
  EXPECT_NE(v[0].detail.find("posix-mq /ipch-12-3 still exists after the run"), std::string::npos) << v[0].detail;
  EXPECT_NE(v[0].detail.find("until mq_unlink or reboot"), std::string::npos) << v[0].detail;
}

TEST(Leaked, QuietWhenNothingIsLeft) {
  EXPECT_TRUE(check_leaked(messages(), {}).empty());
}

TEST(Leaked, TheProbeAsksTheKernel) {
  const Mechanism* m = registry::find("posix-mq");
  ASSERT_NE(m, nullptr);
  std::size_t before = objects::made().size();
  auto link = m->create(Settings{});
  ASSERT_TRUE(link) << link.error().message;
  auto made = objects::made();
  std::vector<objects::Record> ours(made.begin() + static_cast<std::ptrdiff_t>(before), made.end());
  ASSERT_FALSE(ours.empty());
  auto present = objects::still_present(ours);
  ASSERT_EQ(present.size(), ours.size());
  EXPECT_EQ(present[0].rfind("posix-mq /ipch-", 0), 0u) << present[0];
  link->reset();
  EXPECT_TRUE(objects::still_present(ours).empty()) << ::testing::PrintToString(objects::still_present(ours));
}

}  // namespace
}  // namespace ipch::test
