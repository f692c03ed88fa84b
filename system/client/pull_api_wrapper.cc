#include "system/client/pull_api_wrapper.h"

#include <utility>

#include "system/client/client_limits.h"
#include "system/common/compression.h"
#include "system/common/message_const.h"
#include "system/common/mix_all.h"
#include "system/common/sys_flag.h"

namespace rmqsim::client {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

std::string_view PullStatusName(PullStatus status) {
  switch (status) {
    case PullStatus::FOUND:
      return "FOUND";
    case PullStatus::NO_NEW_MSG:
      return "NO_NEW_MSG";
    case PullStatus::NO_MATCHED_MSG:
      return "NO_MATCHED_MSG";
    case PullStatus::OFFSET_ILLEGAL:
      return "OFFSET_ILLEGAL";
  }
  return "UNKNOWN";
}

std::string ConsumedMessageId(const common::MessageExt& msg) {
  std::string uniq = msg.message.unique_key();
  return uniq.empty() ? msg.OffsetMsgId() : uniq;
}

int64_t PullAPIWrapper::RecalculatePullFromWhichNode(const MessageQueue& mq) const {
  auto it = pull_from_which_node_.find(mq);
  return it == pull_from_which_node_.end() ? common::kMasterId : it->second;
}

void PullAPIWrapper::UpdatePullFromWhichNode(const MessageQueue& mq, int64_t broker_id) {
  if (pull_from_which_node_.size() >= limits::kProcessQueuesMax &&
      !pull_from_which_node_.contains(mq)) {
    pull_from_which_node_.clear();  // stale entries of queues long gone; masters by default
  }
  pull_from_which_node_[mq] = broker_id;
}

std::optional<std::string> PullAPIWrapper::last_pull_addr(const MessageQueue& mq) const {
  auto it = last_pull_addr_.find(mq);
  if (it == last_pull_addr_.end()) return std::nullopt;
  return it->second;
}

Task<StatusOr<PullResult>> PullAPIWrapper::PullKernelImpl(PullArgs args,
                                                          common::SubscriptionData filter) {
  const MessageQueue mq = args.mq;
  int64_t broker_id = RecalculatePullFromWhichNode(mq);
  auto found = instance_.FindBrokerAddressInSubscribe(mq.broker_name, broker_id, false);
  if (!found) {
    co_await instance_.UpdateTopicRouteInfoFromNameServer(mq.topic);
    found = instance_.FindBrokerAddressInSubscribe(mq.broker_name, broker_id, false);
  }
  if (!found) co_return NotFoundError("The broker[" + mq.broker_name + "] not exist");
  int32_t sys_flag = args.sys_flag;
  if (found->slave) sys_flag = common::ClearCommitOffsetFlag(sys_flag);
  auto req = RemotingCommand::CreateRequest(RequestCode::PULL_MESSAGE);
  req.SetExtField("consumerGroup", group_);
  req.SetExtField("topic", mq.topic);
  req.SetExtFieldInt("queueId", mq.queue_id);
  req.SetExtFieldInt("queueOffset", args.offset);
  req.SetExtFieldInt("maxMsgNums", args.max_nums);
  req.SetExtFieldInt("sysFlag", sys_flag);
  req.SetExtFieldInt("commitOffset", args.commit_offset);
  req.SetExtFieldInt("suspendTimeoutMillis", ToMillis(args.broker_suspend_max_time));
  if (args.sub_expression) req.SetExtField("subscription", *args.sub_expression);
  req.SetExtFieldInt("subVersion", args.sub_version);
  req.SetExtField("expressionType", args.expression_type);
  req.SetExtField("bname", mq.broker_name);
  last_pull_addr_[mq] = found->broker_addr;
  auto r = co_await instance_.Call(found->broker_addr, std::move(req), args.timeout);
  if (!r.ok()) co_return r.status();
  PullResult result;
  switch (r->code) {
    case ResponseCode::SUCCESS:
      result.pull_status = PullStatus::FOUND;
      break;
    case ResponseCode::PULL_NOT_FOUND:
      result.pull_status = PullStatus::NO_NEW_MSG;
      break;
    case ResponseCode::PULL_RETRY_IMMEDIATELY:
      result.pull_status = PullStatus::NO_MATCHED_MSG;
      break;
    case ResponseCode::PULL_OFFSET_MOVED:
      result.pull_status = PullStatus::OFFSET_ILLEGAL;
      break;
    default:
      co_return BrokerError(r->code, r->remark);
  }
  auto suggest = r->GetRequiredInt64("suggestWhichBrokerId");
  auto next = r->GetRequiredInt64("nextBeginOffset");
  auto min = r->GetRequiredInt64("minOffset");
  auto max = r->GetRequiredInt64("maxOffset");
  for (const auto* v : {&suggest, &next, &min, &max}) {
    if (!v->ok()) co_return v->status().WithContext("pull response");
  }
  result.suggest_which_broker_id = *suggest;
  result.next_begin_offset = *next;
  result.min_offset = *min;
  result.max_offset = *max;
  UpdatePullFromWhichNode(mq, *suggest);
  if (result.pull_status == PullStatus::FOUND) {
    // As Java's MessageDecoder.decodes: records one at a time; the first that does not decode,
    // or whose compressed body does not inflate, ends the batch. It and the records after it are
    // skipped (counted and traced), and the queue moves on to nextBeginOffset all the same.
    const common::ByteSpan body = common::AsByteSpan(r->body);
    size_t pos = 0;
    while (pos < body.size()) {
      auto rec = common::DecodeStoredRecord(body.subspan(pos));
      Status bad = !rec.ok()        ? rec.status()
                   : rec->is_blank ? CorruptionError("a blank record in a pull body")
                                   : Status::Ok();
      if (bad.ok() && (rec->message.sys_flag & common::kCompressedFlag) != 0) {
        auto inflated = common::ZlibUncompress(rec->message.message.body(),
                                               limits::kUncompressedBodyBytesMax);
        if (inflated.ok()) {
          rec->message.message.set_body(std::move(*inflated));
        } else {
          bad = inflated.status().WithContext("message body");
        }
      }
      if (!bad.ok()) {
        result.undecodable = CountRecords(body.subspan(pos));
        instance_.runtime().Trace(TraceEvent("ClientPullUndecodable", Severity::kWarn)
                                      .Detail("Queue", mq.ToString())
                                      .Detail("FromOffset", args.offset)
                                      .Detail("NextBeginOffset", result.next_begin_offset)
                                      .Detail("Skipped", static_cast<int64_t>(result.undecodable))
                                      .Detail("Error", bad.ToString()));
        break;
      }
      pos += static_cast<size_t>(rec->total_size);
      common::MessageExt& m = rec->message;
      if (!filter.tags_set.empty() && !filter.class_filter_mode) {
        std::string tags = m.message.tags();
        if (tags.empty() || !filter.tags_set.contains(tags)) continue;
      }
      m.message.PutProperty(common::kPropertyMinOffset, std::to_string(result.min_offset));
      m.message.PutProperty(common::kPropertyMaxOffset, std::to_string(result.max_offset));
      result.msg_found_list.push_back(std::move(m));
    }
  }
  co_return result;
}

int32_t PullAPIWrapper::CountRecords(common::ByteSpan bytes) {
  // By TOTALSIZE while it is plausible; at least the record that failed.
  int32_t n = 0;
  size_t pos = 0;
  while (pos + 4 <= bytes.size()) {
    const auto b = [&](size_t i) { return static_cast<uint32_t>(bytes[pos + i]); };
    const uint32_t size = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    ++n;
    if (size < 4 || size > bytes.size() - pos) break;
    pos += size;
  }
  return std::max<int32_t>(n, 1);
}

}  // namespace rmqsim::client
