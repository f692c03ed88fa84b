#include "scenarios/workloads/client_apps.h"

#include <algorithm>
#include <set>

#include "system/common/byte_buffer.h"

namespace rmqsim::scenarios {

namespace {
std::string_view ModeName(scenario::SendMode m) {
  switch (m) {
    case scenario::ASYNC: return "ASYNC";
    case scenario::ONEWAY: return "ONEWAY";
    case scenario::BATCH: return "BATCH";
    default: return "SYNC";
  }
}
}  // namespace

// ------------------------------------------------------------------------------ producer

ProducerApp::ProducerApp(Runtime& rt, ProducerSpec spec, HistoryRecorder* recorder)
    : rt_(rt), spec_(std::move(spec)), instance_(rt, spec_.settings.client), recorder_(recorder) {}

Status ProducerApp::Start() {
  producer_ = std::make_unique<client::DefaultMQProducer>(instance_, spec_.settings.producer);
  RMQ_RETURN_IF_ERROR(producer_->Start());
  nonce_ = rt_.random().Next64() % 1'000'000'000;
  scope_.Spawn(Loop());
  return Status::Ok();
}

void ProducerApp::Stop(std::function<void()> done) { scope_.Spawn(StopTask(std::move(done))); }

Task<void> ProducerApp::StopTask(std::function<void()> done) {
  if (producer_) co_await producer_->Shutdown();
  co_await instance_.Shutdown();
  rt_.executor().Post(std::move(done));
}

// Starts one send every interval whether or not earlier ones have finished (the configured rate),
// with at most max_in_flight outstanding (a slot is skipped beyond that).
Task<void> ProducerApp::Loop() {
  uint64_t seq = 0;
  while (true) {
    co_await Sleep(rt_.executor(), spec_.interval);
    if (paused_ || in_flight_ >= spec_.max_in_flight) continue;
    ++seq;
    if (spec_.mode == scenario::BATCH) {
      scope_.Spawn(SendBatch(seq));
    } else {
      scope_.Spawn(SendOne(seq));
    }
  }
}

common::Message ProducerApp::MakeMessage(uint64_t seq, int* index_out) {
  std::string key = spec_.name + "-" + std::to_string(nonce_) + "-" + std::to_string(seq);
  size_t size = static_cast<size_t>(spec_.body_min);
  if (spec_.body_max > spec_.body_min) {
    size += rt_.random().Below(static_cast<uint64_t>(spec_.body_max - spec_.body_min + 1));
  }
  std::string body = "payload of " + key + " ";
  if (body.size() < size) body.resize(size, '.');
  common::Message msg(spec_.topic, common::BytesFromString(body));
  std::string tags;
  if (!spec_.tags.empty()) {
    tags = spec_.tags[seq % spec_.tags.size()];
    msg.SetTags(tags);
  }
  msg.SetKeys(key);
  *index_out = recorder_->Invoke(spec_.name, key, spec_.topic, tags, BodyHash(msg.body()),
                                 static_cast<int32_t>(msg.body().size()),
                                 std::string(ModeName(spec_.mode)));
  return msg;
}

Task<void> ProducerApp::SendOne(uint64_t seq) {
  ++in_flight_;
  int index = 0;
  common::Message msg = MakeMessage(seq, &index);
  HistoryRecorder* rec = recorder_;
  switch (spec_.mode) {
    case scenario::ONEWAY: {
      Status s = co_await producer_->SendOneway(std::move(msg));
      rec->CompleteOneway(index, s);
      break;
    }
    case scenario::ASYNC: {
      // The callback may outlive this process (it is dropped with it): record through the
      // recorder, which outlives every process; the slot is freed at once, as an async send is.
      producer_->SendAsync(std::move(msg),
                           [rec, index](StatusOr<client::SendResult> r) { rec->Complete(index, r); });
      break;
    }
    default: {
      auto r = co_await producer_->Send(std::move(msg));
      rec->Complete(index, r);
      break;
    }
  }
  --in_flight_;
}

Task<void> ProducerApp::SendBatch(uint64_t seq) {
  ++in_flight_;
  std::vector<common::Message> msgs;
  std::vector<int> indexes;
  for (int i = 0; i < spec_.batch_size; ++i) {
    int index = 0;
    msgs.push_back(MakeMessage(seq * 1000 + static_cast<uint64_t>(i), &index));
    indexes.push_back(index);
  }
  auto r = co_await producer_->SendBatch(std::move(msgs));
  for (size_t i = 0; i < indexes.size(); ++i) recorder_->Complete(indexes[i], r, static_cast<int>(i));
  --in_flight_;
}

// ------------------------------------------------------------------------------ push consumer

PushConsumerApp::PushConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder)
    : rt_(rt), spec_(std::move(spec)), instance_(rt, spec_.settings.client), recorder_(recorder) {}

Status PushConsumerApp::Start() {
  consumer_ = std::make_unique<client::DefaultMQPushConsumer>(instance_, spec_.settings.consumer);
  RMQ_RETURN_IF_ERROR(consumer_->Subscribe(spec_.topic, spec_.subscription));
  HistoryRecorder* rec = recorder_;
  Runtime* rt = &rt_;
  const ConsumerSpec* spec = &spec_;
  consumer_->RegisterMessageListener(
      [rec, rt, spec](const std::vector<common::MessageExt>& msgs,
                      client::ConsumeConcurrentlyContext& ctx) {
        bool fail = spec->failure_rate > 0 && rt->random().Bernoulli(spec->failure_rate);
        if (spec->slow_rate > 0 && rt->random().Bernoulli(spec->slow_rate)) {
          ctx.consume_time = spec->slow_duration;
        }
        for (const auto& m : msgs) {
          rec->Delivered(spec->name, spec->group, ctx.message_queue.topic,
                         ctx.message_queue.broker_name, m, !fail);
        }
        return fail ? client::ConsumeConcurrentlyStatus::RECONSUME_LATER
                    : client::ConsumeConcurrentlyStatus::CONSUME_SUCCESS;
      });
  return consumer_->Start();
}

void PushConsumerApp::Stop(std::function<void()> done) { scope_.Spawn(StopTask(std::move(done))); }

Task<void> PushConsumerApp::StopTask(std::function<void()> done) {
  if (consumer_) co_await consumer_->Shutdown();
  co_await instance_.Shutdown();
  rt_.executor().Post(std::move(done));
}

// ------------------------------------------------------------------------------ pull consumer

PullConsumerApp::PullConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder)
    : rt_(rt), spec_(std::move(spec)), instance_(rt, spec_.settings.client), recorder_(recorder) {}

Status PullConsumerApp::Start() {
  consumer_ = std::make_unique<client::DefaultMQPullConsumer>(
      instance_, client::PullConsumerConfig{.consumer_group = spec_.group});
  RMQ_RETURN_IF_ERROR(consumer_->Start());
  scope_.Spawn(Run());
  return Status::Ok();
}

void PullConsumerApp::Stop(std::function<void()> done) {
  stopping_ = true;
  scope_.Spawn(StopTask(std::move(done)));
}

Task<void> PullConsumerApp::StopTask(std::function<void()> done) {
  if (consumer_) co_await consumer_->Shutdown();
  co_await instance_.Shutdown();
  rt_.executor().Post(std::move(done));
}

Task<void> PullConsumerApp::Run() {
  // The topic's queues, once the name servers know them.
  std::set<client::MessageQueue> mqs;
  while (!stopping_) {
    auto r = co_await consumer_->FetchSubscribeMessageQueues(spec_.topic);
    if (r.ok() && !r->empty()) {
      mqs = std::move(*r);
      break;
    }
    co_await Sleep(rt_.executor(), seconds(1));
  }
  int i = 0;
  for (const auto& mq : mqs) {
    if (i++ % spec_.count == spec_.index) scope_.Spawn(PullQueue(mq));
  }
}

Task<void> PullConsumerApp::PullQueue(client::MessageQueue mq) {
  int64_t offset = -1;
  while (!stopping_) {
    if (offset < 0) {
      offset = co_await consumer_->FetchConsumeOffset(mq, /*from_store=*/true);
      if (offset < 0) offset = 0;  // no offset stored yet: the queue's beginning
    }
    auto r = co_await consumer_->PullBlockIfNotFound(mq, spec_.subscription, offset, 32);
    if (stopping_) co_return;
    if (!r.ok()) {
      offset = -1;  // ask the broker again (it may be another broker after a failover)
      co_await Sleep(rt_.executor(), seconds(1));
      continue;
    }
    for (const auto& m : r->msg_found_list) {
      recorder_->Delivered(spec_.name, spec_.group, mq.topic, mq.broker_name, m, true);
    }
    offset = r->next_begin_offset;
    consumer_->UpdateConsumeOffset(mq, offset);
  }
}

// ------------------------------------------------------------------------------ pop consumer

PopConsumerApp::PopConsumerApp(Runtime& rt, ConsumerSpec spec, HistoryRecorder* recorder)
    : rt_(rt), spec_(std::move(spec)), instance_(rt, spec_.settings.client), recorder_(recorder) {}

Status PopConsumerApp::Start() {
  client::PopConsumerConfig config;
  config.consumer_group = spec_.group;
  config.invisible_time = spec_.invisible_time;
  config.poll_time = spec_.poll_time;
  consumer_ = std::make_unique<client::DefaultMQPopConsumer>(instance_, config);
  RMQ_RETURN_IF_ERROR(consumer_->Subscribe(spec_.topic, spec_.subscription));
  HistoryRecorder* rec = recorder_;
  Runtime* rt = &rt_;
  const ConsumerSpec* spec = &spec_;
  consumer_->RegisterListener([rec, rt, spec](const client::PopMessage& m) {
    bool fail = spec->failure_rate > 0 && rt->random().Bernoulli(spec->failure_rate);
    rec->Delivered(spec->name, spec->group, m.popped_topic, m.broker_name, m.ext, !fail);
    return !fail;
  });
  return consumer_->Start();
}

void PopConsumerApp::Stop(std::function<void()> done) { scope_.Spawn(StopTask(std::move(done))); }

Task<void> PopConsumerApp::StopTask(std::function<void()> done) {
  if (consumer_) co_await consumer_->Shutdown();
  co_await instance_.Shutdown();
  rt_.executor().Post(std::move(done));
}

// ------------------------------------------------------------------------------ topic admin

TopicAdminApp::TopicAdminApp(Runtime& rt, std::vector<Address> brokers,
                             std::vector<TopicSpec> topics)
    : rt_(rt), client_(rt), brokers_(std::move(brokers)), topics_(std::move(topics)) {}

Status TopicAdminApp::Start() {
  for (const auto& b : brokers_) {
    for (const auto& t : topics_) CreateOn(b, t);
  }
  return Status::Ok();
}

void TopicAdminApp::CreateOn(Address broker, TopicSpec topic) {
  auto req = remoting::RemotingCommand::CreateRequest(remoting::RequestCode::UPDATE_AND_CREATE_TOPIC);
  req.SetExtField("topic", topic.name);
  req.SetExtField("defaultTopic", "TBW102");
  req.SetExtFieldInt("readQueueNums", topic.queues);
  req.SetExtFieldInt("writeQueueNums", topic.queues);
  req.SetExtFieldInt("perm", 6);
  req.SetExtField("topicFilterType", "SINGLE_TAG");
  req.SetExtFieldBool("order", false);
  client_.Invoke(broker, req, seconds(3),
                 guard_.Wrap([this, broker, topic](StatusOr<remoting::RemotingCommand> r) {
                   if (r.ok() && r->code == remoting::ResponseCode::SUCCESS) {
                     ++created_;
                     return;
                   }
                   rt_.executor().ScheduleAfter(
                       seconds(1), guard_.Wrap([this, broker, topic] { CreateOn(broker, topic); }));
                 }));
}

}  // namespace rmqsim::scenarios
