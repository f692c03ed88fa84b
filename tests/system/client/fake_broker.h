// A scripted in-memory broker for client tests: registers with the name servers over the real
// protocol and answers just enough of the broker protocol — SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE,
// PULL_MESSAGE with a simple long poll, QUERY/UPDATE_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET,
// SEARCH_OFFSET_BY_TIMESTAMP, HEART_BEAT (group membership, NOTIFY_CONSUMER_IDS_CHANGED on
// change), GET_CONSUMER_LIST_BY_GROUP, UNREGISTER_CLIENT, CONSUMER_SEND_MSG_BACK (stored at once
// in %RETRY%<group>, no delay).
//
// Messages, offsets and request logs live in FakeBrokerState, owned by the test, so they outlive
// a killed or restarted broker process (like a store on disk).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "system/common/heartbeat_data.h"
#include "system/common/stored_message.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_server.h"

namespace rmqsim::client::testing {

struct FakeBrokerState {
  std::string cluster = "DefaultCluster";
  std::string broker_name = "broker-a";
  int64_t broker_id = 0;
  // topic -> queue count. TBW102 (8 queues, perm 7) is added when auto_create_topic.
  std::map<std::string, int32_t> topics = {{"TopicTest", 4}};
  bool auto_create_topic = true;
  int64_t suggest_which_broker_id = 0;
  // Knobs: the code sends are answered with (SUCCESS, FLUSH_DISK_TIMEOUT, SYSTEM_ERROR, ...),
  // and a code to fail CONSUMER_SEND_MSG_BACK with (0: succeed).
  int32_t send_response_code = 0;
  int32_t send_back_response_code = 0;

  struct Queue {
    std::vector<common::MessageExt> msgs;
    int64_t min_offset = 0;
  };
  std::map<std::string, std::map<int32_t, Queue>> queues;
  int64_t commit_log_offset = 0;
  std::map<std::tuple<std::string, std::string, int32_t>, int64_t> offsets;  // group,topic,qid

  struct OffsetUpdate {
    MonoTime at;
    std::string group;
    std::string topic;
    int32_t queue_id = 0;
    int64_t offset = 0;
    bool via_pull = false;
  };
  std::vector<OffsetUpdate> offset_updates;
  struct SendBack {
    std::string group;
    int64_t offset = 0;
    int32_t delay_level = 0;
    std::string origin_msg_id;
    std::string origin_topic;
  };
  std::vector<SendBack> send_backs;
  std::map<int32_t, uint64_t> requests_by_code;
  std::vector<std::string> unregistered_clients;
  std::vector<common::HeartbeatData> heartbeats;
  uint64_t data_version = 1;

  uint64_t count(int32_t code) const {
    auto it = requests_by_code.find(code);
    return it == requests_by_code.end() ? 0 : it->second;
  }
  size_t stored(const std::string& topic) const;
};

class FakeBroker final : public Service {
 public:
  FakeBroker(Runtime& rt, std::shared_ptr<FakeBrokerState> state, Address listen,
             std::vector<Address> namesrvs);
  ~FakeBroker() override;
  Status Start() override;
  void Stop(std::function<void()> done) override;

  // Current members of a consumer group (client ids).
  std::set<std::string> GroupMembers(const std::string& group) const;

 private:
  using Cmd = remoting::RemotingCommand;
  using Responder = remoting::Responder;
  struct Held {
    Cmd request;
    Responder responder;
    TimerId timer;
  };
  void RegisterAll();
  void SchedulePeriodicRegister();  // registerNameServerPeriod: 30 s
  void RegisterProcessors();
  std::optional<Cmd> OnSend(const Cmd& req, const Responder& responder);
  std::optional<Cmd> OnPull(const Cmd& req, const Responder& responder, bool rerun);
  std::optional<Cmd> OnHeartbeat(const Cmd& req, const Responder& responder);
  std::optional<Cmd> OnSendBack(const Cmd& req);
  void RemoveMember(const std::string& group, const std::string& client_id);
  void NotifyGroup(const std::string& group);
  void WakeHeld(const std::string& topic, int32_t queue_id);
  void OnChannelClosed(uint64_t channel_id);
  std::string Addr() const { return listen_.ToString(); }
  int64_t AppendMessage(const std::string& topic, int32_t queue_id, common::MessageExt ext);

  Runtime& rt_;
  std::shared_ptr<FakeBrokerState> state_;
  Address listen_;
  std::vector<Address> namesrvs_;
  std::unique_ptr<remoting::RemotingServer> server_;
  remoting::RemotingClient client_;
  // group -> client id -> channel id
  std::map<std::string, std::map<std::string, uint64_t>> groups_;
  std::map<std::string, common::ConsumerData> group_data_;
  std::map<std::string, std::map<uint64_t, Held>> held_;  // "topic@qid" -> id -> pull
  uint64_t next_held_id_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::client::testing
