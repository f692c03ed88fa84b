// RemotingClient: the connecting side of the remoting protocol (Java's NettyRemotingClient), on
// a Runtime. One channel per remote address, created on first use and again on the next call
// after it failed or closed. Requests are pipelined: any number (up to inflight_requests_max per
// address) may wait for their responses, which are matched by opaque in whatever order they come.
//
// Requests the server sends on a client connection (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE, GET_CONSUMER_RUNNING_INFO, ...) go to processors registered here,
// exactly as on a server (unknown codes: REQUEST_CODE_NOT_SUPPORTED by default, as Java's client).
//
// Callbacks (Invoke's `done`, InvokeOneway's `sent`) run on the executor exactly once, never
// inside the call that was given them. Destroying the client closes its connections and runs
// nothing more (pending callbacks are dropped unrun); Shutdown() fails them with kCancelled first.
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
#include "sim/runtime/task.h"
#include "system/remoting/limits.h"
#include "system/remoting/remoting_channel.h"
#include "system/remoting/request_dispatcher.h"

namespace rmqsim::remoting {

struct RemotingClientOptions {
  Duration connect_timeout = limits::kConnectTimeoutDefault;
  // clientChannelMaxIdleTimeSeconds; zero disables the idle close.
  Duration channel_idle_timeout = limits::kChannelIdleTimeoutDefault;
  // Per address: requests awaiting a response plus requests waiting for the connection.
  size_t inflight_requests_max = limits::kInflightRequestsPerChannelMax;
  uint32_t frame_length_max = limits::kFrameLengthMax;
  // For requests that arrive from the server.
  UnknownCodePolicy unknown_code_policy = UnknownCodePolicy::kRespondNotSupported;
};

class RemotingClient {
 public:
  using ResponseCallback = RemotingChannel::ResponseCallback;
  using SentCallback = std::function<void(const Status& status)>;
  using ChannelCloseListener =
      std::function<void(const std::shared_ptr<RemotingChannel>& channel, const Status& reason)>;

  explicit RemotingClient(Runtime& rt, RemotingClientOptions options = {});
  ~RemotingClient();
  RemotingClient(const RemotingClient&) = delete;
  RemotingClient& operator=(const RemotingClient&) = delete;

  // Sends `request` to `address` (connecting first if needed) with a fresh opaque, and calls
  // `done` with the response or an error:
  //   kTimeout              no response within `timeout` (counted from this call, connecting
  //                         included)
  //   kConnectionRefused,   the connection could not be made (message names the address); also
  //   kTimeout                kTimeout when connecting took longer than connect_timeout
  //   kConnectionReset,     the connection failed or closed while the request was pending
  //   kClosed, kTimeout       (kTimeout: closed for idleness)
  //   kResourceExhausted    inflight_requests_max reached for this address, or send buffer full
  //   kInvalidArgument      the request cannot be encoded
  //   kCancelled            Shutdown()
  void Invoke(const Address& address, RemotingCommand request, Duration timeout,
              ResponseCallback done);
  // The same as a coroutine: co_await client.Call(addr, std::move(req), 3s). The client must
  // outlive the awaiting.
  Task<StatusOr<RemotingCommand>> Call(Address address, RemotingCommand request, Duration timeout);

  // Sends `request` marked oneway (connecting first if needed). `sent`, if given, is told whether
  // it was handed to the connection (errors as above; `timeout` bounds the wait for the
  // connection).
  void InvokeOneway(const Address& address, RemotingCommand request, Duration timeout,
                    SentCallback sent = nullptr);

  void RegisterProcessor(int32_t code, RequestProcessor processor) {
    dispatcher_.RegisterProcessor(code, std::move(processor));
  }
  void RegisterDefaultProcessor(RequestProcessor processor) {
    dispatcher_.RegisterDefaultProcessor(std::move(processor));
  }
  // Told when one of the client's channels closes (after its pending requests failed).
  void AddCloseListener(ChannelCloseListener listener);

  // Closes the channel to `address`, if any (pending requests fail with kClosed). The next call
  // to that address connects again.
  void CloseChannel(const Address& address);
  // Closes everything; pending and waiting requests fail with kCancelled, later calls too.
  void Shutdown();

  // The open channel to `address`, or nullptr.
  std::shared_ptr<RemotingChannel> FindChannel(const Address& address) const;
  bool IsConnected(const Address& address) const { return FindChannel(address) != nullptr; }
  // Requests awaiting a response or a connection, over all addresses.
  size_t inflight() const;
  uint64_t connects_attempted() const { return connects_attempted_; }
  uint64_t connects_failed() const { return connects_failed_; }
  const RequestDispatcher& dispatcher() const { return dispatcher_; }

 private:
  // A request waiting for its address's connection.
  struct Waiting {
    RemotingCommand request;
    MonoTime deadline;
    ResponseCallback on_response;  // set for Invoke
    SentCallback on_sent;          // for InvokeOneway (may be empty)
    TimerId timer;
  };
  struct Endpoint {
    std::shared_ptr<RemotingChannel> channel;  // the open (or just closed) channel
    bool connecting = false;
    uint64_t next_waiting_id = 0;
    std::map<uint64_t, Waiting> waiting;  // by arrival: sent in this order once connected
  };

  void Submit(const Address& address, Waiting waiting, Duration timeout);
  void StartConnect(const Address& address, Endpoint& endpoint);
  void OnConnected(const Address& address, StatusOr<std::shared_ptr<Connection>> result);
  void OnWaitTimeout(const Address& address, uint64_t waiting_id);
  void OnChannelClosed(const Address& address, const std::shared_ptr<RemotingChannel>& channel,
                       const Status& reason);
  // Hands a waiting request to an open channel.
  void SendOn(const std::shared_ptr<RemotingChannel>& channel, Waiting waiting);
  // Fails a waiting request from a later event (never inside the caller's stack).
  void FailLater(Waiting waiting, Status status);
  // Runs `fn` on the executor later, unless the client is gone by then.
  void Post(std::function<void()> fn);
  void EraseIfIdle(const Address& address);

  Runtime& rt_;
  RemotingClientOptions options_;
  RequestDispatcher dispatcher_;
  std::shared_ptr<OpaqueSequence> opaques_ = std::make_shared<OpaqueSequence>();
  std::map<Address, Endpoint> endpoints_;  // ordered: deterministic iteration
  std::vector<ChannelCloseListener> close_listeners_;
  bool shut_down_ = false;
  uint64_t connects_attempted_ = 0;
  uint64_t connects_failed_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::remoting
