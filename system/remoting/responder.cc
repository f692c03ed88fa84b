#include "system/remoting/responder.h"

namespace rmqsim::remoting {

Responder::Responder(std::shared_ptr<RemotingChannel> channel, const RemotingCommand& request)
    : state_(std::make_shared<State>()) {
  state_->channel = std::move(channel);
  state_->opaque = request.opaque;
  state_->request_code = request.code;
  state_->serialize_type = request.serialize_type;
  state_->oneway = request.is_oneway();
}

const std::shared_ptr<RemotingChannel>& Responder::channel() const {
  static const std::shared_ptr<RemotingChannel> kNone;
  return state_ ? state_->channel : kNone;
}

bool Responder::Respond(RemotingCommand response) {
  return Send(std::move(response), false);
}

bool Responder::RespondEvenIfOneway(RemotingCommand response) {
  return Send(std::move(response), true);
}

bool Responder::Send(RemotingCommand response, bool even_if_oneway) {
  if (!state_ || !state_->channel || state_->responded) return false;
  if (state_->oneway && !even_if_oneway) return false;
  state_->responded = true;
  response.opaque = state_->opaque;
  response.flag &= ~RemotingCommand::kOnewayFlag;
  response.MarkResponse();
  response.serialize_type = state_->serialize_type;
  // A oneway request's REQUEST_CODE_NOT_SUPPORTED was never awaited: it bypasses the channel's
  // bookkeeping of unanswered requests.
  Status s = state_->oneway ? state_->channel->Send(response)
                            : state_->channel->SendResponse(response);
  if (s.ok()) return true;
  // Typical for long polling: the client went away while its request was parked. Not an error of
  // the server: traced, and otherwise ignored.
  state_->channel->TraceResponseNotSent(response, s);
  return false;
}

}  // namespace rmqsim::remoting
