#include "faults/fault_injector.h"

#include <algorithm>
#include <cstdio>

#include "faults/client_hooks.h"
#include "system/broker/broker.h"
#include "system/client/mq_client_instance.h"
#include "system/proxy/rocketmq_proxy.h"

namespace rmqsim::faults {

std::string SelectorText(const scenario::Target& t) {
  std::string s = "{role=" + scenario::Role_Name(t.role());
  if (!t.group().empty()) s += " group=" + t.group();
  if (!t.name().empty()) s += " name=" + t.name();
  return s + "}";
}

StatusOr<Duration> ParseFaultDuration(const std::string& text, Duration fallback,
                                      const std::string& field) {
  if (text.empty()) return fallback;
  const std::string prefix = field.empty() ? "" : field + ": ";
  if (text[0] == '-') return InvalidArgumentError(prefix + "negative duration '" + text + "'");
  auto d = ParseDuration(text);
  if (!d.ok()) return InvalidArgumentError(prefix + d.status().message());
  return *d;
}

namespace {

bool IsBroker(Role r) { return r == Role::kMaster || r == Role::kSlave; }
bool IsClient(Role r) { return r == Role::kProducer || r == Role::kConsumer; }

bool RoleMatches(scenario::Role selector, Role r) {
  switch (selector) {
    case scenario::ROLE_ANY: return true;
    case scenario::MASTER: return r == Role::kMaster;
    case scenario::SLAVE: return r == Role::kSlave;
    case scenario::BROKER: return IsBroker(r);
    case scenario::NAME_SERVER: return r == Role::kNameServer;
    case scenario::PRODUCER: return r == Role::kProducer;
    case scenario::CONSUMER: return r == Role::kConsumer;
    case scenario::CLIENT: return IsClient(r);
    case scenario::PROXY: return r == Role::kProxy;
    default: return false;
  }
}

template <typename T>
void PushUnique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// The list with `first` moved to the front (windows name the target first, so that a replay
// from processes(0) / peers(0) hits the same process).
std::vector<const ProcessInfo*> FrontFirst(std::vector<const ProcessInfo*> v,
                                           const ProcessInfo* first) {
  auto it = std::find(v.begin(), v.end(), first);
  if (it != v.end()) std::rotate(v.begin(), it, it + 1);
  return v;
}

// FaultInjected / FaultHealed (`name` is one of those literals).
void TraceWindow(sim::World& world, const char* name, const std::string& kind,
                 const std::string& target, uint64_t window) {
  TraceEvent e(name);
  e.Detail("Kind", kind);
  e.Detail("Target", target);
  e.Detail("Window", window);
  world.Trace(std::move(e));
}

std::string Percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", p * 100);
  return buf;
}

}  // namespace

// ------------------------------------------------------------------ selectors

std::vector<const ProcessInfo*> ResolveTarget(const ClusterMap& map, const scenario::Target& t) {
  std::vector<const ProcessInfo*> out;
  const bool any = t.role() == scenario::ROLE_ANY;
  for (const auto& p : map.processes) {
    if (!RoleMatches(t.role(), p.role)) continue;
    if (any && t.name().empty() && p.role == Role::kAdmin) continue;
    if (!t.group().empty() && p.group != t.group()) continue;
    if (!t.name().empty() && p.name != t.name()) continue;
    out.push_back(&p);
  }
  return out;
}

bool KindAcceptsRole(FaultKind kind, Role role) {
  switch (kind) {
    case scenario::DROP_REGISTRATIONS:
    case scenario::POWER_CYCLE_AFTER_SEND:
    case scenario::DESTROY_GROUP:
      return IsBroker(role);
    case scenario::DROP_CLIENT_HEARTBEATS:
      return IsClient(role);
    case scenario::CUT_NAME_SERVER:
      return role == Role::kNameServer;
    case scenario::PROXY_MAINTENANCE:
    case scenario::MALFORMED_FRAME:
      return role == Role::kProxy;
    default:
      return true;
  }
}

std::vector<const ProcessInfo*> NaturalTargets(const ClusterMap& map, FaultKind kind) {
  std::vector<const ProcessInfo*> out;
  for (const auto& p : map.processes) {
    if (p.role == Role::kAdmin || !KindAcceptsRole(kind, p.role)) continue;
    if (kind == scenario::DESTROY) {
      if (p.role != Role::kSlave) continue;
      bool beside_master = false;
      for (const ProcessInfo* o : map.OnMachine(p.machine)) {
        if (o->role == Role::kMaster) beside_master = true;
      }
      if (beside_master) continue;
    }
    if ((kind == scenario::POWER_CYCLE_AFTER_SEND || kind == scenario::DESTROY_GROUP) &&
        p.role != Role::kMaster) {
      continue;
    }
    out.push_back(&p);
  }
  return out;
}

bool IsEmptySelector(const scenario::Target& t) {
  return t.role() == scenario::ROLE_ANY && t.group().empty() && t.name().empty();
}

std::vector<const ProcessInfo*> ResolveTargetFor(const ClusterMap& map, FaultKind kind,
                                                 const scenario::Target& t) {
  if (IsEmptySelector(t)) return NaturalTargets(map, kind);
  std::vector<const ProcessInfo*> out;
  for (const ProcessInfo* p : ResolveTarget(map, t)) {
    if (KindAcceptsRole(kind, p->role)) out.push_back(p);
  }
  return out;
}

bool IsInstantKind(FaultKind kind) {
  return kind == scenario::CLOCK_JUMP || kind == scenario::RESET_CONNECTIONS ||
         kind == scenario::MALFORMED_FRAME;
}

bool KindTakesPeer(FaultKind kind) {
  switch (kind) {
    case scenario::PARTITION:
    case scenario::PARTITION_ONE_WAY:
    case scenario::CLOG:
    case scenario::RESET_CONNECTIONS:
    case scenario::DROP_REGISTRATIONS:
      return true;
    default:
      return false;
  }
}

std::string KindName(FaultKind kind) {
  if (!scenario::FaultKind_IsValid(kind)) return "?";
  return scenario::FaultKind_Name(kind);
}

// ------------------------------------------------------------------ the injector

FaultInjector::FaultInjector(sim::World& world, const ClusterMap& map, history::History* history,
                             uint64_t seed)
    : world_(world),
      map_(map),
      history_(history != nullptr ? history : &own_history_),
      random_(seed) {}

FaultInjector::~FaultInjector() {
  for (const auto& [key, timer] : timers_) world_.Cancel(timer);
}

uint64_t FaultInjector::After(Duration delay, std::function<void()> fn) {
  uint64_t key = next_timer_++;
  timers_[key] = world_.Schedule(delay, [this, key, fn = std::move(fn)] {
    timers_.erase(key);
    fn();
  });
  return key;
}

void FaultInjector::CancelTimer(uint64_t key) {
  auto it = timers_.find(key);
  if (it == timers_.end()) return;
  world_.Cancel(it->second);
  timers_.erase(it);
}

int FaultInjector::open_faults() const { return static_cast<int>(open_.size() + armed_.size()); }
uint64_t FaultInjector::injected() const { return recorded_; }
bool FaultInjector::healed() const { return healed_; }
bool FaultInjector::is_open(uint64_t id) const {
  return open_.count(id) > 0 || armed_.count(id) > 0;
}

std::vector<uint64_t> FaultInjector::open_ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, o] : open_) out.push_back(id);
  return out;
}

bool FaultInjector::Heal(uint64_t id) {
  auto armed = armed_.find(id);
  if (armed != armed_.end()) {
    CancelTimer(armed->second.expiry_timer);
    if (armed->second.firing) CancelTimer(armed->second.fire_timer);
    armed_.erase(armed);
    return false;
  }
  if (open_.count(id) == 0) return false;
  CloseWindow(id);
  return true;
}

const history::FaultWindow* FaultInjector::window(uint64_t id) const {
  auto it = history_index_.find(id);
  if (it == history_index_.end()) return nullptr;
  return &history_->faults(it->second);
}

history::FaultWindow& FaultInjector::Record(uint64_t id) {
  return *history_->mutable_faults(history_index_.at(id));
}

void FaultInjector::AppendDetail(uint64_t id, const std::string& text) {
  if (history_index_.count(id) == 0) return;
  history::FaultWindow& w = Record(id);
  w.set_detail(w.detail().empty() ? text : w.detail() + "; " + text);
}

std::vector<const ProcessInfo*> FaultInjector::ProcessesOn(sim::MachineId m) const {
  return map_.OnMachine(m);
}

std::vector<sim::ProcessId> FaultInjector::RunningOn(sim::MachineId m) const {
  std::vector<sim::ProcessId> out;
  for (sim::ProcessId p : world_.processes()) {
    if (world_.machine_of(p) == m && world_.IsRunning(p)) out.push_back(p);
  }
  return out;
}

std::vector<sim::MachineId> FaultInjector::ClusterMachines() const {
  std::vector<sim::MachineId> out;
  for (const auto& p : map_.processes) PushUnique(out, p.machine);
  return out;
}

uint64_t FaultInjector::OpenWindow(FaultKind kind, std::string target,
                                   const std::vector<const ProcessInfo*>& processes,
                                   const std::vector<const ProcessInfo*>& peers, bool scripted,
                                   std::string detail, Duration duration, bool instant,
                                   std::optional<uint64_t> id) {
  const uint64_t wid = id ? *id : next_id_++;
  history::FaultWindow* w = history_->add_faults();
  history_index_[wid] = history_->faults_size() - 1;
  ++recorded_;
  w->set_id(wid);
  w->set_kind(KindName(kind));
  w->set_target(target);
  std::vector<std::string> groups;
  for (const ProcessInfo* p : processes) {
    w->add_processes(p->name);
    w->add_roles(std::string(RoleName(p->role)));
    if (IsBroker(p->role)) PushUnique(groups, p->group);
  }
  for (const ProcessInfo* p : peers) {
    w->add_peers(p->name);
    if (IsBroker(p->role)) PushUnique(groups, p->group);
  }
  for (const auto& g : groups) w->add_groups(g);
  const int64_t start = ToNanos(world_.now());
  w->set_start_ns(start);
  w->set_end_ns(instant ? start : -1);  // -1 while open
  w->set_scripted(scripted);
  w->set_detail(std::move(detail));
  TraceWindow(world_, "FaultInjected", KindName(kind), target, wid);
  if (instant) {
    TraceWindow(world_, "FaultHealed", KindName(kind), target, wid);
    return wid;
  }
  Open& o = open_[wid];
  o.kind = kind;
  o.timers.push_back(After(duration, [this, wid] { CloseWindow(wid); }));
  return wid;
}

void FaultInjector::CloseWindow(uint64_t id) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  Open o = std::move(it->second);
  open_.erase(it);
  for (uint64_t t : o.timers) CancelTimer(t);
  if (o.undo) o.undo();
  history::FaultWindow& w = Record(id);
  w.set_end_ns(ToNanos(world_.now()));
  TraceWindow(world_, "FaultHealed", w.kind(), w.target(), id);
  RestartFreed();
}

// ------------------------------------------------------------------ composition

void FaultInjector::HoldProcess(sim::ProcessId pid, uint64_t id) {
  process_holds_[pid].insert(id);
  to_restart_.insert(pid);
  ever_down_.insert(pid);
}

void FaultInjector::ReleaseProcess(sim::ProcessId pid, uint64_t id) {
  auto it = process_holds_.find(pid);
  if (it == process_holds_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) process_holds_.erase(it);
}

bool FaultInjector::HoldPower(sim::MachineId m, uint64_t id, bool destroy) {
  const bool was_up = world_.IsMachineUp(m);
  if (was_up) {
    for (sim::ProcessId p : RunningOn(m)) {
      to_restart_.insert(p);
      ever_down_.insert(p);
    }
  }
  if (destroy) {
    world_.DestroyMachine(m);
  } else if (was_up) {
    world_.PowerOff(m);
  }
  power_holds_[m].insert(id);
  return was_up;
}

void FaultInjector::ReleasePower(sim::MachineId m, uint64_t id) {
  auto it = power_holds_.find(m);
  if (it == power_holds_.end()) return;
  it->second.erase(id);
  if (!it->second.empty()) return;
  power_holds_.erase(it);
  if (!world_.IsMachineUp(m)) world_.PowerOn(m);
}

void FaultInjector::RestartFreed() {
  std::vector<sim::ProcessId> started;
  bool stopping = false;
  for (auto it = to_restart_.begin(); it != to_restart_.end();) {
    const sim::ProcessId pid = *it;
    if (process_holds_.count(pid) > 0) {
      ++it;
      continue;
    }
    const sim::ProcessState state = world_.process_state(pid);
    if (state == sim::ProcessState::kRunning) {  // already back
      it = to_restart_.erase(it);
      continue;
    }
    if (state == sim::ProcessState::kStopping) {  // a graceful stop still running: retry soon
      stopping = true;
      ++it;
      continue;
    }
    const sim::MachineId m = world_.machine_of(pid);
    if (power_holds_.count(m) > 0 || !world_.IsMachineUp(m)) {
      ++it;
      continue;
    }
    it = to_restart_.erase(it);
    if (world_.StartProcess(pid).ok()) started.push_back(pid);
  }
  for (sim::ProcessId pid : started) {
    // The service is built by the start event just scheduled; re-apply hooks after it.
    After(Duration::zero(), [this, pid] { ReapplyHooks(pid); });
  }
  if (stopping && !restart_retry_) {
    restart_retry_ = After(milliseconds(500), [this] {
      restart_retry_.reset();
      RestartFreed();
    });
  }
}

void FaultInjector::AddDiskWindow(sim::MachineId m, uint64_t id, const sim::DiskFaults& f) {
  DiskState& s = disks_[m];
  if (s.windows.empty()) s.base = world_.disk(m).faults();
  s.windows[id] = f;
  ApplyDisk(m);
}

void FaultInjector::RemoveDiskWindow(sim::MachineId m, uint64_t id) {
  auto it = disks_.find(m);
  if (it == disks_.end()) return;
  it->second.windows.erase(id);
  ApplyDisk(m);
}

void FaultInjector::ApplyDisk(sim::MachineId m) {
  auto it = disks_.find(m);
  if (it == disks_.end()) return;
  DiskState& s = it->second;
  sim::DiskFaults f = s.base;
  for (const auto& [id, w] : s.windows) {
    f.write_error_probability = std::max(f.write_error_probability, w.write_error_probability);
    f.read_error_probability = std::max(f.read_error_probability, w.read_error_probability);
    f.sync_error_probability = std::max(f.sync_error_probability, w.sync_error_probability);
    f.sync_slowdown = std::max(f.sync_slowdown, w.sync_slowdown);
    f.full = f.full || w.full;
  }
  world_.disk(m).SetFaults(f);
  if (s.windows.empty()) disks_.erase(it);
}

void FaultInjector::ApplyDrift(sim::MachineId m) {
  auto it = drifts_.find(m);
  if (it == drifts_.end()) return;
  DriftState& s = it->second;
  // The newest open window's drift applies; with none left, the drift from before the first.
  const double ppm = s.windows.empty() ? s.base : s.windows.rbegin()->second;
  world_.SetClockDrift(m, ppm);
  drift_set_[m] = ppm;
  if (s.windows.empty()) drifts_.erase(it);
}

bool FaultInjector::ApplyRegistrationSuppression(sim::ProcessId pid) {
  auto* broker = world_.service_as<broker::Broker>(pid);
  if (broker == nullptr) return false;
  broker->SuppressRegistrations(std::nullopt, false);
  auto it = registration_holds_.find(pid);
  if (it != registration_holds_.end()) {
    for (const auto& [id, namesrvs] : it->second) {
      for (const Address& ns : namesrvs) broker->SuppressRegistrations(ns, true);
    }
  }
  hooked_incarnation_[pid] = world_.incarnation(pid);
  return true;
}

bool FaultInjector::ApplyHeartbeatSuppression(sim::ProcessId pid) {
  auto* hooks = dynamic_cast<ClientHooks*>(world_.service(pid));
  client::MQClientInstance* instance = hooks != nullptr ? hooks->client_instance() : nullptr;
  if (instance == nullptr) return false;
  instance->SuppressHeartbeats(heartbeat_holds_.count(pid) > 0);
  hooked_incarnation_[pid] = world_.incarnation(pid);
  return true;
}

bool FaultInjector::ApplyMaintenance(sim::ProcessId pid) {
  auto* px = world_.service_as<proxy::RocketMQProxy>(pid);
  if (px == nullptr) return false;
  const bool on = maintenance_holds_.count(pid) > 0;
  std::vector<std::string> clusters;
  for (const auto& [name, c] : px->config().clusters) clusters.push_back(name);
  for (const std::string& name : clusters) (void)px->SetMaintenance(name, on);
  hooked_incarnation_[pid] = world_.incarnation(pid);
  return true;
}

void FaultInjector::ReapplyHooks(sim::ProcessId pid) {
  if (!world_.IsRunning(pid)) return;
  const uint64_t incarnation = world_.incarnation(pid);
  auto hooked = hooked_incarnation_.find(pid);
  if (hooked != hooked_incarnation_.end() && hooked->second == incarnation) return;
  const std::string when = FormatMonoTime(world_.now());
  auto mt = maintenance_holds_.find(pid);
  if (mt != maintenance_holds_.end() && ApplyMaintenance(pid)) {
    for (uint64_t id : mt->second) {
      AppendDetail(id, "proxy restarted: maintenance re-applied to incarnation " +
                           std::to_string(incarnation) + " at " + when);
    }
  }
  auto reg = registration_holds_.find(pid);
  if (reg != registration_holds_.end() && ApplyRegistrationSuppression(pid)) {
    for (const auto& [id, namesrvs] : reg->second) {
      AppendDetail(id, "broker restarted: suppression re-applied to incarnation " +
                           std::to_string(incarnation) + " at " + when +
                           " (its startup registration went out before)");
    }
  }
  auto hb = heartbeat_holds_.find(pid);
  if (hb != heartbeat_holds_.end()) {
    const bool applied = ApplyHeartbeatSuppression(pid);
    for (uint64_t id : hb->second) {
      AppendDetail(id, applied ? "client restarted: suppression re-applied to incarnation " +
                                     std::to_string(incarnation) + " at " + when
                               : "client restarted at " + when +
                                     ": no client instance to suppress");
    }
  }
}

// ------------------------------------------------------------------ injection

std::optional<uint64_t> FaultInjector::Inject(const FaultRequest& r) {
  if (healed_ || r.targets.empty() || r.targets[0] == nullptr) return std::nullopt;
  if (!KindAcceptsRole(r.kind, r.targets[0]->role)) return std::nullopt;
  switch (r.kind) {
    case scenario::KILL:
    case scenario::STOP:
      return InjectProcess(r);
    case scenario::POWER_CYCLE:
    case scenario::DESTROY:
      return InjectPower(r);
    case scenario::SLOW_DISK:
    case scenario::DISK_ERRORS:
    case scenario::READ_ERRORS:
    case scenario::DISK_FULL:
      return InjectDisk(r);
    case scenario::CLOCK_JUMP:
    case scenario::CLOCK_DRIFT:
      return InjectClock(r);
    case scenario::PARTITION:
    case scenario::PARTITION_ONE_WAY:
    case scenario::CLOG:
    case scenario::RESET_CONNECTIONS:
      return InjectLink(r);
    case scenario::ISOLATE:
      return InjectIsolate(r);
    case scenario::DROP_REGISTRATIONS:
      return InjectDropRegistrations(r);
    case scenario::DROP_CLIENT_HEARTBEATS:
      return InjectDropHeartbeats(r);
    case scenario::CUT_NAME_SERVER:
      return InjectCutNameServer(r);
    case scenario::POWER_CYCLE_AFTER_SEND:
      return ArmAfterSend(r);
    case scenario::SLOW_DISK_THEN_POWER_LOSS:
      return InjectSlowDiskThenPowerLoss(r);
    case scenario::DESTROY_GROUP:
      return InjectDestroyGroup(r);
    case scenario::PROXY_MAINTENANCE:
      return InjectProxyMaintenance(r);
    case scenario::MALFORMED_FRAME:
      return InjectMalformedFrame(r);
    default:
      return std::nullopt;
  }
}

std::optional<uint64_t> FaultInjector::InjectProcess(const FaultRequest& r) {
  const ProcessInfo* t = r.targets[0];
  const bool kill = r.kind == scenario::KILL;
  // A kill hits a running (or stopping) process; a graceful stop only a running one.
  if (kill ? !world_.IsRunning(t->pid)
           : world_.process_state(t->pid) != sim::ProcessState::kRunning) {
    return std::nullopt;
  }
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, t->name, {t}, {}, r.scripted,
                                 kill ? "kill -9" : "graceful stop", d, false);
  if (kill) {
    world_.KillProcess(t->pid);
  } else {
    world_.StopProcess(t->pid);
  }
  HoldProcess(t->pid, id);
  const sim::ProcessId pid = t->pid;
  open_[id].undo = [this, pid, id] { ReleaseProcess(pid, id); };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectPower(const FaultRequest& r) {
  const sim::MachineId m = r.targets[0]->machine;
  if (!world_.IsMachineUp(m)) return std::nullopt;
  const bool destroy = r.kind == scenario::DESTROY;
  const Duration d = std::max(r.duration, Duration::zero());
  const size_t running = RunningOn(m).size();
  const uint64_t id = OpenWindow(
      r.kind, world_.machine_name(m), FrontFirst(ProcessesOn(m), r.targets[0]), {}, r.scripted,
      std::string(destroy ? "destroyed: the disk comes back empty" : "power off") + "; " +
          std::to_string(running) + " processes were running",
      d, false);
  HoldPower(m, id, destroy);
  open_[id].undo = [this, m, id] { ReleasePower(m, id); };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectDisk(const FaultRequest& r) {
  const sim::MachineId m = r.targets[0]->machine;
  sim::DiskFaults f;
  std::string detail;
  switch (r.kind) {
    case scenario::SLOW_DISK:
      f.sync_slowdown = static_cast<double>(random_.UniformInt(20, 200));
      detail = "fsync " + std::to_string(static_cast<int>(f.sync_slowdown)) + "x slower";
      break;
    case scenario::DISK_ERRORS:
      f.write_error_probability = 0.01;
      f.sync_error_probability = 0.05;
      detail = "EIO on " + Percent(f.write_error_probability) + " of writes and " +
               Percent(f.sync_error_probability) + " of fsyncs";
      break;
    case scenario::READ_ERRORS:
      f.read_error_probability = 0.01;
      detail = "EIO on " + Percent(f.read_error_probability) + " of reads";
      break;
    default:  // DISK_FULL
      f.full = true;
      detail = "disk full: ENOSPC on every growing write";
      break;
  }
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, world_.machine_name(m),
                                 FrontFirst(ProcessesOn(m), r.targets[0]), {}, r.scripted, detail,
                                 d, false);
  AddDiskWindow(m, id, f);
  open_[id].undo = [this, m, id] { RemoveDiskWindow(m, id); };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectClock(const FaultRequest& r) {
  const sim::MachineId m = r.targets[0]->machine;
  const bool negative = random_.Bernoulli(0.5);
  if (r.kind == scenario::CLOCK_JUMP) {
    Duration delta = random_.UniformDuration(seconds(10), minutes(10));
    if (negative) delta = -delta;
    const uint64_t id =
        OpenWindow(r.kind, world_.machine_name(m), FrontFirst(ProcessesOn(m), r.targets[0]), {},
                   r.scripted, "wall clock jumped " + std::string(negative ? "" : "+") + FormatDuration(delta),
                   Duration::zero(), true);
    world_.JumpWallClock(m, delta);
    return id;
  }
  double ppm = static_cast<double>(random_.UniformInt(50, 500));
  if (negative) ppm = -ppm;
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id =
      OpenWindow(r.kind, world_.machine_name(m), FrontFirst(ProcessesOn(m), r.targets[0]), {},
                 r.scripted, "wall clock drift " + std::string(negative ? "" : "+") +
                     std::to_string(static_cast<int>(ppm)) + " ppm",
                 d, false);
  DriftState& s = drifts_[m];
  if (s.windows.empty()) {
    auto set = drift_set_.find(m);
    s.base = set == drift_set_.end() ? 0.0 : set->second;
  }
  s.windows[id] = ppm;
  ApplyDrift(m);
  open_[id].undo = [this, m, id] {
    auto it = drifts_.find(m);
    if (it == drifts_.end()) return;
    it->second.windows.erase(id);
    ApplyDrift(m);
  };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectLink(const FaultRequest& r) {
  const ProcessInfo* t = r.targets[0];
  const sim::MachineId m = t->machine;
  std::vector<sim::MachineId> others;
  if (!r.peers.empty()) {
    for (const ProcessInfo* p : r.peers) {
      if (p != nullptr && p->machine != m) PushUnique(others, p->machine);
    }
  } else {
    std::vector<sim::MachineId> candidates;
    for (sim::MachineId c : ClusterMachines()) {
      if (c != m) candidates.push_back(c);
    }
    if (!candidates.empty()) others.push_back(candidates[random_.Below(candidates.size())]);
  }
  if (others.empty()) return std::nullopt;
  std::vector<const ProcessInfo*> peer_processes;
  std::string names;
  for (sim::MachineId o : others) {
    for (const ProcessInfo* p : ProcessesOn(o)) peer_processes.push_back(p);
    names += (names.empty() ? "" : ",") + world_.machine_name(o);
  }
  const Duration d = std::max(r.duration, Duration::zero());
  const bool one_way = r.kind == scenario::PARTITION_ONE_WAY;
  const std::string target = world_.machine_name(m) + (one_way ? " -> " : " <-> ") + names;
  std::string detail;
  switch (r.kind) {
    case scenario::PARTITION: detail = "link blocked both ways"; break;
    case scenario::PARTITION_ONE_WAY: detail = "link blocked one way"; break;
    case scenario::CLOG: detail = "link clogged both ways"; break;
    default: detail = "connections reset"; break;
  }
  const bool instant = r.kind == scenario::RESET_CONNECTIONS;
  if (!r.peers.empty()) peer_processes = FrontFirst(std::move(peer_processes), r.peers[0]);
  const uint64_t id = OpenWindow(r.kind, target, FrontFirst(ProcessesOn(m), t), peer_processes,
                                 r.scripted, detail, d, instant);
  for (sim::MachineId o : others) {
    switch (r.kind) {
      case scenario::PARTITION: world_.Partition(m, o); break;
      case scenario::PARTITION_ONE_WAY: world_.PartitionOneWay(m, o); break;
      case scenario::CLOG: world_.Clog(m, o, d); break;  // just expires
      default: world_.ResetConnections(m, o); break;
    }
  }
  if (r.kind == scenario::PARTITION || one_way) {
    open_[id].undo = [this, m, others, one_way] {
      for (sim::MachineId o : others) {
        if (one_way) {
          world_.UnpartitionOneWay(m, o);
        } else {
          world_.Unpartition(m, o);
        }
      }
    };
  }
  return id;
}

std::optional<uint64_t> FaultInjector::InjectIsolate(const FaultRequest& r) {
  const sim::MachineId m = r.targets[0]->machine;
  if (world_.machines().size() < 2) return std::nullopt;
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, world_.machine_name(m),
                                 FrontFirst(ProcessesOn(m), r.targets[0]), {}, r.scripted,
                                 "cut from every other machine", d, false);
  world_.Isolate(m);
  open_[id].undo = [this, m] { world_.Unisolate(m); };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectDropRegistrations(const FaultRequest& r) {
  const ProcessInfo* b = r.targets[0];
  if (!IsBroker(b->role)) return std::nullopt;
  std::vector<const ProcessInfo*> namesrvs;
  if (r.peers.empty()) {
    namesrvs = map_.WithRole(Role::kNameServer);
  } else {
    for (const ProcessInfo* p : r.peers) {
      if (p != nullptr && p->role == Role::kNameServer) PushUnique(namesrvs, p);
    }
  }
  const bool broker_up = world_.service_as<broker::Broker>(b->pid) != nullptr;
  std::vector<sim::MachineId> blocked;
  std::vector<Address> suppressed;
  std::vector<const ProcessInfo*> hit;
  std::string detail;
  auto note = [&detail](const std::string& s) { detail += (detail.empty() ? "" : "; ") + s; };
  for (const ProcessInfo* ns : namesrvs) {
    if (!r.suppress && ns->machine != b->machine) {
      PushUnique(blocked, ns->machine);
      hit.push_back(ns);
      note("link " + world_.machine_name(b->machine) + " -> " + world_.machine_name(ns->machine) +
           " blocked (" + ns->name + ")");
    } else if (broker_up) {
      suppressed.push_back(ns->address);
      hit.push_back(ns);
      note("suppressed broker-side for " + ns->name +
           (r.suppress ? " (requested)" : " (same machine)"));
    }
  }
  if (hit.empty()) return std::nullopt;
  std::string peers_text;
  if (r.peers.empty()) {
    peers_text = "all name servers";
  } else {
    for (const ProcessInfo* ns : hit) peers_text += (peers_text.empty() ? "" : ",") + ns->name;
  }
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id =
      OpenWindow(r.kind, b->name + " -> " + peers_text, {b}, hit, r.scripted, detail, d, false);
  const sim::MachineId bm = b->machine;
  const sim::ProcessId pid = b->pid;
  for (sim::MachineId m : blocked) world_.PartitionOneWay(bm, m);
  if (!suppressed.empty()) {
    registration_holds_[pid][id] = suppressed;
    ApplyRegistrationSuppression(pid);
  }
  const bool has_suppression = !suppressed.empty();
  open_[id].undo = [this, bm, pid, id, blocked, has_suppression] {
    for (sim::MachineId m : blocked) world_.UnpartitionOneWay(bm, m);
    if (!has_suppression) return;
    auto it = registration_holds_.find(pid);
    if (it != registration_holds_.end()) {
      it->second.erase(id);
      if (it->second.empty()) registration_holds_.erase(it);
    }
    ApplyRegistrationSuppression(pid);  // the remaining windows' suppressions, or none
  };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectProxyMaintenance(const FaultRequest& r) {
  const ProcessInfo* p = r.targets[0];
  if (world_.service_as<proxy::RocketMQProxy>(p->pid) == nullptr) return std::nullopt;
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, p->name, {p}, {}, r.scripted,
                                 "every upstream cluster in maintenance mode", d, false);
  const sim::ProcessId pid = p->pid;
  maintenance_holds_[pid].insert(id);
  ApplyMaintenance(pid);
  open_[id].undo = [this, pid, id] {
    auto it = maintenance_holds_.find(pid);
    if (it != maintenance_holds_.end()) {
      it->second.erase(id);
      if (it->second.empty()) maintenance_holds_.erase(it);
    }
    ApplyMaintenance(pid);
  };
  return id;
}

// The frame comes from the admin process (no workload's client): a header that is not JSON, which
// the proxy counts in request_decoding_error before it closes the connection.
std::optional<uint64_t> FaultInjector::InjectMalformedFrame(const FaultRequest& r) {
  const ProcessInfo* p = r.targets[0];
  if (world_.service_as<proxy::RocketMQProxy>(p->pid) == nullptr) return std::nullopt;
  const ProcessInfo* from = nullptr;
  for (const ProcessInfo* a : map_.WithRole(Role::kAdmin)) {
    if (from == nullptr && world_.IsRunning(a->pid)) from = a;
  }
  Runtime* rt = from == nullptr ? nullptr : world_.runtime(from->pid);
  if (rt == nullptr) return std::nullopt;
  std::erase_if(*probes_, [](const std::shared_ptr<Connection>& c) { return !c->is_open(); });
  const std::string header = "not a JSON header";
  std::string frame;
  const auto put32 = [&frame](uint32_t v) {
    for (int s : {24, 16, 8, 0}) frame += static_cast<char>((v >> s) & 0xFF);
  };
  put32(static_cast<uint32_t>(4 + header.size()));
  put32(static_cast<uint32_t>(header.size()));  // serialization type 0 (JSON)
  frame += header;
  const uint64_t id = OpenWindow(r.kind, p->name, {p}, {from}, r.scripted,
                                 "a frame with a header that is not JSON, from " + from->name +
                                     " to " + p->address.ToString(),
                                 Duration::zero(), true);
  rt->network().Connect(p->address, seconds(1),
                        [probes = probes_, frame](StatusOr<std::shared_ptr<Connection>> c) {
                          if (!c.ok()) return;
                          probes->push_back(*std::move(c));
                          Connection& conn = *probes->back();
                          conn.Start([](std::span<const std::byte>) {}, [](const Status&) {});
                          (void)conn.Send(std::as_bytes(std::span(frame.data(), frame.size())));
                        });
  return id;
}

std::optional<uint64_t> FaultInjector::InjectDropHeartbeats(const FaultRequest& r) {
  const ProcessInfo* c = r.targets[0];
  auto* hooks = dynamic_cast<ClientHooks*>(world_.service(c->pid));
  if (hooks == nullptr || hooks->client_instance() == nullptr) return std::nullopt;
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, c->name, {c}, {}, r.scripted,
                                 "HEART_BEAT to the brokers suppressed", d, false);
  const sim::ProcessId pid = c->pid;
  heartbeat_holds_[pid].insert(id);
  ApplyHeartbeatSuppression(pid);
  open_[id].undo = [this, pid, id] {
    auto it = heartbeat_holds_.find(pid);
    if (it != heartbeat_holds_.end()) {
      it->second.erase(id);
      if (it->second.empty()) heartbeat_holds_.erase(it);
    }
    ApplyHeartbeatSuppression(pid);
  };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectCutNameServer(const FaultRequest& r) {
  const ProcessInfo* ns = r.targets[0];
  if (ns->role != Role::kNameServer) return std::nullopt;
  const sim::MachineId nm = ns->machine;
  std::vector<sim::MachineId> cut;
  std::vector<const ProcessInfo*> brokers;
  for (const auto& p : map_.processes) {
    if (!IsBroker(p.role) || p.machine == nm) continue;
    brokers.push_back(&p);
    PushUnique(cut, p.machine);
  }
  if (cut.empty()) return std::nullopt;
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id =
      OpenWindow(r.kind, ns->name + " <-> brokers", FrontFirst(ProcessesOn(nm), ns), brokers,
                 r.scripted,
                 "links to " + std::to_string(cut.size()) + " broker machines blocked both ways",
                 d, false);
  for (sim::MachineId m : cut) world_.Partition(nm, m);
  open_[id].undo = [this, nm, cut] {
    for (sim::MachineId m : cut) world_.Unpartition(nm, m);
  };
  return id;
}

std::optional<uint64_t> FaultInjector::ArmAfterSend(const FaultRequest& r) {
  const ProcessInfo* t = r.targets[0];
  if (!IsBroker(t->role)) return std::nullopt;
  const uint64_t id = next_id_++;
  Armed a;
  a.target = t;
  a.group = t->group;
  a.duration = std::max(r.duration, Duration::zero());
  a.scripted = r.scripted;
  // No SEND_OK of the group within the window: the fault never fires and nothing is recorded.
  a.expiry_timer = After(a.duration, [this, id] { armed_.erase(id); });
  armed_[id] = std::move(a);
  return id;
}

void FaultInjector::OnSendOk(const std::string& group) {
  if (healed_) return;
  for (auto& [id, a] : armed_) {
    if (a.firing || a.group != group) continue;
    a.firing = true;
    CancelTimer(a.expiry_timer);
    const Duration delay = random_.UniformDuration(Duration::zero(), milliseconds(5));
    const uint64_t wid = id;
    a.fire_timer = After(delay, [this, wid, delay] { FireAfterSend(wid, delay); });
  }
}

void FaultInjector::FireAfterSend(uint64_t id, Duration delay) {
  auto it = armed_.find(id);
  if (it == armed_.end()) return;
  Armed a = std::move(it->second);
  armed_.erase(it);
  const sim::MachineId m = a.target->machine;
  if (healed_ || !world_.IsMachineUp(m)) return;  // hits nothing: not recorded
  OpenWindow(scenario::POWER_CYCLE_AFTER_SEND, world_.machine_name(m),
             FrontFirst(ProcessesOn(m), a.target), {}, a.scripted,
             "power off " + FormatDuration(delay) + " after a SEND_OK of " + a.group, a.duration,
             false, id);
  HoldPower(m, id, false);
  open_[id].undo = [this, m, id] { ReleasePower(m, id); };
}

std::optional<uint64_t> FaultInjector::InjectSlowDiskThenPowerLoss(const FaultRequest& r) {
  const sim::MachineId m = r.targets[0]->machine;
  if (!world_.IsMachineUp(m)) return std::nullopt;
  const Duration d = std::max(r.duration, Duration::zero());
  sim::DiskFaults f;
  f.sync_slowdown = static_cast<double>(random_.UniformInt(20, 200));
  // The power loss comes somewhere in the middle of the window (10%..90%), so there is a slow
  // period before it and downtime after it.
  const Duration at = random_.UniformDuration(d / 10, d * 9 / 10);
  const uint64_t id = OpenWindow(
      r.kind, world_.machine_name(m), FrontFirst(ProcessesOn(m), r.targets[0]), {}, r.scripted,
      "fsync " + std::to_string(static_cast<int>(f.sync_slowdown)) + "x slower, power loss at +" +
          FormatDuration(at),
      d, false);
  AddDiskWindow(m, id, f);
  auto powered_off = std::make_shared<bool>(false);
  open_[id].timers.push_back(After(at, [this, m, id, powered_off] {
    *powered_off = true;
    if (!HoldPower(m, id, false)) AppendDetail(id, "machine already off at the power-loss point");
  }));
  open_[id].undo = [this, m, id, powered_off] {
    RemoveDiskWindow(m, id);
    if (*powered_off) ReleasePower(m, id);
  };
  return id;
}

std::optional<uint64_t> FaultInjector::InjectDestroyGroup(const FaultRequest& r) {
  const ProcessInfo* t = r.targets[0];
  if (!IsBroker(t->role)) return std::nullopt;
  std::vector<sim::MachineId> machines;
  for (const ProcessInfo* p : map_.Group(t->group)) PushUnique(machines, p->machine);
  bool any_up = false;
  for (sim::MachineId m : machines) any_up = any_up || world_.IsMachineUp(m);
  if (!any_up) return std::nullopt;
  std::vector<const ProcessInfo*> processes;
  std::string names;
  for (sim::MachineId m : machines) {
    for (const ProcessInfo* p : ProcessesOn(m)) processes.push_back(p);
    names += (names.empty() ? "" : ",") + world_.machine_name(m);
  }
  const Duration d = std::max(r.duration, Duration::zero());
  const uint64_t id = OpenWindow(r.kind, t->group, FrontFirst(processes, t), {}, r.scripted,
                                 "destroyed " + names + ": every disk comes back empty", d, false);
  for (sim::MachineId m : machines) HoldPower(m, id, true);
  open_[id].undo = [this, machines, id] {
    for (sim::MachineId m : machines) ReleasePower(m, id);
  };
  return id;
}

// ------------------------------------------------------------------ the end of chaos

void FaultInjector::HealAll() {
  if (healed_) return;
  healed_ = true;
  for (auto& [id, a] : armed_) {
    CancelTimer(a.expiry_timer);
    if (a.fire_timer != 0) CancelTimer(a.fire_timer);
  }
  armed_.clear();
  while (!open_.empty()) CloseWindow(open_.begin()->first);
  // A graceful stop still in progress is cut short so that the process can start again now.
  for (sim::ProcessId pid : to_restart_) {
    if (world_.process_state(pid) == sim::ProcessState::kStopping) world_.KillProcess(pid);
  }
  if (restart_retry_) {
    CancelTimer(*restart_retry_);
    restart_retry_.reset();
  }
  RestartFreed();
  // Every process a fault ever took down runs again (a restart that failed under a disk fault,
  // say, gets another chance now that the disks are healthy).
  for (sim::ProcessId pid : ever_down_) {
    if (world_.IsRunning(pid) || !world_.IsMachineUp(world_.machine_of(pid))) continue;
    (void)world_.StartProcess(pid);
  }
  to_restart_.clear();
}

}  // namespace rmqsim::faults
