// Records a run's history (scenarios/proto/history.proto) from outside the simulated processes:
// client apps report each operation here, and it survives their deaths. Times are virtual.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <google/protobuf/arena.h>

#include "scenarios/proto/history.pb.h"
#include "sim/base/status.h"
#include "system/client/send_result.h"
#include "system/common/stored_message.h"

namespace rmqsim::scenarios {

class HistoryRecorder {
 public:
  // `now_ns`: the world's virtual time in nanoseconds.
  explicit HistoryRecorder(std::function<int64_t()> now_ns);

  history::History& history() { return *history_; }
  const history::History& history() const { return *history_; }
  // Hands the history over (it lives on the recorder's arena, which the pointer keeps alive);
  // the recorder must not be used after.
  std::shared_ptr<const history::History> Release();

  // A send was invoked; returns its index for Complete.
  int Invoke(const std::string& producer, const std::string& key, const std::string& topic,
             const std::string& tags, uint64_t body_hash, int32_t body_size,
             const std::string& mode);
  // The answer of a send (for a batch, call once per message with its index in the batch).
  void Complete(int index, const StatusOr<client::SendResult>& result, int index_in_batch = 0);
  // ONEWAY: no answer ever comes; recorded as UNKNOWN at once.
  void CompleteOneway(int index, const Status& sent);
  // A message handed to a listener.
  void Delivered(const std::string& consumer, const std::string& group,
                 const std::string& pulled_topic, const std::string& broker,
                 const common::MessageExt& m, bool consumed);

  // Called with the broker group of every SEND_OK (dangerous-moment faults listen).
  std::function<void(const std::string& group)> on_send_ok;
  // When set: the broker a SEND_OK was stored on, from its offsetMsgId (sends through a proxy
  // reach a broker the producer did not pick); empty: the producer's choice stands.
  std::function<std::string(const std::string& offset_msg_id)> store_broker;

  uint64_t sends_in_flight() const { return in_flight_; }

 private:
  std::function<int64_t()> now_ns_;
  // A run records hundreds of thousands of records: an arena makes each allocation a pointer
  // bump and frees them all at once.
  std::unique_ptr<google::protobuf::Arena> arena_;
  history::History* history_;
  uint64_t in_flight_ = 0;
};

uint64_t BodyHash(const common::Bytes& body);

}  // namespace rmqsim::scenarios
