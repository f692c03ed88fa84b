#include "system/proxy/proxy_stats.h"

#include <cstdio>

namespace rmqsim::proxy {

void Histogram::Record(double value) {
  ++count;
  sum += value;
  for (size_t i = 0; i < kRequestTimeBucketsMs.size(); ++i) {
    if (value <= kRequestTimeBucketsMs[i]) ++buckets[i];
  }
}

std::vector<StatValue> ListStats(const ProxyStats& s) {
  auto c = [](const char* n, uint64_t v) {
    return StatValue{n, StatType::kCounter, static_cast<int64_t>(v), nullptr};
  };
  auto g = [](const char* n, int64_t v) { return StatValue{n, StatType::kGauge, v, nullptr}; };
  return {
      c("request", s.request),
      c("request_decoding_error", s.request_decoding_error),
      c("request_decoding_success", s.request_decoding_success),
      c("response", s.response),
      c("response_decoding_error", s.response_decoding_error),
      c("response_decoding_success", s.response_decoding_success),
      c("response_error", s.response_error),
      c("response_success", s.response_success),
      c("heartbeat", s.heartbeat),
      c("unregister", s.unregister),
      c("get_topic_route", s.get_topic_route),
      c("send_message_v1", s.send_message_v1),
      c("send_message_v2", s.send_message_v2),
      c("pop_message", s.pop_message),
      c("ack_message", s.ack_message),
      c("get_consumer_list", s.get_consumer_list),
      c("maintenance_failure", s.maintenance_failure),
      g("request_active", s.request_active),
      g("send_message_v1_active", s.send_message_v1_active),
      g("send_message_v2_active", s.send_message_v2_active),
      g("pop_message_active", s.pop_message_active),
      g("get_topic_route_active", s.get_topic_route_active),
      g("send_message_pending", s.send_message_pending),
      g("pop_message_pending", s.pop_message_pending),
      g("get_topic_route_pending", s.get_topic_route_pending),
      g("total_pending", s.total_pending),
      StatValue{"request_time_ms", StatType::kHistogram,
                static_cast<int64_t>(s.request_time_ms.count), &s.request_time_ms},
  };
}

std::string StatRoot(std::string_view stat_prefix) {
  return "rocketmq." + std::string(stat_prefix) + ".";
}

namespace {
std::string PromName(std::string_view root, std::string_view name) {
  std::string out = "envoy_";
  for (char ch : std::string(root) + std::string(name)) out += (ch == '.' || ch == '-') ? '_' : ch;
  return out;
}
std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
}  // namespace

std::string PrometheusText(const ProxyStats& stats, std::string_view stat_prefix) {
  const std::string root = StatRoot(stat_prefix);
  std::string out;
  for (const StatValue& v : ListStats(stats)) {
    const std::string name = PromName(root, v.name);
    switch (v.type) {
      case StatType::kCounter:
        out += "# TYPE " + name + " counter\n" + name + " " + std::to_string(v.value) + "\n";
        break;
      case StatType::kGauge:
        out += "# TYPE " + name + " gauge\n" + name + " " + std::to_string(v.value) + "\n";
        break;
      case StatType::kHistogram: {
        const Histogram& h = *v.histogram;
        out += "# TYPE " + name + " histogram\n";
        for (size_t i = 0; i < kRequestTimeBucketsMs.size(); ++i) {
          out += name + "_bucket{le=\"" + FormatDouble(kRequestTimeBucketsMs[i]) + "\"} " +
                 std::to_string(h.buckets[i]) + "\n";
        }
        out += name + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
        out += name + "_sum " + FormatDouble(h.sum) + "\n";
        out += name + "_count " + std::to_string(h.count) + "\n";
        break;
      }
    }
  }
  return out;
}

}  // namespace rmqsim::proxy
