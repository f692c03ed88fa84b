// Checkers: each reads only the recorded history (scenarios/proto/history.proto) and the
// scenario's check settings, and returns a verdict with its figures. They never look inside the
// simulated processes, so a history exported from a run (or written by hand in a test) can be
// checked offline.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/proto/history.pb.h"
#include "scenarios/proto/scenario.pb.h"

namespace rmqsim::checkers {

enum class Verdict : uint8_t { kPass, kFail, kSkipped };
std::string_view VerdictName(Verdict v);  // "PASS", "FAIL", "SKIP"

struct CheckResult {
  std::string checker;   // "delivery", "routes", ...
  Verdict verdict = Verdict::kPass;
  std::string headline;  // one line: "0 SEND_OK lost, 3 duplicated, 12 recovered"
  // Violations, each a complete sentence naming what was expected, what was seen and when
  // ("SEND_OK key k1 (broker-a q2 @41) never delivered to chaos_cg"). Kept to a few examples;
  // `violations_total` counts all.
  std::vector<std::string> violations;
  uint64_t violations_total = 0;
  // Figures (not verdicts): name -> value, printed and exported ("lost", "duplicated", ...).
  std::map<std::string, double> metrics;
  // Extra lines for the summary (explained losses, per-fault failover figures, ...).
  std::vector<std::string> notes;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string name() const = 0;
  virtual CheckResult Check(const history::History& h, const scenario::Checks& settings) const = 0;
};

// The registry: every checker by name, in a fixed order (delivery, routes, liveness, replicas,
// retry, metrics, coverage).
std::vector<std::string> CheckerNames();
std::unique_ptr<Checker> MakeChecker(const std::string& name);

// Runs the checkers the settings enable (all when `settings_present` is false).
std::vector<CheckResult> RunCheckers(const history::History& h, const scenario::Checks& settings,
                                     bool settings_present);

}  // namespace rmqsim::checkers
