#include "faults/machine_nemesis.h"

#include <algorithm>

namespace rmqsim::faults {

std::string_view MachineFaultKindName(MachineFaultKind k) {
  switch (k) {
    case MachineFaultKind::kKillProcess: return "kill";
    case MachineFaultKind::kStopProcess: return "stop";
    case MachineFaultKind::kPowerCycle: return "power-cycle";
    case MachineFaultKind::kPartition: return "partition";
    case MachineFaultKind::kPartitionOneWay: return "partition-one-way";
    case MachineFaultKind::kIsolate: return "isolate";
    case MachineFaultKind::kClog: return "clog";
    case MachineFaultKind::kSlowDisk: return "slow-disk";
    case MachineFaultKind::kDiskErrors: return "disk-errors";
    case MachineFaultKind::kClockJump: return "clock-jump";
  }
  return "?";
}

MachineNemesis::MachineNemesis(sim::World& world, MachineNemesisOptions options)
    : world_(world), options_(std::move(options)), random_(options_.seed) {
  if (options_.kinds.empty()) {
    options_.kinds = {MachineFaultKind::kKillProcess, MachineFaultKind::kStopProcess, MachineFaultKind::kPowerCycle,
                      MachineFaultKind::kPartition,   MachineFaultKind::kPartitionOneWay, MachineFaultKind::kIsolate,
                      MachineFaultKind::kClog,        MachineFaultKind::kSlowDisk,    MachineFaultKind::kDiskErrors,
                      MachineFaultKind::kClockJump};
  }
}

void MachineNemesis::Arm() {
  ScheduleNext();
  world_.Schedule(options_.stop - world_.now(), [this] { HealEverything(); });
}

void MachineNemesis::ScheduleNext() {
  Duration wait = random_.ExponentialDuration(options_.mean_interval);
  MonoTime at = std::max(world_.now(), options_.start) + wait;
  if (at >= options_.stop) return;
  world_.Schedule(at - world_.now(), [this] {
    if (stopped_) return;
    InjectOne();
    ScheduleNext();
  });
}

size_t MachineNemesis::Open(MachineFaultKind kind, std::string target) {
  history_.push_back(MachineFaultWindow{kind, std::move(target), world_.now(), MonoTime::max()});
  const MachineFaultWindow& w = history_.back();
  world_.Trace(TraceEvent("FaultInjected")
                   .Detail("Kind", std::string(MachineFaultKindName(kind)))
                   .Detail("Target", w.target));
  return history_.size() - 1;
}

void MachineNemesis::Close(size_t window) {
  MachineFaultWindow& w = history_[window];
  if (w.end != MonoTime::max()) return;
  w.end = world_.now();
  world_.Trace(TraceEvent("FaultHealed")
                   .Detail("Kind", std::string(MachineFaultKindName(w.kind)))
                   .Detail("Target", w.target));
}

void MachineNemesis::InjectOne() {
  MachineFaultKind kind = options_.kinds[random_.Below(options_.kinds.size())];
  Duration duration = random_.UniformDuration(options_.min_duration, options_.max_duration);
  const auto& ms = options_.machines;
  const auto& ps = options_.processes;
  auto pick_machine = [&] { return ms[random_.Below(ms.size())]; };
  auto pick_pair = [&](sim::MachineId& a, sim::MachineId& b) {
    if (ms.size() < 2) return false;
    a = pick_machine();
    do { b = pick_machine(); } while (b == a);
    return true;
  };
  switch (kind) {
    case MachineFaultKind::kKillProcess:
    case MachineFaultKind::kStopProcess: {
      if (ps.empty()) return;
      sim::ProcessId p = ps[random_.Below(ps.size())];
      if (!world_.IsRunning(p)) return;
      size_t w = Open(kind, world_.process_name(p));
      if (kind == MachineFaultKind::kKillProcess) {
        world_.KillProcess(p);
      } else {
        world_.StopProcess(p);
      }
      down_processes_.push_back(p);
      world_.Schedule(duration, [this, p, w] {
        std::erase(down_processes_, p);
        if (!world_.IsRunning(p)) {
          if (world_.IsMachineUp(world_.machine_of(p))) {
            (void)world_.StartProcess(p);
          } else {
            awaiting_power_.push_back(p);  // restarted when its machine comes back
          }
        }
        Close(w);
      });
      return;
    }
    case MachineFaultKind::kPowerCycle: {
      if (ms.empty()) return;
      sim::MachineId m = pick_machine();
      if (!world_.IsMachineUp(m)) return;
      std::vector<sim::ProcessId> on_it;
      for (sim::ProcessId p : world_.processes()) {
        if (world_.machine_of(p) == m && world_.IsRunning(p)) on_it.push_back(p);
      }
      size_t w = Open(kind, world_.machine_name(m));
      world_.PowerOff(m);
      down_machines_.push_back(m);
      world_.Schedule(duration, [this, m, w, on_it] {
        world_.PowerOn(m);
        if (options_.restart_processes) {
          for (sim::ProcessId p : on_it) (void)world_.StartProcess(p);
        }
        for (sim::ProcessId p : std::vector(awaiting_power_)) {
          if (world_.machine_of(p) != m) continue;
          std::erase(awaiting_power_, p);
          if (!world_.IsRunning(p)) (void)world_.StartProcess(p);
        }
        std::erase(down_machines_, m);
        Close(w);
      });
      return;
    }
    case MachineFaultKind::kPartition:
    case MachineFaultKind::kPartitionOneWay:
    case MachineFaultKind::kClog: {
      sim::MachineId a, b;
      if (!pick_pair(a, b)) return;
      std::string sep = kind == MachineFaultKind::kPartition ? " <-> " : kind == MachineFaultKind::kClog ? " ~ "
                                                                                           : " -> ";
      size_t w = Open(kind, world_.machine_name(a) + sep + world_.machine_name(b));
      if (kind == MachineFaultKind::kPartition) world_.Partition(a, b);
      if (kind == MachineFaultKind::kPartitionOneWay) world_.PartitionOneWay(a, b);
      if (kind == MachineFaultKind::kClog) world_.Clog(a, b, duration);
      world_.Schedule(duration, [this, a, b, w, kind] {
        // Each heals only its own block (a clog simply expires).
        if (kind == MachineFaultKind::kPartition) world_.Unpartition(a, b);
        if (kind == MachineFaultKind::kPartitionOneWay) world_.UnpartitionOneWay(a, b);
        Close(w);
      });
      return;
    }
    case MachineFaultKind::kIsolate: {
      if (ms.size() < 2) return;
      sim::MachineId m = pick_machine();
      size_t w = Open(kind, world_.machine_name(m));
      world_.Isolate(m);
      world_.Schedule(duration, [this, m, w] {
        world_.Unisolate(m);
        Close(w);
      });
      return;
    }
    case MachineFaultKind::kSlowDisk:
    case MachineFaultKind::kDiskErrors: {
      if (ms.empty()) return;
      sim::MachineId m = pick_machine();
      sim::DiskFaults f = world_.disk(m).faults();
      if (kind == MachineFaultKind::kSlowDisk) {
        f.sync_slowdown = static_cast<double>(random_.UniformInt(20, 200));
      } else {
        f.write_error_probability = 0.01;
        f.sync_error_probability = 0.05;
      }
      size_t w = Open(kind, world_.machine_name(m));
      world_.disk(m).SetFaults(f);
      world_.Schedule(duration, [this, m, w] {
        world_.disk(m).SetFaults(sim::DiskFaults{});
        Close(w);
      });
      return;
    }
    case MachineFaultKind::kClockJump: {
      if (ms.empty()) return;
      sim::MachineId m = pick_machine();
      Duration delta = random_.UniformDuration(-minutes(10), minutes(10));
      size_t w = Open(kind, world_.machine_name(m));
      world_.JumpWallClock(m, delta);
      Close(w);
      return;
    }
  }
}

void MachineNemesis::HealEverything() {
  stopped_ = true;
  world_.HealAll();
  for (sim::MachineId m : options_.machines) world_.disk(m).SetFaults(sim::DiskFaults{});
  for (sim::MachineId m : std::vector(down_machines_)) {
    world_.PowerOn(m);
  }
  for (sim::ProcessId p : world_.processes()) {
    bool ours = std::find(options_.processes.begin(), options_.processes.end(), p) !=
                options_.processes.end();
    bool lost_power = world_.process_state(p) == sim::ProcessState::kPoweredOff;
    if ((ours || lost_power) && !world_.IsRunning(p) && world_.IsMachineUp(world_.machine_of(p))) {
      (void)world_.StartProcess(p);
    }
  }
  for (size_t i = 0; i < history_.size(); ++i) Close(i);
  world_.Trace(TraceEvent("NemesisStopped").Detail("Faults", history_.size()));
}

}  // namespace rmqsim::faults
