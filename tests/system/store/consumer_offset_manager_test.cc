// ConsumerOffsetManager: the table, its JSON, and persistence across kills and power loss.
#include "system/store/consumer_offset_manager.h"

#include <gtest/gtest.h>

#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::StoreTest;

class ConsumerOffsetTest : public StoreTest {
 protected:
  void SetUp() override { shared_->with_offsets = true; }
  ConsumerOffsetManager& offsets() { return *svc().offsets; }

  void WriteFile(const std::string& path, const std::string& text) {
    auto f = rt().fs().Open(path, OpenMode::kCreateTruncate);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->WriteAt(0, rmqsim::testing::Bytes(text)).ok());
  }
};

TEST_F(ConsumerOffsetTest, CommitAndQuery) {
  StartStore();
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), -1);
  offsets().CommitOffset("10.0.0.2:5000", "g", "T", 0, 5);
  offsets().CommitOffset("10.0.0.2:5000", "g", "T", 1, 7);
  offsets().CommitOffset("10.0.0.2:5000", "g", "T", 1, -1);  // ignored
  offsets().CommitOffset("10.0.0.2:5000", "h", "U", 0, 3);
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 5);
  EXPECT_EQ(offsets().QueryOffset("g", "T", 1), 7);
  EXPECT_EQ(offsets().QueryOffset("g", "T", 2), -1);
  EXPECT_EQ(offsets().WhichTopicByConsumer("g"), (std::set<std::string>{"T"}));
  EXPECT_EQ(offsets().WhichGroupByTopic("U"), (std::set<std::string>{"h"}));
  offsets().CommitOffset("c", "g", "T", 0, 2);  // moving back is allowed (and traced)
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 2);
  EXPECT_FALSE(Events("ConsumerOffsetMovedBack").empty());
  offsets().CloneOffset("g", "g2", "T");
  EXPECT_EQ(offsets().QueryOffset("g2", "T", 1), 7);
  offsets().RemoveOffset("g");
  EXPECT_EQ(offsets().QueryOffset("g", "T", 1), -1);
  EXPECT_EQ(offsets().QueryOffset("g2", "T", 1), 7);
}

TEST_F(ConsumerOffsetTest, JsonMatchesConsumerOffsetJson) {
  StartStore();
  offsets().CommitOffset("c", "group_a", "TopicTest", 0, 250);
  offsets().CommitOffset("c", "group_a", "TopicTest", 10, 248);
  offsets().CommitOffset("c", "g", "%RETRY%g", 0, 0);
  EXPECT_EQ(offsets().Encode(),
            R"({"offsetTable":{"%RETRY%g@g":{"0":0},"TopicTest@group_a":{"0":250,"10":248}}})");
  // fastjson's own output writes integer keys bare, pretty-printed with tabs.
  const std::string java =
      "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@please_rename\":{0:250,1:250,"
      "2:250,3:250\n\t\t}\n\t}\n}";
  ASSERT_TRUE(offsets().Decode(java).ok());
  EXPECT_EQ(offsets().QueryOffset("please_rename", "TopicTest", 3), 250);
  EXPECT_EQ(offsets().offset_table().size(), 1u);
  ASSERT_TRUE(offsets().Decode(offsets().Encode(true)).ok());
  EXPECT_EQ(offsets().QueryOffset("please_rename", "TopicTest", 2), 250);
  EXPECT_FALSE(offsets().Decode("{\"offsetTable\":{\"a@b\":{\"x\":1}}}").ok());
  EXPECT_FALSE(offsets().Decode("not json").ok());
}

TEST_F(ConsumerOffsetTest, KillRollsBackToTheLastPersist) {
  StartStore();
  offsets().CommitOffset("c", "g", "T", 0, 5);
  world_.RunFor(seconds(11));  // first persist at 10 s
  EXPECT_EQ(offsets().persist_count(), 1u);
  offsets().CommitOffset("c", "g", "T", 0, 9);
  world_.RunFor(seconds(2));  // next persist is due at 15 s
  Kill();
  StartStore();
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 5);  // consumers will see 5..8 again

  offsets().CommitOffset("c", "g", "T", 0, 12);
  ASSERT_TRUE(StopGracefully().ok());  // shutdown persists
  StartStore();
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 12);
}

TEST_F(ConsumerOffsetTest, PersistedOffsetsSurvivePowerLoss) {
  StartStore();
  offsets().CommitOffset("c", "g", "T", 0, 5);
  world_.RunFor(seconds(11));
  offsets().CommitOffset("c", "g", "T", 0, 6);
  world_.RunFor(seconds(5));  // persisted again at 15 s (written to .tmp, fsynced, renamed)
  EXPECT_EQ(offsets().persist_count(), 2u);
  PowerCycle();
  StartStore();
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 6);
  EXPECT_TRUE(rt().fs().Exists("store/config/consumerOffset.json.bak"));
}

TEST_F(ConsumerOffsetTest, BrokenFileFallsBackToTheBackup) {
  StartStore();
  ASSERT_TRUE(rt().fs().CreateDirectories("store/config").ok());
  WriteFile("store/config/consumerOffset.json", "{\"offsetTable\":{\"T@g\":{0:");
  WriteFile("store/config/consumerOffset.json.bak", "{\"offsetTable\":{\"T@g\":{0:42}}}");
  Kill();
  StartStore();
  EXPECT_EQ(offsets().QueryOffset("g", "T", 0), 42);
  auto loaded = Events("ConsumerOffsetLoaded");
  ASSERT_FALSE(loaded.empty());
  EXPECT_TRUE(DetailOf<bool>(*loaded.back(), "FromBackup"));
}

}  // namespace
}  // namespace rmqsim::store
