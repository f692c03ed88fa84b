// The store on the real runtime and real files: the store lock between two stores on one
// directory, and recovery of a commit log damaged on disk (logged to the log file, what follows
// the damage kept aside).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/asio/asio_runtime.h"
#include "system/common/stored_message.h"
#include "system/store/default_message_store.h"
#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

namespace fs = std::filesystem;

class StoreAsioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rmqsim-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<real::AsioRuntime> Runtime(const std::string& name) {
    return std::make_unique<real::AsioRuntime>(real::AsioRuntimeOptions{
        .node_name = name,
        .data_dir = dir_,
        .trace_to_stderr = false,
        .log_file = dir_ + "/broker.log"});
  }
  static MessageStoreConfig Config() {
    MessageStoreConfig c;
    c.mapped_file_size_commit_log = 64 * 1024;
    c.mapped_file_size_consume_queue = 200 * 20;
    return c;
  }
  static void Stop(real::AsioRuntime& rt, DefaultMessageStore& store) {
    std::optional<Status> done;
    store.Shutdown([&](const Status& s) { done = s; });
    ASSERT_TRUE(rt.RunUntil([&] { return done.has_value(); }, seconds(30)));
    ASSERT_TRUE(done->ok()) << *done;
  }
  std::string LogText() const {
    std::ifstream in(dir_ + "/broker.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

TEST_F(StoreAsioTest, ASecondStoreOnTheSameDirectoryIsRefusedWhileTheFirstRuns) {
  auto rt1 = Runtime("one");
  auto rt2 = Runtime("two");
  DefaultMessageStore first(*rt1, Config());
  ASSERT_TRUE(first.Start().ok());
  DefaultMessageStore second(*rt2, Config());
  Status st = second.Start();
  ASSERT_EQ(st.code(), StatusCode::kUnavailable) << st;
  EXPECT_NE(st.message().find("Lock failed, MQ already started"), std::string::npos) << st;
  EXPECT_NE(LogText().find("ERROR RocketmqStore - Lock failed"), std::string::npos) << LogText();
  Stop(*rt1, first);  // shutdown releases the lock
  DefaultMessageStore third(*rt2, Config());
  EXPECT_TRUE(third.Start().ok());
  Stop(*rt2, third);
}

TEST_F(StoreAsioTest, ACorruptRecordOnDiskIsCutLoudlyAndWhatFollowsIsKept) {
  int64_t bad = 0;
  int64_t max = 0;
  {
    auto rt = Runtime("broker-a-0");
    DefaultMessageStore store(*rt, Config());
    ASSERT_TRUE(store.Start().ok());
    int acked = 0;
    for (int i = 0; i < 1000; ++i) {
      store.PutMessage(testing::MakeRequest("T", 0, "message-" + std::to_string(i) +
                                                        std::string(100, 'x')),
                       [&](PutMessageResult r) { acked += r.ok() ? 1 : 0; });
    }
    ASSERT_TRUE(rt->RunUntil([&] { return acked == 1000; }, seconds(30)));
    max = store.GetMaxPhyOffset();
    ASSERT_LT(max, 4 * 64 * 1024);
    auto got = store.GetMessage("g", "T", 0, 399, 1, 0, nullptr);
    ASSERT_TRUE(got.ok() && got->message_buffers.size() == 1);
    auto victim = common::DecodeStoredMessage(got->message_buffers[0]);
    ASSERT_TRUE(victim.ok());
    bad = victim->commit_log_offset;
    ASSERT_GT(bad, 64 * 1024);
    Stop(*rt, store);
    // 16 zero bytes in the record's body, on the real disk.
    std::fstream f(dir_ + "/store/commitlog/" + OffsetToFileName(64 * 1024),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(bad - 64 * 1024 + victim->store_size - 40);
    f.write(std::string(16, '\0').data(), 16);
  }
  auto rt = Runtime("broker-a-0");
  DefaultMessageStore store(*rt, Config());
  ASSERT_TRUE(store.Start().ok());
  EXPECT_EQ(store.GetMaxPhyOffset(), bad);
  EXPECT_NE(LogText().find("ERROR RocketmqStore - commit log damaged at offset " +
                           std::to_string(bad)),
            std::string::npos)
      << LogText();
  const fs::path kept = fs::path(dir_) / ("store/corrupt/commitlog-" + std::to_string(bad));
  ASSERT_TRUE(fs::exists(kept / (OffsetToFileName(64 * 1024) + ".from-" +
                                 std::to_string(bad - 64 * 1024))));
  EXPECT_TRUE(fs::exists(kept / OffsetToFileName(2 * 64 * 1024)));
  EXPECT_TRUE(fs::exists(kept / OffsetToFileName(3 * 64 * 1024)));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "store/commitlog" / OffsetToFileName(2 * 64 * 1024)));
  Stop(*rt, store);
}

}  // namespace
}  // namespace rmqsim::store
