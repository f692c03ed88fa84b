// RequestDispatcher: the processor table of a remoting endpoint (NettyRemotingAbstract's
// processorTable + defaultRequestProcessor + processRequestCommand). Used by RemotingServer for
// requests from clients and by RemotingClient for requests a server sends on a client
// connection (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "sim/runtime/runtime.h"
#include "system/remoting/remoting_channel.h"
#include "system/remoting/remoting_command.h"
#include "system/remoting/responder.h"

namespace rmqsim::remoting {

// Handles one request. Returns the response to send now, or nullopt: the processor answers later
// through `responder` (keep a copy), or the request gets no answer. For a oneway request the
// returned response is dropped. The response's opaque, response flag and serialization type are
// filled in from the request, so `request.CreateResponse(code)` or
// `RemotingCommand::CreateResponseCommand(code)` both do.
using RequestProcessor =
    std::function<std::optional<RemotingCommand>(RemotingCommand request, Responder responder)>;

// What happens to a request whose code has no processor (and there is no default processor).
enum class UnknownCodePolicy : uint8_t {
  // Answer REQUEST_CODE_NOT_SUPPORTED, remark " request type N not supported", even for a oneway
  // request: Java's NettyRemotingAbstract, and the broker's AdminBrokerProcessor.
  kRespondNotSupported,
  // Send nothing; the caller times out: the 4.9.8 name server's DefaultRequestProcessor.
  kIgnore,
};
std::string_view UnknownCodePolicyName(UnknownCodePolicy policy);

class RequestDispatcher {
 public:
  RequestDispatcher(Runtime& rt, UnknownCodePolicy policy) : rt_(rt), policy_(policy) {}

  // Registers (or replaces) the processor for `code`.
  void RegisterProcessor(int32_t code, RequestProcessor processor);
  // Gets every request whose code has no processor of its own.
  void RegisterDefaultProcessor(RequestProcessor processor);
  void set_unknown_code_policy(UnknownCodePolicy policy) { policy_ = policy; }
  UnknownCodePolicy unknown_code_policy() const { return policy_; }

  // Runs the processor for `request` (inline) and sends what it returns.
  void Dispatch(const std::shared_ptr<RemotingChannel>& channel, RemotingCommand request);

  uint64_t requests_dispatched() const { return requests_dispatched_; }
  uint64_t requests_not_supported() const { return requests_not_supported_; }

 private:
  Runtime& rt_;
  UnknownCodePolicy policy_;
  // shared_ptr: a processor stays alive while it runs even if it replaces itself.
  std::map<int32_t, std::shared_ptr<const RequestProcessor>> processors_;
  std::shared_ptr<const RequestProcessor> default_processor_;
  uint64_t requests_dispatched_ = 0;
  uint64_t requests_not_supported_ = 0;
};

}  // namespace rmqsim::remoting
