// The scripted timeline: each ScriptedFault is injected at chaos_start + at through the
// FaultInjector. Selectors resolve against the cluster map with ResolveTargetFor (an empty
// target selector means the kind's natural targets); when one matches several processes the
// timeline picks one with its seed, at the moment the fault fires.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "faults/cluster_map.h"
#include "faults/fault_injector.h"
#include "scenarios/proto/scenario.pb.h"
#include "sim/base/random.h"
#include "sim/base/status.h"
#include "sim/simulated/world.h"

namespace rmqsim::faults {

// Names what is wrong with one scripted fault: an unknown kind, an unparsable or negative `at`
// or `duration` (empty `at` means the start of the chaos phase, empty `duration` 30s), a target
// selector that matches no process the kind can hit, a peer selector that matches nothing (or,
// for DROP_REGISTRATIONS, no name server) on a kind that takes a peer. A peer on a kind that
// takes none, and `suppress` on a kind other than DROP_REGISTRATIONS, are ignored.
Status ValidateFault(const ClusterMap& map, const scenario::ScriptedFault& fault);

class Timeline {
 public:
  Timeline(sim::World& world, const ClusterMap& map, FaultInjector& injector,
           const google::protobuf::RepeatedPtrField<scenario::ScriptedFault>& faults,
           MonoTime chaos_start, uint64_t seed);
  Timeline(sim::World& world, const ClusterMap& map, FaultInjector& injector,
           std::vector<scenario::ScriptedFault> faults, MonoTime chaos_start, uint64_t seed);
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // The first invalid entry, named ("timeline[2] (KILL at 30s): ..."), or OK.
  Status Validate() const;
  // Schedules every valid entry at chaos_start + at (an invalid one is skipped: its result stays
  // nullopt). Validate first.
  void Arm();

  // Per entry, in order: the window id once it fired and hit something; nullopt before it
  // fires, or when it hit nothing (or came after HealAll, or was invalid).
  const std::vector<std::optional<uint64_t>>& results() const { return results_; }
  size_t fired() const { return fired_; }

 private:
  void Fire(size_t index);

  sim::World& world_;
  const ClusterMap& map_;
  FaultInjector& injector_;
  std::vector<scenario::ScriptedFault> faults_;
  MonoTime chaos_start_;
  Xoshiro256 random_;
  std::vector<std::optional<uint64_t>> results_;
  std::vector<TimerId> timers_;
  size_t fired_ = 0;
  bool armed_ = false;
};

}  // namespace rmqsim::faults
