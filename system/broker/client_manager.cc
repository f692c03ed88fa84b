#include "system/broker/client_manager.h"

#include <set>

namespace rmqsim::broker {

std::vector<std::string> ConsumerGroupInfo::AllClientIds() const {
  std::vector<std::string> out;
  for (const auto& [id, info] : channels) out.push_back(info.client_id);
  return out;
}

std::vector<std::shared_ptr<remoting::RemotingChannel>> ConsumerGroupInfo::AllChannels() const {
  std::vector<std::shared_ptr<remoting::RemotingChannel>> out;
  for (const auto& [id, info] : channels) out.push_back(info.channel);
  return out;
}

const common::SubscriptionData* ConsumerGroupInfo::FindSubscription(
    const std::string& topic) const {
  auto it = subscriptions.find(topic);
  return it == subscriptions.end() ? nullptr : &it->second;
}

bool ConsumerManager::RegisterConsumer(const std::string& group, const ClientChannelInfo& info,
                                       const common::ConsumerData& data, bool notify) {
  ConsumerGroupInfo& g = table_[group];
  g.group_name = group;
  // updateChannel
  g.consume_type = data.consume_type;
  g.message_model = data.message_model;
  g.consume_from_where = data.consume_from_where;
  bool channel_added = false;
  auto it = g.channels.find(info.channel->id());
  if (it == g.channels.end()) {
    it = g.channels.emplace(info.channel->id(), info).first;
    channel_added = true;
  } else if (it->second.client_id != info.client_id) {
    it->second = info;
  }
  it->second.last_update = info.last_update;
  g.last_update = info.last_update;
  // updateSubscription: new topics are added (a newer subVersion replaces), topics no longer
  // subscribed are removed; only additions and removals count as a change.
  bool subs_changed = false;
  std::set<std::string> topics;
  for (const auto& sub : data.subscription_data_set) {
    topics.insert(sub.topic);
    auto s = g.subscriptions.find(sub.topic);
    if (s == g.subscriptions.end()) {
      g.subscriptions.emplace(sub.topic, sub);
      subs_changed = true;
    } else if (sub.sub_version > s->second.sub_version) {
      s->second = sub;
    }
  }
  for (auto s = g.subscriptions.begin(); s != g.subscriptions.end();) {
    if (!topics.contains(s->first)) {
      s = g.subscriptions.erase(s);
      subs_changed = true;
    } else {
      ++s;
    }
  }
  bool changed = channel_added || subs_changed;
  if (changed && notify && on_change_) on_change_(group, g.AllChannels());
  return changed;
}

void ConsumerManager::UnregisterConsumer(const std::string& group, uint64_t channel_id,
                                         bool notify) {
  auto it = table_.find(group);
  if (it == table_.end()) return;
  if (it->second.channels.erase(channel_id) == 0) return;
  auto channels = it->second.AllChannels();
  if (it->second.channels.empty()) table_.erase(it);
  if (notify && on_change_) on_change_(group, channels);
}

std::vector<std::string> ConsumerManager::DoChannelCloseEvent(uint64_t channel_id) {
  std::vector<std::string> groups;
  for (auto it = table_.begin(); it != table_.end();) {
    if (it->second.channels.erase(channel_id) == 0) {
      ++it;
      continue;
    }
    std::string group = it->first;
    groups.push_back(group);
    auto channels = it->second.AllChannels();
    if (it->second.channels.empty()) {
      it = table_.erase(it);
    } else {
      ++it;
    }
    if (on_change_) on_change_(group, channels);
  }
  return groups;
}

std::vector<ExpiredChannel> ConsumerManager::ScanNotActiveChannel(MonoTime now, Duration expiry) {
  std::vector<ExpiredChannel> out;
  for (auto it = table_.begin(); it != table_.end();) {
    auto& channels = it->second.channels;
    for (auto c = channels.begin(); c != channels.end();) {
      if (now - c->second.last_update > expiry) {
        out.push_back({it->first, true, c->second});
        c = channels.erase(c);
      } else {
        ++c;
      }
    }
    if (channels.empty()) {
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

const ConsumerGroupInfo* ConsumerManager::Find(const std::string& group) const {
  auto it = table_.find(group);
  return it == table_.end() ? nullptr : &it->second;
}

void ProducerManager::RegisterProducer(const std::string& group, const ClientChannelInfo& info) {
  auto& g = table_[group];
  auto it = g.find(info.channel->id());
  if (it == g.end()) {
    g.emplace(info.channel->id(), info);
  } else {
    it->second.client_id = info.client_id;
    it->second.last_update = info.last_update;
  }
}

void ProducerManager::UnregisterProducer(const std::string& group, uint64_t channel_id) {
  auto it = table_.find(group);
  if (it == table_.end()) return;
  it->second.erase(channel_id);
  if (it->second.empty()) table_.erase(it);
}

void ProducerManager::DoChannelCloseEvent(uint64_t channel_id) {
  for (auto it = table_.begin(); it != table_.end();) {
    it->second.erase(channel_id);
    if (it->second.empty()) {
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<ExpiredChannel> ProducerManager::ScanNotActiveChannel(MonoTime now, Duration expiry) {
  std::vector<ExpiredChannel> out;
  for (auto it = table_.begin(); it != table_.end();) {
    for (auto c = it->second.begin(); c != it->second.end();) {
      if (now - c->second.last_update > expiry) {
        out.push_back({it->first, false, c->second});
        c = it->second.erase(c);
      } else {
        ++c;
      }
    }
    if (it->second.empty()) {
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace rmqsim::broker
