#include <gtest/gtest.h>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a pipe write to a gone reader must return EPIPE, as in ipc-harness
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
