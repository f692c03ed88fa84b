// Broker high availability end to end in the simulated world: real NameServer, real Broker
// masters and slaves (brokerId 0 / 1 of one broker name, HA over haListenPort), real producers
// and push consumers. Faults come from the world (kill -9, power loss, isolation).
//
// What 4.9.8 promises and what it does not (reference §5.1, §5.2, §5.4, §5.11, §5.12):
// - SYNC_FLUSH: a put is answered after its fsync, so nothing acknowledged is lost by a crash
//   or a power loss of the master. ASYNC_FLUSH: the page cache survives a kill -9 but not a
//   power loss.
// - SYNC_MASTER: SEND_OK means a slave acknowledged the bytes; without a slave the answer is
//   SLAVE_NOT_AVAILABLE (the message is stored anyway).
// - There is no failover of writes in 4.x (no DLedger): while a master is down its broker name
//   takes no sends; consumers read from the slave (the route lists only the slave).
// - A master that lost a tail its slave has (power loss under ASYNC_FLUSH) is not detected: the
//   slave appends whatever the master pushes from the slave's larger offset, acknowledges it, and
//   its dispatch stalls on the garbage. See DivergedSlaveAcknowledgesWhatItCannotServe.
#include <gtest/gtest.h>

#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "system/broker/broker.h"
#include "system/common/stored_message.h"
#include "system/common/subscription_group.h"
#include "tests/system/client/client_test_util.h"
#include "tests/system/store/ha_test_util.h"

namespace rmqsim::client::testing {
namespace {

using store::BrokerRole;
using store::FlushDiskType;

constexpr char kTopic[] = "TopicTest";
constexpr int kQueues = 4;

struct BrokerSpec {
  std::string name = "broker-a";
  std::string ip = "10.0.0.2";
  int64_t id = 0;
  BrokerRole role = BrokerRole::kAsyncMaster;
  FlushDiskType flush = FlushDiskType::kAsyncFlush;
  // ASYNC_FLUSH knobs, to keep a tail unflushed on purpose.
  Duration thorough_flush = seconds(10);
  int32_t least_pages = 4;
  bool slave_read_enable = false;
  int64_t physical_memory = 0;  // 0: MessageStoreConfig::ForSimulation's
};

std::string Label(BrokerRole role) {
  return std::string(store::BrokerRoleName(role));
}
std::string Label(FlushDiskType flush) {
  return std::string(store::FlushDiskTypeName(flush));
}

class HaWorld : public ClientWorld {
 public:
  HaWorld() {
    as_m_ = *world_.AddMachine({.name = "broker-a-s", .ip = "10.0.0.4"});
    bs_m_ = *world_.AddMachine({.name = "broker-b-s", .ip = "10.0.0.5"});
  }

  sim::ProcessId AddBroker(sim::MachineId m, const BrokerSpec& spec, bool start = true) {
    auto pid =
        *world_.AddProcess(m, spec.name + "-" + std::to_string(spec.id), [spec](Runtime& rt) {
          broker::BrokerConfig bc;
          bc.broker_name = spec.name;
          bc.broker_id = spec.id;
          bc.broker_ip1 = spec.ip;
          bc.namesrv_addrs = {Address{"10.0.0.1", 9876}};
          bc.slave_read_enable = spec.slave_read_enable;
          store::MessageStoreConfig sc = store::MessageStoreConfig::ForSimulation();
          if (spec.physical_memory > 0) sc.total_physical_memory_bytes = spec.physical_memory;
          sc.broker_role = spec.role;
          sc.flush_disk_type = spec.flush;
          sc.flush_commit_log_thorough_interval = spec.thorough_flush;
          sc.flush_commit_log_least_pages = spec.least_pages;
          return std::make_unique<broker::Broker>(rt, bc, sc);
        });
    if (start) StartBroker(pid);
    return pid;
  }
  void StartBroker(sim::ProcessId pid) {
    Status s = world_.StartProcess(pid);
    EXPECT_TRUE(s.ok()) << s;
    world_.RunFor(milliseconds(100));
  }
  broker::Broker* B(sim::ProcessId pid) { return world_.service_as<broker::Broker>(pid); }

  // A master with its slave connected and reporting (SYNC_MASTER puts can be acknowledged).
  bool WaitSlaveConnected(sim::ProcessId master, Duration max = seconds(40)) {
    if (!world_.RunUntil(
            [&] {
              return world_.IsRunning(master) && B(master)->ha() != nullptr &&
                     B(master)->ha()->connection_count() > 0;
            },
            world_.now() + max)) {
      return false;
    }
    world_.RunFor(seconds(1));
    return B(master)->ha()->connection_count() > 0;
  }
  bool WaitCaughtUp(sim::ProcessId master, sim::ProcessId slave, Duration max = seconds(60)) {
    return world_.RunUntil(
        [&] {
          return world_.IsRunning(master) && world_.IsRunning(slave) &&
                 B(slave)->store().GetMaxPhyOffset() == B(master)->store().GetMaxPhyOffset() &&
                 B(slave)->store().DispatchBehindBytes() == 0;
        },
        world_.now() + max);
  }

  sim::ProcessId StartAdmin() {
    admin_ = StartClient(c2_m_, "admin", Config("10.0.0.12", "admin"), nullptr);
    return admin_;
  }
  // One admin request to a broker; the response code (-1 transport error, -2 no answer).
  int AdminCall(const Address& broker, remoting::RemotingCommand req) {
    std::optional<int> code;
    App(admin_)->instance.remoting().Invoke(broker, std::move(req), seconds(3),
                                            [&](auto r) { code = r.ok() ? r->code : -1; });
    world_.RunUntil([&] { return code.has_value(); }, world_.now() + seconds(5));
    return code.value_or(-2);
  }
  int CreateTopic(const Address& broker, const std::string& topic = kTopic) {
    auto req =
        remoting::RemotingCommand::CreateRequest(remoting::RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", topic);
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", kQueues);
    req.SetExtFieldInt("writeQueueNums", kQueues);
    req.SetExtFieldInt("perm", 6);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldBool("order", false);
    return AdminCall(broker, std::move(req));
  }

  sim::ProcessId StartProducer(bool latency_fault = false) {
    return StartClient(
        c1_m_, "producer", Config("10.0.0.11", "producer"), [latency_fault](ClientApp& app) {
          app.producer = std::make_unique<DefaultMQProducer>(
              app.instance,
              ProducerConfig{.producer_group = "pg", .send_latency_fault_enable = latency_fault});
          return app.producer->Start();
        });
  }
  sim::ProcessId StartPush(Deliveries out, const std::string& group = "cg") {
    return StartClient(
        c2_m_, "consumer", Config("10.0.0.12", "consumer"), [out, group](ClientApp& app) {
          app.push = std::make_unique<DefaultMQPushConsumer>(
              app.instance,
              PushConsumerConfig{
                  .consumer_group = group,
                  .consume_from_where = common::ConsumeFromWhere::kConsumeFromFirstOffset});
          RMQ_RETURN_IF_ERROR(app.push->Subscribe(kTopic, "*"));
          app.push->RegisterMessageListener(Recorder(out, "consumer"));
          return app.push->Start();
        });
  }

  struct Sent {
    std::string body;
    StatusOr<SendResult> result;
  };
  std::vector<Sent> SendMany(sim::ProcessId producer, const std::string& prefix, int n) {
    std::vector<Sent> out;
    for (int i = 0; i < n; ++i) {
      std::string body = prefix + "-" + std::to_string(i);
      out.push_back({body, SendSync(producer, Msg(body))});
    }
    return out;
  }
  static std::set<std::string> WithStatus(const std::vector<Sent>& sent, SendStatus st) {
    std::set<std::string> out;
    for (const auto& s : sent) {
      if (s.result.ok() && s.result->send_status == st) out.insert(s.body);
    }
    return out;
  }
  // Every send answered with a result (SEND_OK or one of the "stored, but" statuses).
  static std::set<std::string> Stored(const std::vector<Sent>& sent) {
    std::set<std::string> out;
    for (const auto& s : sent) {
      if (s.result.ok()) out.insert(s.body);
    }
    return out;
  }

  // Bodies of `topic` readable from a broker's store through its consume queues.
  std::set<std::string> StoredBodies(sim::ProcessId pid, const std::string& topic = kTopic) {
    std::set<std::string> out;
    if (!world_.IsRunning(pid)) return out;
    store::DefaultMessageStore& s = B(pid)->store();
    for (int32_t q = 0; q < kQueues; ++q) {
      int64_t offset = s.GetMinOffsetInQueue(topic, q);
      while (true) {
        auto r = s.GetMessage("ha-check", topic, q, offset, 32, 0, nullptr);
        if (!r.ok() || r->status != store::GetMessageStatus::kFound) break;
        for (const auto& buf : r->message_buffers) {
          auto m = common::DecodeStoredMessage(buf);
          EXPECT_TRUE(m.ok()) << m.status();
          if (m.ok()) out.insert(common::StringFromBytes(m->message.body()));
        }
        if (r->next_begin_offset <= offset) break;
        offset = r->next_begin_offset;
      }
    }
    return out;
  }
  static size_t CountIn(const std::set<std::string>& wanted, const std::set<std::string>& have) {
    size_t n = 0;
    for (const auto& w : wanted) n += have.contains(w) ? 1 : 0;
    return n;
  }
  static std::set<std::string> Bodies(const Deliveries& d) {
    std::set<std::string> out;
    for (const auto& x : *d) out.insert(x.body);
    return out;
  }
  // The commit log's bytes in [from, to).
  static common::Bytes ReadLog(store::DefaultMessageStore& s, int64_t from, int64_t to) {
    auto r = store::testing::ReadCommitLog(s, from, to);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : common::Bytes{};
  }

  sim::MachineId as_m_, bs_m_;
  sim::ProcessId admin_{};
};

class HaE2eTest : public ::testing::Test, public HaWorld {};

// ------------------------------------------------------------------------------------------
// 1. Survival matrix.

struct Cell {
  BrokerRole role;
  FlushDiskType flush;
  bool slave;
};

void PrintTo(const Cell& cell, std::ostream* os) {
  *os << Label(cell.role) << " " << Label(cell.flush) << (cell.slave ? " with slave" : " no slave");
}

std::string CellName(const ::testing::TestParamInfo<Cell>& info) {
  std::string s = info.param.role == BrokerRole::kSyncMaster ? "SyncMaster" : "AsyncMaster";
  s += info.param.flush == FlushDiskType::kSyncFlush ? "SyncFlush" : "AsyncFlush";
  s += info.param.slave ? "WithSlave" : "NoSlave";
  return s;
}

class HaE2eSurvivalTest : public ::testing::TestWithParam<Cell>, public HaWorld {};

TEST_P(HaE2eSurvivalTest, AcknowledgedMessagesAfterKillAndPowerLoss) {
  const Cell cell = GetParam();
  constexpr int kN = 40;
  // Nothing is flushed under ASYNC_FLUSH unless 4 pages are dirty (40 small messages are less)
  // or the thorough flush (10 s) runs: the sends below are over well within 10 s.
  auto master = AddBroker(a_m_, {.role = cell.role, .flush = cell.flush});
  std::optional<sim::ProcessId> slave;
  if (cell.slave) {
    slave = AddBroker(as_m_,
                      {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave, .flush = cell.flush});
  }
  StartAdmin();
  ASSERT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
  if (slave) {
    ASSERT_TRUE(WaitSlaveConnected(master));
  }
  auto producer = StartProducer();

  // Expected status of every send in this cell (reference §5.11 and the send-status table).
  const SendStatus expected = cell.role == BrokerRole::kSyncMaster && !cell.slave
                                  ? SendStatus::SLAVE_NOT_AVAILABLE
                                  : SendStatus::SEND_OK;

  // (a) kill -9, restart.
  auto a = SendMany(producer, "kill", kN);
  EXPECT_EQ(WithStatus(a, expected).size(), static_cast<size_t>(kN));
  const std::set<std::string> a_ok = WithStatus(a, SendStatus::SEND_OK);
  const std::set<std::string> a_stored = Stored(a);
  if (slave) world_.RunFor(milliseconds(500));  // let ASYNC_MASTER replication finish
  world_.KillProcess(master);
  StartBroker(master);
  world_.RunFor(seconds(2));
  const size_t a_master = CountIn(a_stored, StoredBodies(master));
  const size_t a_slave = slave ? CountIn(a_stored, StoredBodies(*slave)) : 0;
  // The page cache survives a process kill: nothing stored is lost, whatever the flush type.
  EXPECT_EQ(a_master, a_stored.size());

  // (b) power loss right after the last answer, power on, restart.
  if (slave) {
    ASSERT_TRUE(WaitSlaveConnected(master));
  }
  auto b = SendMany(producer, "power", kN);
  EXPECT_EQ(WithStatus(b, expected).size(), static_cast<size_t>(kN));
  const std::set<std::string> b_ok = WithStatus(b, SendStatus::SEND_OK);
  const std::set<std::string> b_stored = Stored(b);
  if (slave && cell.role == BrokerRole::kAsyncMaster) world_.RunFor(milliseconds(500));
  world_.PowerOff(a_m_);
  world_.RunFor(seconds(1));
  world_.PowerOn(a_m_);
  StartBroker(master);
  world_.RunFor(seconds(2));
  ASSERT_TRUE(world_.IsRunning(master));
  const std::set<std::string> master_after = StoredBodies(master);
  const size_t b_master = CountIn(b_stored, master_after);
  const size_t a_master_after_power = CountIn(a_stored, master_after);
  const std::set<std::string> slave_after = slave ? StoredBodies(*slave) : std::set<std::string>{};
  const size_t b_slave = CountIn(b_stored, slave_after);

  if (cell.flush == FlushDiskType::kSyncFlush) {
    // Every answered put waited for its fsync (SLAVE_NOT_AVAILABLE joins the flush too).
    EXPECT_EQ(b_master, b_stored.size());
    EXPECT_EQ(a_master_after_power, a_stored.size());
  } else {
    // Under ASYNC_FLUSH the unflushed tail is gone: 40 small messages are under the 4-page
    // threshold and no thorough flush ran before the power loss.
    EXPECT_LT(b_master, b_stored.size());
  }
  if (cell.role == BrokerRole::kSyncMaster && cell.slave) {
    // SEND_OK from a SYNC_MASTER means the slave had the bytes: all of them are on the slave.
    EXPECT_EQ(CountIn(a_ok, slave_after), a_ok.size());
    EXPECT_EQ(CountIn(b_ok, slave_after), b_ok.size());
  }

  std::ostringstream row;
  row << "survival " << std::left << std::setw(13) << Label(cell.role) << std::setw(12)
      << Label(cell.flush) << std::setw(9) << (cell.slave ? "slave" : "no-slave") << " sent " << kN
      << "+" << kN << " SEND_OK " << a_ok.size() << "+" << b_ok.size() << " | kill -9: master "
      << a_master << "/" << a_stored.size();
  if (slave) row << " slave " << a_slave << "/" << a_stored.size();
  row << " | power loss: master " << b_master << "/" << b_stored.size() << " (earlier batch "
      << a_master_after_power << "/" << a_stored.size() << ")";
  if (slave) row << " slave " << b_slave << "/" << b_stored.size();
  std::cout << row.str() << std::endl;
  RecordProperty("send_ok", static_cast<int>(a_ok.size() + b_ok.size()));
  RecordProperty("kill_master_survivors", static_cast<int>(a_master));
  RecordProperty("power_master_survivors", static_cast<int>(b_master));
  RecordProperty("power_master_earlier_batch", static_cast<int>(a_master_after_power));
  if (slave) {
    RecordProperty("kill_slave_has", static_cast<int>(a_slave));
    RecordProperty("power_slave_has", static_cast<int>(b_slave));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, HaE2eSurvivalTest,
    ::testing::Values(Cell{BrokerRole::kAsyncMaster, FlushDiskType::kAsyncFlush, false},
                      Cell{BrokerRole::kAsyncMaster, FlushDiskType::kAsyncFlush, true},
                      Cell{BrokerRole::kAsyncMaster, FlushDiskType::kSyncFlush, false},
                      Cell{BrokerRole::kAsyncMaster, FlushDiskType::kSyncFlush, true},
                      Cell{BrokerRole::kSyncMaster, FlushDiskType::kAsyncFlush, false},
                      Cell{BrokerRole::kSyncMaster, FlushDiskType::kAsyncFlush, true},
                      Cell{BrokerRole::kSyncMaster, FlushDiskType::kSyncFlush, false},
                      Cell{BrokerRole::kSyncMaster, FlushDiskType::kSyncFlush, true}),
    CellName);

// ------------------------------------------------------------------------------------------
// 2. Consumers read from the slave while the master is down.

TEST_F(HaE2eTest, ConsumerKeepsConsumingFromTheSlaveWhileTheMasterIsDown) {
  auto master = AddBroker(a_m_, {.role = BrokerRole::kSyncMaster});
  auto slave = AddBroker(as_m_, {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave});
  StartAdmin();
  ASSERT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
  ASSERT_TRUE(WaitSlaveConnected(master));
  auto producer = StartProducer();
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  StartPush(deliveries);
  world_.RunFor(seconds(5));

  auto batch1 = SendMany(producer, "before", 20);
  ASSERT_EQ(WithStatus(batch1, SendStatus::SEND_OK).size(), 20u);
  world_.RunFor(seconds(5));
  ASSERT_EQ(CountIn(WithStatus(batch1, SendStatus::SEND_OK), Bodies(deliveries)), 20u);

  // The consumer loses the master just before it dies: batch 2 reaches only the slave's readers.
  world_.Partition(c2_m_, a_m_);
  auto batch2 = SendMany(producer, "replicated", 20);
  const std::set<std::string> b2_ok = WithStatus(batch2, SendStatus::SEND_OK);
  ASSERT_EQ(b2_ok.size(), 20u);  // SYNC_MASTER: the slave acknowledged every one
  ASSERT_EQ(CountIn(b2_ok, StoredBodies(slave)), 20u);
  world_.KillProcess(master);
  world_.Heal(c2_m_, a_m_);
  const MonoTime killed = world_.now();
  ASSERT_EQ(CountIn(b2_ok, Bodies(deliveries)), 0u);

  bool all = world_.RunUntil([&] { return CountIn(b2_ok, Bodies(deliveries)) == b2_ok.size(); },
                             killed + seconds(120));
  const Duration took = world_.now() - killed;
  EXPECT_TRUE(all) << CountIn(b2_ok, Bodies(deliveries)) << " of " << b2_ok.size();
  std::cout << "slave read: every replicated message delivered " << ToMillis(took)
            << " ms after the master was killed" << std::endl;
  RecordProperty("slave_read_delivered_after_ms", static_cast<int>(ToMillis(took)));
  world_.RunUntil(killed + seconds(120));  // the master stays down for 2 minutes
  // The consumer's offsets went to the slave (UPDATE_CONSUMER_OFFSET every 5 s; never with a
  // pull's commit flag, which a slave ignores) and cover everything it holds.
  for (int32_t q = 0; q < kQueues; ++q) {
    EXPECT_EQ(B(slave)->consumer_offsets().QueryOffset("cg", kTopic, q),
              B(slave)->store().GetMaxOffsetInQueue(kTopic, q))
        << "queue " << q;
  }

  // The master comes back: nothing acknowledged is skipped.
  StartBroker(master);
  ASSERT_TRUE(WaitSlaveConnected(master));
  auto batch3 = SendMany(producer, "after", 20);
  world_.RunFor(seconds(40));
  std::set<std::string> all_ok = WithStatus(batch1, SendStatus::SEND_OK);
  all_ok.insert(b2_ok.begin(), b2_ok.end());
  const std::set<std::string> b3_ok = WithStatus(batch3, SendStatus::SEND_OK);
  EXPECT_EQ(b3_ok.size(), 20u);
  all_ok.insert(b3_ok.begin(), b3_ok.end());
  const std::set<std::string> got = Bodies(deliveries);
  for (const auto& body : all_ok) EXPECT_TRUE(got.contains(body)) << body << " never delivered";
  // The offsets meet again: the consumer commits its in-memory offsets to the master once the
  // route lists it, and the slave copies the master's table (SlaveSynchronize, every 10 s).
  for (int32_t q = 0; q < kQueues; ++q) {
    const int64_t max = B(master)->store().GetMaxOffsetInQueue(kTopic, q);
    EXPECT_EQ(B(master)->consumer_offsets().QueryOffset("cg", kTopic, q), max) << "queue " << q;
    EXPECT_EQ(B(slave)->consumer_offsets().QueryOffset("cg", kTopic, q), max) << "queue " << q;
  }
  std::cout << "slave read: " << all_ok.size() << " SEND_OK, " << CountIn(all_ok, got)
            << " delivered, " << deliveries->size() << " deliveries" << std::endl;
}

// ------------------------------------------------------------------------------------------
// 3. How long a producer keeps trying a dead broker group.

class HaE2eProducerWindowTest : public HaE2eTest {
 protected:
  struct Window {
    Duration last_attempt{};  // from the fault to the last send attempt to broker-a
    uint64_t attempts_after = 0;
    uint64_t failed_sends = 0;
    uint64_t ok_sends = 0;
  };

  // Two groups (broker-a, broker-b), each a master with a slave; a producer sends every 100 ms;
  // `fault` hits broker-a's master; returns when `watch` has passed.
  Window Measure(const std::function<void(sim::ProcessId)>& fault, Duration watch,
                 bool latency_fault) {
    Window w;
    auto a = AddBroker(a_m_, {});
    AddBroker(as_m_, {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave});
    AddBroker(b_m_, {.name = "broker-b", .ip = "10.0.0.3"});
    AddBroker(bs_m_, {.name = "broker-b", .ip = "10.0.0.5", .id = 1, .role = BrokerRole::kSlave});
    StartAdmin();
    EXPECT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
    EXPECT_EQ(CreateTopic(Address{"10.0.0.3", 10911}), 0);
    producer_ = StartProducer(latency_fault);
    world_.RunFor(seconds(1));
    ticking_ = true;
    world_.Schedule(Duration::zero(), [this] { Tick(); });
    world_.RunFor(seconds(15));
    ClientApp* app = App(producer_);
    EXPECT_GT(app->producer->attempts_by_broker().at("broker-a"), 0u);
    const size_t results_before = results_->size();
    fault(a);
    const MonoTime t0 = world_.now();
    uint64_t last = app->producer->attempts_by_broker().at("broker-a");
    MonoTime last_at = t0;
    while (world_.now() < t0 + watch) {
      world_.RunFor(milliseconds(50));
      const uint64_t n = app->producer->attempts_by_broker().at("broker-a");
      if (n != last) {
        w.attempts_after += n - last;
        last = n;
        last_at = world_.now();
      }
    }
    ticking_ = false;
    w.last_attempt = last_at - t0;
    world_.RunFor(seconds(5));  // sends in flight finish
    for (size_t i = results_before; i < results_->size(); ++i) {
      ((*results_)[i] ? w.ok_sends : w.failed_sends)++;
    }
    return w;
  }

  // One sync send every 100 ms, each in its own coroutine in the producer process.
  void Tick() {
    if (!ticking_) return;
    ClientApp* app = App(producer_);
    std::string body = "steady-" + std::to_string(seq_++);
    auto results = results_;
    world_.runtime(producer_)->executor().Post(
        [app, body, results] { app->scope.Spawn(SendAndRecord(app, Msg(body), results)); });
    world_.Schedule(milliseconds(100), [this] { Tick(); });
  }

  static Task<void> SendAndRecord(ClientApp* app, common::Message m,
                                  std::shared_ptr<std::vector<bool>> out) {
    auto r = co_await app->producer->Send(std::move(m));
    out->push_back(r.ok() && r->send_status == SendStatus::SEND_OK);
  }

  void Report(const std::string& what, const Window& w) {
    std::cout << "producer window (" << what << "): last attempt to broker-a "
              << ToMillis(w.last_attempt) << " ms after the fault, " << w.attempts_after
              << " attempts to it, " << w.failed_sends << " failed sends, " << w.ok_sends
              << " SEND_OK" << std::endl;
    RecordProperty("window_ms", static_cast<int>(ToMillis(w.last_attempt)));
    RecordProperty("attempts_after_fault", static_cast<int>(w.attempts_after));
    RecordProperty("failed_sends", static_cast<int>(w.failed_sends));
  }

  sim::ProcessId producer_{};
  bool ticking_ = false;
  int seq_ = 0;
  std::shared_ptr<std::vector<bool>> results_ = std::make_shared<std::vector<bool>>();
};

TEST_F(HaE2eProducerWindowTest, MasterKilledLeavesTheRouteWithinOneRouteRefresh) {
  // The name server sees the channel close at once and drops broker-a's master (§5.1); the
  // producer keeps its cached route until its next 30 s refresh (§5.3). Meanwhile attempts to
  // broker-a fail fast (connection refused) and sync sends retry on broker-b.
  Window w = Measure([&](sim::ProcessId a) { world_.KillProcess(a); }, seconds(60), false);
  Report("master killed", w);
  EXPECT_LE(w.last_attempt, seconds(30) + milliseconds(500));
  EXPECT_EQ(w.failed_sends, 0u);  // retried on broker-b within the 3 s send timeout
}

TEST_F(HaE2eProducerWindowTest, MasterPartitionedLeavesTheRouteAfterNameServerExpiry) {
  // Isolated: nobody sees a close. The name server drops broker-a when its last registration is
  // older than 120 s (scan every 10 s); the broker registered at most 30 s before the fault. The
  // producer then needs up to one more 30 s refresh. Sends that pick broker-a hang until the 3 s
  // send timeout, and that timeout leaves no time for a retry: they fail.
  Window w = Measure([&](sim::ProcessId) { world_.Isolate(a_m_); }, seconds(200), false);
  Report("master isolated", w);
  EXPECT_GE(w.last_attempt, seconds(90));
  EXPECT_LE(w.last_attempt, seconds(120 + 10 + 30) + milliseconds(500));
  EXPECT_GT(w.failed_sends, 0u);
}

TEST_F(HaE2eProducerWindowTest, LatencyFaultToleranceShortensThePartitionWindow) {
  // sendLatencyFaultEnable (false by default in 4.9.8): a failed attempt counts as 30 s of
  // latency, which makes broker-a unavailable for 600 s (computeNotAvailableDuration: 30000 >=
  // 15000 -> 600000 ms; the reference's "-> 60 s" misreads the table). Only attempts already in
  // flight when the first one fails still go to broker-a.
  Window w = Measure([&](sim::ProcessId) { world_.Isolate(a_m_); }, seconds(200), true);
  Report("master isolated, sendLatencyFaultEnable", w);
  EXPECT_LE(w.last_attempt, seconds(4));
}

// ------------------------------------------------------------------------------------------
// 4. A restarted slave catches up byte for byte.

TEST_F(HaE2eTest, RestartedSlaveCatchesUpByteForByte) {
  auto master = AddBroker(a_m_, {});
  auto slave = AddBroker(as_m_, {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave});
  StartAdmin();
  ASSERT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
  ASSERT_TRUE(WaitSlaveConnected(master));
  auto producer = StartProducer();
  auto before = SendMany(producer, "before", 60);
  ASSERT_EQ(WithStatus(before, SendStatus::SEND_OK).size(), 60u);
  ASSERT_TRUE(WaitCaughtUp(master, slave));
  world_.KillProcess(slave);
  auto during = SendMany(producer, "during", 100);
  ASSERT_EQ(WithStatus(during, SendStatus::SEND_OK).size(), 100u);
  StartBroker(slave);
  auto after = SendMany(producer, "after", 40);  // traffic goes on while it catches up
  ASSERT_EQ(WithStatus(after, SendStatus::SEND_OK).size(), 40u);
  ASSERT_TRUE(WaitCaughtUp(master, slave));
  store::DefaultMessageStore& ms = B(master)->store();
  store::DefaultMessageStore& ss = B(slave)->store();
  const int64_t end = ms.GetMaxPhyOffset();
  ASSERT_EQ(ss.GetMaxPhyOffset(), end);
  ASSERT_EQ(ss.GetMinPhyOffset(), ms.GetMinPhyOffset());
  common::Bytes ml = ReadLog(ms, ms.GetMinPhyOffset(), end);
  common::Bytes sl = ReadLog(ss, ss.GetMinPhyOffset(), end);
  EXPECT_GT(ml.size(), 0u);
  EXPECT_TRUE(ml == sl) << "commit logs differ: " << ml.size() << " vs " << sl.size() << " bytes";
  int64_t total = 0;
  for (int32_t q = 0; q < kQueues; ++q) {
    EXPECT_EQ(ss.GetMaxOffsetInQueue(kTopic, q), ms.GetMaxOffsetInQueue(kTopic, q)) << q;
    total += ss.GetMaxOffsetInQueue(kTopic, q);
  }
  EXPECT_EQ(total, 200);
  EXPECT_EQ(StoredBodies(slave).size(), 200u);
  std::cout << "slave restart: " << end << " commit-log bytes identical, " << total
            << " messages in the slave's consume queues" << std::endl;
  RecordProperty("commit_log_bytes", static_cast<int>(end));
}

// ------------------------------------------------------------------------------------------
// 5. SlaveSynchronize.

TEST_F(HaE2eTest, SlaveCopiesTopicsOffsetsAndGroupsWithinOneSyncRound) {
  auto master = AddBroker(a_m_, {});
  auto slave = AddBroker(as_m_, {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave});
  StartAdmin();
  ASSERT_TRUE(WaitSlaveConnected(master));
  ASSERT_TRUE(
      world_.RunUntil([&] { return B(slave)->slave_syncs_ok() > 0; }, world_.now() + seconds(15)));
  world_.RunFor(seconds(1));

  const Address m{"10.0.0.2", 10911};
  ASSERT_EQ(CreateTopic(m, kTopic), 0);
  ASSERT_EQ(CreateTopic(m, "TopicSync"), 0);
  for (int32_t q = 0; q < kQueues; ++q) {
    auto req =
        remoting::RemotingCommand::CreateRequest(remoting::RequestCode::UPDATE_CONSUMER_OFFSET);
    req.SetExtField("consumerGroup", "og");
    req.SetExtField("topic", "TopicSync");
    req.SetExtFieldInt("queueId", q);
    req.SetExtFieldInt("commitOffset", 10 + q);
    ASSERT_EQ(AdminCall(m, std::move(req)), 0);
  }
  // A consumer group appears on the master with the consumer's first heartbeat and pull.
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  StartPush(deliveries, "sync-cg");
  // A message delayed by level 2 (5 s): the master's schedule service moves level 2's offset.
  auto producer = StartProducer();
  common::Message delayed = Msg("delayed");
  delayed.SetDelayTimeLevel(2);
  auto sent = SendSync(producer, std::move(delayed));
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(world_.RunUntil([&] { return B(master)->schedule().offset(2) == 1; },
                              world_.now() + seconds(20)));
  world_.RunFor(seconds(2));
  const MonoTime t0 = world_.now();
  ASSERT_TRUE(B(master)->topics().table().contains("TopicSync"));
  ASSERT_TRUE(B(master)->groups().table().contains("sync-cg"));
  ASSERT_EQ(B(master)->consumer_offsets().QueryOffset("og", "TopicSync", 3), 13);
  EXPECT_FALSE(B(slave)->topics().table().contains("TopicSync"));

  auto same = [&] {
    return B(slave)->topics().table() == B(master)->topics().table() &&
           B(slave)->consumer_offsets().offset_table() ==
               B(master)->consumer_offsets().offset_table() &&
           B(slave)->groups().table() == B(master)->groups().table() &&
           B(slave)->schedule().offset(2) == B(master)->schedule().offset(2);
  };
  const bool synced = world_.RunUntil(same, t0 + seconds(15));
  EXPECT_TRUE(synced);
  std::cout << "slave sync: tables equal " << ToMillis(world_.now() - t0)
            << " ms after the last change on the master" << std::endl;
  EXPECT_TRUE(B(slave)->topics().table().contains("TopicSync"));
  EXPECT_EQ(B(slave)->consumer_offsets().QueryOffset("og", "TopicSync", 3), 13);
  EXPECT_TRUE(B(slave)->groups().table().contains("sync-cg"));
  EXPECT_EQ(B(slave)->schedule().offset(2), 1);  // delay offsets (GET_ALL_DELAY_OFFSET)
}

// ------------------------------------------------------------------------------------------
// 6. Divergence: 4.x's weak spot.
//
// What 4.9.8 does: the master's commit log is flushed asynchronously, so a power loss loses its
// unflushed tail, which the slave may already have. On restart the master recovers a shorter log;
// the slave reconnects and reports its (larger) max offset. HAConnection takes that offset as the
// slave's acknowledgement (push2SlaveMaxOffset) and starts transferring from it once the master's
// log has grown that far, which is the middle of some new record. HAClient appends whatever
// arrives (CommitLog.appendData checks nothing), reports the new offset, and the master treats
// it as replicated. The slave's ReputMessageService cannot parse the bytes at the divergence
// point and (brokerId != 0) stops there for good: nothing written since is readable on the
// slave. Meanwhile a SYNC_MASTER answers PUT_OK (SEND_OK): first for messages whose end is below
// the slave's stale offset (acknowledged by bytes that are a different message), then for every
// message the slave copied as garbage. Nothing detects it until the slave restarts (its recovery
// truncates the garbage) or an operator looks; 5.x's epoch-based HA (and DLedger) fix this.
TEST_F(HaE2eTest, DivergedSlaveAcknowledgesWhatItCannotServe) {
  // No flush of the master's commit log unless asked: the whole tail is unflushed.
  auto master = AddBroker(a_m_, {.role = BrokerRole::kSyncMaster,
                                 .flush = FlushDiskType::kAsyncFlush,
                                 .thorough_flush = minutes(30),
                                 .least_pages = 100000});
  auto slave = AddBroker(as_m_, {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave});
  StartAdmin();
  ASSERT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
  ASSERT_TRUE(WaitSlaveConnected(master));
  auto producer = StartProducer();

  auto first = SendMany(producer, "first", 20);
  const std::set<std::string> first_ok = WithStatus(first, SendStatus::SEND_OK);
  ASSERT_EQ(first_ok.size(), 20u);
  ASSERT_EQ(CountIn(first_ok, StoredBodies(slave)), 20u);
  const int64_t slave_end = B(slave)->store().GetMaxPhyOffset();

  world_.PowerOff(a_m_);
  world_.RunFor(seconds(1));
  world_.PowerOn(a_m_);
  StartBroker(master);
  ASSERT_TRUE(world_.IsRunning(master));
  const int64_t master_end = B(master)->store().GetMaxPhyOffset();
  EXPECT_LT(master_end, slave_end) << "the master should have lost its unflushed tail";
  EXPECT_LT(CountIn(first_ok, StoredBodies(master)), first_ok.size());
  ASSERT_TRUE(WaitSlaveConnected(master));

  // More traffic than the lost tail, so the master's log grows past the slave's offset.
  auto second = SendMany(producer, "second", 60);
  world_.RunFor(seconds(5));
  const std::set<std::string> second_ok = WithStatus(second, SendStatus::SEND_OK);
  EXPECT_EQ(second_ok.size(), 60u) << "a SYNC_MASTER acknowledges through the diverged slave";
  EXPECT_GT(B(master)->store().GetMaxPhyOffset(), slave_end);
  EXPECT_EQ(CountIn(second_ok, StoredBodies(master)), second_ok.size());

  EXPECT_TRUE(B(slave)->ha()->slave_diverged());
  ASSERT_TRUE(B(slave)->store().reput_stalled_at().has_value());
  EXPECT_EQ(*B(slave)->store().reput_stalled_at(), slave_end);
  // The slave "has" every byte the master pushed and acknowledged it...
  EXPECT_EQ(B(slave)->store().GetMaxPhyOffset(), B(master)->store().GetMaxPhyOffset());
  EXPECT_GE(B(master)->ha()->push_to_slave_max_offset(), B(master)->store().GetMaxPhyOffset());
  // ...but cannot serve a single one of the messages acknowledged after the master's restart.
  const size_t served = CountIn(second_ok, StoredBodies(slave));
  EXPECT_EQ(served, 0u);
  std::cout << "divergence: master lost " << slave_end - master_end << " bytes (slave end "
            << slave_end << "), " << second_ok.size() << " SEND_OK after the restart, slave serves "
            << served << " of them, dispatch stalled at " << *B(slave)->store().reput_stalled_at()
            << std::endl;
  RecordProperty("lost_bytes", static_cast<int>(slave_end - master_end));
  RecordProperty("send_ok_after_restart", static_cast<int>(second_ok.size()));
  RecordProperty("slave_serves", static_cast<int>(served));
}

// ------------------------------------------------------------------------------------------
// 7. slaveReadEnable: a consumer far behind is sent to the slave (suggestWhichBrokerId =
// whichBrokerWhenConsumeSlowly = 1) and comes back to the master (the group's brokerId 0) once
// it has caught up; without slaveReadEnable every pull goes to the master.

struct SlaveReadOutcome {
  uint64_t master_pulls = 0;
  uint64_t slave_pulls = 0;
  uint64_t master_pulls_at_end = 0;  // pulls the master got in the last 30 s
  size_t delivered = 0;
  size_t sent_ok = 0;
};

SlaveReadOutcome RunSlowConsumer(bool slave_read_enable) {
  HaWorld w;
  // 64 KiB of "RAM": messages more than 40 % of it (26 KiB) behind the log end are "on disk".
  auto master = w.AddBroker(w.a_m_, {.role = BrokerRole::kSyncMaster,
                                     .slave_read_enable = slave_read_enable,
                                     .physical_memory = 64 * 1024});
  auto slave = w.AddBroker(w.as_m_, {.ip = "10.0.0.4",
                                     .id = 1,
                                     .role = BrokerRole::kSlave,
                                     .slave_read_enable = slave_read_enable,
                                     .physical_memory = 64 * 1024});
  w.StartAdmin();
  EXPECT_EQ(w.CreateTopic(Address{"10.0.0.2", 10911}), 0);
  EXPECT_TRUE(w.WaitSlaveConnected(master));
  auto producer = w.StartProducer();
  SlaveReadOutcome out;
  std::set<std::string> ok;
  for (int i = 0; i < 200; ++i) {
    std::string body = "slow-" + std::to_string(i) + "-" + std::string(1000, 'x');
    auto r = w.SendSync(producer, w.Msg(body));
    if (r.ok() && r->send_status == SendStatus::SEND_OK) ok.insert(body);
  }
  out.sent_ok = ok.size();
  EXPECT_TRUE(w.WaitCaughtUp(master, slave));
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  w.StartPush(deliveries);
  w.world_.RunUntil([&] { return HaWorld::CountIn(ok, HaWorld::Bodies(deliveries)) == ok.size(); },
                    w.world_.now() + seconds(120));
  w.world_.RunFor(seconds(20));
  const uint64_t master_before = w.B(master)->pull_requests();
  w.world_.RunFor(seconds(30));
  out.master_pulls = w.B(master)->pull_requests();
  out.slave_pulls = w.B(slave)->pull_requests();
  out.master_pulls_at_end = out.master_pulls - master_before;
  out.delivered = HaWorld::CountIn(ok, HaWorld::Bodies(deliveries));
  return out;
}

TEST(HaE2eSlaveReadTest, SlowConsumerReadsFromTheSlaveThenReturnsToTheMaster) {
  SlaveReadOutcome on = RunSlowConsumer(true);
  EXPECT_EQ(on.sent_ok, 200u);
  EXPECT_EQ(on.delivered, on.sent_ok);
  EXPECT_GT(on.slave_pulls, 0u) << "the slow consumer was never sent to the slave";
  // Caught up: the slave suggests the group's brokerId (0), so idle long polls go to the master.
  EXPECT_GT(on.master_pulls_at_end, 0u);
  std::cout << "slaveReadEnable=true: master pulls " << on.master_pulls << ", slave pulls "
            << on.slave_pulls << "\n";

  SlaveReadOutcome off = RunSlowConsumer(false);
  EXPECT_EQ(off.delivered, off.sent_ok);
  EXPECT_EQ(off.slave_pulls, 0u) << "without slaveReadEnable every pull goes to the master";
  std::cout << "slaveReadEnable=false: master pulls " << off.master_pulls << ", slave pulls "
            << off.slave_pulls << "\n";
}

// An admin points a group at the slave (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, brokerId 1, on master
// and slave as mqadmin updateSubGroup does): with slaveReadEnable, after its first pull from the
// master the consumer pulls from the slave only.
TEST_F(HaE2eTest, GroupBrokerIdSendsItsConsumersToTheSlave) {
  auto master = AddBroker(a_m_, {.role = BrokerRole::kSyncMaster, .slave_read_enable = true});
  auto slave = AddBroker(
      as_m_,
      {.ip = "10.0.0.4", .id = 1, .role = BrokerRole::kSlave, .slave_read_enable = true});
  StartAdmin();
  ASSERT_EQ(CreateTopic(Address{"10.0.0.2", 10911}), 0);
  ASSERT_TRUE(WaitSlaveConnected(master));
  for (const char* b : {"10.0.0.2", "10.0.0.4"}) {
    auto req = remoting::RemotingCommand::CreateRequest(
        remoting::RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    common::SubscriptionGroupConfig g;
    g.group_name = "cg";
    g.broker_id = 1;
    req.body = common::EncodeSubscriptionGroupConfig(g);
    ASSERT_EQ(AdminCall(Address{b, 10911}, std::move(req)), 0) << b;
  }
  ASSERT_EQ(B(master)->groups().table().at("cg").broker_id, 1);
  auto bad = remoting::RemotingCommand::CreateRequest(
      remoting::RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
  bad.body = "{\"brokerId\":1}";  // no groupName
  EXPECT_NE(AdminCall(Address{"10.0.0.2", 10911}, std::move(bad)), 0);

  auto producer = StartProducer();
  auto deliveries = std::make_shared<std::vector<Delivery>>();
  StartPush(deliveries);
  world_.RunFor(seconds(5));
  const uint64_t master_pulls_before = B(master)->pull_requests();
  auto sent = SendMany(producer, "to-slave-reader", 20);
  ASSERT_EQ(WithStatus(sent, SendStatus::SEND_OK).size(), 20u);
  world_.RunFor(seconds(40));
  EXPECT_EQ(CountIn(WithStatus(sent, SendStatus::SEND_OK), Bodies(deliveries)), 20u);
  EXPECT_GT(B(slave)->pull_requests(), 0u);
  // Every queue made at most one more pull on the master before moving (a long poll held there
  // when the group was updated may come back once).
  EXPECT_LE(B(master)->pull_requests() - master_pulls_before, static_cast<uint64_t>(kQueues));
}

}  // namespace
}  // namespace rmqsim::client::testing
