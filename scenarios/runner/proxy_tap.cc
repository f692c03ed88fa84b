#include "scenarios/runner/proxy_tap.h"

#include "system/common/heartbeat_data.h"
#include "system/proxy/proxy_codec.h"
#include "system/remoting/codes.h"

namespace rmqsim::scenarios {

using remoting::RequestCode;

void ProxyTap::AddProxy(uint64_t pid, std::string name, std::set<uint16_t> client_ports) {
  proxies_[pid] = Proxy{std::move(name), std::move(client_ports)};
}

std::map<std::string, int64_t> ProxyTap::Counts(uint64_t pid, uint64_t incarnation) const {
  auto it = counts_.find({pid, incarnation});
  return it == counts_.end() ? std::map<std::string, int64_t>{} : it->second;
}

void ProxyTap::OnDelivered(const sim::SimNetwork::Delivered& d) {
  auto p = proxies_.find(d.owner.process);
  if (p == proxies_.end()) return;
  auto& c = counts_[{d.owner.process, d.owner.incarnation}];
  Stream& s = streams_[d.conn];
  if (s.broken) return;
  s.buffer.append(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
  if (p->second.client_ports.contains(d.local.port)) {
    Downstream(c, s);
  } else {
    Upstream(c, s);
  }
}

// Requests from clients: every decode attempt that is not an underflow, then by code.
void ProxyTap::Downstream(std::map<std::string, int64_t>& c, Stream& s) {
  while (s.buffer.size() >= proxy::kMinFrameSize) {
    proxy::Decoded dec = proxy::DecodeFrame(s.buffer);
    if (dec.kind == proxy::Decoded::Kind::kUnderflow) return;
    ++c["request"];
    if (dec.kind == proxy::Decoded::Kind::kError) {
      ++c["request_decoding_error"];
      s.broken = true;  // the proxy closes the connection
      s.buffer.clear();
      return;
    }
    ++c["request_decoding_success"];
    s.buffer.erase(0, dec.consumed);
    const remoting::RemotingCommand& cmd = dec.command;
    switch (cmd.code) {
      case RequestCode::HEART_BEAT: {
        auto hb = common::DecodeHeartbeatData(cmd.body);
        if (hb.ok() && !hb->client_id.empty()) ++c["heartbeat"];
        break;
      }
      case RequestCode::UNREGISTER_CLIENT: ++c["unregister"]; break;
      case RequestCode::GET_CONSUMER_LIST_BY_GROUP: ++c["get_consumer_list"]; break;
      case RequestCode::GET_ROUTEINFO_BY_TOPIC: ++c["get_topic_route"]; break;
      case RequestCode::SEND_MESSAGE: ++c["send_message_v1"]; break;
      case RequestCode::SEND_MESSAGE_V2: ++c["send_message_v2"]; break;
      case 50:
      case RequestCode::POP_MESSAGE: ++c["pop_message"]; break;
      case 51:
      case RequestCode::ACK_MESSAGE: ++c["ack_message"]; break;
      default: break;
    }
  }
}

// Frames from brokers: the response to each forwarded request, and on a broker session the
// answers to relayed heartbeats and the broker's own requests.
void ProxyTap::Upstream(std::map<std::string, int64_t>& c, Stream& s) {
  while (true) {
    proxy::Decoded dec = proxy::DecodeFrame(s.buffer);
    if (dec.kind == proxy::Decoded::Kind::kUnderflow) return;
    ++c["response"];
    if (dec.kind == proxy::Decoded::Kind::kError) {
      ++c["response_decoding_error"];
      s.broken = true;  // the proxy closes that upstream connection
      s.buffer.clear();
      return;
    }
    ++c["response_decoding_success"];
    if (dec.command.code == remoting::ResponseCode::SUCCESS) ++c["response_success"];
    s.buffer.erase(0, dec.consumed);
  }
}

}  // namespace rmqsim::scenarios
