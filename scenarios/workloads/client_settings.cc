#include "scenarios/workloads/client_settings.h"

#include <charconv>
#include <string>

namespace rmqsim::scenarios {

namespace {

StatusOr<int64_t> Int(std::string_view key, std::string_view v, int64_t lo, int64_t hi) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) {
    return InvalidArgumentError(std::string(key) + ": \"" + std::string(v) + "\" is not an integer");
  }
  if (out < lo || out > hi) {
    return InvalidArgumentError(std::string(key) + ": " + std::to_string(out) + " is outside " +
                                std::to_string(lo) + ".." + std::to_string(hi));
  }
  return out;
}

StatusOr<bool> Bool(std::string_view key, std::string_view v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return InvalidArgumentError(std::string(key) + ": \"" + std::string(v) + "\" is not true/false");
}

Status Producer(client::ProducerConfig& p, std::string_view key, std::string_view v) {
  if (key == "sendMsgTimeout") {
    RMQ_ASSIGN_OR_RETURN(int64_t ms, Int(key, v, 1, 3'600'000));
    p.send_msg_timeout = milliseconds(ms);
  } else if (key == "retryTimesWhenSendFailed") {
    RMQ_ASSIGN_OR_RETURN(int64_t n, Int(key, v, 0, 16));
    p.retry_times_when_send_failed = static_cast<int32_t>(n);
  } else if (key == "retryTimesWhenSendAsyncFailed") {
    RMQ_ASSIGN_OR_RETURN(int64_t n, Int(key, v, 0, 16));
    p.retry_times_when_send_async_failed = static_cast<int32_t>(n);
  } else if (key == "retryAnotherBrokerWhenNotStoreOK") {
    RMQ_ASSIGN_OR_RETURN(p.retry_another_broker_when_not_store_ok, Bool(key, v));
  } else if (key == "sendLatencyFaultEnable") {
    RMQ_ASSIGN_OR_RETURN(p.send_latency_fault_enable, Bool(key, v));
  } else if (key == "maxMessageSize") {
    RMQ_ASSIGN_OR_RETURN(int64_t n, Int(key, v, 1, 64 * 1024 * 1024));
    p.max_message_size = static_cast<int32_t>(n);
  } else if (key == "compressMsgBodyOverHowmuch") {
    RMQ_ASSIGN_OR_RETURN(int64_t n, Int(key, v, 0, INT32_MAX));
    p.compress_msg_body_over_howmuch = static_cast<int32_t>(n);
  } else {
    return NotFoundError(std::string(key));
  }
  return Status::Ok();
}

Status Consumer(client::PushConsumerConfig& c, std::string_view key, std::string_view v) {
  auto int32 = [&](int32_t& field, int64_t lo, int64_t hi) -> Status {
    RMQ_ASSIGN_OR_RETURN(int64_t n, Int(key, v, lo, hi));
    field = static_cast<int32_t>(n);
    return Status::Ok();
  };
  if (key == "pullBatchSize") return int32(c.pull_batch_size, 1, 1024);
  if (key == "consumeMessageBatchMaxSize") return int32(c.consume_message_batch_max_size, 1, 1024);
  if (key == "pullThresholdForQueue") return int32(c.pull_threshold_for_queue, 1, 65535);
  if (key == "pullThresholdSizeForQueue") {
    return int32(c.pull_threshold_size_for_queue_mib, 1, 1024);
  }
  if (key == "consumeConcurrentlyMaxSpan") return int32(c.consume_concurrently_max_span, 1, 65535);
  if (key == "pullInterval") {
    RMQ_ASSIGN_OR_RETURN(int64_t ms, Int(key, v, 0, 65535));
    c.pull_interval = milliseconds(ms);
    return Status::Ok();
  }
  if (key == "brokerSuspendMaxTimeMillis") {
    RMQ_ASSIGN_OR_RETURN(int64_t ms, Int(key, v, 1, 3'600'000));
    c.broker_suspend_max_time = milliseconds(ms);
    return Status::Ok();
  }
  if (key == "consumerTimeoutMillisWhenSuspend") {
    RMQ_ASSIGN_OR_RETURN(int64_t ms, Int(key, v, 1, 3'600'000));
    c.consumer_timeout_when_suspend = milliseconds(ms);
    return Status::Ok();
  }
  if (key == "postSubscriptionWhenPull") {
    RMQ_ASSIGN_OR_RETURN(c.post_subscription_when_pull, Bool(key, v));
    return Status::Ok();
  }
  if (key == "consumeFromWhere") {
    using common::ConsumeFromWhere;
    if (v == "CONSUME_FROM_LAST_OFFSET") {
      c.consume_from_where = ConsumeFromWhere::kConsumeFromLastOffset;
    } else if (v == "CONSUME_FROM_FIRST_OFFSET") {
      c.consume_from_where = ConsumeFromWhere::kConsumeFromFirstOffset;
    } else if (v == "CONSUME_FROM_TIMESTAMP") {
      c.consume_from_where = ConsumeFromWhere::kConsumeFromTimestamp;
    } else {
      return InvalidArgumentError(std::string(key) + ": \"" + std::string(v) +
                                  "\" is not CONSUME_FROM_LAST_OFFSET, "
                                  "CONSUME_FROM_FIRST_OFFSET or CONSUME_FROM_TIMESTAMP");
    }
    return Status::Ok();
  }
  return NotFoundError(std::string(key));
}

}  // namespace

Status ApplyClientSetting(ClientSettings& s, ClientRole role, std::string_view key,
                          std::string_view value) {
  if (key == "namesrvAddr" || key == "clientIP" || key == "instanceName") {
    return InvalidArgumentError(std::string(key) + ": set by the scenario runner");
  }
  Status st = client::ApplyClientConfigProperty(s.client, key, value);
  if (st.code() != StatusCode::kNotFound) return st;
  if (role != ClientRole::kConsumer) {
    st = Producer(s.producer, key, value);
    if (st.code() != StatusCode::kNotFound) return st;
  }
  if (role != ClientRole::kProducer) {
    st = Consumer(s.consumer, key, value);
    if (st.code() != StatusCode::kNotFound) return st;
  }
  return InvalidArgumentError(std::string(key) + ": unknown " +
                              (role == ClientRole::kProducer   ? "producer"
                               : role == ClientRole::kConsumer ? "consumer"
                                                               : "client") +
                              " setting");
}

}  // namespace rmqsim::scenarios
