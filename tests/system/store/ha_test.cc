// Master/slave replication of the commit log (HAService) on two simulated machines.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "sim/simulated/world.h"
#include "system/store/ha_service.h"
#include "tests/system/store/ha_test_util.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::MakeRequest;
using testing::SmallConfig;

using testing::HaNode;

std::string Body(int i, size_t size) {
  std::string s = "m" + std::to_string(i) + ":";
  while (s.size() < size) s += static_cast<char>('a' + (s.size() + i) % 26);
  return s;
}

class HaTest : public ::testing::Test {
 protected:
  HaTest() : world_(sim::WorldConfig{}) {
    master_shared_ = std::make_shared<HaNode::Shared>();
    master_shared_->config = SmallConfig();
    master_shared_->config.broker_role = BrokerRole::kSyncMaster;
    slave_shared_ = std::make_shared<HaNode::Shared>();
    slave_shared_->config = SmallConfig();
    slave_shared_->config.broker_role = BrokerRole::kSlave;
    slave_shared_->ha.master_ha_address = "10.0.0.1:10912";
    mm_ = *world_.AddMachine({.name = "master", .ip = "10.0.0.1"});
    sm_ = *world_.AddMachine({.name = "slave", .ip = "10.0.0.2"});
    auto ms = master_shared_;
    mp_ = *world_.AddProcess(mm_, "broker-a-0",
                             [ms](Runtime& rt) { return std::make_unique<HaNode>(rt, ms); });
    auto ss = slave_shared_;
    sp_ = *world_.AddProcess(sm_, "broker-a-1",
                             [ss](Runtime& rt) { return std::make_unique<HaNode>(rt, ss); });
  }

  void StartNode(sim::ProcessId p) {
    Status s = world_.StartProcess(p);
    ASSERT_TRUE(s.ok()) << s;
    world_.RunFor(Duration::zero());
    ASSERT_TRUE(world_.IsRunning(p));
  }
  HaNode& master() { return *world_.service_as<HaNode>(mp_); }
  HaNode& slave() { return *world_.service_as<HaNode>(sp_); }

  std::shared_ptr<std::optional<PutMessageResult>> PutAsync(int i, size_t size = 700) {
    auto out = std::make_shared<std::optional<PutMessageResult>>();
    master().store->PutMessage(MakeRequest("TopicA", i % 4, Body(i, size)),
                               [out](PutMessageResult r) { *out = std::move(r); });
    return out;
  }
  PutMessageResult Put(int i, size_t size = 700) {
    auto out = PutAsync(i, size);
    world_.RunUntil([&] { return out->has_value(); }, world_.now() + seconds(30));
    EXPECT_TRUE(out->has_value());
    return out->value_or(PutMessageResult{});
  }
  // Until the master has a slave connection and the slave's first offset report arrived (a slave
  // reporting 0 to a master with data starts at the master's last segment, as in Java).
  bool WaitConnected() {
    if (!world_.RunUntil([&] { return master().ha->connection_count() > 0; },
                         world_.now() + seconds(30))) {
      return false;
    }
    world_.RunFor(seconds(1));
    return master().ha->connection_count() > 0;
  }
  bool WaitCaughtUp() {
    return world_.RunUntil(
        [&] {
          return world_.IsRunning(sp_) &&
                 slave().store->GetMaxPhyOffset() == master().store->GetMaxPhyOffset() &&
                 slave().store->DispatchBehindBytes() == 0;
        },
        world_.now() + seconds(60));
  }
  static common::Bytes ReadLog(DefaultMessageStore& s, int64_t from, int64_t to) {
    auto r = testing::ReadCommitLog(s, from, to);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : common::Bytes{};
  }
  void ExpectSameLog(int64_t from) {
    const int64_t to = master().store->GetMaxPhyOffset();
    ASSERT_EQ(slave().store->GetMaxPhyOffset(), to);
    common::Bytes a = ReadLog(*master().store, from, to);
    common::Bytes b = ReadLog(*slave().store, from, to);
    EXPECT_GT(a.size(), 0u);
    EXPECT_TRUE(a == b) << "commit logs differ (" << a.size() << " vs " << b.size() << " bytes)";
    for (int32_t q = 0; q < 4; ++q) {
      EXPECT_EQ(slave().store->GetMaxOffsetInQueue("TopicA", q),
                master().store->GetMaxOffsetInQueue("TopicA", q))
          << q;
    }
  }

  sim::World world_;
  std::shared_ptr<HaNode::Shared> master_shared_;
  std::shared_ptr<HaNode::Shared> slave_shared_;
  sim::MachineId mm_, sm_;
  sim::ProcessId mp_, sp_;
};

TEST_F(HaTest, SlaveCatchesUpByteForByteAndBuildsConsumeQueues) {
  master_shared_->config.broker_role = BrokerRole::kAsyncMaster;
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(Put(i).status, PutMessageStatus::kPutOk) << i;
  }
  ASSERT_GE(master().store->commit_log().mapped_file_queue().files().size(), 4u);
  ASSERT_TRUE(WaitCaughtUp());
  ExpectSameLog(0);
  auto r = slave().store->GetMessage("g", "TopicA", 1, 0, 32, 0, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GetMessageStatus::kFound);
  // A slave refuses puts.
  std::optional<PutMessageResult> refused;
  slave().store->PutMessage(MakeRequest("TopicA", 0, "x"),
                            [&](PutMessageResult res) { refused = std::move(res); });
  world_.RunFor(milliseconds(10));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, PutMessageStatus::kServiceNotAvailable);
}

TEST_F(HaTest, LargeRecordsSpanFrames) {
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Put(i, 12000 + 97 * i).status, PutMessageStatus::kPutOk) << i;
  }
  ASSERT_TRUE(WaitCaughtUp());
  ExpectSameLog(0);
}

TEST_F(HaTest, SyncMasterWaitsForTheSlave) {
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  const MonoTime t0 = world_.now();
  PutMessageResult r = Put(1);
  EXPECT_EQ(r.status, PutMessageStatus::kPutOk);
  EXPECT_GE(master().ha->push_to_slave_max_offset(),
            r.append_result.wrote_offset + r.append_result.wrote_bytes);
  EXPECT_LT(world_.now() - t0, seconds(1));
}

TEST_F(HaTest, SyncMasterWithoutSlaveIsSlaveNotAvailable) {
  StartNode(mp_);
  EXPECT_EQ(Put(1).status, PutMessageStatus::kSlaveNotAvailable);
  // The message is stored anyway.
  EXPECT_EQ(master().store->GetMaxOffsetInQueue("TopicA", 1), 1);
}

TEST_F(HaTest, SyncMasterPartitionedIsFlushSlaveTimeout) {
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  ASSERT_EQ(Put(0).status, PutMessageStatus::kPutOk);
  world_.Partition(mm_, sm_);
  const MonoTime t0 = world_.now();
  EXPECT_EQ(Put(1).status, PutMessageStatus::kFlushSlaveTimeout);
  EXPECT_GE(world_.now() - t0, seconds(3));
  // The master's housekeeping drops the silent slave: then SLAVE_NOT_AVAILABLE.
  world_.RunFor(seconds(25));
  EXPECT_EQ(master().ha->connection_count(), 0u);
  EXPECT_EQ(Put(2).status, PutMessageStatus::kSlaveNotAvailable);
  world_.Heal(mm_, sm_);
  ASSERT_TRUE(WaitConnected());
  ASSERT_TRUE(WaitCaughtUp());
  ExpectSameLog(0);
  EXPECT_EQ(Put(3).status, PutMessageStatus::kPutOk);
}

// SYNC_MASTER + SYNC_FLUSH: the flush and the replication waits run side by side
// (CommitLog.asyncPutMessage, flushResultFuture.thenCombine(replicaResultFuture)); a failed flush
// gives FLUSH_DISK_TIMEOUT, a failed replication FLUSH_SLAVE_TIMEOUT, and when both fail the
// replication status is the one reported because it is applied last (reference §5.11).
TEST_F(HaTest, SyncFlushSyncMasterStatusTable) {
  master_shared_->config.flush_disk_type = FlushDiskType::kSyncFlush;
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  // Both succeed.
  EXPECT_EQ(Put(0).status, PutMessageStatus::kPutOk);

  // The flush fails (an fsync slower than syncFlushTimeout, 5 s), the slave acknowledges.
  world_.disk(mm_).SetFaults({.sync_slowdown = 100000});
  MonoTime t0 = world_.now();
  EXPECT_EQ(Put(1).status, PutMessageStatus::kFlushDiskTimeout);
  EXPECT_GE(world_.now() - t0, seconds(5));
  world_.disk(mm_).SetFaults({});
  world_.RunFor(seconds(300));  // the slow fsyncs already queued complete

  // The replication fails (the slave is cut off), the flush succeeds.
  ASSERT_EQ(Put(2).status, PutMessageStatus::kPutOk);
  world_.Partition(mm_, sm_);
  t0 = world_.now();
  EXPECT_EQ(Put(3).status, PutMessageStatus::kFlushSlaveTimeout);
  EXPECT_GE(world_.now() - t0, seconds(3));

  // Both fail: FLUSH_SLAVE_TIMEOUT wins, after the longer (flush) wait.
  world_.disk(mm_).SetFaults({.sync_slowdown = 100000});
  t0 = world_.now();
  EXPECT_EQ(Put(4).status, PutMessageStatus::kFlushSlaveTimeout);
  EXPECT_GE(world_.now() - t0, seconds(5));

  // Both fail and no slave is left (housekeeping closed it): SLAVE_NOT_AVAILABLE wins.
  world_.RunFor(seconds(25));
  ASSERT_EQ(master().ha->connection_count(), 0u);
  EXPECT_EQ(Put(5).status, PutMessageStatus::kSlaveNotAvailable);
  world_.disk(mm_).SetFaults({});
  world_.Heal(mm_, sm_);
  world_.RunFor(seconds(300));
  ASSERT_TRUE(WaitConnected());
  ASSERT_TRUE(WaitCaughtUp());
  ExpectSameLog(0);
}

// What a diverged slave does with the master's bytes (CommitLog::AppendRaw): appended only at
// the log's end, or at the next segment start (filling the segment as Java's zero tail would);
// dispatch on a slave stops at the first bytes that are not a record, and a restart's recovery
// truncates them.
TEST_F(HaTest, RawAppendOnASlaveStallsDispatchUntilRecoveryTruncates) {
  StartNode(sp_);
  DefaultMessageStore& s = *slave().store;
  const int64_t seg = slave_shared_->config.mapped_file_size_commit_log;
  common::Bytes garbage(100, std::byte{0x5A});
  EXPECT_EQ(s.AppendRawToCommitLog(7, garbage).status().code(), StatusCode::kFailedPrecondition);
  auto first = s.AppendRawToCommitLog(0, garbage);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 100);
  EXPECT_EQ(s.GetMaxPhyOffset(), 100);
  EXPECT_EQ(s.AppendRawToCommitLog(50, garbage).status().code(), StatusCode::kFailedPrecondition);
  // The next segment start: the rest of segment 0 counts as written.
  auto next = s.AppendRawToCommitLog(seg, garbage);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, 100);
  EXPECT_EQ(s.GetMaxPhyOffset(), seg + 100);
  world_.RunFor(seconds(1));
  ASSERT_TRUE(s.reput_stalled_at().has_value());
  EXPECT_EQ(*s.reput_stalled_at(), 0);
  EXPECT_EQ(s.GetMaxOffsetInQueue("TopicA", 0), 0);
  // kill -9 and restart: recovery finds no valid record and truncates everything.
  world_.KillProcess(sp_);
  StartNode(sp_);
  world_.RunFor(seconds(1));
  EXPECT_EQ(slave().store->GetMaxPhyOffset(), 0);
  EXPECT_FALSE(slave().store->reput_stalled_at().has_value());
}

// The master loses a tail its slave has and then rolls to a new segment, so its segment ends
// (blank marker) before the slave's log does. Java's master would send the segment's zero tail;
// the model's master skips it and sends the next segment: the slave must take that as the zero
// tail and go on (diverged) instead of reconnecting forever.
TEST_F(HaTest, MasterSegmentEndingBeforeTheSlavesLogDoesNotStallReplication) {
  master_shared_->config.flush_disk_type = FlushDiskType::kAsyncFlush;
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  const int64_t seg = master_shared_->config.mapped_file_size_commit_log;
  int i = 0;
  while (master().store->GetMaxPhyOffset() < seg - 6 * 1024) {
    ASSERT_EQ(Put(i++, 900).status, PutMessageStatus::kPutOk);
  }
  world_.RunFor(seconds(12));  // the thorough flush makes all of it durable
  const int64_t flushed = master().store->GetMaxPhyOffset();
  while (master().store->GetMaxPhyOffset() < seg - 1200) {  // an unflushed tail (< 4 pages)
    ASSERT_EQ(Put(i++, 900).status, PutMessageStatus::kPutOk);
  }
  const int64_t slave_end = master().store->GetMaxPhyOffset();
  ASSERT_TRUE(WaitCaughtUp());
  world_.PowerOff(mm_);
  world_.RunFor(seconds(1));
  world_.PowerOn(mm_);
  StartNode(mp_);
  ASSERT_EQ(master().store->GetMaxPhyOffset(), flushed);  // the tail is gone on the master
  ASSERT_TRUE(WaitConnected());
  // 10 KiB does not fit the ~6 KiB left: a blank marker at `flushed`, then the next segment.
  PutMessageResult big = Put(i++, 10 * 1024);
  EXPECT_EQ(big.status, PutMessageStatus::kPutOk);
  EXPECT_GE(big.append_result.wrote_offset, seg);
  world_.RunFor(seconds(30));
  EXPECT_TRUE(slave().ha->slave_diverged());
  EXPECT_TRUE(slave().ha->connected_to_master());
  EXPECT_EQ(slave().store->GetMaxPhyOffset(), master().store->GetMaxPhyOffset());
  // The slave kept the bytes the master lost, and serves nothing of the master's new segment.
  EXPECT_GE(slave_end, flushed + 900);
  ASSERT_TRUE(slave().store->reput_stalled_at().has_value());
  EXPECT_EQ(*slave().store->reput_stalled_at(), slave_end);
  EXPECT_EQ(Put(i++, 500).status, PutMessageStatus::kPutOk);
}

TEST_F(HaTest, KilledSlaveCatchesUpAfterRestart) {
  master_shared_->config.broker_role = BrokerRole::kAsyncMaster;
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Put(i).status, PutMessageStatus::kPutOk);
  ASSERT_TRUE(WaitCaughtUp());
  world_.KillProcess(sp_);
  for (int i = 100; i < 250; ++i) ASSERT_EQ(Put(i).status, PutMessageStatus::kPutOk);
  StartNode(sp_);
  ASSERT_TRUE(WaitCaughtUp());
  ExpectSameLog(0);
}

TEST_F(HaTest, AsyncMasterAnswersWithoutWaiting) {
  master_shared_->config.broker_role = BrokerRole::kAsyncMaster;
  StartNode(mp_);
  StartNode(sp_);
  ASSERT_TRUE(WaitConnected());
  world_.Partition(mm_, sm_);
  const MonoTime t0 = world_.now();
  EXPECT_EQ(Put(1).status, PutMessageStatus::kPutOk);
  EXPECT_LT(world_.now() - t0, milliseconds(100));
}

TEST_F(HaTest, LateSlaveStartsFromTheMastersLastSegment) {
  master_shared_->config.broker_role = BrokerRole::kAsyncMaster;
  StartNode(mp_);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Put(i).status, PutMessageStatus::kPutOk);
  StartNode(sp_);
  ASSERT_TRUE(WaitCaughtUp());
  const int64_t last_start = master().store->commit_log().mapped_file_queue().last()->from();
  EXPECT_EQ(slave().store->GetMinPhyOffset(), last_start);
  ExpectSameLog(last_start);
}

}  // namespace
}  // namespace rmqsim::store
