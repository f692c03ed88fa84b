// A role-blind seeded random nemesis over machines and processes: fault POLICY on top of the
// simulated world's mechanism, for worlds that are not RocketMQ clusters (the echo demo). RocketMQ
// scenarios use FaultInjector, RandomNemesis and Timeline, which know roles.
//
// During its active window it picks, every exponential(mean_interval), one fault among the
// enabled kinds and a target, applies it, and heals it after a random duration. Every fault
// window is recorded (kind, target, start, end) for the history and the summary. At the end of
// the window everything is healed and every machine and process it touched is brought back, so
// the quiet phase can check that the system converges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/random.h"
#include "sim/simulated/world.h"

namespace rmqsim::faults {

enum class MachineFaultKind : uint8_t {
  kKillProcess,     // kill -9, restart after the fault duration
  kStopProcess,     // graceful stop, restart after the fault duration
  kPowerCycle,      // machine power loss, power on and restart its processes after the duration
  kPartition,       // both directions between two machines
  kPartitionOneWay, // one direction
  kIsolate,         // one machine from all others
  kClog,            // extra delay between two machines
  kSlowDisk,        // fsyncs 20-200x slower
  kDiskErrors,      // EIO on a share of writes and fsyncs
  kClockJump,       // the wall clock of a machine jumps by up to +-10 minutes
};
std::string_view MachineFaultKindName(MachineFaultKind k);

struct MachineFaultWindow {
  MachineFaultKind kind;
  std::string target;  // "broker-a", "client-1 -> store-1", ...
  MonoTime start;
  MonoTime end;        // == start for instant faults; MonoTime::max() while open
};

struct MachineNemesisOptions {
  uint64_t seed = 1;
  MonoTime start{};
  MonoTime stop{};  // no new faults after this; everything is healed here
  Duration mean_interval = seconds(20);
  Duration min_duration = seconds(1);
  Duration max_duration = seconds(30);
  std::vector<MachineFaultKind> kinds;        // empty: all
  // Machines and processes the nemesis may hit (empty: none of that sort).
  std::vector<sim::MachineId> machines;
  std::vector<sim::ProcessId> processes;
  // Processes that must be (re)started when their machine is powered back on.
  bool restart_processes = true;
};

class MachineNemesis {
 public:
  MachineNemesis(sim::World& world, MachineNemesisOptions options);
  // Schedules the first fault and the final heal on the world.
  void Arm();

  const std::vector<MachineFaultWindow>& history() const { return history_; }
  uint64_t faults_injected() const { return history_.size(); }

 private:
  void ScheduleNext();
  void InjectOne();
  void HealEverything();
  size_t Open(MachineFaultKind kind, std::string target);
  void Close(size_t window);

  sim::World& world_;
  MachineNemesisOptions options_;
  Xoshiro256 random_;
  std::vector<MachineFaultWindow> history_;
  std::vector<sim::ProcessId> down_processes_;  // killed/stopped by us, to bring back
  std::vector<sim::MachineId> down_machines_;
  std::vector<sim::ProcessId> awaiting_power_;  // their fault healed while their machine was off
  bool stopped_ = false;
};

}  // namespace rmqsim::faults
