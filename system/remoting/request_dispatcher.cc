#include "system/remoting/request_dispatcher.h"

#include <string>

#include "system/remoting/codes.h"

namespace rmqsim::remoting {

std::string_view UnknownCodePolicyName(UnknownCodePolicy policy) {
  return policy == UnknownCodePolicy::kIgnore ? "Ignore" : "RespondNotSupported";
}

void RequestDispatcher::RegisterProcessor(int32_t code, RequestProcessor processor) {
  RMQ_ASSERT_MSG(processor != nullptr, "RegisterProcessor needs a processor");
  processors_.insert_or_assign(code,
                               std::make_shared<const RequestProcessor>(std::move(processor)));
}

void RequestDispatcher::RegisterDefaultProcessor(RequestProcessor processor) {
  default_processor_ =
      processor ? std::make_shared<const RequestProcessor>(std::move(processor)) : nullptr;
}

void RequestDispatcher::Dispatch(const std::shared_ptr<RemotingChannel>& channel,
                                 RemotingCommand request) {
  ++requests_dispatched_;
  Responder responder(channel, request);
  std::shared_ptr<const RequestProcessor> processor;
  if (auto it = processors_.find(request.code); it != processors_.end()) {
    processor = it->second;
  } else {
    processor = default_processor_;
  }
  if (processor == nullptr) {
    ++requests_not_supported_;
    const bool answer = policy_ == UnknownCodePolicy::kRespondNotSupported;
    rt_.Trace(TraceEvent("RemotingRequestNotSupported", Severity::kWarn)
                  .Detail("ChannelId", channel->id())
                  .Detail("Remote", channel->remote_address().ToString())
                  .Detail("Code", request.code)
                  .Detail("Oneway", request.is_oneway())
                  .Detail("Policy", std::string(UnknownCodePolicyName(policy_))));
    if (answer) {
      responder.RespondEvenIfOneway(RemotingCommand::CreateResponseCommand(
          ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
          " request type " + std::to_string(request.code) + " not supported"));
    }
    return;
  }
  std::optional<RemotingCommand> response = (*processor)(std::move(request), responder);
  if (response) responder.Respond(std::move(*response));
}

}  // namespace rmqsim::remoting
