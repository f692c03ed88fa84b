// The broker's client tables (broker/.../client/ConsumerManager.java, ConsumerGroupInfo.java,
// ProducerManager.java, ClientChannelInfo.java in 4.9.8). Clients are keyed by the channel they
// heartbeat on (its id), as Java keys them by Netty Channel.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/time.h"
#include "system/common/heartbeat_data.h"
#include "system/remoting/remoting_channel.h"

namespace rmqsim::broker {

struct ClientChannelInfo {
  std::shared_ptr<remoting::RemotingChannel> channel;
  std::string client_id;
  remoting::LanguageCode language = remoting::LanguageCode::JAVA;
  int32_t version = 0;
  MonoTime last_update{};
};

struct ConsumerGroupInfo {
  std::string group_name;
  common::ConsumeType consume_type = common::ConsumeType::kConsumePassively;
  common::MessageModel message_model = common::MessageModel::kClustering;
  common::ConsumeFromWhere consume_from_where = common::ConsumeFromWhere::kConsumeFromLastOffset;
  std::map<uint64_t, ClientChannelInfo> channels;                 // by channel id
  std::map<std::string, common::SubscriptionData> subscriptions;  // by topic
  MonoTime last_update{};

  // getAllClientId: in channel order.
  std::vector<std::string> AllClientIds() const;
  std::vector<std::shared_ptr<remoting::RemotingChannel>> AllChannels() const;
  const common::SubscriptionData* FindSubscription(const std::string& topic) const;
};

// One channel removed for expiry, for the owner to close.
struct ExpiredChannel {
  std::string group;
  bool consumer = true;
  ClientChannelInfo info;
};

class ConsumerManager {
 public:
  // ConsumerIdsChangeListener CHANGE: the group's membership or subscriptions changed; the
  // channels are the group's members now.
  using ChangeListener =
      std::function<void(const std::string& group,
                         const std::vector<std::shared_ptr<remoting::RemotingChannel>>& channels)>;

  void set_change_listener(ChangeListener l) { on_change_ = std::move(l); }

  // registerConsumer: adds or refreshes the channel, updates the subscriptions; notifies (when
  // `notify`) if a new channel joined or the subscribed topics changed. Returns whether that was
  // the case.
  bool RegisterConsumer(const std::string& group, const ClientChannelInfo& info,
                        const common::ConsumerData& data, bool notify);
  // unregisterConsumer: removes the channel from the group (the group goes when empty) and
  // notifies the remaining members when `notify`.
  void UnregisterConsumer(const std::string& group, uint64_t channel_id, bool notify);
  // doChannelCloseEvent: removes the channel from every group and notifies the remaining members.
  // Returns the groups it was in.
  std::vector<std::string> DoChannelCloseEvent(uint64_t channel_id);
  // scanNotActiveChannel: removes (and returns) channels whose last heartbeat is older than
  // `expiry`. No notification (as Java: the channel is closed after it is forgotten).
  std::vector<ExpiredChannel> ScanNotActiveChannel(MonoTime now, Duration expiry);

  const ConsumerGroupInfo* Find(const std::string& group) const;
  const std::map<std::string, ConsumerGroupInfo>& table() const { return table_; }

 private:
  std::map<std::string, ConsumerGroupInfo> table_;
  ChangeListener on_change_;
};

class ProducerManager {
 public:
  void RegisterProducer(const std::string& group, const ClientChannelInfo& info);
  void UnregisterProducer(const std::string& group, uint64_t channel_id);
  void DoChannelCloseEvent(uint64_t channel_id);
  std::vector<ExpiredChannel> ScanNotActiveChannel(MonoTime now, Duration expiry);
  // group -> channel id -> client.
  const std::map<std::string, std::map<uint64_t, ClientChannelInfo>>& table() const {
    return table_;
  }

 private:
  std::map<std::string, std::map<uint64_t, ClientChannelInfo>> table_;
};

}  // namespace rmqsim::broker
