#include "system/broker/schedule_message_service.h"

#include <algorithm>

#include "system/common/java_string.h"
#include "system/common/message_const.h"
#include "system/common/stored_message.h"
#include "system/common/topic_validator.h"

namespace rmqsim::broker {

namespace {
const std::string kScheduleTopic(common::kRmqSysScheduleTopic);
const std::string kScheduleGroup = "SCHEDULE_CONSUMER";
constexpr Duration kFirstDelay = seconds(1);         // FIRST_DELAY_TIME
constexpr Duration kRetryDelay = seconds(10);        // DELAY_FOR_A_PERIOD
constexpr Duration kWhileDelay = milliseconds(100);  // DELAY_FOR_A_WHILE
constexpr int32_t kBatch = 32;
}  // namespace

ScheduleMessageService::ScheduleMessageService(Runtime& rt, store::DefaultMessageStore& store,
                                               std::string offset_path, Duration persist_interval)
    : rt_(rt),
      store_(store),
      file_(rt, std::move(offset_path)),
      persist_interval_(persist_interval) {}

ScheduleMessageService::~ScheduleMessageService() {
  for (auto& [l, level] : levels_) rt_.executor().Cancel(level.timer);
  rt_.executor().Cancel(persist_timer_);
}

Status ScheduleMessageService::Load() {
  auto delays = store::ParseDelayLevels(store_.config().message_delay_level);
  if (!delays.ok()) return delays.status();
  for (size_t i = 0; i < delays->size(); ++i) {
    levels_[static_cast<int32_t>(i + 1)].delay = (*delays)[i];
  }
  return file_.Load([this](const std::string& text) { return ApplyOffsets(text); });
}

Status ScheduleMessageService::SyncFromMaster(const std::string& json) {
  // SlaveSynchronize.syncDelayOffset writes the master's text to delayOffset.json as it is; the
  // table in memory becomes what a restart would load from it (levels it lacks start at 0).
  std::map<int32_t, int64_t> before;
  for (auto& [l, level] : levels_) {
    before[l] = level.offset;
    level.offset = 0;
  }
  if (Status st = ApplyOffsets(json); !st.ok()) {
    for (auto& [l, level] : levels_) level.offset = before[l];
    return st;
  }
  file_.Persist(json);
  return Status::Ok();
}

// {"offsetTable":{"1":5}} (fastjson may write bare integer keys: {1:5}).
Status ScheduleMessageService::ApplyOffsets(const std::string& text) {
  {
    std::map<int32_t, int64_t> parsed;
    size_t pos = text.find("offsetTable");
    if (pos == std::string::npos) return InvalidArgumentError("no offsetTable");
    pos = text.find('{', pos);
    size_t end = text.find('}', pos);
    if (pos == std::string::npos || end == std::string::npos) {
      return InvalidArgumentError("offsetTable is not an object");
    }
    std::string body = text.substr(pos + 1, end - pos - 1);
    size_t p = 0;
    while (p < body.size()) {
      size_t comma = body.find(',', p);
      std::string item = body.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
      p = comma == std::string::npos ? body.size() : comma + 1;
      size_t colon = item.find(':');
      if (colon == std::string::npos) {
        if (common::JavaTrim(item).empty()) continue;
        return InvalidArgumentError("bad offsetTable entry '" + item + "'");
      }
      std::string key(common::JavaTrim(item.substr(0, colon)));
      std::erase(key, '"');
      auto level = common::ParseJavaInt(key, "level");
      auto offset = common::ParseJavaLong(common::JavaTrim(item.substr(colon + 1)), "offset");
      if (!level.ok()) return level.status();
      if (!offset.ok()) return offset.status();
      parsed[*level] = *offset;
    }
    for (auto [l, off] : parsed) {
      auto it = levels_.find(l);
      if (it != levels_.end()) it->second.offset = off;
    }
    return Status::Ok();
  }
}

std::string ScheduleMessageService::EncodeOffsets() const {
  std::string out = "{\"offsetTable\":{";
  bool first = true;
  for (const auto& [l, level] : levels_) {
    if (level.offset == 0) continue;
    if (!first) out += ",";
    first = false;
    out += "\"" + std::to_string(l) + "\":" + std::to_string(level.offset);
  }
  out += "}}";
  return out;
}

int64_t ScheduleMessageService::offset(int32_t level) const {
  auto it = levels_.find(level);
  return it == levels_.end() ? 0 : it->second.offset;
}

void ScheduleMessageService::Start() {
  running_ = true;
  for (auto& [l, level] : levels_) Arm(l, kFirstDelay);
  persist_timer_ =
      rt_.executor().ScheduleAfter(persist_interval_, guard_.Wrap([this] { PersistTick(); }));
}

void ScheduleMessageService::PersistTick() {
  file_.Persist(EncodeOffsets());
  if (running_) {
    persist_timer_ =
        rt_.executor().ScheduleAfter(persist_interval_, guard_.Wrap([this] { PersistTick(); }));
  }
}

void ScheduleMessageService::Shutdown(ConfigFile::DoneCallback done) {
  running_ = false;
  for (auto& [l, level] : levels_) rt_.executor().Cancel(level.timer);
  rt_.executor().Cancel(persist_timer_);
  file_.Persist(EncodeOffsets(), std::move(done));
}

void ScheduleMessageService::Arm(int32_t level, Duration delay) {
  if (!running_) return;
  Level& lv = levels_.at(level);
  rt_.executor().Cancel(lv.timer);
  lv.timer = rt_.executor().ScheduleAfter(delay, guard_.Wrap([this, level] {
    levels_.at(level).timer = {};
    Check(level);
  }));
}

void ScheduleMessageService::OnDispatch(int32_t queue_id, int64_t deliver_ms) {
  auto it = levels_.find(queue_id + 1);
  if (it == levels_.end() || !running_) return;
  Level& lv = it->second;
  // Entries of one level arrive in delivery order: a pending timer is never later than this.
  if (lv.busy || lv.timer.valid()) return;
  int64_t wait_ms = std::max<int64_t>(0, deliver_ms - ToUnixMillis(rt_.WallNow()));
  Arm(it->first, milliseconds(wait_ms));
}

void ScheduleMessageService::Check(int32_t level) {
  if (!running_) return;
  Level& lv = levels_.at(level);
  if (lv.busy) return;
  const int32_t queue_id = level - 1;
  int64_t min = store_.GetMinOffsetInQueue(kScheduleTopic, queue_id);
  if (lv.offset < min) lv.offset = min;
  if (lv.offset >= store_.GetMaxOffsetInQueue(kScheduleTopic, queue_id)) return;  // idle
  auto result =
      store_.GetMessage(kScheduleGroup, kScheduleTopic, queue_id, lv.offset, kBatch, 0, nullptr);
  if (!result.ok()) {
    Arm(level, kRetryDelay);
    return;
  }
  if (result->status != store::GetMessageStatus::kFound) {
    lv.offset = std::max(lv.offset, result->next_begin_offset);
    Arm(level, kWhileDelay);
    return;
  }
  const int64_t now_ms = ToUnixMillis(rt_.WallNow());
  const int64_t delay_ms = ToMillis(lv.delay);
  for (size_t i = 0; i < result->message_buffers.size(); ++i) {
    const int64_t queue_offset = result->message_queue_offsets[i];
    auto msg = common::DecodeStoredMessage(result->message_buffers[i], {.check_crc = false});
    if (!msg.ok()) {  // unreadable: skip it, as Java logs and moves on
      lv.offset = queue_offset + 1;
      continue;
    }
    // correctDeliverTimestamp: never later than now + the level's delay.
    int64_t deliver = std::min(msg->store_timestamp_ms + delay_ms, now_ms + delay_ms);
    if (deliver > now_ms) {
      lv.offset = queue_offset;
      Arm(level, milliseconds(deliver - now_ms));
      return;
    }
    // messageTimeup: back to REAL_TOPIC / REAL_QID without DELAY, WAIT=false.
    store::PutMessageRequest put;
    put.message = msg->message;
    put.message.set_topic(put.message.real_topic());
    auto qid = put.message.RealQueueId();
    put.queue_id = qid.ok() && qid->has_value() ? **qid : 0;
    put.message.ClearProperty(common::kPropertyDelayTimeLevel);
    put.message.SetWaitStoreMsgOk(false);
    put.sys_flag = msg->sys_flag;
    put.born_timestamp_ms = msg->born_timestamp_ms;
    put.born_host = msg->born_host;
    put.store_host = msg->store_host;
    put.reconsume_times = msg->reconsume_times;
    if (put.message.topic().empty()) {  // no REAL_TOPIC: nothing to deliver to
      lv.offset = queue_offset + 1;
      continue;
    }
    lv.busy = true;
    std::string topic = put.message.topic();
    store_.PutMessage(
        std::move(put), guard_.Wrap([this, level, queue_offset, topic](store::PutMessageResult r) {
          Level& l = levels_.at(level);
          l.busy = false;
          if (store::IsStored(r.status)) {
            l.offset = queue_offset + 1;
            ++delivered_;
            Check(level);
          } else {
            rt_.Trace(TraceEvent("BrokerScheduleDeliverFailed", Severity::kWarn)
                          .Detail("Level", level)
                          .Detail("QueueOffset", queue_offset)
                          .Detail("Topic", topic)
                          .Detail("Status", std::string(store::PutMessageStatusName(r.status))));
            Arm(level, kRetryDelay);
          }
        }));
    return;
  }
  Arm(level, Duration::zero());
}

}  // namespace rmqsim::broker
