// history.jsonl as an interface: every field a checker reads survives a write and a read, the
// reader streams, and a malformed file is refused with its file and line named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "history_reader.hpp"
#include "history_writer.hpp"

namespace ipch {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("ipch-history-" + std::to_string(::getpid()) + "-" + name)).string();
}

HistoryHead head() {
  HistoryHead h;
  h.workers = {{0, WorkerRole::sender, 0, 100}, {1, WorkerRole::receiver, 0, 101}};
  h.faults = {"kill-receiver", "leaked-fd"};
  h.contract.boundaries = false;
  h.contract.atomic_write_limit = 4096;
  h.contract.ordering = Ordering::per_priority;
  h.contract.killed_receiver_window = 3;
  h.run = {{"command", "test"}};
  return h;
}

// One event of every kind, with every field its kind carries set to something not zero.
std::vector<Event> every_kind() {
  return {
      {.t_ns = 1, .worker = 0, .kind = EventKind::started},
      {.t_ns = 2, .worker = 0, .kind = EventKind::send_invoked, .link = 1, .sender = 0, .seq = 7, .size = 99},
      {.t_ns = 3, .worker = 0, .kind = EventKind::send_ok, .link = 1, .sender = 0, .seq = 7, .size = 99},
      {.t_ns = 4, .worker = 0, .kind = EventKind::send_failed, .link = 1, .err = EPIPE, .sender = 0, .seq = 8, .size = 40},
      {.t_ns = 5, .worker = 1, .kind = EventKind::received, .link = 1, .damage = Damage::bad_hash, .sender = 0, .seq = 7, .size = 99},
      {.t_ns = 6, .worker = 1, .kind = EventKind::receive_failed, .link = 1, .err = kEndOfStream},
      {.t_ns = 7, .worker = 0, .kind = EventKind::would_block, .sender = 0, .seq = 9, .size = 64},
      {.t_ns = 8, .worker = 0, .kind = EventKind::finished, .sender = 2, .seq = 3, .size = 4},
      {.t_ns = 9, .worker = 1, .kind = EventKind::fault, .err = static_cast<std::int32_t>(FaultAction::killed), .sender = 1, .seq = 1},
      {.t_ns = 10, .worker = 1, .kind = EventKind::exited, .stopped = 1, .err = -9},
      {.t_ns = 11, .worker = 0, .kind = EventKind::exited, .err = 3},
  };
}

void expect_same(const Event& a, const Event& b) {
  EXPECT_EQ(a.t_ns, b.t_ns);
  EXPECT_EQ(a.worker, b.worker);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.link, b.link) << to_string(a.kind);
  EXPECT_EQ(a.damage, b.damage);
  EXPECT_EQ(a.stopped, b.stopped);
  EXPECT_EQ(a.err, b.err) << to_string(a.kind);
  EXPECT_EQ(a.sender, b.sender) << to_string(a.kind);
  EXPECT_EQ(a.seq, b.seq) << to_string(a.kind);
  EXPECT_EQ(a.size, b.size) << to_string(a.kind);
}

TEST(HistoryFormat, EveryEventKindHeaderAndEndSurviveAWriteAndARead) {
  std::string path = temp_path("roundtrip.jsonl");
  auto events = every_kind();
  HistoryEnd end;
  end.deadlock = true;
  end.stalled_ms = 2001;
  end.diagnosis = nlohmann::json::array({{{"pid", 101}, {"role", "receiver-0"}, {"syscall", "read"}}});
  end.leftovers = {"sysv-msg id 3"};
  end.error = "boom";
  end.interrupted_by = 2;
  end.verdict = "deadlock";
  end.violations_outside = nlohmann::json::array({{{"kind", "protocol"}, {"detail", "d"}}});
  {
    HistoryWriter w(path);
    w.head(head());
    for (std::size_t i = 0; i < 5; ++i) w.event(events[i]);
    w.worker({2, WorkerRole::receiver, 100, 102});
    for (std::size_t i = 5; i < events.size(); ++i) w.event(events[i]);
    w.end(end);
    ASSERT_TRUE(w.status());
  }
  auto r = HistoryReader::open(path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->head().workers.size(), 2u);
  EXPECT_EQ(r->head().workers[1].pid, 101);
  EXPECT_EQ(r->head().faults, head().faults);
  EXPECT_EQ(r->head().contract.boundaries, false);
  EXPECT_EQ(r->head().contract.atomic_write_limit, 4096u);
  EXPECT_EQ(r->head().contract.ordering, Ordering::per_priority);
  EXPECT_EQ(r->head().contract.killed_receiver_window, 3u);
  std::vector<Event> read;
  int workers = 0;
  for (;;) {
    auto item = r->next();
    ASSERT_TRUE(item) << item.error();
    if (!*item) break;
    if ((*item)->kind == HistoryReader::Item::Kind::worker) {
      ++workers;
      EXPECT_EQ((*item)->worker.name(), "receiver-100");
      EXPECT_EQ((*item)->line, 7u);
      continue;
    }
    read.push_back((*item)->event);
  }
  EXPECT_EQ(workers, 1);
  ASSERT_EQ(read.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) expect_same(read[i], events[i]);
  ASSERT_TRUE(r->end());
  EXPECT_TRUE(r->end()->deadlock);
  EXPECT_EQ(r->end()->stalled_ms, 2001u);
  EXPECT_EQ(r->end()->diagnosis, end.diagnosis);
  EXPECT_EQ(r->end()->leftovers, end.leftovers);
  EXPECT_EQ(r->end()->error, "boom");
  EXPECT_EQ(r->end()->interrupted_by, 2);
  EXPECT_EQ(r->end()->verdict, "deadlock");
  EXPECT_EQ(r->end()->violations_outside, end.violations_outside);
  std::filesystem::remove(path);
}

std::string refusal(const std::string& name, const std::string& text) {
  std::string path = temp_path(name);
  std::ofstream(path) << text;
  std::string why;
  auto r = HistoryReader::open(path);
  if (!r) {
    why = r.error();
  } else {
    for (;;) {
      auto item = r->next();
      if (!item) {
        why = item.error();
        break;
      }
      if (!*item) break;
    }
  }
  std::filesystem::remove(path);
  return why;
}

TEST(HistoryFormat, AMalformedFileIsRefusedNamingTheFileAndLine) {
  std::string header = head_json(head()).dump() + "\n";
  std::string ok = R"({"t_ns":1,"worker":0,"event":"started"})"
                   "\n";
  EXPECT_NE(refusal("empty", "").find("is empty"), std::string::npos);
  EXPECT_NE(refusal("noheader", ok).find("line 1: not an ipc-harness history header"), std::string::npos);
  EXPECT_NE(refusal("garbage", header + ok + "{oops\n").find("line 3: not a JSON object"), std::string::npos);
  EXPECT_NE(refusal("kind", header + R"({"t_ns":1,"worker":0,"event":"sent"})" "\n").find("line 2: unknown event 'sent'"),
            std::string::npos);
  EXPECT_NE(refusal("seq", header + R"({"t_ns":1,"worker":0,"event":"send-ok","seq":-4})" "\n").find("line 2: 'seq'"),
            std::string::npos);
  EXPECT_NE(refusal("after", header + R"({"end":{}})" "\n" + ok).find("line 3: a line after the end line"),
            std::string::npos);
  EXPECT_NE(refusal("version", R"({"history":"ipc-harness","version":9})" "\n").find("version 9"), std::string::npos);
  EXPECT_EQ(refusal("fine", header + ok + R"({"end":{}})" "\n"), "");
  EXPECT_NE(refusal("missing", "").find(temp_path("missing")), std::string::npos);
}

}  // namespace
}  // namespace ipch
