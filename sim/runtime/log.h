// Logging: RocketMQ-like INFO/WARN/ERROR lines that component code writes through its Runtime.
//
// A log line is a trace event named "Log" with the details Logger (RocketMQ's logger names:
// RocketmqBroker, RocketmqStore, RocketmqNamesrv, RocketmqClient, RocketmqRemoting,
// RocketmqProxy) and Msg. So in simulation a log line is stamped with virtual time and its
// process, feeds the digest and is as deterministic as any other event; the real runtime
// (sim/asio) writes the same lines, each with its level word (SeverityName), to a log file and
// stderr. Besides "Log" events, every other trace event of severity WARN or ERROR is a log line too
// (its name and details).
//
//   RMQ_LOG_INFO(rt_, "RocketmqBroker", "register broker to name server {} OK", addr);
//
// The message is formatted (with {fmt}) only when the runtime keeps events of that severity.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "sim/base/trace.h"
#include "sim/runtime/trace_sink.h"

namespace rmqsim {

inline constexpr std::string_view kLogEventName = "Log";

// Emits a "Log" event with the given severity, logger and message.
void EmitLog(TraceSink& sink, Severity severity, std::string_view logger, std::string message);

// The text of an event's log line, without time or level: "RocketmqBroker - message" for a Log
// event, "broker-a-0 StoreDiskFull Ratio=0.97" for another event at WARN or above (with its node
// when `node` is not empty); nullopt for events that are not log lines.
std::optional<std::string> LogLineText(const TraceEvent& e, std::string_view node = {});

// Parses "debug", "info", "warn" or "error" (any case).
std::optional<Severity> ParseLogLevel(std::string_view text);

}  // namespace rmqsim

#define RMQ_LOG(rt, severity, logger, ...)                                               \
  do {                                                                                   \
    if ((rt).trace().Enabled(severity)) {                                                \
      ::rmqsim::EmitLog((rt).trace(), (severity), (logger), ::fmt::format(__VA_ARGS__)); \
    }                                                                                    \
  } while (false)
#define RMQ_LOG_DEBUG(rt, logger, ...) RMQ_LOG(rt, ::rmqsim::Severity::kDebug, logger, __VA_ARGS__)
#define RMQ_LOG_INFO(rt, logger, ...) RMQ_LOG(rt, ::rmqsim::Severity::kInfo, logger, __VA_ARGS__)
#define RMQ_LOG_WARN(rt, logger, ...) RMQ_LOG(rt, ::rmqsim::Severity::kWarn, logger, __VA_ARGS__)
#define RMQ_LOG_ERROR(rt, logger, ...) RMQ_LOG(rt, ::rmqsim::Severity::kError, logger, __VA_ARGS__)
