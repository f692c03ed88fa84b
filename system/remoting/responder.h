// Responder: how a processor answers a request, now or later (long polling). Copyable; the copies
// share one state, so the request is answered at most once whichever copy answers.
#pragma once

#include <cstdint>
#include <memory>

#include "system/remoting/remoting_channel.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {

class Responder {
 public:
  // An empty responder: Respond does nothing.
  Responder() = default;
  Responder(std::shared_ptr<RemotingChannel> channel, const RemotingCommand& request);

  // Sends `response` for the request, with the request's opaque and serialization type and the
  // response flag set (Java: setOpaque, markResponseType, the request's serializeTypeCurrentRPC).
  // Returns whether it went out. Harmless in every other case, which returns false: the request
  // was oneway (no response by protocol), it was already answered, the channel has closed since
  // (traced), or the send failed (traced).
  bool Respond(RemotingCommand response);

  // For the protocol's one exception: REQUEST_CODE_NOT_SUPPORTED is sent even for a oneway
  // request (NettyRemotingAbstract.processRequestCommand).
  bool RespondEvenIfOneway(RemotingCommand response);

  bool valid() const { return state_ != nullptr; }
  bool oneway() const { return state_ && state_->oneway; }
  bool responded() const { return state_ && state_->responded; }
  int32_t opaque() const { return state_ ? state_->opaque : 0; }
  int32_t request_code() const { return state_ ? state_->request_code : 0; }
  SerializeType serialize_type() const {
    return state_ ? state_->serialize_type : SerializeType::JSON;
  }
  // The channel the request came on (id, remote address, InvokeOneway back to the peer), or
  // nullptr for an empty responder.
  const std::shared_ptr<RemotingChannel>& channel() const;

 private:
  bool Send(RemotingCommand response, bool even_if_oneway);

  struct State {
    std::shared_ptr<RemotingChannel> channel;
    int32_t opaque = 0;
    int32_t request_code = 0;
    SerializeType serialize_type = SerializeType::JSON;
    bool oneway = false;
    bool responded = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace rmqsim::remoting
