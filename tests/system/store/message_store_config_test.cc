// Config, names, checkpoint page, consume-queue entries: the small pure pieces.
#include "system/store/message_store_config.h"

#include <gtest/gtest.h>

#include "system/common/java_string.h"
#include "system/store/get_message_result.h"
#include "system/store/put_message_result.h"
#include "system/store/store_checkpoint.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

TEST(MessageStoreConfigTest, DefaultsAreRocketMqs) {
  MessageStoreConfig c;
  EXPECT_EQ(c.mapped_file_size_commit_log, 1073741824);
  EXPECT_EQ(c.MappedFileSizeConsumeQueue(), 6000000);
  EXPECT_EQ(c.max_message_size, 4194304);
  EXPECT_EQ(c.flush_disk_type, FlushDiskType::kAsyncFlush);
  EXPECT_EQ(c.flush_interval_commit_log, milliseconds(500));
  EXPECT_EQ(c.flush_commit_log_least_pages, 4);
  EXPECT_EQ(c.flush_interval_consume_queue, milliseconds(1000));
  EXPECT_EQ(c.sync_flush_timeout, milliseconds(5000));
  EXPECT_EQ(c.file_reserved_time, 72);
  EXPECT_EQ(c.delete_when, "04");
  EXPECT_EQ(c.broker_role, BrokerRole::kAsyncMaster);
  EXPECT_TRUE(c.Validate().ok());
  EXPECT_EQ(c.StorePathCommitLog(), "store/commitlog");
  EXPECT_EQ(c.StorePathConsumeQueue(), "store/consumequeue");
  EXPECT_EQ(c.AbortFile(), "store/abort");
  EXPECT_EQ(c.CheckpointFile(), "store/checkpoint");
  EXPECT_EQ(c.ConsumerOffsetPath(), "store/config/consumerOffset.json");
  EXPECT_TRUE(MessageStoreConfig::ForSimulation().Validate().ok());
}

TEST(MessageStoreConfigTest, SetByJavaName) {
  MessageStoreConfig c;
  ASSERT_TRUE(c.SetByName("flushDiskType", "SYNC_FLUSH").ok());
  ASSERT_TRUE(c.SetByName("mappedFileSizeCommitLog", "1048576").ok());
  ASSERT_TRUE(c.SetByName("syncFlushTimeout", "3000").ok());
  ASSERT_TRUE(c.SetByName("brokerRole", "SLAVE").ok());
  ASSERT_TRUE(c.SetByName("deleteWhen", "03;04").ok());
  ASSERT_TRUE(c.SetByName("mappedFileSizeConsumeQueue", "1001").ok());
  EXPECT_EQ(c.flush_disk_type, FlushDiskType::kSyncFlush);
  EXPECT_EQ(c.mapped_file_size_commit_log, 1048576);
  EXPECT_EQ(c.sync_flush_timeout, milliseconds(3000));
  EXPECT_EQ(c.broker_role, BrokerRole::kSlave);
  EXPECT_EQ(c.MappedFileSizeConsumeQueue(), 1020);
  EXPECT_EQ(c.SetByName("noSuchSetting", "1").code(), StatusCode::kNotFound);
  EXPECT_EQ(c.SetByName("maxMessageSize", "big").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.SetByName("flushDiskType", "SOMETIMES").code(), StatusCode::kInvalidArgument);
  c.message_delay_level = "1s 2x";
  EXPECT_FALSE(c.Validate().ok());
}

TEST(MessageStoreConfigTest, DelayLevelsAndDeleteWhen) {
  auto levels = ParseDelayLevels("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h");
  ASSERT_TRUE(levels.ok());
  ASSERT_EQ(levels->size(), 18u);
  EXPECT_EQ((*levels)[0], seconds(1));
  EXPECT_EQ((*levels)[4], minutes(1));
  EXPECT_EQ((*levels)[17], hours(2));
  EXPECT_EQ((*ParseDelayLevels("1d"))[0], hours(24));
  EXPECT_FALSE(ParseDelayLevels("").ok());
  EXPECT_FALSE(ParseDelayLevels("5").ok());
  EXPECT_TRUE(IsItTimeToDo("04", 4));
  EXPECT_FALSE(IsItTimeToDo("04", 5));
  EXPECT_TRUE(IsItTimeToDo("03;04;05", 5));
  EXPECT_FALSE(IsItTimeToDo("x;", 0));
}

TEST(MessageStoreConfigTest, SegmentNames) {
  EXPECT_EQ(OffsetToFileName(0), "00000000000000000000");
  EXPECT_EQ(OffsetToFileName(1073741824), "00000000001073741824");
  EXPECT_EQ(*FileNameToOffset("00000000001073741824"), 1073741824);
  EXPECT_FALSE(FileNameToOffset("1073741824").ok());
  EXPECT_FALSE(FileNameToOffset("0000000000107374182x").ok());
}

TEST(StoreNamesTest, StatusNamesAreJavas) {
  EXPECT_EQ(PutMessageStatusName(PutMessageStatus::kCreateMapedFileFailed),
            "CREATE_MAPEDFILE_FAILED");
  EXPECT_EQ(PutMessageStatusName(PutMessageStatus::kFlushDiskTimeout), "FLUSH_DISK_TIMEOUT");
  EXPECT_EQ(GetMessageStatusName(GetMessageStatus::kOffsetOverflowOne), "OFFSET_OVERFLOW_ONE");
  EXPECT_EQ(GetMessageStatusName(GetMessageStatus::kNoMatchedLogicQueue), "NO_MATCHED_LOGIC_QUEUE");
}

TEST(MessageFilterTest, TagExpressions) {
  MessageFilter all = MessageFilter::FromTagsExpression("*");
  EXPECT_TRUE(all.match_all);
  EXPECT_TRUE(MessageFilter::FromTagsExpression("").match_all);
  MessageFilter f = MessageFilter::FromTagsExpression("TagA || TagB||  || ");
  EXPECT_FALSE(f.match_all);
  EXPECT_EQ(f.tag_codes.size(), 2u);
  EXPECT_TRUE(f.IsMatchedByConsumeQueue(static_cast<int64_t>(common::JavaStringHashCode("TagB"))));
  EXPECT_FALSE(f.IsMatchedByConsumeQueue(0));
  EXPECT_TRUE(f.IsMatchedByConsumeQueue(std::nullopt));
}

class CheckpointTest : public testing::StoreTest {};

TEST_F(CheckpointTest, PageLayoutAndFlushPoints) {
  StartStore();
  StoreCheckpoint cp(rt(), "cp");
  ASSERT_TRUE(cp.Load().ok());
  EXPECT_FALSE(cp.has_flush_points());
  cp.set_physic_msg_timestamp(1'767'225'600'123);
  cp.set_logics_msg_timestamp(1'767'225'600'100);
  cp.SetFlushPoints(4096, 2048);
  std::vector<std::byte> page = cp.Encode();
  ASSERT_EQ(page.size(), 4096u);
  EXPECT_EQ(common::LoadI64(page.data()), 1'767'225'600'123);  // Java's positions
  EXPECT_EQ(common::LoadI64(page.data() + 8), 1'767'225'600'100);
  EXPECT_EQ(cp.GetMinTimestamp(), 1'767'225'600'100 - 3000);
  std::optional<Status> flushed;
  cp.Flush([&](const Status& s) { flushed = s; });
  EXPECT_FALSE(flushed.has_value());
  world_.RunUntil([&] { return flushed.has_value(); }, world_.now() + seconds(1));
  ASSERT_TRUE(flushed.has_value() && flushed->ok());

  StoreCheckpoint again(rt(), "cp");
  ASSERT_TRUE(again.Load().ok());
  EXPECT_TRUE(again.has_flush_points());
  EXPECT_EQ(again.physic_flushed_offset(), 4096);
  EXPECT_EQ(again.logics_flushed_offset(), 2048);
  EXPECT_EQ(again.physic_msg_timestamp(), 1'767'225'600'123);

  // A Java-written page (zeros after the timestamps) has no flush points; a damaged extension
  // is ignored.
  page[40] ^= std::byte{1};
  ASSERT_TRUE(again.Decode(page).ok());
  EXPECT_FALSE(again.has_flush_points());
  EXPECT_EQ(again.logics_msg_timestamp(), 1'767'225'600'100);
}

}  // namespace
}  // namespace rmqsim::store
