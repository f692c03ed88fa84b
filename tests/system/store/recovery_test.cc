// Recovery from damaged stores on the simulated disk: a corrupt record in the middle of the
// commit log, a missing middle segment, a damaged consume queue, a fresh store. Each is logged
// (WARN or ERROR "Log" events) with what was lost, and nothing is deleted that recovery did not
// have to delete.
#include <gtest/gtest.h>

#include "system/common/checksum.h"
#include "system/store/message_store_config.h"
#include "tests/system/store/store_test_util.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::store {
namespace {

using testing::StoreTest;

constexpr char kRoot[] = "/data/broker-a/store";

std::string Body(int i) { return "message-" + std::to_string(i) + std::string(100, 'x'); }


class RecoveryTest : public StoreTest {
 protected:
  // A process on the broker's machine to damage files with while the store is down.
  FileSystem& Tool() {
    if (!tool_.valid()) {
      tool_ = *world_.AddProcess(m_, "tool", [](Runtime& rt) {
        return std::make_unique<rmqsim::testing::ScriptedService>(rt, nullptr);
      });
      EXPECT_TRUE(world_.StartProcess(tool_).ok());
    }
    return world_.runtime(tool_)->fs();
  }
  std::string Segment(int64_t from) const {
    return std::string(kRoot) + "/commitlog/" + OffsetToFileName(from);
  }
  void Overwrite(const std::string& path, uint64_t at, const std::vector<std::byte>& bytes) {
    auto f = Tool().Open(path, OpenMode::kOpenExisting);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->WriteAt(at, bytes).ok());
  }
  // "Log" events at `severity` whose message contains `text`.
  std::vector<std::string> Logs(Severity severity, std::string_view text) const {
    std::vector<std::string> out;
    for (const auto* e : Events("Log")) {
      const auto* msg = e->Find("Msg");
      if (e->severity() != severity || msg == nullptr) continue;
      const std::string& m = std::get<std::string>(*msg);
      if (m.find(text) != std::string::npos) out.push_back(m);
    }
    return out;
  }
  void PutMany(int n, int queues = 1) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(Put("T", i % queues, Body(i)).ok());
  }

  sim::ProcessId tool_;
};

TEST_F(RecoveryTest, AFreshStoreLogsNoWarning) {
  StartStore();
  EXPECT_TRUE(Logs(Severity::kWarn, "").empty());
  EXPECT_TRUE(Logs(Severity::kError, "").empty());
}

// 16 flipped bytes in a record body in the second of four segments (normal recovery, as Java's,
// checks the last three). Java cuts the log there and deletes the segments after it; rmqsim cuts
// it there too, but keeps what follows aside.
TEST_F(RecoveryTest, ACorruptRecordInTheMiddleCutsTheLogButKeepsWhatFollows) {
  StartStore();
  PutMany(1000);
  const int64_t max = store().GetMaxPhyOffset();
  ASSERT_GT(max, 2 * 64 * 1024);
  ASSERT_LT(max, 4 * 64 * 1024);
  const auto before = ReadAll("T", 0);
  ASSERT_EQ(before.size(), 1000u);
  ASSERT_TRUE(StopGracefully().ok());
  // 16 bytes of the 400th record's body, in the second segment.
  const auto& victim = before[399];
  const int64_t bad = victim.commit_log_offset;
  ASSERT_GT(bad, 64 * 1024);
  ASSERT_LT(bad, 2 * 64 * 1024);
  Overwrite(Segment(64 * 1024), static_cast<uint64_t>(bad - 64 * 1024 + victim.store_size - 40),
            std::vector<std::byte>(16));
  StartStore();
  EXPECT_EQ(store().GetMaxPhyOffset(), bad);
  auto errors = Logs(Severity::kError, "commit log damaged at offset " + std::to_string(bad));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("intact record(s) after it"), std::string::npos) << errors[0];
  // Nothing lost for good: the rest of the segment and the later segments are in corrupt/.
  const std::string kept_dir = std::string(kRoot) + "/corrupt/commitlog-" + std::to_string(bad);
  auto kept = Tool().List(kept_dir);
  ASSERT_TRUE(kept.ok()) << kept.status();
  std::vector<std::string> expected = {
      OffsetToFileName(64 * 1024) + ".from-" + std::to_string(bad - 64 * 1024),
      OffsetToFileName(2 * 64 * 1024), OffsetToFileName(3 * 64 * 1024)};
  EXPECT_EQ(*kept, expected);
  uint64_t kept_bytes = 0;
  for (const auto& name : *kept) {
    kept_bytes += *Tool().FileSize(kept_dir + "/" + name);
  }
  // Everything written after the cut (full segments end with less than a record unwritten).
  EXPECT_GE(kept_bytes + 2 * 512, static_cast<uint64_t>(max - bad));
  EXPECT_LE(kept_bytes, static_cast<uint64_t>(max - bad));
  // The log serves the 399 records before the damage, and takes new ones after them.
  EXPECT_EQ(ReadAll("T", 0).size(), 399u);
  EXPECT_EQ(Put("T", 0, Body(399)).append_result.wrote_offset, bad);
}

// The set-aside copy of the cut segment's rest survives a power loss soon after recovery: it is
// synced before any flush pass writes the cut segment.
TEST_F(RecoveryTest, TheSetAsideCopySurvivesAPowerLossAfterRecovery) {
  StartStore();
  PutMany(1000);
  const auto before = ReadAll("T", 0);
  ASSERT_TRUE(StopGracefully().ok());
  const auto& victim = before[399];
  const int64_t bad = victim.commit_log_offset;
  Overwrite(Segment(64 * 1024), static_cast<uint64_t>(bad - 64 * 1024 + victim.store_size - 40),
            std::vector<std::byte>(16));
  StartStore();
  ASSERT_EQ(store().GetMaxPhyOffset(), bad);
  const std::string copy = std::string(kRoot) + "/corrupt/commitlog-" + std::to_string(bad) +
                           "/" + OffsetToFileName(64 * 1024) + ".from-" +
                           std::to_string(bad - 64 * 1024);
  auto size = Tool().FileSize(copy);
  ASSERT_TRUE(size.ok()) << size.status();
  ASSERT_GT(*size, 0u);
  // The store takes a new message at the cut and flushes it (the cut segment is synced).
  ASSERT_EQ(Put("T", 0, Body(399)).append_result.wrote_offset, bad);
  world_.RunFor(seconds(2));
  PowerCycle();
  ASSERT_TRUE(world_.StartProcess(tool_).ok());
  auto after = Tool().FileSize(copy);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *size) << "the copy lost bytes in the power loss";
}

// The torn tail of a crash is not damage: it is cut with a WARN and nothing is kept aside.
TEST_F(RecoveryTest, AnIncompleteLastRecordIsCutWithAWarning) {
  StartStore();
  PutMany(50);
  const int64_t max = store().GetMaxPhyOffset();
  const int64_t size = ReadAll("T", 0).back().store_size;
  ASSERT_TRUE(StopGracefully().ok());
  // Zero the second half of the last record: its CRC fails and nothing follows it.
  Overwrite(Segment(0), static_cast<uint64_t>(max - size / 2),
            std::vector<std::byte>(static_cast<size_t>(size / 2)));
  StartStore();
  EXPECT_EQ(store().GetMaxPhyOffset(), max - size);
  EXPECT_EQ(Logs(Severity::kWarn, "commit log truncated at offset").size(), 1u);
  EXPECT_TRUE(Logs(Severity::kError, "").empty());
  EXPECT_FALSE(Tool().Exists(std::string(kRoot) + "/corrupt"));
}

// As RocketMQ: a missing middle segment is reported (checkSelf's "[BUG]... damaged") and the
// segments around it still serve; its messages are gone and reads skip them.
TEST_F(RecoveryTest, AMissingMiddleSegmentIsLoggedAndTheRestIsServed) {
  StartStore();
  PutMany(1000);
  const int64_t max = store().GetMaxPhyOffset();
  int64_t in_missing = 0;
  for (const auto& m : ReadAll("T", 0)) {
    if (m.commit_log_offset >= 64 * 1024 && m.commit_log_offset < 2 * 64 * 1024) ++in_missing;
  }
  ASSERT_GT(in_missing, 0);
  ASSERT_TRUE(StopGracefully().ok());
  ASSERT_TRUE(Tool().Remove(Segment(64 * 1024)).ok());
  StartStore();
  auto errors = Logs(Severity::kError, "segment(s) missing");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("offsets [65536, 131072)"), std::string::npos) << errors[0];
  EXPECT_EQ(store().GetMaxPhyOffset(), max);
  // A pull over the gap answers MESSAGE_WAS_REMOVING with the next offset past it (the broker
  // then says PULL_RETRY_IMMEDIATELY): the consumer moves on.
  std::vector<common::MessageExt> all;
  int removing = 0;
  for (int64_t offset = 0; offset < 1000;) {
    GetMessageResult r = Get("T", 0, offset, 32);
    if (r.status == GetMessageStatus::kMessageWasRemoving) ++removing;
    ASSERT_TRUE(r.status == GetMessageStatus::kFound ||
                r.status == GetMessageStatus::kMessageWasRemoving)
        << static_cast<int>(r.status);
    ASSERT_GT(r.next_begin_offset, offset);
    auto msgs = Decode(r);
    all.insert(all.end(), msgs.begin(), msgs.end());
    offset = r.next_begin_offset;
  }
  EXPECT_GT(removing, 0);
  EXPECT_EQ(static_cast<int64_t>(all.size()), 1000 - in_missing);
  EXPECT_EQ(all.back().queue_offset, 999);
}

// After a crash the dispatch restarts before the gap (the checkpoint's point): it skips the
// missing range instead of stopping there, so new messages are still indexed.
TEST_F(RecoveryTest, DispatchGoesPastAMissingSegmentAfterACrash) {
  config().flush_commit_log_least_pages = 0;
  StartStore();
  PutMany(1000);
  Kill();
  ASSERT_TRUE(Tool().Remove(Segment(64 * 1024)).ok());
  StartStore();
  ASSERT_EQ(Logs(Severity::kError, "segment(s) missing").size(), 1u);
  PutMessageResult r = Put("T", 0, Body(1000));
  ASSERT_TRUE(r.ok());
  world_.RunFor(seconds(1));
  GetMessageResult got = Get("T", 0, r.append_result.logics_offset, 1);
  ASSERT_EQ(got.status, GetMessageStatus::kFound);
  EXPECT_EQ(common::StringFromBytes(Decode(got)[0].message.body()), Body(1000));
}

// Zeroed entries in the middle of one consume queue. Java's recovery cuts that queue and
// dispatches only from the furthest point of all queues, so its later entries stay missing;
// rmqsim rebuilds it from the commit log.
TEST_F(RecoveryTest, ADamagedConsumeQueueIsRebuiltFromTheCommitLog) {
  StartStore();
  PutMany(200, /*queues=*/2);
  ASSERT_TRUE(StopGracefully().ok());
  const std::string cq = std::string(kRoot) + "/consumequeue/T/0/" + OffsetToFileName(0);
  Overwrite(cq, 20 * 20, std::vector<std::byte>(5 * 20));  // entries 20..24 of queue 0
  StartStore();
  auto warnings = Logs(Severity::kWarn, "consume queue T/0 damaged at entry 20");
  ASSERT_EQ(warnings.size(), 1u) << "no warning";
  EXPECT_NE(warnings[0].find("75 entries after it dropped"), std::string::npos) << warnings[0];
  auto q0 = ReadAll("T", 0);
  auto q1 = ReadAll("T", 1);
  ASSERT_EQ(q0.size(), 100u);
  ASSERT_EQ(q1.size(), 100u);  // the intact queue gets no duplicates
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(q0[i].queue_offset, static_cast<int64_t>(i));
    EXPECT_EQ(common::StringFromBytes(q0[i].message.body()), Body(static_cast<int>(2 * i)));
    EXPECT_EQ(q1[i].queue_offset, static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace rmqsim::store
