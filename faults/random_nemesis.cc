#include "faults/random_nemesis.h"

#include <algorithm>

namespace rmqsim::faults {
namespace {

scenario::Target Sel(scenario::Role role) {
  scenario::Target t;
  t.set_role(role);
  return t;
}

MixEntry MakeLine(FaultKind kind, double weight, scenario::Role role, std::string label,
              std::optional<Duration> min = std::nullopt,
              std::optional<Duration> max = std::nullopt,
              std::optional<scenario::Role> peer = std::nullopt) {
  MixEntry e;
  e.kind = kind;
  e.weight = weight;
  if (role != scenario::ROLE_ANY) e.targets.push_back(Sel(role));
  if (peer) e.peer = Sel(*peer);
  e.min_duration = min;
  e.max_duration = max;
  e.label = std::move(label);
  return e;
}

// Parses an optional duration: empty -> fallback; invalid or negative -> error.
}  // namespace

std::vector<MixEntry> DefaultNemesisMix() {
  using namespace scenario;  // NOLINT: the enum values read better bare here
  const auto s = [](int n) { return std::optional<Duration>(seconds(n)); };
  return {
      MakeLine(KILL, 6, MASTER, "KILL master"),
      MakeLine(KILL, 2, SLAVE, "KILL slave"),
      MakeLine(POWER_CYCLE, 4, MASTER, "POWER_CYCLE master"),
      MakeLine(POWER_CYCLE, 1, SLAVE, "POWER_CYCLE slave"),
      MakeLine(STOP, 1, BROKER, "STOP broker"),
      // Natural DESTROY targets: slaves on machines without a master.
      MakeLine(DESTROY, 1, ROLE_ANY, "DESTROY slave"),
      // Long enough for the name servers to expire the broker (120 s + a 10 s scan after its
      // last registration, which came up to 30 s before the window).
      MakeLine(DROP_REGISTRATIONS, 1.5, BROKER, "DROP_REGISTRATIONS broker (all name servers)",
           s(90), s(200)),
      MakeLine(DROP_REGISTRATIONS, 0.5, BROKER, "DROP_REGISTRATIONS broker (one name server)",
           s(90), s(200), NAME_SERVER),
      // Up to past the broker's 120 s client-channel expiry.
      MakeLine(DROP_CLIENT_HEARTBEATS, 1, CONSUMER, "DROP_CLIENT_HEARTBEATS consumer", s(10), s(150)),
      MakeLine(ISOLATE, 1, BROKER, "ISOLATE broker", s(5), s(200)),
      MakeLine(PARTITION, 1, BROKER, "PARTITION broker <-> name server", s(5), s(200), NAME_SERVER),
      MakeLine(CUT_NAME_SERVER, 1, NAME_SERVER, "CUT_NAME_SERVER", s(5), s(150)),
      MakeLine(KILL, 1, NAME_SERVER, "KILL name server"),
      MakeLine(KILL, 1, CONSUMER, "KILL consumer"),
      MakeLine(KILL, 0.5, PRODUCER, "KILL producer"),
      MakeLine(SLOW_DISK, 1, BROKER, "SLOW_DISK broker"),
      MakeLine(DISK_ERRORS, 0.5, BROKER, "DISK_ERRORS broker"),
      MakeLine(CLOCK_JUMP, 0.5, BROKER, "CLOCK_JUMP broker"),
      MakeLine(CLOCK_DRIFT, 0.3, BROKER, "CLOCK_DRIFT broker", s(10), s(120)),
      MakeLine(RESET_CONNECTIONS, 0.5, BROKER, "RESET_CONNECTIONS broker"),
      MakeLine(PARTITION_ONE_WAY, 0.5, BROKER, "PARTITION_ONE_WAY broker -> any"),
      MakeLine(CLOG, 0.5, BROKER, "CLOG broker <-> any"),
      // The broker reports a full disk to the producer; read errors are left out (a commit log
      // read failing during recovery is outside what SYNC_FLUSH promises).
      MakeLine(DISK_FULL, 0.3, BROKER, "DISK_FULL broker"),
      MakeLine(POWER_CYCLE_AFTER_SEND, 2, MASTER, "POWER_CYCLE_AFTER_SEND master"),
      MakeLine(SLOW_DISK_THEN_POWER_LOSS, 0.5, BROKER, "SLOW_DISK_THEN_POWER_LOSS broker", s(5),
           s(30)),
  };
}

scenario::NemesisKind MixEntryToProto(const MixEntry& e) {
  scenario::NemesisKind k;
  k.set_kind(e.kind);
  k.set_weight(e.weight);
  for (const auto& t : e.targets) *k.add_targets() = t;
  if (e.peer) *k.mutable_peer() = *e.peer;
  auto text = [](Duration d) {
    return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()) + "ms";
  };
  if (e.min_duration) k.set_min_duration(text(*e.min_duration));
  if (e.max_duration) k.set_max_duration(text(*e.max_duration));
  return k;
}

Status ValidateNemesis(const ClusterMap& map, const scenario::Nemesis& config) {
  auto mean = ParseFaultDuration(config.mean_interval(), seconds(30), "nemesis mean_interval");
  if (!mean.ok()) return mean.status();
  if (*mean <= Duration::zero()) {
    return InvalidArgumentError("nemesis mean_interval must be positive");
  }
  auto min = ParseFaultDuration(config.min_duration(), seconds(1), "nemesis min_duration");
  if (!min.ok()) return min.status();
  auto max = ParseFaultDuration(config.max_duration(), seconds(30), "nemesis max_duration");
  if (!max.ok()) return max.status();
  if (*min > *max) return InvalidArgumentError("nemesis min_duration is above max_duration");
  if (config.max_concurrent() < 0) {
    return InvalidArgumentError("nemesis max_concurrent must be positive (0: default 3)");
  }
  for (int i = 0; i < config.kinds_size(); ++i) {
    const scenario::NemesisKind& k = config.kinds(i);
    const std::string where = "nemesis kinds[" + std::to_string(i) + "]";
    if (!scenario::FaultKind_IsValid(k.kind()) || k.kind() == scenario::FAULT_KIND_UNSPECIFIED) {
      return InvalidArgumentError(where + ": unknown fault kind " + std::to_string(k.kind()));
    }
    const std::string name = where + " (" + KindName(k.kind()) + ")";
    if (k.weight() < 0) return InvalidArgumentError(name + ": negative weight");
    auto kmin = ParseFaultDuration(k.min_duration(), *min, name + " min_duration");
    if (!kmin.ok()) return kmin.status();
    auto kmax = ParseFaultDuration(k.max_duration(), *max, name + " max_duration");
    if (!kmax.ok()) return kmax.status();
    if (*kmin > *kmax) return InvalidArgumentError(name + ": min_duration is above max_duration");
    for (const auto& t : k.targets()) {
      if (ResolveTargetFor(map, k.kind(), t).empty()) {
        return InvalidArgumentError(name + ": target " + SelectorText(t) +
                                    " matches no process " + KindName(k.kind()) + " can hit");
      }
    }
    if (k.has_peer() && ResolveTarget(map, k.peer()).empty()) {
      return InvalidArgumentError(name + ": peer " + SelectorText(k.peer()) + " matches no process");
    }
    if (k.targets().empty() && NaturalTargets(map, k.kind()).empty()) {
      return InvalidArgumentError(name + ": the cluster has no process " + KindName(k.kind()) +
                                  " can hit");
    }
  }
  return Status::Ok();
}

RandomNemesis::RandomNemesis(sim::World& world, const ClusterMap& map, FaultInjector& injector,
                             const scenario::Nemesis& config, uint64_t seed, MonoTime start,
                             MonoTime stop)
    : world_(world),
      map_(map),
      injector_(injector),
      enabled_(config.enabled()),
      random_(seed),
      start_(start),
      stop_(stop) {
  auto or_default = [](const std::string& text, Duration fallback) {
    auto d = ParseFaultDuration(text, fallback, "");
    return d.ok() ? *d : fallback;
  };
  mean_interval_ = or_default(config.mean_interval(), seconds(30));
  if (mean_interval_ <= Duration::zero()) mean_interval_ = seconds(30);
  min_duration_ = or_default(config.min_duration(), seconds(1));
  max_duration_ = or_default(config.max_duration(), seconds(30));
  if (min_duration_ > max_duration_) std::swap(min_duration_, max_duration_);
  max_concurrent_ = config.max_concurrent() > 0 ? config.max_concurrent() : 3;

  std::vector<MixEntry> entries;
  if (config.kinds().empty()) {
    entries = DefaultNemesisMix();
  } else {
    for (const auto& k : config.kinds()) {
      MixEntry e;
      e.kind = k.kind();
      e.weight = k.weight() == 0 ? 1 : k.weight();
      e.targets.assign(k.targets().begin(), k.targets().end());
      if (k.has_peer()) e.peer = k.peer();
      if (!k.min_duration().empty()) e.min_duration = or_default(k.min_duration(), min_duration_);
      if (!k.max_duration().empty()) e.max_duration = or_default(k.max_duration(), max_duration_);
      e.label = KindName(k.kind());
      entries.push_back(std::move(e));
    }
  }
  for (auto& e : entries) {
    if (e.weight <= 0 || !scenario::FaultKind_IsValid(e.kind) ||
        e.kind == scenario::FAULT_KIND_UNSPECIFIED) {
      continue;
    }
    Line line;
    if (e.targets.empty()) {
      line.targets = NaturalTargets(map_, e.kind);
    } else {
      for (const auto& t : e.targets) {
        for (const ProcessInfo* p : ResolveTargetFor(map_, e.kind, t)) {
          if (std::find(line.targets.begin(), line.targets.end(), p) == line.targets.end()) {
            line.targets.push_back(p);
          }
        }
      }
      // Back to map order, whatever the order of the selectors.
      std::stable_sort(line.targets.begin(), line.targets.end(),
                       [this](const ProcessInfo* a, const ProcessInfo* b) {
                         return a - map_.processes.data() < b - map_.processes.data();
                       });
    }
    if (line.targets.empty()) continue;
    if (e.peer) {
      line.peers = ResolveTarget(map_, *e.peer);
      if (line.peers.empty()) continue;  // e.g. no name server: the line makes no sense
    }
    line.min_duration = e.min_duration.value_or(min_duration_);
    line.max_duration = e.max_duration.value_or(max_duration_);
    if (line.min_duration > line.max_duration) std::swap(line.min_duration, line.max_duration);
    line.entry = std::move(e);
    total_weight_ += line.entry.weight;
    mix_.push_back(std::move(line));
  }
}

RandomNemesis::~RandomNemesis() {
  if (timer_) world_.Cancel(*timer_);
}

void RandomNemesis::Arm() {
  if (!enabled_ || armed_ || mix_.empty()) return;
  armed_ = true;
  ScheduleNext();
}

void RandomNemesis::ScheduleNext() {
  const MonoTime from = std::max(world_.now(), start_);
  const MonoTime at = from + random_.ExponentialDuration(mean_interval_);
  if (at >= stop_) return;
  timer_ = world_.Schedule(at - world_.now(), [this] {
    timer_.reset();
    Tick();
  });
}

void RandomNemesis::Tick() {
  if (injector_.healed() || world_.now() >= stop_) return;
  ++draws_;
  std::erase_if(open_, [this](uint64_t id) { return !injector_.is_open(id); });
  if (static_cast<int>(open_.size()) >= max_concurrent_) {
    ++skipped_busy_;
  } else if (!InjectOne()) {
    ++missed_;
  }
  ScheduleNext();
}

bool RandomNemesis::InjectOne() {
  // A draw that hits nothing (its target already down, ...) is drawn again, a few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    double x = random_.UniformDouble() * total_weight_;
    size_t i = 0;
    while (i + 1 < mix_.size() && x >= mix_[i].entry.weight) {
      x -= mix_[i].entry.weight;
      ++i;
    }
    const Line& line = mix_[i];
    FaultRequest r;
    r.kind = line.entry.kind;
    r.targets = {line.targets[random_.Below(line.targets.size())]};
    if (!line.peers.empty()) r.peers = {line.peers[random_.Below(line.peers.size())]};
    r.duration = random_.UniformDuration(line.min_duration, line.max_duration);
    r.scripted = false;
    std::optional<uint64_t> id = injector_.Inject(r);
    if (!id) continue;
    windows_.push_back(*id);
    if (injector_.is_open(*id)) open_.push_back(*id);
    return true;
  }
  return false;
}

}  // namespace rmqsim::faults
