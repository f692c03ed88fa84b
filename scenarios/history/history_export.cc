#include "scenarios/history/history_export.h"

#include <google/protobuf/util/json_util.h>

#include <cinttypes>
#include <cstdio>
#include <map>

namespace rmqsim::scenarios {

namespace {

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

template <typename Repeated>
void Lines(std::string& out, const char* name, const Repeated& items) {
  for (const auto& item : items) {
    out += "{\"";
    out += name;
    out += "\":";
    out += Json(item);
    out += "}\n";
  }
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// Trace-event JSON: times in microseconds.
class TraceWriter {
 public:
  int Tid(const std::string& track) {
    auto [it, fresh] = tids_.try_emplace(track, static_cast<int>(tids_.size()) + 1);
    return it->second;
  }
  void Instant(const std::string& track, const std::string& name, int64_t ns,
               const std::string& args) {
    Add("{\"name\":\"" + Escape(name) + "\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":" +
        std::to_string(Tid(track)) + ",\"ts\":" + Us(ns) + ",\"args\":{" + args + "}}");
  }
  void Span(const std::string& track, const std::string& name, int64_t start_ns, int64_t end_ns,
            const std::string& args) {
    Add("{\"name\":\"" + Escape(name) + "\",\"ph\":\"X\",\"pid\":1,\"tid\":" +
        std::to_string(Tid(track)) + ",\"ts\":" + Us(start_ns) +
        ",\"dur\":" + Us(std::max<int64_t>(end_ns - start_ns, 1000)) + ",\"args\":{" + args +
        "}}");
  }
  std::string Finish() {
    std::string out = "{\"traceEvents\":[\n";
    out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"rmqsim\"}}";
    for (const auto& [track, tid] : tids_) {
      out += ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(tid) +
             ",\"args\":{\"name\":\"" + Escape(track) + "\"}}";
    }
    for (const auto& e : events_) out += ",\n" + e;
    out += "\n],\"displayTimeUnit\":\"ms\"}\n";
    return out;
  }

 private:
  static std::string Us(int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
    return buf;
  }
  void Add(std::string e) { events_.push_back(std::move(e)); }
  std::map<std::string, int> tids_;
  std::vector<std::string> events_;
};

std::string Arg(const std::string& k, const std::string& v) {
  return "\"" + k + "\":\"" + Escape(v) + "\"";
}

}  // namespace

std::string HistoryToJsonLines(const history::History& h) {
  std::string out = "{\"config\":" + Json(h.config()) + "}\n";
  Lines(out, "send", h.sends());
  Lines(out, "delivery", h.deliveries());
  Lines(out, "fault", h.faults());
  Lines(out, "route", h.routes());
  Lines(out, "broker", h.brokers());
  Lines(out, "replica", h.replicas());
  Lines(out, "lag", h.lags());
  return out;
}

std::string HistoryToChromeTrace(const history::History& h) {
  TraceWriter w;
  // Tracks in a readable order: name servers, brokers, producers, consumers, faults.
  for (const auto& ns : h.config().name_servers()) w.Tid(ns);
  for (const auto& g : h.config().groups()) {
    w.Tid(g.master());
    for (const auto& s : g.slave_processes()) w.Tid(s);
  }
  for (const auto& p : h.config().producers()) w.Tid(p);
  for (const auto& f : h.faults()) {
    std::string args = Arg("target", f.target()) + "," + Arg("detail", f.detail()) + "," +
                       Arg("id", std::to_string(f.id()));
    const int64_t end = f.end_ns() > 0 ? f.end_ns() : h.config().end_ns();
    if (f.processes().empty()) w.Span("faults", f.kind(), f.start_ns(), end, args);
    for (const auto& p : f.processes()) w.Span(p, f.kind(), f.start_ns(), end, args);
  }
  for (const auto& s : h.sends()) {
    std::string outcome = s.outcome() == history::OK ? s.status()
                                                     : history::Outcome_Name(s.outcome());
    w.Instant(s.producer(), "send " + outcome, s.complete_ns() > 0 ? s.complete_ns() : s.invoke_ns(),
              Arg("key", s.key()) + "," + Arg("broker", s.broker()) + "," +
                  Arg("queue", std::to_string(s.queue())) + "," +
                  Arg("offset", std::to_string(s.queue_offset())) + "," + Arg("error", s.error()));
  }
  for (const auto& d : h.deliveries()) {
    w.Instant(d.consumer(), d.consumed() ? "consume" : "reconsume later", d.time_ns(),
              Arg("key", d.key()) + "," + Arg("broker", d.broker()) + "," +
                  Arg("queue", std::to_string(d.queue())) + "," +
                  Arg("offset", std::to_string(d.queue_offset())) + "," +
                  Arg("topic", d.pulled_topic()));
  }
  for (const auto& r : h.routes()) {
    std::string brokers;
    for (const auto& b : r.brokers()) {
      brokers += (brokers.empty() ? "" : " ") + b.broker_name() + ":" + std::to_string(b.broker_id());
    }
    w.Instant(r.name_server(), r.up() ? "routes" : "down", r.time_ns(), Arg("brokers", brokers));
  }
  return w.Finish();
}

}  // namespace rmqsim::scenarios
