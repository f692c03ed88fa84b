// PullRequestHoldService (broker/.../longpolling/PullRequestHoldService.java and
// NotifyMessageArrivingListener in 4.9.8): PULL_MESSAGE requests that found nothing and carry the
// SUSPEND flag are held per topic@queueId. A held request is run again (never to be held twice):
//   - when a message arrives on its queue (the store's dispatch) beyond the offset it asked for
//     and its tags code passes the request's filter;
//   - at the periodic check (every 5 s with long polling, every shortPollingTimeMills without),
//     if the queue's max offset has moved past its offset, or its hold time has passed.
// So a request held for 15 s is answered between 15 and 20 s after it arrived when nothing comes,
// exactly as in Java. Re-runs are posted to the executor (Java hands them to the pull thread
// pool), never run inside the store's dispatch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "system/remoting/remoting_command.h"
#include "system/remoting/responder.h"
#include "system/store/get_message_result.h"

namespace rmqsim::broker {

struct PullRequest {
  remoting::RemotingCommand request;
  remoting::Responder responder;
  MonoTime suspend_time{};
  Duration timeout{};
  int64_t pull_from_offset = 0;
  store::MessageFilter filter;
};

class PullRequestHoldService {
 public:
  // executeRequestWhenWakeup.
  using Rerun = std::function<void(PullRequest request)>;
  using MaxOffsetFn = std::function<int64_t(const std::string& topic, int32_t queue_id)>;

  PullRequestHoldService(Runtime& rt, Duration check_interval, MaxOffsetFn max_offset, Rerun rerun);
  ~PullRequestHoldService();

  void Start();
  void Shutdown();

  void SuspendPullRequest(const std::string& topic, int32_t queue_id, PullRequest request);
  // notifyMessageArriving. `tags_code` absent (the periodic check) matches every filter.
  void NotifyMessageArriving(const std::string& topic, int32_t queue_id, int64_t max_offset,
                             std::optional<int64_t> tags_code);
  // checkHoldRequest: one periodic pass.
  void CheckHoldRequest();

  size_t held() const;

  // The invariant checked at the start of every periodic pass (RMQ_SIM_ASSERT): no held request
  // was already due at the previous pass, i.e. a request is never held past its deadline by more
  // than the time between two passes (the check interval, plus however late the pass ran).
  // Returns a description of the first violation, or "" (tests call it directly).
  std::string CheckNoOverdueRequest() const;
  // Tests only: holds `request` as it is (its suspend time may lie in the past).
  void HoldForTesting(const std::string& topic, int32_t queue_id, PullRequest request) {
    SuspendPullRequest(topic, queue_id, std::move(request));
  }
  std::optional<MonoTime> last_check() const { return last_check_; }

 private:
  void ScheduleCheck();

  Runtime& rt_;
  Duration check_interval_;
  MaxOffsetFn max_offset_;
  Rerun rerun_;
  std::map<std::pair<std::string, int32_t>, std::vector<PullRequest>> table_;
  TimerId timer_;
  std::optional<MonoTime> last_check_;  // when the previous periodic pass ran
  bool running_ = false;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::broker
