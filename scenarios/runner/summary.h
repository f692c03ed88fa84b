// Pieces shared by the scenario summaries (`rmqsim demo`, `rmqsim cluster`).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "faults/machine_nemesis.h"
#include "sim/base/time.h"

namespace rmqsim::scenarios {

// Builds a multi-line summary with printf-style lines.
class SummaryWriter {
 public:
  template <typename... Args>
  void Line(const char* format, Args... args) {
    const int n = std::snprintf(nullptr, 0, format, args...);
    if (n > 0) {
      std::string buf(static_cast<size_t>(n) + 1, '\0');
      std::snprintf(buf.data(), buf.size(), format, args...);
      buf.resize(static_cast<size_t>(n));
      out_ += buf;
    }
    out_ += '\n';
  }
  // "  simulated      1h02m01.000s, N events, M trace events"
  void Simulated(Duration simulated, uint64_t events, uint64_t trace_events);
  // "  faults         N injected: kill=2 partition=1 ..."
  void Faults(const std::vector<faults::MachineFaultWindow>& history);
  // The digest, the result, and the replay line on a violation.
  void Footer(uint64_t digest, bool ok, const std::string& replay_command);
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace rmqsim::scenarios
