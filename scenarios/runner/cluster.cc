#include "scenarios/runner/cluster.h"

#include <cinttypes>

#include "scenarios/runner/summary.h"
#include <cstdio>
#include <map>
#include <set>

#include "sim/base/lifetime.h"
#include "sim/runtime/task.h"
#include "sim/simulated/world.h"
#include "system/broker/broker.h"
#include "system/client/default_mq_producer.h"
#include "system/client/default_mq_push_consumer.h"
#include "system/client/mq_client_instance.h"
#include "system/common/byte_buffer.h"
#include "system/namesrv/name_server.h"
#include "system/remoting/remoting_client.h"

namespace rmqsim::scenarios {

namespace {

constexpr const char* kTopic = "ChaosTopic";
constexpr const char* kConsumerGroup = "chaos_cg";

// What every client saw, recorded outside the processes (it survives their deaths).
struct History {
  uint64_t invoked = 0, ok = 0, other_status = 0, failed = 0, deliveries = 0;
  uint64_t flush_disk_timeout = 0, flush_slave_timeout = 0, slave_not_available = 0;
  std::map<std::string, int> acked;          // key -> 1 (SEND_OK)
  std::set<std::string> sent;                // every key ever invoked
  std::set<std::string> failed_keys;         // unknown outcome
  std::map<std::string, int> delivered;      // key -> times
};

// A producer process: one MQClientInstance and a sync-send loop at a fixed rate.
class ProducerApp final : public Service {
 public:
  ProducerApp(Runtime& rt, client::ClientConfig cfg, std::string name, Duration interval,
              History* history)
      : rt_(rt), instance_(rt, std::move(cfg)), name_(std::move(name)), interval_(interval),
        history_(history) {}
  Status Start() override {
    producer_ = std::make_unique<client::DefaultMQProducer>(
        instance_, client::ProducerConfig{.producer_group = "chaos_pg"});
    RMQ_RETURN_IF_ERROR(producer_->Start());
    nonce_ = rt_.random().Next64() % 1'000'000'000;
    scope_.Spawn(Loop());
    return Status::Ok();
  }
  void Stop(std::function<void()> done) override { scope_.Spawn(StopTask(std::move(done))); }

 private:
  // Starts one send every interval, whether or not earlier ones have finished (so the rate is
  // the configured one), with at most kSendsInFlightMax sends outstanding.
  static constexpr int kSendsInFlightMax = 256;
  Task<void> Loop() {
    uint64_t seq = 0;
    while (true) {
      co_await Sleep(rt_.executor(), interval_);
      if (in_flight_ >= kSendsInFlightMax) continue;  // back-pressure: skip this slot
      std::string key = name_ + "-" + std::to_string(nonce_) + "-" + std::to_string(++seq);
      scope_.Spawn(SendOne(std::move(key), seq));
    }
  }
  Task<void> SendOne(std::string key, uint64_t seq) {
    ++in_flight_;
    common::Message msg(kTopic, common::BytesFromString("payload of " + key));
    msg.SetTags(seq % 2 == 0 ? "TagA" : "TagB");
    msg.SetKeys(key);
    ++history_->invoked;
    history_->sent.insert(key);
    auto result = co_await producer_->Send(std::move(msg));
    --in_flight_;
    if (!result.ok()) {
      ++history_->failed;
      history_->failed_keys.insert(key);
    } else if (result->send_status == client::SendStatus::SEND_OK) {
      ++history_->ok;
      history_->acked[key] = 1;
    } else {
      ++history_->other_status;
      switch (result->send_status) {
        case client::SendStatus::FLUSH_DISK_TIMEOUT:
          ++history_->flush_disk_timeout;
          break;
        case client::SendStatus::FLUSH_SLAVE_TIMEOUT:
          ++history_->flush_slave_timeout;
          break;
        case client::SendStatus::SLAVE_NOT_AVAILABLE:
          ++history_->slave_not_available;
          break;
        default:
          break;
      }
    }
  }
  Task<void> StopTask(std::function<void()> done) {
    if (producer_) co_await producer_->Shutdown();
    co_await instance_.Shutdown();
    rt_.executor().Post(std::move(done));
  }
  Runtime& rt_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQProducer> producer_;
  std::string name_;
  Duration interval_;
  History* history_;
  uint64_t nonce_ = 0;
  int in_flight_ = 0;
  TaskScope scope_;
};

// A push consumer process in the clustering group.
class ConsumerApp final : public Service {
 public:
  ConsumerApp(Runtime& rt, client::ClientConfig cfg, History* history)
      : rt_(rt), instance_(rt, std::move(cfg)), history_(history) {}
  Status Start() override {
    consumer_ = std::make_unique<client::DefaultMQPushConsumer>(
        instance_, client::PushConsumerConfig{
                       .consumer_group = kConsumerGroup,
                       .consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset});
    RMQ_RETURN_IF_ERROR(consumer_->Subscribe(kTopic, "*"));
    History* h = history_;
    consumer_->RegisterMessageListener(
        [h](const std::vector<common::MessageExt>& msgs, client::ConsumeConcurrentlyContext&) {
          for (const auto& m : msgs) {
            ++h->deliveries;
            ++h->delivered[m.message.keys()];
          }
          return client::ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
        });
    return consumer_->Start();
  }
  void Stop(std::function<void()> done) override { scope_.Spawn(StopTask(std::move(done))); }

 private:
  Task<void> StopTask(std::function<void()> done) {
    if (consumer_) co_await consumer_->Shutdown();
    co_await instance_.Shutdown();
    rt_.executor().Post(std::move(done));
  }
  Runtime& rt_;
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQPushConsumer> consumer_;
  History* history_;
  TaskScope scope_;
};

// Creates the topic on every broker (UPDATE_AND_CREATE_TOPIC), retrying until each answers.
class AdminApp final : public Service {
 public:
  AdminApp(Runtime& rt, std::vector<Address> brokers) : rt_(rt), client_(rt),
                                                        brokers_(std::move(brokers)) {}
  Status Start() override {
    for (const auto& b : brokers_) CreateOn(b);
    return Status::Ok();
  }
  int created = 0;

 private:
  void CreateOn(Address broker) {
    auto req = remoting::RemotingCommand::CreateRequest(
        remoting::RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", kTopic);
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", 4);
    req.SetExtFieldInt("writeQueueNums", 4);
    req.SetExtFieldInt("perm", 6);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldBool("order", false);
    client_.Invoke(broker, req, seconds(3),
                   guard_.Wrap([this, broker](StatusOr<remoting::RemotingCommand> r) {
                     if (r.ok() && r->code == remoting::ResponseCode::SUCCESS) {
                       ++created;
                       return;
                     }
                     rt_.executor().ScheduleAfter(seconds(1),
                                                  guard_.Wrap([this, broker] { CreateOn(broker); }));
                   }));
  }
  Runtime& rt_;
  remoting::RemotingClient client_;
  std::vector<Address> brokers_;
  LifetimeGuard guard_;
};

}  // namespace

ClusterResult RunCluster(const ClusterOptions& o) {
  History history;  // before the world: outlives every process that records into it
  sim::WorldConfig wc;
  wc.seed = o.seed;
  wc.buggify = o.buggify;
  wc.trace_to_stderr = o.trace_to_stderr;
  wc.trace_events_kept = 10'000;
  wc.replay_command = o.replay_command;
  sim::World world(wc);

  std::vector<sim::MachineId> machines;
  std::vector<sim::ProcessId> targets;
  std::string namesrv_list;
  std::vector<Address> namesrv_addrs;
  for (int i = 1; i <= o.namesrvs; ++i) {
    std::string ip = "10.0.0." + std::to_string(i);
    auto m = *world.AddMachine({.name = "ns-" + std::to_string(i), .ip = ip});
    auto p = *world.AddProcess(m, "namesrv-" + std::to_string(i), [](Runtime& rt) {
      return std::make_unique<namesrv::NameServer>(rt, namesrv::NamesrvConfig{});
    });
    machines.push_back(m);
    targets.push_back(p);
    namesrv_list += (namesrv_list.empty() ? "" : ";") + ip + ":9876";
    namesrv_addrs.push_back(Address{ip, 9876});
  }
  std::vector<Address> broker_addrs;
  std::vector<sim::ProcessId> slave_pids;
  for (int i = 0; i < o.brokers; ++i) {
    const std::string group = std::string("broker-") + static_cast<char>('a' + i);
    // The master (brokerId 0) on 10.0.1.x, its slaves (brokerId 1..n) on 10.0.(4+j).x.
    for (int id = 0; id <= o.slaves; ++id) {
      const std::string name = id == 0 ? group : group + "-s" + std::to_string(id);
      const std::string ip =
          (id == 0 ? "10.0.1." : "10.0." + std::to_string(3 + id) + ".") + std::to_string(i + 1);
      auto m = *world.AddMachine({.name = name, .ip = ip});
      if (id == 0) broker_addrs.push_back(Address{ip, 10911});
      auto p = *world.AddProcess(m, name, [=](Runtime& rt) {
        broker::BrokerConfig bc;
        bc.broker_name = group;
        bc.broker_id = id;
        bc.broker_ip1 = ip;
        bc.namesrv_addrs = namesrv_addrs;
        bc.slave_read_enable = o.slave_read_enable;
        store::MessageStoreConfig sc = store::MessageStoreConfig::ForSimulation();
        sc.flush_disk_type =
            o.sync_flush ? store::FlushDiskType::kSyncFlush : store::FlushDiskType::kAsyncFlush;
        sc.broker_role = id > 0           ? store::BrokerRole::kSlave
                         : o.sync_master ? store::BrokerRole::kSyncMaster
                                         : store::BrokerRole::kAsyncMaster;
        return std::make_unique<broker::Broker>(rt, bc, sc);
      });
      machines.push_back(m);
      targets.push_back(p);
      if (id > 0) slave_pids.push_back(p);
    }
  }
  auto client_config = [&](const std::string& ip, const std::string& name) {
    client::ClientConfig cc;
    cc.namesrv_addr = namesrv_list;
    cc.client_ip = ip;
    cc.instance_name = name;
    return cc;
  };
  Duration interval(static_cast<int64_t>(1e9 / std::max(0.001, o.rate_per_producer)));
  for (int i = 1; i <= o.producers; ++i) {
    std::string name = "producer-" + std::to_string(i);
    std::string ip = "10.0.2." + std::to_string(i);
    auto m = *world.AddMachine({.name = name, .ip = ip});
    auto p = *world.AddProcess(m, name, [&, name, ip, interval](Runtime& rt) {
      return std::make_unique<ProducerApp>(rt, client_config(ip, name), name, interval, &history);
    });
    machines.push_back(m);
    targets.push_back(p);
  }
  for (int i = 1; i <= o.consumers; ++i) {
    std::string name = "consumer-" + std::to_string(i);
    std::string ip = "10.0.3." + std::to_string(i);
    auto m = *world.AddMachine({.name = name, .ip = ip});
    auto p = *world.AddProcess(m, name, [&, name, ip](Runtime& rt) {
      return std::make_unique<ConsumerApp>(rt, client_config(ip, name), &history);
    });
    machines.push_back(m);
    targets.push_back(p);
  }
  auto admin_machine = *world.AddMachine({.name = "admin", .ip = "10.0.9.1"});
  auto admin = *world.AddProcess(admin_machine, "admin", [&](Runtime& rt) {
    return std::make_unique<AdminApp>(rt, broker_addrs);
  });

  // Bring-up: name servers and brokers, the topic, then the clients.
  for (auto p : targets) {
    const std::string& n = world.process_name(p);
    if (n.rfind("namesrv", 0) == 0 || n.rfind("broker", 0) == 0) RMQ_ASSERT(world.StartProcess(p).ok());
  }
  world.RunFor(seconds(1));
  RMQ_ASSERT(world.StartProcess(admin).ok());
  world.RunFor(seconds(2));
  for (auto p : targets) {
    const std::string& n = world.process_name(p);
    if (n.rfind("producer", 0) == 0 || n.rfind("consumer", 0) == 0) {
      RMQ_ASSERT(world.StartProcess(p).ok());
    }
  }

  MonoTime chaos_start = world.now() + seconds(30);
  MonoTime chaos_end = chaos_start + o.chaos;
  faults::NemesisOptions no;
  no.seed = DeriveSeed(o.seed, "nemesis");
  no.start = chaos_start;
  no.stop = chaos_end;
  no.mean_interval = o.fault_mean_interval;
  no.machines = machines;
  no.processes = targets;
  faults::RandomNemesis nemesis(world, no);
  if (o.faults) nemesis.Arm();

  world.RunUntil(chaos_end);
  uint64_t acked_at_end = history.ok;
  world.RunUntil(chaos_end + o.quiet);

  ClusterResult r;
  r.seed = o.seed;
  r.sends_invoked = history.invoked;
  r.send_ok = history.ok;
  r.send_other_status = history.other_status;
  r.send_failed = history.failed;
  r.flush_disk_timeout = history.flush_disk_timeout;
  r.flush_slave_timeout = history.flush_slave_timeout;
  r.slave_not_available = history.slave_not_available;
  for (sim::ProcessId p : slave_pids) {
    auto* b = world.service_as<broker::Broker>(p);
    if (b == nullptr || b->ha() == nullptr) continue;
    if (b->ha()->slave_diverged() || b->store().reput_stalled_at()) ++r.slaves_diverged;
    if (b->ha()->connected_to_master()) ++r.slaves_connected;
  }
  r.deliveries = history.deliveries;
  r.acked_during_quiet = history.ok - acked_at_end;
  for (const auto& [key, one] : history.acked) {
    if (!history.delivered.contains(key)) {
      ++r.lost;
      if (r.lost_examples.size() < 5) r.lost_examples.push_back(key);
    }
  }
  for (const auto& [key, times] : history.delivered) {
    if (times > 1) ++r.duplicated;
    if (!history.sent.contains(key)) ++r.unexpected;
    if (history.failed_keys.contains(key)) ++r.recovered;
  }
  r.fault_history = nemesis.history();
  bool power_loss_on_broker = false;
  for (const auto& f : r.fault_history) {
    if (f.kind == faults::FaultKind::kPowerCycle && f.target.rfind("broker", 0) == 0) {
      power_loss_on_broker = true;
    }
  }
  r.loss_allowed = !o.sync_flush && power_loss_on_broker;
  r.delivery_ok = r.unexpected == 0 && (r.lost == 0 || r.loss_allowed);
  r.liveness_ok = r.acked_during_quiet > 0;
  r.digest = world.digest();
  r.events = world.events_processed();
  r.trace_events = world.trace_events_emitted();
  r.simulated = world.now() - MonoTime{};
  return r;
}

std::string FormatClusterSummary(const ClusterResult& r, const ClusterOptions& o) {
  SummaryWriter w;
  w.Line("rmqsim cluster  seed=%" PRIu64 "  chaos=%s  quiet=%s  flush=%s  buggify=%s", r.seed,
       FormatDuration(o.chaos).c_str(), FormatDuration(o.quiet).c_str(),
       o.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH", o.buggify ? "on" : "off");
  w.Line("  topology       %d name servers, %d broker groups (%s, %d slave%s each%s), "
         "%d producers at %.0f msg/s, %d push consumers (clustering)",
         o.namesrvs, o.brokers, o.sync_master ? "SYNC_MASTER" : "ASYNC_MASTER", o.slaves,
         o.slaves == 1 ? "" : "s", o.slave_read_enable ? ", slaveReadEnable" : "", o.producers,
         o.rate_per_producer, o.consumers);
  w.Simulated(r.simulated, r.events, r.trace_events);
  w.Faults(r.fault_history);
  w.Line("  sends          %" PRIu64 " invoked: %" PRIu64 " SEND_OK, %" PRIu64
       " other status, %" PRIu64 " failed (unknown outcome)",
       r.sends_invoked, r.send_ok, r.send_other_status, r.send_failed);
  if (r.send_other_status > 0) {
    w.Line("                 other: %" PRIu64 " FLUSH_DISK_TIMEOUT, %" PRIu64
           " FLUSH_SLAVE_TIMEOUT, %" PRIu64 " SLAVE_NOT_AVAILABLE",
           r.flush_disk_timeout, r.flush_slave_timeout, r.slave_not_available);
  }
  if (o.slaves > 0) {
    w.Line("  slaves         %" PRIu64 " of %d connected to their master at the end, %" PRIu64
           " diverged at the end (their master lost a tail they had, as 4.x allows)",
           r.slaves_connected, o.brokers * o.slaves, r.slaves_diverged);
  }
  w.Line("  deliveries     %" PRIu64 " (%" PRIu64 " keys delivered more than once, %" PRIu64
       " failed sends delivered anyway)",
       r.deliveries, r.duplicated, r.recovered);
  w.Line("  check delivery   %s: %" PRIu64 " SEND_OK never delivered%s, %" PRIu64
       " delivered but never sent",
       r.delivery_ok ? "PASS" : "FAIL", r.lost,
       r.loss_allowed ? " (allowed: ASYNC_FLUSH with broker power loss)" : "", r.unexpected);
  for (const auto& e : r.lost_examples) w.Line("      lost: %s", e.c_str());
  w.Line("  check liveness   %s: %" PRIu64 " SEND_OK in the quiet phase",
       r.liveness_ok ? "PASS" : "FAIL", r.acked_during_quiet);
  w.Footer(r.digest, r.ok(), o.replay_command);
  return w.Take();
}

}  // namespace rmqsim::scenarios
