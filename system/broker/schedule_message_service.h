// ScheduleMessageService (store/.../schedule/ScheduleMessageService.java in 4.9.8), simplified:
// delivers the messages the store parked in SCHEDULE_TOPIC_XXXX (queue = delay level - 1; the
// consume-queue tags code is the delivery time) back into their REAL_TOPIC / REAL_QID once the
// delay has passed. This is how retries sent back by consumers (CONSUMER_SEND_MSG_BACK, delay
// level 3 + reconsumeTimes) reach %RETRY%<group>.
//
// Per level: one message at a time, in queue order. A message not yet due arms a timer for its
// delivery time; an empty level sleeps until the store dispatches a new message to it. A failed
// re-put is retried after 10 s (Java's DELAY_FOR_A_PERIOD). The next offset of each level is
// persisted as <storePathRootDir>/config/delayOffset.json every flushDelayOffsetInterval and at
// shutdown ({"offsetTable":{"1":5,"3":2}}); after a kill, messages delivered since the last
// persist are delivered again (at least once, as in Java).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/runtime.h"
#include "system/broker/config_file.h"
#include "system/store/default_message_store.h"

namespace rmqsim::broker {

class ScheduleMessageService {
 public:
  ScheduleMessageService(Runtime& rt, store::DefaultMessageStore& store, std::string offset_path,
                         Duration persist_interval);
  ~ScheduleMessageService();

  // Parses the store's messageDelayLevel and loads delayOffset.json.
  Status Load();
  // First check of every level 1 s after start (FIRST_DELAY_TIME).
  void Start();
  // Stops the timers and persists the offsets once more.
  void Shutdown(ConfigFile::DoneCallback done);

  // The store's dispatch listener for SCHEDULE_TOPIC_XXXX (tags code = delivery time in ms).
  void OnDispatch(int32_t queue_id, int64_t deliver_ms);

  int64_t offset(int32_t level) const;
  uint64_t delivered() const { return delivered_; }
  std::string EncodeOffsets() const;
  // SlaveSynchronize.syncDelayOffset: the master's delayOffset.json content replaces ours (a
  // slave does not deliver; the offsets matter if it is ever restarted as a master).
  Status SyncFromMaster(const std::string& json);

 private:
  struct Level {
    Duration delay{};
    int64_t offset = 0;
    TimerId timer;
    bool busy = false;  // a re-put is in flight
  };
  void Arm(int32_t level, Duration delay);
  void Check(int32_t level);
  void PersistTick();
  Status ApplyOffsets(const std::string& text);

  Runtime& rt_;
  store::DefaultMessageStore& store_;
  ConfigFile file_;
  Duration persist_interval_;
  std::map<int32_t, Level> levels_;  // by level, 1-based
  TimerId persist_timer_;
  bool running_ = false;
  uint64_t delivered_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::broker
