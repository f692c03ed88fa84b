// Message counters of the broker for the admin requests (a small part of Java's
// BrokerStatsManager, BrokerStats and StoreStatsService in 4.9.8): messages put and got since
// start, and rates over sliding windows kept in one-second buckets (no timer: buckets older than
// the longest window are dropped as new counts arrive).
//
//   putTps / getTransferedTps  "a b c": messages per second over the last 10 s, 1 min and 10 min
//                              (StoreStatsService's three windows)
//   consumeTps of a group and topic (ConsumeStats): per second over the last minute
//                              (BrokerStatsManager.tpsGroupGetNums)
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "sim/base/time.h"

namespace rmqsim::broker {

class BrokerStats {
 public:
  // A successful put of `msgs` messages.
  void OnPut(MonoTime now, int64_t msgs);
  // A pull that returned `msgs` messages of `topic` to `group`.
  void OnGet(MonoTime now, const std::string& group, const std::string& topic, int64_t msgs);

  int64_t put_total() const { return put_total_; }
  int64_t get_total() const { return get_total_; }
  // Messages per second over the last `window` (at most 10 minutes).
  double PutTps(MonoTime now, Duration window) const { return Tps(put_, now, window); }
  double GetTps(MonoTime now, Duration window) const { return Tps(get_, now, window); }
  double GroupGetTps(MonoTime now, const std::string& group, const std::string& topic) const;
  // "a b c" with two decimals, for the 10 s, 1 min and 10 min windows.
  std::string PutTpsText(MonoTime now) const { return TpsText(put_, now); }
  std::string GetTpsText(MonoTime now) const { return TpsText(get_, now); }

 private:
  // (second since the clock's epoch, count) pairs, oldest first.
  using Buckets = std::deque<std::pair<int64_t, int64_t>>;
  static void Add(Buckets& b, MonoTime now, int64_t n);
  static double Tps(const Buckets& b, MonoTime now, Duration window);
  static std::string TpsText(const Buckets& b, MonoTime now);

  int64_t put_total_ = 0;
  int64_t get_total_ = 0;
  Buckets put_;
  Buckets get_;
  std::map<std::string, Buckets> group_get_;  // "topic@group"
};

}  // namespace rmqsim::broker
