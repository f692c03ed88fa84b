// The simulated world: virtual time, machines, processes, network and disks, one thread.
//
// Events are ordered by (virtual time, sequence number); the loop jumps from event to event and
// nothing sleeps. Everything random derives from the world seed through a seed tree, so the same
// seed gives the same run, event for event: the trace digest (every trace event, and the time and
// owner of every dispatched event) is the proof.
//
// This header is the MECHANISM for faults (kill, power loss, partitions, disk faults, clock
// jumps). Deciding when to use them is policy, and lives in faults/.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <typeinfo>
#include <string>
#include <vector>

#include "sim/base/assert.h"
#include "sim/base/buggify.h"
#include "sim/base/ids.h"
#include "sim/base/random.h"
#include "sim/base/trace.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/simulated/config.h"
#include "sim/simulated/disk.h"
#include "sim/simulated/network.h"
#include "sim/simulated/scheduler.h"

namespace rmqsim::sim {

using ProcessId = StrongId<struct ProcessTag>;
using ServiceFactory = std::function<std::unique_ptr<Service>(Runtime&)>;

class ProcessRuntime;

enum class ProcessState : uint8_t {
  kNotStarted,
  kRunning,
  kStopping,  // graceful stop in progress
  kExited,    // stopped gracefully, or Start() failed
  kKilled,    // kill -9
  kPoweredOff,  // its machine lost power
};
std::string_view ProcessStateName(ProcessState s);

class World {
 public:
  explicit World(WorldConfig config);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // ---------------------------------------------------------------- topology
  // Adds a machine (powered on). The ip must be a unique IPv4 literal.
  StatusOr<MachineId> AddMachine(MachineConfig config);
  // Adds a process on a machine (not started). `data_dir` is where relative paths of its file
  // system resolve (default "/data/<name>", created at each start).
  StatusOr<ProcessId> AddProcess(MachineId machine, std::string name, ServiceFactory factory,
                                 std::string data_dir = "");

  // ---------------------------------------------------------------- process lifecycle
  // Starts a fresh incarnation (new runtime, new random stream, service built by the factory and
  // Start()ed inside the process's context). Errors if running or the machine is off.
  Status StartProcess(ProcessId id);
  // kill -9: peers see resets at once; memory, timers and coroutines gone; page cache survives.
  void KillProcess(ProcessId id);
  // Graceful stop: Service::Stop runs; when it calls done (or after `grace`, a kill), the
  // process exits and its remaining connections close in order.
  void StopProcess(ProcessId id, Duration grace = seconds(10));
  // Kill if running, then start again.
  Status RestartProcess(ProcessId id);

  // ---------------------------------------------------------------- machine faults
  // Power loss: every process on it dies silently (peers are not told), unsynced bytes are
  // dropped or torn. The machine stays off until PowerOn.
  void PowerOff(MachineId id);
  // Boots the machine (a new boot epoch). Processes are not started: StartProcess them.
  void PowerOn(MachineId id);
  // Power loss and the disk is gone for good.
  void DestroyMachine(MachineId id);
  bool IsMachineUp(MachineId id) const;

  // ---------------------------------------------------------------- network faults
  // Blocks are counted per directed link: each call below that cuts a link adds one block to it,
  // the matching Un- call removes exactly that block, and the link carries traffic only when no
  // block is left. So overlapping faults compose: healing one leaves the others in place.
  // (Un- calls must match earlier calls; one without a match removes a block some other fault
  // added. The count never drops below zero.) A machine's link to itself is never cut.
  // LinkBlocked / LinkHealed are traced when a link's state changes (its count goes 0 -> 1 or
  // back to 0), not for every block.
  void Partition(MachineId a, MachineId b);             // one block each way
  void PartitionOneWay(MachineId from, MachineId to);   // one block on from -> to
  // One block each way between m and every other machine that exists now. Unisolate(m) undoes
  // the most recent Isolate(m) not yet undone, on exactly the machines it cut (machines added
  // since are untouched); without one outstanding it does nothing. Add every machine before
  // injecting faults and the question does not arise.
  void Isolate(MachineId m);
  void Unpartition(MachineId a, MachineId b);           // removes what Partition(a, b) added
  void UnpartitionOneWay(MachineId from, MachineId to); // removes what PartitionOneWay added
  void Unisolate(MachineId m);                          // removes what Isolate(m) added
  // Clears every block between a and b, both directions, whoever added them.
  void Heal(MachineId a, MachineId b);
  // Clears every block of every link, and forgets outstanding Isolates (a later Unisolate does
  // nothing).
  void HealAll();
  void Clog(MachineId a, MachineId b, Duration duration);  // extra delay both ways
  void ResetConnections(MachineId a, MachineId b);

  // ---------------------------------------------------------------- disk and clock faults
  SimDisk& disk(MachineId id);
  void JumpWallClock(MachineId id, Duration delta);
  void SetClockDrift(MachineId id, double drift_ppm);
  WallTime MachineWallTime(MachineId id) const;

  // ---------------------------------------------------------------- running
  MonoTime now() const { return now_; }
  // Runs one event. False if there was none.
  bool Step();
  // The time of the next pending event, if any.
  std::optional<MonoTime> NextEventTime() const {
    if (scheduler_.empty()) return std::nullopt;
    return scheduler_.next_time();
  }
  // Runs every event up to and including `until`, then sets the time to `until`.
  void RunUntil(MonoTime until);
  void RunFor(Duration d) { RunUntil(now_ + d); }
  // Runs until `pred()` holds (checked before each event) or time would pass `deadline`.
  // Returns whether the predicate held. The time is left where the predicate became true.
  bool RunUntil(const std::function<bool()>& pred, MonoTime deadline);

  // World-level events (fault injectors, test drivers): run outside any process.
  TimerId Schedule(Duration delay, std::function<void()> fn);
  bool Cancel(TimerId id) { return scheduler_.Cancel(id); }

  // ---------------------------------------------------------------- inspection
  uint64_t seed() const { return config_.seed; }
  const WorldConfig& config() const { return config_; }
  // Digest of every trace event and every dispatched event so far (and, with deep_digest, of
  // event kinds, delivered and written bytes and random draws).
  uint64_t digest() const;
  // Deep digest: data the world moves (the network's deliveries, the disks' writes). `what`
  // tells the streams apart. No-op without deep_digest.
  void DigestBytes(uint64_t what, std::span<const std::byte> bytes);
  // Random draws made by the processes so far (counted by their random sources).
  uint64_t random_draws() const { return random_draws_; }
  uint64_t* random_draw_counter() { return &random_draws_; }
  uint64_t events_processed() const { return events_processed_; }
  // With count_event_kinds: (kind, events) by count, largest first; a kind is the demangled type
  // of the event's callback ("...Broker::Start()::{lambda()#3}").
  std::vector<std::pair<std::string, uint64_t>> EventKindCounts() const;
  uint64_t trace_events_emitted() const { return trace_events_emitted_; }
  const std::deque<StampedTraceEvent>& trace_events() const { return trace_kept_; }
  ProcessState process_state(ProcessId id) const;
  bool IsRunning(ProcessId id) const;
  uint64_t incarnation(ProcessId id) const;
  const std::string& process_name(ProcessId id) const;
  const std::string& machine_name(MachineId id) const;
  const std::string& machine_ip(MachineId id) const;
  MachineId machine_of(ProcessId id) const;
  std::vector<ProcessId> processes() const;
  std::vector<MachineId> machines() const;
  // The running service and runtime of a process, or nullptr.
  Service* service(ProcessId id);
  template <typename T>
  T* service_as(ProcessId id) {
    return dynamic_cast<T*>(service(id));
  }
  Runtime* runtime(ProcessId id);
  SimNetwork& network() { return *network_; }
  const BuggifyRegistry& buggify() const { return buggify_; }
  // Emits a world-level trace event (node "world").
  void Trace(TraceEvent event);

  // ---------------------------------------------------------------- internal (sim/simulated)
  TimerId ScheduleAt(MonoTime when, Owner owner, std::function<void()> fn,
                     bool cancellable = false);
  bool IsAlive(Owner owner) const;
  // Runs `f` in `owner`'s context (trace stamping, self-kill deferral) from inside another event:
  // the network hands received bytes straight to the receiving process this way.
  template <typename F>
  void RunAs(Owner owner, F&& f) {
    Owner previous = current_owner_;
    current_owner_ = owner;
    f();
    current_owner_ = previous;
  }
  std::optional<MachineId> MachineByIp(const std::string& ip) const;
  uint64_t boot_epoch(MachineId id) const;
  void EmitTrace(std::string_view node, TraceEvent event);
  const std::string& OwnerName(Owner owner) const;
  bool BuggifyCheck(std::string_view site, double p) { return buggify_.Check(site, p); }

 private:
  struct Machine {
    MachineId id;
    MachineConfig config;
    bool up = true;
    uint64_t boot = 1;
    std::unique_ptr<SimDisk> disk;
    int64_t wall_offset_ns = 0;  // accumulated offset + jumps
    double drift_ppm = 0;
    int64_t drift_anchor_mono_ns = 0;  // drift accrues from here
    int64_t drift_accrued_ns = 0;      // drift accrued before the anchor
  };
  struct Process {
    ProcessId id;
    std::string name;
    MachineId machine;
    ServiceFactory factory;
    std::string data_dir;
    ProcessState state = ProcessState::kNotStarted;
    uint64_t incarnation = 0;
    std::unique_ptr<ProcessRuntime> runtime;
    std::unique_ptr<Service> service;
    TimerId stop_deadline;
  };

  Machine& M(MachineId id);
  const Machine& M(MachineId id) const;
  Process& P(ProcessId id);
  const Process& P(ProcessId id) const;
  void Dispatch(Scheduler::Event& e);
  // Tears down the current incarnation. How peers learn of it depends on `how`.
  enum class Death { kKill, kSilent, kExit };
  void EndIncarnation(Process& p, Death how, ProcessState new_state);
  std::string FailureContext() const;

  WorldConfig config_;
  ScopedFailureContext failure_context_;
  MonoTime now_{};
  Scheduler scheduler_;
  TraceDigest digest_;
  uint64_t random_draws_ = 0;
  // Event kind -> hash of its type's name (cached per type; looked up, never iterated).
  std::map<const std::type_info*, uint64_t> kind_hashes_;
  std::map<const std::type_info*, uint64_t> kind_counts_;  // count_event_kinds only
  uint64_t events_processed_ = 0;
  uint64_t events_at_instant_ = 0;
  uint64_t trace_events_emitted_ = 0;
  std::deque<StampedTraceEvent> trace_kept_;
  BuggifyRegistry buggify_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::unique_ptr<Machine>> machines_;   // index = id - 1
  std::vector<std::unique_ptr<Process>> processes_;  // index = id - 1
  std::map<std::string, MachineId> machine_by_ip_;
  // Per isolated machine, the machine count at each outstanding Isolate (ids 1..count were cut).
  std::map<MachineId, std::vector<size_t>> isolations_;
  Owner current_owner_;
  bool in_teardown_ = false;
};

}  // namespace rmqsim::sim
