// Client processes of a scenario implement this so that client faults (DROP_CLIENT_HEARTBEATS)
// reach their MQClientInstance without faults/ knowing the scenario's service types.
#pragma once

namespace rmqsim::client {
class MQClientInstance;
}

namespace rmqsim::faults {

class ClientHooks {
 public:
  virtual ~ClientHooks() = default;
  virtual client::MQClientInstance* client_instance() = 0;
};

}  // namespace rmqsim::faults
