#include "system/broker/broker_stats.h"

#include <algorithm>
#include <cstdio>

namespace rmqsim::broker {
namespace {
// The longest window kept.
constexpr int64_t kKeepSeconds = 600;

int64_t SecondOf(MonoTime t) {
  return ToNanos(t) / 1'000'000'000;
}
}  // namespace

void BrokerStats::Add(Buckets& b, MonoTime now, int64_t n) {
  const int64_t sec = SecondOf(now);
  if (!b.empty() && b.back().first == sec) {
    b.back().second += n;
  } else {
    b.emplace_back(sec, n);
  }
  while (!b.empty() && b.front().first <= sec - kKeepSeconds) b.pop_front();
}

double BrokerStats::Tps(const Buckets& b, MonoTime now, Duration window) {
  int64_t seconds_in = std::max<int64_t>(1, ToMillis(window) / 1000);
  seconds_in = std::min(seconds_in, kKeepSeconds);
  const int64_t sec = SecondOf(now);
  int64_t sum = 0;
  for (auto it = b.rbegin(); it != b.rend() && it->first > sec - seconds_in; ++it) {
    sum += it->second;
  }
  return static_cast<double>(sum) / static_cast<double>(seconds_in);
}

std::string BrokerStats::TpsText(const Buckets& b, MonoTime now) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", Tps(b, now, seconds(10)),
                Tps(b, now, seconds(60)), Tps(b, now, seconds(600)));
  return buf;
}

void BrokerStats::OnPut(MonoTime now, int64_t msgs) {
  put_total_ += msgs;
  Add(put_, now, msgs);
}

void BrokerStats::OnGet(MonoTime now, const std::string& group, const std::string& topic,
                        int64_t msgs) {
  get_total_ += msgs;
  Add(get_, now, msgs);
  Add(group_get_[topic + "@" + group], now, msgs);
}

double BrokerStats::GroupGetTps(MonoTime now, const std::string& group,
                                const std::string& topic) const {
  auto it = group_get_.find(topic + "@" + group);
  return it == group_get_.end() ? 0.0 : Tps(it->second, now, seconds(60));
}

}  // namespace rmqsim::broker
