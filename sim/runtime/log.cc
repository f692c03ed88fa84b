#include "sim/runtime/log.h"

#include <cctype>

namespace rmqsim {

void EmitLog(TraceSink& sink, Severity severity, std::string_view logger, std::string message) {
  sink.Emit(TraceEvent(kLogEventName, severity)
                .Detail("Logger", std::string(logger))
                .Detail("Msg", std::move(message)));
}

std::optional<std::string> LogLineText(const TraceEvent& e, std::string_view node) {
  std::string out;
  if (e.name() == kLogEventName) {
    const auto* logger = e.Find("Logger");
    const auto* msg = e.Find("Msg");
    out = logger != nullptr ? FormatTraceValue(*logger) : std::string("-");
    out += " - ";
    if (msg != nullptr) out += FormatTraceValue(*msg);
    return out;
  }
  if (e.severity() < Severity::kWarn) return std::nullopt;
  if (!node.empty()) {
    out += node;
    out += ' ';
  }
  out += e.name();
  for (const auto& f : e.fields()) {
    out += ' ';
    out += f.key;
    out += '=';
    out += FormatTraceValue(f.value);
  }
  return out;
}

std::optional<Severity> ParseLogLevel(std::string_view text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "debug") return Severity::kDebug;
  if (t == "info") return Severity::kInfo;
  if (t == "warn" || t == "warning") return Severity::kWarn;
  if (t == "error") return Severity::kError;
  return std::nullopt;
}

}  // namespace rmqsim
