#include "tests/system/client/fake_broker.h"

#include <algorithm>
#include <utility>

#include "system/common/batch_body.h"
#include "system/common/checksum.h"
#include "system/common/consumer_bodies.h"
#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/register_broker_body.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::client::testing {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

namespace {
constexpr size_t kHeldPullsMax = 10000;  // a test never holds more
int32_t I32(const RemotingCommand& req, std::string_view key, int32_t fallback) {
  auto v = req.GetOptionalInt32(key);
  return v.ok() && v->has_value() ? **v : fallback;
}
int64_t I64(const RemotingCommand& req, std::string_view key, int64_t fallback) {
  auto v = req.GetOptionalInt64(key);
  return v.ok() && v->has_value() ? **v : fallback;
}
std::string Key(const std::string& topic, int32_t qid) {
  return topic + "@" + std::to_string(qid);
}
}  // namespace

size_t FakeBrokerState::stored(const std::string& topic) const {
  auto it = queues.find(topic);
  if (it == queues.end()) return 0;
  size_t n = 0;
  for (const auto& [qid, q] : it->second) n += q.msgs.size();
  return n;
}

FakeBroker::FakeBroker(Runtime& rt, std::shared_ptr<FakeBrokerState> state, Address listen,
                       std::vector<Address> namesrvs)
    : rt_(rt),
      state_(std::move(state)),
      listen_(std::move(listen)),
      namesrvs_(std::move(namesrvs)),
      client_(rt) {}

FakeBroker::~FakeBroker() {
  held_.clear();
  server_.reset();
}

Status FakeBroker::Start() {
  if (state_->auto_create_topic) state_->topics.emplace("TBW102", 8);
  server_ = std::make_unique<remoting::RemotingServer>(
      rt_, remoting::RemotingServerOptions{.listen = listen_});
  RegisterProcessors();
  server_->AddCloseListener(
      guard_.Wrap([this](const auto& channel, const Status&) { OnChannelClosed(channel->id()); }));
  RMQ_RETURN_IF_ERROR(server_->Start());
  RegisterAll();
  SchedulePeriodicRegister();
  return Status::Ok();
}

void FakeBroker::SchedulePeriodicRegister() {
  rt_.executor().ScheduleAfter(seconds(30), guard_.Wrap([this] {
    RegisterAll();
    SchedulePeriodicRegister();
  }));
}

void FakeBroker::Stop(std::function<void()> done) {
  auto remaining = std::make_shared<size_t>(namesrvs_.size());
  if (*remaining == 0) return done();
  for (const auto& ns : namesrvs_) {
    auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_BROKER);
    req.SetExtField("brokerName", state_->broker_name);
    req.SetExtField("brokerAddr", Addr());
    req.SetExtField("clusterName", state_->cluster);
    req.SetExtFieldInt("brokerId", state_->broker_id);
    client_.Invoke(ns, req, seconds(3), [remaining, done](auto) {
      if (--*remaining == 0) done();
    });
  }
}

std::set<std::string> FakeBroker::GroupMembers(const std::string& group) const {
  std::set<std::string> out;
  auto it = groups_.find(group);
  if (it != groups_.end()) {
    for (const auto& [cid, ch] : it->second) out.insert(cid);
  }
  return out;
}

void FakeBroker::RegisterAll() {
  common::RegisterBrokerBody body;
  for (const auto& [topic, nums] : state_->topics) {
    common::TopicConfig tc;
    tc.topic_name = topic;
    tc.read_queue_nums = tc.write_queue_nums = nums;
    tc.perm =
        topic == "TBW102" ? common::kPermReadWrite | common::kPermInherit : common::kPermReadWrite;
    body.topic_config_serialize_wrapper.topic_config_table[topic] = tc;
  }
  body.topic_config_serialize_wrapper.data_version = {
      .timestamp = static_cast<int64_t>(state_->data_version),
      .counter = static_cast<int64_t>(state_->data_version)};
  for (const auto& ns : namesrvs_) {
    auto req = RemotingCommand::CreateRequest(RequestCode::REGISTER_BROKER);
    req.SetExtField("brokerName", state_->broker_name);
    req.SetExtField("brokerAddr", Addr());
    req.SetExtField("clusterName", state_->cluster);
    req.SetExtField("haServerAddr", Addr());
    req.SetExtFieldInt("brokerId", state_->broker_id);
    req.body = common::EncodeRegisterBrokerBody(body);
    req.SetExtFieldInt("bodyCrc32", common::Crc32Masked(common::AsByteSpan(req.body)));
    client_.Invoke(ns, req, seconds(6), [](auto) {});
  }
}

int64_t FakeBroker::AppendMessage(const std::string& topic, int32_t queue_id,
                                  common::MessageExt ext) {
  auto& q = state_->queues[topic][queue_id];
  ext.message.set_topic(topic);
  ext.queue_id = queue_id;
  ext.queue_offset = q.min_offset + static_cast<int64_t>(q.msgs.size());
  ext.commit_log_offset = state_->commit_log_offset;
  ext.store_timestamp_ms = ToUnixMillis(rt_.WallNow());
  ext.store_host = *common::HostAddress::Parse(Addr());
  auto encoded = common::EncodeStoredMessage(ext);
  state_->commit_log_offset += encoded.ok() ? static_cast<int64_t>(encoded->size()) : 100;
  q.msgs.push_back(ext);
  rt_.executor().Post(guard_.Wrap([this, topic, queue_id] { WakeHeld(topic, queue_id); }));
  return ext.queue_offset;
}

void FakeBroker::RegisterProcessors() {
  auto& s = *server_;
  auto count = [this](int32_t code) { ++state_->requests_by_code[code]; };
  auto send = [this, count](RemotingCommand req, Responder r) -> std::optional<RemotingCommand> {
    count(req.code);
    return OnSend(req, r);
  };
  s.RegisterProcessor(RequestCode::SEND_MESSAGE_V2, send);
  s.RegisterProcessor(RequestCode::SEND_BATCH_MESSAGE, send);
  s.RegisterProcessor(RequestCode::PULL_MESSAGE, [this, count](RemotingCommand req, Responder r) {
    count(req.code);
    return OnPull(req, r, false);
  });
  s.RegisterProcessor(RequestCode::HEART_BEAT, [this, count](RemotingCommand req, Responder r) {
    count(req.code);
    return OnHeartbeat(req, r);
  });
  s.RegisterProcessor(RequestCode::CONSUMER_SEND_MSG_BACK,
                      [this, count](RemotingCommand req, Responder) {
                        count(req.code);
                        return OnSendBack(req);
                      });
  s.RegisterProcessor(
      RequestCode::QUERY_CONSUMER_OFFSET,
      [this, count](RemotingCommand req, Responder) -> std::optional<RemotingCommand> {
        count(req.code);
        auto key = std::make_tuple(req.GetOptionalString("consumerGroup").value_or(""),
                                   req.GetOptionalString("topic").value_or(""),
                                   req.GetRequiredInt32("queueId").value());
        auto it = state_->offsets.find(key);
        if (it == state_->offsets.end()) {
          return req.CreateResponse(ResponseCode::QUERY_NOT_FOUND,
                                    "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot "
                                    "first");
        }
        auto resp = req.CreateResponse(ResponseCode::SUCCESS);
        resp.SetExtFieldInt("offset", it->second);
        return resp;
      });
  s.RegisterProcessor(
      RequestCode::UPDATE_CONSUMER_OFFSET,
      [this, count](RemotingCommand req, Responder) -> std::optional<RemotingCommand> {
        count(req.code);
        std::string group = req.GetOptionalString("consumerGroup").value_or("");
        std::string topic = req.GetOptionalString("topic").value_or("");
        int32_t qid = req.GetRequiredInt32("queueId").value();
        int64_t offset = req.GetRequiredInt64("commitOffset").value();
        state_->offsets[{group, topic, qid}] = offset;
        state_->offset_updates.push_back({rt_.Now(), group, topic, qid, offset, false});
        return req.CreateResponse(ResponseCode::SUCCESS);
      });
  auto offset_request = [this, count](RemotingCommand req,
                                      Responder) -> std::optional<RemotingCommand> {
    count(req.code);
    std::string topic = req.GetOptionalString("topic").value_or("");
    int32_t qid = req.GetRequiredInt32("queueId").value();
    const auto& q = state_->queues[topic][qid];
    int64_t max = q.min_offset + static_cast<int64_t>(q.msgs.size());
    int64_t offset = 0;
    if (req.code == RequestCode::GET_MAX_OFFSET) {
      offset = max;
    } else if (req.code == RequestCode::GET_MIN_OFFSET) {
      offset = q.min_offset;
    } else {
      int64_t ts = req.GetRequiredInt64("timestamp").value();
      offset = max;
      for (const auto& m : q.msgs) {
        if (m.store_timestamp_ms >= ts) {
          offset = m.queue_offset;
          break;
        }
      }
    }
    auto resp = req.CreateResponse(ResponseCode::SUCCESS);
    resp.SetExtFieldInt("offset", offset);
    return resp;
  };
  s.RegisterProcessor(RequestCode::GET_MAX_OFFSET, offset_request);
  s.RegisterProcessor(RequestCode::GET_MIN_OFFSET, offset_request);
  s.RegisterProcessor(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, offset_request);
  s.RegisterProcessor(
      RequestCode::GET_CONSUMER_LIST_BY_GROUP,
      [this, count](RemotingCommand req, Responder) -> std::optional<RemotingCommand> {
        count(req.code);
        std::string group = req.GetOptionalString("consumerGroup").value_or("");
        auto members = GroupMembers(group);
        if (members.empty()) {
          return req.CreateResponse(ResponseCode::SYSTEM_ERROR,
                                    "no consumer for this group, " + group);
        }
        common::ConsumerListBody body;
        body.consumer_id_list.assign(members.begin(), members.end());
        auto resp = req.CreateResponse(ResponseCode::SUCCESS);
        resp.body = common::EncodeConsumerListBody(body);
        return resp;
      });
  s.RegisterProcessor(
      RequestCode::UNREGISTER_CLIENT,
      [this, count](RemotingCommand req, Responder) -> std::optional<RemotingCommand> {
        count(req.code);
        std::string cid = req.GetOptionalString("clientID").value_or("");
        state_->unregistered_clients.push_back(cid);
        auto group = req.GetOptionalString("consumerGroup");
        if (group) RemoveMember(*group, cid);
        return req.CreateResponse(ResponseCode::SUCCESS);
      });
}

std::optional<RemotingCommand> FakeBroker::OnSend(const Cmd& req, const Responder& responder) {
  std::string topic = req.GetOptionalString("b").value_or("");
  std::string default_topic = req.GetOptionalString("c").value_or("");
  int32_t default_nums = I32(req, "d", 4);
  int32_t qid = I32(req, "e", 0);
  bool batch = req.GetOptionalString("m").value_or("false") == "true";
  if (!state_->topics.contains(topic)) {
    auto def = state_->topics.find(default_topic);
    if (state_->auto_create_topic && def != state_->topics.end()) {
      state_->topics[topic] = std::min(default_nums, def->second);
      ++state_->data_version;
      RegisterAll();
    } else {
      return req.CreateResponse(ResponseCode::TOPIC_NOT_EXIST,
                                "topic[" + topic + "] not exist, apply first please!");
    }
  }
  if (state_->send_response_code != ResponseCode::SUCCESS &&
      state_->send_response_code != ResponseCode::FLUSH_DISK_TIMEOUT &&
      state_->send_response_code != ResponseCode::FLUSH_SLAVE_TIMEOUT &&
      state_->send_response_code != ResponseCode::SLAVE_NOT_AVAILABLE) {
    return req.CreateResponse(state_->send_response_code, "scripted failure");
  }
  if (qid < 0) qid = 0;
  if (qid >= state_->topics[topic]) {
    return req.CreateResponse(ResponseCode::SYSTEM_ERROR, "queueId out of range");
  }
  std::vector<common::Message> msgs;
  if (batch) {
    auto decoded = common::DecodeBatchBody(common::AsByteSpan(req.body));
    if (!decoded.ok()) return req.CreateResponse(ResponseCode::MESSAGE_ILLEGAL, "bad batch");
    msgs = std::move(*decoded);
  } else {
    common::Message m(topic, common::BytesFromString(req.body));
    m.set_properties(common::DecodeProperties(req.GetOptionalString("i").value_or("")));
    m.set_flag(I32(req, "h", 0));
    msgs.push_back(std::move(m));
  }
  std::string ids;
  int64_t first_offset = -1;
  for (auto& m : msgs) {
    common::MessageExt ext;
    m.PutProperty(common::kPropertyCluster, state_->cluster);
    if (m.flag() == 0 && !batch) m.set_flag(I32(req, "h", 0));
    ext.message = std::move(m);
    ext.sys_flag = batch ? 0 : I32(req, "f", 0);
    ext.born_timestamp_ms = I64(req, "g", 0);
    auto born = common::HostAddress::Parse(responder.channel()->remote_address().ToString());
    if (born.ok()) ext.born_host = *born;
    ext.reconsume_times = I32(req, "j", 0);
    int64_t offset = AppendMessage(topic, qid, std::move(ext));
    if (first_offset < 0) first_offset = offset;
    const auto& stored = state_->queues[topic][qid].msgs.back();
    ids += (ids.empty() ? "" : ",") + stored.OffsetMsgId();
  }
  auto resp = req.CreateResponse(state_->send_response_code);
  resp.SetExtField("msgId", ids);
  resp.SetExtFieldInt("queueId", qid);
  resp.SetExtFieldInt("queueOffset", first_offset);
  resp.SetExtField("MSG_REGION", "DefaultRegion");
  resp.SetExtField("TRACE_ON", "true");
  return resp;
}

std::optional<RemotingCommand> FakeBroker::OnPull(const Cmd& req, const Responder& responder,
                                                  bool rerun) {
  std::string group = req.GetOptionalString("consumerGroup").value_or("");
  std::string topic = req.GetOptionalString("topic").value_or("");
  int32_t qid = I32(req, "queueId", 0);
  int64_t offset = I64(req, "queueOffset", 0);
  int32_t max_nums = I32(req, "maxMsgNums", 32);
  int32_t sys_flag = I32(req, "sysFlag", 0);
  int64_t suspend_ms = I64(req, "suspendTimeoutMillis", 0);
  if (!state_->topics.contains(topic)) {
    return req.CreateResponse(ResponseCode::TOPIC_NOT_EXIST, "topic not exist");
  }
  common::SubscriptionData sub;
  if (common::HasSubscriptionFlag(sys_flag)) {
    auto built = common::BuildSubscriptionData(
        topic, req.GetOptionalString("subscription").value_or("*"), "TAG", 0);
    if (!built.ok()) return req.CreateResponse(ResponseCode::SUBSCRIPTION_PARSE_FAILED, "bad");
    sub = *built;
  } else {
    auto g = group_data_.find(group);
    if (g == group_data_.end()) {
      return req.CreateResponse(ResponseCode::SUBSCRIPTION_NOT_EXIST, "group not online");
    }
    bool found = false;
    for (const auto& sd : g->second.subscription_data_set) {
      if (sd.topic == topic) {
        sub = sd;
        found = true;
      }
    }
    if (!found) return req.CreateResponse(ResponseCode::SUBSCRIPTION_NOT_EXIST, "not subscribed");
  }
  if (!rerun && common::HasCommitOffsetFlag(sys_flag) && state_->broker_id == 0) {
    int64_t commit = I64(req, "commitOffset", 0);
    state_->offsets[{group, topic, qid}] = commit;
    state_->offset_updates.push_back({rt_.Now(), group, topic, qid, commit, true});
  }
  const auto& q = state_->queues[topic][qid];
  const int64_t min = q.min_offset;
  const int64_t max = q.min_offset + static_cast<int64_t>(q.msgs.size());
  auto respond = [&](int32_t code, int64_t next, std::string body) {
    auto resp = req.CreateResponse(code);
    resp.SetExtFieldInt("suggestWhichBrokerId", state_->suggest_which_broker_id);
    resp.SetExtFieldInt("nextBeginOffset", next);
    resp.SetExtFieldInt("minOffset", min);
    resp.SetExtFieldInt("maxOffset", max);
    resp.body = std::move(body);
    return resp;
  };
  if (offset < min) return respond(ResponseCode::PULL_OFFSET_MOVED, min, "");
  if (offset > max) return respond(ResponseCode::PULL_OFFSET_MOVED, max, "");
  if (offset == max) {
    if (!rerun && common::HasSuspendFlag(sys_flag) && suspend_ms > 0 &&
        held_[Key(topic, qid)].size() < kHeldPullsMax) {
      uint64_t id = ++next_held_id_;
      std::string key = Key(topic, qid);
      TimerId timer =
          rt_.executor().ScheduleAfter(milliseconds(suspend_ms), guard_.Wrap([this, key, id] {
            auto it = held_[key].find(id);
            if (it == held_[key].end()) return;
            Held h = std::move(it->second);
            held_[key].erase(it);
            auto resp = OnPull(h.request, h.responder, true);
            if (resp) h.responder.Respond(std::move(*resp));
          }));
      held_[key][id] = Held{req, responder, timer};
      return std::nullopt;
    }
    return respond(ResponseCode::PULL_NOT_FOUND, offset, "");
  }
  std::string body;
  int32_t found = 0;
  int64_t i = offset;
  for (; i < max && found < max_nums; ++i) {
    const auto& m = q.msgs[static_cast<size_t>(i - min)];
    if (!sub.SubscribesAll() && !sub.tags_set.contains(m.message.tags())) continue;
    common::Bytes bytes;
    if (common::AppendStoredMessage(m, &bytes).ok()) {
      body += common::StringFromBytes(bytes);
      ++found;
    }
  }
  if (found == 0) return respond(ResponseCode::PULL_RETRY_IMMEDIATELY, i, "");
  return respond(ResponseCode::SUCCESS, i, std::move(body));
}

void FakeBroker::WakeHeld(const std::string& topic, int32_t queue_id) {
  auto it = held_.find(Key(topic, queue_id));
  if (it == held_.end()) return;
  auto held = std::move(it->second);
  it->second.clear();
  for (auto& [id, h] : held) {
    rt_.executor().Cancel(h.timer);
    auto resp = OnPull(h.request, h.responder, true);
    if (resp) h.responder.Respond(std::move(*resp));
  }
}

std::optional<RemotingCommand> FakeBroker::OnHeartbeat(const Cmd& req, const Responder& responder) {
  auto data = common::DecodeHeartbeatData(req.body);
  if (!data.ok()) return req.CreateResponse(ResponseCode::SYSTEM_ERROR, data.status().message());
  state_->heartbeats.push_back(*data);
  for (const auto& cd : data->consumer_data_set) {
    group_data_[cd.group_name] = cd;
    std::string retry = common::GetRetryTopic(cd.group_name);
    if (cd.message_model == common::MessageModel::kClustering && !state_->topics.contains(retry)) {
      state_->topics[retry] = 1;
      ++state_->data_version;
      RegisterAll();
    }
    auto& members = groups_[cd.group_name];
    bool added = !members.contains(data->client_id);
    members[data->client_id] = responder.channel()->id();
    if (added) NotifyGroup(cd.group_name);
  }
  return req.CreateResponse(ResponseCode::SUCCESS);
}

void FakeBroker::NotifyGroup(const std::string& group) {
  for (const auto& [cid, channel_id] : groups_[group]) {
    auto channel = server_->FindChannel(channel_id);
    if (!channel) continue;
    auto note = RemotingCommand::CreateRequest(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
    note.SetExtField("consumerGroup", group);
    (void)channel->InvokeOneway(note);
  }
}

void FakeBroker::RemoveMember(const std::string& group, const std::string& client_id) {
  auto it = groups_.find(group);
  if (it == groups_.end() || it->second.erase(client_id) == 0) return;
  if (it->second.empty()) {
    groups_.erase(it);
    return;
  }
  NotifyGroup(group);
}

void FakeBroker::OnChannelClosed(uint64_t channel_id) {
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [group, members] : groups_) {
    for (const auto& [cid, ch] : members) {
      if (ch == channel_id) gone.push_back({group, cid});
    }
  }
  for (const auto& [group, cid] : gone) RemoveMember(group, cid);
}

std::optional<RemotingCommand> FakeBroker::OnSendBack(const Cmd& req) {
  FakeBrokerState::SendBack sb;
  sb.group = req.GetOptionalString("group").value_or("");
  sb.offset = I64(req, "offset", -1);
  sb.delay_level = I32(req, "delayLevel", 0);
  sb.origin_msg_id = req.GetOptionalString("originMsgId").value_or("");
  sb.origin_topic = req.GetOptionalString("originTopic").value_or("");
  state_->send_backs.push_back(sb);
  if (state_->send_back_response_code != 0) {
    return req.CreateResponse(state_->send_back_response_code, "scripted send-back failure");
  }
  const common::MessageExt* original = nullptr;
  for (const auto& [topic, qs] : state_->queues) {
    for (const auto& [qid, q] : qs) {
      for (const auto& m : q.msgs) {
        if (m.commit_log_offset == sb.offset) original = &m;
      }
    }
  }
  if (original == nullptr) {
    return req.CreateResponse(ResponseCode::SYSTEM_ERROR, "look message by offset failed");
  }
  common::MessageExt copy = *original;
  std::string retry = common::GetRetryTopic(sb.group);
  if (copy.message.retry_topic().empty()) {
    copy.message.PutProperty(common::kPropertyRetryTopic, copy.message.topic());
  }
  if (copy.message.origin_message_id().empty()) {
    copy.message.PutProperty(common::kPropertyOriginMessageId, sb.origin_msg_id);
  }
  copy.reconsume_times += 1;
  if (!state_->topics.contains(retry)) {
    state_->topics[retry] = 1;
    ++state_->data_version;
    RegisterAll();
  }
  AppendMessage(retry, 0, std::move(copy));
  return req.CreateResponse(ResponseCode::SUCCESS);
}

}  // namespace rmqsim::client::testing
