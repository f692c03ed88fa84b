#include "scenarios/runner/shrink.h"

#include <algorithm>

#include "scenarios/runner/scenario_runner.h"

namespace rmqsim::scenarios {

namespace {

std::string Ms(int64_t ns) { return std::to_string(std::max<int64_t>(ns, 0) / 1'000'000) + "ms"; }

// The faults of a run as a scripted timeline (times relative to the chaos phase).
std::vector<scenario::ScriptedFault> ToTimeline(const history::History& h) {
  std::vector<scenario::ScriptedFault> out;
  for (const auto& f : h.faults()) {
    scenario::ScriptedFault sf;
    scenario::FaultKind kind;
    if (!scenario::FaultKind_Parse(f.kind(), &kind) || f.processes().empty()) continue;
    // A dangerous-moment power cycle replays as a plain power cycle at the moment it struck.
    if (kind == scenario::POWER_CYCLE_AFTER_SEND) kind = scenario::POWER_CYCLE;
    sf.set_kind(kind);
    sf.set_at(Ms(f.start_ns() - h.config().chaos_start_ns()));
    sf.mutable_target()->set_name(f.processes(0));
    // DROP_REGISTRATIONS to every name server lists them all as peers: no peer replays that.
    const bool all_peers = kind == scenario::DROP_REGISTRATIONS && f.peers_size() > 1;
    if (!f.peers().empty() && !all_peers) sf.mutable_peer()->set_name(f.peers(0));
    sf.set_duration(Ms(std::max<int64_t>(f.end_ns() - f.start_ns(), 1'000'000)));
    sf.set_suppress(kind == scenario::DROP_REGISTRATIONS &&
                    f.detail().find("suppress") != std::string::npos);
    out.push_back(std::move(sf));
  }
  return out;
}

scenario::Scenario WithTimeline(const scenario::Scenario& base,
                                const std::vector<scenario::ScriptedFault>& timeline) {
  scenario::Scenario s = base;
  s.mutable_faults()->mutable_nemesis()->set_enabled(false);
  s.mutable_faults()->clear_timeline();
  for (const auto& f : timeline) *s.mutable_faults()->add_timeline() = f;
  return s;
}

}  // namespace

StatusOr<ShrinkResult> Shrink(const scenario::Scenario& s, const ShrinkOptions& o) {
  ShrinkResult result;
  auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };
  RunOptions ro;
  ro.seed = o.seed;
  ro.buggify = o.buggify;
  ro.planted_bugs = o.planted_bugs;
  RunResult first = RunScenario(s, ro);
  ++result.runs;
  for (const auto& c : first.checks) {
    if (c.verdict == checkers::Verdict::kFail) {
      result.checker = c.checker;
      break;
    }
  }
  if (result.checker.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "seed " + std::to_string(o.seed) + " passes every checker: nothing to shrink");
  }
  auto fails = [&](const std::vector<scenario::ScriptedFault>& timeline) {
    ++result.runs;
    RunResult r = RunScenario(WithTimeline(s, timeline), ro);
    for (const auto& c : r.checks) {
      if (c.checker == result.checker && c.verdict == checkers::Verdict::kFail) return true;
    }
    return false;
  };
  std::vector<scenario::ScriptedFault> timeline = ToTimeline(first.history());
  result.faults_before = static_cast<int>(timeline.size());
  log("checker " + result.checker + " fails; " + std::to_string(timeline.size()) +
      " fault(s) replayed as a timeline");
  if (!fails(timeline)) {
    return Status(StatusCode::kFailedPrecondition,
                  "the failure of " + result.checker +
                      " does not reproduce with the run's faults replayed as a timeline");
  }
  // Remove chunks of faults, halving the chunk size (delta debugging, complement only).
  for (size_t chunk = std::max<size_t>(timeline.size() / 2, 1); chunk >= 1 && !timeline.empty();
       chunk /= 2) {
    for (size_t start = 0; start < timeline.size() && result.runs < o.max_runs;) {
      std::vector<scenario::ScriptedFault> candidate;
      for (size_t i = 0; i < timeline.size(); ++i) {
        if (i < start || i >= start + chunk) candidate.push_back(timeline[i]);
      }
      if (fails(candidate)) {
        log("removed " + std::to_string(chunk) + " fault(s): " + std::to_string(candidate.size()) +
            " left");
        timeline = std::move(candidate);
      } else {
        start += chunk;
      }
    }
    if (chunk == 1) break;
  }
  // Shorten each window while it still fails.
  for (size_t i = 0; i < timeline.size() && result.runs < o.max_runs; ++i) {
    while (result.runs < o.max_runs) {
      auto d = ParseDuration(timeline[i].duration());
      if (!d.ok() || *d <= seconds(1)) break;
      auto candidate = timeline;
      candidate[i].set_duration(Ms(ToNanos(*d) / 2));
      if (!fails(candidate)) break;
      log("fault " + std::to_string(i) + " shortened to " + candidate[i].duration());
      timeline = std::move(candidate);
    }
  }
  result.faults_after = static_cast<int>(timeline.size());
  result.scenario = WithTimeline(s, timeline);
  result.scenario.set_description("Shrunk: " + s.name() + " seed " + std::to_string(o.seed) +
                                  " fails " + result.checker + " with these faults only.");
  return result;
}

}  // namespace rmqsim::scenarios
