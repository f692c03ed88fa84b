#include "system/broker/pull_request_hold_service.h"

#include "sim/base/assert.h"
#include "sim/base/buggify.h"

namespace rmqsim::broker {

PullRequestHoldService::PullRequestHoldService(Runtime& rt, Duration check_interval,
                                               MaxOffsetFn max_offset, Rerun rerun)
    : rt_(rt),
      check_interval_(check_interval),
      max_offset_(std::move(max_offset)),
      rerun_(std::move(rerun)) {}

PullRequestHoldService::~PullRequestHoldService() {
  rt_.executor().Cancel(timer_);
}

void PullRequestHoldService::Start() {
  running_ = true;
  ScheduleCheck();
}

void PullRequestHoldService::Shutdown() {
  running_ = false;
  rt_.executor().Cancel(timer_);
  table_.clear();  // held requests are dropped; their callers time out or see the channel close
}

void PullRequestHoldService::ScheduleCheck() {
  Duration wait = check_interval_;
  // BUGGIFY: the pass runs up to half a check interval late (Java's PullRequestHoldService
  // thread, waitForRunning(5 s), behind a GC pause or a busy CPU), so an idle long poll is
  // answered up to 22.5 s after it arrived instead of 20 s (a pull consumer's 20 s hold: 27.5 s),
  // still inside the clients' 30 s timeout.
  if (RMQ_BUGGIFY(rt_)) wait += rt_.random().UniformDuration(Duration::zero(), check_interval_ / 2);
  timer_ = rt_.executor().ScheduleAfter(wait, guard_.Wrap([this] {
    CheckHoldRequest();
    if (running_) ScheduleCheck();
  }));
}

size_t PullRequestHoldService::held() const {
  size_t n = 0;
  for (const auto& [key, list] : table_) n += list.size();
  return n;
}

void PullRequestHoldService::SuspendPullRequest(const std::string& topic, int32_t queue_id,
                                                PullRequest request) {
  table_[{topic, queue_id}].push_back(std::move(request));
}

std::string PullRequestHoldService::CheckNoOverdueRequest() const {
  if (!last_check_) return "";
  for (const auto& [key, list] : table_) {
    for (const PullRequest& r : list) {
      const MonoTime deadline = r.suspend_time + r.timeout;
      if (deadline < *last_check_) {
        return "pull of " + key.first + "@" + std::to_string(key.second) + " from offset " +
               std::to_string(r.pull_from_offset) + " (opaque " +
               std::to_string(r.request.opaque) + ") was due at " + FormatMonoTime(deadline) +
               " but is still held after the pass at " + FormatMonoTime(*last_check_) +
               " (now " + FormatMonoTime(rt_.Now()) + ")";
      }
    }
  }
  return "";
}

void PullRequestHoldService::CheckHoldRequest() {
  if (InSimulation()) {
    std::string overdue = CheckNoOverdueRequest();
    RMQ_SIM_ASSERT_MSG(overdue.empty(), overdue);
  }
  last_check_ = rt_.Now();
  std::vector<std::pair<std::string, int32_t>> keys;
  for (const auto& [key, list] : table_) keys.push_back(key);
  for (const auto& [topic, queue_id] : keys) {
    NotifyMessageArriving(topic, queue_id, max_offset_(topic, queue_id), std::nullopt);
  }
}

void PullRequestHoldService::NotifyMessageArriving(const std::string& topic, int32_t queue_id,
                                                   int64_t max_offset,
                                                   std::optional<int64_t> tags_code) {
  auto it = table_.find({topic, queue_id});
  if (it == table_.end()) return;
  std::vector<PullRequest> requests = std::move(it->second);
  table_.erase(it);
  std::vector<PullRequest> replay;
  const MonoTime now = rt_.Now();
  for (auto& r : requests) {
    int64_t newest = max_offset;
    if (newest <= r.pull_from_offset) newest = max_offset_(topic, queue_id);
    bool wake = false;
    if (newest > r.pull_from_offset && r.filter.IsMatchedByConsumeQueue(tags_code)) wake = true;
    if (!wake && now >= r.suspend_time + r.timeout) wake = true;
    // BUGGIFY: a held pull released at a periodic pass before its time, with nothing new for it
    // (the rerun answers PULL_NOT_FOUND, nextBeginOffset = its offset), and the client pulls
    // again at once. Java's pass wakes requests on any max-offset move regardless of their tag
    // filter, and a broker may answer a suspended pull at any time before its suspend timeout.
    if (!wake && !tags_code && RMQ_BUGGIFY(rt_)) wake = true;
    if (!wake) {
      replay.push_back(std::move(r));
      continue;
    }
    rt_.executor().Post(
        guard_.Wrap([this, req = std::move(r)]() mutable { rerun_(std::move(req)); }));
  }
  if (!replay.empty()) {
    auto& list = table_[{topic, queue_id}];
    for (auto& r : replay) list.push_back(std::move(r));
  }
}

}  // namespace rmqsim::broker
