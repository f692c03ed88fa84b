// Model-based (stateful) test of the name server's route table (system/namesrv/
// route_info_manager.h) against an in-test reference model written after RocketMQ 4.9.8's
// RouteInfoManager.java.
//
// Commands: REGISTER_BROKER (masters and slaves of three broker names in two clusters, with topic
// configs and data versions drawn from small ranges so that "same version, new topics" happens),
// UNREGISTER_BROKER (with the address's id or another), a channel closing, and time passing with
// the name server's scan every 10 s (first after 5 s). After every command the test compares the
// answers of the SUT with the model's: the route of every topic (queue datas, broker datas with
// brokerId -> address, 0 = master), the cluster info, the topic list, the live table (last update,
// data version, channel), and a register's result (master and HA address for a slave). After time
// passes it also checks, without the model, that no broker stays listed longer than the expiry
// plus one scan interval after its last registration.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "system/common/mix_all.h"
#include "system/namesrv/route_info_manager.h"
#include "tests/property/property_check.h"

namespace rmqsim::namesrv {
namespace {

// ------------------------------------------------------------------------------ the universe

constexpr int kNames = 3;       // broker-a, broker-b (cluster c1), broker-c (cluster c2)
constexpr int kSlots = 3;       // addresses per broker name
constexpr int kTopics = 4;      // T0..T3
constexpr int64_t kExpiryMs = 120'000;
constexpr int64_t kScanFirstMs = 5'000;
constexpr int64_t kScanEveryMs = 10'000;
constexpr int64_t kWallBaseMs = 1'767'225'600'000;  // the name server's wall clock at t=0

std::string BrokerNameOf(int name) { return std::string("broker-") + static_cast<char>('a' + name); }
std::string ClusterOf(int name) { return name < 2 ? "c1" : "c2"; }
std::string AddrOf(int name, int slot) {
  return "10.0." + std::to_string(name) + "." + std::to_string(slot + 1) + ":10911";
}
std::string HaAddrOf(int name, int slot) {
  return "10.0." + std::to_string(name) + "." + std::to_string(slot + 1) + ":10912";
}
std::string TopicOf(int t) { return "T" + std::to_string(t); }
// Channels are per address (a connection comes from one broker): address index * 4 + k + 1.
uint64_t ChannelOf(int name, int slot, int k) {
  return static_cast<uint64_t>((name * kSlots + slot) * 4 + k + 1);
}

// ------------------------------------------------------------------------------ the model

struct ModelQueueData {
  int32_t read = 0, write = 0, perm = 0;
  friend bool operator==(const ModelQueueData&, const ModelQueueData&) = default;
};
struct ModelLive {
  int64_t last_ms = 0;
  common::DataVersion version;
  uint64_t channel = 0;
  std::string ha;
};
struct ModelBroker {
  std::string cluster;
  std::map<int64_t, std::string> addrs;  // brokerId -> address
};

// RouteInfoManager.java (4.9.8), written plainly.
struct RouteModel {
  int64_t now_ms = 0;
  int64_t next_scan_ms = kScanFirstMs;
  std::map<std::string, std::map<std::string, ModelQueueData>> topics;  // topic -> name -> qd
  std::map<std::string, ModelBroker> brokers;                           // brokerName -> data
  std::map<std::string, std::set<std::string>> clusters;               // cluster -> names
  std::map<std::string, ModelLive> live;                                // address -> live info

  void RemoveNameEverywhere(const std::string& name) {
    for (auto t = topics.begin(); t != topics.end();) {
      t->second.erase(name);
      t = t->second.empty() ? topics.erase(t) : std::next(t);
    }
  }
  // onChannelDestroy's table cleanup for an address (also the tail of scanNotActiveBroker).
  void RemoveAddr(const std::string& addr) {
    live.erase(addr);
    for (auto b = brokers.begin(); b != brokers.end(); ++b) {
      bool found = false;
      for (auto a = b->second.addrs.begin(); a != b->second.addrs.end(); ++a) {
        if (a->second == addr) {
          b->second.addrs.erase(a);
          found = true;
          break;
        }
      }
      if (!found) continue;
      if (b->second.addrs.empty()) {
        const std::string name = b->first;
        brokers.erase(b);
        for (auto c = clusters.begin(); c != clusters.end(); ++c) {
          if (c->second.erase(name) > 0) {
            if (c->second.empty()) clusters.erase(c);
            break;
          }
        }
        RemoveNameEverywhere(name);
      }
      return;
    }
  }
};

// What a route answer should be, from the model (nullopt: TOPIC_NOT_EXIST).
std::optional<common::TopicRouteData> ModelRoute(const RouteModel& m, const std::string& topic) {
  auto t = m.topics.find(topic);
  if (t == m.topics.end()) return std::nullopt;
  common::TopicRouteData r;
  for (const auto& [name, qd] : t->second) {
    r.queue_datas.push_back({.broker_name = name,
                             .read_queue_nums = qd.read,
                             .write_queue_nums = qd.write,
                             .perm = qd.perm,
                             .topic_sys_flag = 0});
    auto b = m.brokers.find(name);
    if (b == m.brokers.end()) continue;
    r.broker_datas.push_back(
        {.cluster = b->second.cluster, .broker_name = name, .broker_addrs = b->second.addrs});
  }
  if (r.broker_datas.empty()) return std::nullopt;
  return r;
}

std::string Show(const common::TopicRouteData& r) {
  std::ostringstream os;
  os << "{queues:";
  for (const auto& q : r.queue_datas) {
    os << " " << q.broker_name << "(r" << q.read_queue_nums << " w" << q.write_queue_nums << " p"
       << q.perm << ")";
  }
  os << "; brokers:";
  for (const auto& b : r.broker_datas) {
    os << " " << b.cluster << "/" << b.broker_name << "[";
    for (const auto& [id, a] : b.broker_addrs) os << id << "=" << a << " ";
    os << "]";
  }
  os << "}";
  return os.str();
}

// Sorted copies, so that list order (Java keeps insertion order) does not matter.
common::TopicRouteData Sorted(common::TopicRouteData r) {
  std::sort(r.queue_datas.begin(), r.queue_datas.end(),
            [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; });
  std::sort(r.broker_datas.begin(), r.broker_datas.end(),
            [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; });
  r.filter_server_table.clear();
  return r;
}

// ------------------------------------------------------------------------------ the SUT

struct Sut {
  RouteInfoManager routes;
};

WallTime Wall(int64_t ms) { return WallFromUnixMillis(kWallBaseMs + ms); }

// The SUT agrees with the model on every answer.
void Compare(const RouteModel& m, const Sut& sut) {
  for (int t = 0; t < kTopics; ++t) {
    auto want = ModelRoute(m, TopicOf(t));
    auto got = sut.routes.GetTopicRouteData(TopicOf(t));
    RC_ASSERT(want.has_value() == got.has_value());
    if (want) {
      if (Sorted(*want) != Sorted(*got)) {
        RC_FAIL("route of " + TopicOf(t) + ": expected " + Show(*want) + ", got " + Show(*got));
      }
      // Independently of the model: every broker data has its master at id 0 or only slaves,
      // and no address appears twice within one broker name (4.9.8's slave-to-master switch).
      for (const auto& bd : got->broker_datas) {
        std::set<std::string> seen;
        for (const auto& [id, a] : bd.broker_addrs) RC_ASSERT(seen.insert(a).second);
      }
    }
  }
  const common::ClusterInfo info = sut.routes.GetAllClusterInfo();
  std::map<std::string, common::BrokerData> want_brokers;
  for (const auto& [name, b] : m.brokers) {
    want_brokers[name] = {.cluster = b.cluster, .broker_name = name, .broker_addrs = b.addrs};
  }
  RC_ASSERT(info.broker_addr_table == want_brokers);
  RC_ASSERT(info.cluster_addr_table == m.clusters);
  std::set<std::string> want_topics;
  for (const auto& [t, _] : m.topics) want_topics.insert(t);
  RC_ASSERT(sut.routes.GetAllTopicList().topic_list == want_topics);
  const auto& live = sut.routes.broker_live_table();
  RC_ASSERT(live.size() == m.live.size());
  for (const auto& [addr, l] : m.live) {
    auto it = live.find(addr);
    if (it == live.end()) RC_FAIL("live table lacks " + addr);
    RC_ASSERT(it->second.last_update == Wall(l.last_ms));
    RC_ASSERT(it->second.data_version == l.version);
    RC_ASSERT(it->second.channel_id == l.channel);
    RC_ASSERT(it->second.ha_server_addr == l.ha);
  }
}

// ------------------------------------------------------------------------------ commands

using Cmd = rc::state::Command<RouteModel, Sut>;

struct TopicSpec {
  int topic = 0;
  int32_t read = 4, write = 4, perm = common::kPermReadWrite;
};

struct Register : Cmd {
  int name = *rc::gen::inRange(0, kNames);
  int slot = *rc::gen::inRange(0, kSlots);
  // Mostly the slot's natural id (slot 0 the master), sometimes another (a role switch).
  int64_t id = *rc::gen::weightedOneOf<int64_t>(
      {{4, rc::gen::just<int64_t>(slot)}, {1, rc::gen::inRange<int64_t>(0, kSlots)}});
  int64_t counter = *rc::gen::inRange<int64_t>(0, 3);
  int k = *rc::gen::inRange(0, 2);
  std::vector<TopicSpec> topics = *rc::gen::container<std::vector<TopicSpec>>(
      *rc::gen::inRange(0, 4),
      rc::gen::build<TopicSpec>(
          rc::gen::set(&TopicSpec::topic, rc::gen::inRange(0, kTopics)),
          rc::gen::set(&TopicSpec::read, rc::gen::inRange(1, 9)),
          rc::gen::set(&TopicSpec::write, rc::gen::inRange(1, 9)),
          rc::gen::set(&TopicSpec::perm,
                       rc::gen::elementOf(std::vector<int32_t>{
                           common::kPermReadWrite, common::kPermRead, common::kPermWrite}))));

  std::map<std::string, common::TopicConfig> Table() const {
    std::map<std::string, common::TopicConfig> out;
    for (const TopicSpec& t : topics) {
      common::TopicConfig tc;
      tc.topic_name = TopicOf(t.topic);
      tc.read_queue_nums = t.read;
      tc.write_queue_nums = t.write;
      tc.perm = t.perm;
      out[tc.topic_name] = tc;  // a later entry for the same topic wins, as in a map
    }
    return out;
  }

  void apply(RouteModel& m) const override {
    const std::string bname = BrokerNameOf(name), cluster = ClusterOf(name);
    const std::string addr = AddrOf(name, slot);
    m.clusters[cluster].insert(bname);
    bool first = false;
    auto b = m.brokers.find(bname);
    if (b == m.brokers.end()) {
      first = true;
      b = m.brokers.emplace(bname, ModelBroker{.cluster = cluster, .addrs = {}}).first;
    }
    // The same IP:PORT has only one record: a switch of id drops the old one.
    for (auto it = b->second.addrs.begin(); it != b->second.addrs.end();) {
      it = (it->second == addr && it->first != id) ? b->second.addrs.erase(it) : std::next(it);
    }
    const bool fresh = !b->second.addrs.contains(id);
    b->second.addrs[id] = addr;
    first = first || fresh;
    const common::DataVersion version{.timestamp = 1, .counter = counter};
    if (id == common::kMasterId) {
      auto prev = m.live.find(addr);
      const bool changed = prev == m.live.end() || !(prev->second.version == version);
      if (changed || first) {
        for (const auto& [tname, tc] : Table()) {
          m.topics[tname][bname] = {tc.read_queue_nums, tc.write_queue_nums, tc.perm};
        }
      }
    }
    m.live[addr] = {.last_ms = m.now_ms,
                    .version = version,
                    .channel = ChannelOf(name, slot, k),
                    .ha = HaAddrOf(name, slot)};
  }

  void run(const RouteModel& before, Sut& sut) const override {
    RouteModel m = before;
    apply(m);
    RegisterBrokerRequest req;
    req.cluster_name = ClusterOf(name);
    req.broker_addr = AddrOf(name, slot);
    req.broker_name = BrokerNameOf(name);
    req.broker_id = id;
    req.ha_server_addr = HaAddrOf(name, slot);
    common::TopicConfigSerializeWrapper w;
    w.data_version = {.timestamp = 1, .counter = counter};
    w.topic_config_table = Table();
    req.topic_config_wrapper = w;
    req.channel_id = ChannelOf(name, slot, k);
    const common::RegisterBrokerResult r = sut.routes.RegisterBroker(req, Wall(m.now_ms));
    // A slave learns its master's address and HA address when the master is live.
    std::string want_master, want_ha;
    if (id != common::kMasterId) {
      const auto& addrs = m.brokers.at(BrokerNameOf(name)).addrs;
      auto master = addrs.find(common::kMasterId);
      if (master != addrs.end() && m.live.contains(master->second)) {
        want_master = master->second;
        want_ha = m.live.at(master->second).ha;
      }
    }
    RC_ASSERT(r.master_addr == want_master);
    RC_ASSERT(r.ha_server_addr == want_ha);
    Compare(m, sut);
  }

  void show(std::ostream& os) const override {
    os << "Register(" << AddrOf(name, slot) << " " << BrokerNameOf(name) << " id=" << id
       << " v" << counter << " ch" << ChannelOf(name, slot, k) << " topics{";
    for (const TopicSpec& t : topics) {
      os << " " << TopicOf(t.topic) << ":r" << t.read << "w" << t.write << "p" << t.perm;
    }
    os << " })";
  }
};

struct Unregister : Cmd {
  int name = *rc::gen::inRange(0, kNames);
  int slot = *rc::gen::inRange(0, kSlots);
  int64_t id = *rc::gen::weightedOneOf<int64_t>(
      {{4, rc::gen::just<int64_t>(slot)}, {1, rc::gen::inRange<int64_t>(0, kSlots)}});

  void apply(RouteModel& m) const override {
    const std::string bname = BrokerNameOf(name);
    m.live.erase(AddrOf(name, slot));
    auto b = m.brokers.find(bname);
    if (b == m.brokers.end()) return;
    b->second.addrs.erase(id);  // by id, whatever address it holds (as Java)
    if (!b->second.addrs.empty()) return;
    m.brokers.erase(b);
    auto c = m.clusters.find(ClusterOf(name));
    if (c != m.clusters.end()) {
      c->second.erase(bname);
      if (c->second.empty()) m.clusters.erase(c);
    }
    m.RemoveNameEverywhere(bname);
  }
  void run(const RouteModel& before, Sut& sut) const override {
    RouteModel m = before;
    apply(m);
    sut.routes.UnregisterBroker(ClusterOf(name), AddrOf(name, slot), BrokerNameOf(name), id);
    Compare(m, sut);
  }
  void show(std::ostream& os) const override {
    os << "Unregister(" << AddrOf(name, slot) << " " << BrokerNameOf(name) << " id=" << id << ")";
  }
};

// A channel closes: mostly one a live broker registered on.
struct CloseChannel : Cmd {
  uint64_t channel;
  explicit CloseChannel(const RouteModel& m) {
    std::vector<uint64_t> live;
    for (const auto& [addr, l] : m.live) live.push_back(l.channel);
    channel = live.empty() || *rc::gen::inRange(0, 4) == 0
                  ? ChannelOf(*rc::gen::inRange(0, kNames), *rc::gen::inRange(0, kSlots),
                              *rc::gen::inRange(0, 2))
                  : *rc::gen::elementOf(live);
  }
  void apply(RouteModel& m) const override {
    for (const auto& [addr, l] : m.live) {
      if (l.channel == channel) {
        const std::string a = addr;  // copy: the entry goes
        m.RemoveAddr(a);
        return;
      }
    }
  }
  void run(const RouteModel& before, Sut& sut) const override {
    RouteModel m = before;
    apply(m);
    sut.routes.OnChannelDestroy(channel);
    Compare(m, sut);
  }
  void show(std::ostream& os) const override { os << "CloseChannel(ch" << channel << ")"; }
};

// Time passes; the name server scans every 10 s (first at 5 s) for brokers whose last
// registration is older than 120 s (strictly: last + 120 s < now).
struct Advance : Cmd {
  int64_t ms = *rc::gen::weightedOneOf<int64_t>(
      {{3, rc::gen::map(rc::gen::inRange<int64_t>(0, 30), [](int64_t s) { return s * 5'000; })},
       {1, rc::gen::inRange<int64_t>(0, 200'000)},
       {1, rc::gen::element<int64_t>(1, 119'999, 120'000, 120'001, 130'000)}});

  void apply(RouteModel& m) const override {
    const int64_t until = m.now_ms + ms;
    while (m.next_scan_ms <= until) {
      m.now_ms = m.next_scan_ms;
      std::vector<std::string> expired;
      for (const auto& [addr, l] : m.live) {
        if (l.last_ms + kExpiryMs < m.now_ms) expired.push_back(addr);
      }
      for (const std::string& a : expired) m.RemoveAddr(a);
      m.next_scan_ms += kScanEveryMs;
    }
    m.now_ms = until;
  }
  void run(const RouteModel& before, Sut& sut) const override {
    RouteModel m = before;
    apply(m);
    int64_t now = before.now_ms;
    int64_t next_scan = before.next_scan_ms;
    while (next_scan <= now + ms) {
      sut.routes.ScanNotActiveBroker(Wall(next_scan));
      next_scan += kScanEveryMs;
    }
    now += ms;
    Compare(m, sut);
    // Purged on time, model aside: nothing listed longer than expiry + one scan interval.
    for (const auto& [addr, l] : sut.routes.broker_live_table()) {
      RC_ASSERT(Wall(now) - l.last_update <= milliseconds(kExpiryMs + kScanEveryMs));
    }
  }
  void show(std::ostream& os) const override { os << "Advance(" << ms << "ms)"; }
};

void CheckRouteModel() {
  RouteModel model;
  Sut sut;
  // Registrations weigh more: the tables fill up before they are torn down.
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<Register, Register, Register, Register,
                                                     Unregister, CloseChannel, Advance, Advance>());
}

TEST(RouteModel, RouteInfoManagerMatchesTheReferenceModel) {
  const auto result = property::CheckSeeded("route table vs model", property::Cases(1000),
                                            [] { CheckRouteModel(); });
  EXPECT_TRUE(property::Passed(result)) << property::Describe(result);
}

// The model check can fail: a SUT that forgets to honour the data version (topic configs
// replaced on every master registration) disagrees with the model, and RapidCheck shrinks the
// counterexample to two registrations of one master with one version.
TEST(RouteModel, RefutedWhenTheDataVersionIsIgnored) {
  const auto result = property::CheckSeeded("route table ignoring data versions", 400, [] {
    RouteModel model;
    Sut sut;
    // A broken "reference": replaces queue data whatever the version says.
    struct Blind : Register {
      void apply(RouteModel& m) const override {
        Register::apply(m);
        if (id != common::kMasterId) return;
        for (const auto& [tname, tc] : Table()) {
          m.topics[tname][BrokerNameOf(name)] = {tc.read_queue_nums, tc.write_queue_nums, tc.perm};
        }
      }
      void run(const RouteModel& before, Sut& s) const override {
        RouteModel m = before;
        apply(m);
        RegisterBrokerRequest req;
        req.cluster_name = ClusterOf(name);
        req.broker_addr = AddrOf(name, slot);
        req.broker_name = BrokerNameOf(name);
        req.broker_id = id;
        req.ha_server_addr = HaAddrOf(name, slot);
        common::TopicConfigSerializeWrapper w;
        w.data_version = {.timestamp = 1, .counter = counter};
        w.topic_config_table = Table();
        req.topic_config_wrapper = w;
        req.channel_id = ChannelOf(name, slot, k);
        s.routes.RegisterBroker(req, Wall(m.now_ms));
        Compare(m, s);
      }
    };
    rc::state::check(model, sut, rc::state::gen::execOneOfWithArgs<Blind, Unregister, Advance>());
  });
  ASSERT_FALSE(property::Passed(result)) << "a model that ignores data versions was not refuted";
  std::cout << property::Describe(result) << std::endl;
}

}  // namespace
}  // namespace rmqsim::namesrv
