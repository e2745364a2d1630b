#include "groups.hpp"
#include "queue_checks.hpp"

namespace ipch::claims {

std::vector<Claim> queue_claims() {
  const std::string source = "Message Queues";
  return {
      {"queue-keeps-until-read",
       "Unlike pipes, messages are preserved until read",
       true,
       source,
       {"sysv-msg", "posix-mq"},
       false,
       [](const Context& ctx) { return judge_keeps(measure_keeps(ctx), ctx.replay); }},
      {"sysv-msg-by-type",
       "messages ... can be retrieved based on type, not just arrival order.",
       true,
       source,
       {"sysv-msg"},
       false,
       [](const Context& ctx) { return judge_by_type(measure_by_type(ctx), ctx.replay); }},
      {"queue-priorities",
       "posix-mq delivers the highest priority first and keeps FIFO order within one priority; sysv-msg has no "
       "priority, but msgtyp < 0 takes the lowest type first.",
       false,
       source + " (\"System V and POSIX message queues offer features like priorities, allowing urgent "
                "messages to be processed first.\")",
       {"posix-mq", "sysv-msg"},
       false,
       [](const Context& ctx) { return judge_priorities(measure_priorities(ctx), ctx.replay); }},
      {"queue-sender-never-blocks",
       "A message queue's sender never blocks waiting for its receiver.",
       false,
       "Message Queues (\"decouples the sending and receiving processes in time\"); Selecting the Appropriate IPC "
       "Mechanism (\"any architecture where the sender should not block waiting for the receiver\")",
       {"sysv-msg", "posix-mq"},
       false,
       [](const Context& ctx) { return judge_fill(measure_fill(ctx), ctx.replay); }},
  };
}

}  // namespace ipch::claims
