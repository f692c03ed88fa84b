// Kernel benchmarks. Each simulated-world benchmark has a bare counterpart doing the same logical
// work on a plain std::priority_queue event loop, so the ratio is measured in one run on one
// machine:
//   timers:     N concurrent timer chains, each firing re-arms itself at a random delay;
//   deliveries: a ping-pong of 100-byte messages over one stream connection.
#include <benchmark/benchmark.h>

#include <cstring>
#include <functional>
#include <queue>
#include <vector>

#include "sim/base/random.h"
#include "sim/simulated/world.h"

namespace rmqsim {
namespace {

constexpr int kChains = 1000;
constexpr int64_t kEventsPerIteration = 200'000;

// ---------------------------------------------------------------- the bare loop

struct BareEvent {
  int64_t time;
  uint64_t seq;
  std::function<void()> fn;
};
struct BareLater {
  bool operator()(const BareEvent& a, const BareEvent& b) const {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
};
class BareLoop {
 public:
  void At(int64_t t, std::function<void()> fn) { q_.push(BareEvent{t, seq_++, std::move(fn)}); }
  int64_t now() const { return now_; }
  int64_t Run(int64_t max_events) {
    int64_t n = 0;
    while (!q_.empty() && n < max_events) {
      BareEvent e = std::move(const_cast<BareEvent&>(q_.top()));
      q_.pop();
      now_ = e.time;
      e.fn();
      ++n;
    }
    return n;
  }

 private:
  std::priority_queue<BareEvent, std::vector<BareEvent>, BareLater> q_;
  uint64_t seq_ = 0;
  int64_t now_ = 0;
};

void BM_BareHeap_Timers(benchmark::State& state) {
  for (auto _ : state) {
    BareLoop loop;
    Xoshiro256 rng(1);
    int64_t fired = 0;
    std::function<void()> tick;
    tick = [&] {
      ++fired;
      loop.At(loop.now() + rng.UniformInt(1'000, 1'000'000), tick);
    };
    for (int i = 0; i < kChains; ++i) loop.At(rng.UniformInt(1'000, 1'000'000), tick);
    loop.Run(kEventsPerIteration);
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * kEventsPerIteration);
}
BENCHMARK(BM_BareHeap_Timers)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- the simulated world

struct Idle : Service {
  Status Start() override { return Status::Ok(); }
};

void BM_SimWorld_Timers(benchmark::State& state) {
  for (auto _ : state) {
    sim::World w({.seed = 1, .trace_events_kept = 0});
    auto m = *w.AddMachine({.name = "m", .ip = "10.0.0.1"});
    auto p = *w.AddProcess(m, "p", [](Runtime&) { return std::make_unique<Idle>(); });
    (void)w.StartProcess(p);
    w.RunFor(Duration::zero());
    Runtime& rt = *w.runtime(p);
    Executor& ex = rt.executor();
    int64_t fired = 0;
    std::function<void()> tick;
    tick = [&] {
      ++fired;
      ex.ScheduleAfter(nanoseconds(rt.random().UniformInt(1'000, 1'000'000)), tick);
    };
    for (int i = 0; i < kChains; ++i) {
      ex.ScheduleAfter(nanoseconds(rt.random().UniformInt(1'000, 1'000'000)), tick);
    }
    uint64_t start = w.events_processed();
    while (static_cast<int64_t>(w.events_processed() - start) < kEventsPerIteration) w.Step();
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * kEventsPerIteration);
}
BENCHMARK(BM_SimWorld_Timers)->Unit(benchmark::kMillisecond);

constexpr int64_t kMessages = 50'000;
constexpr size_t kMessageBytes = 100;

// Bare: each delivery is one heap event that copies the message into the receiver's buffer and
// schedules the answer after a latency.
void BM_BareHeap_Deliveries(benchmark::State& state) {
  for (auto _ : state) {
    BareLoop loop;
    Xoshiro256 rng(1);
    std::vector<std::byte> inbox[2];
    std::vector<std::byte> msg(kMessageBytes, std::byte{7});
    int64_t delivered = 0;
    std::function<void(int)> send;
    send = [&](int to) {
      auto copy = msg;
      loop.At(loop.now() + 100'000 + static_cast<int64_t>(rng.Exponential(150'000)),
              [&, to, copy = std::move(copy)] {
                inbox[to].insert(inbox[to].end(), copy.begin(), copy.end());
                inbox[to].clear();
                if (++delivered < kMessages) send(1 - to);
              });
    };
    send(1);
    loop.Run(INT64_MAX);
    benchmark::DoNotOptimize(delivered);
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}
BENCHMARK(BM_BareHeap_Deliveries)->Unit(benchmark::kMillisecond);

void BM_SimNetwork_Deliveries(benchmark::State& state) {
  for (auto _ : state) {
    sim::World w({.seed = 1, .network = {.segmentation_probability = 0}, .trace_events_kept = 0});
    auto a = *w.AddMachine({.name = "a", .ip = "10.0.0.1"});
    auto b = *w.AddMachine({.name = "b", .ip = "10.0.0.2"});
    auto pa = *w.AddProcess(a, "a", [](Runtime&) { return std::make_unique<Idle>(); });
    auto pb = *w.AddProcess(b, "b", [](Runtime&) { return std::make_unique<Idle>(); });
    (void)w.StartProcess(pa);
    (void)w.StartProcess(pb);
    w.RunFor(Duration::zero());
    std::shared_ptr<Connection> server, client;
    auto listener = *w.runtime(pa)->network().Listen(Address{"10.0.0.1", 1},
                                                     [&](auto c) { server = c; });
    w.runtime(pb)->network().Connect(Address{"10.0.0.1", 1}, seconds(1),
                                     [&](auto r) { client = *r; });
    w.RunFor(seconds(1));
    std::vector<std::byte> msg(kMessageBytes, std::byte{7});
    int64_t delivered = 0;
    size_t got[2] = {0, 0};
    auto handler = [&](int me, std::shared_ptr<Connection>* other_side) {
      return [&, me, other_side](std::span<const std::byte> bytes) {
        got[me] += bytes.size();
        while (got[me] >= kMessageBytes) {
          got[me] -= kMessageBytes;
          if (++delivered < kMessages) (void)(me == 0 ? server : client)->Send(msg);
        }
      };
    };
    server->Start(handler(0, &server), [](const Status&) {});
    client->Start(handler(1, &client), [](const Status&) {});
    (void)client->Send(msg);
    while (delivered < kMessages && w.Step()) {
    }
    benchmark::DoNotOptimize(delivered);
    server.reset();
    client.reset();
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}
BENCHMARK(BM_SimNetwork_Deliveries)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rmqsim

BENCHMARK_MAIN();
