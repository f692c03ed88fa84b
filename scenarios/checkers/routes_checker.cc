// The routes checker: name servers purge a broker neither early nor late, a closed connection
// purges at once, and every broker is listed again once the faults have healed.
//
// It reads the route samples (each name server's broker live table, recorded when it changed,
// checked every second), the fault windows and the broker samples.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <span>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// ------------------------------------------------------------------------------ purge causes

// Who a fault must hit for a purge rule to apply.
enum class Hits : uint8_t {
  kBroker,      // the purged broker's process
  kLink,        // the broker and the name server (target on one side, peers on the other, or
                // no peers: every peer)
  kNameServer,  // the name server's process
};

// A broker may leave a name server's table before its registration expired when one of these
// faults hit, at or after its last registration (minus the tolerance) and before the purge.
struct PurgeRule {
  std::string_view name;
  std::span<const std::string_view> kinds;
  Hits hits;
  std::string_view why;
};

// The broker process ended: a kill resets its connections, a stop unregisters and closes them,
// and a machine that lost power answers the name server's next bytes with a reset once it boots.
constexpr std::string_view kProcessEnded[] = {
    "KILL",    "STOP",         "POWER_CYCLE", "SLOW_DISK_THEN_POWER_LOSS", "POWER_CYCLE_AFTER_SEND",
    "DESTROY", "DESTROY_GROUP"};
constexpr std::string_view kConnectionReset[] = {"RESET_CONNECTIONS"};
// Expiry is measured on the name server's wall clock (as 4.x does): a forward jump expires live
// brokers early, a backward jump keeps dead ones late.
constexpr std::string_view kClockJump[] = {"CLOCK_JUMP"};

constexpr PurgeRule kEarlyPurgeRules[] = {
    {"connection_close", kProcessEnded, Hits::kBroker, "the broker process ended"},
    {"connection_close", kConnectionReset, Hits::kLink,
     "its connections to the name server were reset"},
    {"clock_jump", kClockJump, Hits::kNameServer, "the name server's wall clock jumped"},
    // Not a purge: the name server restarted between two samples (its table starts empty).
    {"name_server_restart", kProcessEnded, Hits::kNameServer, "the name server restarted"},
};

// Faults that stall the bytes between a broker and a name server (a kill's reset among them).
constexpr std::string_view kLinkKinds[] = {"PARTITION", "PARTITION_ONE_WAY", "ISOLATE",
                                           "CLOG",      "CUT_NAME_SERVER",   "DROP_REGISTRATIONS"};

bool KindIn(std::string_view kind, std::span<const std::string_view> kinds) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

bool HasPeer(const history::FaultWindow& f, std::string_view process) {
  return std::find(f.peers().begin(), f.peers().end(), process) != f.peers().end();
}

// A fault between a and b: one of them hit, the other among the peers (no peers: everyone).
bool Between(const history::FaultWindow& f, std::string_view a, std::string_view b) {
  return (FaultHitProcess(f, a) && (f.peers().empty() || HasPeer(f, b))) ||
         (FaultHitProcess(f, b) && (f.peers().empty() || HasPeer(f, a)));
}

bool RuleHits(const PurgeRule& rule, const history::FaultWindow& f, std::string_view broker,
              std::string_view name_server) {
  if (!KindIn(f.kind(), rule.kinds)) return false;
  switch (rule.hits) {
    case Hits::kBroker:
      return FaultHitProcess(f, broker);
    case Hits::kLink:
      return Between(f, broker, name_server);
    case Hits::kNameServer:
      return FaultHitProcess(f, name_server);
  }
  return false;
}

// ------------------------------------------------------------------------------ timelines

struct Sample {
  int64_t time = 0;
  bool up = false;
  std::map<std::string, const history::RouteEntry*> table;  // by broker process
};

// One name server's samples in time order.
struct Timeline {
  std::string name_server;
  std::vector<Sample> samples;

  // The latest sample at or before t.
  const Sample* At(int64_t t) const {
    auto it = std::upper_bound(samples.begin(), samples.end(), t,
                               [](int64_t v, const Sample& s) { return v < s.time; });
    return it == samples.begin() ? nullptr : &*std::prev(it);
  }
  bool DownIn(int64_t from, int64_t to) const {
    for (const Sample& s : samples) {
      if (s.time > from && s.time <= to && !s.up) return true;
    }
    return false;
  }
  // Start of the final run of up samples; nullopt when down at the end.
  std::optional<int64_t> UpSince() const {
    if (samples.empty() || !samples.back().up) return std::nullopt;
    int64_t since = samples.back().time;
    for (auto it = samples.rbegin(); it != samples.rend() && it->up; ++it) since = it->time;
    return since;
  }
};

const history::RouteEntry* Listed(const Sample* s, const std::string& broker) {
  if (s == nullptr || !s->up) return nullptr;
  auto it = s->table.find(broker);
  return it == s->table.end() ? nullptr : it->second;
}

std::string Describe(const ClusterView& view, const std::string& process) {
  const BrokerProcess* b = view.ByProcess(process);
  return b == nullptr || b->address.empty() ? process : process + " (" + b->address + ")";
}

// One run of the routes checker over a history: the settings, the timelines, the result and its
// counters.
class RouteCheckRun {
 public:
  RouteCheckRun(const history::History& history, const scenario::RouteCheck& rc,
                CheckResult& result)
      : h_(history), view_(history.config()), r_(result) {
    const history::RunConfig& config = h_.config();
    std::string error;
    auto setting = [&](const std::string& text, int64_t configured, int64_t fallback) {
      return DurationSetting(text, configured > 0 ? configured : fallback, &error);
    };
    expiry_ = setting(rc.expiry(), config.route_expiry_ns(), 120 * kSecond);
    scan_ = setting(rc.scan(), config.route_scan_ns(), 10 * kSecond);
    reg_ = setting(rc.register_interval(), config.register_interval_ns(), 30 * kSecond);
    tol_ = setting(rc.tolerance(), 0, 3 * kSecond);
    if (!error.empty()) AddNote(r_, "settings: " + error + " (default used)");

    for (const std::string& n : config.name_servers()) timelines_[n].name_server = n;
    for (const history::RouteSample& rs : h_.routes()) {
      Timeline& tl = timelines_[rs.name_server()];
      tl.name_server = rs.name_server();
      Sample s{rs.time_ns(), rs.up(), {}};
      if (rs.up()) {
        for (const history::RouteEntry& e : rs.brokers()) s.table[view_.ProcessOf(e)] = &e;
      }
      tl.samples.push_back(std::move(s));
    }
    last_time_ = config.end_ns();
    for (auto& [n, tl] : timelines_) {
      std::stable_sort(tl.samples.begin(), tl.samples.end(),
                       [](const Sample& a, const Sample& b) { return a.time < b.time; });
      if (!tl.samples.empty()) last_time_ = std::max(last_time_, tl.samples.back().time);
    }
  }

  // Runs every rule and fills the result's metrics and headline.
  void Run();

 private:
  // A broker sample shows the process down in [from, to].
  bool BrokerDownIn(const std::string& process, int64_t from, int64_t to) const {
    for (const history::BrokerSample& b : h_.brokers()) {
      if (b.broker() == process && !b.up() && b.time_ns() >= from && b.time_ns() <= to) {
        return true;
      }
    }
    return false;
  }

  // Start of a broker's final up run from its broker samples (none: up all along); nullopt when
  // it is down at the end.
  std::optional<int64_t> BrokerUpSince(const std::string& process) const {
    std::vector<const history::BrokerSample*> own;
    for (const history::BrokerSample& b : h_.brokers()) {
      if (b.broker() == process) own.push_back(&b);
    }
    std::stable_sort(own.begin(), own.end(),
                     [](const auto* a, const auto* b) { return a->time_ns() < b->time_ns(); });
    if (own.empty()) return int64_t{0};
    if (!own.back()->up()) return std::nullopt;
    int64_t since = own.back()->time_ns();
    for (auto it = own.rbegin(); it != own.rend() && (*it)->up(); ++it) since = (*it)->time_ns();
    return since;
  }

  void CheckPurges(const Timeline& tl);
  void CheckStaleness(const Timeline& tl);
  void CheckClosePurges();
  void CheckReturn();

  const history::History& h_;
  const ClusterView view_;
  int64_t expiry_ = 0;
  int64_t scan_ = 0;
  int64_t reg_ = 0;
  int64_t tol_ = 0;
  std::map<std::string, Timeline> timelines_;  // by name server
  int64_t last_time_ = 0;                      // end of the run (or the last sample)
  CheckResult& r_;

  uint64_t by_expiry_ = 0, by_close_ = 0, by_clock_ = 0, early_ = 0, stale_ = 0, late_close_ = 0;
  uint64_t missing_ = 0;
  int64_t max_staleness_ = 0, max_close_purge_ = 0, max_return_ = 0;
};

// (a) Never purged early: an entry in one up sample, gone from the next up sample.
void RouteCheckRun::CheckPurges(const Timeline& tl) {
  const std::string& ns = tl.name_server;
  for (size_t i = 1; i < tl.samples.size(); ++i) {
    const Sample& prev = tl.samples[i - 1];
    const Sample& cur = tl.samples[i];
    if (!prev.up || !cur.up) continue;
    for (const auto& [broker, e] : prev.table) {
      if (cur.table.contains(broker)) continue;
      const int64_t t = cur.time;
      const int64_t u = e->last_update_ns();
      if (t - u >= expiry_ - tol_) {
        ++by_expiry_;
        continue;
      }
      const PurgeRule* why = nullptr;
      const history::FaultWindow* fault = nullptr;
      for (const PurgeRule& rule : kEarlyPurgeRules) {
        for (const history::FaultWindow& f : h_.faults()) {
          if (f.start_ns() >= u - tol_ && f.start_ns() <= t && RuleHits(rule, f, broker, ns)) {
            why = &rule;
            fault = &f;
            break;
          }
        }
        if (why != nullptr) break;
      }
      if (why != nullptr && why->name == "name_server_restart") continue;
      if (why != nullptr && why->name == "clock_jump") {
        ++by_clock_;
        AddNote(r_, "name server " + ns + " purged " + Describe(view_, broker) + " at " +
                        FormatTime(t) + ", " + FormatSeconds(t - u) +
                        " after its last registration: " + std::string(why->why) + " at " +
                        FormatTime(fault->start_ns()));
      } else if (why != nullptr || BrokerDownIn(broker, u - tol_, t + tol_)) {
        ++by_close_;
      } else {
        ++early_;
        AddViolation(r_, "name server " + ns + " purged live broker " + Describe(view_, broker) +
                             " at " + FormatTime(t) + " (last registration " + FormatTime(u) +
                             ", " + FormatSeconds(t - u) + " earlier; expected no purge before " +
                             FormatSeconds(expiry_) + " without a fault closing its connection)");
      }
    }
  }
}

// (b) Purged in time: how long each registration stayed listed.
void RouteCheckRun::CheckStaleness(const Timeline& tl) {
  const std::string& ns = tl.name_server;
  struct Listing {
    int64_t last_update;
    int64_t first_seen;
  };
  auto close = [&](const std::string& broker, const Listing& l, int64_t last_seen) {
    last_seen = std::max(last_seen, l.first_seen);
    const int64_t staleness = last_seen - l.last_update;
    max_staleness_ = std::max(max_staleness_, staleness);
    if (staleness <= expiry_ + scan_ + tol_) return;
    for (const history::FaultWindow& f : h_.faults()) {
      if (f.kind() == "CLOCK_JUMP" && FaultHitProcess(f, ns) &&
          f.start_ns() >= l.last_update - tol_ && f.start_ns() <= last_seen) {
        AddNote(r_, "name server " + ns + " listed " + Describe(view_, broker) + " until " +
                        FormatTime(last_seen) + ", " + FormatSeconds(staleness) +
                        " after its last registration: its wall clock jumped at " +
                        FormatTime(f.start_ns()));
        return;
      }
    }
    ++stale_;
    AddViolation(
        r_, "stale route: name server " + ns + " still listed " + Describe(view_, broker) + " at " +
                FormatTime(last_seen) + " (last registration " + FormatTime(l.last_update) + ", " +
                FormatSeconds(staleness) + " earlier; expected a purge within " +
                FormatSeconds(expiry_ + scan_ + tol_) + ": expiry " + FormatSeconds(expiry_) +
                " + scan " + FormatSeconds(scan_) + " + tolerance " + FormatSeconds(tol_) + ")");
  };
  std::map<std::string, Listing> listed;  // by broker: the registration listed now
  for (const Sample& s : tl.samples) {
    for (auto it = listed.begin(); it != listed.end();) {
      const history::RouteEntry* now = Listed(&s, it->first);
      if (now != nullptr && now->last_update_ns() == it->second.last_update) {
        ++it;
        continue;
      }
      close(it->first, it->second, s.time - kRouteSamplePeriodNs);
      it = listed.erase(it);
    }
    if (!s.up) continue;
    for (const auto& [broker, e] : s.table) {
      if (!listed.contains(broker)) listed[broker] = {e->last_update_ns(), s.time};
    }
  }
  for (const auto& [broker, l] : listed) close(broker, l, last_time_);
}

// (c) A kill or a graceful stop closes the broker's connections: purged at once.
void RouteCheckRun::CheckClosePurges() {
  for (const history::FaultWindow& f : h_.faults()) {
    if (f.kind() != "KILL" && f.kind() != "STOP") continue;
    const int64_t k = f.start_ns();
    for (const std::string& broker : f.processes()) {
      if (view_.ByProcess(broker) == nullptr && !FaultHasRole(f, "master") &&
          !FaultHasRole(f, "slave")) {
        continue;
      }
      for (const auto& [ns, tl] : timelines_) {
        const history::RouteEntry* e = Listed(tl.At(k), broker);
        if (e == nullptr || e->last_update_ns() > k) continue;
        // The reset (or FIN) stalls while a link fault separates them.
        int64_t release = k;
        for (bool moved = true; moved;) {
          moved = false;
          for (const history::FaultWindow& g : h_.faults()) {
            if (KindIn(g.kind(), kLinkKinds) && Between(g, broker, ns) && g.start_ns() <= release &&
                g.end_ns() > release) {
              release = g.end_ns();
              moved = true;
            }
          }
        }
        const int64_t deadline = release + tol_;
        const int64_t look = deadline + kRouteSamplePeriodNs;
        if (look > last_time_ || tl.DownIn(k, look)) continue;
        const history::RouteEntry* still = Listed(tl.At(look), broker);
        if (still != nullptr && still->last_update_ns() <= k) {
          ++late_close_;
          AddViolation(r_, "name server " + ns + " still listed " + Describe(view_, broker) +
                               " at " + FormatTime(look) + ", " + FormatSeconds(look - k) +
                               " after its " + f.kind() + " at " + FormatTime(k) +
                               " (last registration " + FormatTime(still->last_update_ns()) +
                               "; expected a purge within " + FormatSeconds(deadline - k) +
                               " once its connection closed)");
          continue;
        }
        for (const Sample& s : tl.samples) {
          if (s.time < k) continue;
          const history::RouteEntry* now = Listed(&s, broker);
          if (now == nullptr || now->last_update_ns() > k) {
            max_close_purge_ = std::max(max_close_purge_, s.time - k);
            break;
          }
        }
      }
    }
  }
}

// (d) Once the faults have healed, every running broker is listed by every running name server
// within a registration interval.
void RouteCheckRun::CheckReturn() {
  const history::RunConfig& config = h_.config();
  if (config.chaos_end_ns() <= 0) return;
  int64_t healed = config.chaos_end_ns();
  for (const history::FaultWindow& f : h_.faults()) healed = std::max(healed, f.end_ns());
  uint64_t unchecked = 0;
  for (const auto& [ns, tl] : timelines_) {
    std::optional<int64_t> ns_up = tl.UpSince();
    if (!ns_up) {
      AddNote(r_, "name server " + ns + " is down at the end: routes not checked after healing");
      continue;
    }
    for (const BrokerProcess& b : view_.brokers()) {
      std::optional<int64_t> b_up = BrokerUpSince(b.process);
      if (!b_up) {
        AddNote(r_, "broker " + b.process + " is down at the end: its routes are not checked");
        continue;
      }
      const int64_t from = std::max({healed, *ns_up, *b_up});
      const int64_t deadline = from + reg_ + tol_;
      if (deadline + kRouteSamplePeriodNs > last_time_) {
        ++unchecked;
        continue;
      }
      if (Listed(tl.At(deadline + kRouteSamplePeriodNs), b.process) == nullptr) {
        ++missing_;
        std::string since = "the faults healed at " + FormatTime(healed);
        if (from > healed) {
          since = (*ns_up == from ? "name server " + ns : "broker " + b.process) + " came up at " +
                  FormatTime(from);
        }
        AddViolation(r_, "name server " + ns + " does not list " + Describe(view_, b.process) +
                             " at " + FormatTime(deadline) + ", " + FormatSeconds(deadline - from) +
                             " after " + since + " (expected within register interval " +
                             FormatSeconds(reg_) + " + tolerance " + FormatSeconds(tol_) + ")");
        continue;
      }
      const Sample* at_from = tl.At(from);
      for (const Sample& s : tl.samples) {
        if (s.time < from && &s != at_from) continue;
        if (Listed(&s, b.process) != nullptr) {
          max_return_ = std::max(max_return_, std::max<int64_t>(0, s.time - from));
          break;
        }
      }
    }
  }
  if (unchecked > 0) {
    AddNote(r_, std::to_string(unchecked) +
                    " (name server, broker) pairs not checked after healing: the run ends before "
                    "register interval + tolerance");
  }
}

void RouteCheckRun::Run() {
  for (const auto& [ns, tl] : timelines_) {
    CheckPurges(tl);
    CheckStaleness(tl);
  }
  CheckClosePurges();
  CheckReturn();

  r_.metrics["purges.expiry"] = static_cast<double>(by_expiry_);
  r_.metrics["purges.connection_close"] = static_cast<double>(by_close_);
  r_.metrics["purges.clock_jump"] = static_cast<double>(by_clock_);
  r_.metrics["purges.early"] = static_cast<double>(early_);
  r_.metrics["stale_routes"] = static_cast<double>(stale_);
  r_.metrics["late_close_purges"] = static_cast<double>(late_close_);
  r_.metrics["missing_after_heal"] = static_cast<double>(missing_);
  r_.metrics["max_staleness_s"] = static_cast<double>(max_staleness_) / 1e9;
  r_.metrics["max_close_purge_s"] = static_cast<double>(max_close_purge_) / 1e9;
  r_.metrics["max_route_return_s"] = static_cast<double>(max_return_) / 1e9;

  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64 " early purges, %" PRIu64 " stale routes, %" PRIu64
                " late close purges, %" PRIu64 " missing after healing; purges: %" PRIu64
                " by expiry, %" PRIu64 " by connection close; max staleness %s",
                early_, stale_, late_close_, missing_, by_expiry_, by_close_,
                FormatSeconds(max_staleness_).c_str());
  r_.headline = buf;
}

class RoutesChecker : public Checker {
 public:
  std::string name() const override { return "routes"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

CheckResult RoutesChecker::Check(const history::History& h,
                                 const scenario::Checks& settings) const {
  CheckResult r;
  r.checker = name();
  if (h.routes_size() == 0) {
    r.verdict = Verdict::kSkipped;
    r.headline = "no route samples in the history";
    return r;
  }
  RouteCheckRun(h, settings.routes(), r).Run();
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeRoutesChecker() {
  return std::make_unique<RoutesChecker>();
}

}  // namespace rmqsim::checkers
