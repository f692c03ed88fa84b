#include "system/common/pop_protocol.h"

#include "system/common/java_string.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {

using json_internal::Json;
using json_internal::ObjectReader;

std::string ReviveTopic(std::string_view cluster_name) {
  return std::string(kReviveTopicPrefix) + std::string(cluster_name);
}

std::string PopRetryTopic(std::string_view group, std::string_view topic) {
  return "%RETRY%" + std::string(group) + "_" + std::string(topic);
}

int PopCheckPoint::IndexOf(int64_t queue_offset) const {
  for (size_t i = 0; i < queue_offset_diff.size(); ++i) {
    if (start_offset + queue_offset_diff[i] == queue_offset) return static_cast<int>(i);
  }
  return -1;
}

// fastjson writes the keys sorted.
std::string EncodePopCheckPoint(const PopCheckPoint& ck) {
  Json d = Json::array();
  for (int32_t v : ck.queue_offset_diff) d.push_back(v);
  json_internal::ObjectWriter w(false);
  w.Value("bm", ck.bit_map);
  w.Value("bn", ck.broker_name);
  w.Value("c", ck.cid);
  w.Value("d", d);
  w.Value("it", ck.invisible_time);
  w.Value("n", ck.num);
  w.Value("pt", ck.pop_time);
  w.Value("q", ck.queue_id);
  w.Value("ro", ck.revive_offset);
  w.Value("so", ck.start_offset);
  w.Value("t", ck.topic);
  return w.Finish();
}

StatusOr<PopCheckPoint> DecodePopCheckPoint(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "PopCheckPoint"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "PopCheckPoint"));
  PopCheckPoint ck;
  RMQ_RETURN_IF_ERROR(r.Int64("so", &ck.start_offset, true));
  RMQ_RETURN_IF_ERROR(r.Int64("pt", &ck.pop_time, true));
  RMQ_RETURN_IF_ERROR(r.Int64("it", &ck.invisible_time, true));
  RMQ_RETURN_IF_ERROR(r.Int32("bm", &ck.bit_map));
  RMQ_RETURN_IF_ERROR(r.Int32("n", &ck.num, true));
  RMQ_RETURN_IF_ERROR(r.Int32("q", &ck.queue_id, true));
  RMQ_RETURN_IF_ERROR(r.String("t", &ck.topic, true));
  RMQ_RETURN_IF_ERROR(r.String("c", &ck.cid, true));
  RMQ_RETURN_IF_ERROR(r.Int64("ro", &ck.revive_offset));
  RMQ_RETURN_IF_ERROR(r.String("bn", &ck.broker_name));
  RMQ_ASSIGN_OR_RETURN(const Json* d, r.Array("d", true));
  for (size_t i = 0; i < d->size(); ++i) {
    int32_t v = 0;
    RMQ_RETURN_IF_ERROR(
        json_internal::AsInt32((*d)[i], r.PathOf("d") + "[" + std::to_string(i) + "]", &v));
    ck.queue_offset_diff.push_back(v);
  }
  if (ck.num != static_cast<int32_t>(ck.queue_offset_diff.size())) {
    return InvalidArgumentError("PopCheckPoint.n is " + std::to_string(ck.num) + " but d has " +
                                std::to_string(ck.queue_offset_diff.size()) + " entries");
  }
  return ck;
}

std::string EncodeAckMsg(const AckMsg& ack) {
  json_internal::ObjectWriter w(false);
  w.Value("ao", ack.ack_offset);
  w.Value("bn", ack.broker_name);
  w.Value("c", ack.consumer_group);
  w.Value("pt", ack.pop_time);
  w.Value("q", ack.queue_id);
  w.Value("so", ack.start_offset);
  w.Value("t", ack.topic);
  return w.Finish();
}

StatusOr<AckMsg> DecodeAckMsg(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, json_internal::Parse(json, "AckMsg"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "AckMsg"));
  AckMsg a;
  RMQ_RETURN_IF_ERROR(r.Int64("ao", &a.ack_offset, true));
  RMQ_RETURN_IF_ERROR(r.Int64("so", &a.start_offset, true));
  RMQ_RETURN_IF_ERROR(r.String("c", &a.consumer_group, true));
  RMQ_RETURN_IF_ERROR(r.String("t", &a.topic, true));
  RMQ_RETURN_IF_ERROR(r.Int32("q", &a.queue_id, true));
  RMQ_RETURN_IF_ERROR(r.Int64("pt", &a.pop_time, true));
  RMQ_RETURN_IF_ERROR(r.String("bn", &a.broker_name));
  return a;
}

std::string PopMergeKey(std::string_view topic, std::string_view group, int32_t queue_id,
                        int64_t start_offset, int64_t pop_time) {
  std::string k;
  k.append(topic).append("@").append(group).append("@").append(std::to_string(queue_id));
  k.append("@").append(std::to_string(start_offset)).append("@").append(std::to_string(pop_time));
  return k;
}

std::string BuildExtraInfo(const ExtraInfo& e) {
  return std::to_string(e.ck_queue_offset) + " " + std::to_string(e.pop_time) + " " +
         std::to_string(e.invisible_time) + " " + std::to_string(e.revive_qid) + " " +
         e.retry_flag + " " + e.broker_name + " " + std::to_string(e.queue_id) + " " +
         std::to_string(e.queue_offset);
}

namespace {
std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t p = 0;
  while (true) {
    size_t q = s.find(sep, p);
    out.push_back(s.substr(p, q == std::string_view::npos ? std::string_view::npos : q - p));
    if (q == std::string_view::npos) break;
    p = q + 1;
  }
  return out;
}
}  // namespace

StatusOr<ExtraInfo> ParseExtraInfo(std::string_view text) {
  auto f = SplitOn(text, ' ');
  if (f.size() != 8) {
    return InvalidArgumentError("extraInfo '" + std::string(text) + "' has " +
                                std::to_string(f.size()) + " fields, not 8");
  }
  ExtraInfo e;
  RMQ_ASSIGN_OR_RETURN(e.ck_queue_offset, ParseJavaLong(f[0], "extraInfo ckQueueOffset"));
  RMQ_ASSIGN_OR_RETURN(e.pop_time, ParseJavaLong(f[1], "extraInfo popTime"));
  RMQ_ASSIGN_OR_RETURN(e.invisible_time, ParseJavaLong(f[2], "extraInfo invisibleTime"));
  RMQ_ASSIGN_OR_RETURN(e.revive_qid, ParseJavaInt(f[3], "extraInfo reviveQid"));
  e.retry_flag = std::string(f[4]);
  if (e.retry_flag != "0" && e.retry_flag != "1" && e.retry_flag != "2") {
    return InvalidArgumentError("extraInfo retry flag '" + e.retry_flag + "' is not 0, 1 or 2");
  }
  e.broker_name = std::string(f[5]);
  if (e.broker_name.empty()) return InvalidArgumentError("extraInfo brokerName is empty");
  RMQ_ASSIGN_OR_RETURN(e.queue_id, ParseJavaInt(f[6], "extraInfo queueId"));
  RMQ_ASSIGN_OR_RETURN(e.queue_offset, ParseJavaLong(f[7], "extraInfo queueOffset"));
  return e;
}

void PopOffsetInfo::AddStart(std::string_view retry_flag, int32_t queue_id, int64_t start_offset) {
  starts_.emplace_back(std::string(retry_flag) + " " + std::to_string(queue_id), start_offset);
}

void PopOffsetInfo::AddMessages(std::string_view retry_flag, int32_t queue_id,
                                const std::vector<int64_t>& offsets) {
  msgs_.emplace_back(std::string(retry_flag) + " " + std::to_string(queue_id), offsets);
}

std::string PopOffsetInfo::StartOffsetInfo() const {
  std::string out;
  for (const auto& [key, v] : starts_) {
    if (!out.empty()) out += ";";
    out += key + " " + std::to_string(v);
  }
  return out;
}

std::string PopOffsetInfo::MsgOffsetInfo() const {
  std::string out;
  for (const auto& [key, offs] : msgs_) {
    if (!out.empty()) out += ";";
    out += key + " ";
    for (size_t i = 0; i < offs.size(); ++i) {
      if (i > 0) out += ",";
      out += std::to_string(offs[i]);
    }
  }
  return out;
}

StatusOr<PopOffsetInfo> PopOffsetInfo::Parse(std::string_view start_info,
                                             std::string_view msg_info) {
  PopOffsetInfo info;
  auto entry = [](std::string_view e, std::string_view what)
      -> StatusOr<std::pair<std::string, std::string_view>> {
    auto f = SplitOn(e, ' ');
    if (f.size() != 3) {
      return InvalidArgumentError(std::string(what) + " entry '" + std::string(e) +
                                  "' is not 'retryFlag queueId value'");
    }
    RMQ_RETURN_IF_ERROR(ParseJavaInt(f[1], what).status());
    return std::make_pair(std::string(f[0]) + " " + std::string(f[1]), f[2]);
  };
  if (!start_info.empty()) {
    for (std::string_view e : SplitOn(start_info, ';')) {
      RMQ_ASSIGN_OR_RETURN(auto kv, entry(e, "startOffsetInfo"));
      RMQ_ASSIGN_OR_RETURN(int64_t v, ParseJavaLong(kv.second, "startOffsetInfo offset"));
      info.starts_.emplace_back(kv.first, v);
    }
  }
  if (!msg_info.empty()) {
    for (std::string_view e : SplitOn(msg_info, ';')) {
      RMQ_ASSIGN_OR_RETURN(auto kv, entry(e, "msgOffsetInfo"));
      std::vector<int64_t> offs;
      for (std::string_view o : SplitOn(kv.second, ',')) {
        RMQ_ASSIGN_OR_RETURN(int64_t v, ParseJavaLong(o, "msgOffsetInfo offset"));
        offs.push_back(v);
      }
      info.msgs_.emplace_back(kv.first, std::move(offs));
    }
  }
  return info;
}

int64_t PopOffsetInfo::StartOf(std::string_view retry_flag, int32_t queue_id) const {
  std::string key = std::string(retry_flag) + " " + std::to_string(queue_id);
  for (const auto& [k, v] : starts_) {
    if (k == key) return v;
  }
  return -1;
}

}  // namespace rmqsim::common
