// The client's invariants: the ProcessQueue's bookkeeping (RMQ_ASSERT + RMQ_SIM_ASSERT), the
// committed offset never going backwards without a reset (RMQ_ASSERT), and the push consumer's
// offset never passing a message still in flight (RMQ_SIM_ASSERT). Each fires on a broken state
// and stays quiet on the legal paths next to it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/base/assert.h"
#include "system/client/mq_client_instance.h"
#include "system/client/offset_store.h"
#include "system/client/process_queue.h"
#include "system/common/byte_buffer.h"
#include "tests/testing/sim_testing.h"

namespace rmqsim::client {
namespace {

common::MessageExt Msg(int64_t offset, const std::string& body) {
  common::MessageExt m;
  m.message.set_topic("T");
  m.message.set_body(common::BytesFromString(body));
  m.queue_offset = offset;
  return m;
}

// Simulation-only assertions are on while this is alive (as inside a simulated world).
class ClientInvariants : public ::testing::Test {
 protected:
  ScopedFailureContext sim_{[] { return std::string("client invariants test"); }, true};
};
using ClientInvariantsDeathTest = ClientInvariants;

TEST_F(ClientInvariants, ProcessQueueCountsFollowItsContents) {
  ProcessQueue pq;
  EXPECT_EQ(pq.PutMessages({Msg(3, "abc"), Msg(4, "de"), Msg(3, "abc")}), 2u);  // 3 only once
  EXPECT_EQ(pq.msg_count(), 2u);
  EXPECT_EQ(pq.msg_size_bytes(), 5);
  EXPECT_EQ(pq.CheckConsistency(), "");
  EXPECT_EQ(pq.RemoveMessages({Msg(3, "abc"), Msg(9, "zz")}), 4);
  EXPECT_EQ(pq.msg_count(), 1u);
  EXPECT_EQ(pq.msg_size_bytes(), 2);
}

TEST_F(ClientInvariantsDeathTest, ProcessQueueWithAMessageUnderAnotherOffsetFires) {
  ProcessQueue pq;
  pq.PutMessages({Msg(3, "abc")});
  pq.InjectForTesting(5, Msg(3, "abc"));  // offset 3 held twice, once under the key 5
  EXPECT_NE(pq.CheckConsistency().find("held under offset 5"), std::string::npos);
  EXPECT_DEATH(pq.PutMessages({Msg(6, "x")}), "ProcessQueue: the message with queue offset 3");
}

TEST_F(ClientInvariantsDeathTest, ProcessQueueCountsOutOfStepFire) {
  ProcessQueue pq;
  pq.PutMessages({Msg(1, "a")});
  pq.InjectForTesting(2, Msg(2, "bb"));  // held, but neither counted nor sized
  EXPECT_DEATH(pq.RemoveMessages({Msg(1, "a")}), "ProcessQueue: msgCount 0 but 1 messages held");
}

TEST_F(ClientInvariants, OffsetBehindInFlight) {
  ProcessQueue pq;
  pq.PutMessages({Msg(10, "a"), Msg(11, "b")});
  EXPECT_EQ(CheckOffsetBehindInFlight(10, pq), "");
  AssertOffsetBehindInFlight(9, pq, "q");
  pq.RemoveMessages({Msg(10, "a"), Msg(11, "b")});
  AssertOffsetBehindInFlight(12, pq, "q");  // nothing in flight: any offset
  pq.PutMessages({Msg(12, "c")});
  pq.set_dropped(true);
  AssertOffsetBehindInFlight(20, pq, "q");  // a dropped queue's offset is no longer used
  // Messages at offsets already passed (the broker moved the consumer back, or its log diverged
  // after a master lost unflushed messages): legal, as in Java; the queue is no longer judged.
  ProcessQueue moved_back;
  moved_back.PutMessages({Msg(1509, "new")});
  moved_back.set_offsets_diverged();
  AssertOffsetBehindInFlight(1510, moved_back, "q");
}

TEST_F(ClientInvariantsDeathTest, OffsetPastAMessageInFlightFires) {
  ProcessQueue pq;
  pq.PutMessages({Msg(10, "a"), Msg(11, "b")});
  EXPECT_DEATH(AssertOffsetBehindInFlight(11, pq, "push consumer G, queue q"),
               "push consumer G, queue q: the offset is 11 but the message at queue offset 10");
}

class OffsetStoreInvariants : public rmqsim::testing::TwoMachineWorld {
 protected:
  void SetUp() override { proc_ = Spawn(a_, "client"); }
  Runtime& Rt() { return *world_.runtime(proc_); }
  sim::ProcessId proc_;
  const MessageQueue mq_{"T", "broker-a", 0};
};
using OffsetStoreInvariantsDeathTest = OffsetStoreInvariants;

TEST_F(OffsetStoreInvariants, ResetsMayGoBackwards) {
  MQClientInstance instance(Rt(), {.namesrv_addr = "10.0.0.9:9876", .client_ip = "10.0.0.1"});
  RemoteBrokerOffsetStore store(instance, "G");
  store.UpdateOffset(mq_, 10, true);
  store.PersistAll({mq_});
  store.UpdateOffset(mq_, 5, true);  // ignored: increase only
  EXPECT_EQ(store.ReadOffsetFromMemory(mq_), 10);
  store.PersistAll({mq_});
  store.UpdateOffset(mq_, 4, false);  // an explicit reset (read from the broker, OFFSET_ILLEGAL)
  store.PersistAll({mq_});
  store.RemoveOffset(mq_);  // rebalance: the queue went away
  store.UpdateOffset(mq_, 2, true);
  store.PersistAll({mq_});
  store.PersistAll({MessageQueue{"T", "broker-a", 1}});  // forgets mq_
  store.UpdateOffset(mq_, 1, true);
  store.PersistAll({mq_});
}

TEST_F(OffsetStoreInvariantsDeathTest, CommittedOffsetGoingBackwardsFires) {
  MQClientInstance instance(Rt(), {.namesrv_addr = "10.0.0.9:9876", .client_ip = "10.0.0.1"});
  RemoteBrokerOffsetStore store(instance, "G");
  store.UpdateOffset(mq_, 10, true);
  store.PersistAll({mq_});
  store.SetOffsetForTesting(mq_, 7);  // backwards, with no reset
  EXPECT_DEATH(store.PersistAll({mq_}), "committed offset of .* went backwards from 10 to 7");
}

}  // namespace
}  // namespace rmqsim::client
