#include "faults/timeline.h"

namespace rmqsim::faults {
namespace {

// The peers a selector gives for a kind: DROP_REGISTRATIONS takes name servers only.
std::vector<const ProcessInfo*> ResolvePeer(const ClusterMap& map, FaultKind kind,
                                            const scenario::Target& t) {
  std::vector<const ProcessInfo*> out;
  for (const ProcessInfo* p : ResolveTarget(map, t)) {
    if (kind == scenario::DROP_REGISTRATIONS && p->role != Role::kNameServer) continue;
    out.push_back(p);
  }
  return out;
}

// A peer selector that counts: given, not empty, on a kind that takes a peer.
bool HasPeer(const scenario::ScriptedFault& f) {
  return KindTakesPeer(f.kind()) && f.has_peer() && !IsEmptySelector(f.peer());
}

}  // namespace

Status ValidateFault(const ClusterMap& map, const scenario::ScriptedFault& f) {
  if (!scenario::FaultKind_IsValid(f.kind()) || f.kind() == scenario::FAULT_KIND_UNSPECIFIED) {
    return InvalidArgumentError("unknown fault kind " + std::to_string(f.kind()));
  }
  const std::string kind = KindName(f.kind());
  auto at = ParseFaultDuration(f.at(), Duration::zero(), "at");
  if (!at.ok()) return at.status();
  auto duration = ParseFaultDuration(f.duration(), seconds(30), "duration");
  if (!duration.ok()) return duration.status();
  if (ResolveTargetFor(map, f.kind(), f.target()).empty()) {
    return InvalidArgumentError("target " + SelectorText(f.target()) + " matches no process " +
                                kind + " can hit");
  }
  if (HasPeer(f) && ResolvePeer(map, f.kind(), f.peer()).empty()) {
    return InvalidArgumentError(
        "peer " + SelectorText(f.peer()) + " matches no " +
        (f.kind() == scenario::DROP_REGISTRATIONS ? "name server" : "process"));
  }
  return Status::Ok();
}

Timeline::Timeline(sim::World& world, const ClusterMap& map, FaultInjector& injector,
                   const google::protobuf::RepeatedPtrField<scenario::ScriptedFault>& faults,
                   MonoTime chaos_start, uint64_t seed)
    : Timeline(world, map, injector,
               std::vector<scenario::ScriptedFault>(faults.begin(), faults.end()), chaos_start,
               seed) {}

Timeline::Timeline(sim::World& world, const ClusterMap& map, FaultInjector& injector,
                   std::vector<scenario::ScriptedFault> faults, MonoTime chaos_start,
                   uint64_t seed)
    : world_(world),
      map_(map),
      injector_(injector),
      faults_(std::move(faults)),
      chaos_start_(chaos_start),
      random_(seed),
      results_(faults_.size()) {}

Timeline::~Timeline() {
  for (TimerId t : timers_) world_.Cancel(t);
}

Status Timeline::Validate() const {
  for (size_t i = 0; i < faults_.size(); ++i) {
    Status s = ValidateFault(map_, faults_[i]);
    if (!s.ok()) {
      const auto& f = faults_[i];
      return InvalidArgumentError("timeline[" + std::to_string(i) + "] (" + KindName(f.kind()) +
                                  " at " + (f.at().empty() ? "0s" : f.at()) +
                                  "): " + s.message());
    }
  }
  return Status::Ok();
}

void Timeline::Arm() {
  if (armed_) return;
  armed_ = true;
  for (size_t i = 0; i < faults_.size(); ++i) {
    if (!ValidateFault(map_, faults_[i]).ok()) continue;
    const Duration at = *ParseFaultDuration(faults_[i].at(), Duration::zero(), "at");
    const MonoTime when = chaos_start_ + at;
    const Duration delay = when > world_.now() ? when - world_.now() : Duration::zero();
    timers_.push_back(world_.Schedule(delay, [this, i] { Fire(i); }));
  }
}

void Timeline::Fire(size_t index) {
  ++fired_;
  const scenario::ScriptedFault& f = faults_[index];
  std::vector<const ProcessInfo*> targets = ResolveTargetFor(map_, f.kind(), f.target());
  if (targets.empty()) return;
  FaultRequest r;
  r.kind = f.kind();
  r.targets = {targets[random_.Below(targets.size())]};
  if (HasPeer(f)) {
    std::vector<const ProcessInfo*> peers = ResolvePeer(map_, f.kind(), f.peer());
    if (peers.empty()) return;
    r.peers = {peers[random_.Below(peers.size())]};
  }
  r.duration = *ParseFaultDuration(f.duration(), seconds(30), "duration");
  r.suppress = f.suppress();
  r.scripted = true;
  results_[index] = injector_.Inject(r);
}

}  // namespace rmqsim::faults
