// The claims of "Pipes and Named Pipes" and the pitfall about blocked writers: each check
// measures on this kernel (pipe_checks.cpp, pipe_death.cpp), then judges (pipe_judges.cpp).
#include "groups.hpp"
#include "pipe_checks.hpp"

namespace ipch::claims {

std::vector<Claim> pipe_claims() {
  std::vector<Claim> v;
  v.push_back({"pipe-fifo-order",
               "Data written to the write end is read from the read end in a first-in, first-out order.",
               true,
               "Pipes and Named Pipes",
               {"pipe", "fifo"},
               false,
               [](const Context& ctx) { return judge_order(measure_order(ctx), ctx); }});
  v.push_back({"fifo-unrelated",
               "A named pipe, or FIFO (First-In, First-Out), exists as a special file in the filesystem, allowing "
               "unrelated processes to communicate.",
               true,
               "Pipes and Named Pipes",
               {"fifo"},
               false,
               [](const Context& ctx) { return judge_unrelated(measure_unrelated(ctx), ctx); }});
  v.push_back({"fifo-open-blocks",
               "open() of a FIFO blocks until the other side opens it.",
               false,
               "Pipes and Named Pipes",
               {"fifo"},
               false,
               [](const Context& ctx) { return judge_open(measure_open(ctx), ctx); }});
  v.push_back({"pipe-capacity",
               "their capacity is limited by the system's pipe buffer size.",
               true,
               "Pipes and Named Pipes",
               {"pipe"},
               false,
               [](const Context& ctx) { return judge_capacity(measure_capacity(ctx), ctx); }});
  v.push_back({"pipe-buf-atomic",
               "Writes of at most PIPE_BUF bytes to a pipe are atomic with many writers; larger writes may interleave.",
               false,
               "Pipes and Named Pipes",
               {"pipe"},
               false,
               [](const Context& ctx) { return judge_atomic(measure_atomic(ctx), ctx); }});
  v.push_back({"writer-blocks-when-reader-dies",
               "A writer can block indefinitely if the reader terminates, leading to deadlock.",
               true,
               "Common Pitfalls 1",
               {"pipe", "fifo"},
               false,
               [](const Context& ctx) { return judge_death(measure_death(ctx), ctx); }});
  return v;
}

}  // namespace ipch::claims
