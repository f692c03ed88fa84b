// Exports of a recorded history: JSON lines (one record a line, for pandas or jq) and
// Chrome/Perfetto trace-event JSON (a track per process, faults as spans, sends, deliveries and
// route changes as instants; open it in ui.perfetto.dev or chrome://tracing).
#pragma once

#include <string>

#include "scenarios/proto/history.pb.h"

namespace rmqsim::scenarios {

// {"config": {...}} first, then {"send": {...}}, {"delivery": {...}}, {"fault": {...}},
// {"route": {...}}, {"broker": {...}}, {"replica": {...}}, {"lag": {...}}, one per line.
std::string HistoryToJsonLines(const history::History& h);

std::string HistoryToChromeTrace(const history::History& h);

}  // namespace rmqsim::scenarios
