// The pipe and FIFO claims, each split in two: a measurement (real processes on this kernel,
// returning a plain struct of what was seen) and a judgement (a pure function from that struct to
// a Finding). Tests feed the judgements fabricated measurements, so every verdict can be reached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "claim.hpp"
#include "interleave.hpp"

namespace ipch::claims {

// ---- pipe-fifo-order: bytes come out in the order they went in -----------------------------

struct OrderRun {
  std::string mechanism;       // "pipe" or "fifo"
  std::uint64_t bytes = 0;     // the writer wrote
  std::uint64_t received = 0;  // the reader read before end of stream
  std::uint64_t writes = 0, reads = 0;
  std::size_t largest_write = 0, largest_read = 0;
  // The offset of the first byte read that is not the byte written there; `received` when the
  // stream ended early. nullopt iff every byte matched and none was missing.
  std::optional<std::uint64_t> first_difference;
  std::uint64_t difference_write = 0;  // the index of the write that held that offset
  std::uint64_t difference_read = 0;   // the index of the read that returned it
  double ms = 0;
};
struct OrderMeasurement {
  std::vector<OrderRun> runs;
};
OrderMeasurement measure_order(const Context& ctx);
// holds iff every run read back exactly the bytes written; refuted with the first differing offset.
Finding judge_order(const OrderMeasurement& m, const Context& ctx);

// ---- fifo-unrelated: two programs that know only the path ------------------------------------

struct UnrelatedMeasurement {
  std::string path;
  bool is_fifo = false;  // stat() of the path says S_ISFIFO
  std::string token;     // what the writer program printed into the FIFO
  std::string received;  // what the reader program wrote out
  std::string writer_command, reader_command;
  std::string writer_end, reader_end;  // "exit 0"
  long our_session = 0, writer_session = 0, reader_session = 0;
  std::string reader_wchan;  // where the reader slept before the writer came ("" iff it did not)
  double ms = 0;
};
UnrelatedMeasurement measure_unrelated(const Context& ctx);
// holds iff the path is a FIFO and the token arrived between programs in sessions of their own.
Finding judge_unrelated(const UnrelatedMeasurement& m, const Context& ctx);

// ---- fifo-open-blocks: open() waits for the other side ---------------------------------------

struct FifoOpen {
  std::string how;                  // "O_RDONLY", "O_WRONLY|O_NONBLOCK", "O_RDWR"
  bool blocking = true;             // no O_NONBLOCK
  bool wants_peer = true;           // O_RDONLY or O_WRONLY; O_RDWR is its own other side
  bool returned_alone = false;      // returned before any other side opened
  int error = 0;                    // that return's errno; 0 iff it gave a descriptor
  std::string wchan;                // where it slept while alone; "" iff it never slept
  bool peer_opened = false;         // we opened the other side while it waited
  bool returned_with_peer = false;  // and then it returned a descriptor
  double t_open_ms = 0, t_slept_ms = -1, t_peer_ms = -1, t_return_ms = -1;  // since the start
};
struct OpenMeasurement {
  std::vector<FifoOpen> opens;
  std::uint32_t guard_ms = 0;
};
OpenMeasurement measure_open(const Context& ctx);
// refuted iff a blocking O_RDONLY/O_WRONLY open returned alone or stayed blocked after its other
// side opened; holds iff no open returned alone; else holds-only-if, naming the opens that did.
Finding judge_open(const OpenMeasurement& m, const Context& ctx);

// ---- pipe-capacity: how much a pipe takes before a writer must wait --------------------------

struct Fill {
  std::size_t buffer = 0;  // F_GETPIPE_SZ
  bool resized = false;    // after F_SETPIPE_SZ
  std::size_t write_size = 0;
  std::uint64_t filled = 0;   // bytes in before the first EAGAIN
  std::uint64_t writes = 0;   // write() calls that took bytes
  std::uint64_t partial = 0;  // of them, how many took fewer bytes than offered
};
struct CapacityMeasurement {
  std::size_t page = 4096;
  std::size_t pipe_buf = 4096;
  long pipe_max_size = 0;  // /proc/sys/fs/pipe-max-size
  std::size_t default_buffer = 0;
  std::size_t requested = 0;       // what F_SETPIPE_SZ asked for
  int set_error = 0;               // its errno, 0 iff it took
  std::size_t resized_buffer = 0;  // F_GETPIPE_SZ after it
  std::vector<Fill> fills;
};
CapacityMeasurement measure_capacity(const Context& ctx);
// refuted iff a fill exceeds its buffer or F_SETPIPE_SZ grew the buffer but not the fill; holds
// iff every fill equals its buffer; else holds-only-if, naming the write sizes that fill it.
Finding judge_capacity(const CapacityMeasurement& m, const Context& ctx);

// ---- pipe-buf-atomic: writes of at most PIPE_BUF arrive whole --------------------------------

struct AtomicMeasurement {
  std::size_t pipe_buf = 4096;
  std::vector<InterleaveResult> pipe;         // one per record size
  std::vector<InterleaveResult> unix_stream;  // the same on a Unix stream socket: evidence only
};
AtomicMeasurement measure_atomic(const Context& ctx);
// refuted iff a pipe record of at most PIPE_BUF bytes was torn; else holds, saying how many
// larger ones were. The first torn larger record is always a counterexample.
Finding judge_atomic(const AtomicMeasurement& m, const Context& ctx);

// ---- writer-blocks-when-reader-dies ----------------------------------------------------------

struct DeathCase {
  enum class Outcome { epipe, short_count, killed_by_sigpipe, wrote, still_blocked, other };
  std::string mechanism;  // pipe, fifo, unix-stream
  std::string key;        // exited-before, killed-during, leaked-bystander, kept-by-writer
  std::string situation;  // one line: "the reader exited before the write"
  bool sigpipe_default = false;
  std::size_t offered = 0;  // bytes of the write() under test
  bool slept = false;       // the writer was asleep in write() before the reader died
  std::string wchan;
  Outcome outcome = Outcome::other;
  long returned = -1;  // what that write() returned, iff it returned a count
  int error = 0;       // its errno, or the next write's when the first was short
  std::string ended;   // how the writer ended: "exit 0", "killed by SIGPIPE", "killed by SIGKILL"
  double t_write_ms = 0, t_slept_ms = -1, t_reader_died_ms = -1, t_return_ms = -1, t_end_ms = -1;
};
std::string to_string(DeathCase::Outcome o);

struct DeathMeasurement {
  std::vector<DeathCase> cases;
  std::uint32_t guard_ms = 0;   // how long a writer had to stay asleep to count as blocked
  std::string harness_run;      // the harness's own run of the leaked-fd deadlock
  std::string harness_verdict;  // its verdict: "deadlock" expected
  std::optional<Counterexample> harness;
};
DeathMeasurement measure_death(const Context& ctx);
// holds iff every writer stayed blocked; refuted iff none did; else holds-only-if, with the
// situations that blocked and what the others' write did.
Finding judge_death(const DeathMeasurement& m, const Context& ctx);

}  // namespace ipch::claims
