// ProxyStats: the 27 statistics of Envoy's RocketMQ proxy filter, under
// `rocketmq.<stat_prefix>.`, with Envoy's names and types (docs/proxy.md says when each moves).
//
// Envoy registers all 27 but never updates six of them (response_success, the four *_pending
// gauges, request_time_ms); rmqsim maintains those as Envoy's documentation describes them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rmqsim::proxy {

enum class StatType { kCounter, kGauge, kHistogram };

// Envoy's default histogram bucket bounds (ms).
inline constexpr std::array<double, 19> kRequestTimeBucketsMs = {
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000,
    600000, 1800000, 3600000};

struct Histogram {
  uint64_t count = 0;
  double sum = 0;
  // buckets[i]: samples <= kRequestTimeBucketsMs[i] (cumulative, as Prometheus writes them).
  std::array<uint64_t, kRequestTimeBucketsMs.size()> buckets{};
  void Record(double value);
  friend bool operator==(const Histogram&, const Histogram&) = default;
};

struct ProxyStats {
  // Counters.
  uint64_t request = 0;
  uint64_t request_decoding_error = 0;
  uint64_t request_decoding_success = 0;
  uint64_t response = 0;
  uint64_t response_decoding_error = 0;
  uint64_t response_decoding_success = 0;
  uint64_t response_error = 0;
  uint64_t response_success = 0;  // Envoy: never updated
  uint64_t heartbeat = 0;
  uint64_t unregister = 0;
  uint64_t get_topic_route = 0;
  uint64_t send_message_v1 = 0;
  uint64_t send_message_v2 = 0;
  uint64_t pop_message = 0;
  uint64_t ack_message = 0;
  uint64_t get_consumer_list = 0;
  uint64_t maintenance_failure = 0;
  // Gauges.
  int64_t request_active = 0;
  int64_t send_message_v1_active = 0;
  int64_t send_message_v2_active = 0;
  int64_t pop_message_active = 0;
  int64_t get_topic_route_active = 0;
  int64_t send_message_pending = 0;     // Envoy: never updated
  int64_t pop_message_pending = 0;      // Envoy: never updated
  int64_t get_topic_route_pending = 0;  // Envoy: never updated
  int64_t total_pending = 0;            // Envoy: never updated
  // Histogram (Envoy: never recorded).
  Histogram request_time_ms;

  friend bool operator==(const ProxyStats&, const ProxyStats&) = default;
};

// One statistic by name, for export and for the accuracy checker.
struct StatValue {
  std::string name;  // without the prefix: "request", "send_message_v1_active", ...
  StatType type;
  int64_t value = 0;        // counters and gauges
  const Histogram* histogram = nullptr;
};

// All 27, in Envoy's documentation order.
std::vector<StatValue> ListStats(const ProxyStats& stats);
inline constexpr size_t kStatCount = 27;

// "rocketmq.<prefix>." (Envoy's config.cc).
std::string StatRoot(std::string_view stat_prefix);

// Prometheus text exposition (the names with '.' replaced by '_', as Envoy's admin
// /stats/prometheus writes them, prefixed "envoy_").
std::string PrometheusText(const ProxyStats& stats, std::string_view stat_prefix);

}  // namespace rmqsim::proxy
