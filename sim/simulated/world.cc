#include "sim/simulated/world.h"

#include <cxxabi.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim/base/hash.h"
#include "sim/base/limits.h"
#include "sim/simulated/process.h"

namespace rmqsim::sim {

std::string_view ProcessStateName(ProcessState s) {
  switch (s) {
    case ProcessState::kNotStarted: return "not-started";
    case ProcessState::kRunning: return "running";
    case ProcessState::kStopping: return "stopping";
    case ProcessState::kExited: return "exited";
    case ProcessState::kKilled: return "killed";
    case ProcessState::kPoweredOff: return "powered-off";
  }
  return "?";
}

World::World(WorldConfig config)
    : config_(std::move(config)),
      failure_context_([this] { return FailureContext(); }, /*in_simulation=*/true),
      buggify_(DeriveSeed(config_.seed, "buggify"), {.enabled = config_.buggify}),
      network_(std::make_unique<SimNetwork>(*this, config_.network,
                                            DeriveSeed(config_.seed, "network"))) {}

World::~World() {
  in_teardown_ = true;
  for (auto& p : processes_) {
    if (p->state == ProcessState::kRunning || p->state == ProcessState::kStopping) {
      EndIncarnation(*p, Death::kSilent, ProcessState::kPoweredOff);
    }
  }
  scheduler_.Clear();  // closures may hold connection handles: drop them while the network lives
  network_.reset();
}

std::string World::FailureContext() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "    simulated world: seed=%" PRIu64 " time=%s events=%" PRIu64,
                config_.seed, FormatMonoTime(now_).c_str(), events_processed_);
  std::string out = buf;
  if (!config_.replay_command.empty()) out += "\n    replay: " + config_.replay_command;
  return out;
}

World::Machine& World::M(MachineId id) {
  RMQ_ASSERT_MSG(id.valid() && id.value() <= machines_.size(), "unknown machine id");
  return *machines_[id.value() - 1];
}
const World::Machine& World::M(MachineId id) const {
  RMQ_ASSERT_MSG(id.valid() && id.value() <= machines_.size(), "unknown machine id");
  return *machines_[id.value() - 1];
}
World::Process& World::P(ProcessId id) {
  RMQ_ASSERT_MSG(id.valid() && id.value() <= processes_.size(), "unknown process id");
  return *processes_[id.value() - 1];
}
const World::Process& World::P(ProcessId id) const {
  RMQ_ASSERT_MSG(id.valid() && id.value() <= processes_.size(), "unknown process id");
  return *processes_[id.value() - 1];
}

// ------------------------------------------------------------------ topology

StatusOr<MachineId> World::AddMachine(MachineConfig config) {
  if (config.name.empty()) return InvalidArgumentError("machine name is empty");
  if (!IsIpv4Literal(config.ip) || config.ip == "0.0.0.0" || config.ip.rfind("127.", 0) == 0) {
    return InvalidArgumentError("machine '" + config.name + "': ip '" + config.ip +
                                "' is not a usable IPv4 address");
  }
  if (machine_by_ip_.contains(config.ip)) {
    return AlreadyExistsError("machine '" + config.name + "': ip " + config.ip + " is taken");
  }
  for (const auto& m : machines_) {
    if (m->config.name == config.name) {
      return AlreadyExistsError("machine name '" + config.name + "' is taken");
    }
  }
  MachineId id(machines_.size() + 1);
  auto m = std::make_unique<Machine>();
  m->id = id;
  m->disk = std::make_unique<SimDisk>(*this, config.name, config.disk,
                                      DeriveSeed(DeriveSeed(config_.seed, "disk"), config.name));
  m->wall_offset_ns = config.clock.offset.count();
  m->drift_ppm = config.clock.drift_ppm;
  m->config = std::move(config);
  machine_by_ip_.emplace(m->config.ip, id);
  Trace(TraceEvent("MachineAdded").Detail("Machine", m->config.name).Detail("Ip", m->config.ip));
  machines_.push_back(std::move(m));
  return id;
}

StatusOr<ProcessId> World::AddProcess(MachineId machine, std::string name, ServiceFactory factory,
                                      std::string data_dir) {
  if (!machine.valid() || machine.value() > machines_.size()) {
    return InvalidArgumentError("AddProcess: unknown machine");
  }
  if (name.empty()) return InvalidArgumentError("process name is empty");
  for (const auto& p : processes_) {
    if (p->name == name) return AlreadyExistsError("process name '" + name + "' is taken");
  }
  if (data_dir.empty()) data_dir = "/data/" + name;
  RMQ_ASSIGN_OR_RETURN(std::string dir, SimDisk::Normalize(data_dir));
  ProcessId id(processes_.size() + 1);
  auto p = std::make_unique<Process>();
  p->id = id;
  p->name = std::move(name);
  p->machine = machine;
  p->factory = std::move(factory);
  p->data_dir = std::move(dir);
  processes_.push_back(std::move(p));
  return id;
}

// ------------------------------------------------------------------ process lifecycle

Status World::StartProcess(ProcessId id) {
  Process& p = P(id);
  if (p.state == ProcessState::kRunning || p.state == ProcessState::kStopping) {
    return FailedPreconditionError("process '" + p.name + "' is already running");
  }
  Machine& m = M(p.machine);
  if (!m.up) {
    return UnavailableError("process '" + p.name + "': machine '" + m.config.name + "' is off");
  }
  ++p.incarnation;
  Owner owner{id.value(), p.incarnation};
  uint64_t seed = DeriveSeed(DeriveSeed(config_.seed, "process/" + p.name), p.incarnation);
  RMQ_RETURN_IF_ERROR(m.disk->CreateDirectories(p.data_dir));
  p.runtime = std::make_unique<ProcessRuntime>(*this, owner, p.machine, p.name, p.data_dir, seed);
  p.state = ProcessState::kRunning;
  Trace(TraceEvent("ProcessStarted")
            .Detail("Process", p.name)
            .Detail("Machine", m.config.name)
            .Detail("Incarnation", p.incarnation));
  ScheduleAt(now_, owner, [this, id] {
    Process& proc = P(id);
    proc.service = proc.factory(*proc.runtime);
    Status s = proc.service ? proc.service->Start() : InternalError("factory returned no service");
    if (!s.ok()) {
      proc.runtime->Trace(TraceEvent("ProcessStartFailed", Severity::kError)
                              .Detail("Error", s.ToString()));
      uint64_t inc = proc.incarnation;
      ScheduleAt(now_, Owner{}, [this, id, inc] {
        Process& q = P(id);
        if (q.incarnation == inc && q.state == ProcessState::kRunning) {
          EndIncarnation(q, Death::kExit, ProcessState::kExited);
        }
      });
    }
  });
  return Status::Ok();
}

void World::KillProcess(ProcessId id) {
  Process& p = P(id);
  if (p.state != ProcessState::kRunning && p.state != ProcessState::kStopping) return;
  if (current_owner_.process == id.value()) {
    // A process cannot be torn down under its own stack: finish the current event first.
    uint64_t inc = p.incarnation;
    ScheduleAt(now_, Owner{}, [this, id, inc] {
      if (P(id).incarnation == inc) KillProcess(id);
    });
    return;
  }
  EndIncarnation(p, Death::kKill, ProcessState::kKilled);
}

void World::StopProcess(ProcessId id, Duration grace) {
  Process& p = P(id);
  if (p.state != ProcessState::kRunning) return;
  p.state = ProcessState::kStopping;
  uint64_t inc = p.incarnation;
  Owner owner{id.value(), inc};
  Trace(TraceEvent("ProcessStopping").Detail("Process", p.name));
  auto finish = [this, id, inc] {
    ScheduleAt(now_, Owner{}, [this, id, inc] {
      Process& q = P(id);
      if (q.incarnation == inc && q.state == ProcessState::kStopping) {
        EndIncarnation(q, Death::kExit, ProcessState::kExited);
      }
    });
  };
  ScheduleAt(now_, owner, [this, id, finish] {
    Process& q = P(id);
    if (q.service) {
      q.service->Stop(finish);
    } else {
      finish();
    }
  });
  p.stop_deadline = ScheduleAt(now_ + grace, Owner{}, [this, id, inc] {
    Process& q = P(id);
    if (q.incarnation == inc && q.state == ProcessState::kStopping) {
      Trace(TraceEvent("ProcessStopTimedOut", Severity::kWarn).Detail("Process", q.name));
      EndIncarnation(q, Death::kKill, ProcessState::kKilled);
    }
  }, /*cancellable=*/true);
}

Status World::RestartProcess(ProcessId id) {
  KillProcess(id);
  Process& p = P(id);
  if (p.state == ProcessState::kRunning || p.state == ProcessState::kStopping) {
    return FailedPreconditionError("process '" + p.name + "' cannot restart itself");
  }
  return StartProcess(id);
}

void World::EndIncarnation(Process& p, Death how, ProcessState new_state) {
  RMQ_ASSERT_MSG(current_owner_.process != p.id.value(),
                 "a process is being torn down under its own stack");
  Owner owner{p.id.value(), p.incarnation};
  p.runtime->MarkDead();
  p.state = new_state;
  if (p.stop_deadline.valid()) {
    scheduler_.Cancel(p.stop_deadline);
    p.stop_deadline = {};
  }
  // Peers learn of the death as TCP would; do it before the service's destructors run so that
  // their Close() calls find the endpoints already gone.
  if (how == Death::kKill) network_->OnProcessKilled(owner);
  if (how == Death::kSilent) network_->OnProcessSilenced(owner);
  p.service.reset();  // the component's memory is gone; it can schedule nothing (MarkDead)
  if (how == Death::kExit) network_->OnProcessExited(owner);
  size_t purged = scheduler_.Purge(owner);
  p.runtime.reset();
  if (!in_teardown_) {
    const char* name = how == Death::kKill ? "ProcessKilled"
                       : how == Death::kSilent ? "ProcessPoweredOff"
                                               : "ProcessExited";
    Trace(TraceEvent(name).Detail("Process", p.name).Detail("PurgedEvents", purged));
  }
}

// ------------------------------------------------------------------ machines

void World::PowerOff(MachineId id) {
  Machine& m = M(id);
  if (!m.up) return;
  for (auto& p : processes_) {
    if (p->machine == id &&
        (p->state == ProcessState::kRunning || p->state == ProcessState::kStopping)) {
      EndIncarnation(*p, Death::kSilent, ProcessState::kPoweredOff);
    }
  }
  m.up = false;
  uint64_t torn_before = m.disk->torn_writes();
  m.disk->PowerLoss();
  Trace(TraceEvent("MachinePowerOff")
            .Detail("Machine", m.config.name)
            .Detail("TornWrites", m.disk->torn_writes() - torn_before));
}

void World::PowerOn(MachineId id) {
  Machine& m = M(id);
  if (m.up) return;
  m.up = true;
  ++m.boot;
  Trace(TraceEvent("MachinePowerOn").Detail("Machine", m.config.name).Detail("Boot", m.boot));
  network_->OnMachineUp(id);
}

void World::DestroyMachine(MachineId id) {
  PowerOff(id);
  M(id).disk->Wipe();
  Trace(TraceEvent("MachineDestroyed").Detail("Machine", M(id).config.name));
}

bool World::IsMachineUp(MachineId id) const { return M(id).up; }
uint64_t World::boot_epoch(MachineId id) const { return M(id).boot; }
SimDisk& World::disk(MachineId id) { return *M(id).disk; }

// ------------------------------------------------------------------ network faults

void World::Partition(MachineId a, MachineId b) {
  PartitionOneWay(a, b);
  PartitionOneWay(b, a);
}

void World::PartitionOneWay(MachineId from, MachineId to) {
  if (from == to) return;
  if (!network_->BlockLink(from, to)) return;  // already cut by another fault: now one more
  Trace(TraceEvent("LinkBlocked").Detail("From", M(from).config.name).Detail("To",
                                                                             M(to).config.name));
}

void World::Isolate(MachineId m) {
  M(m);  // validates the id
  isolations_[m].push_back(machines_.size());
  for (auto& other : machines_) {
    if (other->id != m) Partition(m, other->id);
  }
}

void World::Unpartition(MachineId a, MachineId b) {
  UnpartitionOneWay(a, b);
  UnpartitionOneWay(b, a);
}

void World::UnpartitionOneWay(MachineId from, MachineId to) {
  if (from == to) return;
  if (!network_->UnblockLink(from, to)) return;  // other blocks remain (or there was none)
  Trace(TraceEvent("LinkHealed").Detail("From", M(from).config.name).Detail("To",
                                                                            M(to).config.name));
}

void World::Unisolate(MachineId m) {
  M(m);
  auto it = isolations_.find(m);
  if (it == isolations_.end()) return;
  size_t cut = it->second.back();
  it->second.pop_back();
  if (it->second.empty()) isolations_.erase(it);
  for (size_t i = 0; i < cut; ++i) {
    MachineId other = machines_[i]->id;
    if (other != m) Unpartition(m, other);
  }
}

void World::Heal(MachineId a, MachineId b) {
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    if (x == y || !network_->ClearLinkBlocks(x, y)) continue;
    Trace(TraceEvent("LinkHealed").Detail("From", M(x).config.name).Detail("To",
                                                                           M(y).config.name));
  }
}

void World::HealAll() {
  isolations_.clear();
  for (auto& a : machines_) {
    for (auto& b : machines_) {
      if (a->id < b->id) Heal(a->id, b->id);
    }
  }
}

void World::Clog(MachineId a, MachineId b, Duration duration) {
  network_->Clog(a, b, now_ + duration);
  network_->Clog(b, a, now_ + duration);
  Trace(TraceEvent("LinkClogged")
            .Detail("A", M(a).config.name)
            .Detail("B", M(b).config.name)
            .Detail("DurationNs", duration));
}

void World::ResetConnections(MachineId a, MachineId b) {
  Trace(TraceEvent("ConnectionsReset").Detail("A", M(a).config.name).Detail("B",
                                                                           M(b).config.name));
  network_->ResetBetween(a, b);
}

// ------------------------------------------------------------------ clocks

WallTime World::MachineWallTime(MachineId id) const {
  const Machine& m = M(id);
  int64_t mono = ToNanos(now_);
  auto drift = static_cast<int64_t>(static_cast<double>(mono - m.drift_anchor_mono_ns) *
                                    m.drift_ppm / 1e6);
  return WallFromNanos(config_.start_unix_ms * 1'000'000 + mono + m.wall_offset_ns +
                       m.drift_accrued_ns + drift);
}

void World::JumpWallClock(MachineId id, Duration delta) {
  Machine& m = M(id);
  m.wall_offset_ns += delta.count();
  Trace(TraceEvent("ClockJumped").Detail("Machine", m.config.name).Detail("DeltaNs", delta));
}

void World::SetClockDrift(MachineId id, double drift_ppm) {
  Machine& m = M(id);
  int64_t mono = ToNanos(now_);
  m.drift_accrued_ns += static_cast<int64_t>(static_cast<double>(mono - m.drift_anchor_mono_ns) *
                                             m.drift_ppm / 1e6);
  m.drift_anchor_mono_ns = mono;
  m.drift_ppm = drift_ppm;
  Trace(TraceEvent("ClockDriftSet").Detail("Machine", m.config.name).Detail("DriftPpm",
                                                                            drift_ppm));
}

// ------------------------------------------------------------------ running

TimerId World::ScheduleAt(MonoTime when, Owner owner, std::function<void()> fn,
                          bool cancellable) {
  if (when < now_) when = now_;
  return scheduler_.Schedule(when, owner, std::move(fn), cancellable);
}

TimerId World::Schedule(Duration delay, std::function<void()> fn) {
  if (delay < Duration::zero()) delay = Duration::zero();
  return scheduler_.Schedule(now_ + delay, Owner{}, std::move(fn), true);
}

bool World::IsAlive(Owner owner) const {
  if (owner.process == 0) return true;
  const Process& p = *processes_[owner.process - 1];
  return p.incarnation == owner.incarnation &&
         (p.state == ProcessState::kRunning || p.state == ProcessState::kStopping) &&
         !p.runtime->dead();
}

void World::Dispatch(Scheduler::Event& e) {
  MonoTime t = MonoFromNanos(e.time_ns);
  RMQ_ASSERT_MSG(t >= now_, "event scheduled in the past");
  if (t == now_) {
    if (++events_at_instant_ > limits::kEventsAtOneInstantMax) {
      RMQ_UNREACHABLE("zero-time livelock: too many events at one virtual instant");
    }
  } else {
    events_at_instant_ = 0;
  }
  now_ = t;
  if (!IsAlive(e.owner)) return;  // purged owners never get here; belt and braces
  ++events_processed_;
  digest_.AddRaw((static_cast<uint64_t>(e.time_ns) * 31) ^ e.owner.process ^
                 (e.owner.incarnation << 40));
  if (config_.deep_digest) {
    // The event's kind: the type of the callable (a lambda's type names its place in the code).
    const std::type_info* kind = &e.fn.target_type();
    auto it = kind_hashes_.find(kind);
    if (it == kind_hashes_.end()) it = kind_hashes_.emplace(kind, Fnv1a64(kind->name())).first;
    digest_.AddRaw(it->second);
  }
  if (config_.count_event_kinds) ++kind_counts_[&e.fn.target_type()];
  current_owner_ = e.owner;
  e.fn();
  current_owner_ = Owner{};
}

bool World::Step() {
  Scheduler::Event e;
  if (!scheduler_.Pop(e, MonoFromNanos(INT64_MAX))) return false;
  Dispatch(e);
  return true;
}

void World::RunUntil(MonoTime until) {
  Scheduler::Event e;
  while (scheduler_.Pop(e, until)) Dispatch(e);
  if (until > now_) now_ = until;
}

bool World::RunUntil(const std::function<bool()>& pred, MonoTime deadline) {
  Scheduler::Event e;
  while (true) {
    if (pred()) return true;
    if (!scheduler_.Pop(e, deadline)) break;
    Dispatch(e);
  }
  if (deadline > now_) now_ = deadline;
  return pred();
}

// ------------------------------------------------------------------ tracing and inspection

std::vector<std::pair<std::string, uint64_t>> World::EventKindCounts() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& [kind, n] : kind_counts_) {
    int status = 0;
    char* name = abi::__cxa_demangle(kind->name(), nullptr, nullptr, &status);
    out.emplace_back(status == 0 && name != nullptr ? name : kind->name(), n);
    std::free(name);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

uint64_t World::digest() const {
  return config_.deep_digest ? HashCombine(digest_.value(), random_draws_) : digest_.value();
}

void World::DigestBytes(uint64_t what, std::span<const std::byte> bytes) {
  if (!config_.deep_digest) return;
  // Eight bytes at a time (the digest runs on every delivered and written byte).
  uint64_t h = HashCombine(kFnvOffset64, what ^ bytes.size());
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  digest_.AddRaw(HashCombine(h, tail));
}

void World::EmitTrace(std::string_view node, TraceEvent event) {
  StampedTraceEvent stamped{now_, std::string(node), std::move(event)};
  digest_.Add(stamped);
  ++trace_events_emitted_;
  if (config_.trace_to_stderr) std::fprintf(stderr, "%s\n", FormatTraceEvent(stamped).c_str());
  if (config_.trace_listener) config_.trace_listener(stamped);
  if (config_.trace_events_kept == 0) return;
  if (trace_kept_.size() >= config_.trace_events_kept) trace_kept_.pop_front();
  trace_kept_.push_back(std::move(stamped));
}

void World::Trace(TraceEvent event) { EmitTrace("world", std::move(event)); }

const std::string& World::OwnerName(Owner owner) const {
  static const std::string kWorld = "world";
  if (owner.process == 0) return kWorld;
  return processes_[owner.process - 1]->name;
}

std::optional<MachineId> World::MachineByIp(const std::string& ip) const {
  auto it = machine_by_ip_.find(ip);
  if (it == machine_by_ip_.end()) return std::nullopt;
  return it->second;
}

ProcessState World::process_state(ProcessId id) const { return P(id).state; }
bool World::IsRunning(ProcessId id) const {
  auto s = P(id).state;
  return s == ProcessState::kRunning || s == ProcessState::kStopping;
}
uint64_t World::incarnation(ProcessId id) const { return P(id).incarnation; }
const std::string& World::process_name(ProcessId id) const { return P(id).name; }
const std::string& World::machine_name(MachineId id) const { return M(id).config.name; }
const std::string& World::machine_ip(MachineId id) const { return M(id).config.ip; }
MachineId World::machine_of(ProcessId id) const { return P(id).machine; }

std::vector<ProcessId> World::processes() const {
  std::vector<ProcessId> out;
  for (const auto& p : processes_) out.push_back(p->id);
  return out;
}
std::vector<MachineId> World::machines() const {
  std::vector<MachineId> out;
  for (const auto& m : machines_) out.push_back(m->id);
  return out;
}

Service* World::service(ProcessId id) {
  Process& p = P(id);
  return IsRunning(id) ? p.service.get() : nullptr;
}

Runtime* World::runtime(ProcessId id) {
  Process& p = P(id);
  return IsRunning(id) ? p.runtime.get() : nullptr;
}

}  // namespace rmqsim::sim
