// Retention (CleanCommitLogService / CleanConsumeQueueService) driven by the machine's wall clock.
#include <gtest/gtest.h>

#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::StoreTest;

class RetentionTest : public StoreTest {
 protected:
  // ~290 KB of messages: five 64 KiB segments; eight 200-entry consume-queue files.
  void Fill() {
    for (int i = 0; i < 1500; ++i) {
      ASSERT_TRUE(Put("T", 0, std::string(100, static_cast<char>('a' + i % 26))).ok());
    }
    ASSERT_GE(store().commit_log().mapped_file_queue().files().size(), 4u);
  }
  size_t Segments() { return store().commit_log().mapped_file_queue().files().size(); }
};

TEST_F(RetentionTest, OldFilesAreDeletedAtTheDeleteWhenHour) {
  StartStore();  // 2026-01-01 00:00 UTC
  Fill();
  const size_t segments = Segments();
  world_.RunFor(seconds(75));  // the clean service ran: wrong hour, files too young
  EXPECT_EQ(Segments(), segments);
  EXPECT_TRUE(Events("StoreCommitLogFilesDeleted").empty());

  world_.JumpWallClock(m_, hours(76));  // 2026-01-04 04:01: deleteWhen "04", 72 h reserved
  world_.RunFor(seconds(11));
  ASSERT_EQ(Segments(), 1u);  // every segment but the one being written
  EXPECT_FALSE(Events("StoreCommitLogFilesDeleted").empty());
  const int64_t min_phy = store().GetMinPhyOffset();
  EXPECT_EQ(min_phy, static_cast<int64_t>(segments - 1) * 64 * 1024);

  // The consume queue followed: whole files below the commit log's start are gone and the
  // queue's minimum moved to its first entry that still has a message.
  const int64_t min_offset = store().GetMinOffsetInQueue("T", 0);
  EXPECT_GT(min_offset, 0);
  EXPECT_GE(store().GetCommitLogOffsetInQueue("T", 0, min_offset), min_phy);
  EXPECT_LT(store().GetCommitLogOffsetInQueue("T", 0, min_offset - 1), min_phy);
  EXPECT_FALSE(Events("StoreConsumeQueueFilesDeleted").empty());
  GetMessageResult r = Get("T", 0, 0);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetTooSmall);
  EXPECT_EQ(r.next_begin_offset, min_offset);
  auto rest = ReadAll("T", 0);
  EXPECT_EQ(static_cast<int64_t>(rest.size()), 1500 - min_offset);
  EXPECT_EQ(rest.front().queue_offset, min_offset);

  // New messages keep their offsets; a restart recovers the same minimum.
  EXPECT_EQ(Put("T", 0, "after").append_result.logics_offset, 1500);
  ASSERT_TRUE(StopGracefully().ok());
  StartStore();
  EXPECT_EQ(store().GetMinPhyOffset(), min_phy);
  EXPECT_EQ(store().GetMinOffsetInQueue("T", 0), min_offset);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 0), 1501);
}

TEST_F(RetentionTest, YoungFilesSurviveTheDeleteHour) {
  StartStore();
  Fill();
  const size_t segments = Segments();
  world_.JumpWallClock(m_, hours(4));  // 04:00 on the same day: files are 4 h old
  world_.RunFor(seconds(75));
  EXPECT_EQ(Segments(), segments);
  // Unless deletion was asked for by hand (the age rule still applies)...
  store().ExecuteDeleteFilesManually();
  store().CleanFilesPeriodically();
  EXPECT_EQ(Segments(), segments);
  // Three days later, at 04:00 again, they are old enough.
  world_.JumpWallClock(m_, hours(72));
  world_.RunFor(seconds(11));
  EXPECT_EQ(Segments(), 1u);
}

TEST_F(RetentionTest, HighDiskUsageCleansImmediatelyAndRefusesPuts) {
  StartStore();
  Fill();
  double usage = 0.5;
  store().set_disk_usage_provider([&usage] { return usage; });
  world_.RunFor(seconds(61));
  EXPECT_GT(Segments(), 1u);
  EXPECT_TRUE(store().IsWriteable());

  usage = 0.95;  // above diskSpaceWarningLevelRatio: disk full, clean at once
  world_.RunFor(seconds(11));
  EXPECT_TRUE(store().disk_full());
  EXPECT_EQ(Put("T", 0, "x").status, PutMessageStatus::kServiceNotAvailable);
  EXPECT_EQ(Segments(), 1u);
  EXPECT_FALSE(Events("StoreDiskFull").empty());

  usage = 0.3;
  world_.RunFor(seconds(11));
  EXPECT_FALSE(store().disk_full());
  EXPECT_TRUE(Put("T", 0, "x").ok());
}

}  // namespace
}  // namespace rmqsim::store
