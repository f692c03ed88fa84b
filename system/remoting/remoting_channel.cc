#include "system/remoting/remoting_channel.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "sim/base/assert.h"
#include "sim/base/buggify.h"

namespace rmqsim::remoting {

namespace {
// An encode buffer that grew past this (a large body went out) is released after the send.
constexpr size_t kScratchKeepBytesMax = 1 << 20;
// Simulation-only bookkeeping bounds (see the members in the header).
// BUGGIFY small writes: frames up to this size are split, only while nothing is buffered, so a
// piece can never be refused after an earlier one went out (the send buffer holds 32 MiB).
constexpr size_t kSmallWritesFrameMax = 64 * 1024;
}  // namespace

std::string_view ChannelSideName(ChannelSide side) {
  return side == ChannelSide::kServer ? "server" : "client";
}

std::shared_ptr<RemotingChannel> RemotingChannel::Create(Runtime& rt,
                                                         std::shared_ptr<Connection> connection,
                                                         ChannelOptions options,
                                                         std::shared_ptr<OpaqueSequence> opaques) {
  return std::shared_ptr<RemotingChannel>(
      new RemotingChannel(rt, std::move(connection), options, std::move(opaques)));
}

RemotingChannel::RemotingChannel(Runtime& rt, std::shared_ptr<Connection> connection,
                                 ChannelOptions options, std::shared_ptr<OpaqueSequence> opaques)
    : rt_(rt),
      conn_(std::move(connection)),
      options_(options),
      opaques_(opaques ? std::move(opaques) : std::make_shared<OpaqueSequence>()),
      id_(conn_->id()),
      local_(conn_->local_address()),
      remote_(conn_->peer_address()),
      decoder_(options.frame_length_max) {
  RMQ_ASSERT_MSG(options_.inflight_requests_max > 0, "inflight_requests_max must be positive");
}

RemotingChannel::~RemotingChannel() {
  // Owners Close() or Abandon() their channels; a channel dropped while open is abandoned. A
  // closed channel no longer touches the runtime, so it may be released late.
  if (open_) Abandon();
}

void RemotingChannel::Start(RequestHandler on_request, CloseHandler on_close) {
  RMQ_ASSERT_MSG(!started_, "RemotingChannel::Start called twice");
  started_ = true;
  on_request_ = std::move(on_request);
  on_close_ = std::move(on_close);
  rt_.Trace(TraceEvent("RemotingChannelOpened")
                .Detail("ChannelId", id_)
                .Detail("Side", std::string(ChannelSideName(options_.side)))
                .Detail("Local", local_.ToString())
                .Detail("Remote", remote_.ToString()));
  if (!open_) return;  // closed before it started
  std::weak_ptr<RemotingChannel> weak = weak_from_this();
  conn_->Start(
      [weak](std::span<const std::byte> bytes) {
        if (auto self = weak.lock()) self->OnData(bytes);
      },
      [weak](const Status& status) {
        if (auto self = weak.lock()) self->OnPeerClosed(status);
      });
  last_activity_ = rt_.Now();
  ArmIdleTimer();
}

// --------------------------------------------------------------------------- receiving

void RemotingChannel::OnData(std::span<const std::byte> bytes) {
  if (!open_) return;
  auto self = shared_from_this();  // handlers may drop every other reference
  const MonoTime now = rt_.Now();
  last_activity_ = now;
  const bool had_partial = decoder_.buffered_bytes() > 0;
  const uint64_t frames_before = decoder_.frames_decoded();
  Status s =
      decoder_.Feed(bytes, [this](RemotingCommand c) { return HandleCommand(std::move(c)); });
  const bool same_frame = had_partial && decoder_.frames_decoded() == frames_before;
  if (decoder_.buffered_bytes() > 0 && !same_frame) partial_since_ = now;  // a new frame begun
  if (open_ && same_frame && decoder_.buffered_bytes() > 0 &&
      options_.partial_frame_timeout > Duration::zero() &&
      now - partial_since_ > options_.partial_frame_timeout) {
    // The same frame, begun too long ago, is still incomplete after these bytes.
    rt_.Trace(TraceEvent("RemotingPartialFrameTimeout", Severity::kWarn)
                  .Detail("ChannelId", id_)
                  .Detail("Remote", remote_.ToString())
                  .Detail("Buffered", decoder_.buffered_bytes())
                  .Detail("AgeMs", ToMillis(now - partial_since_)));
    CloseInternal(TimeoutError("a frame from " + remote_.ToString() + " still incomplete after " +
                               FormatDuration(now - partial_since_)));
    return;
  }
  ReportBuffered();
  if (!s.ok() && open_) {
    rt_.Trace(TraceEvent("RemotingDecodeError", Severity::kWarn)
                  .Detail("ChannelId", id_)
                  .Detail("Side", std::string(ChannelSideName(options_.side)))
                  .Detail("Remote", remote_.ToString())
                  .Detail("Error", std::string(StatusCodeName(s.code())))
                  .Detail("Detail", s.message()));
    // Java's decoder logs and closes the channel.
    CloseInternal(s.WithContext("decode error from " + remote_.ToString()));
  }
}

bool RemotingChannel::HandleCommand(RemotingCommand command) {
  if (!open_) return false;
  if (command.is_response()) {
    auto it = pending_.find(command.opaque);
    if (it == pending_.end()) {
      // Late (timed out), an answer to a oneway request (REQUEST_CODE_NOT_SUPPORTED), or bogus
      // (a foreign peer): Java logs and drops it. Invariant (simulation): it is never a second
      // answer to a request of ours that a response already completed.
      RMQ_SIM_ASSERT_MSG(!answered_.contains(command.opaque),
                         "response with opaque " + std::to_string(command.opaque) + " (code " +
                             std::to_string(command.code) + ") from " + remote_.ToString() +
                             " on channel " + std::to_string(id_) +
                             " answers a request that a response already completed (answered "
                             "twice)");
      rt_.Trace(TraceEvent("RemotingResponseUnmatched", Severity::kWarn)
                    .Detail("ChannelId", id_)
                    .Detail("Remote", remote_.ToString())
                    .Detail("Code", command.code)
                    .Detail("Opaque", command.opaque));
      return open_;
    }
    // BUGGIFY: the response is handed to the caller 1-200 ms after it arrived, as when Java's
    // callback executor (publicExecutor) or the thread waiting in invokeSync is slow to run.
    // The request stays pending meanwhile: its timeout or a close of the channel may still end
    // it first (the response is then lost to the caller, as a late future is in Java), and
    // Abandon() drops it; whichever comes first retires it, once.
    if (RMQ_BUGGIFY(rt_)) {
      Duration late = rt_.random().UniformDuration(milliseconds(1), milliseconds(200));
      std::weak_ptr<RemotingChannel> weak = weak_from_this();
      rt_.executor().ScheduleAfter(late, [weak, response = std::move(command)]() mutable {
        if (auto self = weak.lock()) self->CompleteLate(std::move(response));
      });
      return open_;
    }
    Complete(it, std::move(command));
    return open_;
  }
  if (InSimulation() && !command.is_oneway()) ++unanswered_[command.opaque];
  if (on_request_) on_request_(shared_from_this(), std::move(command));
  return open_;
}

void RemotingChannel::CompleteLate(RemotingCommand response) {
  if (!open_ || !*callbacks_enabled_) return;  // the close or Abandon() ended the request
  auto it = pending_.find(response.opaque);
  if (it == pending_.end()) return;  // it timed out meanwhile
  Complete(it, std::move(response));
}

void RemotingChannel::Complete(std::map<int32_t, Pending>::iterator it, RemotingCommand response) {
  const int32_t opaque = it->first;
  Pending p = std::move(it->second);
  pending_.erase(it);
  rt_.executor().Cancel(p.timer);
  Retire(opaque);
  NoteAnswered(opaque);
  p.done(std::move(response));
}

void RemotingChannel::NoteAnswered(int32_t opaque) {
  if (!InSimulation()) return;
  answered_.insert(opaque);
}

void RemotingChannel::OnPeerClosed(const Status& status) {
  if (!open_) return;
  std::string what = status.code() == StatusCode::kConnectionReset ? "connection reset by peer "
                                                                   : "connection closed by peer ";
  CloseInternal(Status(status.code(), what + remote_.ToString()));
}

// --------------------------------------------------------------------------- sending

Status RemotingChannel::Send(const RemotingCommand& command) {
  if (!open_) {
    return ClosedError("channel to " + remote_.ToString() + " is closed (" +
                       close_reason_.ToString() + ")");
  }
  scratch_.clear();
  RMQ_RETURN_IF_ERROR(command.EncodeTo(scratch_));
  // BUGGIFY: the frame leaves in many small writes (a busy socket accepting a few bytes per
  // write, or Netty flushing a composite buffer piece by piece), so the peer's decoder sees
  // partial frames: a length field split in two, a header cut anywhere.
  Status s = scratch_.size() <= kSmallWritesFrameMax && conn_->buffered_bytes() == 0 &&
                     RMQ_BUGGIFY(rt_)
                 ? SendInPieces(AsBytes(scratch_))
                 : conn_->Send(AsBytes(scratch_));
  if (scratch_.capacity() > kScratchKeepBytesMax) std::string().swap(scratch_);
  if (!s.ok()) return s.WithContext("send to " + remote_.ToString());
  last_activity_ = rt_.Now();
  return Status::Ok();
}

Status RemotingChannel::SendInPieces(std::span<const std::byte> bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = std::min(bytes.size() - pos, static_cast<size_t>(rt_.random().UniformInt(1, 16)));
    Status s = conn_->Send(bytes.subspan(pos, n));
    if (!s.ok()) {
      if (pos == 0) return s;  // nothing went out: the frame is refused whole
      // Part of the frame went out: the stream cannot continue. A reset, as a broken socket.
      conn_->Reset();
      CloseInternal(Status(StatusCode::kConnectionReset,
                           "connection to " + remote_.ToString() + " broke mid-frame: " +
                               s.message()));
      return s;
    }
    pos += n;
  }
  return Status::Ok();
}

Status RemotingChannel::SendResponse(const RemotingCommand& response) {
  // Invariant (simulation): a response answers a request that arrived on this channel and has
  // not been answered yet (the opaque echoes the request's).
  if (InSimulation()) {
    auto it = unanswered_.find(response.opaque);
    RMQ_SIM_ASSERT_MSG(it != unanswered_.end(),
                       "response with opaque " + std::to_string(response.opaque) + " (code " +
                           std::to_string(response.code) + ") to " + remote_.ToString() +
                           " on channel " + std::to_string(id_) +
                           " answers no unanswered request received on this channel");
    if (--it->second == 0) unanswered_.erase(it);
  }
  RMQ_ASSERT_MSG(response.is_response(), "SendResponse needs a command marked as a response");
  // BUGGIFY: the response leaves up to 300 ms late (Java's processor thread pool or the Netty
  // worker busy between processing and writeAndFlush). Responses of one channel may then leave
  // in another order than their requests came, which the protocol allows (matched by opaque).
  if (open_ && RMQ_BUGGIFY(rt_)) {
    Duration late = rt_.random().UniformDuration(milliseconds(1), milliseconds(300));
    std::weak_ptr<RemotingChannel> weak = weak_from_this();
    rt_.executor().ScheduleAfter(late, [weak, enabled = callbacks_enabled_, response] {
      auto self = weak.lock();
      if (!self || !*enabled) return;
      Status s = self->Send(response);
      if (!s.ok()) self->TraceResponseNotSent(response, s);
    });
    return Status::Ok();
  }
  return Send(response);
}

void RemotingChannel::TraceResponseNotSent(const RemotingCommand& response, const Status& error) {
  rt_.Trace(TraceEvent("RemotingResponseNotSent",
                       error.code() == StatusCode::kClosed ? Severity::kInfo : Severity::kWarn)
                .Detail("ChannelId", id_)
                .Detail("Remote", remote_.ToString())
                .Detail("Code", response.code)
                .Detail("Opaque", response.opaque)
                .Detail("Error", std::string(StatusCodeName(error.code())))
                .Detail("Detail", error.message()));
}

int32_t RemotingChannel::AllocateOpaque() {
  // After 2^32 requests the counter wraps; skip ids still waiting (at most inflight() of them).
  for (;;) {
    int32_t o = opaques_->Next();
    if (!pending_.contains(o)) return o;
  }
}

std::string RemotingChannel::Describe(int32_t code, int32_t opaque) const {
  return "request code " + std::to_string(code) + " (" + std::string(RequestCodeName(code)) +
         ") opaque " + std::to_string(opaque) + " to " + remote_.ToString();
}

void RemotingChannel::PostFailure(ResponseCallback done, Status status) {
  rt_.executor().Post(
      [enabled = callbacks_enabled_, done = std::move(done), status = std::move(status)] {
        if (*enabled) done(status);
      });
}

void RemotingChannel::Invoke(RemotingCommand request, Duration timeout, ResponseCallback done) {
  RMQ_ASSERT_MSG(done != nullptr, "Invoke needs a callback");
  request.flag &= ~(RemotingCommand::kResponseFlag | RemotingCommand::kOnewayFlag);
  if (!open_) {
    PostFailure(std::move(done),
                Status(close_reason_.code(), Describe(request.code, request.opaque) +
                                                 " not sent: channel closed (" +
                                                 close_reason_.message() + ")"));
    return;
  }
  if (pending_.size() >= options_.inflight_requests_max) {
    rt_.Trace(TraceEvent("RemotingInflightLimit", Severity::kWarn)
                  .Detail("ChannelId", id_)
                  .Detail("Remote", remote_.ToString())
                  .Detail("Limit", options_.inflight_requests_max));
    PostFailure(
        std::move(done),
        ResourceExhaustedError("request code " + std::to_string(request.code) + " to " +
                               remote_.ToString() + " refused: " + std::to_string(pending_.size()) +
                               " requests already in flight (the limit)"));
    return;
  }
  if (timeout <= Duration::zero()) {
    PostFailure(std::move(done),
                TimeoutError("request code " + std::to_string(request.code) + " to " +
                             remote_.ToString() + " had no time left to be sent"));
    return;
  }
  request.opaque = AllocateOpaque();
  Status s = Send(request);
  if (!s.ok()) {
    PostFailure(std::move(done), s.WithContext(Describe(request.code, request.opaque)));
    return;
  }
  const int32_t opaque = request.opaque;
  std::weak_ptr<RemotingChannel> weak = weak_from_this();
  TimerId timer = rt_.executor().ScheduleAfter(timeout, [weak, opaque] {
    if (auto self = weak.lock()) self->OnRequestTimeout(opaque);
  });
  AddPending(opaque, Pending{request.code, timeout, std::move(done), timer});
}

void RemotingChannel::AddPending(int32_t opaque, Pending pending) {
  bool inserted = pending_.emplace(opaque, std::move(pending)).second;
  RMQ_ASSERT_MSG(inserted, "opaque " + std::to_string(opaque) + " is already pending on channel " +
                               std::to_string(id_));
  ++requests_registered_;
}

void RemotingChannel::InjectPendingForTesting(int32_t opaque, int32_t code, Duration timeout,
                                              ResponseCallback done) {
  std::weak_ptr<RemotingChannel> weak = weak_from_this();
  TimerId timer = rt_.executor().ScheduleAfter(timeout, [weak, opaque] {
    if (auto self = weak.lock()) self->OnRequestTimeout(opaque);
  });
  AddPending(opaque, Pending{code, timeout, std::move(done), timer});
}

void RemotingChannel::Retire(int32_t opaque) {
  ++requests_retired_;
  RMQ_ASSERT_MSG(requests_retired_ + pending_.size() == requests_registered_,
                 "channel " + std::to_string(id_) + " to " + remote_.ToString() + ": " +
                     std::to_string(requests_retired_) + " requests retired + " +
                     std::to_string(pending_.size()) + " pending != " +
                     std::to_string(requests_registered_) + " registered");
  if (!InSimulation()) return;
  RMQ_SIM_ASSERT_MSG(recently_retired_.insert(opaque),
                     "request opaque " + std::to_string(opaque) + " to " + remote_.ToString() +
                         " on channel " + std::to_string(id_) + " completed twice");
}

Task<StatusOr<RemotingCommand>> RemotingChannel::Call(RemotingCommand request, Duration timeout) {
  // See RemotingClient::Call for why the parameters are moved in and the result bound first.
  auto start = [this, request = std::move(request), timeout](ResponseCallback done) mutable {
    Invoke(std::move(request), timeout, std::move(done));
  };
  StatusOr<RemotingCommand> result =
      co_await AwaitCallback<StatusOr<RemotingCommand>>(rt_.executor(), std::move(start));
  co_return result;
}

Status RemotingChannel::InvokeOneway(RemotingCommand request) {
  request.flag &= ~RemotingCommand::kResponseFlag;
  request.MarkOneway();
  if (!open_) {
    return ClosedError("oneway request code " + std::to_string(request.code) + " to " +
                       remote_.ToString() + " not sent: channel closed (" +
                       close_reason_.message() + ")");
  }
  request.opaque = AllocateOpaque();
  return Send(request);
}

void RemotingChannel::OnRequestTimeout(int32_t opaque) {
  auto it = pending_.find(opaque);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  Retire(opaque);
  rt_.Trace(TraceEvent("RemotingRequestTimeout", Severity::kWarn)
                .Detail("ChannelId", id_)
                .Detail("Remote", remote_.ToString())
                .Detail("Code", p.code)
                .Detail("Opaque", opaque)
                .Detail("TimeoutMs", ToMillis(p.timeout)));
  p.done(TimeoutError("no response to " + Describe(p.code, opaque) + " within " +
                      FormatDuration(p.timeout)));
}

// --------------------------------------------------------------------------- idle and close

void RemotingChannel::ArmIdleTimer() {
  if (options_.idle_timeout <= Duration::zero() || !open_) return;
  Duration wait = last_activity_ + options_.idle_timeout - rt_.Now();
  std::weak_ptr<RemotingChannel> weak = weak_from_this();
  idle_timer_ = rt_.executor().ScheduleAfter(wait, [weak] {
    if (auto self = weak.lock()) self->OnIdleTimer();
  });
}

void RemotingChannel::OnIdleTimer() {
  idle_timer_ = {};
  if (!open_) return;
  Duration idle_for = rt_.Now() - last_activity_;
  if (idle_for < options_.idle_timeout) {
    ArmIdleTimer();  // there was activity since the timer was set
    return;
  }
  rt_.Trace(TraceEvent("RemotingChannelIdle")
                .Detail("ChannelId", id_)
                .Detail("Side", std::string(ChannelSideName(options_.side)))
                .Detail("Remote", remote_.ToString())
                .Detail("IdleMs", ToMillis(idle_for)));
  CloseInternal(TimeoutError("channel to " + remote_.ToString() + " idle (no read or write) for " +
                             FormatDuration(idle_for)));
}

void RemotingChannel::Close(Status reason) {
  if (!open_) return;
  RMQ_ASSERT_MSG(!reason.ok(), "Close needs a non-OK reason");
  CloseInternal(std::move(reason));
}

void RemotingChannel::ReportBuffered() {
  const size_t now_buffered = open_ ? decoder_.buffered_bytes() : 0;
  if (now_buffered == reported_buffered_ || !options_.on_buffered_change) return;
  const int64_t delta =
      static_cast<int64_t>(now_buffered) - static_cast<int64_t>(reported_buffered_);
  reported_buffered_ = now_buffered;
  options_.on_buffered_change(delta);
}

void RemotingChannel::CloseInternal(Status reason) {
  if (!open_) return;
  open_ = false;
  ReportBuffered();
  close_reason_ = std::move(reason);
  conn_->Close();
  if (idle_timer_.valid()) rt_.executor().Cancel(idle_timer_);
  idle_timer_ = {};
  std::vector<std::pair<int32_t, Pending>> failed;
  failed.reserve(pending_.size());
  while (!pending_.empty()) {
    auto it = pending_.begin();
    const int32_t opaque = it->first;
    rt_.executor().Cancel(it->second.timer);
    failed.emplace_back(opaque, std::move(it->second));
    pending_.erase(it);
    Retire(opaque);
  }
  rt_.Trace(TraceEvent("RemotingChannelClosed")
                .Detail("ChannelId", id_)
                .Detail("Side", std::string(ChannelSideName(options_.side)))
                .Detail("Remote", remote_.ToString())
                .Detail("Reason", std::string(StatusCodeName(close_reason_.code())))
                .Detail("Detail", close_reason_.message())
                .Detail("PendingFailed", failed.size()));
  // Never from inside the caller's stack (Close may be called by a processor or a callback).
  rt_.executor().Post([self = shared_from_this(), enabled = callbacks_enabled_,
                       failed = std::move(failed)]() mutable {
    if (!*enabled) return;
    for (auto& [opaque, p] : failed) {
      p.done(Status(self->close_reason_.code(),
                    self->Describe(p.code, opaque) + " failed: " + self->close_reason_.message()));
      if (!*enabled) return;  // a callback destroyed the owner
    }
    if (self->on_close_) {
      auto on_close = std::move(self->on_close_);
      self->on_close_ = nullptr;
      self->on_request_ = nullptr;
      on_close(self, self->close_reason_);
    }
  });
}

void RemotingChannel::Abandon() {
  *callbacks_enabled_ = false;
  on_request_ = nullptr;
  on_close_ = nullptr;
  if (!open_) return;
  open_ = false;
  close_reason_ = CancelledError("channel abandoned by its owner");
  conn_->Close();
  if (idle_timer_.valid()) rt_.executor().Cancel(idle_timer_);
  idle_timer_ = {};
  while (!pending_.empty()) {
    auto it = pending_.begin();
    const int32_t opaque = it->first;
    rt_.executor().Cancel(it->second.timer);
    pending_.erase(it);
    Retire(opaque);
  }
}

}  // namespace rmqsim::remoting
