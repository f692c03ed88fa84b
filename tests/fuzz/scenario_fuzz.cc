// libFuzzer target: the scenario file loader (scenarios/runner/scenario_file.{h,cc}):
// ParseScenario from text (Protobuf text format, overrides, validation, FillDefaults).
//
// Input: scenario text. Leading lines of the form `--set path=value` (at most 4) are taken out
// and applied as overrides, as `rmqsim run --set` does.
// Checks: a failure is kInvalidArgument with a message (never a crash); a scenario that loads
// prints (ScenarioToText) to text that loads again to the same scenario, and FillDefaults on it
// changes nothing.
//
//   RMQ_FUZZ_WRITE_SEEDS=<dir> ./scenario_fuzz   writes seed inputs (library files) and exits;
//   the checked-in corpus also holds files of scenarios/library/ as they are.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/runner/scenario_file.h"

namespace {

using rmqsim::scenarios::FillDefaults;
using rmqsim::scenarios::ParseScenario;
using rmqsim::scenarios::ScenarioToText;

[[noreturn]] void Die(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "scenario_fuzz: FINDING: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("RMQ_FUZZ_WRITE_SEEDS")) {
    // A small scenario with overrides; the library files are copied in as they are.
    const std::string seed =
        "--set phases.chaos=2m\n"
        "--set topology.broker_groups[0].flush=ASYNC_FLUSH\n"
        "name: \"seed\"\n"
        "topology { name_servers: 1 broker_groups { name: \"broker-a\" slaves: 1 } }\n"
        "workload { producers { name: \"producer\" count: 1 rate: 10 }\n"
        "           consumer_groups { group: \"cg\" consumers: 1 } }\n"
        "faults { timeline { at: \"10s\" kind: KILL target { role: MASTER } duration: \"5s\" } }\n"
        "phases { chaos: \"1m\" quiet: \"1m\" }\n";
    std::ofstream(std::string(dir) + "/seed-overrides", std::ios::binary) << seed;
    std::fprintf(stderr, "scenario_fuzz: wrote 1 seed to %s\n", dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  while (overrides.size() < 4 && text.starts_with("--set ")) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(6, eol == std::string_view::npos ? eol : eol - 6);
    overrides.emplace_back(line);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  auto s = ParseScenario(text, "fuzz.textproto", overrides);
  if (!s.ok()) {
    if (s.status().code() != rmqsim::StatusCode::kInvalidArgument) {
      Die("not kInvalidArgument", s.status().ToString());
    }
    if (s.status().message().empty()) Die("an error without a message", "");
    return 0;
  }
  const std::string printed = ScenarioToText(*s);
  auto again = ParseScenario(printed, "fuzz.textproto");
  if (!again.ok()) {
    Die("a loaded scenario, printed, does not load again: " + again.status().ToString(), printed);
  }
  if (ScenarioToText(*again) != printed) {
    Die("a loaded scenario, printed and loaded again, differs", printed);
  }
  auto filled = *s;
  FillDefaults(filled);
  if (ScenarioToText(filled) != printed) Die("FillDefaults is not idempotent", printed);
  return 0;
}
