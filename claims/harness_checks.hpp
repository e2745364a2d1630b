// The judgements of the claims the harness checks (harness_claims.cpp), apart from the runs, so
// that tests can feed them tallies that must give each verdict.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "claim.hpp"
#include "interleave.hpp"

namespace ipch::claims {

struct RunTally {  // one harness run
  std::string mechanism, fault;  // fault: "none" or its name
  std::string verdict;           // pass, violations, deadlock, error
  std::uint64_t sent = 0, received = 0, lost = 0;
  std::string first_violation;   // "lost: sender 0 seq 7 was sent and never received"
  std::string note;              // a cap the runner applied, if any
  std::string describe, replay;
};

struct QueueRuns {
  std::vector<RunTally> runs;
  std::vector<Counterexample> counterexamples;  // the first failing run, if any
};

// holds iff every run passed and nothing was lost; holds-only-if iff every run passed but
// messages vanished with receivers the fault plan killed (taken from the queue, never handled);
// refuted iff a run failed; not-checked iff nothing ran.
Finding judge_queues_reliable(const QueueRuns& q);

struct SyncRuns {
  std::vector<RunTally> runs;  // many senders and receivers on one object, each mechanism
  std::vector<Counterexample> counterexamples;
  std::vector<std::pair<std::string, InterleaveResult>> streams;  // writes above the atomic limit
};

// refuted iff a harness run failed; holds-only-if iff the runs passed but a write larger than
// the atomic limit was torn (the condition names the limits); holds iff nothing failed or tore;
// not-checked iff nothing ran. `replay` reruns the interleaving experiments.
Finding judge_kernel_synchronises(const SyncRuns& k, const std::string& replay);

}  // namespace ipch::claims
