// rmqsim._core: the pybind11 binding of the scenario runner (scenarios/runner) and the simulated
// world. It adds no behaviour: a Run is a ScenarioRun, its faults go through the FaultInjector,
// its tables are the recorded history read field by field (docs/python.md). The pure-Python
// package (python/rmqsim) turns the tables into pandas DataFrames.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/text_format.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault_injector.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/runner/scenario_file.h"
#include "scenarios/runner/scenario_runner.h"
#include "scenarios/runner/swarm.h"
#include "sim/runtime/log.h"
#include "sim/base/planted_bugs.h"
#include "sim/base/time.h"
#include "system/broker/broker.h"
#include "system/namesrv/name_server.h"
#include "system/proxy/rocketmq_proxy.h"

namespace py = pybind11;
namespace pb = google::protobuf;

namespace rmqsim::python {
namespace {

using scenarios::ScenarioRun;

// A Status that is not OK becomes a ValueError (bad input) or a RuntimeError, with its message.
[[noreturn]] void Raise(const Status& st) {
  if (st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kNotFound) {
    throw py::value_error(st.message());
  }
  throw std::runtime_error(st.message());
}

std::string ScenarioText(const scenario::Scenario& s) {
  std::string out;
  pb::TextFormat::PrintToString(s, &out);
  return out;
}

scenario::Scenario ParseText(const std::string& text, const std::string& origin,
                             const std::vector<std::string>& overrides) {
  auto s = scenarios::ParseScenario(text, origin, overrides);
  if (!s.ok()) Raise(s.status());
  return *std::move(s);
}

// Columns of a repeated message field: one list per scalar field, in field order. Repeated
// scalars become lists; nested messages are left out (the callers flatten the ones they need).
py::dict Columns(const pb::Message& parent, const std::string& field) {
  const pb::FieldDescriptor* f = parent.GetDescriptor()->FindFieldByName(field);
  if (f == nullptr || !f->is_repeated() || f->type() != pb::FieldDescriptor::TYPE_MESSAGE) {
    throw py::value_error("no table named '" + field + "'");
  }
  const pb::Reflection* r = parent.GetReflection();
  const int n = r->FieldSize(parent, f);
  const pb::Descriptor* d = f->message_type();
  py::dict out;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* c = d->field(i);
    if (c->type() == pb::FieldDescriptor::TYPE_MESSAGE) continue;
    py::list col(n);
    for (int row = 0; row < n; ++row) {
      const pb::Message& m = r->GetRepeatedMessage(parent, f, row);
      const pb::Reflection* mr = m.GetReflection();
      auto scalar = [&](int index) -> py::object {
        using T = pb::FieldDescriptor;
        switch (c->cpp_type()) {
          case T::CPPTYPE_INT32:
            return py::int_(index < 0 ? mr->GetInt32(m, c) : mr->GetRepeatedInt32(m, c, index));
          case T::CPPTYPE_INT64:
            return py::int_(index < 0 ? mr->GetInt64(m, c) : mr->GetRepeatedInt64(m, c, index));
          case T::CPPTYPE_UINT32:
            return py::int_(index < 0 ? mr->GetUInt32(m, c) : mr->GetRepeatedUInt32(m, c, index));
          case T::CPPTYPE_UINT64:
            return py::int_(index < 0 ? mr->GetUInt64(m, c) : mr->GetRepeatedUInt64(m, c, index));
          case T::CPPTYPE_DOUBLE:
            return py::float_(index < 0 ? mr->GetDouble(m, c) : mr->GetRepeatedDouble(m, c, index));
          case T::CPPTYPE_FLOAT:
            return py::float_(index < 0 ? mr->GetFloat(m, c) : mr->GetRepeatedFloat(m, c, index));
          case T::CPPTYPE_BOOL:
            return py::bool_(index < 0 ? mr->GetBool(m, c) : mr->GetRepeatedBool(m, c, index));
          case T::CPPTYPE_ENUM:
            return py::str(index < 0 ? mr->GetEnum(m, c)->name()
                                     : mr->GetRepeatedEnum(m, c, index)->name());
          case T::CPPTYPE_STRING:
            return py::str(index < 0 ? mr->GetString(m, c) : mr->GetRepeatedString(m, c, index));
          default:
            return py::none();
        }
      };
      if (c->is_repeated()) {
        py::list values;
        for (int k = 0; k < mr->FieldSize(m, c); ++k) values.append(scalar(k));
        col[row] = values;
      } else {
        col[row] = scalar(-1);
      }
    }
    out[py::str(c->name())] = col;
  }
  return out;
}

// Route samples, one row per (sample, broker); a sample with no broker is one row with an
// empty broker_name.
py::dict RouteRows(const history::History& h) {
  py::list time, ns, up, name, id, address, last;
  for (const history::RouteSample& s : h.routes()) {
    auto row = [&](const history::RouteEntry* e) {
      time.append(s.time_ns());
      ns.append(s.name_server());
      up.append(s.up());
      name.append(e ? e->broker_name() : "");
      id.append(e ? e->broker_id() : -1);
      address.append(e ? e->address() : "");
      last.append(e ? e->last_update_ns() : -1);
    };
    if (s.brokers_size() == 0) row(nullptr);
    for (const history::RouteEntry& e : s.brokers()) row(&e);
  }
  py::dict out;
  out["time_ns"] = time;
  out["name_server"] = ns;
  out["up"] = up;
  out["broker_name"] = name;
  out["broker_id"] = id;
  out["address"] = address;
  out["last_update_ns"] = last;
  return out;
}

// Proxy samples, one row each, a column per statistic (docs/proxy.md's names).
py::dict ProxyRows(const history::History& h) {
  std::vector<std::string> names;
  for (const proxy::StatValue& v : proxy::ListStats(proxy::ProxyStats{})) names.push_back(v.name);
  py::list time, px, up, incarnation, at_rest;
  std::map<std::string, py::list> stats;
  for (const std::string& n : names) stats[n] = py::list();
  for (const history::ProxySample& s : h.proxies()) {
    time.append(s.time_ns());
    px.append(s.proxy());
    up.append(s.up());
    incarnation.append(s.incarnation());
    at_rest.append(s.at_rest());
    std::map<std::string, int64_t> values;
    for (const history::ProxyStat& st : s.stats()) values[st.name()] = st.value();
    for (const std::string& n : names) {
      auto it = values.find(n);
      if (it == values.end()) {
        stats[n].append(py::none());
      } else {
        stats[n].append(it->second);
      }
    }
  }
  py::dict out;
  out["time_ns"] = time;
  out["proxy"] = px;
  out["up"] = up;
  out["incarnation"] = incarnation;
  out["at_rest"] = at_rest;
  for (const std::string& n : names) out[py::str(n)] = stats[n];
  return out;
}

py::dict CheckDict(const checkers::CheckResult& c) {
  py::dict d;
  d["checker"] = c.checker;
  d["verdict"] = std::string(checkers::VerdictName(c.verdict));
  d["headline"] = c.headline;
  d["violations"] = c.violations_total;
  py::list lines;
  for (const std::string& v : c.violations) lines.append(v);
  d["violation_lines"] = lines;
  py::dict metrics;
  for (const auto& [k, v] : c.metrics) metrics[py::str(k)] = v;
  d["metrics"] = metrics;
  py::list table;
  for (const auto& row : c.table) {
    py::dict cells;
    for (const auto& [k, v] : row) {
      // Numbers as numbers; an empty cell is None.
      if (v.empty()) {
        cells[py::str(k)] = py::none();
        continue;
      }
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (end != nullptr && *end == '\0') {
        cells[py::str(k)] = x;
      } else {
        cells[py::str(k)] = v;
      }
    }
    table.append(cells);
  }
  d["table"] = table;
  return d;
}

// One live run.
class Run {
 public:
  Run(const std::string& text, const std::string& origin, uint64_t seed, bool buggify,
      std::optional<uint64_t> swarm, std::vector<std::string> planted, bool trace)
      : scenario_(ParseText(text, origin, {})) {
    if (swarm.has_value()) {
      auto v = scenarios::ApplySwarm(scenario_, *swarm);
      if (!v.ok()) Raise(v.status());
      scenario_ = v->scenario;
      drawn_ = v->drawn;
    }
    for (const std::string& b : planted) {
      if (!IsPlantedBug(b)) throw py::value_error("unknown planted bug '" + b + "'");
    }
    options_.seed = seed;
    options_.buggify = buggify;
    options_.planted_bugs = std::move(planted);
    options_.swarm_drawn = drawn_;
    options_.replay_command = "rmqsim run " + origin + " --seed " + std::to_string(seed);
    if (trace) {
      auto lines = trace_;
      options_.trace_listener = [lines](const std::string& line) { lines->push_back(line); };
    }
    // Log lines (sim/runtime/log.h) are few: always kept.
    auto logs = logs_;
    options_.event_listener = [logs](const StampedTraceEvent& e) {
      auto text = LogLineText(e.event);
      if (!text.has_value()) return;
      logs->push_back(LogRow{ToNanos(e.time), e.node, std::string(SeverityName(e.event.severity())),
                             std::move(*text)});
    };
    py::gil_scoped_release release;
    run_ = std::make_unique<ScenarioRun>(scenario_, options_);
  }

  int64_t now_ns() const { return ToNanos(run_->world().now()); }
  std::string phase() const { return run_->PhaseName(); }
  bool ended() const { return run_->ended(); }
  int64_t chaos_start_ns() const { return ToNanos(run_->chaos_start()); }
  int64_t chaos_end_ns() const { return ToNanos(run_->chaos_end()); }
  int64_t quiet_end_ns() const { return ToNanos(run_->quiet_end()); }
  uint64_t events() const { return run_->world().events_processed(); }
  uint64_t digest() const { return run_->world().digest(); }
  std::string scenario_text() const { return ScenarioText(scenario_); }
  std::vector<std::string> swarm_drawn() const { return drawn_; }
  std::vector<std::string> trace_lines() const { return *trace_; }
  // (time ns, process, level, text) of every log line so far.
  std::vector<std::tuple<int64_t, std::string, std::string, std::string>> log_rows() const {
    std::vector<std::tuple<int64_t, std::string, std::string, std::string>> out;
    out.reserve(logs_->size());
    for (const auto& r : *logs_) out.emplace_back(r.time_ns, r.node, r.level, r.text);
    return out;
  }

  void run_until(int64_t t_ns) {
    py::gil_scoped_release release;
    run_->RunUntil(MonoFromNanos(t_ns));
  }
  // The predicate is called with the GIL held, between stretches run without it. An exception
  // it raises stops the run there and propagates.
  bool run_until_pred(const py::function& pred, int64_t check_every_ns, int64_t deadline_ns) {
    const Duration every = Duration(std::max<int64_t>(check_every_ns, 1));
    const MonoTime deadline = MonoFromNanos(deadline_ns);
    while (true) {
      if (py::bool_(pred())) return true;
      if (run_->ended() || run_->world().now() >= deadline) return false;
      const MonoTime next = std::min(deadline, run_->world().now() + every);
      py::gil_scoped_release release;
      run_->RunUntil(next);
    }
  }
  int step(int n) {
    int done = 0;
    py::gil_scoped_release release;
    while (done < n && run_->Step()) ++done;
    return done;
  }

  py::list processes() const {
    py::list out;
    const sim::World& w = run_->world();
    for (const faults::ProcessInfo& p : run_->map().processes) {
      py::dict d;
      d["name"] = p.name;
      d["role"] = std::string(faults::RoleName(p.role));
      d["group"] = p.group;
      d["broker_id"] = p.broker_id;
      d["machine"] = w.machine_name(p.machine);
      d["address"] = p.address.port == 0 ? std::string() : p.address.ToString();
      d["running"] = w.IsRunning(p.pid);
      d["machine_up"] = w.IsMachineUp(p.machine);
      d["incarnation"] = w.incarnation(p.pid);
      out.append(d);
    }
    return out;
  }

  // Kind names as in scenario files; targets and peers by process name.
  std::optional<uint64_t> inject(const std::string& kind, const std::vector<std::string>& targets,
                                 const std::vector<std::string>& peers, int64_t duration_ns,
                                 bool suppress) {
    scenario::FaultKind k;
    if (!scenario::FaultKind_Parse(kind, &k) || k == scenario::FAULT_KIND_UNSPECIFIED) {
      throw py::value_error("unknown fault kind '" + kind + "'");
    }
    if (run_->injector().healed()) {
      throw std::runtime_error(
          "the chaos phase has ended (every fault was healed at " +
          FormatDuration(run_->chaos_end() - MonoTime{}) + "): no fault can be injected now");
    }
    faults::FaultRequest r;
    r.kind = k;
    r.duration = Duration(duration_ns);
    r.suppress = suppress;
    r.scripted = true;
    auto find = [&](const std::string& name) {
      const faults::ProcessInfo* p = run_->map().Find(name);
      if (p == nullptr) throw py::value_error("no process named '" + name + "'");
      return p;
    };
    for (const std::string& t : targets) r.targets.push_back(find(t));
    for (const std::string& p : peers) r.peers.push_back(find(p));
    if (r.targets.empty()) throw py::value_error("a fault needs a target");
    for (const faults::ProcessInfo* t : r.targets) {
      if (!faults::KindAcceptsRole(k, t->role)) {
        throw py::value_error(kind + " cannot hit " + t->name + " (a " +
                              std::string(faults::RoleName(t->role)) + ")");
      }
    }
    return run_->injector().Inject(r);
  }
  bool heal(uint64_t id) { return run_->injector().Heal(id); }
  std::vector<uint64_t> open_faults() const { return run_->injector().open_ids(); }
  std::optional<py::dict> fault(uint64_t id) const {
    const history::FaultWindow* w = run_->injector().window(id);
    if (w == nullptr) return std::nullopt;
    history::History one;
    *one.add_faults() = *w;
    py::dict cols = Columns(one, "faults");
    py::dict row;
    for (auto [k, v] : cols) row[k] = v.cast<py::list>()[0];
    return row;
  }

  py::dict table(const std::string& name) const {
    const history::History& h = run_->history();
    if (name == "routes") return RouteRows(h);
    if (name == "proxies") return ProxyRows(h);
    return Columns(h, name);
  }

  // What each name server lists now: one row per live broker registration.
  py::dict routes_now() const {
    py::list ns, name, id, address, cluster;
    const sim::World& w = run_->world();
    for (const faults::ProcessInfo* p : run_->map().WithRole(faults::Role::kNameServer)) {
      auto* n = w.IsRunning(p->pid)
                    ? const_cast<sim::World&>(w).service_as<namesrv::NameServer>(p->pid)
                    : nullptr;
      if (n == nullptr) continue;
      for (const auto& [addr, live] : n->routes().broker_live_table()) {
        const faults::ProcessInfo* b = nullptr;
        for (const faults::ProcessInfo& q : run_->map().processes) {
          if ((q.role == faults::Role::kMaster || q.role == faults::Role::kSlave) &&
              q.address.ToString() == addr) {
            b = &q;
          }
        }
        ns.append(p->name);
        name.append(b ? b->group : "?");
        id.append(b ? b->broker_id : -1);
        address.append(addr);
        cluster.append(b ? b->name : "?");
      }
    }
    py::dict out;
    out["name_server"] = ns;
    out["broker_name"] = name;
    out["broker_id"] = id;
    out["address"] = address;
    out["process"] = cluster;
    return out;
  }

  // Every broker now: up, its role in the store, its commit-log extent, a slave's lag.
  py::dict brokers_now() const {
    py::list name, group, id, up, role, min_off, max_off, lag, connected;
    sim::World& w = const_cast<sim::World&>(run_->world());
    std::map<std::string, int64_t> master_max;
    for (const faults::ProcessInfo* p : run_->map().WithRole(faults::Role::kMaster)) {
      auto* b = w.IsRunning(p->pid) ? w.service_as<broker::Broker>(p->pid) : nullptr;
      if (b != nullptr) master_max[p->group] = b->store().GetMaxPhyOffset();
    }
    for (const faults::ProcessInfo& p : run_->map().processes) {
      if (p.role != faults::Role::kMaster && p.role != faults::Role::kSlave) continue;
      auto* b = w.IsRunning(p.pid) ? w.service_as<broker::Broker>(p.pid) : nullptr;
      name.append(p.name);
      group.append(p.group);
      id.append(p.broker_id);
      up.append(b != nullptr);
      role.append(b == nullptr ? "" : b->is_slave() ? "SLAVE" : "MASTER");
      min_off.append(b ? py::object(py::int_(b->store().GetMinPhyOffset())) : py::none());
      max_off.append(b ? py::object(py::int_(b->store().GetMaxPhyOffset())) : py::none());
      auto m = master_max.find(p.group);
      if (b != nullptr && b->is_slave() && m != master_max.end()) {
        lag.append(m->second - b->store().GetMaxPhyOffset());
      } else {
        lag.append(py::none());
      }
      connected.append(b != nullptr && b->is_slave() && b->ha() != nullptr
                           ? py::object(py::bool_(b->ha()->connected_to_master()))
                           : py::none());
    }
    py::dict out;
    out["broker"] = name;
    out["group"] = group;
    out["broker_id"] = id;
    out["up"] = up;
    out["role"] = role;
    out["min_phy_offset"] = min_off;
    out["max_phy_offset"] = max_off;
    out["slave_lag_bytes"] = lag;
    out["connected_to_master"] = connected;
    return out;
  }

  // Per master, topic and queue: the consume queue's extent and, per consumer group of the
  // scenario that reads the topic, its committed offset and lag.
  py::dict queues_now() const {
    py::list broker, topic, queue, min_off, max_off, group, committed, lag;
    sim::World& w = const_cast<sim::World&>(run_->world());
    const scenario::Scenario& sc = run_->scenario();
    for (const faults::ProcessInfo* p : run_->map().WithRole(faults::Role::kMaster)) {
      auto* b = w.IsRunning(p->pid) ? w.service_as<broker::Broker>(p->pid) : nullptr;
      if (b == nullptr) continue;
      for (const auto& t : sc.workload().topics()) {
        for (int q = 0; q < t.queues(); ++q) {
          const int64_t mn = b->store().GetMinOffsetInQueue(t.name(), q);
          const int64_t mx = b->store().GetMaxOffsetInQueue(t.name(), q);
          auto row = [&](const std::string& g, std::optional<int64_t> c) {
            broker.append(p->group);
            topic.append(t.name());
            queue.append(q);
            min_off.append(mn);
            max_off.append(mx);
            group.append(g);
            committed.append(c ? py::object(py::int_(*c)) : py::none());
            lag.append(c ? py::object(py::int_(mx - std::max<int64_t>(*c, 0))) : py::none());
          };
          bool any = false;
          for (const auto& g : sc.workload().consumer_groups()) {
            if (g.topic() != t.name() || g.model() == scenario::BROADCASTING) continue;
            any = true;
            row(g.group(), b->consumer_offsets().QueryOffset(g.group(), t.name(), q));
          }
          if (!any) row("", std::nullopt);
        }
      }
    }
    py::dict out;
    out["broker"] = broker;
    out["topic"] = topic;
    out["queue"] = queue;
    out["min_offset"] = min_off;
    out["max_offset"] = max_off;
    out["group"] = group;
    out["committed_offset"] = committed;
    out["lag"] = lag;
    return out;
  }

  // Every running proxy's statistics now.
  py::dict proxy_stats_now() const {
    py::dict out;
    sim::World& w = const_cast<sim::World&>(run_->world());
    for (const faults::ProcessInfo* p : run_->map().WithRole(faults::Role::kProxy)) {
      auto* px = w.IsRunning(p->pid) ? w.service_as<proxy::RocketMQProxy>(p->pid) : nullptr;
      if (px == nullptr) continue;
      py::dict stats;
      for (const proxy::StatValue& v : proxy::ListStats(px->stats())) {
        stats[py::str(v.name)] = v.value;
      }
      out[py::str(p->name)] = stats;
    }
    return out;
  }

  py::dict finish() {
    if (!result_.has_value()) {
      py::gil_scoped_release release;
      result_ = run_->Finish();
    }
    const scenarios::RunResult& r = *result_;
    py::dict d;
    d["scenario"] = r.scenario;
    d["seed"] = r.seed;
    d["digest"] = r.digest;
    d["events"] = r.events;
    d["simulated_ns"] = ToNanos(r.simulated);
    d["converged"] = r.converged;
    d["ok"] = r.ok();
    py::list checks;
    for (const checkers::CheckResult& c : r.checks) checks.append(CheckDict(c));
    d["checks"] = checks;
    d["summary"] = scenarios::FormatRunSummary(r, scenario_, options_);
    return d;
  }

 private:
  scenario::Scenario scenario_;
  std::vector<std::string> drawn_;
  scenarios::RunOptions options_;
  std::shared_ptr<std::vector<std::string>> trace_ =
      std::make_shared<std::vector<std::string>>();
  struct LogRow {
    int64_t time_ns;
    std::string node;
    std::string level;
    std::string text;
  };
  std::shared_ptr<std::vector<LogRow>> logs_ = std::make_shared<std::vector<LogRow>>();
  std::unique_ptr<ScenarioRun> run_;
  std::optional<scenarios::RunResult> result_;
};

}  // namespace
}  // namespace rmqsim::python

PYBIND11_MODULE(_core, m) {
  using rmqsim::python::Run;
  m.doc() = "rmqsim's C++ core: a deterministic simulated RocketMQ cluster (see rmqsim).";

  m.def(
      "load_scenario",
      [](const std::string& path, const std::vector<std::string>& overrides) {
        auto s = rmqsim::scenarios::LoadScenarioFile(path, overrides);
        if (!s.ok()) rmqsim::python::Raise(s.status());
        return rmqsim::python::ScenarioText(*s);
      },
      py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
      "Reads, checks and completes a scenario file; returns its text (defaults filled in).");
  m.def(
      "parse_scenario",
      [](const std::string& text, const std::string& origin,
         const std::vector<std::string>& overrides) {
        return rmqsim::python::ScenarioText(
            rmqsim::python::ParseText(text, origin, overrides));
      },
      py::arg("text"), py::arg("origin") = "<scenario>",
      py::arg("overrides") = std::vector<std::string>{},
      "Checks and completes a scenario given as Protobuf text; returns its text.");
  m.def(
      "parse_duration",
      [](const std::string& text) {
        auto d = rmqsim::ParseDuration(text);
        if (!d.ok()) rmqsim::python::Raise(d.status());
        return rmqsim::ToNanos(*d);
      },
      py::arg("text"), "\"1m30s\" -> nanoseconds.");
  m.def(
      "planted_bugs",
      [] {
        std::vector<std::string> out;
        for (const auto& b : rmqsim::PlantedBugs()) out.push_back(b.name);
        return out;
      },
      "The planted bugs a run can turn on (test-only switches).");

  py::class_<Run>(m, "Run")
      .def(py::init<const std::string&, const std::string&, uint64_t, bool,
                    std::optional<uint64_t>, std::vector<std::string>, bool>(),
           py::arg("text"), py::arg("origin"), py::arg("seed"), py::arg("buggify") = false,
           py::arg("swarm") = py::none(), py::arg("planted_bugs") = std::vector<std::string>{},
           py::arg("trace") = false)
      .def_property_readonly("now_ns", &Run::now_ns)
      .def_property_readonly("phase", &Run::phase)
      .def_property_readonly("ended", &Run::ended)
      .def_property_readonly("chaos_start_ns", &Run::chaos_start_ns)
      .def_property_readonly("chaos_end_ns", &Run::chaos_end_ns)
      .def_property_readonly("quiet_end_ns", &Run::quiet_end_ns)
      .def_property_readonly("events", &Run::events)
      .def_property_readonly("digest", &Run::digest)
      .def_property_readonly("scenario_text", &Run::scenario_text)
      .def_property_readonly("swarm_drawn", &Run::swarm_drawn)
      .def("trace_lines", &Run::trace_lines)
      .def("log_rows", &Run::log_rows)
      .def("run_until", &Run::run_until, py::arg("t_ns"))
      .def("run_until_pred", &Run::run_until_pred, py::arg("pred"), py::arg("check_every_ns"),
           py::arg("deadline_ns"))
      .def("step", &Run::step, py::arg("n") = 1)
      .def("processes", &Run::processes)
      .def("inject", &Run::inject, py::arg("kind"), py::arg("targets"),
           py::arg("peers") = std::vector<std::string>{}, py::arg("duration_ns"),
           py::arg("suppress") = false)
      .def("heal", &Run::heal, py::arg("id"))
      .def("open_faults", &Run::open_faults)
      .def("fault", &Run::fault, py::arg("id"))
      .def("table", &Run::table, py::arg("name"))
      .def("routes_now", &Run::routes_now)
      .def("brokers_now", &Run::brokers_now)
      .def("queues_now", &Run::queues_now)
      .def("proxy_stats_now", &Run::proxy_stats_now)
      .def("finish", &Run::finish);
}
