#include "run_claims.hpp"

#include <filesystem>
#include <stdexcept>

#include "claims_catalogue.hpp"
#include "event.hpp"
#include "seed.hpp"

namespace ipch::claims {

namespace {

std::vector<const Claim*> chosen(const Options& o) {
  std::vector<const Claim*> v;
  for (const auto& c : catalogue()) {
    if (o.only.empty()) {
      v.push_back(&c);
      continue;
    }
    for (const auto& id : o.only) {
      if (id == c.id) v.push_back(&c);
    }
  }
  return v;
}

void stop_if_asked(const Options& o) {
  if (o.stop != nullptr && o.stop->load() != 0) throw Interrupted{o.stop->load()};
}

std::string replay_of(const Options& o, const Claim& c) {
  return o.program + " claims --only " + c.id + " --seed " + std::to_string(o.seed) + (o.quick ? " --quick" : "");
}

}  // namespace

std::uint64_t claim_seed(std::uint64_t seed, std::string_view id) { return derive_seed(seed, id); }

Run run(const Options& o) {
  std::uint64_t t0 = monotonic_ns();
  Run r;
  auto claims = chosen(o);
  bool bench = false;
  for (const auto* c : claims) bench = bench || c->needs_bench;
  if (bench) {
    bench::Options bo;
    bo.quick = o.quick;
    bo.progress = o.progress;
    bo.stop = o.stop;
    if (o.progress) *o.progress << "benchmark" << (o.quick ? " (quick)" : "") << ": the numbers the performance claims are judged on\n";
    try {
      r.bench = std::make_unique<bench::Report>(bench::run(bo));
    } catch (const bench::Interrupted& i) {
      throw Interrupted{i.signal};
    }
    r.input.bench = r.bench.get();
    r.input.machine = r.bench->machine;
  } else {
    r.input.machine = bench::machine_facts();
  }
  for (const auto* c : claims) {
    stop_if_asked(o);
    Context ctx;
    ctx.quick = o.quick;
    ctx.seed = claim_seed(o.seed, c->id);
    ctx.work_dir = o.out_dir + "/runs/" + c->id;
    ctx.replay = replay_of(o, *c);
    ctx.bench = r.bench.get();
    ctx.stop = o.stop;
    std::error_code ec;
    std::filesystem::create_directories(ctx.work_dir, ec);
    Checked done;
    done.claim = c;
    std::uint64_t c0 = monotonic_ns();
    try {
      if (ec) throw std::runtime_error("cannot create " + ctx.work_dir + ": " + ec.message());
      done.finding = c->check(ctx);
    } catch (const std::exception& e) {
      done.finding = Finding{};
      done.finding.verdict = Verdict::not_checked;
      done.finding.condition = std::string("the experiment could not run: ") + e.what();
      done.finding.evidence = {done.finding.condition};
      ++r.failed_to_run;
    }
    done.seconds = double(monotonic_ns() - c0) / 1e9;
    // A check stopped by a signal half-way judged an incomplete experiment: drop it.
    stop_if_asked(o);
    if (o.progress) {
      *o.progress << "  " << c->id << ": " << to_string(done.finding.verdict);
      if (!done.finding.condition.empty()) *o.progress << " (" << done.finding.condition << ")";
      *o.progress << " [" << static_cast<int>(done.seconds * 10) / 10.0 << " s]\n";
    }
    r.input.checked.push_back(std::move(done));
  }
  r.input.seed = o.seed;
  r.input.quick = o.quick;
  r.input.seconds = double(monotonic_ns() - t0) / 1e9;
  return r;
}

}  // namespace ipch::claims
