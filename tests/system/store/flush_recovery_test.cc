// Flushing and recovery on the simulated disk: SYNC_FLUSH acknowledgements, flush timeouts,
// kill -9, power loss (with and without torn writes), consume-queue rebuild, clean restarts,
// EIO / ENOSPC and failed fsyncs.
#include <gtest/gtest.h>

#include "system/common/checksum.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::StoreTest;

std::string Body(int i) {
  return "message-" + std::to_string(i) + std::string(100, 'x');
}

// Asserts the queue holds exactly messages 0..n-1 of Body(), in order, CRCs intact.
void ExpectPrefix(const std::vector<common::MessageExt>& msgs, size_t n) {
  ASSERT_EQ(msgs.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(msgs[i].queue_offset, static_cast<int64_t>(i));
    EXPECT_EQ(common::StringFromBytes(msgs[i].message.body()), Body(static_cast<int>(i)));
    EXPECT_EQ(msgs[i].body_crc, common::Crc32Masked(msgs[i].message.body()));
  }
}

class SyncFlushTest : public StoreTest {
 protected:
  void SetUp() override { config().flush_disk_type = FlushDiskType::kSyncFlush; }
};

TEST_F(SyncFlushTest, PutCompletesOnlyAfterAnFsync) {
  StartStore();
  const uint64_t syncs_before = world_.disk(m_).syncs_completed();
  const MonoTime t0 = world_.now();
  PutMessageResult r = Put("T", 0, Body(0));
  ASSERT_EQ(r.status, PutMessageStatus::kPutOk);
  EXPECT_GE(world_.now() - t0, world_.disk(m_).config().sync_latency_min);
  EXPECT_GT(world_.disk(m_).syncs_completed(), syncs_before);
  // The record is on the durable side of the disk already.
  auto durable =
      world_.disk(m_).DurableContent("/data/broker-a/store/commitlog/" + OffsetToFileName(0));
  ASSERT_TRUE(durable.ok());
  EXPECT_GE(static_cast<int64_t>(durable->size()),
            r.append_result.wrote_offset + r.append_result.wrote_bytes);
  EXPECT_GE(store().commit_log().flushed_where(),
            r.append_result.wrote_offset + r.append_result.wrote_bytes);
}

TEST_F(SyncFlushTest, GroupCommitCoversConcurrentPuts) {
  StartStore();
  const uint64_t syncs_before = world_.disk(m_).syncs_completed();
  std::vector<std::shared_ptr<std::optional<PutMessageResult>>> outs;
  for (int i = 0; i < 50; ++i) outs.push_back(PutAsync(Request("T", i % 2, Body(i))));
  world_.RunUntil([&] { return outs.back()->has_value(); }, world_.now() + seconds(5));
  for (auto& o : outs) {
    ASSERT_TRUE(o->has_value());
    EXPECT_EQ((*o)->status, PutMessageStatus::kPutOk);
  }
  EXPECT_LE(world_.disk(m_).syncs_completed() - syncs_before, 4u);  // batched, not 50
}

TEST_F(SyncFlushTest, SlowDiskGivesFlushDiskTimeoutButTheMessageIsStored) {
  StartStore();
  world_.disk(m_).SetFaults({.sync_slowdown = 100000});  // >= 20 s per fsync
  const MonoTime t0 = world_.now();
  PutMessageResult r = Put("T", 0, Body(0));
  EXPECT_EQ(r.status, PutMessageStatus::kFlushDiskTimeout);
  EXPECT_TRUE(r.has_append_result);
  EXPECT_GE(world_.now() - t0, config().sync_flush_timeout);
  EXPECT_LT(world_.now() - t0, config().sync_flush_timeout + seconds(1));
  auto msgs = ReadAll("T", 0);
  ExpectPrefix(msgs, 1);
  EXPECT_FALSE(Events("StoreFlushDiskTimeout").empty());
}

TEST_F(SyncFlushTest, PowerLossLosesNothingAcknowledged) {
  StartStore();
  int acked = 0;
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Put("T", 0, Body(i)).status, PutMessageStatus::kPutOk);
    ++acked;
  }
  PowerCycle();
  StartStore();
  auto recovered = Events("StoreRecovered");
  ASSERT_FALSE(recovered.empty());
  EXPECT_FALSE(DetailOf<bool>(*recovered.back(), "LastExitOk"));
  ExpectPrefix(ReadAll("T", 0), static_cast<size_t>(acked));
  EXPECT_EQ(Put("T", 0, Body(acked)).append_result.logics_offset, acked);
}

// RocketMQ 4.9.8 dispatches up to the commit log's write position, not its flushed position
// (ReputMessageService.isCommitLogAvailable: reputFromOffset < commitLog.getMaxOffset(), which is
// MappedFile.getReadPosition() = wrotePosition), so under SYNC_FLUSH a consumer can pull a
// message before the group commit's fsync, i.e. before its producer gets SEND_OK. A power loss
// then removes it (recoverAbnormally + truncateDirtyLogicFiles), the queue's max offset goes back
// (recoverTopicQueueTable) and the next put reuses its queue offset. A consumer that had already
// consumed it holds an offset past the recovered end; once the queue has grown past that offset
// it pulls from there and never sees the acknowledged message that took the reused offset (the
// cluster scenario's seed 9 with --slaves 0 --async-master). The model does the same.
TEST_F(SyncFlushTest, UnflushedPutIsReadableAndItsQueueOffsetIsReusedAfterPowerLoss) {
  StartStore();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Put("T", 0, Body(i)).status, PutMessageStatus::kPutOk);
  // The dispatch runs at once; the group commit's fsync takes at least sync_latency_min.
  auto pending = PutAsync(Request("T", 0, Body(3)));
  world_.RunFor(Duration::zero());
  ASSERT_FALSE(pending->has_value());  // no answer yet: the producer has no SEND_OK
  EXPECT_LT(store().commit_log().flushed_where(), store().GetMaxPhyOffset());
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 0), 4);
  GetMessageResult read = Get("T", 0, 3);
  ASSERT_EQ(read.status, GetMessageStatus::kFound);  // a consumer already has it
  auto msgs = Decode(read);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(common::StringFromBytes(msgs[0].message.body()), Body(3));
  EXPECT_EQ(read.next_begin_offset, 4);  // ... and its next offset is 4

  PowerCycle();
  StartStore();
  ExpectPrefix(ReadAll("T", 0), 3);  // the unacknowledged message is gone
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 0), 3);
  // Pulled now, offset 4 is corrected to the new max (PULL_OFFSET_MOVED, next 3)...
  GetMessageResult early = Get("T", 0, 4);
  EXPECT_EQ(early.status, GetMessageStatus::kOffsetOverflowBadly);
  EXPECT_EQ(early.next_begin_offset, 3);
  // ...but puts come first: offset 3 is reused by an acknowledged message.
  PutMessageResult reused = Put("T", 0, Body(100));
  ASSERT_EQ(reused.status, PutMessageStatus::kPutOk);
  EXPECT_EQ(reused.append_result.logics_offset, 3);
  ASSERT_EQ(Put("T", 0, Body(101)).status, PutMessageStatus::kPutOk);
  // A pull from the consumer's offset 4 is now valid and starts after the acknowledged message.
  GetMessageResult late = Get("T", 0, 4);
  ASSERT_EQ(late.status, GetMessageStatus::kFound);
  auto after = Decode(late);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].queue_offset, 4);
  EXPECT_EQ(common::StringFromBytes(after[0].message.body()), Body(101));
}

TEST_F(SyncFlushTest, ConsumeQueuesAreRebuiltWhenTheyLagTheCommitLog) {
  StartStore();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(Put("T", i % 3, Body(i)).ok());
  // The commit log is durable (SYNC_FLUSH); the consume queues are flushed once a second, so
  // right now their files hold nothing durable.
  auto cq = world_.disk(m_).DurableContent("/data/broker-a/store/consumequeue/T/0/" +
                                           OffsetToFileName(0));
  ASSERT_TRUE(cq.ok());
  EXPECT_LT(cq->size(), 10u * 20u);
  PowerCycle();
  StartStore();
  for (int32_t q = 0; q < 3; ++q) {
    auto msgs = ReadAll("T", q);
    ASSERT_EQ(msgs.size(), 10u) << q;
    for (size_t k = 0; k < msgs.size(); ++k) {
      EXPECT_EQ(msgs[k].queue_offset, static_cast<int64_t>(k));
      EXPECT_EQ(common::StringFromBytes(msgs[k].message.body()), Body(static_cast<int>(k) * 3 + q));
    }
  }
}

TEST_F(SyncFlushTest, FailedFsyncIsRewrittenNotLost) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  world_.disk(m_).SetFaults({.sync_error_probability = 1.0});
  PutMessageResult r = Put("T", 0, Body(1));
  EXPECT_EQ(r.status, PutMessageStatus::kFlushDiskTimeout);
  EXPECT_FALSE(Events("StoreFsyncFailed").empty());
  world_.disk(m_).SetFaults({});
  // The next fsync must carry message 1 too: its pages were marked clean by the failed fsync
  // and are written again from the page cache first.
  ASSERT_EQ(Put("T", 0, Body(2)).status, PutMessageStatus::kPutOk);
  PowerCycle();
  StartStore();
  ExpectPrefix(ReadAll("T", 0), 3);
}

TEST_F(SyncFlushTest, FailedRewriteRefusesPutsUntilItSucceeds) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  // The fsync fails and so does reading the unsynced range back: the store cannot make the
  // data durable and must stop taking puts.
  world_.disk(m_).SetFaults({.read_error_probability = 1.0, .sync_error_probability = 1.0});
  EXPECT_EQ(Put("T", 0, Body(1)).status, PutMessageStatus::kFlushDiskTimeout);
  EXPECT_FALSE(Events("StoreRewriteFailed").empty());
  EXPECT_FALSE(store().commit_log().mapped_file_queue().write_error().ok());
  EXPECT_FALSE(store().IsWriteable());
  EXPECT_EQ(Put("T", 0, Body(2)).status, PutMessageStatus::kServiceNotAvailable);
  world_.disk(m_).SetFaults({});
  world_.RunFor(seconds(1));  // the periodic flush rewrites and syncs
  EXPECT_TRUE(store().IsWriteable());
  ASSERT_EQ(Put("T", 0, Body(2)).status, PutMessageStatus::kPutOk);
  PowerCycle();
  StartStore();
  ExpectPrefix(ReadAll("T", 0), 3);
}

TEST_F(StoreTest, AsyncFlushWaitsForLeastPagesOrTheThoroughInterval) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  world_.RunFor(seconds(2));
  EXPECT_EQ(store().commit_log().flushed_where(), 0);  // < 4 dirty pages: not flushed yet
  world_.RunFor(seconds(9));
  EXPECT_EQ(store().commit_log().flushed_where(), store().GetMaxPhyOffset());  // 10 s thorough
  for (int i = 1; i < 120; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());        // > 4 pages
  world_.RunFor(milliseconds(600));
  EXPECT_EQ(store().commit_log().flushed_where(), store().GetMaxPhyOffset());
}

TEST_F(StoreTest, ListenerMayPutDuringDispatch) {
  StartStore();
  int forwarded = 0;
  store().AddDispatchListener([&](const std::string& topic, int32_t, int64_t, int64_t) {
    if (topic != "A") return;
    ++forwarded;
    store().PutMessage(Request("B", 0, "copy"), [](PutMessageResult) {});
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put("A", 0, Body(i)).ok());
  world_.RunFor(milliseconds(1));
  EXPECT_EQ(forwarded, 5);
  EXPECT_EQ(store().GetMaxOffsetInQueue("B", 0), 5);
  EXPECT_EQ(store().DispatchBehindBytes(), 0);
}

TEST_F(StoreTest, AsyncFlushKillKeepsEverythingInThePageCache) {
  StartStore();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());
  Kill();  // no flush has happened: everything is in the page cache only
  StartStore();
  auto recovered = Events("StoreRecovered");
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_FALSE(DetailOf<bool>(*recovered.back(), "LastExitOk"));
  ExpectPrefix(ReadAll("T", 0), 100);
  EXPECT_EQ(Put("T", 0, Body(100)).append_result.logics_offset, 100);
}

TEST_F(StoreTest, AsyncFlushPowerLossLosesAtMostTheLastFlushInterval) {
  // Flush whatever is dirty at every tick (RocketMQ waits for 4 dirty pages, up to the 10 s
  // thorough flush; with 0 the loss window is one interval).
  config().flush_commit_log_least_pages = 0;
  StartStore();
  std::vector<MonoTime> acked_at;
  for (int i = 0; i < 300; ++i) {
    PutMessageResult r = Put("T", 0, Body(i));
    ASSERT_TRUE(r.ok());
    acked_at.push_back(world_.now());
    world_.RunFor(milliseconds(10));
  }
  const MonoTime power_off = world_.now();
  PowerCycle();
  StartStore();
  auto msgs = ReadAll("T", 0);
  ExpectPrefix(msgs, msgs.size());  // a valid prefix, CRCs intact, offsets contiguous
  const Duration window = config().flush_interval_commit_log + milliseconds(100);
  size_t must_have = 0;
  for (size_t i = 0; i < acked_at.size(); ++i) {
    if (acked_at[i] + window < power_off) must_have = i + 1;
  }
  EXPECT_GE(msgs.size(), must_have);
  EXPECT_LT(msgs.size(), acked_at.size());  // the tail was not flushed
}

class TornWriteTest : public StoreTest {
 protected:
  TornWriteTest() : StoreTest({}, sim::DiskConfig{.tear_probability = 1.0}) {}
};

TEST_F(TornWriteTest, TornLastWriteIsCutByRecovery) {
  config().flush_commit_log_least_pages = 0;
  StartStore();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());
  world_.RunFor(seconds(1));  // flushed
  const int64_t durable_end = store().commit_log().flushed_where();
  ASSERT_EQ(durable_end, store().GetMaxPhyOffset());
  // A record spanning several sectors, never flushed: power loss keeps a sector-aligned prefix.
  ASSERT_TRUE(Put("T", 0, std::string(3000, 'z')).ok());
  const uint64_t torn_before = world_.disk(m_).torn_writes();
  PowerCycle();
  EXPECT_GT(world_.disk(m_).torn_writes(), torn_before);
  StartStore();
  auto truncated = Events("StoreCommitLogTruncated");
  ASSERT_FALSE(truncated.empty());
  EXPECT_GT(DetailOf<int64_t>(*truncated.back(), "Bytes"), 0);
  EXPECT_EQ(store().GetMaxPhyOffset(), durable_end);
  ExpectPrefix(ReadAll("T", 0), 10);
  // The next record goes where the torn one was.
  PutMessageResult r = Put("T", 0, Body(10));
  EXPECT_EQ(r.append_result.wrote_offset, durable_end);
  EXPECT_EQ(r.append_result.logics_offset, 10);
}

TEST_F(StoreTest, CleanShutdownAndRestartTakeTheNormalPath) {
  StartStore();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());
  EXPECT_TRUE(rt().fs().Exists("store/abort"));
  Status st = StopGracefully();
  ASSERT_TRUE(st.ok()) << st;
  auto shutdown = Events("StoreShutdown");
  ASSERT_EQ(shutdown.size(), 1u);
  EXPECT_TRUE(DetailOf<bool>(*shutdown[0], "Clean"));
  // Everything is durable: even a power loss now changes nothing.
  PowerCycle();
  StartStore();
  auto started = Events("StoreRecoveryStarted");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_TRUE(DetailOf<bool>(*started.back(), "LastExitOk"));
  auto recovered = Events("StoreCommitLogRecovered");
  EXPECT_EQ(DetailOf<std::string>(*recovered.back(), "Mode"), "normal");
  ExpectPrefix(ReadAll("T", 0), 20);
  EXPECT_TRUE(store().checkpoint().has_flush_points());
  EXPECT_EQ(store().checkpoint().physic_flushed_offset(), store().GetMaxPhyOffset());
  EXPECT_EQ(Put("T", 0, Body(20)).append_result.logics_offset, 20);
}

TEST_F(StoreTest, CheckpointBoundsAbnormalRecovery) {
  config().flush_commit_log_least_pages = 0;
  config().flush_consume_queue_thorough_interval = seconds(1);
  StartStore();
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());  // two segments
  world_.RunFor(seconds(3));  // commit log, consume queues and checkpoint flushed
  EXPECT_TRUE(store().checkpoint().has_flush_points());
  EXPECT_GT(store().checkpoint().logics_flushed_offset(), 64 * 1024);
  for (int i = 400; i < 420; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());
  Kill();
  StartStore();
  auto recovered = Events("StoreCommitLogRecovered");
  ASSERT_FALSE(recovered.empty());
  EXPECT_EQ(DetailOf<std::string>(*recovered.back(), "Mode"), "abnormal");
  // The scan starts at the segment holding the flush points, not at the first segment.
  EXPECT_GT(DetailOf<int64_t>(*recovered.back(), "StartOffset"), 0);
  ExpectPrefix(ReadAll("T", 0), 420);
}

TEST_F(StoreTest, EioDuringPutAcknowledgesNothing) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  const int64_t end = store().GetMaxPhyOffset();
  world_.disk(m_).SetFaults({.write_error_probability = 1.0});
  PutMessageResult r = Put("T", 0, Body(1));
  EXPECT_EQ(r.status, PutMessageStatus::kUnknownError);
  EXPECT_FALSE(r.has_append_result);
  EXPECT_EQ(store().GetMaxPhyOffset(), end);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 0), 1);
  world_.disk(m_).SetFaults({});
  PutMessageResult again = Put("T", 0, Body(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.append_result.wrote_offset, end);
  EXPECT_EQ(again.append_result.logics_offset, 1);
  ExpectPrefix(ReadAll("T", 0), 2);
}

TEST_F(StoreTest, DiskFullDuringPutAcknowledgesNothing) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  world_.disk(m_).SetFaults({.full = true});
  PutMessageResult r = Put("T", 0, Body(1));
  EXPECT_EQ(r.status, PutMessageStatus::kServiceNotAvailable);
  EXPECT_FALSE(r.has_append_result);
  world_.disk(m_).SetFaults({});
  EXPECT_EQ(Put("T", 0, Body(1)).append_result.logics_offset, 1);
  ExpectPrefix(ReadAll("T", 0), 2);
}

TEST_F(StoreTest, ConsumeQueueWriteErrorPausesDispatchAndRefusesPuts) {
  StartStore();
  ASSERT_TRUE(Put("T", 0, Body(0)).ok());
  std::optional<PutMessageResult> out;
  store().PutMessage(Request("T", 1, Body(0)), [&](PutMessageResult r) { out = r; });
  // The append is done; its dispatch (posted) now fails to write the consume-queue entry.
  world_.disk(m_).SetFaults({.write_error_probability = 1.0});
  world_.RunUntil([&] { return out.has_value(); }, world_.now() + seconds(5));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, PutMessageStatus::kPutOk);  // it is in the commit log
  EXPECT_FALSE(Events("StoreDispatchFailed").empty());
  EXPECT_FALSE(store().IsWriteable());
  EXPECT_EQ(Put("T", 0, Body(1)).status, PutMessageStatus::kServiceNotAvailable);
  world_.disk(m_).SetFaults({});
  world_.RunFor(seconds(2));  // the dispatch is retried
  EXPECT_TRUE(store().IsWriteable());
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 1), 1);
  EXPECT_EQ(Put("T", 0, Body(1)).append_result.logics_offset, 1);
}

TEST_F(StoreTest, ReadErrorsDuringRecoveryFailTheStartInsteadOfTruncating) {
  StartStore();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put("T", 0, Body(i)).ok());
  Kill();
  world_.disk(m_).SetFaults({.read_error_probability = 1.0});
  ASSERT_TRUE(world_.StartProcess(p_).ok());
  world_.RunFor(Duration::zero());
  EXPECT_FALSE(world_.IsRunning(p_));
  world_.disk(m_).SetFaults({});
  StartStore();
  ExpectPrefix(ReadAll("T", 0), 5);
}

TEST_F(StoreTest, SameSeedSameDigest) {
  auto run = [](uint64_t seed) {
    sim::World w({.seed = seed});
    auto m = *w.AddMachine({.name = "broker", .ip = "10.0.0.1"});
    auto shared = std::make_shared<testing::StoreService::Shared>();
    shared->config = testing::SmallConfig();
    shared->config.flush_disk_type = FlushDiskType::kSyncFlush;
    auto p = *w.AddProcess(m, "broker-a", [shared](Runtime& rt) {
      return std::make_unique<testing::StoreService>(rt, shared);
    });
    EXPECT_TRUE(w.StartProcess(p).ok());
    w.RunFor(Duration::zero());
    for (int i = 0; i < 50; ++i) {
      w.service_as<testing::StoreService>(p)->store->PutMessage(
          StoreTest::Request("T", i % 4, Body(i)), [](PutMessageResult) {});
      w.RunFor(milliseconds(37));
    }
    w.PowerOff(m);
    w.PowerOn(m);
    EXPECT_TRUE(w.StartProcess(p).ok());
    w.RunFor(seconds(2));
    return w.digest();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

}  // namespace
}  // namespace rmqsim::store
