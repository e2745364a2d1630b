// The process engine on real processes: forked bodies and exec'd programs, their output in
// records and in chunks, a kill from inside a process's own output callback (the rest of what it
// wrote still arrives, then its end), a stall, SIGTERM, and a program that cannot be started.
// Every wait here is bounded by the loop's own stall window, a hang guard.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine.hpp"
#include "sys.hpp"

namespace ipch {
namespace {

using namespace std::chrono_literals;

TEST(Engine, AForkedBodysRecordsArriveWholeThenItsExit) {
  engine::Engine e;
  std::vector<std::uint32_t> got;
  std::optional<int> status;
  engine::Spec spec;
  spec.name = "writer";
  spec.record = sizeof(std::uint32_t);
  spec.body = [](int out) {
    // One record split over two writes, so the engine must join them.
    for (std::uint32_t i = 0; i < 100; ++i) {
      std::byte b[4];
      std::memcpy(b, &i, 4);
      (void)!::write(out, b, 1);
      (void)!::write(out, b + 1, 3);
    }
    return 7;
  };
  spec.on_output = [&](std::span<const std::byte> r) {
    ASSERT_EQ(r.size(), 4u);
    std::uint32_t v;
    std::memcpy(&v, r.data(), 4);
    got.push_back(v);
  };
  spec.on_exit = [&](int st, engine::Exit why) {
    EXPECT_EQ(why, engine::Exit::by_itself);
    status = st;
  };
  ASSERT_TRUE(e.spawn(std::move(spec)));
  engine::Loop loop;
  loop.stall_ms = 10'000;
  loop.done = [&] { return status.has_value(); };
  EXPECT_EQ(e.run(loop).how, engine::End::done);
  ASSERT_EQ(got.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
  ASSERT_TRUE(status && WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 7);
}

TEST(Engine, AKillFromItsOwnOutputStillDeliversWhatItWroteThenItsEnd) {
  engine::Engine e;
  std::string got;
  std::optional<engine::Exit> end;
  std::optional<engine::Id> id;
  engine::Spec spec;
  spec.name = "talker";
  spec.exec = engine::Exec{{"/bin/sh", "-c", "printf abc; sleep 0.2; printf def; exec sleep 100"}, {}, "/dev/null", false};
  spec.own_group = true;
  spec.on_output = [&](std::span<const std::byte> b) {
    got.append(reinterpret_cast<const char*>(b.data()), b.size());
    if (got.find("def") != std::string::npos && !end) e.kill(*id);  // takes effect once this returns
  };
  spec.on_exit = [&](int st, engine::Exit why) {
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
    end = why;
  };
  id = *e.spawn(std::move(spec));
  engine::Loop loop;
  loop.stall_ms = 10'000;
  loop.done = [&] { return end.has_value(); };
  EXPECT_EQ(e.run(loop).how, engine::End::done);
  EXPECT_EQ(got, "abcdef");
  EXPECT_EQ(end, engine::Exit::killed);
  EXPECT_FALSE(e.alive(*id));
  EXPECT_FALSE(sys::kill(-e.pid(*id), 0)) << "its group outlived it";
}

TEST(Engine, AProgramThatCannotBeStartedIsItsErrnoNotAStatus) {
  engine::Engine e;
  engine::Spec spec;
  spec.name = "nothing";
  spec.exec = engine::Exec{{"/nonexistent/program"}, {}, "/dev/null", true};
  auto id = e.spawn(std::move(spec));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(e.size(), 0u);
}

TEST(Engine, NoProgressForTheStallWindowEndsTheLoopWithADiagnosis) {
  engine::Engine e;
  engine::Spec spec;
  spec.name = "sleeper";
  spec.output = false;
  spec.body = [](int) -> int {
    for (;;) ::pause();
  };
  auto id = e.spawn(std::move(spec));
  ASSERT_TRUE(id);
  engine::Loop loop;
  loop.stall_ms = 300;
  auto end = e.run(loop);
  EXPECT_EQ(end.how, engine::End::stalled);
  EXPECT_GE(end.idle_ms, 300u);
  auto d = e.diagnose(false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].role, "sleeper");
  e.kill_all();
  EXPECT_FALSE(e.alive(*id));
}

TEST(Engine, SigtermEndsTheLoopAndTheClientEndsItsProcesses) {
  engine::Engine e;
  bool exited = false;
  engine::Spec spec;
  spec.name = "sleeper";
  spec.output = false;
  spec.body = [](int) -> int {
    for (;;) ::pause();
  };
  spec.on_exit = [&](int, engine::Exit why) { exited = why == engine::Exit::killed; };
  auto id = e.spawn(std::move(spec));
  ASSERT_TRUE(id);
  engine::Loop loop;
  loop.stall_ms = 10'000;
  int turns = 0;
  loop.on_turn = [&] {
    if (++turns == 3) ::kill(::getpid(), SIGTERM);  // caught by the engine, not the default action
  };
  auto end = e.run(loop);
  EXPECT_EQ(end.how, engine::End::interrupted);
  EXPECT_EQ(end.signal, SIGTERM);
  e.kill_all();
  EXPECT_TRUE(exited);
  EXPECT_FALSE(sys::kill(e.pid(*id), 0));
}

}  // namespace
}  // namespace ipch
