#include "scenarios/runner/swarm.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "faults/fault_injector.h"
#include "faults/random_nemesis.h"
#include "scenarios/runner/process_names.h"
#include "scenarios/runner/scenario_file.h"
#include "sim/base/random.h"

namespace rmqsim::scenarios {
namespace {

using scenario::Scenario;

bool SelectorNamesSomething(const scenario::Target& t) {
  return !t.group().empty() || !t.name().empty();
}

// Whether the scenario's topology may be redrawn: nothing in it names a group or a process.
bool TopologyIsFree(const Scenario& s) {
  if (!s.faults().timeline().empty() || !s.topology().placement().empty()) return false;
  for (const auto& k : s.faults().nemesis().kinds()) {
    for (const auto& t : k.targets()) {
      if (SelectorNamesSomething(t)) return false;
    }
    if (k.has_peer() && SelectorNamesSomething(k.peer())) return false;
  }
  return true;
}

class Drawer {
 public:
  Drawer(uint64_t seed, SwarmVariant* out) : random_(DeriveSeed(seed, "swarm")), out_(out) {}

  int64_t Int(int64_t lo, int64_t hi) { return random_.UniformInt(lo, hi); }
  bool Chance(double p) { return random_.Bernoulli(p); }
  double Unit() { return random_.UniformDouble(); }
  template <typename T, size_t N>
  T Pick(const T (&choices)[N]) {
    return choices[random_.Below(N)];
  }
  void Note(const std::string& line) { out_->drawn.push_back(line); }

  // Draws a string-keyed setting into `conf` unless one of `pinned` already sets it.
  void Conf(google::protobuf::Map<std::string, std::string>* conf, std::string_view where,
            const std::string& key, const std::string& value,
            std::initializer_list<const google::protobuf::Map<std::string, std::string>*> pinned) {
    if (conf->count(key) != 0) return;  // the file sets it
    for (const auto* p : pinned) {
      if (p->count(key) != 0) return;
    }
    (*conf)[key] = value;
    Note(std::string(where) + "[" + key + "]=" + value);
  }

 private:
  Xoshiro256 random_;
  SwarmVariant* out_;
};

void DrawTopology(const Scenario& base, Scenario& s, Drawer& d) {
  auto* t = s.mutable_topology();
  t->set_name_servers(static_cast<int32_t>(d.Int(1, 3)));
  d.Note("topology.name_servers=" + std::to_string(t->name_servers()));
  const int groups = static_cast<int>(d.Int(1, 3));
  t->clear_broker_groups();
  for (int i = 0; i < groups; ++i) {
    auto* g = t->add_broker_groups();
    const auto& model = base.topology().broker_groups(i % base.topology().broker_groups_size());
    *g->mutable_conf() = model.conf();
    g->set_name(std::string("broker-") + static_cast<char>('a' + i));
    const double u = d.Unit();
    g->set_slaves(u < 0.2 ? 0 : u < 0.8 ? 1 : 2);
    // A SYNC_MASTER without a slave answers every send SLAVE_NOT_AVAILABLE: not a deployment.
    const bool sync = d.Chance(0.6) && g->slaves() > 0;
    g->set_role(sync ? scenario::SYNC_MASTER : scenario::ASYNC_MASTER);
    g->set_flush(d.Chance(0.5) ? scenario::SYNC_FLUSH : scenario::ASYNC_FLUSH);
    d.Note("topology.broker_groups[" + std::to_string(i) + "]=" + g->name() + " " +
           scenario::BrokerRole_Name(g->role()) + " " + scenario::FlushDiskType_Name(g->flush()) +
           " slaves=" + std::to_string(g->slaves()));
  }
  auto* w = s.mutable_workload();
  for (int i = 0; i < w->producers_size(); ++i) {
    w->mutable_producers(i)->set_count(static_cast<int32_t>(d.Int(1, 3)));
    d.Note("workload.producers[" + std::to_string(i) + "].count=" +
           std::to_string(w->producers(i).count()));
  }
  for (int i = 0; i < w->consumer_groups_size(); ++i) {
    w->mutable_consumer_groups(i)->set_consumers(static_cast<int32_t>(d.Int(1, 4)));
    d.Note("workload.consumer_groups[" + std::to_string(i) + "].consumers=" +
           std::to_string(w->consumer_groups(i).consumers()));
  }
}

void DrawKnobs(Scenario& s, Drawer& d) {
  auto* t = s.mutable_topology();
  // A key set for one group pins it for the whole cluster (groups differ on purpose there).
  auto broker = [&](const std::string& key, const std::string& value) {
    for (const auto& g : t->broker_groups()) {
      if (g.conf().count(key) != 0) return;
    }
    d.Conf(t->mutable_broker_conf(), "topology.broker_conf", key, value, {});
  };
  auto num = [](int64_t v) { return std::to_string(v); };
  // The largest message a producer sends: segments hold many of them.
  int64_t largest = 0;
  for (const auto& p : s.workload().producers()) {
    const int64_t n = p.mode() == scenario::BATCH ? p.batch_size() : 1;
    largest = std::max<int64_t>(largest, n * (std::max(p.body_min(), p.body_max()) + 512));
  }
  // Store and broker settings (the value drawn first, then set unless the file pins it).
  int64_t v = d.Int(100, 1000);
  broker("flushIntervalCommitLog", num(v));
  broker("flushCommitLogLeastPages", num(d.Pick({0, 0, 4})));
  broker("flushIntervalConsumeQueue", num(d.Int(200, 2000)));
  const int64_t segments[] = {256 << 10, 1 << 20, 16 << 20, 1 << 30};
  int64_t segment = d.Pick(segments);
  while (segment < 64 * largest) segment *= 4;
  broker("mappedFileSizeCommitLog", num(segment));
  // Consume-queue files of 60, 3000 or 300000 entries (20 bytes each).
  broker("mappedFileSizeConsumeQueue", num(20 * d.Pick({60, 3000, 300000})));
  broker("syncFlushTimeout", num(d.Int(2000, 5000)));
  const int64_t hb = d.Int(1000, 10000);
  broker("haSendHeartbeatInterval", num(hb));
  broker("haHousekeepingInterval", num(d.Int(std::max<int64_t>(10000, 3 * hb), 30000)));
  const int64_t register_period = d.Int(10000, 60000);
  broker("registerNameServerPeriod", num(register_period));
  broker("longPollingEnable", d.Chance(0.75) ? "true" : "false");
  broker("shortPollingTimeMills", num(d.Int(500, 2000)));
  // The routes checker expects re-registrations at the broker's period. (A file without
  // checks runs every checker: keep it so when the routes settings appear.)
  if (!s.has_checks()) {
    auto* c = s.mutable_checks();
    c->mutable_delivery();
    c->mutable_routes();
    c->mutable_liveness();
    c->mutable_replicas();
    c->mutable_retry();
    c->mutable_metrics();
  }
  if (s.checks().routes().register_interval().empty() &&
      t->broker_conf().count("registerNameServerPeriod") != 0) {
    const std::string period = t->broker_conf().at("registerNameServerPeriod") + "ms";
    s.mutable_checks()->mutable_routes()->set_register_interval(period);
  }
  // Client settings.
  auto client = [&](const std::string& key, const std::string& value) {
    d.Conf(t->mutable_client_conf(), "topology.client_conf", key, value, {});
  };
  client("pollNameServerInterval", num(d.Int(5000, 45000)));
  client("heartbeatBrokerInterval", num(d.Int(10000, 45000)));
  client("persistConsumerOffsetInterval", num(d.Int(1000, 10000)));
  auto* w = s.mutable_workload();
  for (int i = 0; i < w->producers_size(); ++i) {
    auto* p = w->mutable_producers(i);
    const std::string where = "workload.producers[" + std::to_string(i) + "].conf";
    d.Conf(p->mutable_conf(), where, "sendMsgTimeout", num(d.Int(1000, 5000)),
           {&t->client_conf()});
    d.Conf(p->mutable_conf(), where, "retryTimesWhenSendFailed", num(d.Int(0, 3)),
           {&t->client_conf()});
  }
  for (int i = 0; i < w->consumer_groups_size(); ++i) {
    auto* c = w->mutable_consumer_groups(i);
    const std::string where = "workload.consumer_groups[" + std::to_string(i) + "].conf";
    d.Conf(c->mutable_conf(), where, "pullBatchSize", num(d.Int(1, 32)), {&t->client_conf()});
    const int64_t batch = d.Pick({1, 1, 2, 4});
    if (c->kind() == scenario::PUSH) {
      d.Conf(c->mutable_conf(), where, "consumeMessageBatchMaxSize", num(batch),
             {&t->client_conf()});
    }
  }
  for (int i = 0; i < w->topics_size(); ++i) {
    w->mutable_topics(i)->set_queues(static_cast<int32_t>(d.Int(1, 8)));
    d.Note("workload.topics[" + std::to_string(i) + "].queues=" +
           std::to_string(w->topics(i).queues()));
  }
}

std::string LineText(const scenario::NemesisKind& k) {
  std::string text = scenario::FaultKind_Name(k.kind());
  if (!k.targets().empty()) text += " " + faults::SelectorText(k.targets(0));
  if (k.has_peer()) text += " -> " + faults::SelectorText(k.peer());
  char w[32];
  std::snprintf(w, sizeof w, " x%.2f", k.weight());
  return text + w;
}

// Whether a mix line can hit something in the cluster.
bool LineHits(const faults::ClusterMap& map, const scenario::NemesisKind& k) {
  if (k.has_peer() && faults::ResolveTarget(map, k.peer()).empty()) return false;
  if (k.targets().empty()) return !faults::NaturalTargets(map, k.kind()).empty();
  for (const auto& t : k.targets()) {
    if (!faults::ResolveTargetFor(map, k.kind(), t).empty()) return true;
  }
  return false;
}

void DrawFaults(Scenario& s, Drawer& d) {
  auto* n = s.mutable_faults()->mutable_nemesis();
  if (!n->enabled()) return;
  std::vector<scenario::NemesisKind> lines(n->kinds().begin(), n->kinds().end());
  if (lines.empty()) {
    for (const auto& e : faults::DefaultNemesisMix()) lines.push_back(faults::MixEntryToProto(e));
  }
  const faults::ClusterMap map = DescribeCluster(s);
  std::vector<scenario::NemesisKind> kept;
  for (auto& k : lines) {
    const bool keep = d.Chance(0.65);
    // Scale the weight by e^[-1.5, 1.5] (about x0.22 to x4.5), rounded to two decimals.
    const double scale = std::exp(d.Unit() * 3 - 1.5);
    const double base = k.weight() == 0 ? 1 : k.weight();
    k.set_weight(std::max(0.01, std::round(base * scale * 100) / 100));
    if (keep && LineHits(map, k)) kept.push_back(k);
  }
  if (kept.empty()) {
    std::vector<scenario::NemesisKind> possible;
    for (const auto& k : lines) {
      if (LineHits(map, k)) possible.push_back(k);
    }
    if (!possible.empty()) {
      const int64_t last = static_cast<int64_t>(possible.size()) - 1;
      kept.push_back(possible[static_cast<size_t>(d.Int(0, last))]);
    }
  }
  n->clear_kinds();
  std::string text;
  for (const auto& k : kept) {
    *n->add_kinds() = k;
    text += (text.empty() ? "" : ", ") + LineText(k);
  }
  d.Note("faults.nemesis.kinds=" + text);
  n->set_mean_interval(std::to_string(d.Int(5, 60)) + "s");
  d.Note("faults.nemesis.mean_interval=" + n->mean_interval());
  n->set_max_concurrent(static_cast<int32_t>(d.Int(1, 4)));
  d.Note("faults.nemesis.max_concurrent=" + std::to_string(n->max_concurrent()));
}

}  // namespace

StatusOr<SwarmVariant> ApplySwarm(const scenario::Scenario& base, uint64_t seed) {
  SwarmVariant v;
  Scenario s = base;
  Drawer d(seed, &v);
  if (TopologyIsFree(base) && base.topology().broker_groups_size() > 0) {
    DrawTopology(base, s, d);
    v.topology_drawn = true;
  } else {
    d.Note("topology kept (the scenario names groups or processes)");
  }
  DrawKnobs(s, d);
  DrawFaults(s, d);
  // A swarm variant's fault mix is its own: the file's coverage requirements no longer apply.
  if (!s.checks().require().empty()) {
    s.mutable_checks()->clear_require();
    d.Note("checks.require=cleared (the variant's fault mix is drawn)");
  }
  auto parsed = ParseScenario(ScenarioToText(s), "swarm variant of " + base.name() +
                                                     " (seed " + std::to_string(seed) + ")");
  if (!parsed.ok()) return parsed.status();
  v.scenario = *std::move(parsed);
  return v;
}

}  // namespace rmqsim::scenarios
