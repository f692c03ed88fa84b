// Shrinking a failing run: the faults the run injected (random or scripted) become a scripted
// timeline with exact times and targets; then faults are removed and windows shortened, one
// step at a time, while the same checker still fails with the same seed. The result is a
// scenario file that reproduces the failure with few faults.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scenarios/proto/scenario.pb.h"
#include "sim/base/status.h"

namespace rmqsim::scenarios {

struct ShrinkOptions {
  uint64_t seed = 1;
  bool buggify = false;
  std::vector<std::string> planted_bugs;  // see RunOptions
  int max_runs = 80;  // runs of the scenario at most (each is a whole simulation)
  std::function<void(const std::string&)> log;
};

struct ShrinkResult {
  scenario::Scenario scenario;  // nemesis off, the minimal timeline
  std::string checker;          // the checker that still fails
  int faults_before = 0;
  int faults_after = 0;
  int runs = 0;
};

// kFailedPrecondition when the seed passes (nothing to shrink) or when the failure does not
// reproduce once its faults are replayed as a timeline.
StatusOr<ShrinkResult> Shrink(const scenario::Scenario& s, const ShrinkOptions& o);

}  // namespace rmqsim::scenarios
