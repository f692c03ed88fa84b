// The fault injector, the random nemesis and the scripted timeline on small simulated worlds:
// each kind hits what it claims, heals only its own effect, and records its window exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/text_format.h>

#include "faults/client_hooks.h"
#include "faults/cluster_map.h"
#include "faults/fault_injector.h"
#include "faults/random_nemesis.h"
#include "faults/timeline.h"
#include "sim/simulated/world.h"
#include "system/broker/broker.h"
#include "system/client/default_mq_producer.h"
#include "system/client/mq_client_instance.h"
#include "system/namesrv/name_server.h"
#include "system/proxy/rocketmq_proxy.h"
#include "system/store/message_store_config.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::faults {
namespace {

using scenario::FaultKind;
using testing::ScriptedService;

// A cluster of trivial processes (they start and do nothing), one machine each unless placed.
class ClusterWorld {
 public:
  explicit ClusterWorld(uint64_t seed = 7) : world_(sim::WorldConfig{.seed = seed}) {}

  sim::MachineId Machine(const std::string& name) {
    auto it = machines_.find(name);
    if (it != machines_.end()) return it->second;
    std::string ip = "10.0.0." + std::to_string(machines_.size() + 1);
    sim::MachineId m = *world_.AddMachine({.name = name, .ip = ip});
    machines_[name] = m;
    return m;
  }

  // Adds (and starts) a trivial process; `machine` defaults to the process name.
  void Add(const std::string& name, Role role, const std::string& group = "", int broker_id = -1,
           std::string machine = "") {
    if (machine.empty()) machine = name;
    sim::MachineId m = Machine(machine);
    sim::ProcessId pid = *world_.AddProcess(m, name, [](Runtime& rt) {
      return std::make_unique<ScriptedService>(rt, nullptr);
    });
    EXPECT_TRUE(world_.StartProcess(pid).ok());
    uint16_t port = role == Role::kNameServer ? 9876 : (role == Role::kMaster ||
                                                         role == Role::kSlave)
                                                            ? 10911
                                                            : 0;
    map_.processes.push_back(ProcessInfo{.name = name,
                                         .pid = pid,
                                         .machine = m,
                                         .role = role,
                                         .group = group,
                                         .broker_id = broker_id,
                                         .address = Address{world_.machine_ip(m), port}});
  }

  // The default scenario topology: 2 name servers, broker-a and broker-b with one slave each,
  // 2 producers, 2 consumers of chaos_cg, an admin.
  void BuildDefault() {
    Add("namesrv-1", Role::kNameServer);
    Add("namesrv-2", Role::kNameServer);
    Add("broker-a", Role::kMaster, "broker-a", 0);
    Add("broker-a-s1", Role::kSlave, "broker-a", 1);
    Add("broker-b", Role::kMaster, "broker-b", 0);
    Add("broker-b-s1", Role::kSlave, "broker-b", 1);
    Add("producer-1", Role::kProducer);
    Add("producer-2", Role::kProducer);
    Add("consumer-1", Role::kConsumer, "chaos_cg");
    Add("consumer-2", Role::kConsumer, "chaos_cg");
    Add("admin", Role::kAdmin);
    Finish();
  }

  void Finish(uint64_t injector_seed = 11) {
    world_.RunFor(milliseconds(1));
    injector_ = std::make_unique<FaultInjector>(world_, map_, &history_, injector_seed);
  }

  const ProcessInfo* P(const std::string& name) const {
    const ProcessInfo* p = map_.Find(name);
    EXPECT_NE(p, nullptr) << name;
    return p;
  }
  sim::MachineId M(const std::string& name) { return machines_.at(name); }
  bool Running(const std::string& name) { return world_.IsRunning(P(name)->pid); }
  bool Blocked(const std::string& from, const std::string& to) {
    return world_.network().IsLinkBlocked(M(from), M(to));
  }
  bool AnyLinkBlocked() {
    for (auto a : world_.machines()) {
      for (auto b : world_.machines()) {
        if (a != b && world_.network().IsLinkBlocked(a, b)) return true;
      }
    }
    return false;
  }

  FaultRequest Req(FaultKind kind, const std::string& target, Duration d = seconds(30),
                   std::vector<std::string> peers = {}) {
    FaultRequest r;
    r.kind = kind;
    r.targets = {P(target)};
    for (const auto& p : peers) r.peers.push_back(P(p));
    r.duration = d;
    return r;
  }

  int64_t NowNs() const { return ToNanos(world_.now()); }
  const history::FaultWindow& W(uint64_t id) {
    const history::FaultWindow* w = injector_->window(id);
    EXPECT_NE(w, nullptr) << id;
    return *w;
  }
  int Count(std::string_view event) const {
    int n = 0;
    for (const auto& e : world_.trace_events()) n += e.event.name() == event ? 1 : 0;
    return n;
  }

  sim::World world_;
  std::map<std::string, sim::MachineId> machines_;
  ClusterMap map_;
  history::History history_;
  std::unique_ptr<FaultInjector> injector_;
};

class FaultInjectorTest : public ::testing::Test, public ClusterWorld {
 protected:
  void SetUp() override { BuildDefault(); }
  FaultInjector& inj() { return *injector_; }
};

// ------------------------------------------------------------------ selectors

TEST_F(FaultInjectorTest, ResolveTargetSelectsByRoleGroupAndName) {
  auto names = [](const std::vector<const ProcessInfo*>& ps) {
    std::vector<std::string> out;
    for (auto* p : ps) out.push_back(p->name);
    return out;
  };
  scenario::Target t;
  EXPECT_EQ(ResolveTarget(map_, t).size(), 10u);  // every process but the admin
  t.set_role(scenario::MASTER);
  EXPECT_EQ(names(ResolveTarget(map_, t)), (std::vector<std::string>{"broker-a", "broker-b"}));
  t.set_role(scenario::BROKER);
  t.set_group("broker-b");
  EXPECT_EQ(names(ResolveTarget(map_, t)),
            (std::vector<std::string>{"broker-b", "broker-b-s1"}));
  t.set_role(scenario::SLAVE);
  EXPECT_EQ(names(ResolveTarget(map_, t)), (std::vector<std::string>{"broker-b-s1"}));
  t.Clear();
  t.set_role(scenario::CLIENT);
  EXPECT_EQ(names(ResolveTarget(map_, t)),
            (std::vector<std::string>{"producer-1", "producer-2", "consumer-1", "consumer-2"}));
  t.Clear();
  t.set_name("admin");
  EXPECT_EQ(names(ResolveTarget(map_, t)), (std::vector<std::string>{"admin"}));
  t.set_name("nobody");
  EXPECT_TRUE(ResolveTarget(map_, t).empty());
  // Natural targets: DESTROY takes slaves only, POWER_CYCLE_AFTER_SEND masters.
  EXPECT_EQ(names(NaturalTargets(map_, scenario::DESTROY)),
            (std::vector<std::string>{"broker-a-s1", "broker-b-s1"}));
  EXPECT_EQ(names(NaturalTargets(map_, scenario::POWER_CYCLE_AFTER_SEND)),
            (std::vector<std::string>{"broker-a", "broker-b"}));
  EXPECT_EQ(names(NaturalTargets(map_, scenario::CUT_NAME_SERVER)),
            (std::vector<std::string>{"namesrv-1", "namesrv-2"}));
  t.Clear();
  t.set_role(scenario::NAME_SERVER);
  EXPECT_TRUE(ResolveTargetFor(map_, scenario::DROP_REGISTRATIONS, t).empty());
}

// ------------------------------------------------------------------ process faults

TEST_F(FaultInjectorTest, HealEndsOneWindowNowAndLeavesTheOthers) {
  world_.RunFor(seconds(5));
  auto kill = inj().Inject(Req(scenario::KILL, "broker-a", hours(1)));
  auto other = inj().Inject(Req(scenario::KILL, "broker-b", hours(1)));
  ASSERT_TRUE(kill && other);
  EXPECT_EQ(inj().open_ids(), (std::vector<uint64_t>{*kill, *other}));
  world_.RunFor(seconds(3));
  EXPECT_TRUE(inj().Heal(*kill));
  EXPECT_EQ(W(*kill).end_ns(), NowNs());
  EXPECT_FALSE(inj().Heal(*kill));  // already healed
  world_.RunFor(milliseconds(10));
  EXPECT_TRUE(world_.IsRunning(P("broker-a")->pid));
  EXPECT_FALSE(world_.IsRunning(P("broker-b")->pid));
  EXPECT_EQ(inj().open_ids(), std::vector<uint64_t>{*other});
  EXPECT_FALSE(inj().Heal(12345));
}

TEST_F(FaultInjectorTest, KillTakesTheProcessDownForItsWindowAndRecordsItExactly) {
  world_.RunFor(seconds(5));
  const int64_t start = NowNs();
  auto id = inj().Inject(Req(scenario::KILL, "broker-a", seconds(20)));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(world_.process_state(P("broker-a")->pid), sim::ProcessState::kKilled);
  EXPECT_EQ(inj().open_faults(), 1);
  const auto& w = W(*id);
  EXPECT_EQ(w.id(), *id);
  EXPECT_EQ(w.kind(), "KILL");
  EXPECT_EQ(w.target(), "broker-a");
  EXPECT_EQ(std::vector<std::string>(w.processes().begin(), w.processes().end()),
            std::vector<std::string>{"broker-a"});
  EXPECT_EQ(std::vector<std::string>(w.roles().begin(), w.roles().end()),
            std::vector<std::string>{"master"});
  EXPECT_EQ(std::vector<std::string>(w.groups().begin(), w.groups().end()),
            std::vector<std::string>{"broker-a"});
  EXPECT_EQ(w.start_ns(), start);
  EXPECT_EQ(w.end_ns(), -1);
  EXPECT_FALSE(w.scripted());
  EXPECT_EQ(Count("FaultInjected"), 1);

  world_.RunFor(seconds(20) - nanoseconds(1));
  EXPECT_FALSE(Running("broker-a"));
  world_.RunFor(nanoseconds(1));
  EXPECT_TRUE(Running("broker-a"));
  EXPECT_EQ(world_.incarnation(P("broker-a")->pid), 2u);
  EXPECT_EQ(W(*id).end_ns(), start + ToNanos(seconds(20)));
  EXPECT_EQ(inj().open_faults(), 0);
  EXPECT_EQ(inj().injected(), 1u);
  EXPECT_EQ(Count("FaultHealed"), 1);
  EXPECT_EQ(history_.faults_size(), 1);
}

TEST_F(FaultInjectorTest, AFaultOnADownTargetIsNotRecorded) {
  ASSERT_TRUE(inj().Inject(Req(scenario::KILL, "consumer-1", seconds(30))));
  EXPECT_FALSE(inj().Inject(Req(scenario::KILL, "consumer-1", seconds(30))));
  EXPECT_FALSE(inj().Inject(Req(scenario::STOP, "consumer-1", seconds(30))));
  ASSERT_TRUE(inj().Inject(Req(scenario::POWER_CYCLE, "producer-1", seconds(30))));
  EXPECT_FALSE(inj().Inject(Req(scenario::POWER_CYCLE, "producer-1", seconds(30))));
  EXPECT_FALSE(inj().Inject(Req(scenario::DESTROY, "producer-1", seconds(30))));
  EXPECT_FALSE(inj().Inject(Req(scenario::KILL, "producer-1", seconds(30))));
  // Wrong roles and link faults with no other side hit nothing either.
  EXPECT_FALSE(inj().Inject(Req(scenario::DROP_REGISTRATIONS, "consumer-2")));
  EXPECT_FALSE(inj().Inject(Req(scenario::CUT_NAME_SERVER, "broker-a")));
  EXPECT_FALSE(inj().Inject(Req(scenario::PARTITION, "broker-a", seconds(5), {"broker-a"})));
  EXPECT_FALSE(inj().Inject(Req(scenario::DROP_CLIENT_HEARTBEATS, "consumer-2")));  // no hooks
  EXPECT_EQ(history_.faults_size(), 2);
  EXPECT_EQ(inj().injected(), 2u);
  EXPECT_EQ(Count("FaultInjected"), 2);
}

TEST_F(FaultInjectorTest, StopIsGracefulAndRestartsAtTheEnd) {
  auto id = inj().Inject(Req(scenario::STOP, "namesrv-1", seconds(10)));
  ASSERT_TRUE(id);
  world_.RunFor(milliseconds(1));
  EXPECT_EQ(world_.process_state(P("namesrv-1")->pid), sim::ProcessState::kExited);
  world_.RunFor(seconds(10));
  EXPECT_TRUE(Running("namesrv-1"));
  EXPECT_EQ(W(*id).kind(), "STOP");
  EXPECT_EQ(W(*id).end_ns() - W(*id).start_ns(), ToNanos(seconds(10)));
}

TEST_F(FaultInjectorTest, ProcessesSharingAMachineAreAllHitByPowerFaults) {
  ClusterWorld w;
  w.Add("namesrv-1", Role::kNameServer, "", -1, "shared");
  w.Add("broker-a", Role::kMaster, "broker-a", 0, "shared");
  w.Add("broker-b", Role::kMaster, "broker-b", 0);
  w.Finish();
  auto id = w.injector_->Inject(w.Req(scenario::POWER_CYCLE, "broker-a", seconds(15)));
  ASSERT_TRUE(id);
  EXPECT_FALSE(w.world_.IsMachineUp(w.M("shared")));
  EXPECT_FALSE(w.Running("namesrv-1"));
  EXPECT_FALSE(w.Running("broker-a"));
  const auto& win = w.W(*id);
  EXPECT_EQ(win.target(), "shared");
  EXPECT_EQ(std::vector<std::string>(win.processes().begin(), win.processes().end()),
            (std::vector<std::string>{"broker-a", "namesrv-1"}));  // the target first
  EXPECT_EQ(std::vector<std::string>(win.roles().begin(), win.roles().end()),
            (std::vector<std::string>{"master", "name-server"}));
  w.world_.RunFor(seconds(15));
  EXPECT_TRUE(w.world_.IsMachineUp(w.M("shared")));
  EXPECT_TRUE(w.Running("namesrv-1"));
  EXPECT_TRUE(w.Running("broker-a"));
}

TEST_F(FaultInjectorTest, AKilledProcessInsideAPowerCycleComesBackOnlyWhenBothEnd) {
  // Kill (0-60 s), power cycle of its machine (10-20 s): the power-on leaves it down.
  ClusterWorld w;
  w.Add("namesrv-1", Role::kNameServer, "", -1, "shared");
  w.Add("broker-a", Role::kMaster, "broker-a", 0, "shared");
  w.Finish();
  FaultInjector& inj = *w.injector_;
  ASSERT_TRUE(inj.Inject(w.Req(scenario::KILL, "broker-a", seconds(60))));
  w.world_.RunFor(seconds(10));
  ASSERT_TRUE(inj.Inject(w.Req(scenario::POWER_CYCLE, "namesrv-1", seconds(10))));
  EXPECT_FALSE(w.Running("namesrv-1"));
  w.world_.RunFor(seconds(10));
  EXPECT_TRUE(w.world_.IsMachineUp(w.M("shared")));
  EXPECT_TRUE(w.Running("namesrv-1"));
  EXPECT_FALSE(w.Running("broker-a"));  // its kill still holds it
  w.world_.RunFor(seconds(40));
  EXPECT_TRUE(w.Running("broker-a"));

  // Kill (0-10 s) inside a power cycle (5-35 s): the kill's end finds the machine off; the
  // power-on brings it back.
  ASSERT_TRUE(inj.Inject(w.Req(scenario::KILL, "broker-a", seconds(10))));
  w.world_.RunFor(seconds(5));
  ASSERT_TRUE(inj.Inject(w.Req(scenario::POWER_CYCLE, "namesrv-1", seconds(30))));
  w.world_.RunFor(seconds(5));
  EXPECT_FALSE(w.Running("broker-a"));
  EXPECT_FALSE(w.world_.IsMachineUp(w.M("shared")));
  w.world_.RunFor(seconds(25));
  EXPECT_TRUE(w.Running("broker-a"));
  EXPECT_TRUE(w.Running("namesrv-1"));
  EXPECT_EQ(inj.open_faults(), 0);
}

TEST_F(FaultInjectorTest, AProcessKilledByTwoFaultsRestartsWhenTheLastEnds) {
  ASSERT_TRUE(inj().Inject(Req(scenario::KILL, "consumer-1", seconds(10))));
  // A second fault on the same process cannot kill it again: it is not recorded.
  EXPECT_FALSE(inj().Inject(Req(scenario::KILL, "consumer-1", seconds(30))));
  // A power cycle of its machine while it is down holds it down too.
  auto pc = inj().Inject(Req(scenario::POWER_CYCLE, "consumer-2", seconds(5)));
  ASSERT_TRUE(pc);
  world_.RunFor(seconds(10));
  EXPECT_TRUE(Running("consumer-1"));
  EXPECT_TRUE(Running("consumer-2"));
}

TEST_F(FaultInjectorTest, DestroyWipesTheDiskAndBringsTheMachineBackEmpty) {
  sim::MachineId m = M("broker-a-s1");
  auto f = world_.disk(m).Open("/data/store.log", OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(world_.disk(m).Exists("/data/store.log"));
  auto id = inj().Inject(Req(scenario::DESTROY, "broker-a-s1", seconds(20)));
  ASSERT_TRUE(id);
  EXPECT_FALSE(world_.IsMachineUp(m));
  EXPECT_FALSE(world_.disk(m).Exists("/data/store.log"));
  world_.RunFor(seconds(20));
  EXPECT_TRUE(world_.IsMachineUp(m));
  EXPECT_TRUE(Running("broker-a-s1"));
  EXPECT_FALSE(world_.disk(m).Exists("/data/store.log"));
  EXPECT_EQ(W(*id).kind(), "DESTROY");
  EXPECT_EQ(W(*id).roles(0), "slave");
}

TEST_F(FaultInjectorTest, DestroyGroupDestroysMasterAndSlavesTogether) {
  auto id = inj().Inject(Req(scenario::DESTROY_GROUP, "broker-b-s1", seconds(30)));
  ASSERT_TRUE(id);
  EXPECT_FALSE(world_.IsMachineUp(M("broker-b")));
  EXPECT_FALSE(world_.IsMachineUp(M("broker-b-s1")));
  EXPECT_TRUE(world_.IsMachineUp(M("broker-a")));
  const auto& w = W(*id);
  EXPECT_EQ(w.target(), "broker-b");
  EXPECT_EQ(std::vector<std::string>(w.processes().begin(), w.processes().end()),
            (std::vector<std::string>{"broker-b-s1", "broker-b"}));  // the target first
  EXPECT_EQ(std::vector<std::string>(w.groups().begin(), w.groups().end()),
            std::vector<std::string>{"broker-b"});
  world_.RunFor(seconds(30));
  EXPECT_TRUE(Running("broker-b"));
  EXPECT_TRUE(Running("broker-b-s1"));
}

// ------------------------------------------------------------------ link faults

TEST_F(FaultInjectorTest, IsolateAndAnOverlappingPartitionEachHealOnlyTheirOwnBlocks) {
  auto iso = inj().Inject(Req(scenario::ISOLATE, "broker-a", seconds(30)));
  ASSERT_TRUE(iso);
  EXPECT_TRUE(Blocked("broker-a", "namesrv-1"));
  EXPECT_TRUE(Blocked("producer-1", "broker-a"));
  world_.RunFor(seconds(10));
  auto part =
      inj().Inject(Req(scenario::PARTITION, "broker-a", seconds(50), {"namesrv-1"}));
  ASSERT_TRUE(part);
  EXPECT_EQ(W(*part).target(), "broker-a <-> namesrv-1");
  EXPECT_EQ(W(*part).peers(0), "namesrv-1");
  world_.RunFor(seconds(20));  // t = 30: the isolate ends
  EXPECT_FALSE(Blocked("producer-1", "broker-a"));
  EXPECT_FALSE(Blocked("broker-a", "namesrv-2"));
  EXPECT_TRUE(Blocked("broker-a", "namesrv-1"));  // the partition still holds
  EXPECT_TRUE(Blocked("namesrv-1", "broker-a"));
  world_.RunFor(seconds(30));  // t = 60: the partition ends
  EXPECT_FALSE(AnyLinkBlocked());
  EXPECT_EQ(W(*iso).end_ns() - W(*iso).start_ns(), ToNanos(seconds(30)));
  EXPECT_EQ(W(*part).end_ns() - W(*part).start_ns(), ToNanos(seconds(50)));
}

TEST_F(FaultInjectorTest, APartitionEndingInsideAnIsolateLeavesTheIsolateInForce) {
  ASSERT_TRUE(inj().Inject(Req(scenario::PARTITION, "broker-a", seconds(10), {"namesrv-1"})));
  ASSERT_TRUE(inj().Inject(Req(scenario::ISOLATE, "broker-a", seconds(30))));
  world_.RunFor(seconds(10));
  EXPECT_TRUE(Blocked("broker-a", "namesrv-1"));
  EXPECT_TRUE(Blocked("namesrv-1", "broker-a"));
  world_.RunFor(seconds(20));
  EXPECT_FALSE(AnyLinkBlocked());
}

TEST_F(FaultInjectorTest, OneWayPartitionBlocksOnlyItsDirection) {
  auto id = inj().Inject(Req(scenario::PARTITION_ONE_WAY, "broker-a", seconds(5), {"broker-a-s1"}));
  ASSERT_TRUE(id);
  EXPECT_TRUE(Blocked("broker-a", "broker-a-s1"));
  EXPECT_FALSE(Blocked("broker-a-s1", "broker-a"));
  EXPECT_EQ(W(*id).target(), "broker-a -> broker-a-s1");
  world_.RunFor(seconds(5));
  EXPECT_FALSE(AnyLinkBlocked());
}

TEST_F(FaultInjectorTest, ALinkFaultWithoutAPeerPicksAnotherClusterMachine) {
  auto id = inj().Inject(Req(scenario::PARTITION, "broker-b", seconds(5)));
  ASSERT_TRUE(id);
  ASSERT_EQ(W(*id).peers_size(), 1);
  const std::string peer = W(*id).peers(0);
  EXPECT_NE(peer, "broker-b");
  EXPECT_TRUE(Blocked("broker-b", peer));
  EXPECT_TRUE(Blocked(peer, "broker-b"));
  world_.RunFor(seconds(5));
  EXPECT_FALSE(AnyLinkBlocked());
}

TEST_F(FaultInjectorTest, ClogExpiresAndResetConnectionsIsInstant) {
  auto clog = inj().Inject(Req(scenario::CLOG, "broker-a", seconds(8), {"producer-1"}));
  ASSERT_TRUE(clog);
  EXPECT_FALSE(AnyLinkBlocked());
  auto reset = inj().Inject(Req(scenario::RESET_CONNECTIONS, "broker-a", seconds(8),
                                {"producer-1"}));
  ASSERT_TRUE(reset);
  EXPECT_EQ(W(*reset).end_ns(), W(*reset).start_ns());
  EXPECT_FALSE(inj().is_open(*reset));
  EXPECT_EQ(Count("ConnectionsReset"), 1);
  EXPECT_EQ(inj().open_faults(), 1);
  world_.RunFor(seconds(8));
  EXPECT_EQ(W(*clog).end_ns() - W(*clog).start_ns(), ToNanos(seconds(8)));
  EXPECT_EQ(inj().open_faults(), 0);
}

TEST_F(FaultInjectorTest, CutNameServerBlocksItFromEveryBrokerOnly) {
  auto id = inj().Inject(Req(scenario::CUT_NAME_SERVER, "namesrv-2", seconds(20)));
  ASSERT_TRUE(id);
  for (const char* b : {"broker-a", "broker-a-s1", "broker-b", "broker-b-s1"}) {
    EXPECT_TRUE(Blocked("namesrv-2", b)) << b;
    EXPECT_TRUE(Blocked(b, "namesrv-2")) << b;
  }
  EXPECT_FALSE(Blocked("namesrv-2", "producer-1"));
  EXPECT_FALSE(Blocked("broker-a", "namesrv-1"));
  EXPECT_EQ(W(*id).peers_size(), 4);
  EXPECT_EQ(W(*id).groups_size(), 2);
  world_.RunFor(seconds(20));
  EXPECT_FALSE(AnyLinkBlocked());
}

TEST_F(FaultInjectorTest, DropRegistrationsAcrossMachinesBlocksBrokerToNameServerOneWay) {
  auto all = inj().Inject(Req(scenario::DROP_REGISTRATIONS, "broker-b", seconds(150)));
  ASSERT_TRUE(all);
  EXPECT_TRUE(Blocked("broker-b", "namesrv-1"));
  EXPECT_TRUE(Blocked("broker-b", "namesrv-2"));
  EXPECT_FALSE(Blocked("namesrv-1", "broker-b"));
  EXPECT_EQ(W(*all).target(), "broker-b -> all name servers");
  // Another on one name server overlaps it; each heals its own block.
  world_.RunFor(seconds(10));
  auto one = inj().Inject(Req(scenario::DROP_REGISTRATIONS, "broker-b", seconds(200),
                              {"namesrv-2"}));
  ASSERT_TRUE(one);
  EXPECT_EQ(W(*one).target(), "broker-b -> namesrv-2");
  world_.RunFor(seconds(140));
  EXPECT_FALSE(Blocked("broker-b", "namesrv-1"));
  EXPECT_TRUE(Blocked("broker-b", "namesrv-2"));
  world_.RunFor(seconds(60));
  EXPECT_FALSE(AnyLinkBlocked());
}

// ------------------------------------------------------------------ disks and clocks

TEST_F(FaultInjectorTest, TwoDiskFaultsCombineAndEachRemovesOnlyItsOwn) {
  sim::MachineId m = M("broker-a");
  auto slow = inj().Inject(Req(scenario::SLOW_DISK, "broker-a", seconds(30)));
  ASSERT_TRUE(slow);
  const double slowdown = world_.disk(m).faults().sync_slowdown;
  EXPECT_GE(slowdown, 20);
  EXPECT_LE(slowdown, 200);
  world_.RunFor(seconds(10));
  auto errors = inj().Inject(Req(scenario::DISK_ERRORS, "broker-a", seconds(40)));
  ASSERT_TRUE(errors);
  EXPECT_EQ(world_.disk(m).faults().sync_slowdown, slowdown);
  EXPECT_GT(world_.disk(m).faults().write_error_probability, 0);
  EXPECT_GT(world_.disk(m).faults().sync_error_probability, 0);
  world_.RunFor(seconds(20));  // t = 30: the slow disk ends
  EXPECT_EQ(world_.disk(m).faults().sync_slowdown, 1);
  EXPECT_GT(world_.disk(m).faults().write_error_probability, 0);
  world_.RunFor(seconds(20));  // t = 50: the errors end
  EXPECT_EQ(world_.disk(m).faults().write_error_probability, 0);
  EXPECT_EQ(world_.disk(m).faults().sync_error_probability, 0);
}

TEST_F(FaultInjectorTest, ReadErrorsAndDiskFullSetTheirFaults) {
  sim::MachineId m = M("broker-b-s1");
  ASSERT_TRUE(inj().Inject(Req(scenario::READ_ERRORS, "broker-b-s1", seconds(10))));
  ASSERT_TRUE(inj().Inject(Req(scenario::DISK_FULL, "broker-b-s1", seconds(20))));
  EXPECT_GT(world_.disk(m).faults().read_error_probability, 0);
  EXPECT_TRUE(world_.disk(m).faults().full);
  world_.RunFor(seconds(10));
  EXPECT_EQ(world_.disk(m).faults().read_error_probability, 0);
  EXPECT_TRUE(world_.disk(m).faults().full);
  world_.RunFor(seconds(10));
  EXPECT_FALSE(world_.disk(m).faults().full);
}

TEST_F(FaultInjectorTest, ClockJumpIsInstantAndDriftIsRestored) {
  sim::MachineId m = M("broker-a");
  sim::MachineId other = M("broker-b");
  auto skew = [&] { return ToNanos(world_.MachineWallTime(m)) - ToNanos(world_.MachineWallTime(other)); };
  auto jump = inj().Inject(Req(scenario::CLOCK_JUMP, "broker-a"));
  ASSERT_TRUE(jump);
  EXPECT_EQ(W(*jump).end_ns(), W(*jump).start_ns());
  const int64_t jumped = skew();
  EXPECT_GE(std::abs(jumped), ToNanos(seconds(10)));
  EXPECT_LE(std::abs(jumped), ToNanos(minutes(10)));

  auto d1 = inj().Inject(Req(scenario::CLOCK_DRIFT, "broker-a", seconds(100)));
  ASSERT_TRUE(d1);
  world_.RunFor(seconds(100));  // drift accrues, then stops
  const int64_t after = skew();
  EXPECT_NE(after, jumped);
  world_.RunFor(seconds(100));
  EXPECT_EQ(skew(), after);  // no drift any more
}

TEST_F(FaultInjectorTest, OverlappingDriftsRestoreThePreviousDrift) {
  sim::MachineId m = M("broker-b");
  sim::MachineId other = M("broker-a");
  auto skew = [&] {
    return ToNanos(world_.MachineWallTime(m)) - ToNanos(world_.MachineWallTime(other));
  };
  // The drift in ppm over the next 10 s (10 s at 1 ppm is 10 us).
  auto rate = [&] {
    const int64_t before = skew();
    world_.RunFor(seconds(10));
    return static_cast<double>(skew() - before) / 1e4;
  };
  auto ppm_of = [&](uint64_t id) {  // "wall clock drift +123 ppm"
    const std::string& d = W(id).detail();
    return std::stod(d.substr(d.find("drift ") + 6));
  };
  auto d1 = inj().Inject(Req(scenario::CLOCK_DRIFT, "broker-b", seconds(100)));
  ASSERT_TRUE(d1);
  EXPECT_NEAR(rate(), ppm_of(*d1), 0.2);
  auto d2 = inj().Inject(Req(scenario::CLOCK_DRIFT, "broker-b", seconds(30)));
  ASSERT_TRUE(d2);
  EXPECT_NEAR(rate(), ppm_of(*d2), 0.2);  // the newest applies
  world_.RunFor(seconds(20));               // d2 ends at 40 s: d1's drift again
  EXPECT_NEAR(rate(), ppm_of(*d1), 0.2);
  world_.RunFor(seconds(50));  // d1 ends at 100 s: no drift
  EXPECT_NEAR(rate(), 0, 0.2);
}

// ------------------------------------------------------------------ dangerous moments

TEST_F(FaultInjectorTest, PowerCycleAfterSendFiresWithinMillisecondsOfASendOk) {
  auto id = inj().Inject(Req(scenario::POWER_CYCLE_AFTER_SEND, "broker-a", seconds(20)));
  ASSERT_TRUE(id);
  EXPECT_EQ(history_.faults_size(), 0);  // armed, nothing recorded yet
  EXPECT_EQ(inj().open_faults(), 1);
  world_.RunFor(seconds(3));
  inj().OnSendOk("broker-b");  // another group: nothing
  world_.RunFor(seconds(1));
  EXPECT_TRUE(world_.IsMachineUp(M("broker-a")));
  const int64_t send_ok = NowNs();
  inj().OnSendOk("broker-a");
  world_.RunFor(milliseconds(5));
  EXPECT_FALSE(world_.IsMachineUp(M("broker-a")));
  ASSERT_EQ(history_.faults_size(), 1);
  const auto& w = W(*id);
  EXPECT_EQ(w.kind(), "POWER_CYCLE_AFTER_SEND");
  EXPECT_GE(w.start_ns(), send_ok);
  EXPECT_LE(w.start_ns(), send_ok + ToNanos(milliseconds(5)));
  world_.RunFor(seconds(20));
  EXPECT_TRUE(world_.IsMachineUp(M("broker-a")));
  EXPECT_TRUE(Running("broker-a"));
  EXPECT_EQ(W(*id).end_ns() - W(*id).start_ns(), ToNanos(seconds(20)));
}

TEST_F(FaultInjectorTest, PowerCycleAfterSendWithoutASendRecordsNothing) {
  auto id = inj().Inject(Req(scenario::POWER_CYCLE_AFTER_SEND, "broker-b", seconds(10)));
  ASSERT_TRUE(id);
  world_.RunFor(seconds(10));
  EXPECT_EQ(inj().open_faults(), 0);
  inj().OnSendOk("broker-b");
  world_.RunFor(seconds(1));
  EXPECT_TRUE(world_.IsMachineUp(M("broker-b")));
  EXPECT_EQ(history_.faults_size(), 0);
  EXPECT_EQ(inj().window(*id), nullptr);
}

TEST_F(FaultInjectorTest, PowerCycleAfterSendOnAMachineAlreadyOffRecordsNothing) {
  auto armed = inj().Inject(Req(scenario::POWER_CYCLE_AFTER_SEND, "broker-a", seconds(60)));
  ASSERT_TRUE(armed);
  auto pc = inj().Inject(Req(scenario::POWER_CYCLE, "broker-a", seconds(20)));
  ASSERT_TRUE(pc);
  inj().OnSendOk("broker-a");  // (a late report: the master is already off)
  world_.RunFor(milliseconds(10));
  EXPECT_FALSE(inj().is_open(*armed));
  EXPECT_EQ(inj().window(*armed), nullptr);
  world_.RunFor(seconds(20));
  EXPECT_TRUE(world_.IsMachineUp(M("broker-a")));
  EXPECT_EQ(history_.faults_size(), 1);
}

TEST_F(FaultInjectorTest, SlowDiskThenPowerLossLosesPowerInsideTheWindow) {
  sim::MachineId m = M("broker-b");
  auto id = inj().Inject(Req(scenario::SLOW_DISK_THEN_POWER_LOSS, "broker-b", seconds(20)));
  ASSERT_TRUE(id);
  EXPECT_GE(world_.disk(m).faults().sync_slowdown, 20);
  EXPECT_TRUE(world_.IsMachineUp(m));
  world_.RunFor(seconds(2) - nanoseconds(1));
  EXPECT_TRUE(world_.IsMachineUp(m));  // not before 10% of the window
  world_.RunFor(seconds(16) + nanoseconds(1));
  EXPECT_FALSE(world_.IsMachineUp(m));  // by 90% of it
  EXPECT_FALSE(Running("broker-b"));
  world_.RunFor(seconds(2));
  EXPECT_TRUE(world_.IsMachineUp(m));
  EXPECT_TRUE(Running("broker-b"));
  EXPECT_EQ(world_.disk(m).faults().sync_slowdown, 1);
  EXPECT_EQ(W(*id).end_ns() - W(*id).start_ns(), ToNanos(seconds(20)));
}

// ------------------------------------------------------------------ the end of chaos

TEST_F(FaultInjectorTest, HealAllHealsEverythingAndClosesEveryWindow) {
  ASSERT_TRUE(inj().Inject(Req(scenario::KILL, "broker-a", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::STOP, "consumer-1", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::POWER_CYCLE, "broker-b", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::DESTROY, "broker-a-s1", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::ISOLATE, "namesrv-1", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::PARTITION, "namesrv-2", seconds(100), {"producer-1"})));
  ASSERT_TRUE(inj().Inject(Req(scenario::DROP_REGISTRATIONS, "broker-b-s1", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::SLOW_DISK, "producer-2", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::DISK_FULL, "producer-2", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::CLOCK_DRIFT, "consumer-2", seconds(100))));
  ASSERT_TRUE(inj().Inject(Req(scenario::POWER_CYCLE_AFTER_SEND, "broker-b-s1", seconds(100))));
  world_.RunFor(seconds(10));
  EXPECT_EQ(inj().open_faults(), 11);
  inj().HealAll();
  EXPECT_TRUE(inj().healed());
  EXPECT_EQ(inj().open_faults(), 0);
  EXPECT_FALSE(AnyLinkBlocked());
  for (auto m : world_.machines()) {
    EXPECT_TRUE(world_.IsMachineUp(m));
    EXPECT_EQ(world_.disk(m).faults().sync_slowdown, 1);
    EXPECT_FALSE(world_.disk(m).faults().full);
  }
  for (const auto& p : map_.processes) EXPECT_TRUE(world_.IsRunning(p.pid)) << p.name;
  ASSERT_EQ(history_.faults_size(), 10);  // the armed one never fired
  for (const auto& w : history_.faults()) EXPECT_EQ(w.end_ns(), NowNs()) << w.kind();
  EXPECT_FALSE(inj().Inject(Req(scenario::KILL, "broker-b", seconds(1))));
  inj().OnSendOk("broker-b");
  world_.RunFor(seconds(200));  // the old heal timers are gone: nothing changes
  EXPECT_EQ(history_.faults_size(), 10);
  for (const auto& p : map_.processes) EXPECT_TRUE(world_.IsRunning(p.pid)) << p.name;
  EXPECT_FALSE(AnyLinkBlocked());
}

// ------------------------------------------------------------------ hooks into the system

// A client process with the hooks: an MQClientInstance and a producer on it.
class HookedClient final : public Service, public ClientHooks {
 public:
  HookedClient(Runtime& rt, client::ClientConfig config)
      : instance_(rt, std::move(config)),
        producer_(std::make_unique<client::DefaultMQProducer>(
            instance_, client::ProducerConfig{.producer_group = "pg"})) {}
  Status Start() override { return producer_->Start(); }
  void Stop(std::function<void()> done) override { done(); }
  client::MQClientInstance* client_instance() override { return &instance_; }

 private:
  client::MQClientInstance instance_;
  std::unique_ptr<client::DefaultMQProducer> producer_;
};

// A process with a runtime and nothing else (the admin, whose runtime MALFORMED_FRAME borrows).
class IdleService final : public Service {
 public:
  explicit IdleService(Runtime&) {}
  Status Start() override { return Status::Ok(); }
  void Stop(std::function<void()> done) override { done(); }
};

// Real name server and brokers: namesrv-1 shares a machine with broker-a; a proxy in front of
// both brokers.
class SystemHooksTest : public ::testing::Test, public ClusterWorld {
 protected:
  void SetUp() override {
    AddReal("namesrv-1", Role::kNameServer, "shared");
    AddReal("broker-a", Role::kMaster, "shared");
    AddReal("broker-b", Role::kMaster, "broker-b");
    AddReal("producer-1", Role::kProducer, "producer-1");
    AddReal("proxy-1", Role::kProxy, "proxy-1");
    AddReal("admin", Role::kAdmin, "admin");
    Finish();
    world_.RunFor(seconds(1));
  }

  void AddReal(const std::string& name, Role role, const std::string& machine) {
    sim::MachineId m = Machine(machine);
    const std::string ip = world_.machine_ip(m);
    const std::string ns_ip = world_.machine_ip(Machine("shared"));
    sim::ServiceFactory factory;
    if (role == Role::kNameServer) {
      factory = [](Runtime& rt) {
        return std::make_unique<namesrv::NameServer>(rt, namesrv::NamesrvConfig{});
      };
    } else if (role == Role::kMaster) {
      factory = [name, ip, ns_ip](Runtime& rt) {
        broker::BrokerConfig bc;
        bc.broker_name = name;
        bc.broker_ip1 = ip;
        bc.namesrv_addrs = {Address{ns_ip, 9876}};
        return std::make_unique<broker::Broker>(rt, bc,
                                                store::MessageStoreConfig::ForSimulation());
      };
    } else if (role == Role::kProxy) {
      const std::string a_ip = world_.machine_ip(Machine("shared"));
      const std::string b_ip = world_.machine_ip(Machine("broker-b"));
      factory = [ip, a_ip, b_ip](Runtime& rt) {
        proxy::ProxyConfig pc;
        pc.listen = Address{ip, 10000};
        pc.develop_mode = true;
        pc.clusters["brokers"] = proxy::Cluster{
            .name = "brokers",
            .hosts = {proxy::Host{.address = {a_ip, 10911}, .broker_name = "broker-a"},
                      proxy::Host{.address = {b_ip, 10911}, .broker_name = "broker-b"}}};
        pc.routes.push_back(proxy::Route{.cluster = "brokers"});
        return std::make_unique<proxy::RocketMQProxy>(rt, pc);
      };
    } else if (role == Role::kAdmin) {
      factory = [](Runtime& rt) { return std::make_unique<IdleService>(rt); };
    } else {
      factory = [ip, ns_ip, name](Runtime& rt) {
        client::ClientConfig c;
        c.namesrv_addr = ns_ip + ":9876";
        c.client_ip = ip;
        c.instance_name = name;
        return std::make_unique<HookedClient>(rt, c);
      };
    }
    sim::ProcessId pid = *world_.AddProcess(m, name, factory);
    ASSERT_TRUE(world_.StartProcess(pid).ok());
    world_.RunFor(milliseconds(100));
    map_.processes.push_back(ProcessInfo{.name = name,
                                         .pid = pid,
                                         .machine = m,
                                         .role = role,
                                         .group = role == Role::kMaster ? name : "",
                                         .broker_id = role == Role::kMaster ? 0 : -1,
                                         .address = Address{ip, static_cast<uint16_t>(
                                                                    role == Role::kNameServer
                                                                        ? 9876
                                                                    : role == Role::kProxy
                                                                        ? 10000
                                                                        : 10911)}});
  }
  broker::Broker* B(const std::string& name) {
    return world_.service_as<broker::Broker>(P(name)->pid);
  }
};

TEST_F(SystemHooksTest, DropRegistrationsOnTheSameMachineSuppressesBrokerSide) {
  ASSERT_NE(B("broker-a"), nullptr);
  const uint64_t ok_before = B("broker-a")->registrations_ok();
  auto id = injector_->Inject(Req(scenario::DROP_REGISTRATIONS, "broker-a", seconds(100)));
  ASSERT_TRUE(id);
  EXPECT_FALSE(AnyLinkBlocked());
  EXPECT_NE(W(*id).detail().find("suppressed broker-side"), std::string::npos) << W(*id).detail();
  world_.RunFor(seconds(65));
  EXPECT_GE(B("broker-a")->registrations_suppressed(), 2u);
  EXPECT_EQ(B("broker-a")->registrations_ok(), ok_before);
  EXPECT_EQ(B("broker-b")->registrations_suppressed(), 0u);

  // The broker restarts inside the window: the new incarnation is suppressed again.
  ASSERT_TRUE(injector_->Inject(Req(scenario::KILL, "broker-a", seconds(1))));
  world_.RunFor(seconds(1) + milliseconds(1));
  ASSERT_NE(B("broker-a"), nullptr);
  const uint64_t ok_restarted = B("broker-a")->registrations_ok();  // its startup registration
  world_.RunFor(seconds(30));
  EXPECT_GE(B("broker-a")->registrations_suppressed(), 1u);
  EXPECT_EQ(B("broker-a")->registrations_ok(), ok_restarted);
  EXPECT_NE(W(*id).detail().find("re-applied to incarnation 2"), std::string::npos)
      << W(*id).detail();

  world_.RunFor(seconds(40));  // the window ends at 100 s: registrations go out again
  const uint64_t suppressed = B("broker-a")->registrations_suppressed();
  world_.RunFor(seconds(35));
  EXPECT_EQ(B("broker-a")->registrations_suppressed(), suppressed);
  EXPECT_GT(B("broker-a")->registrations_ok(), ok_restarted);
}

TEST_F(SystemHooksTest, DropRegistrationsWithSuppressIsBrokerSideAcrossMachines) {
  FaultRequest r = Req(scenario::DROP_REGISTRATIONS, "broker-b", seconds(40), {"namesrv-1"});
  r.suppress = true;
  auto id = injector_->Inject(r);
  ASSERT_TRUE(id);
  EXPECT_FALSE(AnyLinkBlocked());
  world_.RunFor(seconds(35));
  EXPECT_GE(B("broker-b")->registrations_suppressed(), 1u);
  world_.RunFor(seconds(5));
  const uint64_t suppressed = B("broker-b")->registrations_suppressed();
  world_.RunFor(seconds(35));
  EXPECT_EQ(B("broker-b")->registrations_suppressed(), suppressed);
}

TEST_F(SystemHooksTest, DropClientHeartbeatsSuppressesTheClientInstance) {
  auto* hooks = dynamic_cast<ClientHooks*>(world_.service(P("producer-1")->pid));
  ASSERT_NE(hooks, nullptr);
  auto id = injector_->Inject(Req(scenario::DROP_CLIENT_HEARTBEATS, "producer-1", seconds(70)));
  ASSERT_TRUE(id);
  world_.RunFor(seconds(65));
  EXPECT_GE(hooks->client_instance()->heartbeats_suppressed(), 2u);
  world_.RunFor(seconds(5));
  const uint64_t suppressed = hooks->client_instance()->heartbeats_suppressed();
  world_.RunFor(seconds(65));
  EXPECT_EQ(hooks->client_instance()->heartbeats_suppressed(), suppressed);
  // Not a client service: nothing to hit.
  EXPECT_FALSE(injector_->Inject(Req(scenario::DROP_CLIENT_HEARTBEATS, "broker-a")));
}

TEST_F(SystemHooksTest, ProxyMaintenanceHoldsEveryClusterForTheWindowAcrossARestart) {
  auto px = [&] { return world_.service_as<proxy::RocketMQProxy>(P("proxy-1")->pid); };
  ASSERT_NE(px(), nullptr);
  auto id = injector_->Inject(Req(scenario::PROXY_MAINTENANCE, "proxy-1", seconds(20)));
  ASSERT_TRUE(id);
  EXPECT_TRUE(px()->config().clusters.at("brokers").maintenance);
  // Killed and back inside the window: the new incarnation is put in maintenance again.
  ASSERT_TRUE(injector_->Inject(Req(scenario::KILL, "proxy-1", seconds(1))));
  world_.RunFor(seconds(1) + milliseconds(10));
  ASSERT_NE(px(), nullptr);
  EXPECT_TRUE(px()->config().clusters.at("brokers").maintenance);
  EXPECT_NE(W(*id).detail().find("re-applied to incarnation 2"), std::string::npos)
      << W(*id).detail();
  world_.RunFor(seconds(20));
  EXPECT_FALSE(px()->config().clusters.at("brokers").maintenance);
  // Not a proxy: nothing to hit.
  EXPECT_FALSE(injector_->Inject(Req(scenario::PROXY_MAINTENANCE, "broker-a")));
}

TEST_F(SystemHooksTest, MalformedFrameIsADecodingErrorOnTheProxy) {
  auto* px = world_.service_as<proxy::RocketMQProxy>(P("proxy-1")->pid);
  ASSERT_NE(px, nullptr);
  auto id = injector_->Inject(Req(scenario::MALFORMED_FRAME, "proxy-1"));
  ASSERT_TRUE(id);
  EXPECT_EQ(W(*id).start_ns(), W(*id).end_ns());  // instant
  EXPECT_NE(W(*id).detail().find("from admin"), std::string::npos) << W(*id).detail();
  world_.RunFor(milliseconds(100));
  EXPECT_EQ(px->stats().request_decoding_error, 1u);
  EXPECT_EQ(px->downstream_connections(), 0u);  // the proxy closed that connection
  EXPECT_FALSE(injector_->Inject(Req(scenario::MALFORMED_FRAME, "broker-a")));
  // A proxy that is not running: nothing to hit.
  world_.KillProcess(P("proxy-1")->pid);
  EXPECT_FALSE(injector_->Inject(Req(scenario::MALFORMED_FRAME, "proxy-1")));
}

// ------------------------------------------------------------------ the random nemesis

scenario::Nemesis EnabledNemesis() {
  scenario::Nemesis n;
  n.set_enabled(true);
  return n;
}

// Runs the default mix on the default topology for a 5-minute chaos phase after a 30 s warm-up,
// with SEND_OKs reported every 20 ms by each running master. Returns the history.
// NEMESIS_STATS=1 prints the nemesis' counters per run; NEMESIS_SEEDS=n widens the coverage test.
history::History RunNemesis(uint64_t seed, const scenario::Nemesis& config,
                            int* max_open_seen = nullptr) {
  ClusterWorld w(seed);
  w.BuildDefault();
  const MonoTime start = MonoFromNanos(ToNanos(seconds(30)));
  const MonoTime stop = start + minutes(5);
  RandomNemesis nemesis(w.world_, w.map_, *w.injector_, config, DeriveSeed(seed, "nemesis"),
                        start, stop);
  nemesis.Arm();
  std::function<void()> traffic = [&] {
    for (const char* g : {"broker-a", "broker-b"}) {
      if (w.world_.IsRunning(w.P(g)->pid)) w.injector_->OnSendOk(g);
    }
    if (max_open_seen != nullptr) {
      int open = 0;
      for (uint64_t id : nemesis.windows()) {
        const auto* win = w.injector_->window(id);
        if (win != nullptr && win->end_ns() == -1) ++open;
      }
      *max_open_seen = std::max(*max_open_seen, open);
    }
    if (w.world_.now() < stop) w.world_.Schedule(milliseconds(20), traffic);
  };
  w.world_.Schedule(milliseconds(20), traffic);
  w.world_.RunUntil(stop);
  if (std::getenv("NEMESIS_STATS")) {
    std::printf("seed %llu: draws %llu skipped_busy %llu missed %llu windows %zu\n",
                (unsigned long long)seed, (unsigned long long)nemesis.draws(),
                (unsigned long long)nemesis.skipped_busy(), (unsigned long long)nemesis.missed(),
                nemesis.windows().size());
  }
  w.injector_->HealAll();
  w.world_.RunFor(seconds(1));
  for (const auto& p : w.map_.processes) EXPECT_TRUE(w.world_.IsRunning(p.pid)) << p.name;
  EXPECT_FALSE(w.AnyLinkBlocked());
  return w.history_;
}

TEST(RandomNemesisTest, TheSameSeedGivesTheSameFaults) {
  auto a = RunNemesis(3, EnabledNemesis());
  auto b = RunNemesis(3, EnabledNemesis());
  auto c = RunNemesis(4, EnabledNemesis());
  EXPECT_GT(a.faults_size(), 3);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_NE(a.SerializeAsString(), c.SerializeAsString());
  for (const auto& f : a.faults()) {
    EXPECT_FALSE(f.scripted());
    EXPECT_GE(f.start_ns(), ToNanos(seconds(30)));
    EXPECT_LE(f.end_ns(), ToNanos(seconds(330)));
    EXPECT_GE(f.end_ns(), f.start_ns());
  }
}

TEST(RandomNemesisTest, TheDefaultMixKillsAndPowerCyclesMastersInMostSeeds) {
  int killed = 0, powered = 0, both = 0, destroyed_master = 0, faults = 0;
  const int kSeeds = std::getenv("NEMESIS_SEEDS") ? std::atoi(std::getenv("NEMESIS_SEEDS")) : 20;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    auto h = RunNemesis(seed, EnabledNemesis());
    bool k = false, p = false;
    for (const auto& f : h.faults()) {
      ++faults;
      bool master = false;
      for (const auto& r : f.roles()) master = master || r == "master";
      if (!master) continue;
      if (f.kind() == "KILL") k = true;
      if (f.kind() == "POWER_CYCLE" || f.kind() == "POWER_CYCLE_AFTER_SEND" ||
          f.kind() == "SLOW_DISK_THEN_POWER_LOSS") {
        p = true;
      }
      if (f.kind() == "DESTROY" || f.kind() == "DESTROY_GROUP") ++destroyed_master;
    }
    killed += k;
    powered += p;
    both += k && p;
  }
  std::printf("default mix over %d seeds: %d faults, master killed in %d, power-cycled in %d, "
              "both in %d\n",
              kSeeds, faults, killed, powered, both);
  EXPECT_EQ(destroyed_master, 0);
  EXPECT_GE(killed, kSeeds * 3 / 4);
  EXPECT_GE(powered, kSeeds * 3 / 4);
  EXPECT_GE(both, kSeeds * 6 / 10);
}

TEST(RandomNemesisTest, AtMostMaxConcurrentFaultsAreOpen) {
  scenario::Nemesis n = EnabledNemesis();
  n.set_mean_interval("5s");
  n.set_min_duration("20s");
  n.set_max_duration("40s");
  n.set_max_concurrent(2);
  n.add_kinds()->set_kind(scenario::KILL);
  n.add_kinds()->set_kind(scenario::PARTITION);
  n.add_kinds()->set_kind(scenario::SLOW_DISK);
  int max_open = 0;
  auto h = RunNemesis(9, n, &max_open);
  EXPECT_GT(h.faults_size(), 10);
  EXPECT_EQ(max_open, 2);
}

TEST(RandomNemesisTest, ConfiguredKindsAndTargetsAreRespected) {
  scenario::Nemesis n = EnabledNemesis();
  n.set_mean_interval("10s");
  n.set_min_duration("2s");
  n.set_max_duration("3s");
  auto* k = n.add_kinds();
  k->set_kind(scenario::KILL);
  k->add_targets()->set_role(scenario::SLAVE);
  auto* d = n.add_kinds();
  d->set_kind(scenario::SLOW_DISK);
  d->set_weight(2);
  d->set_min_duration("20s");
  d->set_max_duration("20s");
  d->add_targets()->set_name("namesrv-1");
  auto h = RunNemesis(5, n);
  ASSERT_GT(h.faults_size(), 5);
  for (const auto& f : h.faults()) {
    if (f.kind() == "KILL") {
      EXPECT_EQ(f.roles(0), "slave");
      if (f.end_ns() < ToNanos(seconds(330))) {
        EXPECT_GE(f.end_ns() - f.start_ns(), ToNanos(seconds(2)));
        EXPECT_LE(f.end_ns() - f.start_ns(), ToNanos(seconds(3)));
      }
    } else {
      EXPECT_EQ(f.kind(), "SLOW_DISK");
      EXPECT_EQ(f.target(), "namesrv-1");
    }
  }
}

TEST(RandomNemesisTest, ValidateNemesisNamesTheProblem) {
  ClusterWorld w;
  w.BuildDefault();
  EXPECT_TRUE(ValidateNemesis(w.map_, EnabledNemesis()).ok());
  scenario::Nemesis n = EnabledNemesis();
  n.set_mean_interval("soon");
  EXPECT_NE(ValidateNemesis(w.map_, n).message().find("mean_interval"), std::string::npos);
  n = EnabledNemesis();
  n.set_min_duration("40s");
  EXPECT_FALSE(ValidateNemesis(w.map_, n).ok());  // above the default max of 30s
  n = EnabledNemesis();
  n.add_kinds()->set_kind(static_cast<FaultKind>(99));
  EXPECT_NE(ValidateNemesis(w.map_, n).message().find("unknown fault kind"), std::string::npos);
  n = EnabledNemesis();
  auto* k = n.add_kinds();
  k->set_kind(scenario::DROP_REGISTRATIONS);
  k->add_targets()->set_role(scenario::CONSUMER);
  EXPECT_NE(ValidateNemesis(w.map_, n).message().find("matches no process"), std::string::npos);
  n = EnabledNemesis();
  n.add_kinds()->set_kind(scenario::KILL);
  n.mutable_kinds(0)->set_max_duration("-5s");
  EXPECT_NE(ValidateNemesis(w.map_, n).message().find("negative"), std::string::npos);
}

// ------------------------------------------------------------------ the scripted timeline

scenario::ScriptedFault Scripted(FaultKind kind, const std::string& at,
                                 const std::string& duration, scenario::Role role,
                                 const std::string& name = "") {
  scenario::ScriptedFault f;
  f.set_kind(kind);
  f.set_at(at);
  f.set_duration(duration);
  f.mutable_target()->set_role(role);
  if (!name.empty()) f.mutable_target()->set_name(name);
  return f;
}

TEST(TimelineTest, ValidateFaultNamesWhatIsWrong) {
  ClusterWorld w;
  w.BuildDefault();
  auto msg = [&](const scenario::ScriptedFault& f) {
    return std::string(ValidateFault(w.map_, f).message());
  };
  EXPECT_TRUE(ValidateFault(w.map_, Scripted(scenario::KILL, "10s", "5s", scenario::MASTER)).ok());
  EXPECT_TRUE(ValidateFault(w.map_, Scripted(scenario::CUT_NAME_SERVER, "", "", scenario::ROLE_ANY))
                  .ok());
  EXPECT_NE(msg(Scripted(scenario::FAULT_KIND_UNSPECIFIED, "1s", "1s", scenario::MASTER))
                .find("unknown fault kind"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(static_cast<FaultKind>(77), "1s", "1s", scenario::MASTER))
                .find("unknown fault kind"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(scenario::KILL, "1s", "1s", scenario::ROLE_ANY, "broker-z"))
                .find("matches no process"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(scenario::DROP_CLIENT_HEARTBEATS, "1s", "1s", scenario::MASTER))
                .find("matches no process DROP_CLIENT_HEARTBEATS can hit"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(scenario::KILL, "1s", "-5s", scenario::MASTER)).find("negative"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(scenario::KILL, "1s", "5 parsecs", scenario::MASTER)).find("duration"),
            std::string::npos);
  EXPECT_NE(msg(Scripted(scenario::KILL, "later", "5s", scenario::MASTER)).find("at"),
            std::string::npos);
  // A peer on a kind that takes none, and `suppress` off DROP_REGISTRATIONS, are ignored.
  auto with_peer = Scripted(scenario::KILL, "1s", "1s", scenario::MASTER);
  with_peer.mutable_peer()->set_name("nobody");
  EXPECT_TRUE(ValidateFault(w.map_, with_peer).ok());
  auto bad_peer = Scripted(scenario::PARTITION, "1s", "1s", scenario::MASTER);
  bad_peer.mutable_peer()->set_name("nobody");
  EXPECT_NE(msg(bad_peer).find("matches no process"), std::string::npos);
  auto drop = Scripted(scenario::DROP_REGISTRATIONS, "1s", "1s", scenario::MASTER);
  drop.mutable_peer()->set_role(scenario::CONSUMER);
  EXPECT_NE(msg(drop).find("matches no name server"), std::string::npos);
  auto suppress = Scripted(scenario::DROP_CLIENT_HEARTBEATS, "1s", "1s", scenario::CLIENT);
  suppress.set_suppress(true);
  EXPECT_TRUE(ValidateFault(w.map_, suppress).ok());
}

TEST(TimelineTest, TheDocumentedExampleParsesAndFires) {
  // docs/faults.md
  const char* text = R"pb(
    timeline { at: "30s" kind: KILL target { role: MASTER group: "broker-a" } duration: "20s" }
    timeline { at: "1m" kind: PARTITION target { name: "broker-b" } peer { role: NAME_SERVER } }
    timeline { at: "2m" kind: DROP_REGISTRATIONS target { role: MASTER } duration: "150s" }
    timeline { at: "3m" kind: POWER_CYCLE_AFTER_SEND target { role: MASTER group: "broker-b" }
               duration: "15s" }
  )pb";
  scenario::FaultPlan plan;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &plan));
  ClusterWorld w;
  w.BuildDefault();
  for (const auto& f : plan.timeline()) EXPECT_TRUE(ValidateFault(w.map_, f).ok());
  Timeline t(w.world_, w.map_, *w.injector_, plan.timeline(), w.world_.now(), 5);
  ASSERT_TRUE(t.Validate().ok());
  t.Arm();
  w.world_.RunFor(minutes(3) + seconds(1));
  w.injector_->OnSendOk("broker-b");
  w.world_.RunFor(minutes(3));
  ASSERT_EQ(w.history_.faults_size(), 4);
  EXPECT_EQ(w.history_.faults(0).target(), "broker-a");
  EXPECT_EQ(w.history_.faults(3).kind(), "POWER_CYCLE_AFTER_SEND");
  EXPECT_EQ(w.history_.faults(3).target(), "broker-b");
  EXPECT_FALSE(w.AnyLinkBlocked());
}

TEST(TimelineTest, ValidateNamesTheEntryAndArmSkipsInvalidOnes) {
  ClusterWorld w;
  w.BuildDefault();
  std::vector<scenario::ScriptedFault> faults = {
      Scripted(scenario::KILL, "1s", "5s", scenario::MASTER),
      Scripted(scenario::KILL, "2s", "5s", scenario::ROLE_ANY, "nobody")};
  Timeline t(w.world_, w.map_, *w.injector_, faults, w.world_.now(), 1);
  Status s = t.Validate();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("timeline[1] (KILL at 2s)"), std::string::npos) << s;
  t.Arm();
  w.world_.RunFor(seconds(10));
  EXPECT_EQ(t.fired(), 1u);
  EXPECT_EQ(w.history_.faults_size(), 1);
  EXPECT_TRUE(t.results()[0].has_value());
  EXPECT_FALSE(t.results()[1].has_value());
}

TEST(TimelineTest, EachFaultFiresAtChaosStartPlusAt) {
  ClusterWorld w;
  w.BuildDefault();
  const MonoTime chaos = w.world_.now() + seconds(30);
  scenario::ScriptedFault part = Scripted(scenario::PARTITION, "20s", "10s", scenario::MASTER,
                                          "broker-b");
  part.mutable_peer()->set_role(scenario::NAME_SERVER);
  std::vector<scenario::ScriptedFault> faults = {
      Scripted(scenario::KILL, "10s", "5s", scenario::MASTER),
      part,
      Scripted(scenario::CLOCK_JUMP, "25s", "", scenario::BROKER),
      Scripted(scenario::KILL, "40s", "5s", scenario::ROLE_ANY, "nobody-yet"),
  };
  faults.pop_back();  // (an invalid entry is refused by Arm: see the test above)
  Timeline t(w.world_, w.map_, *w.injector_, faults, chaos, 99);
  ASSERT_TRUE(t.Validate().ok());
  t.Arm();
  w.world_.RunUntil(chaos + seconds(60));
  EXPECT_EQ(t.fired(), 3u);
  ASSERT_EQ(w.history_.faults_size(), 3);
  const auto& kill = w.history_.faults(0);
  EXPECT_EQ(kill.kind(), "KILL");
  EXPECT_TRUE(kill.scripted());
  EXPECT_EQ(kill.roles(0), "master");
  EXPECT_EQ(kill.start_ns(), ToNanos(chaos + seconds(10)));
  EXPECT_EQ(kill.end_ns(), ToNanos(chaos + seconds(15)));
  const auto& p = w.history_.faults(1);
  EXPECT_EQ(p.kind(), "PARTITION");
  EXPECT_EQ(p.processes(0), "broker-b");
  EXPECT_EQ(p.peers(0).rfind("namesrv-", 0), 0u);
  EXPECT_EQ(p.start_ns(), ToNanos(chaos + seconds(20)));
  EXPECT_EQ(p.end_ns(), ToNanos(chaos + seconds(30)));
  const auto& j = w.history_.faults(2);
  EXPECT_EQ(j.kind(), "CLOCK_JUMP");
  EXPECT_EQ(j.start_ns(), j.end_ns());
  EXPECT_EQ(t.results()[0], kill.id());
  EXPECT_EQ(t.results()[2], j.id());

  // The same seed picks the same targets.
  ClusterWorld w2;
  w2.BuildDefault();
  Timeline t2(w2.world_, w2.map_, *w2.injector_, faults, chaos, 99);
  t2.Arm();
  w2.world_.RunUntil(chaos + seconds(60));
  EXPECT_EQ(w2.history_.SerializeAsString(), w.history_.SerializeAsString());
}

}  // namespace
}  // namespace rmqsim::faults
