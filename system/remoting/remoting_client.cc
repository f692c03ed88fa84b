#include "system/remoting/remoting_client.h"

#include <utility>

namespace rmqsim::remoting {

RemotingClient::RemotingClient(Runtime& rt, RemotingClientOptions options)
    : rt_(rt), options_(options), dispatcher_(rt, options.unknown_code_policy) {}

RemotingClient::~RemotingClient() {
  for (auto& [address, ep] : endpoints_) {
    for (auto& [id, w] : ep.waiting) rt_.executor().Cancel(w.timer);
    if (ep.channel) ep.channel->Abandon();
  }
}

void RemotingClient::Post(std::function<void()> fn) {
  rt_.executor().Post(guard_.Wrap(std::move(fn)));
}

void RemotingClient::FailLater(Waiting waiting, Status status) {
  if (waiting.on_response) {
    Post([cb = std::move(waiting.on_response), status = std::move(status)] { cb(status); });
  } else if (waiting.on_sent) {
    Post([cb = std::move(waiting.on_sent), status = std::move(status)] { cb(status); });
  }
}

void RemotingClient::Invoke(const Address& address, RemotingCommand request, Duration timeout,
                            ResponseCallback done) {
  RMQ_ASSERT_MSG(done != nullptr, "Invoke needs a callback");
  request.flag &= ~(RemotingCommand::kResponseFlag | RemotingCommand::kOnewayFlag);
  Waiting w;
  w.request = std::move(request);
  w.deadline = rt_.Now() + timeout;
  w.on_response = std::move(done);
  Submit(address, std::move(w), timeout);
}

Task<StatusOr<RemotingCommand>> RemotingClient::Call(Address address, RemotingCommand request,
                                                     Duration timeout) {
  // The parameters are moved into the start function rather than referenced from it, and the
  // result is bound before co_return: GCC 12 mishandles `co_return co_await` on a temporary
  // awaiter whose start function references the frame's parameters (double destruction).
  auto start = [this, address = std::move(address), request = std::move(request),
                timeout](ResponseCallback done) mutable {
    Invoke(address, std::move(request), timeout, std::move(done));
  };
  StatusOr<RemotingCommand> result =
      co_await AwaitCallback<StatusOr<RemotingCommand>>(rt_.executor(), std::move(start));
  co_return result;
}

void RemotingClient::InvokeOneway(const Address& address, RemotingCommand request, Duration timeout,
                                  SentCallback sent) {
  request.flag &= ~RemotingCommand::kResponseFlag;
  request.MarkOneway();
  Waiting w;
  w.request = std::move(request);
  w.deadline = rt_.Now() + timeout;
  w.on_sent = std::move(sent);
  Submit(address, std::move(w), timeout);
}

void RemotingClient::Submit(const Address& address, Waiting w, Duration timeout) {
  const int32_t code = w.request.code;
  if (shut_down_) {
    FailLater(std::move(w), CancelledError("request code " + std::to_string(code) + " to " +
                                           address.ToString() + ": remoting client shut down"));
    return;
  }
  Endpoint& ep = endpoints_[address];
  if (ep.channel && ep.channel->is_open()) {
    SendOn(ep.channel, std::move(w));
    return;
  }
  ep.channel.reset();  // closed: the next connection replaces it
  if (timeout <= Duration::zero()) {
    FailLater(std::move(w), TimeoutError("request code " + std::to_string(code) + " to " +
                                         address.ToString() + " had no time left to be sent"));
    EraseIfIdle(address);
    return;
  }
  if (ep.waiting.size() >= options_.inflight_requests_max) {
    rt_.Trace(TraceEvent("RemotingInflightLimit", Severity::kWarn)
                  .Detail("Remote", address.ToString())
                  .Detail("Limit", options_.inflight_requests_max));
    FailLater(std::move(w),
              ResourceExhaustedError("request code " + std::to_string(code) + " to " +
                                     address.ToString() +
                                     " refused: " + std::to_string(ep.waiting.size()) +
                                     " requests already waiting for the connection (the limit)"));
    return;
  }
  const uint64_t id = ep.next_waiting_id++;
  w.timer = rt_.executor().ScheduleAfter(
      timeout, guard_.Wrap([this, address, id] { OnWaitTimeout(address, id); }));
  ep.waiting.emplace(id, std::move(w));
  if (!ep.connecting) StartConnect(address, ep);
}

void RemotingClient::SendOn(const std::shared_ptr<RemotingChannel>& channel, Waiting w) {
  if (w.on_response) {
    channel->Invoke(std::move(w.request), w.deadline - rt_.Now(), std::move(w.on_response));
    return;
  }
  Status s = channel->InvokeOneway(std::move(w.request));
  if (w.on_sent) Post([cb = std::move(w.on_sent), s = std::move(s)] { cb(s); });
}

void RemotingClient::StartConnect(const Address& address, Endpoint& ep) {
  ep.connecting = true;
  ++connects_attempted_;
  rt_.network().Connect(address, options_.connect_timeout,
                        guard_.Wrap([this, address](StatusOr<std::shared_ptr<Connection>> result) {
                          OnConnected(address, std::move(result));
                        }));
}

void RemotingClient::OnConnected(const Address& address,
                                 StatusOr<std::shared_ptr<Connection>> result) {
  auto it = endpoints_.find(address);
  if (it == endpoints_.end() || shut_down_) {
    if (result.ok()) (*result)->Close();
    return;
  }
  Endpoint& ep = it->second;
  ep.connecting = false;
  auto waiting = std::move(ep.waiting);
  ep.waiting.clear();
  for (auto& [id, w] : waiting) rt_.executor().Cancel(w.timer);

  if (!result.ok()) {
    ++connects_failed_;
    Status s = result.status().WithContext("connect to " + address.ToString());
    TraceEvent event("RemotingConnectFailed", Severity::kWarn);
    event.Detail("Remote", address.ToString());
    event.Detail("Error", std::string(StatusCodeName(s.code())));
    event.Detail("Detail", result.status().message());
    event.Detail("WaitingFailed", static_cast<uint64_t>(waiting.size()));
    rt_.Trace(std::move(event));
    for (auto& [id, w] : waiting) FailLater(std::move(w), s);
    EraseIfIdle(address);
    return;
  }

  ChannelOptions channel_options{.side = ChannelSide::kClient,
                                 .idle_timeout = options_.channel_idle_timeout,
                                 .inflight_requests_max = options_.inflight_requests_max,
                                 .frame_length_max = options_.frame_length_max};
  auto channel = RemotingChannel::Create(rt_, std::move(result).value(), channel_options, opaques_);
  channel->Start(
      guard_.Wrap([this](const std::shared_ptr<RemotingChannel>& ch, RemotingCommand request) {
        dispatcher_.Dispatch(ch, std::move(request));
      }),
      guard_.Wrap([this, address](const std::shared_ptr<RemotingChannel>& ch,
                                  const Status& reason) { OnChannelClosed(address, ch, reason); }));
  ep.channel = channel;
  // SendOn never runs a callback inline, so `waiting` is drained before any user code runs.
  for (auto& [id, w] : waiting) SendOn(channel, std::move(w));
}

void RemotingClient::OnWaitTimeout(const Address& address, uint64_t waiting_id) {
  auto it = endpoints_.find(address);
  if (it == endpoints_.end()) return;
  auto wit = it->second.waiting.find(waiting_id);
  if (wit == it->second.waiting.end()) return;
  Waiting w = std::move(wit->second);
  it->second.waiting.erase(wit);
  const bool oneway = w.request.is_oneway();
  const int32_t code = w.request.code;
  rt_.Trace(TraceEvent("RemotingRequestTimeout", Severity::kWarn)
                .Detail("Remote", address.ToString())
                .Detail("Code", code)
                .Detail("Connecting", true));
  Status timeout =
      TimeoutError(std::string(oneway ? "oneway " : "") + "request code " + std::to_string(code) +
                   " to " + address.ToString() + " timed out while connecting");
  FailLater(std::move(w), std::move(timeout));
}

void RemotingClient::OnChannelClosed(const Address& address,
                                     const std::shared_ptr<RemotingChannel>& channel,
                                     const Status& reason) {
  auto it = endpoints_.find(address);
  if (it != endpoints_.end() && it->second.channel == channel) it->second.channel.reset();
  EraseIfIdle(address);
  for (size_t i = 0; i < close_listeners_.size(); ++i) close_listeners_[i](channel, reason);
}

void RemotingClient::EraseIfIdle(const Address& address) {
  auto it = endpoints_.find(address);
  if (it == endpoints_.end()) return;
  const Endpoint& ep = it->second;
  if (!ep.channel && !ep.connecting && ep.waiting.empty()) endpoints_.erase(it);
}

void RemotingClient::AddCloseListener(ChannelCloseListener listener) {
  close_listeners_.push_back(std::move(listener));
}

void RemotingClient::CloseChannel(const Address& address) {
  auto it = endpoints_.find(address);
  if (it == endpoints_.end() || !it->second.channel) return;
  it->second.channel->Close(
      ClosedError("channel to " + address.ToString() + " closed by CloseChannel"));
}

void RemotingClient::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  std::vector<std::shared_ptr<RemotingChannel>> to_close;
  for (auto& [address, ep] : endpoints_) {
    for (auto& [id, w] : ep.waiting) {
      rt_.executor().Cancel(w.timer);
      Status cancelled = CancelledError("request code " + std::to_string(w.request.code) + " to " +
                                        address.ToString() + ": remoting client shut down");
      FailLater(std::move(w), std::move(cancelled));
    }
    ep.waiting.clear();
    if (ep.channel) to_close.push_back(ep.channel);
  }
  for (auto& ch : to_close) ch->Close(CancelledError("remoting client shut down"));
}

std::shared_ptr<RemotingChannel> RemotingClient::FindChannel(const Address& address) const {
  auto it = endpoints_.find(address);
  if (it == endpoints_.end() || !it->second.channel || !it->second.channel->is_open()) {
    return nullptr;
  }
  return it->second.channel;
}

size_t RemotingClient::inflight() const {
  size_t n = 0;
  for (const auto& [address, ep] : endpoints_) {
    n += ep.waiting.size();
    if (ep.channel) n += ep.channel->inflight();
  }
  return n;
}

}  // namespace rmqsim::remoting
