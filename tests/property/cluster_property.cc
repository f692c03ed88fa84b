#include "tests/property/cluster_property.h"

#include <algorithm>
#include <filesystem>  // lint-allow: writes the counterexample file for the developer
#include <fstream>     // lint-allow: writes the counterexample file for the developer
#include <memory>
#include <sstream>

#include "scenarios/runner/scenario_file.h"
#include "tests/property/property_check.h"

#ifndef RMQSIM_PROPERTY_OUT_DIR
#define RMQSIM_PROPERTY_OUT_DIR "property-counterexamples"
#endif
#ifndef RMQSIM_BINARY_PATH
#define RMQSIM_BINARY_PATH "rmqsim"
#endif

namespace rmqsim::property {

ClusterProperty CheckersPass(std::vector<std::string> names) {
  return [names](const scenario::Scenario&, const scenarios::RunResult& r) {
    std::vector<std::string> out;
    for (const auto& c : r.checks) {
      if (c.verdict != checkers::Verdict::kFail) continue;
      if (std::find(names.begin(), names.end(), c.checker) == names.end()) continue;
      if (c.violations.empty()) out.push_back(c.checker + ": " + c.headline);
      for (const auto& v : c.violations) out.push_back(c.checker + ": " + v);
    }
    return out;
  };
}

std::string ReplayCommand(const std::string& file, uint64_t seed,
                          const std::vector<std::string>& planted_bugs) {
  std::string out =
      std::string(RMQSIM_BINARY_PATH) + " run '" + file + "' --seed " + std::to_string(seed);
  for (const auto& bug : planted_bugs) out += " --plant " + bug;
  return out;
}

StatusOr<CaseOutcome> RunCase(const ScenarioSpec& spec, const GenParams& gen,
                              const ClusterProperty& property) {
  auto sc = BuildScenario(spec, gen);
  if (!sc.ok()) return sc.status();
  CaseOutcome out;
  out.scenario = std::move(*sc);
  scenarios::RunOptions ro;
  ro.seed = spec.seed;
  ro.planted_bugs = gen.planted_bugs;
  out.run = scenarios::RunScenario(out.scenario, ro);
  out.violations = property(out.scenario, out.run);
  return out;
}

namespace {

std::string FileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out.empty() ? "property" : out;
}

// Writes the scenario with a header that says what failed and how to replay it.
std::string WriteCounterexample(const std::string& dir, const std::string& name,
                                const Counterexample& c,
                                const std::vector<std::string>& planted_bugs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // lint-allow: the developer's output file
  const std::string path = dir + "/" + FileName(name) + ".textproto";
  std::ofstream f(path);  // lint-allow: the developer's output file
  if (!f) return "";
  f << "# Counterexample of the property \"" << name << "\" (tests/property), shrunk by "
    << "RapidCheck.\n# Spec: " << c.spec << "\n";
  for (const auto& v : c.violations) f << "# Violation: " << v << "\n";
  f << "# Replay: " << ReplayCommand(path, c.seed, planted_bugs) << "\n";
  f << scenarios::ScenarioToText(c.scenario);
  return f ? path : "";
}

}  // namespace

std::string PropertyResult::Report() const {
  std::ostringstream os;
  if (passed) {
    os << "passed (" << runs << " runs, " << static_cast<int64_t>(simulated_s)
       << " simulated seconds)\n";
    return os.str();
  }
  os << "FAILED after " << runs << " runs\n" << rapidcheck << "\n";
  if (!failure) return os.str();
  const Counterexample& c = *failure;
  os << "shrunk counterexample (" << c.faults << " faults): " << c.spec << "\n";
  for (const auto& v : c.violations) os << "  violation: " << v << "\n";
  os << "---- scenario file" << (c.file.empty() ? " (not written)" : " " + c.file) << "\n"
     << scenarios::ScenarioToText(c.scenario) << "----\n";
  os << "replay: " << c.replay << "\n";
  return os.str();
}

PropertyResult CheckClusterProperty(const GenParams& gen, const ClusterProperty& property,
                                    const PropertyOptions& o) {
  struct State {
    int runs = 0;
    double simulated_s = 0;
    std::optional<Counterexample> last_failure;
  };
  auto state = std::make_shared<State>();
  const int max_runs = o.max_runs > 0 ? o.max_runs : o.cases + 60;
  const auto result = CheckSeeded(
      o.name, o.cases,
      [&gen, &property, &o, state, max_runs] {
        const ScenarioSpec spec = *GenScenarioSpec(gen);
        if (state->runs >= max_runs) return;  // budget spent: stop shrinking here
        ++state->runs;
        auto outcome = RunCase(spec, gen, property);
        RC_ASSERT(outcome.ok());  // a spec that does not build is a bug in the generator
        state->simulated_s += static_cast<double>(outcome->run.simulated.count()) / 1e9;
        const std::string described = DescribeSpec(spec, gen);
        if (o.log != nullptr) {
          *o.log << "[" << o.name << "] run " << state->runs << ": "
                 << (outcome->violations.empty() ? "ok" : "FAIL") << " - " << described
                 << std::endl;
        }
        RC_TAG(outcome->scenario.faults().timeline_size() == 0 ? "no faults" : "faults");
        if (outcome->violations.empty()) return;
        Counterexample c;
        c.scenario = outcome->scenario;
        c.seed = spec.seed;
        c.spec = described;
        c.violations = outcome->violations;
        c.faults = outcome->scenario.faults().timeline_size();
        state->last_failure = std::move(c);
        RC_FAIL(outcome->violations.front());
      },
      o.rapidcheck_seed != 0 ? o.rapidcheck_seed : RapidCheckSeed());
  PropertyResult r;
  r.passed = Passed(result);
  r.runs = state->runs;
  r.simulated_s = state->simulated_s;
  r.rapidcheck = Describe(result);
  if (!r.passed && state->last_failure) {
    r.failure = std::move(state->last_failure);
    r.failure->file = WriteCounterexample(
        o.output_dir.empty() ? std::string(RMQSIM_PROPERTY_OUT_DIR) : o.output_dir, o.name,
        *r.failure, gen.planted_bugs);
    r.failure->replay = ReplayCommand(r.failure->file.empty() ? "<file>" : r.failure->file,
                                      r.failure->seed, gen.planted_bugs);
  }
  return r;
}

}  // namespace rmqsim::property
