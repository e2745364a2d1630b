#include "generators.hpp"

#include <limits.h>

#include <algorithm>
#include <tuple>

#include "catalogue.hpp"
#include "envelope.hpp"
#include "fault_plan.hpp"
#include "registry.hpp"
#include "seed.hpp"

namespace ipch::gen {

namespace {

// Request-response keeps up to `depth` requests in flight; past what the buffers hold, client and
// server both block in send (the planted pipelining deadlock). The smallest default buffer is
// sysv-msg's msg_qbytes (16 KiB), so depth x size stays within half of it.
constexpr std::size_t kInFlightBytes = 8192;
constexpr std::uint32_t kMaxDepth = 4;
constexpr std::uint32_t kMaxExtraProcesses = 2;

// One drawn case, before it becomes a scenario. Every field shrinks toward 0: the simplest case.
using Draw = std::tuple<std::size_t,    // workload kind: 0 stream, 1 fan-in, 2 request-response
                        std::uint32_t,  // senders past the least the workload needs
                        std::uint32_t,  // receivers past 1 (stream only)
                        std::uint64_t,  // messages - 1
                        std::size_t,    // index into size_edges
                        std::uint32_t,  // depth - 1 (request-response)
                        std::size_t,    // 0: default capacity, else index + 1 into capacities
                        std::size_t,    // 3: blocking=false, else blocking
                        std::size_t,    // 0: no fault, else index + 1 into generated_faults
                        std::uint64_t>;  // scenario seed (never shrunk)

Scenario build(const Options& o, const Mechanism& m, const Draw& d) {
  auto [kind, extra_senders, extra_receivers, messages, size_index, depth, capacity, blocking, fault, seed] = d;
  const Contract& c = m.contract;
  Scenario s;
  s.seed = seed;
  s.mechanism = m.name;
  Workload& w = s.workload;
  w.messages = messages + 1;
  // Fan-in needs many senders; a lossy request-response waits for ever on a lost request.
  if (kind == 1 && !c.many_senders) kind = 0;
  if (kind == 2 && c.delivery == Delivery::lossy) kind = 0;
  auto edges = size_edges(m.name, o.max_size);
  w.max_size = edges[std::min(size_index, edges.size() - 1)];
  if (kind == 2) {
    w.kind = WorkloadKind::request_response;
    w.depth = depth + 1;
    w.max_size = std::clamp<std::size_t>(w.max_size, kEnvelopeSize, kInFlightBytes / w.depth);
    return s;  // default buffers and no fault: their sizes are what keeps the depth deadlock-free
  }
  w.kind = kind == 1 ? WorkloadKind::fan_in : WorkloadKind::stream;
  w.senders = (kind == 1 ? 2 : 1) + (c.many_senders ? extra_senders : 0);
  w.receivers = kind == 0 && c.many_receivers ? 1 + extra_receivers : 1;
  auto caps = capacities(m.name);
  if (capacity > 0 && capacity <= caps.size()) s.settings.capacity = caps[capacity - 1];
  s.settings.blocking = blocking != 3;
  auto fs = generated_faults(m.name);
  if (o.faults && fault > 0 && fault <= fs.size()) {
    s.faults = faults::to_json(faults::Plan{faults::Fault{fs[fault - 1], {}}});
    const faults::Entry& e = *faults::find(fs[fault - 1]);
    // A write cut short is no longer atomic: writers sharing a byte stream (a pipe's PIPE_BUF)
    // would interleave by the fault's design, not the mechanism's failure.
    if (e.splits_writes && c.atomic_write_limit > 0) w.kind = WorkloadKind::stream, w.senders = 1;
    // A buffer sized to one message of max_size is capped where the kernel caps it (a SysV queue).
    if (e.sets_capacity && m.traits.full_buffer_message_limit)
      w.max_size = std::min<std::size_t>(w.max_size, *m.traits.full_buffer_message_limit);
  }
  resolve_faults(s);
  return s;
}

const Mechanism& known(const std::string& name) {
  const Mechanism* m = registry::find(name);
  if (!m) throw std::invalid_argument("unknown mechanism '" + name + "'; use one of: " + registry::names());
  return *m;
}

const Mechanism& mechanism_at(const Options& o, std::size_t i) {
  if (!o.mechanism.empty() && o.mechanism != "all") {
    const Mechanism* m = registry::find(o.mechanism);
    if (!m) throw std::invalid_argument("unknown mechanism '" + o.mechanism + "'; use one of: " + registry::names());
    return *m;
  }
  return *registry::all()[i];
}

// A scenario with only the fault names kept, resolved again for its (smaller) workload.
std::optional<Scenario> re_resolved(Scenario s) {
  auto plan = faults::plan_from_json(s.faults);
  if (!plan) return std::nullopt;
  for (auto& f : *plan) f.params.clear();
  s.faults = faults::to_json(*plan);
  try {
    resolve_faults(s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::vector<std::string> generated_faults(const std::string& mechanism) {
  const Mechanism& m = known(mechanism);
  std::vector<std::string> out;
  for (const auto& e : faults::mechanism_faults()) {
    if (!faults::why_not(e, m).empty()) continue;
    if (e.fails_by_contract && e.fails_by_contract(m)) continue;
    out.push_back(e.name);
  }
  return out;
}

std::vector<std::size_t> size_edges(const std::string& mechanism, std::size_t ceiling) {
  std::vector<std::size_t> out{kEnvelopeSize, PIPE_BUF};
  if (const Mechanism* m = registry::find(mechanism); m && m->contract.atomic_write_limit > 0) {
    out.push_back(m->contract.atomic_write_limit + 1);
  }
  out.push_back(ceiling);
  std::erase_if(out, [&](std::size_t v) { return v > ceiling; });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) out.push_back(std::max(ceiling, kEnvelopeSize));
  return out;
}

std::vector<std::size_t> capacities(const std::string& mechanism) { return known(mechanism).traits.capacities; }

rc::Gen<Scenario> scenario(const Options& o) {
  std::size_t n = (o.mechanism.empty() || o.mechanism == "all") ? registry::all().size() : 1;
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, n), [o](std::size_t i) {
    const Mechanism& m = mechanism_at(o, i);
    auto draw = rc::gen::tuple(
        rc::gen::inRange<std::size_t>(0, 3), rc::gen::inRange<std::uint32_t>(0, kMaxExtraProcesses + 1),
        rc::gen::inRange<std::uint32_t>(0, kMaxExtraProcesses + 1),
        rc::gen::inRange<std::uint64_t>(0, std::max<std::uint64_t>(1, o.max_messages)),
        rc::gen::inRange<std::size_t>(0, size_edges(m.name, o.max_size).size()),
        rc::gen::inRange<std::uint32_t>(0, kMaxDepth), rc::gen::inRange<std::size_t>(0, capacities(m.name).size() + 1),
        rc::gen::inRange<std::size_t>(0, 4), rc::gen::inRange<std::size_t>(0, generated_faults(m.name).size() + 1),
        rc::gen::noShrink(rc::gen::arbitrary<std::uint64_t>()));
    return rc::gen::map(std::move(draw), [o, &m](const Draw& d) { return build(o, m, d); });
  });
}

Scenario draw(const Options& o, std::uint64_t seed, std::uint64_t index) {
  rc::Random random(derive_seed(seed, "case/" + std::to_string(index)));
  // The nominal size: the whole range of every component, as in rapidcheck's later cases.
  return scenario(o)(random, rc::kNominalSize).value();
}

std::vector<Scenario> smaller(const Scenario& s) {
  std::vector<Scenario> out;
  auto add = [&](Scenario t) {
    if (auto r = re_resolved(std::move(t))) out.push_back(std::move(*r));
  };
  Workload w = s.workload;
  if (!s.faults.empty()) {
    Scenario t = s;
    t.faults = nlohmann::json::array();
    out.push_back(t);
  }
  if (w.messages > 1) {
    Scenario t = s;
    t.workload.messages = w.messages / 2;
    add(t);
    if (w.messages > 2) t.workload.messages = 1, add(t);
  }
  if (w.kind == WorkloadKind::fan_in && w.senders > 2) {
    Scenario t = s;
    t.workload.senders--;
    add(t);
  }
  if (w.kind == WorkloadKind::stream && w.senders > 1) {
    Scenario t = s;
    t.workload.senders--;
    add(t);
  }
  if (w.kind == WorkloadKind::stream && w.receivers > 1) {
    Scenario t = s;
    t.workload.receivers--;
    add(t);
  }
  if (w.kind == WorkloadKind::request_response && w.depth > 1) {
    Scenario t = s;
    t.workload.depth--;
    add(t);
  }
  if (w.max_size > kEnvelopeSize) {
    Scenario t = s;
    t.workload.max_size = std::max(kEnvelopeSize, w.max_size / 2);
    add(t);
  }
  if (!s.settings.blocking) {
    Scenario t = s;
    t.settings.blocking = true;
    add(t);
  }
  return out;
}

std::string fault_name(const Scenario& s) {
  std::string out;
  for (const auto& f : s.faults) out += (out.empty() ? "" : "+") + f.value("name", std::string("?"));
  return out.empty() ? "none" : out;
}

std::string describe(const Scenario& s) {
  const Workload& w = s.workload;
  auto n = [](auto v) { return std::to_string(v); };
  std::string shape;
  switch (w.kind) {
    case WorkloadKind::stream: shape = "stream " + n(w.senders) + "x" + n(w.receivers); break;
    case WorkloadKind::fan_in: shape = "fan-in " + n(w.senders) + "x1"; break;
    case WorkloadKind::request_response: shape = "request-response depth " + n(w.depth); break;
  }
  std::string out = s.mechanism + ", " + shape + ", " + n(w.messages) + " messages <= " + n(w.max_size) + " B";
  if (s.settings.capacity) out += ", capacity " + n(*s.settings.capacity);
  if (!s.settings.blocking) out += ", non-blocking";
  out += ", fault " + fault_name(s);
  return out;
}

}  // namespace ipch::gen
