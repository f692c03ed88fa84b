// RemotingChannel: one remoting connection, the same on both sides (Netty's Channel plus the
// response table of NettyRemotingAbstract). It frames and decodes what arrives, hands requests
// to its owner, matches responses to the requests it sent (by opaque, in any order), times them
// out, and closes itself on a decode error or after an idle period.
//
// Owned by shared_ptr: RemotingServer and RemotingClient keep their open channels; processors
// keep a handle (through a Responder) as long as they like. Everything is harmless after close:
// Send returns kClosed, Invoke fails with kClosed, Close does nothing.
//
// Callbacks run on the runtime's executor:
//   - Invoke's `done` runs exactly once: with the response (from the event that received it),
//     with kTimeout (from the timer), or with an error. It never runs inside Invoke itself.
//   - The close handler runs once, after the close, from a posted event, after the pending
//     requests have been failed.
//   - After Abandon() (the owner is being destroyed) nothing runs any more.
// A channel must be destroyed (or abandoned) before its Runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/address.h"
#include "sim/runtime/network.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/task.h"
#include "system/remoting/frame_decoder.h"
#include "system/remoting/limits.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {

// Which end of the TCP connection this process is (for traces).
enum class ChannelSide : uint8_t { kServer, kClient };
std::string_view ChannelSideName(ChannelSide side);

struct ChannelOptions {
  ChannelSide side = ChannelSide::kServer;
  // Close after this long without a read or a write; zero or negative: never.
  Duration idle_timeout = limits::kChannelIdleTimeoutDefault;
  size_t inflight_requests_max = limits::kInflightRequestsPerChannelMax;
  uint32_t frame_length_max = limits::kFrameLengthMax;
  // An incomplete frame older than this when more bytes arrive closes the channel; zero: never.
  Duration partial_frame_timeout = limits::kPartialFrameTimeoutDefault;
  // Told each change of the bytes held for incomplete frames (and their release at close).
  std::function<void(int64_t delta)> on_buffered_change;
};

// Request ids (opaque) of one endpoint. Like Java's process-wide counter: starts at 0, counts up
// by one and wraps through the negative values.
class OpaqueSequence {
 public:
  int32_t Next() { return static_cast<int32_t>(next_++); }

 private:
  uint32_t next_ = 0;
};

// The largest `capacity` opaques inserted, sorted (the channel's simulation-only cross-checks).
// Opaques come from an increasing counter, so an insert is almost always an append, and
// dropping the smallest when full drops the oldest.
class OpaqueWindow {
 public:
  explicit OpaqueWindow(size_t capacity) : capacity_(capacity) {}
  bool contains(int32_t opaque) const {
    return std::binary_search(sorted_.begin(), sorted_.end(), opaque);
  }
  // False when it is already there.
  bool insert(int32_t opaque) {
    auto it = sorted_.end();
    if (!sorted_.empty() && opaque <= sorted_.back()) {
      it = std::lower_bound(sorted_.begin(), sorted_.end(), opaque);
      if (it != sorted_.end() && *it == opaque) return false;
    }
    sorted_.insert(it, opaque);
    if (sorted_.size() > capacity_) sorted_.pop_front();
    return true;
  }

 private:
  std::deque<int32_t> sorted_;
  size_t capacity_;
};

class RemotingChannel : public std::enable_shared_from_this<RemotingChannel> {
 public:
  using ResponseCallback = std::function<void(StatusOr<RemotingCommand>)>;
  using RequestHandler =
      std::function<void(const std::shared_ptr<RemotingChannel>& channel, RemotingCommand request)>;
  using CloseHandler =
      std::function<void(const std::shared_ptr<RemotingChannel>& channel, const Status& reason)>;

  // Wraps an established connection (not yet started). `opaques` is shared by the channels of
  // one endpoint.
  static std::shared_ptr<RemotingChannel> Create(Runtime& rt,
                                                 std::shared_ptr<Connection> connection,
                                                 ChannelOptions options,
                                                 std::shared_ptr<OpaqueSequence> opaques);
  ~RemotingChannel();
  RemotingChannel(const RemotingChannel&) = delete;
  RemotingChannel& operator=(const RemotingChannel&) = delete;

  // Starts reading. `on_request` gets every request (and oneway request) that arrives;
  // `on_close` is told once when the channel closes, for whatever reason. Call once.
  void Start(RequestHandler on_request, CloseHandler on_close);

  // The connection's id: unique within the runtime (and stable across runs in simulation).
  uint64_t id() const { return id_; }
  ChannelSide side() const { return options_.side; }
  const Address& remote_address() const { return remote_; }
  const Address& local_address() const { return local_; }
  bool is_open() const { return open_; }
  // Why the channel closed; OK while it is open.
  const Status& close_reason() const { return close_reason_; }
  // Requests sent on this channel still waiting for their response.
  size_t inflight() const { return pending_.size(); }
  uint64_t frames_received() const { return decoder_.frames_decoded(); }
  // Bytes received of a frame not yet complete.
  size_t buffered_input_bytes() const { return decoder_.buffered_bytes(); }

  // Sends a command as it is (flags, opaque and serialization type untouched). Errors: kClosed,
  // kResourceExhausted (the connection's send buffer is full; nothing was queued),
  // kInvalidArgument (the command cannot be encoded).
  Status Send(const RemotingCommand& command);

  // Sends `request` with a fresh opaque (its own is replaced, and the response and oneway bits
  // cleared) and calls `done` with the response, or with: kTimeout (no response within
  // `timeout`), the close reason's code (the channel closed first: kClosed, kConnectionReset,
  // ...), kResourceExhausted (inflight_requests_max reached, or the send buffer is full),
  // kInvalidArgument (cannot be encoded).
  void Invoke(RemotingCommand request, Duration timeout, ResponseCallback done);
  // The same as a coroutine. The channel must outlive the awaiting.
  Task<StatusOr<RemotingCommand>> Call(RemotingCommand request, Duration timeout);

  // Marks `request` oneway, gives it a fresh opaque and sends it. No response is expected.
  Status InvokeOneway(RemotingCommand request);

  // Closes the connection (orderly: queued bytes still go out). Pending requests fail with
  // `reason`'s code; the close handler is told. Idempotent.
  void Close(Status reason = ClosedError("closed locally"));

  // Sends the response to a request this channel received (what a Responder calls). In
  // simulation, checks that a request with that opaque arrived here and is still unanswered.
  // Under BUGGIFY the response may leave up to 300 ms later (then a failure is traced, and this
  // returns OK).
  Status SendResponse(const RemotingCommand& response);

  // Records (trace event RemotingResponseNotSent) that `response` could not be sent.
  void TraceResponseNotSent(const RemotingCommand& response, const Status& error);

  // Bookkeeping of the requests this channel sent: every request given a callback is retired
  // exactly once (answered, timed out, failed by the close, or dropped by Abandon()).
  uint64_t requests_registered() const { return requests_registered_; }
  uint64_t requests_retired() const { return requests_retired_; }

  // Tests only: registers a pending request under `opaque` as if it had been sent (nothing is
  // written), to build the broken states the invariants must catch.
  void InjectPendingForTesting(int32_t opaque, int32_t code, Duration timeout,
                               ResponseCallback done);

  // For an owner being destroyed: closes the connection and drops every callback unrun (pending
  // requests are never answered, the close handler is not told).
  void Abandon();

 private:
  struct Pending {
    int32_t code = 0;
    Duration timeout{};
    ResponseCallback done;
    TimerId timer;
  };

  RemotingChannel(Runtime& rt, std::shared_ptr<Connection> connection, ChannelOptions options,
                  std::shared_ptr<OpaqueSequence> opaques);

  // Reports the change of decoder_.buffered_bytes() (zero once closed) to on_buffered_change.
  void ReportBuffered();
  void OnData(std::span<const std::byte> bytes);
  void OnPeerClosed(const Status& status);
  // Returns whether decoding should go on.
  bool HandleCommand(RemotingCommand command);
  // Completes a pending request with a response that arrived earlier (BUGGIFY late callback).
  void CompleteLate(RemotingCommand response);
  // Ends a pending request with its response: timer cancelled, retired, callback run.
  void Complete(std::map<int32_t, Pending>::iterator it, RemotingCommand response);
  // Simulation only: remembers that a response completed `opaque`.
  void NoteAnswered(int32_t opaque);
  void OnRequestTimeout(int32_t opaque);
  void ArmIdleTimer();
  void OnIdleTimer();
  void CloseInternal(Status reason);
  int32_t AllocateOpaque();
  void PostFailure(ResponseCallback done, Status status);
  std::string Describe(int32_t code, int32_t opaque) const;
  // Registers a pending request (the timeout timer is armed by the caller).
  void AddPending(int32_t opaque, Pending pending);
  // Every completion of a pending request goes through here, after it left pending_:
  // RMQ_ASSERT that registered = retired + pending; in simulation, that the opaque was not
  // completed before (a window of the most recent completions).
  void Retire(int32_t opaque);
  // Splits an encoded frame into several small writes (BUGGIFY only).
  Status SendInPieces(std::span<const std::byte> bytes);

  Runtime& rt_;
  std::shared_ptr<Connection> conn_;
  ChannelOptions options_;
  std::shared_ptr<OpaqueSequence> opaques_;
  uint64_t id_;
  Address local_;
  Address remote_;
  FrameDecoder decoder_;
  size_t reported_buffered_ = 0;
  MonoTime partial_since_{};  // when the incomplete frame in decoder_ began
  RequestHandler on_request_;
  CloseHandler on_close_;
  bool started_ = false;
  bool open_ = true;
  Status close_reason_;
  std::map<int32_t, Pending> pending_;  // by opaque; ordered so failures run in a stable order
  MonoTime last_activity_{};
  TimerId idle_timer_;
  std::string scratch_;  // encode buffer, reused across sends
  uint64_t requests_registered_ = 0;
  uint64_t requests_retired_ = 0;
  // Simulation-only cross-checks (empty in real mode):
  //   recently_retired_: the last kRetiredWindow opaques completed, to catch a second completion;
  //   answered_: the last kAnsweredWindow opaques completed by a response (another response
  //     for one of them is a server answering twice);
  //   unanswered_: opaques of requests received and not yet answered (with multiplicity: a
  //     foreign peer may reuse one).
  static constexpr size_t kRetiredWindow = 1024;
  static constexpr size_t kAnsweredWindow = 1024;
  OpaqueWindow recently_retired_{kRetiredWindow};
  OpaqueWindow answered_{kAnsweredWindow};
  std::map<int32_t, uint32_t> unanswered_;
  // Cleared by Abandon(): posted callbacks check it before running.
  std::shared_ptr<bool> callbacks_enabled_ = std::make_shared<bool>(true);
};

}  // namespace rmqsim::remoting
