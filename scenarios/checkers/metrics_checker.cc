// The metrics checker: figures per fault window that hit a broker (how long its group could not
// acknowledge sends, how long each name server kept routing to it, how long consumers went
// without reading from it, how many duplicates followed), and their aggregates. Always PASS.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <set>
#include <map>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

class MetricsChecker : public Checker {
 public:
  std::string name() const override { return "metrics"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

// Max and mean of a series of durations, in seconds.
struct Series {
  std::vector<double> values;
  void Add(int64_t ns) { values.push_back(static_cast<double>(ns) / 1e9); }
  void Export(CheckResult& r, const std::string& name) const {
    if (values.empty()) return;
    double sum = 0, max = 0;
    for (double v : values) {
      sum += v;
      max = std::max(max, v);
    }
    r.metrics[name + ".max"] = max;
    r.metrics[name + ".mean"] = sum / static_cast<double>(values.size());
  }
};

// The SEND_OK messages of one broker group, by invocation time, with the earliest completion
// among those invoked at or after each.
struct GroupSends {
  std::vector<int64_t> invoke;
  std::vector<int64_t> min_complete_from;  // min complete_ns over [i, end)

  std::optional<int64_t> FirstAckAfter(int64_t start) const {
    auto it = std::lower_bound(invoke.begin(), invoke.end(), start);
    if (it == invoke.end()) return std::nullopt;
    return min_complete_from[it - invoke.begin()];
  }
};

// The first time after `t` in a sorted series.
std::optional<int64_t> FirstAfter(const std::vector<int64_t>& times, int64_t t) {
  auto it = std::upper_bound(times.begin(), times.end(), t);
  if (it == times.end()) return std::nullopt;
  return *it;
}

CheckResult MetricsChecker::Check(const history::History& h, const scenario::Checks&) const {
  CheckResult r;
  r.checker = name();
  const ClusterView view(h.config());

  // SEND_OK by group.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> acks;
  for (const history::Send& s : h.sends()) {
    if (IsSendOk(s)) acks[s.broker()].emplace_back(s.invoke_ns(), s.complete_ns());
  }
  std::map<std::string, GroupSends> sends;
  for (auto& [group, v] : acks) {
    std::sort(v.begin(), v.end());
    GroupSends& gs = sends[group];
    gs.min_complete_from.resize(v.size());
    int64_t min = INT64_MAX;
    for (size_t i = v.size(); i-- > 0;) {
      min = std::min(min, v[i].second);
      gs.min_complete_from[i] = min;
    }
    for (const auto& [invoke, complete] : v) gs.invoke.push_back(invoke);
  }

  // Deliveries to real consumers by group read from, and duplicate deliveries by time.
  std::vector<const history::Delivery*> deliveries;
  for (const history::Delivery& d : h.deliveries()) {
    if (!IsDlqRecord(d)) deliveries.push_back(&d);
  }
  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const auto* a, const auto* b) { return a->time_ns() < b->time_ns(); });
  std::map<std::string, bool> broadcasting;
  for (const auto& g : h.config().consumer_groups()) {
    broadcasting[g.group()] = g.model() == "BROADCASTING";
  }
  std::map<std::string, std::vector<int64_t>> reads;
  std::vector<int64_t> duplicates;
  std::map<std::string, uint32_t> consumed;  // scope + key -> consumptions
  for (const history::Delivery* d : deliveries) {
    reads[d->broker()].push_back(d->time_ns());
    if (!d->consumed()) continue;
    std::string scope =
        d->group() + '\x1f' + (broadcasting[d->group()] ? d->consumer() : "") + '\x1f' + d->key();
    if (++consumed[scope] > 1) duplicates.push_back(d->time_ns());
  }

  // Route samples by name server, in time order.
  std::map<std::string, std::vector<const history::RouteSample*>> routes;
  for (const history::RouteSample& rs : h.routes()) routes[rs.name_server()].push_back(&rs);
  for (auto& [ns, v] : routes) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto* a, const auto* b) { return a->time_ns() < b->time_ns(); });
  }
  auto listed = [&](const history::RouteSample* rs,
                    const std::string& process) -> const history::RouteEntry* {
    if (rs == nullptr || !rs->up()) return nullptr;
    for (const history::RouteEntry& e : rs->brokers()) {
      if (view.ProcessOf(e) == process) return &e;
    }
    return nullptr;
  };

  std::vector<const history::FaultWindow*> faults;
  for (const history::FaultWindow& f : h.faults()) faults.push_back(&f);
  std::stable_sort(faults.begin(), faults.end(),
                   [](const auto* a, const auto* b) { return a->start_ns() < b->start_ns(); });
  const int64_t end = h.config().end_ns();

  Series unavailable, purge, resume, dups_per_fault;
  uint64_t broker_faults = 0, never_acked = 0, never_read = 0, dups_total = 0;
  for (size_t i = 0; i < faults.size(); ++i) {
    const history::FaultWindow& f = *faults[i];
    std::vector<std::string> hit;  // broker processes
    std::set<std::string> groups(f.groups().begin(), f.groups().end());
    for (const std::string& p : f.processes()) {
      if (const BrokerProcess* b = view.ByProcess(p)) {
        hit.push_back(p);
        groups.insert(b->group);
      }
    }
    if (hit.empty() && !FaultHasRole(f, "master") && !FaultHasRole(f, "slave")) continue;
    if (groups.empty()) continue;
    ++broker_faults;
    const int64_t start = f.start_ns();
    int64_t next = end > start ? end : INT64_MAX;
    for (size_t j = i + 1; j < faults.size(); ++j) {
      if (faults[j]->start_ns() > start) {
        next = faults[j]->start_ns();
        break;
      }
    }

    std::string line = FormatTime(start) + " " + f.kind() + " " + f.target();
    const size_t first_row = r.table.size();
    auto seconds_cell = [](int64_t ns) { return std::to_string(static_cast<double>(ns) / 1e9); };
    for (const std::string& g : groups) {
      line += "; " + g + ": ";
      std::map<std::string, std::string> row = {{"fault", std::to_string(f.id())},
                                                {"start_s", seconds_cell(start)},
                                                {"kind", f.kind()},
                                                {"target", f.target()},
                                                {"group", g},
                                                {"send_unavailable_s", ""},
                                                {"read_resume_s", ""},
                                                {"route_purge_s", ""}};
      auto ack = sends.contains(g) ? sends[g].FirstAckAfter(start) : std::nullopt;
      if (ack) {
        unavailable.Add(*ack - start);
        line += "SEND_OK after " + FormatSeconds(*ack - start);
        row["send_unavailable_s"] = seconds_cell(*ack - start);
      } else {
        ++never_acked;
        line += "no SEND_OK until the end";
      }
      auto read = FirstAfter(reads[g], start);
      if (read) {
        resume.Add(*read - start);
        line += ", read again after " + FormatSeconds(*read - start);
        row["read_resume_s"] = seconds_cell(*read - start);
      } else {
        ++never_read;
        line += ", not read again";
      }
      r.table.push_back(std::move(row));
    }
    for (const std::string& p : hit) {
      std::vector<std::string> purges;
      for (const auto& [ns, samples] : routes) {
        const history::RouteSample* at = nullptr;
        for (const auto* rs : samples) {
          if (rs->time_ns() <= start) at = rs;
        }
        if (listed(at, p) == nullptr) continue;  // not routed when the fault began
        // Until the name server purges it, goes down, or hears from it again.
        std::string what = " kept it";
        for (const auto* rs : samples) {
          if (rs->time_ns() <= start) continue;
          if (!rs->up()) {
            what = " went down at " + FormatTime(rs->time_ns());
            break;
          }
          const history::RouteEntry* e = listed(rs, p);
          if (e == nullptr) {
            purge.Add(rs->time_ns() - start);
            what = " purged it after " + FormatSeconds(rs->time_ns() - start);
            // The row of the broker's group: the first name server's purge.
            const BrokerProcess* b = view.ByProcess(p);
            for (size_t k = first_row; b != nullptr && k < r.table.size(); ++k) {
              auto& cell = r.table[k]["route_purge_s"];
              if (r.table[k]["group"] == b->group &&
                  (cell.empty() || std::stod(cell) > static_cast<double>(rs->time_ns() - start) / 1e9)) {
                cell = seconds_cell(rs->time_ns() - start);
              }
            }
            break;
          }
          if (e->last_update_ns() > start) break;  // registered again: never purged
        }
        purges.push_back(ns + what);
      }
      if (!purges.empty()) {
        line += "; route to " + p + ": ";
        for (size_t k = 0; k < purges.size(); ++k) line += (k > 0 ? ", " : "") + purges[k];
      }
    }
    const auto first = std::lower_bound(duplicates.begin(), duplicates.end(), start);
    const auto last = std::lower_bound(duplicates.begin(), duplicates.end(), next);
    const int64_t dups = last - first;
    dups_total += dups;
    dups_per_fault.values.push_back(static_cast<double>(dups));
    for (size_t k = first_row; k < r.table.size(); ++k) {
      r.table[k]["duplicates_before_next_fault"] = std::to_string(dups);
    }
    line += "; " + std::to_string(dups) + " duplicates before the next fault";
    AddNote(r, line, 200);
  }

  r.metrics["broker_faults"] = static_cast<double>(broker_faults);
  r.metrics["send_never_acked"] = static_cast<double>(never_acked);
  r.metrics["never_read_again"] = static_cast<double>(never_read);
  r.metrics["duplicates_after_faults"] = static_cast<double>(dups_total);
  r.metrics["duplicates_total"] = static_cast<double>(duplicates.size());
  unavailable.Export(r, "send_unavailable_s");
  purge.Export(r, "route_purge_s");
  resume.Export(r, "consume_resume_s");
  dups_per_fault.Export(r, "duplicates_per_fault");
  auto max_of = [&](const std::string& name) {
    auto it = r.metrics.find(name + ".max");
    return it == r.metrics.end() ? std::string("-")
                                 : FormatSeconds(static_cast<int64_t>(it->second * 1e9));
  };
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64
                " faults hit brokers: max send unavailability %s, max route purge %s, "
                "max consume gap %s, %" PRIu64 " duplicates after them",
                broker_faults, max_of("send_unavailable_s").c_str(),
                max_of("route_purge_s").c_str(), max_of("consume_resume_s").c_str(), dups_total);
  r.headline = buf;
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeMetricsChecker() {
  return std::make_unique<MetricsChecker>();
}

}  // namespace rmqsim::checkers
