// Properties of the simulated network, checked with RapidCheck: whatever the seed, the write
// pattern and the faults in between, a stream delivers exactly the bytes sent, in order. And the
// network is hostile enough to catch a framing bug: a decoder that assumes one read per frame is
// refuted (and shrunk to a small counterexample).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "scenarios/demo/echo_service.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::sim {
namespace {

using testing::Bytes;
using testing::ScriptedService;

struct Write {
  std::string payload;
  int pause_us;  // virtual time before the next write
};

// Decodes what the server receives into frames, with either the real streaming decoder or a
// naive one that takes each read as a frame.
std::vector<std::string> RunFrames(uint64_t seed, const std::vector<Write>& writes,
                                   bool partition_midway, bool naive) {
  World w({.seed = seed});
  auto a = *w.AddMachine({.name = "a", .ip = "10.0.0.1"});
  auto b = *w.AddMachine({.name = "b", .ip = "10.0.0.2"});
  std::vector<std::string> frames;
  auto decoder = std::make_shared<demo::FrameDecoder>();
  auto server = *w.AddProcess(a, "server", [&](Runtime& rt) {
    return std::make_unique<ScriptedService>(rt, [&, decoder](ScriptedService& s) {
      auto l = s.rt.network().Listen(Address{"10.0.0.1", 1}, [&, decoder](auto c) {
        s.connections.push_back(c);
        c->Start(
            [&, decoder](std::span<const std::byte> bytes) {
              if (naive) {
                if (bytes.size() >= 4) {
                  frames.emplace_back(reinterpret_cast<const char*>(bytes.data()) + 4,
                                      bytes.size() - 4);
                }
                return;
              }
              (void)decoder->Feed(bytes, [&](std::string f) { frames.push_back(std::move(f)); });
            },
            [](const Status&) {});
      });
      s.listener = std::move(*l);
      return Status::Ok();
    });
  });
  auto client = *w.AddProcess(b, "client", [](Runtime& rt) {
    return std::make_unique<ScriptedService>(rt, nullptr);
  });
  RC_ASSERT(w.StartProcess(server).ok());
  RC_ASSERT(w.StartProcess(client).ok());
  w.RunFor(Duration::zero());
  std::shared_ptr<Connection> conn;
  w.runtime(client)->network().Connect(Address{"10.0.0.1", 1}, seconds(3),
                                       [&](auto r) { conn = *r; });
  w.RunFor(seconds(1));
  RC_ASSERT(conn != nullptr);
  for (size_t i = 0; i < writes.size(); ++i) {
    if (partition_midway && i == writes.size() / 2) w.Partition(a, b);
    RC_ASSERT(conn->Send(demo::EncodeFrame(writes[i].payload)).ok());
    w.RunFor(microseconds(writes[i].pause_us));
  }
  w.HealAll();
  w.RunFor(seconds(5));
  conn.reset();
  return frames;
}

rc::Gen<std::vector<Write>> GenWrites() {
  return rc::gen::container<std::vector<Write>>(rc::gen::build<Write>(
      rc::gen::set(&Write::payload, rc::gen::resize(3000, rc::gen::arbitrary<std::string>())),
      rc::gen::set(&Write::pause_us, rc::gen::inRange(0, 400))));
}

RC_GTEST_PROP(NetworkProperty, StreamsDeliverExactlyTheFramesSentInOrder, ()) {
  auto seed = *rc::gen::arbitrary<uint64_t>();
  auto writes = *GenWrites();
  auto partition = *rc::gen::arbitrary<bool>();
  auto frames = RunFrames(seed, writes, partition, /*naive=*/false);
  RC_ASSERT(frames.size() == writes.size());
  for (size_t i = 0; i < writes.size(); ++i) RC_ASSERT(frames[i] == writes[i].payload);
}

// The property above must be able to fail: with a decoder that ignores segmentation and
// coalescing, RapidCheck finds a counterexample.
TEST(NetworkProperty, CatchesANaiveFrameDecoder) {
  const auto result = rc::check("naive decoder", [] {
    auto seed = *rc::gen::arbitrary<uint64_t>();
    auto writes = *GenWrites();
    auto frames = RunFrames(seed, writes, false, /*naive=*/true);
    RC_ASSERT(frames.size() == writes.size());
    for (size_t i = 0; i < writes.size(); ++i) RC_ASSERT(frames[i] == writes[i].payload);
  });
  EXPECT_FALSE(result) << "the simulated network did not split or merge any frame";
}

}  // namespace
}  // namespace rmqsim::sim
