// The judgements of the performance claims: pure functions of the numbers `ipc-harness bench`
// measured in the same run (bench/suite.hpp), so tests can feed them figures that must give each
// verdict. Every threshold is named in the claim's sentence or evidence, never hidden.
#pragma once

#include "claim.hpp"
#include "suite.hpp"

namespace ipch::claims {

// Within this factor of the fastest, a difference counts as negligible.
constexpr double kNegligible = 2.0;

// Bulk sizes are those of at least 64 KiB. holds iff a shared-memory mechanism moved the most
// MB/s at every bulk size measured; holds-only-if iff at some (the condition names them);
// refuted iff at none (the counterexample names the faster mechanism); not-checked iff no bulk
// size was measured.
Finding judge_shm_fastest(const bench::Report& b, const std::string& replay);

// At 64 B, blocking: holds iff the round trips and the message rates are each within
// kNegligible of the fastest; holds-only-if iff only the round trips are (one message at a
// time); refuted iff neither. not-checked iff 64 B was not measured for two mechanisms.
Finding judge_small_negligible(const bench::Report& b, const std::string& replay);

// unix-stream against tcp and unix-dgram against udp, at every size both measured: holds iff the
// Unix socket had the higher rate and the shorter round trip at every size; refuted iff at none;
// holds-only-if otherwise (the condition names where).
Finding judge_unix_efficient(const bench::Report& b, const std::string& replay);

// sysv-msg and posix-mq against pipe at every size all three measured (message rate): holds iff
// the queues were slower at every size; refuted iff at none; holds-only-if otherwise.
Finding judge_queue_overhead(const bench::Report& b, const std::string& replay);

}  // namespace ipch::claims
