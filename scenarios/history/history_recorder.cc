#include "scenarios/history/history_recorder.h"

#include <utility>

#include "sim/base/hash.h"
#include "system/common/message_const.h"

namespace rmqsim::scenarios {

uint64_t BodyHash(const common::Bytes& body) { return Fnv1a64(std::span<const std::byte>(body)); }

HistoryRecorder::HistoryRecorder(std::function<int64_t()> now_ns)
    : now_ns_(std::move(now_ns)),
      arena_(std::make_unique<google::protobuf::Arena>()),
      history_(google::protobuf::Arena::CreateMessage<history::History>(arena_.get())) {}

std::shared_ptr<const history::History> HistoryRecorder::Release() {
  std::shared_ptr<google::protobuf::Arena> arena(std::move(arena_));
  return std::shared_ptr<const history::History>(arena, std::exchange(history_, nullptr));
}

int HistoryRecorder::Invoke(const std::string& producer, const std::string& key,
                            const std::string& topic, const std::string& tags, uint64_t body_hash,
                            int32_t body_size, const std::string& mode) {
  history::Send* s = history_->add_sends();
  s->set_id(static_cast<uint64_t>(history_->sends_size()));
  s->set_producer(producer);
  s->set_key(key);
  s->set_topic(topic);
  s->set_tags(tags);
  s->set_body_hash(body_hash);
  s->set_body_size(body_size);
  s->set_invoke_ns(now_ns_());
  s->set_outcome(history::PENDING);
  s->set_mode(mode);
  ++in_flight_;
  return history_->sends_size() - 1;
}

void HistoryRecorder::Complete(int index, const StatusOr<client::SendResult>& r,
                               int index_in_batch) {
  history::Send* s = history_->mutable_sends(index);
  if (s->outcome() != history::PENDING) return;
  --in_flight_;
  s->set_complete_ns(now_ns_());
  if (!r.ok()) {
    // The client refused it before sending (bad message, no route at all) only for argument
    // errors; everything else (timeouts, resets, broker errors after retries) may have stored it.
    s->set_outcome(r.status().code() == StatusCode::kInvalidArgument ? history::FAIL
                                                                      : history::UNKNOWN);
    s->set_error(r.status().ToString());
    return;
  }
  s->set_outcome(history::OK);
  s->set_status(std::string(client::SendStatusName(r->send_status)));
  s->set_broker(r->message_queue.broker_name);
  s->set_queue(r->message_queue.queue_id);
  s->set_queue_offset(r->queue_offset + index_in_batch);
  // A batch answers comma-joined ids: take this message's.
  std::string ids = r->offset_msg_id;
  for (int i = 0; i < index_in_batch; ++i) {
    auto comma = ids.find(',');
    ids = comma == std::string::npos ? std::string() : ids.substr(comma + 1);
  }
  s->set_msg_id(ids.substr(0, ids.find(',')));
  if (store_broker) {
    const std::string b = store_broker(s->msg_id());
    if (!b.empty()) s->set_broker(b);
  }
  if (r->send_status == client::SendStatus::SEND_OK && on_send_ok) on_send_ok(s->broker());
}

void HistoryRecorder::CompleteOneway(int index, const Status& sent) {
  history::Send* s = history_->mutable_sends(index);
  if (s->outcome() != history::PENDING) return;
  --in_flight_;
  s->set_complete_ns(now_ns_());
  s->set_outcome(sent.ok() || sent.code() != StatusCode::kInvalidArgument ? history::UNKNOWN
                                                                          : history::FAIL);
  if (!sent.ok()) s->set_error(sent.ToString());
}

void HistoryRecorder::Delivered(const std::string& consumer, const std::string& group,
                                const std::string& pulled_topic, const std::string& broker,
                                const common::MessageExt& m, bool consumed) {
  history::Delivery* d = history_->add_deliveries();
  d->set_time_ns(now_ns_());
  d->set_consumer(consumer);
  d->set_group(group);
  d->set_topic(m.message.topic());
  d->set_broker(broker);
  d->set_queue(m.queue_id);
  d->set_queue_offset(m.queue_offset);
  d->set_msg_id(m.OffsetMsgId());
  d->set_key(m.message.keys());
  d->set_tags(m.message.tags());
  d->set_body_hash(BodyHash(m.message.body()));
  d->set_reconsume_times(m.reconsume_times);
  d->set_consumed(consumed);
  d->set_pulled_topic(pulled_topic);
  // Through a proxy the route's broker name is not where the message was stored.
  if (store_broker) {
    const std::string b = store_broker(d->msg_id());
    if (!b.empty()) d->set_broker(b);
  }
  auto origin = m.message.GetProperty(common::kPropertyOriginMessageId);
  d->set_origin_msg_id(origin ? *origin : d->msg_id());
}

}  // namespace rmqsim::scenarios
