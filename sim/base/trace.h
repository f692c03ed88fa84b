// Structured trace events and the running digest that proves determinism.
//
// An event is a PascalCase name plus typed details; the Runtime's TraceSink stamps it with the
// node (process) and time. Checkers and notebooks read events as data, and every event feeds a
// running digest: two runs with the same seed must produce the same digest. The catalogue of
// event names lives in docs/trace-events.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sim/base/time.h"

namespace rmqsim {

enum class Severity : uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
std::string_view SeverityName(Severity s);

class TraceEvent {
 public:
  using Value = std::variant<int64_t, uint64_t, double, bool, std::string>;
  struct Field {
    std::string_view key;  // a string literal: keys are part of the catalogue
    Value value;
  };

  explicit TraceEvent(std::string_view name, Severity severity = Severity::kInfo)
      : name_(name), severity_(severity) {}

  TraceEvent& Detail(std::string_view key, std::string value) & {
    fields_.push_back({key, std::move(value)});
    return *this;
  }
  TraceEvent& Detail(std::string_view key, const char* value) & {
    return Detail(key, std::string(value));
  }
  TraceEvent& Detail(std::string_view key, bool value) & {
    fields_.push_back({key, value});
    return *this;
  }
  TraceEvent& Detail(std::string_view key, double value) & {
    fields_.push_back({key, value});
    return *this;
  }
  template <typename I>
    requires std::is_integral_v<I>
  TraceEvent& Detail(std::string_view key, I value) & {
    if constexpr (std::is_signed_v<I>) {
      fields_.push_back({key, static_cast<int64_t>(value)});
    } else {
      fields_.push_back({key, static_cast<uint64_t>(value)});
    }
    return *this;
  }
  TraceEvent& Detail(std::string_view key, Duration d) & {
    return Detail(key, static_cast<int64_t>(d.count()));
  }
  // Rvalue overloads so a temporary can be built fluently and moved into a sink.
  template <typename V>
  TraceEvent&& Detail(std::string_view key, V&& value) && {
    Detail(key, std::forward<V>(value));
    return std::move(*this);
  }

  std::string_view name() const { return name_; }
  Severity severity() const { return severity_; }
  const std::vector<Field>& fields() const { return fields_; }
  // The value of a detail, or nullptr.
  const Value* Find(std::string_view key) const;

 private:
  std::string_view name_;  // a string literal: names are part of the catalogue
  Severity severity_;
  std::vector<Field> fields_;
};

// An event with its stamp, as recorded.
struct StampedTraceEvent {
  MonoTime time;
  std::string node;
  TraceEvent event;
};

// A detail's value as text, as FormatTraceEvent prints it.
std::string FormatTraceValue(const TraceEvent::Value& v);

// "+00:00:01.250 broker-a ConnectionReset Peer=10.0.0.2:10911"
std::string FormatTraceEvent(const StampedTraceEvent& e);

// Running, order-sensitive digest of everything fed to it. Stable across processes, compilers
// and address-space layouts: only values (never pointers) are hashed.
class TraceDigest {
 public:
  void Add(const StampedTraceEvent& e);
  void AddRaw(uint64_t v);
  uint64_t value() const { return value_; }
  uint64_t count() const { return count_; }

 private:
  uint64_t value_ = 0x6a09e667f3bcc908ULL;
  uint64_t count_ = 0;
};

}  // namespace rmqsim
