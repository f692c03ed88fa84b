// Pop consumption (RocketMQ 5.x's PopMessageProcessor, AckMessageProcessor,
// ChangeInvisibleTimeProcessor and PopReviveService; not in 4.9.8) on the 4.x broker model.
//
//   POP_MESSAGE (200050)   up to maxMsgNums (<= 32) messages of a topic (queueId -1: every queue,
//                          from a random one) and of its pop retry topic %RETRY%<group>_<topic>
//                          (first with probability 1/5, else when the topic leaves room). Each
//                          queue popped writes a checkpoint (CK) to the revive topic and only
//                          then moves the group's offset; nothing found: held up to pollTime
//                          (woken by a message on the topic or its retry topic), then
//                          POLLING_TIMEOUT.
//   ACK_MESSAGE (200051)   writes an ack record for one popped message.
//   CHANGE_MESSAGE_INVISIBLETIME (200053)  a new single-message CK, then an ack of the old one.
//
// Revive (masters only, every second once the revive topic exists): the revive topic's queues are read from the revive
// offset; a CK whose popTime + invisibleTime has passed with messages not acked has those
// messages copied to the pop retry topic with reconsumeTimes + 1 (to %DLQ%<group> once
// reconsumeTimes reaches the group's retryMaxTimes) and is then done. The revive offset (the
// first CK not done) is kept as the offset of group CID_RMQ_SYS_REVIVE_GROUP, persisted with the
// consumer offsets.
//
// Durability: CKs, acks and revived copies are ordinary commit-log messages written with
// WAIT=true, so the guarantee follows the flush mode. A pop's offset moves only after its CK is
// stored (SYNC_FLUSH: flushed). After a restart or kill the revive service re-reads every CK from
// the persisted revive offset, so no popped-and-unacknowledged message is forgotten; it may be
// revived twice (at least once). Under ASYNC_FLUSH a power loss may lose the CKs of pops whose
// offsets were already persisted: those messages are not redelivered (docs/broker.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "system/broker/broker_config.h"
#include "system/broker/subscription_group_manager.h"
#include "system/broker/topic_config_manager.h"
#include "system/common/host_address.h"
#include "system/common/pop_protocol.h"
#include "system/remoting/remoting_command.h"
#include "system/remoting/responder.h"
#include "system/store/consumer_offset_manager.h"
#include "system/store/default_message_store.h"

namespace rmqsim::broker {

class PopService {
 public:
  using Command = remoting::RemotingCommand;
  using Reply = std::optional<Command>;
  struct Context {
    Runtime& rt;
    const BrokerConfig& config;
    store::DefaultMessageStore& store;
    TopicConfigManager& topics;
    SubscriptionGroupManager& groups;
    store::ConsumerOffsetManager& offsets;
    std::function<common::HostAddress()> store_host;
    std::function<bool()> is_slave;
  };

  explicit PopService(Context ctx);
  ~PopService();
  PopService(const PopService&) = delete;
  PopService& operator=(const PopService&) = delete;

  // The revive timer runs on masters only.
  void Start(bool master);
  void Shutdown();

  Reply ProcessPop(const Command& request, remoting::Responder responder);
  Reply ProcessAck(const Command& request, remoting::Responder responder);
  Reply ProcessChangeInvisibleTime(const Command& request, remoting::Responder responder);
  // The store's dispatch: wakes pops held on `topic`.
  void OnDispatch(const std::string& topic);

  // One revive pass now (tests).
  void ReviveNow() { ReviveTick(); }

  // Inspection (tests, checkers).
  uint64_t revived() const { return revived_; }
  uint64_t revived_to_dlq() const { return revived_to_dlq_; }
  uint64_t checkpoints_written() const { return checkpoints_written_; }
  uint64_t acks_written() const { return acks_written_; }
  size_t held() const { return held_.size(); }
  // CKs read by the revive service and not yet done.
  size_t pending_checkpoints() const;
  const std::string& revive_topic() const { return revive_topic_; }

 private:
  struct Header;
  struct Call;
  struct Part;
  struct Held {
    Command request;
    remoting::Responder responder;
    MonoTime deadline;
    std::string topic;
    std::string retry_topic;
    TimerId timer;
  };
  struct CkEntry {
    common::PopCheckPoint ck;
    std::vector<bool> done;  // acked or revived, per message
    bool reviving = false;
  };
  struct ReviveQueue {
    int64_t scanned = -1;  // next revive-queue offset to read
    std::map<int64_t, CkEntry> cks;            // by revive-queue offset
    std::map<std::string, int64_t> by_key;     // merge key -> revive-queue offset
  };

  Reply DoPop(const Command& request, remoting::Responder responder,
              std::optional<MonoTime> deadline);
  Reply ProcessChangeOrAck(const Command& request, remoting::Responder responder, bool change);
  void PopQueue(Call& call, const std::string& topic, int32_t queue_id, bool retry);
  void FinishPop(const std::shared_ptr<Call>& call);
  void Hold(const Command& request, remoting::Responder responder, MonoTime deadline,
            const std::string& topic, const std::string& retry_topic);
  void EnsureReviveTopic();
  void PutRevive(std::string tags, std::string body, int32_t revive_qid,
                 std::function<void(bool ok, const std::string& status)> done);
  void ScheduleRevive(Duration delay);
  void ReviveTick();
  void ScanReviveQueue(int32_t qid, ReviveQueue& rq);
  void Revive(int32_t qid, int64_t ck_offset);
  int64_t NowMs() { return ToUnixMillis(ctx_.rt.WallNow()); }

  Context ctx_;
  std::string revive_topic_;
  std::set<std::tuple<std::string, std::string, int32_t>> locked_;  // group, topic, queue
  std::map<uint64_t, Held> held_;
  uint64_t next_held_ = 0;
  uint64_t ck_counter_ = 0;
  std::map<int32_t, ReviveQueue> revive_;
  TimerId revive_timer_;
  bool running_ = false;
  bool master_ = false;
  uint64_t revived_ = 0;
  uint64_t revived_to_dlq_ = 0;
  uint64_t checkpoints_written_ = 0;
  uint64_t acks_written_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::broker
