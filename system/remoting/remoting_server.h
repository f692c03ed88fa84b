// RemotingServer: the accepting side of the remoting protocol (Java's NettyRemotingServer), on a
// Runtime. Listens, wraps each accepted connection in a RemotingChannel, dispatches requests to
// processors registered by code, and reports channel opens and closes (the name server purges a
// broker's routes when its channel closes). It can also send requests over an accepted channel
// (broker -> consumer NOTIFY_CONSUMER_IDS_CHANGED): see RemotingChannel::InvokeOneway / Invoke.
//
// Processors run inline on the executor, in arrival order per channel; a processor that cannot
// answer at once (long polling) keeps its Responder and answers later, from any event. Responses
// go out in the request's serialization type.
//
// Lifetime: destroying the server closes its listener and connections and runs nothing more.
// Callbacks are guarded: a channel or timer firing after the server died does nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/address.h"
#include "sim/runtime/network.h"
#include "sim/runtime/runtime.h"
#include "system/remoting/limits.h"
#include "system/remoting/remoting_channel.h"
#include "system/remoting/request_dispatcher.h"

namespace rmqsim::remoting {

struct RemotingServerOptions {
  // Where to listen; port 0 picks a free port (see address()).
  Address listen;
  // Broker and name server: kRespondNotSupported (4.9.8's name server: kIgnore).
  UnknownCodePolicy unknown_code_policy = UnknownCodePolicy::kRespondNotSupported;
  // serverChannelMaxIdleTimeSeconds; zero disables the idle close.
  Duration channel_idle_timeout = limits::kChannelIdleTimeoutDefault;
  // Bounds requests the server itself sends on one channel and awaits (Invoke).
  size_t inflight_requests_max = limits::kInflightRequestsPerChannelMax;
  uint32_t frame_length_max = limits::kFrameLengthMax;
  // Bytes of incomplete frames held over all channels; past it the channel holding the most is
  // closed (input_budget_closes()). Zero: no cap.
  size_t buffered_input_max = limits::kServerBufferedInputMax;
  // See ChannelOptions::partial_frame_timeout.
  Duration partial_frame_timeout = limits::kPartialFrameTimeoutDefault;
};

class RemotingServer {
 public:
  using ChannelListener = std::function<void(const std::shared_ptr<RemotingChannel>& channel)>;
  using ChannelCloseListener =
      std::function<void(const std::shared_ptr<RemotingChannel>& channel, const Status& reason)>;

  RemotingServer(Runtime& rt, RemotingServerOptions options);
  ~RemotingServer();
  RemotingServer(const RemotingServer&) = delete;
  RemotingServer& operator=(const RemotingServer&) = delete;

  // Binds and starts accepting. Errors are the Listen errors (kAlreadyExists: address in use).
  Status Start();
  // Stops accepting and closes every channel (close listeners are told, with kCancelled).
  void Shutdown();

  // The bound address (the real port when port 0 was asked for). Valid after Start().
  const Address& address() const;
  bool started() const { return listener_ != nullptr; }

  void RegisterProcessor(int32_t code, RequestProcessor processor) {
    dispatcher_.RegisterProcessor(code, std::move(processor));
  }
  void RegisterDefaultProcessor(RequestProcessor processor) {
    dispatcher_.RegisterDefaultProcessor(std::move(processor));
  }
  void set_unknown_code_policy(UnknownCodePolicy policy) {
    dispatcher_.set_unknown_code_policy(policy);
  }

  // Told of each accepted channel (after it started) and of each closed one, in registration
  // order. The close reason: kClosed (peer closed), kConnectionReset, kTimeout (idle),
  // kInvalidArgument / kCorruption (undecodable input), kCancelled (Shutdown), or what was given
  // to RemotingChannel::Close.
  void AddConnectListener(ChannelListener listener);
  void AddCloseListener(ChannelCloseListener listener);

  // Open channels, by id.
  std::vector<std::shared_ptr<RemotingChannel>> channels() const;
  std::shared_ptr<RemotingChannel> FindChannel(uint64_t id) const;
  size_t channel_count() const { return channels_.size(); }
  // Bytes of incomplete frames held now, over all channels.
  size_t buffered_input_bytes() const { return buffered_input_; }
  // Channels closed because buffered_input_max was passed.
  uint64_t input_budget_closes() const { return input_budget_closes_; }
  const RequestDispatcher& dispatcher() const { return dispatcher_; }

 private:
  // Accounts a channel's change of buffered input; closes the largest holder past the cap.
  void OnBufferedChange(int64_t delta);
  void OnAccept(std::shared_ptr<Connection> connection);
  void OnChannelClosed(const std::shared_ptr<RemotingChannel>& channel, const Status& reason);

  Runtime& rt_;
  RemotingServerOptions options_;
  RequestDispatcher dispatcher_;
  std::unique_ptr<Listener> listener_;
  Address bound_;
  bool shut_down_ = false;
  std::shared_ptr<OpaqueSequence> opaques_ = std::make_shared<OpaqueSequence>();
  std::map<uint64_t, std::shared_ptr<RemotingChannel>> channels_;  // by id: stable order
  size_t buffered_input_ = 0;
  uint64_t input_budget_closes_ = 0;
  std::vector<ChannelListener> connect_listeners_;
  std::vector<ChannelCloseListener> close_listeners_;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::remoting
