#include "groups.hpp"
#include "shm_checks.hpp"

namespace ipch::claims {

std::vector<Claim> shm_claims() {
  return {
      {"shm-unsynchronised-corrupts",
       "Without proper locks (e.g., semaphores), simultaneous writes lead to corrupted data.",
       true,
       "Common Pitfalls 2",
       {"sysv-shm", "posix-shm"},
       false,
       [](const Context& ctx) {
         return judge_race(measure_race(RaceSettings::for_context(ctx), ctx.seed), ctx.replay);
       }},
      {"shm-lock-survives-holder-death",
       "Always pair a shared memory segment with a synchronization mechanism.",
       true,
       "Common Pitfalls 2",
       {"posix-shm", "sysv-shm"},
       false,
       [](const Context& ctx) { return judge_lock_death(measure_lock_death(ctx), ctx.replay); }},
      {"shm-copy-free",
       "A reader of shared memory sees the writer's bytes without any system call or copy.",
       false,
       "Shared Memory Segments (\"This avoids the overhead of copying data between kernel and user space, which is "
       "inherent in other methods.\")",
       {"posix-shm"},
       false,
       [](const Context& ctx) { return judge_copy_free(measure_copy_free(1 << 20, ctx.seed), ctx.replay); }},
  };
}

}  // namespace ipch::claims
