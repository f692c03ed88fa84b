// Scenario files: Protobuf text format (scenarios/proto/scenario.proto). Loading parses, fills
// the defaults in (so the summary and the replay line show every value), and validates; every
// error names `file:line:column: field: what is wrong`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/proto/scenario.pb.h"
#include "sim/base/status.h"
#include "sim/base/time.h"

namespace rmqsim::scenarios {

// Reads, parses, applies `overrides` ("phases.chaos=10m", "topology.broker_groups[0].flush=
// ASYNC_FLUSH", "topology.broker_conf[flushIntervalCommitLog]=200"), fills defaults and
// validates. kInvalidArgument with "file:line:column: field: message" lines.
StatusOr<scenario::Scenario> LoadScenarioFile(const std::string& path,
                                              const std::vector<std::string>& overrides = {});
// The same from text (`origin` names it in messages).
StatusOr<scenario::Scenario> ParseScenario(std::string_view text, const std::string& origin,
                                           const std::vector<std::string>& overrides = {});

// Sets one field by path (see above). kInvalidArgument naming the path on any error.
Status ApplyOverride(scenario::Scenario& s, std::string_view assignment);

// Fills every defaulted field in (idempotent).
void FillDefaults(scenario::Scenario& s);

// The scenario in text format (what `rmqsim shrink` prints).
std::string ScenarioToText(const scenario::Scenario& s);

// A duration field: "" is `fallback`.
Duration DurationOr(const std::string& text, Duration fallback);

}  // namespace rmqsim::scenarios
