#include "fault_plan.hpp"

#include <cstring>

#include "catalogue.hpp"
#include "registry.hpp"
#include "runner.hpp"
#include "seed.hpp"
#include "sys.hpp"

namespace ipch {

namespace {
std::string u(std::uint64_t v) { return std::to_string(v); }

int errno_by_name(const std::string& n) {
  for (int e = 1; e < 134; ++e) {
    const char* name = strerrorname_np(e);
    if (name && n == name) return e;
  }
  return 0;
}
}  // namespace

faults::Plan fault_plan(const Scenario& s) {
  auto p = faults::plan_from_json(s.faults);
  if (!p) throw BadInput(p.error());
  return *p;
}

void resolve_faults(Scenario& s) {
  faults::Plan plan = fault_plan(s);
  const Mechanism* m = registry::find(s.mechanism);
  if (!m) throw BadInput("unknown mechanism '" + s.mechanism + "'; use one of: " + registry::names());
  const std::string& mech = m->kin.empty() ? s.mechanism : m->kin;
  std::uint64_t per_sender = std::max<std::uint64_t>(1, s.messages_of(0));
  std::uint64_t per_receiver = std::max<std::uint64_t>(1, s.workload.messages / std::max<std::uint32_t>(1, s.workload.receivers));
  for (std::size_t i = 0; i < plan.size(); ++i) {
    faults::Fault& f = plan[i];
    const faults::Entry* e = faults::find(f.name);
    if (auto why = faults::why_not(*e, mech); !why.empty()) throw BadInput(why);
    Rng rng(derive_seed(s.seed, "fault/" + std::to_string(i) + "/" + f.name));
    auto fill = [&](const char* key, std::string value) {
      if (!f.params.count(key)) f.params[key] = std::move(value);
    };
    if (f.name == "kill-receiver") {
      fill("at", u(rng.between(1, std::max<std::uint64_t>(1, per_receiver / 2))));
      // A new receiver can take over only an object that outlives its processes and keeps whole
      // messages: a new reader of a FIFO would start inside a frame the killed one half read.
      bool takes_over = mech == "sysv-msg" || mech == "posix-mq" || mech.ends_with("-shm");
      fill("restart", takes_over ? "true" : "false");
    } else if (f.name == "kill-sender") {
      fill("at", u(rng.between(1, std::max<std::uint64_t>(1, per_sender / 2))));
    } else if (f.name == "stop") {
      fill("target", "receiver");
      fill("at", u(rng.between(1, std::max<std::uint64_t>(1, per_receiver / 4))));
      fill("for", u(rng.between(1, 50)));
    } else if (f.name == "full-buffer") {
      std::string cap = "4096";
      if (mech == "posix-mq") cap = "1";
      else if (mech == "sysv-msg" || mech.ends_with("-shm")) {
        // One message of the largest size the run can send: the mechanism's own limit caps it
        // (a queue of max_size bytes above msgmnb would be refused by the kernel).
        std::size_t largest = std::max<std::size_t>(s.workload.max_size, 64);
        if (mech == "sysv-msg") {
          auto msgmax = sys::read_long("/proc/sys/kernel/msgmax");
          if (msgmax && static_cast<std::size_t>(*msgmax) < largest) largest = static_cast<std::size_t>(*msgmax);
        }
        cap = u(largest + 8);
      }
      fill("capacity", cap);
      s.settings.capacity = faults::Fault{f.name, f.params}.get_u64("capacity", 4096);
    } else if (f.name == "drop-datagram") {
      fill("nth", u(rng.between(1, std::max<std::uint64_t>(1, per_sender / 2))));
      fill("count", "1");
    } else if (f.name == "delay-lock") {
      fill("us", u(rng.between(100, 5000)));
      fill("where", "holding");
      fill("nth", "1");
      fill("count", "0");
    } else if (f.name == "kill-lock-holder") {
      fill("nth", u(rng.between(2, std::max<std::uint64_t>(2, std::min<std::uint64_t>(20, per_sender)))));
    } else if (f.name == "short-io") {
      fill("bytes", u(rng.between(1, 64)));
    } else if (f.name == "eintr") {
      fill("every", u(rng.between(1, 8)));
    } else if (f.name == "errno") {
      fill("call", "send");
      fill("errno", "ENOSPC");
      fill("nth", u(rng.between(1, std::max<std::uint64_t>(1, per_sender / 2))));
      if (f.get("call") != "send" && f.get("call") != "receive") {
        throw BadInput("fault errno: call=" + f.get("call") + " is not send or receive");
      }
      if (!errno_by_name(f.get("errno"))) throw BadInput("fault errno: errno=" + f.get("errno") + " is not an errno name such as ENOSPC");
    }
    for (const char* key : {"at", "for", "nth", "count", "us", "bytes", "every", "capacity"}) {
      if (f.params.count(key) && f.get_u64(key, UINT64_MAX) == UINT64_MAX) {
        throw BadInput("fault " + f.name + ": " + key + "=" + f.get(key) + " is not a number");
      }
    }
    if (f.params.count("restart") && f.get("restart") != "true" && f.get("restart") != "false") {
      throw BadInput("fault " + f.name + ": restart=" + f.get("restart") + " must be true or false");
    }
  }
  s.faults = faults::to_json(plan);
}

int fault_errno(const faults::Fault& f) { return errno_by_name(f.get("errno", "ENOSPC")); }

}  // namespace ipch
