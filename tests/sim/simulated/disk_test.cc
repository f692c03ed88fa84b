#include "sim/simulated/disk.h"

#include <gtest/gtest.h>

#include "tests/testing/sim_testing.h"

namespace rmqsim::sim {
namespace {

using testing::Bytes;
using testing::ToString;

class DiskTest : public testing::TwoMachineWorld {
 protected:
  void SetUp() override { p_ = Spawn(a_, "p"); }
  FileSystem& fs() { return world_.runtime(p_)->fs(); }
  std::unique_ptr<File> Open(const std::string& path, OpenMode mode = OpenMode::kCreateOrOpen) {
    auto f = fs().Open(path, mode);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : nullptr;
  }
  Status SyncNow(File& f) {
    std::optional<Status> result;
    f.Sync([&result](const Status& s) { result = s; });
    EXPECT_FALSE(result.has_value());  // never inside the call
    world_.RunUntil([&] { return result.has_value(); }, world_.now() + seconds(60));
    return result.value_or(InternalError("sync never completed"));
  }
  std::string Read(File& f) {
    std::string out(*f.Size(), '\0');
    if (out.empty()) return out;
    auto n = f.ReadAt(0, std::span(reinterpret_cast<std::byte*>(out.data()), out.size()));
    EXPECT_TRUE(n.ok());
    return out;
  }
  std::string Durable(const std::string& path) {
    auto d = world_.disk(a_).DurableContent(path);
    return d.ok() ? ToString(*d) : "<" + d.status().ToString() + ">";
  }
  ProcessId p_;
};

TEST_F(DiskTest, FileOperations) {
  auto f = Open("log");  // relative: resolves in the process's data directory
  ASSERT_TRUE(f->Append(Bytes("hello")).ok());
  ASSERT_TRUE(f->WriteAt(8, Bytes("XY")).ok());  // past the end: the gap is zeros
  EXPECT_EQ(*f->Size(), 10u);
  EXPECT_EQ(Read(*f), std::string("hello\0\0\0XY", 10));
  ASSERT_TRUE(f->Truncate(5).ok());
  EXPECT_EQ(Read(*f), "hello");
  EXPECT_EQ(f->path(), "/data/p/log");
  ASSERT_TRUE(fs().CreateDirectories("/data/p/sub/dir").ok());
  auto g = Open("/data/p/sub/x");
  ASSERT_TRUE(fs().Rename("/data/p/sub/x", "/data/p/sub/y").ok());
  EXPECT_EQ(*fs().List("/data/p"), (std::vector<std::string>{"log", "sub"}));
  EXPECT_EQ(*fs().List("sub"), (std::vector<std::string>{"dir", "y"}));
  ASSERT_TRUE(fs().Remove("sub/y").ok());
  EXPECT_FALSE(fs().Exists("sub/y"));
  EXPECT_EQ(*fs().FileSize("log"), 5u);
}

TEST_F(DiskTest, BadRequestsAreErrorsWithClearMessages) {
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("abc")).ok());
  std::byte buf[8];
  auto past = f->ReadAt(3, buf);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(past.status().message().find("past the end"), std::string::npos);
  auto shorter = f->ReadAt(1, buf);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(*shorter, 2u);
  EXPECT_EQ(fs().Open("missing", OpenMode::kOpenExisting).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs().Open("log", OpenMode::kCreateNew).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(fs().Open("/no/such/dir/f", OpenMode::kCreateOrOpen).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(fs().Open("../escape", OpenMode::kCreateOrOpen).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fs().Remove("nothing").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs().List("nodir").status().code(), StatusCode::kNotFound);
  f->Close();
  EXPECT_EQ(f->Append(Bytes("x")).code(), StatusCode::kClosed);
}

TEST_F(DiskTest, KillKeepsThePageCache) {
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("unsynced")).ok());
  Svc(p_)->files.push_back(std::move(f));
  world_.KillProcess(p_);
  ASSERT_TRUE(world_.StartProcess(p_).ok());
  world_.RunFor(Duration::zero());
  auto g = Open("log", OpenMode::kOpenExisting);
  EXPECT_EQ(Read(*g), "unsynced");
  EXPECT_EQ(Durable("/data/p/log"), "");  // still not durable
}

TEST_F(DiskTest, PowerLossLosesUnsyncedBytes) {
  world_.disk(a_);  // default tear probability; make tearing impossible here
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("synced;")).ok());
  ASSERT_TRUE(SyncNow(*f).ok());
  ASSERT_TRUE(f->Append(Bytes("lost")).ok());  // shorter than a sector: cannot tear
  EXPECT_EQ(Durable("/data/p/log"), "synced;");
  f.reset();
  world_.PowerOff(a_);
  world_.PowerOn(a_);
  ASSERT_TRUE(world_.StartProcess(p_).ok());
  world_.RunFor(Duration::zero());
  auto g = Open("log", OpenMode::kOpenExisting);
  EXPECT_EQ(Read(*g), "synced;");
}

TEST_F(DiskTest, FsyncTakesTimeAndDevicesSerializeThem) {
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("x")).ok());
  MonoTime t0 = world_.now();
  std::vector<MonoTime> done;
  for (int i = 0; i < 3; ++i) f->Sync([&](const Status& s) { done.push_back(world_.now()); });
  world_.RunFor(seconds(1));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_GE(done[0] - t0, world_.disk(a_).config().sync_latency_min);
  EXPECT_GT(done[1], done[0]);
  EXPECT_GT(done[2], done[1]);
  world_.disk(a_).SetFaults({.sync_slowdown = 1000});
  MonoTime t1 = world_.now();
  ASSERT_TRUE(SyncNow(*f).ok());
  EXPECT_GE(world_.now() - t1, world_.disk(a_).config().sync_latency_min * 1000);
}

TEST_F(DiskTest, PowerLossCanTearTheLastWriteAtASectorBoundary) {
  // Over many trials, a 4 KiB unsynced write survives whole, not at all, or as a prefix that
  // ends on a 512-byte boundary; nothing else.
  std::set<size_t> seen;
  for (int trial = 0; trial < 40; ++trial) {
    std::string path = "t" + std::to_string(trial);
    auto f = Open(path);
    std::string data(4096, static_cast<char>('a' + trial % 26));
    ASSERT_TRUE(f->Append(Bytes(data)).ok());
    f.reset();
    world_.PowerOff(a_);
    world_.PowerOn(a_);
    ASSERT_TRUE(world_.StartProcess(p_).ok());
    world_.RunFor(Duration::zero());
    std::string after = Durable("/data/p/" + path);
    EXPECT_EQ(after.size() % 512, 0u);
    EXPECT_EQ(after, data.substr(0, after.size()));
    seen.insert(after.size());
  }
  EXPECT_TRUE(seen.contains(0));
  EXPECT_GT(seen.size(), 2u);  // some torn prefixes
  EXPECT_GT(world_.disk(a_).torn_writes(), 0u);
}

TEST_F(DiskTest, InjectedEio) {
  auto f = Open("log");
  world_.disk(a_).SetFaults({.write_error_probability = 1.0});
  Status s = f->Append(Bytes("x"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("input/output error"), std::string::npos);
  world_.disk(a_).SetFaults({.read_error_probability = 1.0});
  ASSERT_TRUE(f->Append(Bytes("x")).ok());
  std::byte b[1];
  EXPECT_EQ(f->ReadAt(0, b).status().code(), StatusCode::kIoError);
  world_.disk(a_).SetFaults({});
  EXPECT_EQ(*f->ReadAt(0, b), 1u);
}

TEST_F(DiskTest, FailedFsyncLosesTheDataAtPowerLossLikeLinux) {
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("first")).ok());
  world_.disk(a_).SetFaults({.sync_error_probability = 1.0});
  EXPECT_EQ(SyncNow(*f).code(), StatusCode::kIoError);
  world_.disk(a_).SetFaults({});
  // The pages were marked clean: a later successful fsync does not write them.
  ASSERT_TRUE(SyncNow(*f).ok());
  EXPECT_EQ(Read(*f), "first");              // still in the page cache
  EXPECT_EQ(Durable("/data/p/log"), std::string(5, '\0'));  // but not on the disk
}

TEST_F(DiskTest, DiskFull) {
  World w({});
  auto m = *w.AddMachine({.name = "m", .ip = "10.0.0.1", .disk = {.capacity_bytes = 1000}});
  auto p = *w.AddProcess(m, "p", [](Runtime& rt) {
    return std::make_unique<testing::ScriptedService>(rt, nullptr);
  });
  ASSERT_TRUE(w.StartProcess(p).ok());
  w.RunFor(Duration::zero());
  auto f = std::move(*w.runtime(p)->fs().Open("f", OpenMode::kCreateOrOpen));
  ASSERT_TRUE(f->Append(Bytes(std::string(900, 'x'))).ok());
  Status s = f->Append(Bytes(std::string(200, 'y')));
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_NE(s.message().find("no space left"), std::string::npos);
  EXPECT_EQ(*f->Size(), 900u);  // nothing partial
  ASSERT_TRUE(f->WriteAt(0, Bytes("overwrite in place is fine")).ok());
  ASSERT_TRUE(f->Truncate(100).ok());
  EXPECT_TRUE(f->Append(Bytes(std::string(200, 'y'))).ok());  // space freed
  w.disk(m).SetFaults({.full = true});
  EXPECT_EQ(f->Append(Bytes("z")).code(), StatusCode::kNoSpace);
}

TEST_F(DiskTest, DestroyedMachineLosesEverything) {
  auto f = Open("log");
  ASSERT_TRUE(f->Append(Bytes("data")).ok());
  ASSERT_TRUE(SyncNow(*f).ok());
  f.reset();
  world_.DestroyMachine(a_);
  world_.PowerOn(a_);
  ASSERT_TRUE(world_.StartProcess(p_).ok());
  world_.RunFor(Duration::zero());
  EXPECT_FALSE(fs().Exists("log"));
}

}  // namespace
}  // namespace rmqsim::sim
