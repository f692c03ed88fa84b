// Puts and reads on a running store: segments, queue offsets, tags, pull statuses, lookups.
#include <gtest/gtest.h>

#include <map>

#include "system/common/java_string.h"
#include "system/common/message_id.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::StoreTest;

std::string Body(int i, size_t size) {
  std::string s = "m" + std::to_string(i) + ":";
  while (s.size() < size) s += static_cast<char>('a' + (s.size() + i) % 26);
  return s;
}

TEST_F(StoreTest, PutGetRoundTripAcrossSegments) {
  StartStore();
  std::map<int32_t, int> per_queue;
  for (int i = 0; i < 300; ++i) {
    int32_t q = i % 3;
    PutMessageResult r = Put("TopicA", q, Body(i, 700));
    ASSERT_EQ(r.status, PutMessageStatus::kPutOk) << i;
    EXPECT_EQ(r.append_result.logics_offset, per_queue[q]++);
    EXPECT_EQ(r.append_result.msg_num, 1);
    auto id = common::DecodeOffsetMessageId(r.append_result.msg_id);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->commit_log_offset, r.append_result.wrote_offset);
    EXPECT_EQ(id->store_host, testing::kStoreHost);
  }
  const auto& files = store().commit_log().mapped_file_queue().files();
  ASSERT_GE(files.size(), 3u);  // ~240 KB in 64 KiB segments
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i]->from(), static_cast<int64_t>(i) * 64 * 1024);
    EXPECT_EQ(files[i]->path(), "store/commitlog/" + OffsetToFileName(files[i]->from()));
  }
  // The first segment ends with a blank record declaring the rest of the segment.
  const MappedFile& first = *files[0];
  EXPECT_TRUE(first.IsFull());
  const int64_t blank_pos = first.physical_size() - 8;
  std::vector<std::byte> head(8);
  ASSERT_TRUE(first.ReadFully(blank_pos, head).ok());
  auto header = common::PeekStoredRecordHeader(head);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(header->is_blank());
  EXPECT_EQ(header->total_size, 64 * 1024 - blank_pos);

  int i_seen = 0;
  for (int32_t q = 0; q < 3; ++q) {
    auto msgs = ReadAll("TopicA", q);
    ASSERT_EQ(msgs.size(), 100u);
    for (size_t k = 0; k < msgs.size(); ++k) {
      EXPECT_EQ(msgs[k].queue_id, q);
      EXPECT_EQ(msgs[k].queue_offset, static_cast<int64_t>(k));
      EXPECT_EQ(common::StringFromBytes(msgs[k].message.body()),
                Body(static_cast<int>(k) * 3 + q, 700));
      EXPECT_EQ(msgs[k].store_host, testing::kStoreHost);
      EXPECT_EQ(msgs[k].born_host, testing::kBornHost);
      ++i_seen;
    }
  }
  EXPECT_EQ(i_seen, 300);
  EXPECT_EQ(store().GetMaxOffsetInQueue("TopicA", 1), 100);
  EXPECT_EQ(store().GetMinOffsetInQueue("TopicA", 1), 0);
  EXPECT_EQ(store().DispatchBehindBytes(), 0);
  EXPECT_EQ((store().topic_queue_table().at(TopicQueueKey{"TopicA", 2})), 100);

  // A clean restart validates only the last three segments and keeps everything.
  ASSERT_TRUE(StopGracefully().ok());
  StartStore();
  for (int32_t q = 0; q < 3; ++q) EXPECT_EQ(ReadAll("TopicA", q).size(), 100u);
  EXPECT_EQ(Put("TopicA", 0, "next").append_result.logics_offset, 100);
}

TEST_F(StoreTest, QueueOffsetsIncreasePerQueueAndTopic) {
  StartStore();
  EXPECT_EQ(Put("T1", 0, "a").append_result.logics_offset, 0);
  EXPECT_EQ(Put("T1", 1, "b").append_result.logics_offset, 0);
  EXPECT_EQ(Put("T2", 0, "c").append_result.logics_offset, 0);
  EXPECT_EQ(Put("T1", 0, "d").append_result.logics_offset, 1);
  EXPECT_EQ(Put("T1", 0, "e").append_result.logics_offset, 2);
  EXPECT_EQ(Put("T2", 0, "f").append_result.logics_offset, 1);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T1", 0), 3);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T1", 1), 1);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T2", 0), 2);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T3", 0), 0);
  EXPECT_EQ(store().GetCommitLogOffsetInQueue("T1", 0, 0), 0);
  EXPECT_GT(store().GetCommitLogOffsetInQueue("T1", 0, 1), 0);
}

TEST_F(StoreTest, TagFilteringByHashCode) {
  StartStore();
  const char* tags[] = {"TagA", "TagB", "", "TagA", "TagC", "TagB"};
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Put("T", 0, Body(i, 10), tags[i]).ok());

  MessageFilter a = MessageFilter::FromTagsExpression("TagA");
  GetMessageResult r = Get("T", 0, 0, 32, &a);
  EXPECT_EQ(r.status, GetMessageStatus::kFound);
  EXPECT_EQ(r.message_queue_offsets, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(r.next_begin_offset, 6);  // every scanned entry counts

  MessageFilter ab = MessageFilter::FromTagsExpression(" TagA || TagB ");
  EXPECT_EQ(Get("T", 0, 0, 32, &ab).message_queue_offsets, (std::vector<int64_t>{0, 1, 3, 5}));
  MessageFilter all = MessageFilter::FromTagsExpression("*");
  EXPECT_EQ(Get("T", 0, 0, 32, &all).message_count(), 6);

  // The consume-queue entry carries String.hashCode of the TAGS property (0 without tags).
  auto entry = store().GetConsumeQueue("T", 0)->GetEntry(1);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->tags_code, common::JavaStringHashCode("TagB"));
  EXPECT_EQ((*store().GetConsumeQueue("T", 0)->GetEntry(2))->tags_code, 0);

  MessageFilter none = MessageFilter::FromTagsExpression("TagZ");
  r = Get("T", 0, 2, 32, &none);
  EXPECT_EQ(r.status, GetMessageStatus::kNoMatchedMessage);
  EXPECT_EQ(r.next_begin_offset, 6);
  EXPECT_EQ(r.message_count(), 0);
}

TEST_F(StoreTest, GetMessageStatusesAndNextOffsets) {
  StartStore();
  GetMessageResult r = Get("T", 0, 5);
  EXPECT_EQ(r.status, GetMessageStatus::kNoMessageInQueue);  // unknown queue reads as empty
  EXPECT_EQ(r.next_begin_offset, 0);

  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put("T", 0, Body(i, 50)).ok());
  r = Get("T", 0, 0, 4);
  EXPECT_EQ(r.status, GetMessageStatus::kFound);
  EXPECT_EQ(r.message_count(), 4);
  EXPECT_EQ(r.next_begin_offset, 4);
  EXPECT_EQ(r.min_offset, 0);
  EXPECT_EQ(r.max_offset, 10);
  EXPECT_EQ(r.buffer_total_size, static_cast<int64_t>(r.ConcatenatedBody().size()));
  EXPECT_FALSE(r.suggest_pulling_from_slave);

  r = Get("T", 0, 8);
  EXPECT_EQ(r.status, GetMessageStatus::kFound);
  EXPECT_EQ(r.message_count(), 2);
  EXPECT_EQ(r.next_begin_offset, 10);

  r = Get("T", 0, 10);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetOverflowOne);
  EXPECT_EQ(r.next_begin_offset, 10);

  r = Get("T", 0, 25);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_begin_offset, 10);

  r = Get("T", 0, -3);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetTooSmall);
  EXPECT_EQ(r.next_begin_offset, 0);
}

TEST_F(StoreTest, SlaveEchoesTheRequestedOffsetUnlessOffsetCheckInSlave) {
  config().broker_role = BrokerRole::kSlave;
  StartStore();
  EXPECT_EQ(Put("T", 0, "x").status, PutMessageStatus::kServiceNotAvailable);
  GetMessageResult r = Get("T", 0, 7);
  EXPECT_EQ(r.status, GetMessageStatus::kNoMessageInQueue);
  EXPECT_EQ(r.next_begin_offset, 7);
}

TEST_F(StoreTest, BatchLimitsInMemoryAndOnDiskAndSuggestSlave) {
  // 40% of 20 KB "RAM" is 8 KB: messages more than 8 KB behind the end are "on disk".
  config().total_physical_memory_bytes = 20'000;
  StartStore();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(Put("T", 0, Body(i, 400)).ok());
  GetMessageResult r = Get("T", 0, 0, 32);
  EXPECT_EQ(r.message_count(), 8);  // maxTransferCountOnMessageInDisk
  EXPECT_TRUE(r.suggest_pulling_from_slave);
  r = Get("T", 0, 50, 32);
  EXPECT_EQ(r.message_count(), 10);  // in memory: up to 32
  EXPECT_FALSE(r.suggest_pulling_from_slave);
  // The extra byte cap: the first message always fits.
  auto capped = store().GetMessage("g", "T", 0, 50, 32, 1000, nullptr);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->message_count(), 2);
}

TEST_F(StoreTest, OffsetInQueueByTimestamp) {
  StartStore();
  std::vector<int64_t> stamps;
  for (int i = 0; i < 20; ++i) {
    PutMessageResult r = Put("T", 0, Body(i, 30));
    ASSERT_TRUE(r.ok());
    stamps.push_back(r.append_result.store_timestamp);
    world_.RunFor(milliseconds(100));
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(store().GetOffsetInQueueByTime("T", 0, stamps[static_cast<size_t>(i)]), i);
  }
  // Between two messages: the nearer one (ties go left).
  EXPECT_EQ(store().GetOffsetInQueueByTime("T", 0, stamps[5] + 30), 5);
  EXPECT_EQ(store().GetOffsetInQueueByTime("T", 0, stamps[5] + 70), 6);
  EXPECT_EQ(store().GetOffsetInQueueByTime("T", 0, stamps[0] - 5000), 0);
  EXPECT_EQ(store().GetOffsetInQueueByTime("T", 0, stamps[19] + 5000), 19);
  EXPECT_EQ(store().GetOffsetInQueueByTime("Nope", 0, stamps[0]), 0);
  EXPECT_EQ(store().GetMessageStoreTimeStamp("T", 0, 3), stamps[3]);
  EXPECT_EQ(store().GetEarliestMessageTime("T", 0), stamps[0]);
}

TEST_F(StoreTest, OversizeAndIllegalMessagesAreRefused) {
  StartStore();
  const int64_t before = store().GetMaxPhyOffset();
  EXPECT_EQ(Put("T", 0, std::string(16 * 1024 + 1, 'x')).status, PutMessageStatus::kMessageIllegal);
  EXPECT_EQ(Put(std::string(128, 't'), 0, "x").status, PutMessageStatus::kMessageIllegal);
  PutMessageRequest bad_props = Request("T", 0, "x");
  bad_props.message.PutProperty("K", std::string(40000, 'v'));
  EXPECT_EQ(Put(bad_props).status, PutMessageStatus::kMessageIllegal);
  EXPECT_EQ(store().GetMaxPhyOffset(), before);
  EXPECT_TRUE(Put("T", 0, std::string(16 * 1024, 'x')).ok());  // exactly the limit
}

TEST_F(StoreTest, BatchPutIsOneContiguousRun) {
  StartStore();
  ASSERT_TRUE(Put("B", 0, "single").ok());
  PutMessagesRequest batch;
  batch.topic = "B";
  batch.queue_id = 0;
  batch.born_host = testing::kBornHost;
  batch.store_host = testing::kStoreHost;
  for (int i = 0; i < 5; ++i) {
    common::Message m("", common::BytesFromString(Body(i, 40)));
    m.SetKeys("k" + std::to_string(i));
    batch.messages.push_back(std::move(m));
  }
  std::optional<PutMessageResult> out;
  store().PutMessages(batch, [&](PutMessageResult r) { out = std::move(r); });
  EXPECT_FALSE(out.has_value());  // never inside the call
  world_.RunUntil([&] { return out.has_value(); }, world_.now() + seconds(5));
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->status, PutMessageStatus::kPutOk);
  EXPECT_EQ(out->append_result.msg_num, 5);
  EXPECT_EQ(out->append_result.logics_offset, 1);
  EXPECT_EQ(std::count(out->append_result.msg_id.begin(), out->append_result.msg_id.end(), ','), 4);
  auto msgs = ReadAll("B", 0);
  ASSERT_EQ(msgs.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(msgs[static_cast<size_t>(i) + 1].queue_offset, i + 1);
    EXPECT_EQ(msgs[static_cast<size_t>(i) + 1].message.keys(), "k" + std::to_string(i));
  }
  EXPECT_EQ(msgs[5].commit_log_offset + msgs[5].store_size,
            out->append_result.wrote_offset + out->append_result.wrote_bytes);

  PutMessagesRequest delayed = batch;
  delayed.messages[0].SetDelayTimeLevel(2);
  out.reset();
  store().PutMessages(delayed, [&](PutMessageResult r) { out = std::move(r); });
  world_.RunUntil([&] { return out.has_value(); }, world_.now() + seconds(5));
  EXPECT_EQ(out->status, PutMessageStatus::kMessageIllegal);
}

TEST_F(StoreTest, DelayLevelGoesToTheScheduleTopic) {
  StartStore();
  PutMessageRequest r = Request("Orders", 3, "later", "TagX");
  r.message.SetDelayTimeLevel(3);  // 10 s
  PutMessageResult res = Put(r);
  ASSERT_TRUE(res.ok());
  const std::string schedule(common::kRmqSysScheduleTopic);
  EXPECT_EQ(store().GetMaxOffsetInQueue("Orders", 3), 0);
  EXPECT_EQ(store().GetMaxOffsetInQueue(schedule, 2), 1);
  auto msgs = ReadAll(schedule, 2);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].message.real_topic(), "Orders");
  EXPECT_EQ(msgs[0].message.GetProperty("REAL_QID"), "3");
  // The schedule queue's tags code is the delivery time.
  auto entry = store().GetConsumeQueue(schedule, 2)->GetEntry(0);
  EXPECT_EQ((*entry)->tags_code, res.append_result.store_timestamp + 10'000);
  // Levels above the maximum are clamped to it (18: queue 17).
  PutMessageRequest far = Request("Orders", 0, "much later");
  far.message.SetDelayTimeLevel(99);
  ASSERT_TRUE(Put(far).ok());
  EXPECT_EQ(store().GetMaxOffsetInQueue(schedule, 17), 1);
}

TEST_F(StoreTest, TransactionalPreparedRecordsAreNotIndexed) {
  StartStore();
  PutMessageRequest half = Request("T", 0, "half");
  half.sys_flag = common::kTransactionPreparedType;
  PutMessageResult r = Put(half);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.append_result.logics_offset, 0);
  EXPECT_EQ(store().GetMaxOffsetInQueue("T", 0), 0);
  EXPECT_EQ(Put("T", 0, "normal").append_result.logics_offset, 0);
  auto looked = store().LookMessageByOffset(r.append_result.wrote_offset);
  ASSERT_TRUE(looked.ok()) << looked.status();
  EXPECT_EQ(common::StringFromBytes(looked->message.body()), "half");
}

TEST_F(StoreTest, DispatchListenersSeeEveryEntry) {
  StartStore();
  struct Seen {
    std::string topic;
    int32_t queue_id;
    int64_t offset;
    int64_t tags_code;
  };
  std::vector<Seen> seen;
  store().AddDispatchListener([&](const std::string& t, int32_t q, int64_t o, int64_t c) {
    seen.push_back({t, q, o, c});
  });
  ASSERT_TRUE(Put("T", 1, "a", "red").ok());
  ASSERT_TRUE(Put("T", 1, "b").ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].topic, "T");
  EXPECT_EQ(seen[0].queue_id, 1);
  EXPECT_EQ(seen[0].offset, 0);
  EXPECT_EQ(seen[0].tags_code, common::JavaStringHashCode("red"));
  EXPECT_EQ(seen[1].offset, 1);
  EXPECT_EQ(seen[1].tags_code, 0);
}

TEST_F(StoreTest, LookupsByPhysicalOffset) {
  StartStore();
  PutMessageResult r = Put("T", 0, "payload", "t1");
  ASSERT_TRUE(r.ok());
  auto raw = store().SelectOneMessageByOffset(r.append_result.wrote_offset);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(static_cast<int64_t>(raw->size()), r.append_result.wrote_bytes);
  auto m = store().LookMessageByOffset(r.append_result.wrote_offset);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->message.tags(), "t1");
  EXPECT_EQ(m->OffsetMsgId(), r.append_result.msg_id);
  EXPECT_EQ(m->store_timestamp_ms, r.append_result.store_timestamp);
  EXPECT_EQ(store().LookMessageByOffset(1 << 30).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().GetMaxPhyOffset(), r.append_result.wrote_bytes);
  EXPECT_EQ(store().GetMinPhyOffset(), 0);
}

TEST_F(StoreTest, PutCallbacksNeverRunInsideTheCall) {
  StartStore();
  bool called = false;
  store().PutMessage(Request("T", 0, "x"), [&](PutMessageResult) { called = true; });
  EXPECT_FALSE(called);
  store().PutMessage(Request(std::string(200, 'x'), 0, "x"), [&](PutMessageResult) {});
  world_.RunFor(milliseconds(1));
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace rmqsim::store
