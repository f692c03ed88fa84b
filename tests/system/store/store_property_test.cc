// Model-based property of the store under SYNC_FLUSH: for any seed and any sequence of puts,
// pauses, kills, power losses and clean restarts, every message acknowledged PUT_OK is readable
// after recovery at the queue offset it was acknowledged with; each queue recovers as a
// contiguous run of intact records that were all really sent. Under ASYNC_FLUSH the same holds
// for kills, and must fail for power loss (which drops acknowledged messages): the property can
// fail at all.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "tests/system/store/store_test_util.h"

namespace rmqsim::store {
namespace {

using testing::StoreService;

enum class OpKind { kPut, kPause, kKill, kPowerCycle, kCleanRestart, kDiskFaults, kHeal };

struct Op {
  OpKind kind = OpKind::kPut;
  int32_t queue = 0;
  int size = 10;
  int pause_ms = 0;
};

// How RapidCheck prints a counterexample.
void showValue(const Op& op, std::ostream& os) {
  static const char* kNames[] = {"Put",          "Pause",      "Kill", "PowerCycle",
                                 "CleanRestart", "DiskFaults", "Heal"};
  os << kNames[static_cast<int>(op.kind)];
  if (op.kind == OpKind::kPut) os << "(q" << op.queue << ", " << op.size << "B)";
  if (op.kind == OpKind::kPause) os << "(" << op.pause_ms << "ms)";
}

rc::Gen<Op> GenOp() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::weightedElement<OpKind>({{12, OpKind::kPut},
                                                                {4, OpKind::kPause},
                                                                {1, OpKind::kKill},
                                                                {2, OpKind::kPowerCycle},
                                                                {1, OpKind::kCleanRestart},
                                                                {1, OpKind::kDiskFaults},
                                                                {1, OpKind::kHeal}})),
      rc::gen::set(&Op::queue, rc::gen::inRange(0, 3)),
      rc::gen::set(&Op::size, rc::gen::inRange(1, 6000)),
      rc::gen::set(&Op::pause_ms, rc::gen::inRange(0, 40)));
}

struct Sent {
  std::string body;
  std::shared_ptr<std::optional<PutMessageResult>> result;
};

// Runs the ops; returns false (via RC_ASSERT) when the property is violated.
// `frequent_checkpoints`: consume queues flushed every 10 ms and the checkpoint every 30 ms, so
// that recoveries start from checkpointed flush points rather than from the first segment.
// Without `power_loss`, every power cycle (and the final one) is a kill -9 instead.
void RunOps(uint64_t seed, FlushDiskType flush, bool frequent_checkpoints, bool power_loss,
            const std::vector<Op>& ops) {
  sim::World w({.seed = seed});
  auto m = *w.AddMachine({.name = "broker", .ip = "10.0.0.1", .disk = {.tear_probability = 0.7}});
  auto shared = std::make_shared<StoreService::Shared>();
  shared->config = testing::SmallConfig();
  shared->config.flush_disk_type = flush;
  shared->config.flush_commit_log_least_pages = 0;
  if (frequent_checkpoints) {
    shared->config.flush_interval_consume_queue = milliseconds(10);
    shared->config.flush_consume_queue_thorough_interval = milliseconds(30);
    shared->config.flush_interval_commit_log = milliseconds(10);
  }
  auto p = *w.AddProcess(
      m, "broker-a", [shared](Runtime& rt) { return std::make_unique<StoreService>(rt, shared); });
  // Failed fsyncs (the store must rewrite before acknowledging) and failed writes (nothing may
  // be acknowledged). Cleared before every restart: recovery itself needs a working disk.
  const sim::DiskFaults faults{.write_error_probability = 0.1, .sync_error_probability = 0.5};
  auto start = [&] {
    w.disk(m).SetFaults({});
    RC_ASSERT(w.StartProcess(p).ok());
    w.RunFor(Duration::zero());
    RC_ASSERT(w.IsRunning(p));
  };
  auto store = [&]() -> DefaultMessageStore& { return *w.service_as<StoreService>(p)->store; };

  std::vector<Sent> sent;
  std::map<std::string, int32_t> queue_of;  // body -> queue
  // Checks the recovered store against everything acknowledged so far.
  auto verify = [&] {
    std::map<int32_t, std::map<int64_t, std::string>> acked;
    for (const Sent& s : sent) {
      if (s.result->has_value() && (*s.result)->status == PutMessageStatus::kPutOk) {
        acked[queue_of[s.body]][(*s.result)->append_result.logics_offset] = s.body;
      }
    }
    for (int32_t q = 0; q < 3; ++q) {
      const int64_t max = store().GetMaxOffsetInQueue("P", q);
      int64_t next = 0;
      std::map<int64_t, std::string> found;
      while (next < max) {
        auto r = store().GetMessage("g", "P", q, next, 32, 0, nullptr);
        RC_ASSERT(r.ok());
        RC_ASSERT(r->status == GetMessageStatus::kFound);
        for (size_t i = 0; i < r->message_buffers.size(); ++i) {
          auto msg = common::DecodeStoredMessage(r->message_buffers[i]);  // CRC checked
          RC_ASSERT(msg.ok());
          RC_ASSERT(msg->queue_offset == r->message_queue_offsets[i]);
          RC_ASSERT(msg->queue_offset == next + static_cast<int64_t>(i));  // contiguous
          const std::string body = common::StringFromBytes(msg->message.body());
          RC_ASSERT(queue_of.contains(body));  // nothing that was never sent
          RC_ASSERT(queue_of[body] == q);
          found[msg->queue_offset] = body;
        }
        next = r->next_begin_offset;
      }
      for (const auto& [offset, body] : acked[q]) {
        RC_ASSERT(found.contains(offset));
        RC_ASSERT(found[offset] == body);
      }
    }
  };

  start();
  int counter = 0;
  for (const Op& op : ops) {
    switch (op.kind) {
      case OpKind::kPut: {
        const int n = counter++;
        std::string body =
            "b" + std::to_string(n) + ":" +
            std::string(static_cast<size_t>(op.size), static_cast<char>('a' + n % 26));
        queue_of[body] = op.queue;
        PutMessageRequest r = testing::MakeRequest("P", op.queue, body);
        auto out = std::make_shared<std::optional<PutMessageResult>>();
        store().PutMessage(std::move(r), [out](PutMessageResult res) { *out = std::move(res); });
        sent.push_back({body, out});
        break;
      }
      case OpKind::kPause:
        w.RunFor(milliseconds(op.pause_ms));
        break;
      case OpKind::kKill:
        w.KillProcess(p);
        start();
        verify();
        break;
      case OpKind::kPowerCycle:
        if (power_loss) {
          w.PowerOff(m);
          w.PowerOn(m);
        } else {
          w.KillProcess(p);
        }
        start();
        verify();
        break;
      case OpKind::kCleanRestart:
        w.disk(m).SetFaults({});
        shared->last_shutdown.reset();
        w.StopProcess(p, seconds(60));
        w.RunUntil([&] { return !w.IsRunning(p); }, w.now() + seconds(61));
        RC_ASSERT(shared->last_shutdown.has_value());
        start();
        verify();
        break;
      case OpKind::kDiskFaults:
        w.disk(m).SetFaults(faults);
        break;
      case OpKind::kHeal:
        w.disk(m).SetFaults({});
        break;
    }
  }
  w.disk(m).SetFaults({});
  w.RunFor(seconds(6));  // every outstanding put has an answer
  if (power_loss) {
    w.PowerOff(m);
    w.PowerOn(m);
  } else {
    w.KillProcess(p);
  }
  start();
  verify();
}

RC_GTEST_PROP(StoreProperty, AcknowledgedMessagesSurviveCrashesUnderSyncFlush, ()) {
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
  const auto frequent_checkpoints = *rc::gen::arbitrary<bool>();
  const auto ops = *rc::gen::resize(40, rc::gen::container<std::vector<Op>>(GenOp()));
  RunOps(seed, FlushDiskType::kSyncFlush, frequent_checkpoints, /*power_loss=*/true, ops);
}

// kill -9 leaves the page cache: under ASYNC_FLUSH too, nothing acknowledged is lost.
RC_GTEST_PROP(StoreProperty, AcknowledgedMessagesSurviveKillsUnderAsyncFlush, ()) {
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
  const auto frequent_checkpoints = *rc::gen::arbitrary<bool>();
  const auto ops = *rc::gen::resize(40, rc::gen::container<std::vector<Op>>(GenOp()));
  RunOps(seed, FlushDiskType::kAsyncFlush, frequent_checkpoints, /*power_loss=*/false, ops);
}

TEST(StoreProperty, AsyncFlushCanLoseAcknowledgedMessages) {
  const auto result = rc::check("async flush keeps acknowledged messages", [] {
    const auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
    const auto ops = *rc::gen::resize(40, rc::gen::container<std::vector<Op>>(GenOp()));
    RunOps(seed, FlushDiskType::kAsyncFlush, false, /*power_loss=*/true, ops);
  });
  EXPECT_FALSE(result) << "power loss never cost an acknowledged ASYNC_FLUSH message";
}

}  // namespace
}  // namespace rmqsim::store
