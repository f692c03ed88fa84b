// The random nemesis: between `start` and `stop` it waits exponential(mean_interval), picks a
// fault kind by weight and a target among that kind's candidates, and injects it through the
// FaultInjector for a duration uniform in [min, max]. At most max_concurrent of its faults are
// open at once (a draw that finds them all busy is skipped). Its own random stream comes from
// `seed`, so a seed gives the same faults at the same times. The runner calls
// FaultInjector::HealAll() at the end of the chaos phase; the nemesis injects nothing after
// `stop` or once the injector has healed.
//
// With no kinds configured it uses DefaultNemesisMix(), weighted towards brokers (docs/faults.md
// lists it); it never destroys a master's disk unless the scenario asks for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/cluster_map.h"
#include "faults/fault_injector.h"
#include "scenarios/proto/scenario.pb.h"
#include "sim/base/random.h"
#include "sim/base/status.h"
#include "sim/simulated/world.h"

namespace rmqsim::faults {

// One line of a nemesis mix.
struct MixEntry {
  FaultKind kind = scenario::FAULT_KIND_UNSPECIFIED;
  double weight = 1;
  std::vector<scenario::Target> targets;  // empty: the kind's natural targets
  // The other side (PARTITION & co., DROP_REGISTRATIONS): one process drawn among these. Absent:
  // a random other machine (link kinds) or every name server (DROP_REGISTRATIONS).
  std::optional<scenario::Target> peer;
  std::optional<Duration> min_duration;  // absent: the nemesis' own
  std::optional<Duration> max_duration;
  std::string label;  // "KILL master", for summaries
};

// The default mix (used when Nemesis.kinds is empty).
std::vector<MixEntry> DefaultNemesisMix();
// A mix line as a scenario file writes it (the label is not kept).
scenario::NemesisKind MixEntryToProto(const MixEntry& e);

// Names what is wrong with a nemesis configuration: an unparsable or negative duration, a
// min above a max, a non-positive max_concurrent, an unknown kind, a negative weight, a
// selector that matches nothing the kind can hit.
Status ValidateNemesis(const ClusterMap& map, const scenario::Nemesis& config);

class RandomNemesis {
 public:
  // Durations of `config` that are empty or do not parse take their defaults (mean_interval
  // 30s, min 1s, max 30s, max_concurrent 3): validate with ValidateNemesis first.
  RandomNemesis(sim::World& world, const ClusterMap& map, FaultInjector& injector,
                const scenario::Nemesis& config, uint64_t seed, MonoTime start, MonoTime stop);
  ~RandomNemesis();
  RandomNemesis(const RandomNemesis&) = delete;
  RandomNemesis& operator=(const RandomNemesis&) = delete;

  // Schedules the first fault. Does nothing if the nemesis is not enabled or has no candidate.
  void Arm();

  // One line of the mix resolved against the cluster (lines with no candidate are dropped).
  struct Line {
    MixEntry entry;
    std::vector<const ProcessInfo*> targets;
    std::vector<const ProcessInfo*> peers;
    Duration min_duration{0};
    Duration max_duration{0};
  };
  const std::vector<Line>& mix() const { return mix_; }
  // Window ids of the faults it injected (armed POWER_CYCLE_AFTER_SEND included), in order.
  const std::vector<uint64_t>& windows() const { return windows_; }
  uint64_t draws() const { return draws_; }            // scheduled moments reached
  uint64_t skipped_busy() const { return skipped_busy_; }  // max_concurrent already open
  uint64_t missed() const { return missed_; }          // every attempt hit nothing
  Duration mean_interval() const { return mean_interval_; }
  int max_concurrent() const { return max_concurrent_; }

 private:
  void ScheduleNext();
  void Tick();
  bool InjectOne();

  sim::World& world_;
  const ClusterMap& map_;
  FaultInjector& injector_;
  bool enabled_;
  Xoshiro256 random_;
  MonoTime start_;
  MonoTime stop_;
  Duration mean_interval_ = seconds(30);
  Duration min_duration_ = seconds(1);
  Duration max_duration_ = seconds(30);
  int max_concurrent_ = 3;
  std::vector<Line> mix_;
  double total_weight_ = 0;
  std::vector<uint64_t> windows_;
  std::vector<uint64_t> open_;  // its windows possibly still open
  std::optional<TimerId> timer_;
  bool armed_ = false;
  uint64_t draws_ = 0;
  uint64_t skipped_busy_ = 0;
  uint64_t missed_ = 0;
};

}  // namespace rmqsim::faults
