// The pull path (PullMessageProcessor in 4.9.8; reference §3.2, §5.6) with long polling.
#include "sim/base/planted_bugs.h"
#include "system/broker/broker.h"
#include "system/common/mix_all.h"
#include "system/common/perm_name.h"
#include "system/common/sys_flag.h"

namespace rmqsim::broker {

using remoting::RemotingCommand;
using remoting::Responder;
using remoting::ResponseCode;

namespace {
constexpr const char* kFaqSuffix =
    "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

struct PullHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t max_msg_nums = 0;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_millis = 0;
  std::optional<std::string> subscription;
  int64_t sub_version = 0;
  std::optional<std::string> expression_type;
};

StatusOr<PullHeader> ParsePullHeader(const RemotingCommand& r) {
  PullHeader h;
  RMQ_ASSIGN_OR_RETURN(h.consumer_group, r.GetRequiredString("consumerGroup"));
  RMQ_ASSIGN_OR_RETURN(h.topic, r.GetRequiredString("topic"));
  RMQ_ASSIGN_OR_RETURN(h.queue_id, r.GetRequiredInt32("queueId"));
  RMQ_ASSIGN_OR_RETURN(h.queue_offset, r.GetRequiredInt64("queueOffset"));
  RMQ_ASSIGN_OR_RETURN(h.max_msg_nums, r.GetRequiredInt32("maxMsgNums"));
  RMQ_ASSIGN_OR_RETURN(h.sys_flag, r.GetRequiredInt32("sysFlag"));
  RMQ_ASSIGN_OR_RETURN(h.commit_offset, r.GetRequiredInt64("commitOffset"));
  RMQ_ASSIGN_OR_RETURN(h.suspend_timeout_millis, r.GetRequiredInt64("suspendTimeoutMillis"));
  h.subscription = r.GetOptionalString("subscription");
  RMQ_ASSIGN_OR_RETURN(h.sub_version, r.GetRequiredInt64("subVersion"));
  h.expression_type = r.GetOptionalString("expressionType");
  return h;
}

bool IsTagType(const std::string& type) {
  return type.empty() || type == common::kExpressionTypeTag;
}
}  // namespace

Broker::Reply Broker::ProcessPull(const Command& request, Responder responder, bool allow_suspend) {
  if (allow_suspend) ++pull_requests_;
  RemotingCommand resp = request.CreateResponse(ResponseCode::SYSTEM_ERROR);
  auto fail = [&](int32_t code, std::string remark) -> Reply {
    resp.code = code;
    resp.remark = std::move(remark);
    return resp;
  };
  auto header = ParsePullHeader(request);
  if (!header.ok()) return fail(ResponseCode::SYSTEM_ERROR, header.status().message());
  const PullHeader& h = *header;
  const std::string remote =
      responder.channel() ? responder.channel()->remote_address().ToString() : "";

  if (!common::IsReadable(config_.broker_permission)) {
    return fail(ResponseCode::NO_PERMISSION,
                "the broker[" + config_.broker_ip1 + "] pulling message is forbidden");
  }
  const SubscriptionGroupConfig* group = groups_.Find(h.consumer_group);
  if (group == nullptr) {
    return fail(ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                "subscription group [" + h.consumer_group + "] does not exist," + kFaqSuffix);
  }
  if (!group->consume_enable) {
    return fail(ResponseCode::NO_PERMISSION,
                "subscription group no permission, " + h.consumer_group);
  }
  const bool has_suspend = common::HasSuspendFlag(h.sys_flag);
  const bool has_commit = common::HasCommitOffsetFlag(h.sys_flag);
  const bool has_subscription = common::HasSubscriptionFlag(h.sys_flag);
  const int64_t suspend_ms = has_suspend ? h.suspend_timeout_millis : 0;

  const common::TopicConfig* tc = topics_->Select(h.topic);
  if (tc == nullptr) {
    return fail(ResponseCode::TOPIC_NOT_EXIST,
                "topic[" + h.topic + "] not exist, apply first please!" + kFaqSuffix);
  }
  if (!common::IsReadable(tc->perm)) {
    return fail(ResponseCode::NO_PERMISSION,
                "the topic[" + h.topic + "] pulling message is forbidden");
  }
  if (h.queue_id < 0 || h.queue_id >= tc->read_queue_nums) {
    return fail(ResponseCode::SYSTEM_ERROR,
                "queueId[" + std::to_string(h.queue_id) + "] is illegal, topic:[" + h.topic +
                    "] topicConfig.readQueueNums:[" + std::to_string(tc->read_queue_nums) +
                    "] consumer:[" + remote + "]");
  }

  common::SubscriptionData sub;
  if (has_subscription) {
    auto built = common::BuildSubscriptionData(h.topic, h.subscription.value_or(""),
                                               h.expression_type.value_or(""), h.sub_version);
    if (!built.ok()) {
      return fail(ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                  "parse the consumer's subscription failed");
    }
    sub = *built;
  } else {
    const ConsumerGroupInfo* info = consumers_.Find(h.consumer_group);
    if (info == nullptr) {
      return fail(ResponseCode::SUBSCRIPTION_NOT_EXIST,
                  std::string("the consumer's group info not exist") + kFaqSuffix);
    }
    if (!group->consume_broadcast_enable &&
        info->message_model == common::MessageModel::kBroadcasting) {
      return fail(ResponseCode::NO_PERMISSION,
                  "the consumer group[" + h.consumer_group + "] can not consume by broadcast way");
    }
    const common::SubscriptionData* found = info->FindSubscription(h.topic);
    if (found == nullptr) {
      return fail(ResponseCode::SUBSCRIPTION_NOT_EXIST,
                  std::string("the consumer's subscription not exist") + kFaqSuffix);
    }
    if (found->sub_version < h.sub_version) {
      return fail(ResponseCode::SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest");
    }
    sub = *found;
  }
  if (!IsTagType(sub.expression_type) && !config_.enable_property_filter) {
    return fail(ResponseCode::SYSTEM_ERROR,
                "The broker does not support consumer to filter message by " + sub.expression_type);
  }
  // ExpressionMessageFilter, TAG branch: "*" (or class filter mode) passes everything.
  store::MessageFilter filter = sub.SubscribesAll() || sub.class_filter_mode
                                    ? store::MessageFilter::All()
                                    : store::MessageFilter::Codes(sub.code_set);

  auto result = store_->GetMessage(h.consumer_group, h.topic, h.queue_id, h.queue_offset,
                                   h.max_msg_nums, 0, &filter);
  if (!result.ok()) {
    fail(ResponseCode::SYSTEM_ERROR, "store getMessage return null");
  } else {
    const store::GetMessageResult& r = *result;
    resp.remark = std::string(store::GetMessageStatusName(r.status));
    // PLANTED BUG (tests only): when more messages wait than were returned, report a next
    // offset one too far (the message after the batch is never delivered).
    const bool skip = RMQ_PLANTED_BUG("broker.pull_skip_message") &&
                      r.status == store::GetMessageStatus::kFound &&
                      r.next_begin_offset < r.max_offset;
    resp.SetExtFieldInt("nextBeginOffset", r.next_begin_offset + (skip ? 1 : 0));
    resp.SetExtFieldInt("minOffset", r.min_offset);
    resp.SetExtFieldInt("maxOffset", r.max_offset);
    // PullMessageProcessor: with slaveReadEnable, the group's whichBrokerWhenConsumeSlowly when
    // the rest of the log is too far behind to be in memory (suggestPullingFromSlave), else the
    // group's brokerId; without it, the master. (On a slave without slaveReadEnable Java first
    // sets PULL_RETRY_IMMEDIATELY, but the status switch below overwrites the code.)
    int64_t suggest = common::kMasterId;
    if (config_.slave_read_enable) {
      suggest = r.suggest_pulling_from_slave ? group->which_broker_when_consume_slowly
                                             : group->broker_id;
    }
    resp.SetExtFieldInt("suggestWhichBrokerId", suggest);
    using store::GetMessageStatus;
    switch (r.status) {
      case GetMessageStatus::kFound:
        resp.code = ResponseCode::SUCCESS;
        break;
      case GetMessageStatus::kMessageWasRemoving:
      case GetMessageStatus::kNoMatchedMessage:
        resp.code = ResponseCode::PULL_RETRY_IMMEDIATELY;
        break;
      case GetMessageStatus::kNoMatchedLogicQueue:
      case GetMessageStatus::kNoMessageInQueue:
        resp.code =
            h.queue_offset != 0 ? ResponseCode::PULL_OFFSET_MOVED : ResponseCode::PULL_NOT_FOUND;
        break;
      case GetMessageStatus::kOffsetFoundNull:
      case GetMessageStatus::kOffsetOverflowOne:
        resp.code = ResponseCode::PULL_NOT_FOUND;
        break;
      case GetMessageStatus::kOffsetOverflowBadly:
      case GetMessageStatus::kOffsetTooSmall:
        resp.code = ResponseCode::PULL_OFFSET_MOVED;
        break;
    }
    switch (resp.code) {
      case ResponseCode::SUCCESS: {
        stats_.OnGet(rt_.Now(), h.consumer_group, h.topic, r.message_count());
        common::Bytes body = r.ConcatenatedBody();
        resp.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
        break;
      }
      case ResponseCode::PULL_NOT_FOUND:
        if (allow_suspend && has_suspend) {
          Duration hold =
              config_.long_polling_enable ? milliseconds(suspend_ms) : config_.short_polling_time;
          PullRequest held{.request = request,
                           .responder = responder,
                           .suspend_time = rt_.Now(),
                           .timeout = hold,
                           .pull_from_offset = h.queue_offset,
                           .filter = filter};
          hold_->SuspendPullRequest(h.topic, h.queue_id, std::move(held));
          resp.code = -1;  // held: no answer now
        }
        break;
      case ResponseCode::PULL_OFFSET_MOVED:
        if (is_slave() && !store_config_.offset_check_in_slave) {
          // A slave does not judge offsets: retry at once, from the group's broker.
          resp.SetExtFieldInt("suggestWhichBrokerId", group->broker_id);
          resp.code = ResponseCode::PULL_RETRY_IMMEDIATELY;
          break;
        }
        // On a master Java also writes an OffsetMovedEvent to OFFSET_MOVED_EVENT; traced here.
        rt_.Trace(TraceEvent("BrokerPullOffsetMoved", Severity::kWarn)
                      .Detail("Group", h.consumer_group)
                      .Detail("Topic", h.topic)
                      .Detail("QueueId", h.queue_id)
                      .Detail("RequestOffset", h.queue_offset)
                      .Detail("NewOffset", r.next_begin_offset));
        break;
      default:
        break;
    }
  }
  // The commit offset rides on the first run only, and never on a slave.
  if (allow_suspend && has_commit && !is_slave()) {
    offsets_->CommitOffset(remote, h.consumer_group, h.topic, h.queue_id, h.commit_offset);
  }
  if (resp.code == -1) return std::nullopt;
  return resp;
}

void Broker::RerunPull(PullRequest request) {
  // executeRequestWhenWakeup: the whole request again, without suspension.
  if (stopping_) return;
  Reply reply = ProcessPull(request.request, request.responder, false);
  if (reply) request.responder.Respond(std::move(*reply));
}

}  // namespace rmqsim::broker
