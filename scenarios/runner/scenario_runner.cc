#include "scenarios/runner/scenario_runner.h"

#include <algorithm>
#include <cinttypes>
#include <set>

#include "faults/fault_injector.h"
#include "faults/random_nemesis.h"
#include "faults/timeline.h"
#include "scenarios/runner/process_names.h"
#include "scenarios/runner/proxy_tap.h"
#include "scenarios/runner/scenario_file.h"
#include "scenarios/runner/summary.h"
#include "scenarios/workloads/client_apps.h"
#include "system/broker/broker.h"
#include "system/common/mix_all.h"
#include "sim/base/planted_bugs.h"
#include "system/common/message_id.h"
#include "system/namesrv/name_server.h"
#include "system/proxy/rocketmq_proxy.h"

namespace rmqsim::scenarios {

namespace {

constexpr uint16_t kNamesrvPort = 9876;
constexpr uint16_t kBrokerPort = 10911;
constexpr uint16_t kProxyPort = 10000;
// How long a proxied consumer stopped before the at-rest proxy sample has to shut down.
constexpr Duration kConsumerStopGrace = seconds(10);
constexpr Duration kProxySampleInterval = seconds(5);
constexpr Duration kPopPollTime = seconds(15);  // PopConsumerConfig::poll_time
constexpr Duration kRouteSampleInterval = seconds(1);
constexpr Duration kBrokerSampleInterval = seconds(5);
constexpr Duration kTopicCreationMax = seconds(60);

int64_t Ns(MonoTime t) { return ToNanos(t); }

ClientSettings BaseClientSettings(const scenario::Scenario& s,
                                  const google::protobuf::Map<std::string, std::string>& own,
                                  ClientRole role) {
  ClientSettings cs;
  // Validated when the file was loaded: errors here cannot happen.
  for (const auto& [k, v] : std::map<std::string, std::string>(s.topology().client_conf().begin(),
                                                               s.topology().client_conf().end())) {
    (void)ApplyClientSetting(cs, ClientRole::kAny, k, v);
  }
  for (const auto& [k, v] : std::map<std::string, std::string>(own.begin(), own.end())) {
    (void)ApplyClientSetting(cs, role, k, v);
  }
  return cs;
}

// ------------------------------------------------------------------------------ workloads

// Adds a client process (on its machine, with the cluster's name servers and a client id that
// survives restarts) and records it in the cluster map.
template <typename App, typename Spec>
sim::ProcessId AddClient(RunContext& ctx, Spec spec, faults::Role role, const std::string& group,
                         const std::string& via_proxy = "") {
  sim::MachineId m = ctx.machine_for(spec.name);
  // Through a proxy in develop mode: it answers the route queries, naming itself as every broker.
  spec.settings.client.namesrv_addr =
      via_proxy.empty() ? ctx.namesrv_list : ctx.proxy_addrs.at(via_proxy);
  spec.settings.client.client_ip = ctx.world.machine_ip(m);
  spec.settings.client.instance_name = spec.name;
  HistoryRecorder* rec = &ctx.recorder;
  const std::string name = spec.name;
  auto pid = *ctx.world.AddProcess(m, name, [spec = std::move(spec), rec](Runtime& rt) {
    return std::make_unique<App>(rt, spec, rec);
  });
  ctx.map.processes.push_back({name, pid, m, role, group, -1, {}});
  return pid;
}

class ProducersWorkload final : public Workload {
 public:
  std::string name() const override { return "producers"; }
  void Setup(RunContext& ctx) override {
    const auto& w = ctx.scenario.workload();
    for (const auto& p : w.producers()) {
      for (int i = 1; i <= p.count(); ++i) {
        ProducerSpec spec;
        spec.name = ProducerName(p, i);
        spec.topic = p.topic();
        spec.interval = Duration(static_cast<int64_t>(1e9 / p.rate()));
        spec.mode = p.mode();
        spec.batch_size = p.batch_size();
        spec.body_min = p.body_min();
        spec.body_max = p.body_max();
        spec.tags.assign(p.tags().begin(), p.tags().end());
        spec.max_in_flight = p.max_in_flight();
        spec.settings = BaseClientSettings(ctx.scenario, p.conf(), ClientRole::kProducer);
        spec.settings.producer.producer_group = p.group();
        pids_.push_back(AddClient<ProducerApp>(ctx, std::move(spec), faults::Role::kProducer, "",
                                               p.via_proxy()));
      }
    }
  }
  void Start(RunContext& ctx) override {
    for (auto pid : pids_) RMQ_ASSERT(ctx.world.StartProcess(pid).ok());
  }
  void Drain(RunContext& ctx) override {
    for (auto pid : pids_) {
      if (auto* p = ctx.world.service_as<ProducerApp>(pid)) p->set_paused(true);
    }
  }

 private:
  std::vector<sim::ProcessId> pids_;
};

class ConsumersWorkload final : public Workload {
 public:
  std::string name() const override { return "consumers"; }
  void Setup(RunContext& ctx) override {
    for (const auto& g : ctx.scenario.workload().consumer_groups()) {
      for (int i = 1; i <= g.consumers(); ++i) {
        ConsumerSpec spec;
        spec.name = ConsumerName(g, i);
        spec.group = g.group();
        spec.topic = g.topic();
        spec.subscription = g.subscription();
        spec.model = g.model();
        spec.failure_rate = g.failure_rate();
        spec.slow_rate = g.slow_rate();
        spec.slow_duration = DurationOr(g.slow_duration(), seconds(2));
        spec.settings = BaseClientSettings(ctx.scenario, g.conf(), ClientRole::kConsumer);
        auto& cc = spec.settings.consumer;
        cc.consumer_group = g.group();
        cc.message_model = g.model() == scenario::BROADCASTING ? common::MessageModel::kBroadcasting
                                                                : common::MessageModel::kClustering;
        if (g.conf().find("consumeFromWhere") == g.conf().end()) {
          cc.consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset;
        }
        cc.max_reconsume_times = g.max_reconsume_times();
        spec.index = i - 1;
        spec.count = g.consumers();
        spec.invisible_time = DurationOr(g.invisible_time(), seconds(60));
        spec.poll_time = DurationOr(g.poll_time(), kPopPollTime);
        switch (g.kind()) {
          case scenario::PULL:
            pids_.push_back(AddClient<PullConsumerApp>(
                ctx, std::move(spec), faults::Role::kConsumer, g.group(), g.via_proxy()));
            break;
          case scenario::POP:
            pids_.push_back(AddClient<PopConsumerApp>(
                ctx, std::move(spec), faults::Role::kConsumer, g.group(), g.via_proxy()));
            break;
          default:
            pids_.push_back(AddClient<PushConsumerApp>(
                ctx, std::move(spec), faults::Role::kConsumer, g.group(), g.via_proxy()));
            break;
        }
      }
    }
  }
  void Start(RunContext& ctx) override {
    for (auto pid : pids_) RMQ_ASSERT(ctx.world.StartProcess(pid).ok());
  }

 private:
  std::vector<sim::ProcessId> pids_;
};

// ------------------------------------------------------------------------------ the cluster

struct Cluster {
  std::vector<sim::ProcessId> namesrvs;
  std::vector<sim::ProcessId> brokers;  // masters and slaves
  std::vector<Address> master_addrs;
  std::map<std::string, std::string> addr_to_process;  // "ip:port" -> process name
};

// Samples every proxy's statistics into the history (docs/proxy.md, the proxy checker).
class ProxySampler {
 public:
  ProxySampler(sim::World& w, const faults::ClusterMap& map, const ProxyTap& tap,
               history::History* h)
      : world_(w), map_(map), tap_(tap), history_(h) {}
  void SampleAll(bool at_rest = false) {
    for (const faults::ProcessInfo* p : map_.WithRole(faults::Role::kProxy)) Sample(*p, at_rest);
  }
  void Arm() {
    world_.Schedule(kProxySampleInterval, [this] {
      SampleAll();
      Arm();
    });
  }

 private:
  void Sample(const faults::ProcessInfo& p, bool at_rest) {
    history::ProxySample* s = history_->add_proxies();
    s->set_time_ns(Ns(world_.now()));
    s->set_proxy(p.name);
    s->set_at_rest(at_rest);
    auto* px = world_.IsRunning(p.pid) ? world_.service_as<proxy::RocketMQProxy>(p.pid) : nullptr;
    s->set_up(px != nullptr);
    s->set_incarnation(world_.incarnation(p.pid));
    if (px == nullptr) return;
    for (const proxy::StatValue& v : proxy::ListStats(px->stats())) {
      history::ProxyStat* st = s->add_stats();
      st->set_name(v.name);
      st->set_value(v.value);
    }
    for (const auto& [name, value] : tap_.Counts(p.pid.value(), world_.incarnation(p.pid))) {
      history::ProxyStat* st = s->add_observed();
      st->set_name(name);
      st->set_value(value);
    }
  }
  sim::World& world_;
  const faults::ClusterMap& map_;
  const ProxyTap& tap_;
  history::History* history_;
};

class RouteSampler {
 public:
  RouteSampler(sim::World& w, const faults::ClusterMap& map, const Cluster& c, history::History* h)
      : world_(w), map_(map), cluster_(c), history_(h) {}

  void SampleAll() {
    for (sim::ProcessId pid : cluster_.namesrvs) Sample(pid);
  }
  void Arm() {
    world_.Schedule(kRouteSampleInterval, [this] {
      SampleAll();
      Arm();
    });
  }

 private:
  void Sample(sim::ProcessId pid) {
    const faults::ProcessInfo* info = map_.ByPid(pid);
    history::RouteSample s;
    s.set_time_ns(Ns(world_.now()));
    s.set_name_server(info->name);
    auto* ns = world_.IsRunning(pid) ? world_.service_as<namesrv::NameServer>(pid) : nullptr;
    s.set_up(ns != nullptr);
    if (ns != nullptr) {
      const int64_t wall_now = ToNanos(world_.MachineWallTime(info->machine));
      for (const auto& [addr, live] : ns->routes().broker_live_table()) {
        history::RouteEntry* e = s.add_brokers();
        auto it = cluster_.addr_to_process.find(addr);
        const faults::ProcessInfo* b = it == cluster_.addr_to_process.end()
                                           ? nullptr
                                           : map_.Find(it->second);
        e->set_broker_name(b != nullptr ? b->group : "?");
        e->set_broker_id(b != nullptr ? b->broker_id : -1);
        e->set_address(addr);
        // The virtual time the registration arrived: converted once, when first seen, so that
        // a later jump of the name server's clock does not move it.
        auto& seen = seen_[info->name + "|" + addr];
        if (seen.first != ToNanos(live.last_update)) {
          seen = {ToNanos(live.last_update),
                  s.time_ns() - (wall_now - ToNanos(live.last_update))};
        }
        e->set_last_update_ns(seen.second);
      }
    }
    std::string key;
    s.SerializeToString(&key);
    std::string& last = last_[info->name];
    // Compare without the time stamp.
    history::RouteSample no_time = s;
    no_time.set_time_ns(0);
    std::string body;
    no_time.SerializeToString(&body);
    if (body == last) return;
    last = body;
    *history_->add_routes() = std::move(s);
  }

  sim::World& world_;
  const faults::ClusterMap& map_;
  const Cluster& cluster_;
  history::History* history_;
  std::map<std::string, std::string> last_;
  std::map<std::string, std::pair<int64_t, int64_t>> seen_;  // ns|addr -> (wall, virtual)
};

broker::Broker* BrokerOf(sim::World& w, sim::ProcessId pid) {
  return w.IsRunning(pid) ? w.service_as<broker::Broker>(pid) : nullptr;
}

void SampleBrokers(sim::World& w, const faults::ClusterMap& map, const Cluster& c,
                   history::History* h) {
  for (sim::ProcessId pid : c.brokers) {
    const faults::ProcessInfo* info = map.ByPid(pid);
    history::BrokerSample* s = h->add_brokers();
    s->set_time_ns(Ns(w.now()));
    s->set_broker(info->name);
    s->set_group(info->group);
    s->set_broker_id(info->broker_id);
    broker::Broker* b = BrokerOf(w, pid);
    s->set_up(b != nullptr);
    if (b == nullptr) continue;
    s->set_max_phy_offset(b->store().GetMaxPhyOffset());
    if (b->ha() != nullptr && b->is_slave()) {
      s->set_connected_to_master(b->ha()->connected_to_master());
      s->set_diverged(b->ha()->slave_diverged() || b->store().reput_stalled_at().has_value());
    }
  }
}

// End state: replicas, consumer lags, dead-letter queues.
void RecordEndState(sim::World& w, const faults::ClusterMap& map, const scenario::Scenario& sc,
                    history::History* h) {
  for (const std::string& group : map.BrokerGroups()) {
    auto members = map.Group(group);
    const faults::ProcessInfo* master = members.front();
    broker::Broker* mb = BrokerOf(w, master->pid);
    for (size_t i = 1; i < members.size(); ++i) {
      history::ReplicaState* r = h->add_replicas();
      r->set_group(group);
      r->set_slave(members[i]->name);
      broker::Broker* sb = BrokerOf(w, members[i]->pid);
      r->set_master_up(mb != nullptr);
      r->set_slave_up(sb != nullptr);
      r->set_first_difference(-1);
      if (mb == nullptr || sb == nullptr) continue;
      r->set_connected(sb->ha() != nullptr && sb->ha()->connected_to_master());
      r->set_diverged(sb->ha() != nullptr &&
                      (sb->ha()->slave_diverged() || sb->store().reput_stalled_at().has_value()));
      const int64_t mmax = mb->store().GetMaxPhyOffset();
      const int64_t smax = sb->store().GetMaxPhyOffset();
      r->set_master_max_offset(mmax);
      r->set_slave_max_offset(smax);
      const int64_t from = std::max(mb->store().GetMinPhyOffset(), sb->store().GetMinPhyOffset());
      const int64_t to = std::min(mmax, smax);
      auto mbytes = mb->store().commit_log().ReadBytes(from, to);
      auto sbytes = sb->store().commit_log().ReadBytes(from, to);
      if (!mbytes.ok() || !sbytes.ok()) {
        r->set_first_difference(from);
      } else {
        size_t n = std::min(mbytes->size(), sbytes->size());
        auto mis = std::mismatch(mbytes->begin(), mbytes->begin() + static_cast<long>(n),
                                 sbytes->begin());
        if (mis.first != mbytes->begin() + static_cast<long>(n)) {
          r->set_first_difference(from + (mis.first - mbytes->begin()));
        } else if (mbytes->size() != sbytes->size()) {
          r->set_first_difference(from + static_cast<int64_t>(n));
        }
      }
    }
    if (mb == nullptr) continue;
    for (const auto& g : sc.workload().consumer_groups()) {
      if (g.model() == scenario::BROADCASTING) continue;
      const auto* topic_cfg = &g.topic();
      int queues = 0;
      for (const auto& t : sc.workload().topics()) {
        if (t.name() == *topic_cfg) queues = t.queues();
      }
      for (int q = 0; q < queues; ++q) {
        history::ConsumerLag* lag = h->add_lags();
        lag->set_group(g.group());
        lag->set_broker(group);
        lag->set_queue(q);
        lag->set_max_offset(mb->store().GetMaxOffsetInQueue(g.topic(), q));
        lag->set_committed_offset(mb->consumer_offsets().QueryOffset(g.group(), g.topic(), q));
      }
      // Dead letters of the group on this master.
      const std::string dlq = common::GetDlqTopic(g.group());
      const int64_t min = mb->store().GetMinOffsetInQueue(dlq, 0);
      const int64_t max = mb->store().GetMaxOffsetInQueue(dlq, 0);
      for (int64_t o = min; o < max; ++o) {
        int64_t phy = mb->store().GetCommitLogOffsetInQueue(dlq, 0, o);
        auto m = mb->store().LookMessageByOffset(phy);
        if (!m.ok()) continue;
        history::Delivery* d = h->add_deliveries();
        d->set_time_ns(Ns(w.now()));
        d->set_consumer("dlq");
        d->set_group(g.group());
        std::string original = m->message.retry_topic();
        d->set_topic(original.empty() ? m->message.topic() : original);
        d->set_broker(group);
        d->set_queue(0);
        d->set_queue_offset(o);
        d->set_msg_id(m->OffsetMsgId());
        d->set_key(m->message.keys());
        d->set_tags(m->message.tags());
        d->set_body_hash(BodyHash(m->message.body()));
        d->set_reconsume_times(m->reconsume_times);
        d->set_consumed(false);
        d->set_pulled_topic(dlq);
      }
    }
  }
}

bool Converged(sim::World& w, const faults::ClusterMap& map, const scenario::Scenario& sc,
               const HistoryRecorder& rec) {
  if (rec.sends_in_flight() > 0) return false;
  for (const std::string& group : map.BrokerGroups()) {
    auto members = map.Group(group);
    broker::Broker* mb = BrokerOf(w, members.front()->pid);
    if (mb == nullptr) return false;
    for (size_t i = 1; i < members.size(); ++i) {
      broker::Broker* sb = BrokerOf(w, members[i]->pid);
      if (sb == nullptr || sb->store().GetMaxPhyOffset() != mb->store().GetMaxPhyOffset()) {
        return false;
      }
    }
    for (const auto& g : sc.workload().consumer_groups()) {
      if (g.model() == scenario::BROADCASTING) continue;
      for (const auto& t : sc.workload().topics()) {
        if (t.name() != g.topic()) continue;
        for (int q = 0; q < t.queues(); ++q) {
          if (mb->consumer_offsets().QueryOffset(g.group(), g.topic(), q) <
              mb->store().GetMaxOffsetInQueue(g.topic(), q)) {
            return false;
          }
        }
      }
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> WorkloadNames() { return {"producers", "consumers (push or pull)"}; }

std::vector<std::unique_ptr<Workload>> MakeWorkloads(const scenario::Scenario& s) {
  std::vector<std::unique_ptr<Workload>> out;
  if (s.workload().producers_size() > 0) out.push_back(std::make_unique<ProducersWorkload>());
  if (s.workload().consumer_groups_size() > 0) {
    out.push_back(std::make_unique<ConsumersWorkload>());
  }
  return out;
}

const history::History& RunResult::history() const {
  return history_ptr ? *history_ptr : history::History::default_instance();
}

bool RunResult::ok() const {
  for (const auto& c : checks) {
    if (c.verdict == checkers::Verdict::kFail) return false;
  }
  return true;
}

// Everything one run holds: the world, the cluster, the workloads, the fault plan, the samplers
// and the recorded history. The constructor builds the cluster and runs the bring-up.
struct ScenarioRun::State {
  State(const scenario::Scenario& s, const RunOptions& options);
  ~State() { world.network().set_delivery_tap(nullptr); }

  static sim::WorldConfig MakeWorldConfig(const scenario::Scenario& sc, const RunOptions& o) {
    sim::WorldConfig wc;
    wc.seed = o.seed;
    wc.buggify = o.buggify || sc.buggify();
    wc.trace_to_stderr = o.trace_to_stderr;
    wc.trace_events_kept = 10'000;
    wc.count_event_kinds = o.count_event_kinds;
    wc.replay_command = o.replay_command;
    if (o.trace_listener || o.event_listener) {
      wc.trace_listener = [text = o.trace_listener,
                           event = o.event_listener](const StampedTraceEvent& e) {
        if (text) text(FormatTraceEvent(e));
        if (event) event(e);
      };
    }
    return wc;
  }

  const scenario::Scenario sc;
  const RunOptions o;
  // Before the world: the processes record into it, so it must outlive them.
  HistoryRecorder recorder;
  history::History& h;
  std::shared_ptr<const history::History> released;  // once finished (keeps `h` alive)
  sim::World world;

  faults::ClusterMap map;
  Cluster cluster;
  std::map<std::string, std::string> placement;
  std::map<std::string, sim::MachineId> machines;
  std::function<sim::MachineId(const std::string&)> machine_for;
  std::map<uint64_t, uint16_t> next_port;  // per machine: ports already used by brokers
  std::vector<Address> namesrv_addrs;
  std::string namesrv_list;
  std::map<std::string, std::string> proxy_addrs;
  std::vector<sim::ProcessId> proxy_pids;
  ProxyTap proxy_tap;
  std::unique_ptr<RunContext> ctx;
  std::vector<std::unique_ptr<Workload>> workloads;
  std::vector<TopicSpec> topics;
  sim::ProcessId admin;
  std::unique_ptr<RouteSampler> routes;
  std::unique_ptr<ProxySampler> proxy_sampler;
  MonoTime chaos_start{}, chaos_end{}, quiet_end{}, deadline{};
  std::unique_ptr<faults::FaultInjector> injector;
  std::unique_ptr<faults::RandomNemesis> nemesis;
  std::unique_ptr<faults::Timeline> timeline;
  std::function<void()> sample_brokers;

  // After the bring-up: where the run is, and its next milestone.
  ScenarioRun::Phase phase = ScenarioRun::Phase::kChaos;
  MonoTime next_check{};  // kDraining: the next convergence check
  MonoTime settle_end{};  // kSettling
  bool converged = false;
  std::vector<checkers::CheckResult> checks;  // once finished
};

ScenarioRun::State::State(const scenario::Scenario& s, const RunOptions& options)
    : sc(s),
      o(options),
      recorder([this] { return Ns(world.now()); }),
      h(recorder.history()),
      world(MakeWorldConfig(s, options)) {
  // The run's planted bugs are on while it runs events (here, and in each call that advances
  // it), so that runs alive side by side in one thread keep their own.
  ScopedPlantedBugs planted(o.planted_bugs);
  // Machines: by placement, else one per process; IPs in creation order.
  for (const auto& p : sc.topology().placement()) placement[p.process()] = p.machine();
  machine_for = [this](const std::string& process) {
    auto it = placement.find(process);
    const std::string& mname = it == placement.end() ? process : it->second;
    auto m = machines.find(mname);
    if (m != machines.end()) return m->second;
    const int n = static_cast<int>(machines.size()) + 1;
    std::string ip = "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
    sim::MachineConfig mc{.name = mname, .ip = ip};
    if (sc.topology().disk_mib() > 0) {
      mc.disk.capacity_bytes = static_cast<uint64_t>(sc.topology().disk_mib()) * 1024 * 1024;
    }
    sim::MachineId id = *world.AddMachine(mc);
    machines.emplace(mname, id);
    return id;
  };
  auto port_for = [this](sim::MachineId m, uint16_t base, uint16_t step) {
    auto [it, fresh] = next_port.try_emplace(m.value() * 100000 + base, base);
    uint16_t p = it->second;
    it->second = static_cast<uint16_t>(p + step);
    return p;
  };

  for (int i = 1; i <= sc.topology().name_servers(); ++i) {
    std::string name = NamesrvName(i);
    sim::MachineId m = machine_for(name);
    uint16_t port = port_for(m, kNamesrvPort, 1);
    namesrv::NamesrvConfig nc;
    nc.listen = Address{"0.0.0.0", port};
    auto pid = *world.AddProcess(m, name, [nc](Runtime& rt) {
      return std::make_unique<namesrv::NameServer>(rt, nc);
    });
    Address addr{world.machine_ip(m), port};
    map.processes.push_back({name, pid, m, faults::Role::kNameServer, "", -1, addr});
    cluster.namesrvs.push_back(pid);
    namesrv_addrs.push_back(addr);
    namesrv_list += (namesrv_list.empty() ? "" : ";") + addr.ToString();
  }
  h.mutable_config()->set_scenario(sc.name());
  h.mutable_config()->set_seed(o.seed);
  for (const auto& g : sc.topology().broker_groups()) {
    history::GroupConfig* gc = h.mutable_config()->add_groups();
    gc->set_name(g.name());
    gc->set_role(scenario::BrokerRole_Name(g.role()));
    gc->set_flush(scenario::FlushDiskType_Name(g.flush()));
    gc->set_slaves(g.slaves());
    for (int id = 0; id <= g.slaves(); ++id) {
      const std::string name = BrokerName(g.name(), id);
      sim::MachineId m = machine_for(name);
      // listenPort, and haListenPort = listenPort + 1: brokers on one machine step by 10.
      uint16_t port = port_for(m, kBrokerPort, 10);
      const std::string ip = world.machine_ip(m);
      broker::BrokerConfig bc;
      store::MessageStoreConfig stc = store::MessageStoreConfig::ForSimulation();
      auto apply = [&](const google::protobuf::Map<std::string, std::string>& conf) {
        for (const auto& [k, v] : std::map<std::string, std::string>(conf.begin(), conf.end())) {
          Status st = bc.SetByName(k, v);
          if (st.code() == StatusCode::kNotFound) st = stc.SetByName(k, v);
        }
      };
      apply(sc.topology().broker_conf());
      apply(g.conf());
      bc.broker_name = g.name();
      bc.broker_id = id;
      bc.broker_ip1 = ip;
      bc.listen_port = port;
      bc.ha_listen_port = static_cast<uint16_t>(port + 1);
      bc.namesrv_addrs = namesrv_addrs;
      stc.flush_disk_type = g.flush() == scenario::ASYNC_FLUSH ? store::FlushDiskType::kAsyncFlush
                                                               : store::FlushDiskType::kSyncFlush;
      stc.broker_role = id > 0 ? store::BrokerRole::kSlave
                        : g.role() == scenario::ASYNC_MASTER ? store::BrokerRole::kAsyncMaster
                                                             : store::BrokerRole::kSyncMaster;
      auto pid = *world.AddProcess(m, name, [bc, stc](Runtime& rt) {
        return std::make_unique<broker::Broker>(rt, bc, stc);
      });
      Address addr{ip, port};
      map.processes.push_back(
          {name, pid, m, id == 0 ? faults::Role::kMaster : faults::Role::kSlave, g.name(), id, addr});
      cluster.brokers.push_back(pid);
      cluster.addr_to_process[addr.ToString()] = name;
      gc->add_addresses(addr.ToString());
      if (id == 0) {
        cluster.master_addrs.push_back(addr);
        gc->set_master(name);
      } else {
        gc->add_slave_processes(name);
      }
    }
  }
  // Proxies: each fronts every group's master, in develop mode; acks follow their directive's
  // broker (one route per group), everything else goes round robin.
  {
    const int32_t queues = sc.workload().topics_size() > 0 ? sc.workload().topics(0).queues() : 4;
    proxy::Cluster brokers{.name = "brokers"};
    for (const auto& g : sc.topology().broker_groups()) {
      const faults::ProcessInfo* master = map.Find(BrokerName(g.name(), 0));
      brokers.hosts.push_back(proxy::Host{.address = master->address,
                                          .broker_name = g.name(),
                                          .broker_id = 0,
                                          .cluster_name = "DefaultCluster",
                                          .read_queue_num = queues,
                                          .write_queue_num = queues,
                                          .perm = 6});
    }
    for (const auto& px : sc.topology().proxies()) {
      sim::MachineId m = machine_for(px.name());
      // The listen port, then one port per broker group (its pulls, offsets and heartbeats).
      const uint16_t port = port_for(m, kProxyPort, 100);
      proxy::ProxyConfig pc;
      pc.listen = Address{"0.0.0.0", port};
      pc.advertise = Address{world.machine_ip(m), port};
      std::set<uint16_t> client_ports{port};
      for (const auto& g : sc.topology().broker_groups()) {
        const auto p = static_cast<uint16_t>(port + client_ports.size());
        pc.broker_listen[g.name()] = Address{"0.0.0.0", p};
        client_ports.insert(p);
      }
      pc.stat_prefix = px.name();
      pc.develop_mode = true;
      pc.request_timeout = DurationOr(px.request_timeout(), seconds(10));
      pc.clusters["brokers"] = brokers;
      for (const auto& g : sc.topology().broker_groups()) {
        for (int32_t code : {proxy::kEnvoyAckMessage, remoting::RequestCode::ACK_MESSAGE,
                             remoting::RequestCode::CHANGE_MESSAGE_INVISIBLETIME}) {
          pc.routes.push_back(proxy::Route{
              .topic = {proxy::StringMatch::Kind::kPrefix, ""},
              .headers = {{"code", std::to_string(code)}, {"broker_name", g.name()}},
              .cluster = "brokers",
              .metadata_match = {{"broker_name", g.name()}}});
        }
      }
      pc.routes.push_back(
          proxy::Route{.topic = {proxy::StringMatch::Kind::kPrefix, ""}, .cluster = "brokers"});
      auto pid = *world.AddProcess(m, px.name(), [pc](Runtime& rt) {
        return std::make_unique<proxy::RocketMQProxy>(rt, pc);
      });
      map.processes.push_back(
          {px.name(), pid, m, faults::Role::kProxy, "", -1, *pc.advertise});
      proxy_pids.push_back(pid);
      proxy_tap.AddProxy(pid.value(), px.name(), client_ports);
      proxy_addrs[px.name()] = pc.advertise->ToString();
      history::ProxyConfig* hp = h.mutable_config()->add_proxies();
      hp->set_name(px.name());
      for (const auto& pr : sc.workload().producers()) {
        if (pr.via_proxy() != px.name()) continue;
        for (int i = 1; i <= pr.count(); ++i) hp->add_producers(ProducerName(pr, i));
      }
    }
  }
  for (const auto& ns : map.WithRole(faults::Role::kNameServer)) {
    h.mutable_config()->add_name_servers(ns->name);
  }
  for (const auto& t : sc.workload().topics()) h.mutable_config()->add_topics(t.name());

  ctx = std::make_unique<RunContext>(
      RunContext{world, map, recorder, sc, namesrv_list, proxy_addrs, machine_for});
  // A send through a proxy is stored wherever the proxy routed it: the broker is the one whose
  // address the message id names, not the one the producer picked.
  if (!proxy_addrs.empty()) {
    recorder.store_broker = [this](const std::string& offset_msg_id) -> std::string {
      auto id = common::DecodeOffsetMessageId(offset_msg_id);
      if (!id.ok()) return {};
      for (const faults::ProcessInfo& p : map.processes) {
        if ((p.role == faults::Role::kMaster || p.role == faults::Role::kSlave) &&
            p.address.ToString() == id->store_host.ToString()) {
          return p.group;
        }
      }
      return {};
    };
  }
  workloads = MakeWorkloads(sc);
  for (auto& w : workloads) w->Setup(*ctx);
  for (const auto* p : map.WithRole(faults::Role::kProducer)) {
    h.mutable_config()->add_producers(p->name);
  }
  for (const auto& g : sc.workload().consumer_groups()) {
    history::ConsumerGroupConfig* cg = h.mutable_config()->add_consumer_groups();
    cg->set_group(g.group());
    cg->set_topic(g.topic());
    cg->set_subscription(g.subscription());
    cg->set_model(scenario::MessageModel_Name(g.model()));
    for (const auto* p : map.WithRole(faults::Role::kConsumer)) {
      if (p->group == g.group()) cg->add_consumers(p->name);
    }
    cg->set_max_reconsume_times(g.max_reconsume_times());
    cg->set_fails(g.failure_rate() > 0);
  }
  for (const auto& t : sc.workload().topics()) topics.push_back({t.name(), t.queues()});
  sim::MachineId admin_m = machine_for("admin");
  admin = *world.AddProcess(admin_m, "admin", [this](Runtime& rt) {
    return std::make_unique<TopicAdminApp>(rt, cluster.master_addrs, topics);
  });
  map.processes.push_back({"admin", admin, admin_m, faults::Role::kAdmin, "", -1, {}});
  h.mutable_config()->set_route_expiry_ns(ToNanos(seconds(120)));
  h.mutable_config()->set_route_scan_ns(ToNanos(seconds(10)));
  h.mutable_config()->set_register_interval_ns(ToNanos(seconds(30)));

  if (o.on_world) o.on_world(world, map);

  // Bring-up.
  routes = std::make_unique<RouteSampler>(world, map, cluster, &h);
  for (auto pid : cluster.namesrvs) RMQ_ASSERT(world.StartProcess(pid).ok());
  for (auto pid : cluster.brokers) RMQ_ASSERT(world.StartProcess(pid).ok());
  routes->SampleAll();
  routes->Arm();
  proxy_sampler = std::make_unique<ProxySampler>(world, map, proxy_tap, &h);
  if (!proxy_pids.empty()) {
    world.network().set_delivery_tap(
        [this](const sim::SimNetwork::Delivered& d) { proxy_tap.OnDelivered(d); });
  }
  for (auto pid : proxy_pids) RMQ_ASSERT(world.StartProcess(pid).ok());
  if (!proxy_pids.empty()) proxy_sampler->Arm();
  world.RunFor(seconds(1));
  RMQ_ASSERT(world.StartProcess(admin).ok());
  world.RunUntil(
      [this] {
        auto* a = world.service_as<TopicAdminApp>(admin);
        return a != nullptr && a->done();
      },
      world.now() + kTopicCreationMax);
  world.RunFor(seconds(1));
  for (auto& w : workloads) w->Start(*ctx);

  chaos_start = world.now() + DurationOr(sc.phases().warmup(), seconds(30));
  chaos_end = chaos_start + DurationOr(sc.phases().chaos(), minutes(5));
  quiet_end = chaos_end + DurationOr(sc.phases().quiet(), minutes(2));
  deadline = chaos_end + DurationOr(sc.phases().quiet_max(), minutes(2));
  h.mutable_config()->set_chaos_start_ns(Ns(chaos_start));
  h.mutable_config()->set_chaos_end_ns(Ns(chaos_end));

  injector =
      std::make_unique<faults::FaultInjector>(world, map, &h, DeriveSeed(o.seed, "faults"));
  recorder.on_send_ok = [this](const std::string& group) { injector->OnSendOk(group); };
  if (sc.faults().nemesis().enabled()) {
    nemesis = std::make_unique<faults::RandomNemesis>(world, map, *injector, sc.faults().nemesis(),
                                                      DeriveSeed(o.seed, "nemesis"), chaos_start,
                                                      chaos_end);
    nemesis->Arm();
  }
  timeline = std::make_unique<faults::Timeline>(world, map, *injector, sc.faults().timeline(),
                                                chaos_start, DeriveSeed(o.seed, "timeline"));
  timeline->Arm();
  sample_brokers = [this] {
    SampleBrokers(world, map, cluster, &h);
    world.Schedule(kBrokerSampleInterval, sample_brokers);
  };
  world.Schedule(kBrokerSampleInterval, sample_brokers);
}

ScenarioRun::ScenarioRun(const scenario::Scenario& s, const RunOptions& options)
    : state_(std::make_unique<State>(s, options)) {}

ScenarioRun::~ScenarioRun() = default;

sim::World& ScenarioRun::world() { return state_->world; }
const sim::World& ScenarioRun::world() const { return state_->world; }
const faults::ClusterMap& ScenarioRun::map() const { return state_->map; }
faults::FaultInjector& ScenarioRun::injector() { return *state_->injector; }
const history::History& ScenarioRun::history() const { return state_->h; }
const scenario::Scenario& ScenarioRun::scenario() const { return state_->sc; }
const RunOptions& ScenarioRun::options() const { return state_->o; }
MonoTime ScenarioRun::chaos_start() const { return state_->chaos_start; }
MonoTime ScenarioRun::chaos_end() const { return state_->chaos_end; }
MonoTime ScenarioRun::quiet_end() const { return state_->quiet_end; }
ScenarioRun::Phase ScenarioRun::phase() const { return state_->phase; }
bool ScenarioRun::ended() const {
  return state_->phase == Phase::kEnded || state_->phase == Phase::kFinished;
}

std::string ScenarioRun::PhaseName() const {
  switch (state_->phase) {
    case Phase::kChaos:
      return state_->world.now() < state_->chaos_start ? "warmup" : "chaos";
    case Phase::kQuiet:
      return "quiet";
    case Phase::kDraining:
      return "drain";
    case Phase::kSettling:
      return "settle";
    case Phase::kEnded:
      return "ended";
    case Phase::kFinished:
      return "finished";
  }
  return "?";
}

MonoTime ScenarioRun::NextMilestone() const {
  const State& s = *state_;
  switch (s.phase) {
    case Phase::kChaos:
      return s.chaos_end;
    case Phase::kQuiet:
      return s.quiet_end;
    case Phase::kDraining:
      return s.next_check;
    case Phase::kSettling:
      return s.settle_end;
    default:
      return s.world.now();
  }
}

// The end of the chaos phase heals every fault; the end of the quiet phase stops the producers;
// then the run waits, a second at a time, for the groups to catch up (or quiet_max), lets the
// proxied consumers settle, and takes the last samples.
void ScenarioRun::Milestone() {
  State& s = *state_;
  switch (s.phase) {
    case Phase::kChaos:
      s.injector->HealAll();
      s.phase = Phase::kQuiet;
      return;
    case Phase::kQuiet:
      for (auto& w : s.workloads) w->Drain(*s.ctx);
      CheckConvergence();
      return;
    case Phase::kDraining:
      CheckConvergence();
      return;
    case Phase::kSettling:
      EndSample();
      return;
    default:
      return;
  }
}

void ScenarioRun::CheckConvergence() {
  State& s = *state_;
  s.converged = Converged(s.world, s.map, s.sc, s.recorder);
  if (!s.converged && s.world.now() < std::max(s.deadline, s.quiet_end + seconds(30))) {
    s.phase = Phase::kDraining;
    s.next_check = s.world.now() + seconds(1);
    return;
  }
  // Consumers keep long polls open through their proxy for ever. Before the at-rest sample, the
  // proxied pop consumers are paused (their last pops end within the poll time) and the other
  // proxied consumers are stopped (their held pulls end with their connections).
  Duration settle{};
  for (const auto& g : s.sc.workload().consumer_groups()) {
    if (g.via_proxy().empty()) continue;
    const bool pop = g.kind() == scenario::POP;
    settle = std::max(settle, pop ? DurationOr(g.poll_time(), kPopPollTime) + seconds(2)
                                  : kConsumerStopGrace + seconds(1));
    for (const faults::ProcessInfo* p : s.map.WithRole(faults::Role::kConsumer)) {
      if (p->group != g.group()) continue;
      if (!pop) {
        if (s.world.IsRunning(p->pid)) s.world.StopProcess(p->pid, kConsumerStopGrace);
        continue;
      }
      auto* app = s.world.service_as<PopConsumerApp>(p->pid);
      if (app != nullptr && app->consumer() != nullptr) app->consumer()->set_paused(true);
    }
  }
  if (settle > Duration::zero()) {
    s.phase = Phase::kSettling;
    s.settle_end = s.world.now() + settle;
    return;
  }
  EndSample();
}

void ScenarioRun::EndSample() {
  State& s = *state_;
  s.routes->SampleAll();
  SampleBrokers(s.world, s.map, s.cluster, &s.h);
  s.proxy_sampler->SampleAll(/*at_rest=*/s.converged);
  s.h.mutable_config()->set_end_ns(Ns(s.world.now()));
  RecordEndState(s.world, s.map, s.sc, &s.h);
  s.phase = Phase::kEnded;
}

void ScenarioRun::RunUntil(MonoTime target) {
  ScopedPlantedBugs planted(state_->o.planted_bugs);
  while (!ended()) {
    const MonoTime m = NextMilestone();
    if (m > target) {
      state_->world.RunUntil(target);
      return;
    }
    state_->world.RunUntil(m);
    Milestone();
  }
}

bool ScenarioRun::RunUntil(const std::function<bool()>& pred, Duration check_every,
                           MonoTime deadline) {
  ScopedPlantedBugs planted(state_->o.planted_bugs);
  while (true) {
    if (pred()) return true;
    if (ended() || state_->world.now() >= deadline) return false;
    RunUntil(std::min(deadline, state_->world.now() + check_every));
  }
}

void ScenarioRun::RunToEnd() {
  ScopedPlantedBugs planted(state_->o.planted_bugs);
  while (!ended()) {
    state_->world.RunUntil(NextMilestone());
    Milestone();
  }
}

bool ScenarioRun::Step() {
  if (ended()) return false;
  ScopedPlantedBugs planted(state_->o.planted_bugs);
  const MonoTime m = NextMilestone();
  const std::optional<MonoTime> next = state_->world.NextEventTime();
  if (next.has_value() && *next <= m) return state_->world.Step();
  state_->world.RunUntil(m);
  Milestone();
  return true;
}

RunResult ScenarioRun::Finish() {
  ScopedPlantedBugs planted(state_->o.planted_bugs);
  RunToEnd();
  State& s = *state_;
  RunResult r;
  r.converged = s.converged;
  r.scenario = s.sc.name();
  r.seed = s.o.seed;
  r.digest = s.world.digest();
  r.events = s.world.events_processed();
  r.event_kinds = s.world.EventKindCounts();
  for (const auto& [site, st] : s.world.buggify().sites()) {
    r.buggify_sites[ShortSiteName(site)] = {st.active, st.fired};
  }
  r.trace_events = s.world.trace_events_emitted();
  r.simulated = s.world.now() - MonoTime{};
  if (s.phase != Phase::kFinished) {
    r.checks = checkers::RunCheckers(s.h, s.sc.checks(), s.sc.has_checks());
    s.released = s.recorder.Release();
    s.phase = Phase::kFinished;
    s.checks = r.checks;
  } else {
    r.checks = s.checks;
  }
  r.history_ptr = s.released;
  s.world.network().set_delivery_tap(nullptr);
  return r;
}

RunResult RunScenario(const scenario::Scenario& sc, const RunOptions& o) {
  ScenarioRun run(sc, o);
  return run.Finish();
}

// ------------------------------------------------------------------------------ summary

std::string ShortSiteName(std::string_view site) {
  size_t best = std::string_view::npos;
  for (std::string_view root : {"system/", "sim/", "scenarios/", "faults/", "tests/"}) {
    // The last "/<root>" (or the root at the very start): the path from the project root.
    size_t at = site.rfind("/" + std::string(root));
    if (at != std::string_view::npos) {
      at += 1;
    } else if (site.substr(0, root.size()) == root) {
      at = 0;
    }
    if (at != std::string_view::npos && (best == std::string_view::npos || at > best)) best = at;
  }
  return std::string(best == std::string_view::npos ? site : site.substr(best));
}

std::string FormatRunSummary(const RunResult& r, const scenario::Scenario& sc,
                             const RunOptions& o) {
  const history::History& h = r.history();
  SummaryWriter w;
  w.Line("rmqsim run %s  seed=%" PRIu64 "  chaos=%s  quiet=%s  buggify=%s", sc.name().c_str(),
         r.seed, sc.phases().chaos().c_str(), sc.phases().quiet().c_str(),
         (o.buggify || sc.buggify()) ? "on" : "off");
  for (const auto& bug : o.planted_bugs) {
    w.Line("  PLANTED BUG    %s (a deliberate defect, for measuring the checkers)", bug.c_str());
  }
  std::string groups;
  for (const auto& g : sc.topology().broker_groups()) {
    groups += (groups.empty() ? "" : ", ") + g.name() + " " +
              scenario::BrokerRole_Name(g.role()) + "/" + scenario::FlushDiskType_Name(g.flush()) +
              " +" + std::to_string(g.slaves()) + " slave" + (g.slaves() == 1 ? "" : "s");
  }
  w.Line("  topology       %d name servers; %s%s", sc.topology().name_servers(), groups.c_str(),
         sc.topology().disk_mib() > 0
             ? ("; disks of " + std::to_string(sc.topology().disk_mib()) + " MiB").c_str()
             : "");
  int producers = 0;
  double rate = 0;
  for (const auto& p : sc.workload().producers()) {
    producers += p.count();
    rate += p.count() * p.rate();
  }
  std::string cgs;
  for (const auto& g : sc.workload().consumer_groups()) {
    cgs += (cgs.empty() ? "" : ", ") + g.group() + " (" + std::to_string(g.consumers()) + " " +
           (g.model() == scenario::BROADCASTING ? "broadcasting" : "clustering") +
           (g.kind() == scenario::PULL ? " pull" : g.kind() == scenario::POP ? " pop" : "") +
           (g.via_proxy().empty() ? "" : " via " + g.via_proxy()) +
           (g.subscription() == "*" ? "" : ", " + g.subscription()) +
           (g.failure_rate() > 0 ? ", failing" : "") + ")";
  }
  w.Line("  workload       %d producers, %.0f msg/s in all; consumer groups: %s", producers, rate,
         cgs.c_str());
  for (size_t i = 0; i < o.swarm_drawn.size(); ++i) {
    w.Line("  %-14s %s", i == 0 ? "swarm" : "", o.swarm_drawn[i].c_str());
  }
  w.Simulated(r.simulated, r.events, r.trace_events);
  if (!r.buggify_sites.empty()) {
    size_t enabled = 0;
    uint64_t fired = 0;
    std::string hit;
    for (const auto& [site, st] : r.buggify_sites) {
      enabled += st.enabled ? 1 : 0;
      fired += st.fired;
      if (st.fired > 0) {
        std::string name = site.substr(site.find_last_of('/') + 1);
        hit += (hit.empty() ? "" : ", ") + name + " x" + std::to_string(st.fired);
      }
    }
    w.Line("  buggify        %zu sites reached, %zu enabled, %" PRIu64 " firings%s%s",
           r.buggify_sites.size(), enabled, fired, hit.empty() ? "" : ": ", hit.c_str());
  }
  // Faults by kind and role.
  std::map<std::string, std::map<std::string, int>> by_kind;
  for (const auto& f : h.faults()) {
    std::set<std::string> roles(f.roles().begin(), f.roles().end());
    auto& row = by_kind[f.kind()];
    if (roles.empty()) ++row["-"];
    for (const auto& role : roles) ++row[role];
  }
  w.Line("  faults         %d injected", h.faults_size());
  for (const auto& [kind, roles] : by_kind) {
    std::string line;
    int total = 0;
    for (const auto& [role, n] : roles) {
      line += " " + role + "=" + std::to_string(n);
      total = std::max(total, n);
    }
    w.Line("                 %-26s%s", kind.c_str(), line.c_str());
  }
  // Sends: the counts add up.
  uint64_t ok = 0, other = 0, unknown = 0, failed = 0, pending = 0;
  std::map<std::string, uint64_t> statuses;
  for (const auto& s : h.sends()) {
    switch (s.outcome()) {
      case history::OK:
        if (s.status() == "SEND_OK") {
          ++ok;
        } else {
          ++other;
          ++statuses[s.status()];
        }
        break;
      case history::UNKNOWN: ++unknown; break;
      case history::FAIL: ++failed; break;
      default: ++pending; break;
    }
  }
  w.Line("  sends          %d invoked = %" PRIu64 " SEND_OK + %" PRIu64 " stored with another "
         "status + %" PRIu64 " unknown outcome + %" PRIu64 " failed + %" PRIu64 " unanswered",
         h.sends_size(), ok, other, unknown, failed, pending);
  if (other > 0) {
    std::string line;
    for (const auto& [st, n] : statuses) line += " " + st + "=" + std::to_string(n);
    w.Line("                 other statuses:%s", line.c_str());
  }
  uint64_t consumed = 0;
  for (const auto& d : h.deliveries()) consumed += d.consumed() ? 1 : 0;
  w.Line("  deliveries     %d (%" PRIu64 " consumed, %" PRIu64 " to be retried or dead-lettered)",
         h.deliveries_size(), consumed, static_cast<uint64_t>(h.deliveries_size()) - consumed);
  w.Line("  drain          %s", r.converged ? "converged (every group caught up, slaves equal)"
                                            : "did not converge before quiet_max");
  for (const auto& c : r.checks) {
    w.Line("  check %-9s %s: %s", c.checker.c_str(), std::string(checkers::VerdictName(c.verdict)).c_str(),
           c.headline.c_str());
    constexpr size_t kNotesShown = 8;  // the rest are in the exported history and metrics
    for (size_t i = 0; i < c.notes.size() && i < kNotesShown; ++i) {
      w.Line("      %s", c.notes[i].c_str());
    }
    if (c.notes.size() > kNotesShown) {
      w.Line("      ... %zu more notes", c.notes.size() - kNotesShown);
    }
    for (const auto& v : c.violations) w.Line("      violation: %s", v.c_str());
    if (c.violations_total > c.violations.size()) {
      w.Line("      ... %" PRIu64 " violations in all", c.violations_total);
    }
  }
  w.Footer(r.digest, r.ok(), o.replay_command);
  return w.Take();
}

}  // namespace rmqsim::scenarios
