// The store's and HA's invariants (RMQ_ASSERT: always; RMQ_SIM_ASSERT: in the simulated world,
// which a live sim::World installs for the thread) each fire on a broken state built by hand,
// and stay quiet on the legal sequence that comes closest. Last, BUGGIFY: a master/slave run with
// the store's rare paths enabled differs from the plain run but ends with the same data.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/assert.h"
#include "sim/simulated/world.h"
#include "system/common/consume_queue_entry.h"
#include "system/store/consume_queue.h"
#include "system/store/ha_service.h"
#include "system/store/mapped_file_queue.h"
#include "system/store/store_checkpoint.h"
#include "tests/system/store/ha_test_util.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::HaNode;
using testing::MakeRequest;
using testing::SmallConfig;

common::Bytes Filler(size_t n) { return common::Bytes(n, std::byte{0x5a}); }

// ------------------------------------------------------------------ commit-log positions

class StoreInvariantsDeathTest : public testing::StoreTest {};

TEST_F(StoreInvariantsDeathTest, LogEndGoingBackOutsideRecoveryFires) {
  StartStore();
  MappedFileQueue q(rt(), "inv/q", 4096);
  auto mf = q.GetLastMappedFile(0);
  ASSERT_TRUE(mf.ok());
  ASSERT_TRUE((*mf)->Append(Filler(100)).ok());
  q.CheckProgress();
  // Legal: recovery cuts the log through TruncateDirtyFiles, which re-bases the marks.
  ASSERT_TRUE(q.TruncateDirtyFiles(60).ok());
  q.CheckProgress();
  ASSERT_TRUE((*mf)->Append(Filler(40)).ok());
  q.CheckProgress();
  // Broken: the write position moved back behind the queue's back.
  (*mf)->SetPositions(40);
  EXPECT_DEATH(q.CheckProgress(), "inv/q: end went back from 100 to 40");
}

TEST_F(StoreInvariantsDeathTest, FlushPointPastTheEndFires) {
  StartStore();
  MappedFileQueue q(rt(), "inv/q", 4096);
  auto mf = q.GetLastMappedFile(0);
  ASSERT_TRUE(mf.ok());
  ASSERT_TRUE((*mf)->Append(Filler(100)).ok());
  q.set_flushed_where(100);
  q.CheckProgress();
  q.set_flushed_where(500);
  EXPECT_DEATH(q.CheckProgress(), "inv/q: flush point 500 is past the end 100");
}

TEST_F(StoreInvariantsDeathTest, SegmentFlushedBeyondWhatWasWrittenFires) {
  StartStore();
  MappedFileQueue q(rt(), "inv/q", 4096);
  auto mf = q.GetLastMappedFile(0);
  ASSERT_TRUE(mf.ok());
  ASSERT_TRUE((*mf)->Append(Filler(100)).ok());
  // Legal: a flush pass confirms what was written.
  std::optional<Status> done;
  q.Flush(0, [&](const Status& s) { done = s; });
  world_.RunUntil([&] { return done.has_value(); }, world_.now() + seconds(5));
  ASSERT_TRUE(done.has_value() && done->ok());
  EXPECT_EQ(q.flushed_where(), 100);
  // Broken: the segment loses written bytes while an fsync of them is in flight.
  ASSERT_TRUE((*mf)->Append(Filler(100)).ok());
  EXPECT_DEATH(
      {
        q.Flush(0);
        world_.RunFor(Duration::zero());  // the pass issues its fsync of 200 bytes
        (*mf)->SetPositions(150);
        world_.RunFor(seconds(5));
      },
      "flushed 200 > written 150");
}

// ------------------------------------------------------------------------ consume queues

TEST_F(StoreInvariantsDeathTest, ConsumeQueueGrowingByMoreThanOneEntryFires) {
  StartStore();
  ConsumeQueue cq(rt(), "T", 0, "inv/cq", 20 * 100);
  CheckConsumeQueueGrowth(cq, 3, 4, 3);   // one entry at the end
  CheckConsumeQueueGrowth(cq, 3, 3, 1);   // already indexed: nothing added
  CheckConsumeQueueGrowth(cq, 0, 10, 9);  // pre-blank fill up to the record's entry
  EXPECT_DEATH(CheckConsumeQueueGrowth(cq, 3, 5, 3),
               "consume queue T/0 went from 3 to 5 entries for the record at queue offset 3");
}

TEST_F(StoreInvariantsDeathTest, MasterEntryNotAtItsRecordsQueueOffsetFires) {
  StartStore();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Put("T", 0, "m" + std::to_string(i)).status,
                                        PutMessageStatus::kPutOk);
  ConsumeQueue* cq = store().GetConsumeQueue("T", 0);
  ASSERT_NE(cq, nullptr);
  ASSERT_EQ(cq->GetMaxOffsetInQueue(), 5);
  // Broken: three entries vanish without the truncation path; the topic-queue table still says 5.
  cq->mapped_file_queue().last()->SetPositions(2 * 20);
  EXPECT_DEATH(Put("T", 0, "m5"), "entry for T/0 queue offset 5 written at 2");
}

TEST_F(StoreInvariantsDeathTest, EntryPointingAtAnotherQueuesRecordFires) {
  StartStore();
  ASSERT_EQ(Put("A", 0, "for A").status, PutMessageStatus::kPutOk);
  PutMessageResult b = Put("B", 0, "for B");
  ASSERT_EQ(b.status, PutMessageStatus::kPutOk);
  EXPECT_EQ(Get("A", 0, 0).status, GetMessageStatus::kFound);  // legal: quiet
  // Broken: A/0's entry 0 rewritten on disk to point at B's record.
  const std::string path =
      config().StorePathConsumeQueue() + "/A/0/" + OffsetToFileName(0);
  auto f = rt().fs().Open(path, OpenMode::kOpenExisting);
  ASSERT_TRUE(f.ok()) << f.status();
  auto entry = common::EncodeConsumeQueueEntry(
      {b.append_result.wrote_offset, b.append_result.wrote_bytes, 0});
  ASSERT_TRUE((*f)->WriteAt(0, entry).ok());
  EXPECT_DEATH((void)store().GetMessage("g", "A", 0, 0, 32, 0, nullptr),
               "consume-queue entry mismatch: TOPIC B \\(entry A/0@0 -> ");
}

// ---------------------------------------------------------------------------- checkpoint

TEST_F(StoreInvariantsDeathTest, CheckpointFlushPointsGoingBackFire) {
  StartStore();
  StoreCheckpoint cp(rt(), "inv/checkpoint");
  cp.SetFlushPoints(100, 200);
  cp.SetFlushPoints(100, 250);
  cp.set_physic_msg_timestamp(5000);
  cp.set_physic_msg_timestamp(4000);  // legal: store times follow a wall clock that may jump back
  EXPECT_DEATH(cp.SetFlushPoints(90, 250),
               "checkpoint flush points went back from \\(100, 250\\) to \\(90, 250\\)");
  {
    // A simulation-only check: quiet in real mode.
    ScopedFailureContext real{[] { return std::string("real mode"); }, false};
    cp.SetFlushPoints(90, 250);
  }
}

TEST(StoreCheckpointLoadTest, ValuesLoadedFromTheFileAreNotCompared) {
  // A new process may set flush points below the file's (abnormal recovery re-bases the commit
  // log's flush point): only this process's own earlier values count.
  sim::World world(sim::WorldConfig{});
  auto m = *world.AddMachine({.name = "m", .ip = "10.0.0.1"});
  struct Svc final : Service {
    explicit Svc(Runtime& rt) : rt(rt) {}
    Status Start() override { return Status::Ok(); }
    void Stop(std::function<void()> done) override { done(); }
    Runtime& rt;
  };
  auto p = *world.AddProcess(m, "p", [](Runtime& rt) { return std::make_unique<Svc>(rt); });
  ASSERT_TRUE(world.StartProcess(p).ok());
  world.RunFor(Duration::zero());
  ASSERT_NE(world.service_as<Svc>(p), nullptr);
  Runtime& rt = world.service_as<Svc>(p)->rt;
  {
    StoreCheckpoint cp(rt, "checkpoint");
    ASSERT_TRUE(cp.Load().ok());
    cp.SetFlushPoints(1000, 1000);
    std::optional<Status> done;
    cp.Flush([&](const Status& s) { done = s; });
    world.RunUntil([&] { return done.has_value(); }, world.now() + seconds(5));
    ASSERT_TRUE(done.has_value() && done->ok());
  }
  StoreCheckpoint again(rt, "checkpoint");
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.physic_flushed_offset(), 1000);
  again.SetFlushPoints(10, 10);  // quiet
}

// -------------------------------------------------------------------------------------- HA

// A scripted slave: connects to the master's HA port, reports `first`, then `second` 2 s later,
// and reads (and drops) whatever the master pushes.
class FakeSlave final : public Service {
 public:
  struct Script {
    int64_t first = 0;
    int64_t second = 0;
  };
  FakeSlave(Runtime& rt, std::shared_ptr<Script> script) : rt_(rt), script_(std::move(script)) {}
  Status Start() override {
    auto addr = Address::Parse("10.0.0.1:10912");
    if (!addr.ok()) return addr.status();
    rt_.network().Connect(*addr, seconds(3), [this](StatusOr<std::shared_ptr<Connection>> c) {
      if (!c.ok()) return;
      conn_ = *c;
      conn_->Start([](std::span<const std::byte>) {}, [](const Status&) {});
      Report(script_->first);
      rt_.executor().ScheduleAfter(seconds(2), [this] { Report(script_->second); });
    });
    return Status::Ok();
  }
  void Stop(std::function<void()> done) override { done(); }

 private:
  void Report(int64_t offset) {
    common::Bytes b(8);
    common::StoreI64(b.data(), offset);
    (void)conn_->Send(b);
  }
  Runtime& rt_;
  std::shared_ptr<Script> script_;
  std::shared_ptr<Connection> conn_;
};

class HaInvariantsDeathTest : public ::testing::Test {
 protected:
  HaInvariantsDeathTest() : world_(sim::WorldConfig{}) {
    master_shared_ = std::make_shared<HaNode::Shared>();
    master_shared_->config = SmallConfig();
    master_shared_->config.broker_role = BrokerRole::kAsyncMaster;
    mm_ = *world_.AddMachine({.name = "master", .ip = "10.0.0.1"});
    sm_ = *world_.AddMachine({.name = "slave", .ip = "10.0.0.2"});
    auto ms = master_shared_;
    mp_ = *world_.AddProcess(mm_, "broker-a-0",
                             [ms](Runtime& rt) { return std::make_unique<HaNode>(rt, ms); });
  }
  void Start(sim::ProcessId p) {
    ASSERT_TRUE(world_.StartProcess(p).ok());
    world_.RunFor(Duration::zero());
    ASSERT_TRUE(world_.IsRunning(p));
  }
  HaNode& master() { return *world_.service_as<HaNode>(mp_); }
  void PutOnMaster(int n) {
    for (int i = 0; i < n; ++i) {
      std::optional<PutMessageResult> r;
      master().store->PutMessage(MakeRequest("TopicA", i % 4, "body-" + std::to_string(i)),
                                 [&](PutMessageResult res) { r = std::move(res); });
      world_.RunUntil([&] { return r.has_value(); }, world_.now() + seconds(5));
      ASSERT_TRUE(r.has_value() && r->status == PutMessageStatus::kPutOk);
    }
  }

  sim::World world_;
  std::shared_ptr<HaNode::Shared> master_shared_;
  sim::MachineId mm_, sm_;
  sim::ProcessId mp_;
};

TEST_F(HaInvariantsDeathTest, SlaveAckingMoreThanItWasSentFires) {
  Start(mp_);
  PutOnMaster(10);
  const int64_t max = master().store->GetMaxPhyOffset();
  auto script = std::make_shared<FakeSlave::Script>();
  // Legal: a first report beyond the master's end (a slave that kept a tail the master lost).
  script->first = max + 4096;
  script->second = max + 4096;
  auto sp = *world_.AddProcess(sm_, "fake-slave", [script](Runtime& rt) {
    return std::make_unique<FakeSlave>(rt, script);
  });
  Start(sp);
  world_.RunFor(seconds(3));
  EXPECT_EQ(master().ha->push_to_slave_max_offset(), max + 4096);
  world_.KillProcess(sp);
  world_.RunFor(seconds(1));
  // Broken: a slave that asked for `max` (nothing to send) then claims 100 bytes more.
  script->first = max;
  script->second = max + 100;
  EXPECT_DEATH(
      {
        ASSERT_TRUE(world_.StartProcess(sp).ok());
        world_.RunFor(seconds(3));
      },
      "acknowledged " + std::to_string(max + 100) + " but was sent up to");
}

TEST_F(HaInvariantsDeathTest, SlaveLogBeyondWhatTheMasterSentFires) {
  auto slave_shared = std::make_shared<HaNode::Shared>();
  slave_shared->config = SmallConfig();
  slave_shared->config.broker_role = BrokerRole::kSlave;
  slave_shared->ha.master_ha_address = "10.0.0.1:10912";
  auto sp = *world_.AddProcess(sm_, "broker-a-1", [slave_shared](Runtime& rt) {
    return std::make_unique<HaNode>(rt, slave_shared);
  });
  Start(mp_);
  Start(sp);
  PutOnMaster(20);
  HaNode& slave = *world_.service_as<HaNode>(sp);
  ASSERT_TRUE(world_.RunUntil(
      [&] { return slave.store->GetMaxPhyOffset() == master().store->GetMaxPhyOffset(); },
      world_.now() + seconds(30)));
  // Broken: bytes at the slave's end that no master sent.
  const int64_t end = slave.store->GetMaxPhyOffset();
  ASSERT_TRUE(slave.store->AppendRawToCommitLog(end, Filler(64)).ok());
  EXPECT_DEATH(
      {
        PutOnMaster(1);
        world_.RunFor(seconds(6));
      },
      "slave log ends at " + std::to_string(end + 64) +
          ", beyond the bytes the master sent \\(up to " + std::to_string(end) + "\\)");
}

// ---------------------------------------------------------------------------------- BUGGIFY

struct HaRun {
  uint64_t digest = 0;
  size_t store_sites_fired = 0;
  std::vector<std::string> master_messages;  // bodies, queue by queue
  bool slave_same_log = false;
};

// A SYNC_FLUSH ASYNC_MASTER and its slave; 300 puts of 4 queues, then both drained and compared.
HaRun RunHa(uint64_t seed, bool buggify) {
  HaRun out;
  sim::WorldConfig wc;
  wc.seed = seed;
  wc.buggify = buggify;
  sim::World world(wc);
  auto ms = std::make_shared<HaNode::Shared>();
  ms->config = SmallConfig();
  ms->config.broker_role = BrokerRole::kAsyncMaster;
  ms->config.flush_disk_type = FlushDiskType::kSyncFlush;
  auto ss = std::make_shared<HaNode::Shared>();
  ss->config = SmallConfig();
  ss->config.broker_role = BrokerRole::kSlave;
  ss->ha.master_ha_address = "10.0.0.1:10912";
  auto mm = *world.AddMachine({.name = "master", .ip = "10.0.0.1"});
  auto sm = *world.AddMachine({.name = "slave", .ip = "10.0.0.2"});
  auto mp = *world.AddProcess(mm, "broker-a-0",
                              [ms](Runtime& rt) { return std::make_unique<HaNode>(rt, ms); });
  auto sp = *world.AddProcess(sm, "broker-a-1",
                              [ss](Runtime& rt) { return std::make_unique<HaNode>(rt, ss); });
  EXPECT_TRUE(world.StartProcess(mp).ok());
  EXPECT_TRUE(world.StartProcess(sp).ok());
  world.RunFor(seconds(1));
  HaNode& master = *world.service_as<HaNode>(mp);
  HaNode& slave = *world.service_as<HaNode>(sp);
  int ok = 0;
  for (int i = 0; i < 300; ++i) {
    std::string body = "message-" + std::to_string(i) + std::string(static_cast<size_t>(i % 97) * 13, 'x');
    master.store->PutMessage(MakeRequest("TopicA", i % 4, body),
                             [&ok](PutMessageResult r) { ok += r.status == PutMessageStatus::kPutOk; });
    world.RunFor(milliseconds(5));
  }
  world.RunUntil(
      [&] {
        return ok == 300 &&
               slave.store->GetMaxPhyOffset() == master.store->GetMaxPhyOffset() &&
               slave.store->DispatchBehindBytes() == 0 && master.store->DispatchBehindBytes() == 0;
      },
      world.now() + seconds(120));
  EXPECT_EQ(ok, 300);
  for (int q = 0; q < 4; ++q) {
    int64_t offset = 0;
    while (true) {
      auto r = master.store->GetMessage("g", "TopicA", q, offset, 32, 0, nullptr);
      if (!r.ok() || r->status != GetMessageStatus::kFound) break;
      for (const auto& b : r->message_buffers) {
        auto m = common::DecodeStoredMessage(b);
        EXPECT_TRUE(m.ok());
        if (m.ok()) out.master_messages.push_back(common::StringFromBytes(m->message.body()));
      }
      offset = r->next_begin_offset;
    }
    EXPECT_EQ(slave.store->GetMaxOffsetInQueue("TopicA", q),
              master.store->GetMaxOffsetInQueue("TopicA", q));
  }
  const int64_t to = master.store->GetMaxPhyOffset();
  auto a = master.store->commit_log().ReadBytes(0, to);
  auto b = slave.store->commit_log().ReadBytes(0, to);
  out.slave_same_log = a.ok() && b.ok() && *a == *b && !a->empty();
  for (const auto& [site, s] : world.buggify().sites()) {
    if (site.find("system/store/") != std::string::npos && s.fired > 0) ++out.store_sites_fired;
  }
  out.digest = world.digest();
  return out;
}

TEST(StoreBuggifyTest, BuggifyChangesAnHaRunButNotItsData) {
  // The first seed whose run fires at least three store/HA sites (each site is enabled for a run
  // with probability 1/4).
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    HaRun bug = RunHa(seed, true);
    if (bug.store_sites_fired < 3) continue;
    HaRun plain = RunHa(seed, false);
    EXPECT_EQ(plain.store_sites_fired, 0u);
    EXPECT_NE(bug.digest, plain.digest) << "seed " << seed;
    EXPECT_TRUE(plain.slave_same_log);
    EXPECT_TRUE(bug.slave_same_log) << "seed " << seed;
    ASSERT_EQ(plain.master_messages.size(), 300u);
    EXPECT_EQ(bug.master_messages, plain.master_messages) << "seed " << seed;
    // And the plain run is the same run again.
    EXPECT_EQ(RunHa(seed, false).digest, plain.digest);
    return;
  }
  FAIL() << "no seed in 1..20 fired three store/HA BUGGIFY sites";
}

}  // namespace
}  // namespace rmqsim::store
