// The checker registry: names in a fixed order, factories, and the run over a history.
#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkipped:
      return "SKIP";
  }
  return "?";
}

std::vector<std::string> CheckerNames() {
  return {"delivery", "routes", "liveness", "replicas", "retry", "metrics", "proxy", "coverage"};
}

std::unique_ptr<Checker> MakeChecker(const std::string& name) {
  if (name == "delivery") return MakeDeliveryChecker();
  if (name == "routes") return MakeRoutesChecker();
  if (name == "liveness") return MakeLivenessChecker();
  if (name == "replicas") return MakeReplicasChecker();
  if (name == "retry") return MakeRetryChecker();
  if (name == "metrics") return MakeMetricsChecker();
  if (name == "proxy") return MakeProxyChecker();
  if (name == "coverage") return MakeCoverageChecker();
  return nullptr;
}

namespace {

// A checker runs when its settings message is present (coverage: when something is required).
bool Enabled(const std::string& name, const scenario::Checks& s) {
  if (name == "delivery") return s.has_delivery();
  if (name == "routes") return s.has_routes();
  if (name == "liveness") return s.has_liveness();
  if (name == "replicas") return s.has_replicas();
  if (name == "retry") return s.has_retry();
  if (name == "metrics") return s.has_metrics();
  if (name == "proxy") return s.has_proxy();
  if (name == "coverage") return s.require_size() > 0;
  return false;
}

}  // namespace

std::vector<CheckResult> RunCheckers(const history::History& h, const scenario::Checks& settings,
                                     bool settings_present) {
  std::vector<CheckResult> results;
  for (const std::string& name : CheckerNames()) {
    if (settings_present && !Enabled(name, settings)) continue;
    CheckResult r = MakeChecker(name)->Check(h, settings);
    r.checker = name;
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace rmqsim::checkers
