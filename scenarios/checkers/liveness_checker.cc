// The liveness checker: once the faults have healed (the quiet phase, [chaos_end, end]) the
// cluster makes progress: every producer gets SEND_OK answers, every broker group stores
// acknowledged messages, consumers catch up, and every name server lists every master.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

class LivenessChecker : public Checker {
 public:
  std::string name() const override { return "liveness"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

struct Outcomes {
  uint64_t invoked = 0;
  uint64_t send_ok = 0;
  std::map<std::string, uint64_t> other;  // outcome/status -> count

  std::string Other() const {
    std::string s;
    for (const auto& [what, n] : other) {
      s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    }
    return s.empty() ? "" : " (" + s + ")";
  }
};

CheckResult LivenessChecker::Check(const history::History& h,
                                   const scenario::Checks& settings) const {
  CheckResult r;
  r.checker = name();
  const history::RunConfig& config = h.config();
  if (config.end_ns() <= 0 || config.end_ns() <= config.chaos_end_ns()) {
    r.verdict = Verdict::kSkipped;
    r.headline = "no quiet phase in the run configuration";
    return r;
  }
  const int64_t quiet_start = config.chaos_end_ns();
  const int64_t quiet_end = config.end_ns();
  const std::string phase =
      "the quiet phase [" + FormatTime(quiet_start) + ", " + FormatTime(quiet_end) + "]";
  const int min_ok = std::max(1, settings.liveness().min_send_ok_per_producer());
  const ClusterView view(config);

  // Producers and groups: as configured, plus any that sent.
  std::vector<std::string> producers(config.producers().begin(), config.producers().end());
  std::vector<std::string> groups;
  for (const auto& g : config.groups()) groups.push_back(g.name());
  std::map<std::string, Outcomes> by_producer;
  std::map<std::string, uint64_t> ok_by_group;
  for (const history::Send& s : h.sends()) {
    if (std::find(producers.begin(), producers.end(), s.producer()) == producers.end()) {
      producers.push_back(s.producer());
    }
    if (s.invoke_ns() < quiet_start || s.invoke_ns() > quiet_end) continue;
    Outcomes& o = by_producer[s.producer()];
    ++o.invoked;
    if (IsSendOk(s)) {
      ++o.send_ok;
      ++ok_by_group[s.broker()];
    } else {
      ++o.other[OutcomeName(s)];
    }
  }

  if (groups.empty()) {  // not configured: the groups that answered at all
    std::set<std::string> seen;
    for (const history::Send& s : h.sends()) {
      if (!s.broker().empty()) seen.insert(s.broker());
    }
    groups.assign(seen.begin(), seen.end());
  }

  uint64_t quiet_ok = 0, producers_short = 0, groups_idle = 0, lagging = 0, unrouted = 0;
  for (const std::string& p : producers) {
    const Outcomes& o = by_producer[p];
    quiet_ok += o.send_ok;
    if (o.send_ok >= static_cast<uint64_t>(min_ok)) continue;
    ++producers_short;
    AddViolation(r, "producer " + p + " got " + std::to_string(o.send_ok) + " SEND_OK among " +
                        std::to_string(o.invoked) + " sends invoked in " + phase + o.Other() +
                        " (expected at least " + std::to_string(min_ok) + ")");
  }
  for (const std::string& g : groups) {
    if (ok_by_group[g] > 0) continue;
    ++groups_idle;
    AddViolation(r, "broker group " + g + " stored no SEND_OK message invoked in " + phase +
                        " (expected at least 1)");
  }
  int64_t total_lag = 0;
  for (const history::ConsumerLag& lag : h.lags()) {
    const int64_t behind = lag.max_offset() - lag.committed_offset();
    if (behind <= 0) continue;
    ++lagging;
    total_lag += behind;
    AddViolation(r, "consumer group " + lag.group() + " has lag " + std::to_string(behind) +
                        " on " + lag.broker() + " queue " + std::to_string(lag.queue()) +
                        " at the end (committed offset " + std::to_string(lag.committed_offset()) +
                        " of max " + std::to_string(lag.max_offset()) + "; expected 0)");
  }

  // The last sample of every name server.
  std::map<std::string, const history::RouteSample*> last;
  for (const history::RouteSample& rs : h.routes()) {
    const history::RouteSample*& l = last[rs.name_server()];
    if (l == nullptr || rs.time_ns() >= l->time_ns()) l = &rs;
  }
  for (const std::string& ns : config.name_servers()) {
    if (!last.contains(ns)) AddNote(r, "name server " + ns + " has no route sample");
  }
  for (const auto& [ns, rs] : last) {
    if (!rs->up()) {
      AddNote(r, "name server " + ns + " is down at the end (" + FormatTime(rs->time_ns()) + ")");
      continue;
    }
    for (const std::string& g : groups) {
      bool listed = false;
      for (const history::RouteEntry& e : rs->brokers()) {
        if (e.broker_name() == g && e.broker_id() == 0) listed = true;
      }
      if (listed) continue;
      ++unrouted;
      AddViolation(r, "name server " + ns + " does not list the master " + view.MasterOf(g) +
                          " of broker group " + g + " in its last sample (" +
                          FormatTime(rs->time_ns()) + "; expected every master listed)");
    }
  }

  r.metrics["quiet_send_ok"] = static_cast<double>(quiet_ok);
  r.metrics["producers_without_send_ok"] = static_cast<double>(producers_short);
  r.metrics["groups_without_send_ok"] = static_cast<double>(groups_idle);
  r.metrics["lagging_queues"] = static_cast<double>(lagging);
  r.metrics["total_lag"] = static_cast<double>(total_lag);
  r.metrics["masters_unrouted"] = static_cast<double>(unrouted);
  r.metrics["quiet_s"] = static_cast<double>(quiet_end - quiet_start) / 1e9;

  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64 " SEND_OK in the quiet phase; %" PRIu64 " producers and %" PRIu64
                " groups without SEND_OK, %" PRIu64 " queues lagging, %" PRIu64
                " masters missing from routes",
                quiet_ok, producers_short, groups_idle, lagging, unrouted);
  r.headline = buf;
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeLivenessChecker() {
  return std::make_unique<LivenessChecker>();
}

}  // namespace rmqsim::checkers
