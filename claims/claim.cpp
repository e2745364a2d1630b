#include "claim.hpp"

namespace ipch::claims {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::holds: return "holds";
    case Verdict::refuted: return "refuted";
    case Verdict::holds_only_if: return "holds-only-if";
    case Verdict::not_checked: return "not-checked";
  }
  return "not-checked";
}

std::string timeline_file(const Claim& k, std::size_t i) {
  return "plots/" + k.id + "-" + std::to_string(i + 1) + ".svg";
}

nlohmann::json to_json(const Checked& c) {
  const Claim& k = *c.claim;
  const Finding& f = c.finding;
  nlohmann::json cx = nlohmann::json::array();
  for (std::size_t i = 0; i < f.counterexamples.size(); ++i) {
    const auto& x = f.counterexamples[i];
    nlohmann::json one = {{"summary", x.summary}, {"replay", x.replay}, {"timeline", x.timeline.has_value()}};
    if (x.timeline) one["timeline_svg"] = timeline_file(k, i);
    cx.push_back(std::move(one));
  }
  nlohmann::json evidence = {
      {"findings", f.evidence}, {"measurements", f.measurements}, {"counterexamples", cx}};
  nlohmann::json j = {{"id", k.id},
                      {"claim", k.sentence},
                      {"quoted", k.quoted},
                      {"source", k.source},
                      {"mechanisms", k.mechanisms},
                      {"runs", f.runs},
                      {"verdict", to_string(f.verdict)},
                      {"evidence", evidence},
                      {"seconds", c.seconds}};
  if (f.verdict == Verdict::holds_only_if) j["condition"] = f.condition;
  if (f.verdict == Verdict::refuted) j["why"] = f.condition;
  if (f.verdict == Verdict::not_checked) j["reason"] = f.condition;
  return j;
}

}  // namespace ipch::claims
