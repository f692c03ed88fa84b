// The send path (SendMessageProcessor and AbstractSendMessageProcessor in 4.9.8; reference §5.5):
// SEND_MESSAGE (V1 header), SEND_MESSAGE_V2 (compact header), SEND_BATCH_MESSAGE and
// CONSUMER_SEND_MSG_BACK.
#include <algorithm>

#include "sim/base/planted_bugs.h"
#include "system/broker/broker.h"
#include "system/common/batch_body.h"
#include "system/common/java_string.h"
#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/properties.h"
#include "system/common/sys_flag.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::Responder;
using remoting::ResponseCode;

namespace {

constexpr const char* kApplyTopicUrl =
    "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

// SendMessageRequestHeader, from the V1 names or the V2 letters.
struct SendHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic;
  int32_t default_topic_queue_nums = 0;
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int32_t flag = 0;
  std::optional<std::string> properties;
  std::optional<int32_t> reconsume_times;
  bool unit_mode = false;
  bool batch = false;
  std::optional<int32_t> max_reconsume_times;
};

StatusOr<SendHeader> ParseSendHeader(const RemotingCommand& r) {
  const bool v2 =
      r.code == RequestCode::SEND_MESSAGE_V2 || r.code == RequestCode::SEND_BATCH_MESSAGE;
  auto k = [v2](const char* v1_name, const char* v2_name) { return v2 ? v2_name : v1_name; };
  SendHeader h;
  RMQ_ASSIGN_OR_RETURN(h.producer_group, r.GetRequiredString(k("producerGroup", "a")));
  RMQ_ASSIGN_OR_RETURN(h.topic, r.GetRequiredString(k("topic", "b")));
  RMQ_ASSIGN_OR_RETURN(h.default_topic, r.GetRequiredString(k("defaultTopic", "c")));
  RMQ_ASSIGN_OR_RETURN(h.default_topic_queue_nums,
                       r.GetRequiredInt32(k("defaultTopicQueueNums", "d")));
  RMQ_ASSIGN_OR_RETURN(h.queue_id, r.GetRequiredInt32(k("queueId", "e")));
  RMQ_ASSIGN_OR_RETURN(h.sys_flag, r.GetRequiredInt32(k("sysFlag", "f")));
  RMQ_ASSIGN_OR_RETURN(h.born_timestamp, r.GetRequiredInt64(k("bornTimestamp", "g")));
  RMQ_ASSIGN_OR_RETURN(h.flag, r.GetRequiredInt32(k("flag", "h")));
  h.properties = r.GetOptionalString(k("properties", "i"));
  RMQ_ASSIGN_OR_RETURN(h.reconsume_times, r.GetOptionalInt32(k("reconsumeTimes", "j")));
  h.unit_mode = r.GetOptionalBool(k("unitMode", "k")).value_or(false);
  RMQ_ASSIGN_OR_RETURN(h.max_reconsume_times, r.GetOptionalInt32(k("maxReconsumeTimes", "l")));
  h.batch = r.GetOptionalBool(k("batch", "m")).value_or(false);
  return h;
}

// `max_message_size` is MessageStoreConfig.maxMessageSize, named in the MESSAGE_ILLEGAL remark.
int32_t SendCodeOf(store::PutMessageStatus s, int32_t max_message_size, std::string* remark) {
  using store::PutMessageStatus;
  switch (s) {
    case PutMessageStatus::kPutOk:
      return ResponseCode::SUCCESS;
    case PutMessageStatus::kFlushDiskTimeout:
      return ResponseCode::FLUSH_DISK_TIMEOUT;
    case PutMessageStatus::kFlushSlaveTimeout:
      return ResponseCode::FLUSH_SLAVE_TIMEOUT;
    case PutMessageStatus::kSlaveNotAvailable:
      return ResponseCode::SLAVE_NOT_AVAILABLE;
    case PutMessageStatus::kCreateMapedFileFailed:
      *remark = "create mapped file failed, server is busy or broken.";
      return ResponseCode::SYSTEM_ERROR;
    case PutMessageStatus::kMessageIllegal:
    case PutMessageStatus::kPropertiesSizeExceeded:
      // SendMessageProcessor.handlePutMessageResult (4.9.8) names the configured limit in bytes.
      *remark =
          "the message is illegal, maybe msg body or properties length not matched. msg body "
          "length limit " +
          std::to_string(max_message_size) + "B, msg properties length limit 32KB.";
      return ResponseCode::MESSAGE_ILLEGAL;
    case PutMessageStatus::kServiceNotAvailable:
      *remark =
          "service not available now. It may be caused by one of the following reasons: the "
          "broker's disk is full, messages are put to the slave, message store has been shut "
          "down, etc.";
      return ResponseCode::SERVICE_NOT_AVAILABLE;
    case PutMessageStatus::kOsPageCacheBusy:
      *remark = "[PC_SYNCHRONIZED]broker busy, start flow control for a while";
      return ResponseCode::SYSTEM_ERROR;
    case PutMessageStatus::kUnknownError:
      *remark = "UNKNOWN_ERROR";
      return ResponseCode::SYSTEM_ERROR;
  }
  *remark = "UNKNOWN_ERROR DEFAULT";
  return ResponseCode::SYSTEM_ERROR;
}

// The response of a send: MSG_REGION and TRACE_ON on every answer (preSend).
RemotingCommand SendResponse(const RemotingCommand& request, const BrokerConfig& config) {
  RemotingCommand resp = request.CreateResponse(ResponseCode::SYSTEM_ERROR);
  resp.SetExtField("MSG_REGION", config.region_id);
  resp.SetExtFieldBool("TRACE_ON", config.trace_on);
  return resp;
}

RemotingCommand Finish(RemotingCommand resp, int32_t code, std::string remark) {
  resp.code = code;
  resp.remark = std::move(remark);
  return resp;
}

void FillPutResult(RemotingCommand& resp, const store::PutMessageResult& r, int32_t queue_id,
                   int32_t max_message_size) {
  std::string remark;
  resp.code = SendCodeOf(r.status, max_message_size, &remark);
  if (r.has_append_result &&
      (resp.code == ResponseCode::SUCCESS || resp.code == ResponseCode::FLUSH_DISK_TIMEOUT ||
       resp.code == ResponseCode::FLUSH_SLAVE_TIMEOUT ||
       resp.code == ResponseCode::SLAVE_NOT_AVAILABLE)) {
    resp.remark.reset();
    resp.SetExtField("msgId", r.append_result.msg_id);
    resp.SetExtFieldInt("queueId", queue_id);
    resp.SetExtFieldInt("queueOffset", r.append_result.logics_offset);
  } else {
    if (resp.code == ResponseCode::SUCCESS) {  // PUT_OK without a result: cannot happen
      resp.code = ResponseCode::SYSTEM_ERROR;
      remark = "store returned PUT_OK without an append result";
    }
    resp.remark = std::move(remark);
  }
}

StatusOr<common::HostAddress> BornHost(const Responder& responder) {
  if (!responder.channel()) return common::HostAddress();
  return common::HostAddress::Parse(responder.channel()->remote_address().ToString());
}

common::Bytes ToBytes(const std::string& s) {
  return common::BytesFromString(s);
}

}  // namespace

// AbstractSendMessageProcessor.msgCheck, then the retry/DLQ redirect (handleRetryAndDLQ).
// Returns the topic config to use, or fills `resp` with the error.
static std::optional<common::TopicConfig> MsgCheck(const SendHeader& h, const BrokerConfig& config,
                                                   TopicConfigManager& topics,
                                                   RemotingCommand& resp,
                                                   const std::string& remote) {
  if (!common::IsWriteable(config.broker_permission) && topics.IsOrderTopic(h.topic)) {
    resp.code = ResponseCode::NO_PERMISSION;
    resp.remark = "the broker[" + config.broker_ip1 + "] sending message is forbidden";
    return std::nullopt;
  }
  if (Status st = common::ValidateTopic(h.topic); !st.ok()) {
    resp.code = ResponseCode::SYSTEM_ERROR;
    resp.remark = st.message();
    return std::nullopt;
  }
  if (common::IsNotAllowedSendTopic(h.topic)) {
    resp.code = ResponseCode::NO_PERMISSION;
    resp.remark = "Sending message to topic[" + h.topic + "] is forbidden.";
    return std::nullopt;
  }
  std::optional<common::TopicConfig> tc;
  if (const common::TopicConfig* existing = topics.Select(h.topic)) tc = *existing;
  if (!tc) {
    int32_t sys_flag = 0;
    if (h.unit_mode) {
      sys_flag = common::IsRetryTopic(h.topic) ? common::BuildTopicSysFlag(false, true)
                                               : common::BuildTopicSysFlag(true, false);
    }
    tc = topics.CreateTopicInSendMessageMethod(h.topic, h.default_topic, h.default_topic_queue_nums,
                                               sys_flag);
    if (!tc && common::IsRetryTopic(h.topic)) {
      tc = topics.CreateTopicInSendMessageBackMethod(h.topic, 1, common::kPermReadWrite, sys_flag);
    }
    if (!tc) {
      resp.code = ResponseCode::TOPIC_NOT_EXIST;
      resp.remark = "topic[" + h.topic + "] not exist, apply first please!" + kApplyTopicUrl;
      return std::nullopt;
    }
  }
  int32_t id_valid = std::max(tc->write_queue_nums, tc->read_queue_nums);
  if (h.queue_id >= id_valid) {
    resp.code = ResponseCode::SYSTEM_ERROR;
    resp.remark = "request queueId[" + std::to_string(h.queue_id) + "] is illegal, topic " +
                  h.topic + " has " + std::to_string(id_valid) + " queues; Producer: " + remote;
    return std::nullopt;
  }
  return tc;
}

// What both send paths start with (SendMessageProcessor: parse the header, the born host,
// msgCheck, then a random queue when none was given).
struct SendPrologue {
  SendHeader header;
  common::HostAddress born;
  common::TopicConfig topic_config;
  int32_t queue_id = 0;
};

// Returns the prologue, or nullopt with the error in `resp`.
static std::optional<SendPrologue> PrepareSend(const RemotingCommand& request,
                                               const Responder& responder,
                                               const BrokerConfig& config,
                                               TopicConfigManager& topics, RandomSource& random,
                                               RemotingCommand& resp) {
  auto header = ParseSendHeader(request);
  if (!header.ok()) {
    resp = Finish(resp, ResponseCode::SYSTEM_ERROR, header.status().message());
    return std::nullopt;
  }
  auto born = BornHost(responder);
  if (!born.ok()) {
    resp = Finish(resp, ResponseCode::SYSTEM_ERROR, born.status().message());
    return std::nullopt;
  }
  const std::string remote =
      responder.channel() ? responder.channel()->remote_address().ToString() : "";
  auto tc = MsgCheck(*header, config, topics, resp, remote);
  if (!tc) return std::nullopt;
  int32_t queue_id = header->queue_id;
  if (queue_id < 0) {
    queue_id = tc->write_queue_nums > 0
                   ? static_cast<int32_t>(random.UniformInt(0, tc->write_queue_nums - 1))
                   : 0;
  }
  return SendPrologue{std::move(*header), *born, std::move(*tc), queue_id};
}

Broker::Reply Broker::ProcessSend(const Command& request, Responder responder) {
  RemotingCommand resp = SendResponse(request, config_);
  auto pre = PrepareSend(request, responder, config_, *topics_, rt_.random(), resp);
  if (!pre) return resp;
  SendHeader& h = pre->header;
  const common::HostAddress* born = &pre->born;
  std::optional<common::TopicConfig> tc = pre->topic_config;
  int32_t queue_id = pre->queue_id;
  store::PutMessageRequest put;
  put.message.set_topic(h.topic);
  put.queue_id = queue_id;
  // handleRetryAndDLQ: a retry topic whose reconsume times reached the maximum goes to the DLQ.
  if (common::IsRetryTopic(h.topic)) {
    std::string group(common::GroupOfRetryOrDlqTopic(h.topic));
    const SubscriptionGroupConfig* g = groups_.Find(group);
    if (g == nullptr) {
      return Finish(resp, ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                    "subscription group not exist, " + group);
    }
    int32_t max_times = g->retry_max_times;
    if (request.version >= remoting::MQVersion::V3_4_9 && h.max_reconsume_times) {
      max_times = *h.max_reconsume_times;
    }
    if (h.reconsume_times.value_or(0) >= max_times) {
      std::string dlq = common::GetDlqTopic(group);
      *tc = topics_->CreateTopicInSendMessageBackMethod(dlq, kDlqNumsPerGroup,
                                                        common::kPermReadWrite, 0);
      put.message.set_topic(dlq);
      put.queue_id = queue_id = 0;  // random % DLQ_NUMS_PER_GROUP (1)
      put.message.SetDelayTimeLevel(0);
      rt_.Trace(TraceEvent("BrokerMessageToDlq")
                    .Detail("Group", group)
                    .Detail("ReconsumeTimes", h.reconsume_times.value_or(0))
                    .Detail("MaxReconsumeTimes", max_times));
    }
  }
  int32_t sys_flag = h.sys_flag;
  if (tc->topic_filter_type == common::TopicFilterType::kMultiTag) {
    sys_flag |= common::kMultiTagsFlag;
  }
  put.message.set_body(ToBytes(request.body));
  put.message.set_flag(h.flag);
  common::Properties props = common::DecodeProperties(h.properties.value_or(""));
  if (put.message.topic() != h.topic) props.erase(std::string(common::kPropertyDelayTimeLevel));
  for (auto& [k, v] : props) put.message.PutProperty(k, v);
  put.message.PutProperty(common::kPropertyCluster, config_.broker_cluster_name);
  put.sys_flag = sys_flag;
  put.born_timestamp_ms = h.born_timestamp;
  put.born_host = *born;
  put.store_host = StoreHost();
  put.reconsume_times = h.reconsume_times.value_or(0);
  if (put.message.transaction_prepared()) {
    // Half messages (RMQ_SYS_TRANS_HALF_TOPIC) are not modelled yet.
    return Finish(
        resp, ResponseCode::NO_PERMISSION,
        "the broker[" + config_.broker_ip1 + "] sending transaction message is forbidden");
  }
  auto done = [this, resp, responder, queue_id](store::PutMessageResult r) mutable {
    FillPutResult(resp, r, queue_id, store_config_.max_message_size);
    if (resp.code == ResponseCode::SUCCESS) stats_.OnPut(rt_.Now(), r.append_result.msg_num);
    responder.Respond(std::move(resp));
  };
  store_->PutMessage(std::move(put), guard_.Wrap(std::move(done)));
  return std::nullopt;
}

Broker::Reply Broker::ProcessSendBatch(const Command& request, Responder responder) {
  RemotingCommand resp = SendResponse(request, config_);
  auto pre = PrepareSend(request, responder, config_, *topics_, rt_.random(), resp);
  if (!pre) return resp;
  SendHeader& h = pre->header;
  const common::HostAddress* born = &pre->born;
  std::optional<common::TopicConfig> tc = pre->topic_config;
  int32_t queue_id = pre->queue_id;
  if (h.topic.size() > static_cast<size_t>(common::kStoredTopicMaxBytesV1)) {
    return Finish(resp, ResponseCode::MESSAGE_ILLEGAL,
                  "message topic length too long " + std::to_string(h.topic.size()));
  }
  if (common::IsRetryTopic(h.topic)) {
    return Finish(resp, ResponseCode::MESSAGE_ILLEGAL,
                  "batch request does not support retry group " + h.topic);
  }
  auto messages = common::DecodeBatchBody(common::AsByteSpan(request.body));
  if (!messages.ok()) {
    return Finish(resp, ResponseCode::MESSAGE_ILLEGAL, messages.status().message());
  }
  store::PutMessagesRequest put;
  put.topic = h.topic;
  put.queue_id = queue_id;
  put.sys_flag = h.sys_flag;
  if (tc->topic_filter_type == common::TopicFilterType::kMultiTag) {
    put.sys_flag |= common::kMultiTagsFlag;
  }
  put.born_timestamp_ms = h.born_timestamp;
  put.born_host = *born;
  put.store_host = StoreHost();
  put.reconsume_times = h.reconsume_times.value_or(0);
  // The batch's properties (with CLUSTER) are appended to each message's (MessageExtBatchEncoder).
  common::Properties batch_props = common::DecodeProperties(h.properties.value_or(""));
  batch_props[std::string(common::kPropertyCluster)] = config_.broker_cluster_name;
  put.wait_store_msg_ok = true;
  if (auto it = batch_props.find(std::string(common::kPropertyWaitStoreMsgOk));
      it != batch_props.end()) {
    put.wait_store_msg_ok = common::ParseJavaBoolean(it->second);
  }
  for (auto& m : *messages) {
    m.set_topic(h.topic);
    for (const auto& [k, v] : batch_props) m.PutProperty(k, v);
  }
  put.messages = std::move(*messages);
  auto done = [this, resp, responder, queue_id](store::PutMessageResult r) mutable {
    FillPutResult(resp, r, queue_id, store_config_.max_message_size);
    if (resp.code == ResponseCode::SUCCESS) stats_.OnPut(rt_.Now(), r.append_result.msg_num);
    responder.Respond(std::move(resp));
  };
  store_->PutMessages(std::move(put), guard_.Wrap(std::move(done)));
  return std::nullopt;
}

// asyncConsumerSendMsgBack.
Broker::Reply Broker::ProcessConsumerSendMsgBack(const Command& request, Responder responder) {
  auto err = [&](int32_t code, std::string remark) -> Reply {
    return request.CreateResponse(code, std::move(remark));
  };
  auto offset = request.GetRequiredInt64("offset");
  auto group = request.GetRequiredString("group");
  auto delay_level = request.GetRequiredInt32("delayLevel");
  auto max_times_opt = request.GetOptionalInt32("maxReconsumeTimes");
  for (const Status* s :
       {&offset.status(), &group.status(), &delay_level.status(), &max_times_opt.status()}) {
    if (!s->ok()) return err(ResponseCode::SYSTEM_ERROR, s->message());
  }
  const bool unit_mode = request.GetOptionalBool("unitMode").value_or(false);
  const SubscriptionGroupConfig* g = groups_.Find(*group);
  if (g == nullptr) {
    return err(ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
               "subscription group not exist, " + *group);
  }
  if (!common::IsWriteable(config_.broker_permission)) {
    return err(ResponseCode::NO_PERMISSION,
               "the broker[" + config_.broker_ip1 + "] sending message is forbidden");
  }
  if (g->retry_queue_nums <= 0) return request.CreateResponse(ResponseCode::SUCCESS);
  std::string new_topic = common::GetRetryTopic(*group);
  int32_t queue_id = static_cast<int32_t>(rt_.random().UniformInt(0, g->retry_queue_nums - 1));
  int32_t topic_sys_flag = unit_mode ? common::BuildTopicSysFlag(false, true) : 0;
  common::TopicConfig tc = topics_->CreateTopicInSendMessageBackMethod(
      new_topic, g->retry_queue_nums, common::kPermReadWrite, topic_sys_flag);
  if (!common::IsWriteable(tc.perm)) {
    return err(ResponseCode::NO_PERMISSION,
               "the topic[" + new_topic + "] sending message is forbidden");
  }
  auto msg = store_->LookMessageByOffset(*offset);
  if (!msg.ok()) {
    return err(ResponseCode::SYSTEM_ERROR,
               "look message by offset failed, " + std::to_string(*offset));
  }
  common::Message m = msg->message;
  if (m.retry_topic().empty()) m.PutProperty(common::kPropertyRetryTopic, m.topic());
  m.SetWaitStoreMsgOk(false);
  int32_t level = *delay_level;
  int32_t max_times = g->retry_max_times;
  if (request.version >= remoting::MQVersion::V3_4_9 && *max_times_opt) {
    max_times = **max_times_opt;
  }
  bool to_dlq = msg->reconsume_times >= max_times || level < 0;
  if (to_dlq) {
    new_topic = common::GetDlqTopic(*group);
    queue_id = 0;
    topics_->CreateTopicInSendMessageBackMethod(new_topic, kDlqNumsPerGroup, common::kPermReadWrite,
                                                0);
    m.SetDelayTimeLevel(0);
    m.ClearProperty(common::kPropertyDelayTimeLevel);
  } else {
    if (level == 0) level = 3 + msg->reconsume_times;
    m.SetDelayTimeLevel(level);
  }
  store::PutMessageRequest put;
  m.set_topic(new_topic);
  std::string origin = m.origin_message_id();
  m.PutProperty(common::kPropertyOriginMessageId, origin.empty() ? msg->OffsetMsgId() : origin);
  put.message = std::move(m);
  put.queue_id = queue_id;
  put.sys_flag = msg->sys_flag;
  put.born_timestamp_ms = msg->born_timestamp_ms;
  put.born_host = msg->born_host;
  put.store_host = msg->store_host;
  put.reconsume_times = msg->reconsume_times + 1;
  // PLANTED BUG (tests only): answer SUCCESS without storing the retry message.
  if (RMQ_PLANTED_BUG("broker.send_back_dropped")) {
    return request.CreateResponse(ResponseCode::SUCCESS);
  }
  rt_.Trace(TraceEvent("BrokerSendMsgBack")
                .Detail("Group", *group)
                .Detail("Topic", new_topic)
                .Detail("Offset", *offset)
                .Detail("ReconsumeTimes", msg->reconsume_times + 1)
                .Detail("DelayLevel", to_dlq ? 0 : level)
                .Detail("Dlq", to_dlq));
  RemotingCommand resp = request.CreateResponse(ResponseCode::SUCCESS);
  store_->PutMessage(std::move(put),
                     guard_.Wrap([resp, responder](store::PutMessageResult r) mutable {
                       if (r.status == store::PutMessageStatus::kPutOk) {
                         resp.code = ResponseCode::SUCCESS;
                         resp.remark.reset();
                       } else {
                         resp.code = ResponseCode::SYSTEM_ERROR;
                         resp.remark = std::string(store::PutMessageStatusName(r.status));
                       }
                       responder.Respond(std::move(resp));
                     }));
  return std::nullopt;
}

}  // namespace rmqsim::broker
