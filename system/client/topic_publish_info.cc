#include "system/client/topic_publish_info.h"

#include <algorithm>
#include <cstdlib>

#include "sim/base/assert.h"
#include "sim/base/planted_bugs.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::client {

MessageQueue TopicPublishInfo::SelectOneMessageQueue() {
  RMQ_ASSERT(!message_queue_list.empty());
  int32_t index = send_which_queue.Next();
  return message_queue_list[static_cast<size_t>(index) % message_queue_list.size()];
}

MessageQueue TopicPublishInfo::SelectOneMessageQueue(
    const std::optional<std::string>& last_broker_name) {
  if (!last_broker_name) return SelectOneMessageQueue();
  for (size_t i = 0; i < message_queue_list.size(); ++i) {
    int32_t index = send_which_queue.Next();
    const MessageQueue& mq =
        message_queue_list[static_cast<size_t>(index) % message_queue_list.size()];
    if (mq.broker_name != *last_broker_name) return mq;
  }
  return SelectOneMessageQueue();
}

int32_t TopicPublishInfo::QueueIdByBroker(std::string_view broker_name) const {
  for (const auto& qd : route.queue_datas) {
    if (qd.broker_name == broker_name) return qd.write_queue_nums;
  }
  return -1;
}

TopicPublishInfo TopicRouteDataToPublishInfo(std::string_view topic,
                                             const common::TopicRouteData& route) {
  TopicPublishInfo info;
  info.route = route;
  if (route.order_topic_conf && !route.order_topic_conf->empty()) {
    std::string_view conf = *route.order_topic_conf;
    while (!conf.empty()) {
      size_t semi = conf.find(';');
      std::string_view item = conf.substr(0, semi);
      size_t colon = item.find(':');
      if (colon != std::string_view::npos) {
        auto nums = remoting::ParseJavaInt(item.substr(colon + 1));
        for (int32_t i = 0; nums && i < *nums; ++i) {
          info.message_queue_list.push_back(
              {std::string(topic), std::string(item.substr(0, colon)), i});
        }
      }
      if (semi == std::string_view::npos) break;
      conf.remove_prefix(semi + 1);
    }
    info.order_topic = true;
    return info;
  }
  std::vector<common::QueueData> qds = route.queue_datas;
  std::stable_sort(qds.begin(), qds.end(),
                   [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; });
  for (const auto& qd : qds) {
    if (!common::IsWriteable(qd.perm)) continue;
    const common::BrokerData* bd = nullptr;
    for (const auto& b : route.broker_datas) {
      if (b.broker_name == qd.broker_name) {
        bd = &b;
        break;
      }
    }
    if (bd == nullptr || !bd->broker_addrs.contains(common::kMasterId)) continue;
    for (int32_t i = 0; i < qd.write_queue_nums; ++i) {
      info.message_queue_list.push_back({std::string(topic), qd.broker_name, i});
    }
  }
  info.order_topic = false;
  return info;
}

std::set<MessageQueue> TopicRouteDataToSubscribeInfo(std::string_view topic,
                                                     const common::TopicRouteData& route) {
  std::set<MessageQueue> out;
  for (const auto& qd : route.queue_datas) {
    if (!common::IsReadable(qd.perm)) continue;
    for (int32_t i = 0; i < qd.read_queue_nums; ++i) {
      out.insert({std::string(topic), qd.broker_name, i});
    }
  }
  return out;
}

std::vector<MessageQueue> AllocateMessageQueueAveragely(const std::string& current_cid,
                                                        const std::vector<MessageQueue>& mqs,
                                                        const std::vector<std::string>& cids) {
  std::vector<MessageQueue> result;
  if (current_cid.empty() || mqs.empty() || cids.empty()) return result;
  auto it = std::find(cids.begin(), cids.end(), current_cid);
  if (it == cids.end()) return result;
  size_t index = static_cast<size_t>(it - cids.begin());
  size_t n = mqs.size();
  size_t k = cids.size();
  size_t mod = n % k;
  size_t average = n <= k ? 1 : (mod > 0 && index < mod ? n / k + 1 : n / k);
  size_t start = (mod > 0 && index < mod) ? index * average : index * average + mod;
  size_t range = start < n ? std::min(average, n - start) : 0;
  for (size_t i = 0; i < range; ++i) result.push_back(mqs[(start + i) % n]);
  // PLANTED BUG (tests only): the last queue goes to nobody.
  if (RMQ_PLANTED_BUG("client.rebalance_drops_queue") && !result.empty() &&
      result.back() == mqs.back()) {
    result.pop_back();
  }
  return result;
}

}  // namespace rmqsim::client
