#include "scenarios/runner/summary.h"

#include <cinttypes>
#include <map>

namespace rmqsim::scenarios {

void SummaryWriter::Simulated(Duration simulated, uint64_t events, uint64_t trace_events) {
  Line("  simulated      %s, %" PRIu64 " events, %" PRIu64 " trace events",
       FormatDuration(simulated).c_str(), events, trace_events);
}

void SummaryWriter::Faults(const std::vector<faults::MachineFaultWindow>& history) {
  std::map<std::string, int> by_kind;
  for (const auto& f : history) ++by_kind[std::string(faults::MachineFaultKindName(f.kind))];
  std::string kinds;
  for (const auto& [k, n] : by_kind) kinds += " " + k + "=" + std::to_string(n);
  Line("  faults         %zu injected:%s", history.size(), kinds.c_str());
}

void SummaryWriter::Footer(uint64_t digest, bool ok, const std::string& replay_command) {
  Line("  digest         %016" PRIx64, digest);
  Line("  result         %s", ok ? "OK" : "VIOLATION");
  if (!ok && !replay_command.empty()) Line("  replay         %s", replay_command.c_str());
}

}  // namespace rmqsim::scenarios
