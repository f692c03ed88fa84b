// RapidCheck properties of master/slave replication (HAService) on two simulated machines: a
// SYNC_MASTER master and one slave under generated, shrinkable fault schedules (puts, kill -9 of
// the master, power loss of the master machine, kill -9 of the slave, master<->slave partitions,
// time passing). The world's seed is a hash of the schedule; RapidCheck's seed is fixed.
//
// Property: every message answered PUT_OK (the master stored it and the slave acknowledged it) is,
// once everything is healed and the slave has caught up, readable on the master with its body
// intact and readable on the slave through its consume queues, and the slave's commit log equals
// the master's byte for byte (and the slave never diverged).
//
// 1. Under SYNC_FLUSH it holds: every put is answered before the next step, and an answered put
//    was fsynced on the master, so a power loss takes nothing the slave has.
// 2. Under ASYNC_FLUSH it is refuted, as in RocketMQ 4.9.8: a power loss drops the master's
//    unflushed tail (PUT_OK messages lost on the master) while the slave keeps it; the slave then
//    reports an offset the restarted master has not reached, the master counts it as acknowledged
//    and later pushes mid-record bytes: the slave diverges, its dispatch stalls, and PUT_OK
//    messages are unreadable on it.
// 3. SYNC_FLUSH with puts still in flight at the power loss is refuted the same way (the transfer
//    of a put races its fsync), though nothing acknowledged is lost on the master.
// The refutation tests let RapidCheck find and shrink a counterexample, print it, replay it and
// assert what went wrong.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/simulated/world.h"
#include "system/store/ha_service.h"
#include "tests/system/store/ha_test_util.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::MakeRequest;
using testing::SmallConfig;

// ------------------------------------------------------------------------------ the schedule

enum class StepKind {
  kPutInFlight,
  kPut,
  kKillMaster,
  kPowerCycleMaster,
  kKillSlave,
  kPartition,
  kAdvance
};

struct Step {
  StepKind kind = StepKind::kPut;
  int n = 1;      // kPut: messages put concurrently (the step waits for every answer)
  int size = 16;  // kPut: body bytes of each
  int secs = 1;   // kPartition: master<->slave cut for this long, then healed
  int ms = 0;     // kAdvance: time that passes
  int us = 0;     // kPutInFlight: time before the next step (the answers come when they come)
};
using Schedule = std::vector<Step>;

// How RapidCheck prints a counterexample (ADL).
void showValue(const Step& s, std::ostream& os) {
  switch (s.kind) {
    case StepKind::kPutInFlight:
      os << "PutInFlight(" << s.n << "x" << s.size << "B, " << s.us << "us)";
      break;
    case StepKind::kPut:
      os << "Put(" << s.n << "x" << s.size << "B)";
      break;
    case StepKind::kKillMaster:
      os << "KillMaster";
      break;
    case StepKind::kPowerCycleMaster:
      os << "PowerCycleMaster";
      break;
    case StepKind::kKillSlave:
      os << "KillSlave";
      break;
    case StepKind::kPartition:
      os << "Partition(" << s.secs << "s)";
      break;
    case StepKind::kAdvance:
      os << "Advance(" << s.ms << "ms)";
      break;
  }
}
std::ostream& operator<<(std::ostream& os, const Step& s) {
  showValue(s, os);
  return os;
}
std::string Show(const Schedule& steps) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < steps.size(); ++i) os << (i ? ", " : "") << steps[i];
  os << "]";
  return os.str();
}

// `in_flight`: also puts whose answers are not awaited, so that the next step (a power loss) can
// come while their records are written and streamed but not yet fsynced.
rc::Gen<Step> GenStep(bool in_flight) {
  return rc::gen::build<Step>(
      rc::gen::set(&Step::kind,
                   rc::gen::weightedElement<StepKind>({{in_flight ? 4 : 0, StepKind::kPutInFlight},
                                                       {8, StepKind::kPut},
                                                       {2, StepKind::kKillMaster},
                                                       {2, StepKind::kPowerCycleMaster},
                                                       {2, StepKind::kKillSlave},
                                                       {2, StepKind::kPartition},
                                                       {3, StepKind::kAdvance}})),
      rc::gen::set(&Step::n, rc::gen::inRange(1, 6)),
      rc::gen::set(&Step::size, rc::gen::inRange(16, 3000)),
      rc::gen::set(&Step::secs, rc::gen::inRange(1, 30)),
      rc::gen::set(&Step::ms, rc::gen::inRange(0, 30000)),
      rc::gen::set(&Step::us, rc::gen::inRange(0, 3000)));
}
// Up to 24 steps (fewer while RapidCheck's size is small); every step drawn from its full ranges.
rc::Gen<Schedule> GenSchedule(bool in_flight = false) {
  return rc::gen::resize(24,
                         rc::gen::container<Schedule>(rc::gen::resize(100, GenStep(in_flight))));
}

// The world's seed: a hash of the schedule, so a case is the schedule alone.
uint64_t SeedOf(const Schedule& steps) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  };
  for (const Step& s : steps) {
    mix(static_cast<uint64_t>(s.kind));
    mix(static_cast<uint64_t>(s.n));
    mix(static_cast<uint64_t>(s.size));
    mix(static_cast<uint64_t>(s.secs));
    mix(static_cast<uint64_t>(s.ms));
    mix(static_cast<uint64_t>(s.us));
  }
  return h == 0 ? 1 : h;
}

// ------------------------------------------------------------------------------ the cluster

using testing::HaNode;

// A message answered PUT_OK.
struct Acked {
  int id = 0;
  int32_t queue = 0;
  int64_t queue_offset = 0;
  int64_t phy_offset = 0;
  std::string body;
};

// What a schedule did, and every way it broke the property.
struct Outcome {
  std::vector<std::string> violations;
  std::map<std::string, int> statuses;  // put answers by status
  int acked = 0;
  int lost_on_master = 0;       // PUT_OK, not readable (or another body) on the master
  int unreadable_on_slave = 0;  // PUT_OK, not readable (or another body) on the slave
  bool slave_diverged = false;
  std::optional<int64_t> reput_stalled_at;
  int64_t master_max = 0;
  int64_t slave_max = 0;
  bool logs_equal = false;
  double sim_seconds = 0;

  bool ok() const { return violations.empty(); }
  std::string Summary() const {
    std::ostringstream os;
    os << "answers {";
    bool first = true;
    for (const auto& [k, v] : statuses) {
      os << (first ? "" : ", ") << k << ": " << v;
      first = false;
    }
    os << "}; PUT_OK " << acked << ", lost on master " << lost_on_master << ", unreadable on slave "
       << unreadable_on_slave << "; master max " << master_max << ", slave max " << slave_max
       << ", logs " << (logs_equal ? "equal" : "differ") << ", slave diverged "
       << (slave_diverged ? "yes" : "no") << ", reput stalled at "
       << (reput_stalled_at ? std::to_string(*reput_stalled_at) : std::string("-")) << "; "
       << sim_seconds << " s simulated";
    for (const std::string& v : violations) os << "\n  " << v;
    return os.str();
  }
};

common::Bytes ReadLog(DefaultMessageStore& s, int64_t from, int64_t to) {
  auto r = testing::ReadCommitLog(s, from, to);
  return r.ok() ? *r : common::Bytes{};
}

// The body stored at queue offset `qo` of T/queue, if readable.
std::optional<std::string> BodyAt(DefaultMessageStore& s, int32_t queue, int64_t qo) {
  auto r = s.GetMessage("g", "T", queue, qo, 1, 0, nullptr);
  if (!r.ok() || r->status != GetMessageStatus::kFound || r->message_buffers.empty()) {
    return std::nullopt;
  }
  auto msg = common::DecodeStoredMessage(r->message_buffers[0]);  // CRC checked
  if (!msg.ok() || msg->queue_offset != qo) return std::nullopt;
  return common::StringFromBytes(msg->message.body());
}

constexpr int32_t kQueues = 4;
constexpr char kMasterHa[] = "10.0.0.1:10912";

Outcome RunSchedule(FlushDiskType flush, const Schedule& steps) {
  Outcome out;
  sim::World w({.seed = SeedOf(steps)});
  auto mm = *w.AddMachine({.name = "master", .ip = "10.0.0.1", .disk = {.tear_probability = 0.7}});
  auto sm = *w.AddMachine({.name = "slave", .ip = "10.0.0.2"});
  auto ms = std::make_shared<HaNode::Shared>();
  ms->config = SmallConfig();
  ms->config.broker_role = BrokerRole::kSyncMaster;
  ms->config.flush_disk_type = flush;
  auto ss = std::make_shared<HaNode::Shared>();
  ss->config = SmallConfig();
  ss->config.broker_role = BrokerRole::kSlave;
  ss->config.flush_disk_type = flush;
  ss->ha.master_ha_address = kMasterHa;
  auto mp = *w.AddProcess(mm, "broker-a-0",
                          [ms](Runtime& rt) { return std::make_unique<HaNode>(rt, ms); });
  auto sp = *w.AddProcess(sm, "broker-a-1",
                          [ss](Runtime& rt) { return std::make_unique<HaNode>(rt, ss); });
  auto master = [&]() -> HaNode& { return *w.service_as<HaNode>(mp); };
  auto slave = [&]() -> HaNode& { return *w.service_as<HaNode>(sp); };
  auto start = [&](sim::ProcessId p, const char* who) {
    Status s = w.StartProcess(p);
    w.RunFor(Duration::zero());
    if (!s.ok() || !w.IsRunning(p)) {
      out.violations.push_back(std::string(who) + " did not start: " + s.ToString());
      return false;
    }
    return true;
  };

  if (!start(mp, "master") || !start(sp, "slave")) return out;
  w.RunUntil([&] { return master().ha->connection_count() > 0; }, w.now() + seconds(30));
  w.RunFor(seconds(1));

  std::vector<Acked> acked;
  struct InFlight {
    int id;
    int32_t queue;
    std::string body;
    std::shared_ptr<std::optional<PutMessageResult>> result;
  };
  std::vector<InFlight> inflight;
  int next_id = 0;
  uint64_t partition_gen = 0;  // a scheduled heal only ends the partition that scheduled it
  for (const Step& step : steps) {
    switch (step.kind) {
      case StepKind::kPutInFlight:
      case StepKind::kPut: {
        struct Pending {
          int id;
          int32_t queue;
          std::string body;
          std::shared_ptr<std::optional<PutMessageResult>> result;
        };
        std::vector<Pending> pending;
        for (int i = 0; i < step.n; ++i) {
          const int id = next_id++;
          std::string body = "h" + std::to_string(id) + ":";
          while (body.size() < static_cast<size_t>(step.size)) {
            body += static_cast<char>('a' + (body.size() + id) % 26);
          }
          auto res = std::make_shared<std::optional<PutMessageResult>>();
          master().store->PutMessage(MakeRequest("T", id % kQueues, body),
                                     [res](PutMessageResult r) { *res = std::move(r); });
          pending.push_back({id, id % kQueues, std::move(body), res});
        }
        if (step.kind == StepKind::kPutInFlight) {
          w.RunFor(microseconds(step.us));
          for (Pending& p : pending) inflight.push_back({p.id, p.queue, p.body, p.result});
          break;
        }
        w.RunUntil(
            [&] {
              for (const Pending& p : pending) {
                if (!p.result->has_value()) return false;
              }
              return true;
            },
            w.now() + seconds(30));
        for (const Pending& p : pending) {
          if (!p.result->has_value()) {
            out.violations.push_back("put #" + std::to_string(p.id) + " never answered");
            continue;
          }
          const PutMessageResult& r = **p.result;
          ++out.statuses[std::string(PutMessageStatusName(r.status))];
          if (r.status == PutMessageStatus::kPutOk) {
            acked.push_back({p.id, p.queue, r.append_result.logics_offset,
                             r.append_result.wrote_offset, p.body});
          }
        }
        break;
      }
      case StepKind::kKillMaster:
        w.KillProcess(mp);
        if (!start(mp, "master")) return out;
        break;
      case StepKind::kPowerCycleMaster:
        w.PowerOff(mm);
        w.PowerOn(mm);
        if (!start(mp, "master")) return out;
        break;
      case StepKind::kKillSlave:
        w.KillProcess(sp);
        if (!start(sp, "slave")) return out;
        break;
      case StepKind::kPartition: {
        w.Partition(mm, sm);
        const uint64_t gen = ++partition_gen;
        w.Schedule(seconds(step.secs), [&w, &partition_gen, gen, mm, sm] {
          if (gen == partition_gen) w.Heal(mm, sm);
        });
        break;
      }
      case StepKind::kAdvance:
        w.RunFor(milliseconds(step.ms));
        break;
    }
  }

  // Everything healed and running; time for the slave to notice, reconnect and catch up.
  ++partition_gen;
  w.Heal(mm, sm);
  w.RunFor(seconds(1));
  w.RunUntil(
      [&] {
        return slave().store->GetMaxPhyOffset() == master().store->GetMaxPhyOffset() &&
               slave().store->DispatchBehindBytes() == 0 &&
               master().store->DispatchBehindBytes() == 0;
      },
      w.now() + seconds(120));
  w.RunFor(seconds(1));
  for (const InFlight& p : inflight) {
    if (!p.result->has_value()) continue;
    const PutMessageResult& r = **p.result;
    ++out.statuses[std::string(PutMessageStatusName(r.status))];
    if (r.status == PutMessageStatus::kPutOk) {
      acked.push_back(
          {p.id, p.queue, r.append_result.logics_offset, r.append_result.wrote_offset, p.body});
    }
  }
  out.sim_seconds = std::chrono::duration<double>(w.now().time_since_epoch()).count();

  DefaultMessageStore& m = *master().store;
  DefaultMessageStore& s = *slave().store;
  out.acked = static_cast<int>(acked.size());
  out.slave_diverged = slave().ha->slave_diverged();
  out.reput_stalled_at = s.reput_stalled_at();
  out.master_max = m.GetMaxPhyOffset();
  out.slave_max = s.GetMaxPhyOffset();
  for (const Acked& a : acked) {
    const std::string what = "PUT_OK #" + std::to_string(a.id) + " (q" + std::to_string(a.queue) +
                             "@" + std::to_string(a.queue_offset) + ", phy " +
                             std::to_string(a.phy_offset) + ")";
    auto on_master = BodyAt(m, a.queue, a.queue_offset);
    if (on_master != a.body) {
      ++out.lost_on_master;
      out.violations.push_back(what + (on_master ? " has another body" : " is gone") +
                               " on the master");
    }
    auto on_slave = BodyAt(s, a.queue, a.queue_offset);
    if (on_slave != a.body) {
      ++out.unreadable_on_slave;
      out.violations.push_back(what + (on_slave ? " has another body" : " is unreadable") +
                               " on the slave");
    }
  }
  if (out.slave_max != out.master_max) {
    out.violations.push_back("slave max offset " + std::to_string(out.slave_max) +
                             " != master max offset " + std::to_string(out.master_max));
  } else {
    const int64_t from = std::max<int64_t>(0, s.GetMinPhyOffset());  // -1 when empty
    const common::Bytes a = ReadLog(m, from, out.master_max);
    const common::Bytes b = ReadLog(s, from, out.master_max);
    // (A full segment's blank-marker tail is not physical: both reads skip it.)
    out.logs_equal = a == b && (!a.empty() || out.master_max <= from);
    if (!out.logs_equal) {
      out.violations.push_back("commit logs differ in [" + std::to_string(from) + ", " +
                               std::to_string(out.master_max) + ")");
    }
  }
  if (out.slave_diverged) out.violations.push_back("the slave diverged");
  if (out.reput_stalled_at) {
    out.violations.push_back("slave dispatch stalled at " + std::to_string(*out.reput_stalled_at));
  }
  return out;
}

// ------------------------------------------------------------------------------ checking

// rc::check with a fixed seed (the result does not depend on RC_PARAMS' seed).
template <typename Testable>
rc::detail::TestResult CheckSeeded(const std::string& name, int max_success, Testable&& t) {
  rc::detail::TestParams params;
  params.seed = 0x5eed4a;
  params.maxSuccess = max_success;
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  return rc::detail::checkTestable(std::forward<Testable>(t), metadata, params);
}

std::string Describe(const rc::detail::TestResult& r) {
  std::ostringstream os;
  rc::detail::printResultMessage(r, os);
  return os.str();
}

// The shrunk counterexample of a refuted property: RapidCheck's last failing case is the one it
// reports, so the property records every failing schedule and the last one wins. The schedule is
// then replayed (the world's seed comes from it, so the replay is the same run) for the caller to
// assert on.
struct Refutation {
  bool refuted = false;
  Schedule schedule;
  Outcome replayed;
};

// Runs up to 2000 cases looking for one where `violated(outcome)`; prints RapidCheck's report, the
// shrunk schedule and its replayed outcome, and records the schedule in the test's XML.
template <typename Violated>
Refutation Refute(const std::string& name, FlushDiskType flush, bool in_flight, Violated violated) {
  Refutation ref;
  auto last_failure = std::make_shared<std::optional<Schedule>>();
  const auto result = CheckSeeded(name, 2000, [=] {
    const Schedule steps = *GenSchedule(in_flight);
    const Outcome o = RunSchedule(flush, steps);
    if (violated(o)) {
      *last_failure = steps;
      RC_FAIL(o.Summary());
    }
  });
  std::cout << Describe(result) << std::endl;
  ref.refuted = result.template is<rc::detail::FailureResult>() && last_failure->has_value();
  if (!ref.refuted) return ref;
  ref.schedule = **last_failure;
  ref.replayed = RunSchedule(flush, ref.schedule);
  std::cout << "shrunk counterexample: " << Show(ref.schedule)
            << "\nreplayed: " << ref.replayed.Summary() << std::endl;
  ::testing::Test::RecordProperty("counterexample", Show(ref.schedule));
  return ref;
}

// Property 1. A case simulates up to a few minutes in about a millisecond.
constexpr int kCases = 1000;

TEST(HaProperty, SyncFlushSyncMasterKeepsEveryPutOkOnBothBrokers) {
  const auto started = std::chrono::steady_clock::now();  // lint-allow: prints the run's cost
  const auto result = CheckSeeded("SYNC_FLUSH SYNC_MASTER keeps PUT_OK on both", kCases, [] {
    const Schedule steps = *GenSchedule();
    const Outcome o = RunSchedule(FlushDiskType::kSyncFlush, steps);
    RC_TAG(o.acked > 0 ? "some PUT_OK" : "no PUT_OK");
    if (!o.ok()) RC_FAIL(o.Summary());
  });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)  // lint-allow: ditto
          .count();
  std::cout << Describe(result) << "\n(" << secs << " s)" << std::endl;
  ASSERT_TRUE(result.is<rc::detail::SuccessResult>()) << Describe(result);
  EXPECT_EQ(result.get<rc::detail::SuccessResult>().numSuccess, kCases);
}

// Property 2: the same property under ASYNC_FLUSH fails. The shrunk counterexample is a PUT_OK
// message and a power loss: the master's unflushed tail is gone, the slave still has it.
TEST(HaProperty, AsyncFlushLosesPutOkOnPowerLoss) {
  const Refutation ref =
      Refute("ASYNC_FLUSH SYNC_MASTER keeps PUT_OK on both", FlushDiskType::kAsyncFlush,
             /*in_flight=*/false, [](const Outcome& o) { return !o.ok(); });
  ASSERT_TRUE(ref.refuted) << "the ASYNC_FLUSH property was not refuted";
  const Outcome& o = ref.replayed;
  ASSERT_FALSE(o.ok()) << "the counterexample does not replay";
  EXPECT_GT(o.lost_on_master, 0) << o.Summary();
  bool power_loss = false;
  for (const Step& s : ref.schedule) power_loss |= s.kind == StepKind::kPowerCycleMaster;
  EXPECT_TRUE(power_loss) << "only a power loss loses an ASYNC_FLUSH tail";
}

// Narrowed to 4.x's diverged slave: after the master lost a tail the slave has, the slave's stale
// offset report acknowledges new puts, the master later pushes mid-record bytes, the slave appends
// them raw, keeps acknowledging, and its dispatch stalls: PUT_OK messages it cannot serve.
TEST(HaProperty, AsyncFlushDivergedSlaveCannotServePutOk) {
  const Refutation ref =
      Refute("ASYNC_FLUSH SYNC_MASTER: the slave never diverges", FlushDiskType::kAsyncFlush,
             /*in_flight=*/false,
             [](const Outcome& o) { return o.slave_diverged && o.unreadable_on_slave > 0; });
  ASSERT_TRUE(ref.refuted) << "the slave never diverged";
  const Outcome& o = ref.replayed;
  EXPECT_TRUE(o.slave_diverged) << o.Summary();
  EXPECT_TRUE(o.reput_stalled_at.has_value()) << o.Summary();
  EXPECT_GT(o.unreadable_on_slave, 0) << o.Summary();
  EXPECT_FALSE(o.logs_equal) << o.Summary();
}

// SYNC_FLUSH holds only because every put above is answered before the next step. A put still in
// flight when the master loses power (written and streamed to the slave, not yet fsynced, never
// answered) leaves the slave ahead of the restarted master, and its stale offset report then
// acknowledges a new put it does not have: PUT_OK, unreadable on the slave. RocketMQ 4.9.8 does the
// same (HAConnection counts the slave's first report as push2SlaveMaxOffset; the transfer of a
// SYNC_MASTER put races its group commit).
TEST(HaProperty, SyncFlushPutInFlightAtPowerLossAcksThroughStaleSlave) {
  const Refutation ref = Refute(
      "SYNC_FLUSH SYNC_MASTER with puts in flight keeps PUT_OK on both", FlushDiskType::kSyncFlush,
      /*in_flight=*/true,
      [](const Outcome& o) { return o.lost_on_master + o.unreadable_on_slave > 0; });
  ASSERT_TRUE(ref.refuted) << "no PUT_OK message went missing with puts in flight";
  const Outcome& o = ref.replayed;
  EXPECT_EQ(o.lost_on_master, 0) << "SYNC_FLUSH: nothing acknowledged is lost on the master";
  EXPECT_GT(o.unreadable_on_slave, 0) << o.Summary();
  bool in_flight = false;
  for (const Step& s : ref.schedule) in_flight |= s.kind == StepKind::kPutInFlight;
  EXPECT_TRUE(in_flight) << Show(ref.schedule);
}

}  // namespace
}  // namespace rmqsim::store
