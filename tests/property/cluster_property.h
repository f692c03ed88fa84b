// The cluster-property runner: RapidCheck generates whole scenarios (scenario_gen.h), each is run
// with RunScenario on the simulated world, and a property judges the run. On a failure RapidCheck
// shrinks the scenario spec (fewer faults, earlier and shorter faults, a smaller topology and
// workload); the smallest failing scenario is written as a complete scenario file with a replay
// command (`rmqsim run <file> --seed N`). See docs/properties.md.
//
//   property::GenParams gen;                      // what may be drawn (defaults: see scenario_gen.h)
//   property::PropertyOptions o{.name = "routes purged on time", .cases = 8};
//   property::PropertyResult r =
//       property::CheckClusterProperty(gen, property::CheckersPass({"routes"}), o);
//   if (!r.passed) std::cout << r.Report();       // the shrunk scenario, its file, the replay line
//
// The lead's planted bugs reuse this: build GenParams (e.g. `finish` sets the test-only switch in
// the scenario's broker_conf), pick a property, and expect `passed == false` with a counterexample.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/proto/scenario.pb.h"
#include "scenarios/runner/scenario_runner.h"
#include "tests/property/scenario_gen.h"

namespace rmqsim::property {

// A property of one run: the violations it finds (empty: it holds).
using ClusterProperty =
    std::function<std::vector<std::string>(const scenario::Scenario&, const scenarios::RunResult&)>;

// Holds when none of these checkers (by name: delivery, routes, liveness, replicas, retry,
// metrics, coverage) returned FAIL; a checker that did not run does not count. Each violation is
// "checker: sentence".
ClusterProperty CheckersPass(std::vector<std::string> checkers);

struct PropertyOptions {
  std::string name = "cluster property";  // also the counterexample file's name
  int cases = 8;                          // cases that must pass (see Cases() for CI scaling)
  uint64_t rapidcheck_seed = 0;           // 0: the build's (property_check.h)
  // Scenario runs in all (generation and shrinking) after which every further case counts as
  // passing, so RapidCheck stops shrinking and reports the smallest failure found so far.
  // 0: cases + 60.
  int max_runs = 0;
  // Where the counterexample's scenario file goes (created if missing); empty: the build's
  // tests/property/counterexamples directory.
  std::string output_dir;
  std::ostream* log = nullptr;  // one line per run, when set
};

struct Counterexample {
  scenario::Scenario scenario;  // complete: `rmqsim run` on its file reproduces the run
  uint64_t seed = 0;            // the world's seed
  std::string spec;             // the generated spec, in one line
  std::vector<std::string> violations;
  std::string file;    // the scenario file written ("" if it could not be written)
  std::string replay;  // "rmqsim run <file> --seed N"
  int faults = 0;      // timeline entries of the shrunk scenario
};

struct PropertyResult {
  bool passed = false;
  int runs = 0;              // scenario runs, generation and shrinking
  double simulated_s = 0;    // simulated seconds over all runs
  std::optional<Counterexample> failure;  // the smallest failing case RapidCheck reached
  std::string rapidcheck;    // RapidCheck's own report
  // The counterexample as a developer reads it: the property, the violations, the scenario in
  // text format, the file and the replay line.
  std::string Report() const;
};

PropertyResult CheckClusterProperty(const GenParams& gen, const ClusterProperty& property,
                                    const PropertyOptions& options);

// Runs one spec (building its scenario) and judges it: the replay of a counterexample in tests.
struct CaseOutcome {
  scenario::Scenario scenario;
  scenarios::RunResult run;
  std::vector<std::string> violations;
};
StatusOr<CaseOutcome> RunCase(const ScenarioSpec& spec, const GenParams& gen,
                              const ClusterProperty& property);

// "rmqsim run '<file>' --seed N" with the path of the rmqsim binary of this build.
std::string ReplayCommand(const std::string& file, uint64_t seed,
                          const std::vector<std::string>& planted_bugs = {});

}  // namespace rmqsim::property
