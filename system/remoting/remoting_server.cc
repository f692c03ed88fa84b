#include "system/remoting/remoting_server.h"

namespace rmqsim::remoting {

RemotingServer::RemotingServer(Runtime& rt, RemotingServerOptions options)
    : rt_(rt), options_(std::move(options)), dispatcher_(rt, options_.unknown_code_policy) {}

RemotingServer::~RemotingServer() {
  if (listener_) listener_->Close();
  for (auto& [id, channel] : channels_) channel->Abandon();
}

Status RemotingServer::Start() {
  RMQ_ASSERT_MSG(listener_ == nullptr && !shut_down_, "RemotingServer::Start called twice");
  auto listener = rt_.network().Listen(
      options_.listen,
      guard_.Wrap([this](std::shared_ptr<Connection> c) { OnAccept(std::move(c)); }));
  if (!listener.ok()) {
    return listener.status().WithContext("remoting server listen on " + options_.listen.ToString());
  }
  listener_ = std::move(listener).value();
  bound_ = listener_->address();
  rt_.Trace(TraceEvent("RemotingServerStarted")
                .Detail("Address", bound_.ToString())
                .Detail("UnknownCodePolicy",
                        std::string(UnknownCodePolicyName(dispatcher_.unknown_code_policy()))));
  return Status::Ok();
}

void RemotingServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (listener_) listener_->Close();
  // Close() reports through OnChannelClosed, which erases: iterate over a copy.
  auto channels = channels_;
  for (auto& [id, channel] : channels) channel->Close(CancelledError("remoting server shut down"));
}

const Address& RemotingServer::address() const {
  return bound_;
}

void RemotingServer::AddConnectListener(ChannelListener listener) {
  connect_listeners_.push_back(std::move(listener));
}

void RemotingServer::AddCloseListener(ChannelCloseListener listener) {
  close_listeners_.push_back(std::move(listener));
}

std::vector<std::shared_ptr<RemotingChannel>> RemotingServer::channels() const {
  std::vector<std::shared_ptr<RemotingChannel>> out;
  out.reserve(channels_.size());
  for (const auto& [id, channel] : channels_) out.push_back(channel);
  return out;
}

std::shared_ptr<RemotingChannel> RemotingServer::FindChannel(uint64_t id) const {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second;
}

void RemotingServer::OnAccept(std::shared_ptr<Connection> connection) {
  if (shut_down_) {
    connection->Close();
    return;
  }
  ChannelOptions channel_options{.side = ChannelSide::kServer,
                                 .idle_timeout = options_.channel_idle_timeout,
                                 .inflight_requests_max = options_.inflight_requests_max,
                                 .frame_length_max = options_.frame_length_max,
                                 .partial_frame_timeout = options_.partial_frame_timeout,
                                 .on_buffered_change = guard_.Wrap([this](int64_t delta) {
                                   OnBufferedChange(delta);
                                 })};
  auto channel = RemotingChannel::Create(rt_, std::move(connection), channel_options, opaques_);
  channels_.emplace(channel->id(), channel);
  channel->Start(
      guard_.Wrap([this](const std::shared_ptr<RemotingChannel>& ch, RemotingCommand request) {
        dispatcher_.Dispatch(ch, std::move(request));
      }),
      guard_.Wrap([this](const std::shared_ptr<RemotingChannel>& ch, const Status& reason) {
        OnChannelClosed(ch, reason);
      }));
  // Listeners may add more: index, not iterators.
  for (size_t i = 0; i < connect_listeners_.size(); ++i) connect_listeners_[i](channel);
}

void RemotingServer::OnBufferedChange(int64_t delta) {
  buffered_input_ = static_cast<size_t>(static_cast<int64_t>(buffered_input_) + delta);
  if (options_.buffered_input_max == 0 || buffered_input_ <= options_.buffered_input_max) return;
  std::shared_ptr<RemotingChannel> largest;
  for (const auto& [id, ch] : channels_) {
    if (ch->is_open() &&
        (!largest || ch->buffered_input_bytes() > largest->buffered_input_bytes())) {
      largest = ch;
    }
  }
  if (!largest) return;
  ++input_budget_closes_;
  rt_.Trace(TraceEvent("RemotingInputBudgetExceeded", Severity::kWarn)
                .Detail("Buffered", buffered_input_)
                .Detail("Max", options_.buffered_input_max)
                .Detail("ChannelId", largest->id())
                .Detail("Remote", largest->remote_address().ToString())
                .Detail("ChannelBuffered", largest->buffered_input_bytes()));
  largest->Close(ResourceExhaustedError(
      "the server holds " + std::to_string(buffered_input_) +
      " bytes of incomplete frames (cap " + std::to_string(options_.buffered_input_max) +
      "); this connection held the most"));
}

void RemotingServer::OnChannelClosed(const std::shared_ptr<RemotingChannel>& channel,
                                     const Status& reason) {
  channels_.erase(channel->id());
  for (size_t i = 0; i < close_listeners_.size(); ++i) close_listeners_[i](channel, reason);
}

}  // namespace rmqsim::remoting
