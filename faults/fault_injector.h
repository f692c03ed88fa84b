// The fault injector: applies one fault to processes resolved from the cluster map, heals
// exactly its own effect at the end of its window, and records the window in the history (only
// when it hit something). Faults compose: overlapping faults on one link, disk or process each
// undo only what they did. The random nemesis and the scripted timeline both inject through it.
// docs/faults.md describes every kind, its natural targets and how faults compose.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "faults/cluster_map.h"
#include "scenarios/proto/history.pb.h"
#include "scenarios/proto/scenario.pb.h"
#include "sim/base/random.h"
#include "sim/simulated/world.h"

namespace rmqsim::faults {

using scenario::FaultKind;

struct FaultRequest {
  FaultKind kind = scenario::FAULT_KIND_UNSPECIFIED;
  std::vector<const ProcessInfo*> targets;  // resolved; most kinds use the first
  std::vector<const ProcessInfo*> peers;    // link faults: the other side
  Duration duration = seconds(30);          // ignored by instant kinds
  bool suppress = false;                    // DROP_REGISTRATIONS: broker-side suppression
  bool scripted = false;
};

// Resolves a selector against the map: every process matching role, group and name, in map
// order. Role ROLE_ANY with no group or name: every process but the admin.
std::vector<const ProcessInfo*> ResolveTarget(const ClusterMap& map, const scenario::Target& t);

// Whether a kind can hit a process of this role at all: DROP_REGISTRATIONS, POWER_CYCLE_AFTER_SEND
// and DESTROY_GROUP need a broker, DROP_CLIENT_HEARTBEATS a producer or consumer, CUT_NAME_SERVER
// a name server, PROXY_MAINTENANCE and MALFORMED_FRAME a proxy; every other kind takes any process
// (its machine, for machine kinds).
bool KindAcceptsRole(FaultKind kind, Role role);
// The kind's natural targets in map order (what a selector left at ROLE_ANY with no group or
// name means): every process but the admin that KindAcceptsRole, except DESTROY (slaves on
// machines that host no master: destroying a master's disk is outside what SYNC_FLUSH promises)
// and POWER_CYCLE_AFTER_SEND (masters).
std::vector<const ProcessInfo*> NaturalTargets(const ClusterMap& map, FaultKind kind);
// A selector for a kind: its natural targets when the selector is empty (ROLE_ANY, no group,
// no name), else ResolveTarget narrowed by KindAcceptsRole.
std::vector<const ProcessInfo*> ResolveTargetFor(const ClusterMap& map, FaultKind kind,
                                                 const scenario::Target& t);
bool IsEmptySelector(const scenario::Target& t);
// CLOCK_JUMP, RESET_CONNECTIONS and MALFORMED_FRAME: their window has end == start.
bool IsInstantKind(FaultKind kind);
// Kinds that use a peer: PARTITION, PARTITION_ONE_WAY, CLOG, RESET_CONNECTIONS,
// DROP_REGISTRATIONS.
bool KindTakesPeer(FaultKind kind);
// "KILL", "POWER_CYCLE", ... (the scenario.FaultKind enum name; "?" when unknown).
std::string KindName(FaultKind kind);

// "{role=MASTER group=broker-a}": a selector, for messages.
std::string SelectorText(const scenario::Target& t);
// A duration field of a fault plan: "" is `fallback`; a negative or unparsable value is
// kInvalidArgument naming `field` (when not empty).
StatusOr<Duration> ParseFaultDuration(const std::string& text, Duration fallback,
                                      const std::string& field);

class FaultInjector {
 public:
  // `history` receives the fault windows (history->add_faults()); it must outlive the injector.
  // nullptr: the injector keeps them itself (see history()).
  FaultInjector(sim::World& world, const ClusterMap& map, history::History* history,
                uint64_t seed);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Applies the fault now and schedules its heal. Returns the window id, or nullopt when the
  // fault would hit nothing (its target down, no peer, ...), in which case nothing is recorded.
  // POWER_CYCLE_AFTER_SEND only arms: the id is returned at once but the window is recorded when
  // it fires (and never if no SEND_OK of the group comes within `duration`).
  std::optional<uint64_t> Inject(const FaultRequest& request);

  // The end of the chaos phase: heals every open fault now (links, disks, clocks' drift,
  // suppressions), powers machines on and restarts every process a fault took down, closes
  // every window. No fault is injected after this.
  void HealAll();

  // Dangerous moments: the runner reports each SEND_OK answered by a broker group's master;
  // a pending POWER_CYCLE_AFTER_SEND on that group fires within a few milliseconds of it.
  void OnSendOk(const std::string& group);

  // Open windows plus armed POWER_CYCLE_AFTER_SEND faults.
  int open_faults() const;
  // Windows recorded so far.
  uint64_t injected() const;
  bool healed() const;

  // Whether a window (or an armed fault) is still open.
  bool is_open(uint64_t id) const;
  // The open windows, by id.
  std::vector<uint64_t> open_ids() const;
  // Heals one open window now, as its end would (a process held down restarts once nothing
  // else holds it). False when it is not open (an armed POWER_CYCLE_AFTER_SEND is disarmed).
  bool Heal(uint64_t id);
  // The recorded window, or nullptr (unknown id, or armed and not fired).
  const history::FaultWindow* window(uint64_t id) const;
  const history::History& history() const { return *history_; }

 private:
  struct Open {
    FaultKind kind = scenario::FAULT_KIND_UNSPECIFIED;
    std::function<void()> undo;    // removes exactly this fault's effect
    std::vector<uint64_t> timers;  // its heal and any mid-window step, cancelled at close
  };
  struct Armed {  // POWER_CYCLE_AFTER_SEND waiting for a SEND_OK
    const ProcessInfo* target = nullptr;
    std::string group;
    Duration duration{0};
    bool scripted = false;
    uint64_t expiry_timer = 0;
    bool firing = false;  // a SEND_OK came: the power-off is scheduled
    uint64_t fire_timer = 0;
  };
  struct DiskState {
    sim::DiskFaults base;                      // before the first window opened
    std::map<uint64_t, sim::DiskFaults> windows;
  };
  struct DriftState {
    double base = 0;                           // before the first window opened
    std::map<uint64_t, double> windows;        // the newest open one applies
  };

  std::optional<uint64_t> InjectProcess(const FaultRequest& r);
  std::optional<uint64_t> InjectPower(const FaultRequest& r);
  std::optional<uint64_t> InjectDisk(const FaultRequest& r);
  std::optional<uint64_t> InjectClock(const FaultRequest& r);
  std::optional<uint64_t> InjectLink(const FaultRequest& r);
  std::optional<uint64_t> InjectIsolate(const FaultRequest& r);
  std::optional<uint64_t> InjectDropRegistrations(const FaultRequest& r);
  std::optional<uint64_t> InjectDropHeartbeats(const FaultRequest& r);
  std::optional<uint64_t> InjectCutNameServer(const FaultRequest& r);
  std::optional<uint64_t> ArmAfterSend(const FaultRequest& r);
  std::optional<uint64_t> InjectSlowDiskThenPowerLoss(const FaultRequest& r);
  std::optional<uint64_t> InjectDestroyGroup(const FaultRequest& r);
  std::optional<uint64_t> InjectProxyMaintenance(const FaultRequest& r);
  std::optional<uint64_t> InjectMalformedFrame(const FaultRequest& r);
  void FireAfterSend(uint64_t id, Duration delay);

  // Records a window that starts now and, unless `instant`, schedules its heal after `duration`.
  uint64_t OpenWindow(FaultKind kind, std::string target,
                      const std::vector<const ProcessInfo*>& processes,
                      const std::vector<const ProcessInfo*>& peers, bool scripted,
                      std::string detail, Duration duration, bool instant,
                      std::optional<uint64_t> id = std::nullopt);
  void CloseWindow(uint64_t id);
  history::FaultWindow& Record(uint64_t id);
  void AppendDetail(uint64_t id, const std::string& text);

  // Composition helpers.
  void HoldProcess(sim::ProcessId pid, uint64_t id);
  void ReleaseProcess(sim::ProcessId pid, uint64_t id);
  // Powers `m` off (or destroys it) under window `id` (the hold is taken even if it is already
  // off); every process running on it is brought back once free. Returns whether it was up.
  bool HoldPower(sim::MachineId m, uint64_t id, bool destroy);
  void AddDiskWindow(sim::MachineId m, uint64_t id, const sim::DiskFaults& f);
  void RemoveDiskWindow(sim::MachineId m, uint64_t id);
  void ReleasePower(sim::MachineId m, uint64_t id);
  void RestartFreed();
  void ApplyDisk(sim::MachineId m);
  void ApplyDrift(sim::MachineId m);
  // Applies the combined broker-side registration suppression / client heartbeat suppression
  // to the running incarnation. Returns whether there was a service to apply it to.
  bool ApplyRegistrationSuppression(sim::ProcessId pid);
  bool ApplyHeartbeatSuppression(sim::ProcessId pid);
  // Sets the proxy's clusters' maintenance mode to whether a PROXY_MAINTENANCE window holds it.
  bool ApplyMaintenance(sim::ProcessId pid);
  // After a restart: re-applies the suppressions of still-open windows to the new incarnation.
  void ReapplyHooks(sim::ProcessId pid);
  std::vector<const ProcessInfo*> ProcessesOn(sim::MachineId m) const;
  std::vector<sim::ProcessId> RunningOn(sim::MachineId m) const;
  // Distinct machines hosting a process of the cluster, in map order.
  std::vector<sim::MachineId> ClusterMachines() const;
  std::string Name(const ProcessInfo* p) const { return p == nullptr ? "?" : p->name; }

  // Timers: every world event the injector schedules, cancelled by the destructor.
  uint64_t After(Duration delay, std::function<void()> fn);
  void CancelTimer(uint64_t key);

  sim::World& world_;
  const ClusterMap& map_;
  history::History own_history_;
  history::History* history_;
  Xoshiro256 random_;
  uint64_t next_id_ = 1;
  bool healed_ = false;
  uint64_t recorded_ = 0;
  std::map<uint64_t, int> history_index_;  // window id -> index in history_->faults()
  std::map<uint64_t, Open> open_;
  std::map<uint64_t, Armed> armed_;
  std::map<uint64_t, TimerId> timers_;
  uint64_t next_timer_ = 1;
  std::optional<uint64_t> restart_retry_;

  std::map<sim::ProcessId, std::set<uint64_t>> process_holds_;
  std::map<sim::MachineId, std::set<uint64_t>> power_holds_;
  std::set<sim::ProcessId> to_restart_;  // taken down by a fault, to start once free
  std::set<sim::ProcessId> ever_down_;   // every process a fault took down (HealAll's net)
  std::map<sim::MachineId, DiskState> disks_;
  std::map<sim::MachineId, DriftState> drifts_;
  std::map<sim::MachineId, double> drift_set_;  // the drift the injector last set per machine
  // Broker-side DROP_REGISTRATIONS: per broker, per window, the name servers suppressed.
  std::map<sim::ProcessId, std::map<uint64_t, std::vector<Address>>> registration_holds_;
  std::map<sim::ProcessId, std::set<uint64_t>> heartbeat_holds_;
  std::map<sim::ProcessId, std::set<uint64_t>> maintenance_holds_;
  // MALFORMED_FRAME's connections, kept until the proxy closes them.
  std::shared_ptr<std::vector<std::shared_ptr<Connection>>> probes_ =
      std::make_shared<std::vector<std::shared_ptr<Connection>>>();
  std::map<sim::ProcessId, uint64_t> hooked_incarnation_;
};

}  // namespace rmqsim::faults
