#include "sim/base/trace.h"

#include <bit>
#include <cstdio>

#include "sim/base/hash.h"

namespace rmqsim {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kDebug: return "DEBUG";
    case Severity::kInfo: return "INFO";
    case Severity::kWarn: return "WARN";
    case Severity::kError: return "ERROR";
  }
  return "?";
}

const TraceEvent::Value* TraceEvent::Find(std::string_view key) const {
  for (const auto& f : fields_) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

std::string FormatTraceValue(const TraceEvent::Value& v) {
  struct Visitor {
    std::string operator()(int64_t x) const { return std::to_string(x); }
    std::string operator()(uint64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", x);
      return buf;
    }
    std::string operator()(bool x) const { return x ? "true" : "false"; }
    std::string operator()(const std::string& x) const { return x; }
  };
  return std::visit(Visitor{}, v);
}

std::string FormatTraceEvent(const StampedTraceEvent& e) {
  std::string out = FormatMonoTime(e.time);
  out += ' ';
  out += e.node.empty() ? "-" : e.node;
  out += ' ';
  out += e.event.name();
  if (e.event.severity() >= Severity::kWarn) {
    out += " [";
    out += SeverityName(e.event.severity());
    out += ']';
  }
  for (const auto& f : e.event.fields()) {
    out += ' ';
    out += f.key;
    out += '=';
    out += FormatTraceValue(f.value);
  }
  return out;
}

void TraceDigest::AddRaw(uint64_t v) {
  value_ = HashCombine(value_, v);
  ++count_;
}

void TraceDigest::Add(const StampedTraceEvent& e) {
  uint64_t h = HashCombine(kFnvOffset64, static_cast<uint64_t>(ToNanos(e.time)));
  h = Fnv1a64(e.node, h);
  h = Fnv1a64(e.event.name(), h);
  h = HashCombine(h, static_cast<uint64_t>(e.event.severity()));
  for (const auto& f : e.event.fields()) {
    h = Fnv1a64(f.key, h);
    h = HashCombine(h, f.value.index());
    std::visit(
        [&h](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) {
            h = Fnv1a64(x, h);
          } else if constexpr (std::is_same_v<T, double>) {
            h = HashCombine(h, std::bit_cast<uint64_t>(x));
          } else {
            h = HashCombine(h, static_cast<uint64_t>(x));
          }
        },
        f.value);
  }
  AddRaw(h);
}

}  // namespace rmqsim
