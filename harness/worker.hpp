// What each worker process does, in the process the runner forked for it. A worker reports
// every step over its control pipe before and after the call it makes, so a history shows a
// send cut off by a kill as in flight (indeterminate), never as done.
#pragma once

#include <memory>
#include <vector>

#include "channel.hpp"
#include "history.hpp"
#include "scenario.hpp"

namespace ipch {

struct WorkerPlan {
  WorkerInfo info;
  std::size_t cap = 0;  // the largest message size of this run
};

// Runs one worker to its end. Returns its exit code: 0 when its part is done (errors of the
// mechanism are reported as events, not exit codes), 3 when the harness itself failed.
// Opens its channels from `links`, then releases every link so that it holds no end it does
// not use (an end held by a bystander keeps EOF and EPIPE from ever coming).
// After opening its channels it reports `started` and waits for EOF on `start_fd`: the runner
// closes the gate once every worker is up, so no sender finishes (and closes) before every
// other sender has connected - else a receiver could see end of stream too early.
int run_worker(const Scenario& s, const WorkerPlan& plan, std::vector<std::unique_ptr<Link>>& links, int control_fd,
               int start_fd);

}  // namespace ipch
