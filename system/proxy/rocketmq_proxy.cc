#include "system/proxy/rocketmq_proxy.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "sim/base/planted_bugs.h"
#include "sim/runtime/log.h"
#include "system/common/consumer_bodies.h"
#include "system/common/heartbeat_data.h"
#include "system/common/route_data.h"
#include "system/common/stored_message.h"
#include "system/proxy/proxy_codec.h"
#include "system/remoting/codes.h"

namespace rmqsim::proxy {

using remoting::RemotingCommand;
using remoting::RequestCode;
using remoting::ResponseCode;

namespace {

std::string HostKey(const Host& h) { return h.address.ToString(); }

// The topic a forwarded or routed request carries (Envoy MetadataHelper::parseRequest).
std::string TopicOf(const RemotingCommand& req) {
  const char* key = req.code == RequestCode::SEND_MESSAGE_V2 ? "b" : "topic";
  const std::string* t = req.FindExtField(key);
  return t == nullptr ? std::string() : *t;
}

std::string DirectiveKey(std::string_view group, std::string_view topic, int64_t queue_id,
                         int64_t offset) {
  return std::string(group) + "-" + std::string(topic) + "-" + std::to_string(queue_id) + "-" +
         std::to_string(offset);
}

// A numeric extField, -1 when absent or not a number.
int64_t OptionalInt(const RemotingCommand& c, std::string_view key) {
  auto v = c.GetOptionalInt64(key);
  return v.ok() && v->has_value() ? **v : -1;
}

bool IsPop(int32_t code) {
  return code == kEnvoyPopMessage || code == RequestCode::POP_MESSAGE;
}
bool IsAck(int32_t code) {
  return code == kEnvoyAckMessage || code == RequestCode::ACK_MESSAGE;
}
// The codes a consumer sends to one broker, forwarded from that broker's port (rmqsim).
bool IsBrokerBound(int32_t code) {
  switch (code) {
    case RequestCode::PULL_MESSAGE:
    case RequestCode::QUERY_CONSUMER_OFFSET:
    case RequestCode::UPDATE_CONSUMER_OFFSET:
    case RequestCode::SEARCH_OFFSET_BY_TIMESTAMP:
    case RequestCode::GET_MAX_OFFSET:
    case RequestCode::GET_MIN_OFFSET:
    case RequestCode::GET_EARLIEST_MSG_STORETIME:
    case RequestCode::CONSUMER_SEND_MSG_BACK:
    case RequestCode::LOCK_BATCH_MQ:
    case RequestCode::UNLOCK_BATCH_MQ:
      return true;
    default:
      return false;
  }
}

}  // namespace

RocketMQProxy::RocketMQProxy(Runtime& rt, ProxyConfig config)
    : rt_(rt), config_(std::move(config)) {}

RocketMQProxy::~RocketMQProxy() {
  for (auto& [id, a] : actives_) {
    if (a.timeout.valid()) rt_.executor().Cancel(a.timeout);
  }
}

Status RocketMQProxy::Start() {
  RMQ_RETURN_IF_ERROR(config_.Validate());
  auto l = rt_.network().Listen(config_.listen,
                                guard_.Wrap([this](std::shared_ptr<Connection> c) {
                                  OnAccept(std::move(c), std::string());
                                }));
  if (!l.ok()) return l.status().WithContext("proxy listen " + config_.listen.ToString());
  listener_ = std::move(*l);
  bound_ = listener_->address();
  for (const auto& entry : config_.broker_listen) {
    // A copy for the lambda (clang 14 cannot capture a structured binding).
    const std::string name = entry.first;
    const Address& address = entry.second;
    auto b = rt_.network().Listen(address,
                                  guard_.Wrap([this, name](std::shared_ptr<Connection> c) {
                                    OnAccept(std::move(c), name);
                                  }));
    if (!b.ok()) {
      return b.status().WithContext("proxy listen " + address.ToString() + " for " + name);
    }
    broker_bound_[name] = (*b)->address();
    broker_listeners_.push_back(std::move(*b));
  }
  if (config_.admin.has_value()) {
    auto a = rt_.network().Listen(*config_.admin, guard_.Wrap([this](std::shared_ptr<Connection> c) {
      OnAdminAccept(std::move(c));
    }));
    if (!a.ok()) return a.status().WithContext("proxy admin listen " + config_.admin->ToString());
    admin_listener_ = std::move(*a);
    admin_bound_ = admin_listener_->address();
  }
  RMQ_LOG_INFO(rt_, "RocketmqProxy", "The proxy boot success on {} (stat prefix {}, {} clusters)",
               bound_.ToString(), config_.stat_prefix, config_.clusters.size());
  rt_.Trace(TraceEvent("ProxyStarted")
                .Detail("Address", bound_.ToString())
                .Detail("StatPrefix", config_.stat_prefix)
                .Detail("DevelopMode", config_.develop_mode)
                .Detail("Clusters", static_cast<uint64_t>(config_.clusters.size())));
  return Status::Ok();
}

void RocketMQProxy::Stop(std::function<void()> done) {
  stopping_ = true;
  if (listener_) listener_->Close();
  if (admin_listener_) admin_listener_->Close();
  for (auto& l : broker_listeners_) l->Close();
  for (auto& [id, c] : admin_conns_) c.conn->Close();
  admin_conns_.clear();
  std::vector<uint64_t> ids;
  for (const auto& [id, d] : downstreams_) ids.push_back(id);
  for (uint64_t id : ids) CloseDownstream(id);
  for (auto& [id, u] : upstreams_) u->conn->Close();
  upstreams_.clear();
  idle_.clear();
  rt_.executor().Post(std::move(done));
}

Status RocketMQProxy::SetMaintenance(const std::string& cluster, bool on) {
  auto it = config_.clusters.find(cluster);
  if (it == config_.clusters.end()) return NotFoundError("no cluster named '" + cluster + "'");
  it->second.maintenance = on;
  rt_.Trace(TraceEvent("ProxyMaintenance").Detail("Cluster", cluster).Detail("On", on));
  return Status::Ok();
}

size_t RocketMQProxy::broker_sessions() const {
  size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s.conn != nullptr && s.conn->is_open() ? 1 : 0;
  return n;
}

std::vector<std::string> RocketMQProxy::ConsumerList(const std::string& group) const {
  std::vector<std::string> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  const MonoTime now = rt_.clock().Now();
  for (const Member& m : it->second) {
    if (now - m.last <= config_.transient_object_life_span) out.push_back(m.client_id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ------------------------------------------------------------------------------- downstream

void RocketMQProxy::OnAccept(std::shared_ptr<Connection> c, const std::string& broker_name) {
  if (stopping_) {
    c->Close();
    return;
  }
  const uint64_t id = ++next_id_;
  Downstream& d = downstreams_[id];
  d.id = id;
  d.broker_name = broker_name;
  d.conn = c;
  c->Start(guard_.Wrap([this, id](std::span<const std::byte> b) { OnDownstreamData(id, b); }),
           guard_.Wrap([this, id](const Status& st) { OnDownstreamClosed(id, st); }));
}

void RocketMQProxy::OnDownstreamData(uint64_t id, std::span<const std::byte> data) {
  auto it = downstreams_.find(id);
  if (it == downstreams_.end()) return;
  it->second.buffer.append(reinterpret_cast<const char*>(data.data()), data.size());
  while (true) {
    it = downstreams_.find(id);
    if (it == downstreams_.end()) return;
    Downstream& d = it->second;
    // ConnectionManager::dispatch: fewer than 8 bytes, nothing to try.
    if (d.buffer.size() < kMinFrameSize) return;
    Decoded dec = DecodeFrame(d.buffer);
    if (dec.kind == Decoded::Kind::kUnderflow) return;
    ++stats_.request;
    if (dec.kind == Decoded::Kind::kError) {
      ++stats_.request_decoding_error;
      rt_.Trace(TraceEvent("ProxyRequestDecodeError", Severity::kWarn)
                    .Detail("Peer", d.conn->peer_address().ToString())
                    .Detail("Error", dec.error));
      ResetAll(d, /*count_errors=*/true);
      CloseDownstream(id);
      return;
    }
    ++stats_.request_decoding_success;
    d.buffer.erase(0, dec.consumed);
    Dispatch(d, std::move(dec.command));
  }
}

void RocketMQProxy::OnDownstreamClosed(uint64_t id, const Status& st) {
  auto it = downstreams_.find(id);
  if (it == downstreams_.end()) return;
  // An orderly close is Envoy's end_stream (resetAllActiveMessages: response_error for each); a
  // reset destroys the connection's state without counting.
  ResetAll(it->second, /*count_errors=*/st.code() == StatusCode::kClosed);
  CloseDownstream(id);
}

void RocketMQProxy::ResetAll(Downstream& d, bool count_errors) {
  const std::set<uint64_t> ids = d.actives;
  for (uint64_t aid : ids) {
    Active* a = FindActive(aid);
    if (a == nullptr || a->reset) continue;
    if (count_errors) ++stats_.response_error;
    ReleaseUpstream(*a, /*reusable=*/false);
    Reset(*a);
  }
}

void RocketMQProxy::CloseDownstream(uint64_t id) {
  auto it = downstreams_.find(id);
  if (it == downstreams_.end()) return;
  it->second.conn->Close();
  downstreams_.erase(it);
  // The client is gone: so is its session, and the broker forgets it (a closed channel).
  auto s = sessions_.find(id);
  if (s != sessions_.end()) {
    if (s->second.conn) s->second.conn->Close();
    sessions_.erase(s);
  }
}

RemotingCommand RocketMQProxy::LocalError(const RemotingCommand& req,
                                          const std::string& remark) const {
  // ConnectionManager::onError: SystemError, response flag, the request's opaque, version 0.
  RemotingCommand r = RemotingCommand::CreateResponseCommand(ResponseCode::SYSTEM_ERROR, remark);
  r.opaque = req.opaque;
  r.version = 0;
  r.language = remoting::LanguageCode::CPP;
  return r;
}

void RocketMQProxy::Write(uint64_t downstream, const RemotingCommand& cmd, MonoTime start) {
  auto it = downstreams_.find(downstream);
  if (it == downstreams_.end() || !it->second.conn->is_open()) return;
  auto bytes = cmd.Encode();
  if (!bytes.ok()) return;
  (void)it->second.conn->Send(remoting::AsBytes(*bytes));
  stats_.request_time_ms.Record(
      std::chrono::duration<double, std::milli>(rt_.clock().Now() - start).count());
}

void RocketMQProxy::Dispatch(Downstream& d, RemotingCommand cmd) {
  const MonoTime start = rt_.clock().Now();
  const int32_t code = cmd.code;
  if (!d.broker_name.empty() && IsBrokerBound(code)) {
    Active& a = CreateActive(d, Kind::kBroker, std::move(cmd), start);
    ForwardToBroker(a, d.broker_name);
    return;
  }
  switch (code) {
    case RequestCode::HEART_BEAT:
      return OnHeartbeat(d, cmd, start);
    case RequestCode::UNREGISTER_CLIENT:
      if (!d.broker_name.empty()) RelayToSession(d, cmd);
      return OnUnregister(d, cmd, start);
    case RequestCode::GET_CONSUMER_LIST_BY_GROUP:
      return OnConsumerList(d, cmd, start);
    case RequestCode::GET_ROUTEINFO_BY_TOPIC: {
      Active& a = CreateActive(d, Kind::kRoute, std::move(cmd), start);
      OnTopicRoute(a);
      ++stats_.get_topic_route;
      return;
    }
    case RequestCode::SEND_MESSAGE:
    case RequestCode::SEND_MESSAGE_V2: {
      const bool v2 = code == RequestCode::SEND_MESSAGE_V2;
      // onSendMessage: the broker picks the queue.
      cmd.SetExtField(v2 ? "e" : "queueId", "-1");
      Active& a = CreateActive(d, v2 ? Kind::kSendV2 : Kind::kSendV1, std::move(cmd), start);
      Forward(a);
      // PLANTED BUG proxy.send_v2_counted_as_v1: V2 sends counted as V1.
      const bool as_v1 = v2 && RMQ_PLANTED_BUG("proxy.send_v2_counted_as_v1");
      ++(v2 && !as_v1 ? stats_.send_message_v2 : stats_.send_message_v1);
      return;
    }
    default:
      break;
  }
  if (IsPop(code)) {
    Active& a = CreateActive(d, Kind::kPop, std::move(cmd), start);
    Forward(a);
    ++stats_.pop_message;
    return;
  }
  if (IsAck(code) || code == RequestCode::CHANGE_MESSAGE_INVISIBLETIME) {
    const std::string group = cmd.GetOptionalString("consumerGroup").value_or("");
    const std::string topic = cmd.GetOptionalString("topic").value_or("");
    const int64_t queue_id = OptionalInt(cmd, "queueId");
    const int64_t offset = OptionalInt(cmd, "offset");
    const std::string key = DirectiveKey(group, topic, queue_id, offset);
    auto dir = directives_.find(key);
    if (dir == directives_.end()) {
      Write(d.id, LocalError(cmd, kNoDirective), start);
      if (IsAck(code)) ++stats_.ack_message;
      return;
    }
    Active& a = CreateActive(d, IsAck(code) ? Kind::kAck : Kind::kChangeInvisible,
                             std::move(cmd), start);
    a.ack_key = key;
    a.directive_broker_name = dir->second.broker_name;
    a.directive_broker_id = dir->second.broker_id;
    Forward(a);
    if (IsAck(code)) ++stats_.ack_message;
    return;
  }
  Write(d.id, LocalError(cmd, kNotSupported), start);
}

// ---------------------------------------------------------------------------- local answers

void RocketMQProxy::PurgeDirectives(MonoTime now) {
  for (auto it = directives_.begin(); it != directives_.end();) {
    if (now - it->second.created > config_.transient_object_life_span) {
      it = directives_.erase(it);
    } else {
      ++it;
    }
  }
}

void RocketMQProxy::OnHeartbeat(Downstream& d, const RemotingCommand& req, MonoTime start) {
  const MonoTime now = rt_.clock().Now();
  PurgeDirectives(now);
  auto hb = common::DecodeHeartbeatData(req.body);
  if (!hb.ok() || hb->client_id.empty()) {
    // Envoy: logged, no reply, not counted.
    rt_.Trace(TraceEvent("ProxyBadHeartbeat", Severity::kWarn)
                  .Detail("Error", hb.ok() ? std::string("no clientID") : hb.status().ToString()));
    return;
  }
  for (const common::ConsumerData& cd : hb->consumer_data_set) {
    std::vector<Member>& members = groups_[cd.group_name];
    bool found = false;
    for (Member& m : members) {
      if (m.client_id == hb->client_id) {
        m.last = now;
        found = true;
      }
    }
    std::erase_if(members, [&](const Member& m) {
      return m.client_id != hb->client_id && now - m.last > config_.transient_object_life_span;
    });
    if (!found) members.push_back({hb->client_id, now});
  }
  if (!d.broker_name.empty()) RelayToSession(d, req);
  RemotingCommand r = RemotingCommand::CreateResponseCommand(ResponseCode::SUCCESS, "Heartbeat OK");
  r.opaque = req.opaque;
  r.version = 0;
  r.language = remoting::LanguageCode::CPP;
  Write(d.id, r, start);
  ++stats_.heartbeat;
}

void RocketMQProxy::OnUnregister(Downstream& d, const RemotingCommand& req, MonoTime start) {
  const MonoTime now = rt_.clock().Now();
  const std::string client = req.GetOptionalString("clientID").value_or("");
  const std::string group = req.GetOptionalString("consumerGroup").value_or("");
  if (!group.empty()) {
    auto it = groups_.find(group);
    if (it != groups_.end()) {
      std::erase_if(it->second, [&](const Member& m) {
        return m.client_id == client || now - m.last > config_.transient_object_life_span;
      });
      if (it->second.empty()) groups_.erase(it);
    }
  }
  RemotingCommand r = req.CreateResponse(ResponseCode::SUCCESS, "Envoy unregister client OK.");
  Write(d.id, r, start);
  ++stats_.unregister;
}

void RocketMQProxy::OnConsumerList(Downstream& d, const RemotingCommand& req, MonoTime start) {
  const std::string group = req.GetOptionalString("consumerGroup").value_or("");
  common::ConsumerListBody body;
  body.consumer_id_list = ConsumerList(group);
  RemotingCommand r = req.CreateResponse(ResponseCode::SUCCESS);
  r.body = common::EncodeConsumerListBody(body);
  Write(d.id, r, start);
  ++stats_.get_consumer_list;
}

void RocketMQProxy::OnTopicRoute(Active& a) {
  const Route* route = MatchRoute(a.topic, a.request.code, nullptr);
  auto cluster = route == nullptr ? config_.clusters.end() : config_.clusters.find(route->cluster);
  if (cluster == config_.clusters.end()) {
    Fail(a, kClusterNotAvailable);
    return;
  }
  common::TopicRouteData data;
  const std::string self =
      !config_.develop_mode ? std::string()
                            : config_.advertise.value_or(bound_).ToString();
  for (const Host& h : cluster->second.hosts) {
    data.queue_datas.push_back({.broker_name = h.broker_name,
                                .read_queue_nums = h.read_queue_num,
                                .write_queue_nums = h.write_queue_num,
                                .perm = h.perm});
    auto bd = std::find_if(data.broker_datas.begin(), data.broker_datas.end(),
                           [&](const common::BrokerData& b) {
                             return b.cluster == h.cluster_name && b.broker_name == h.broker_name;
                           });
    if (bd == data.broker_datas.end()) {
      data.broker_datas.push_back({.cluster = h.cluster_name, .broker_name = h.broker_name});
      bd = std::prev(data.broker_datas.end());
    }
    std::string address = self.empty() ? h.address.ToString() : self;
    if (auto b = broker_bound_.find(h.broker_name); !self.empty() && b != broker_bound_.end()) {
      // This broker's own port, on the host clients are told.
      address = Address{config_.advertise.value_or(bound_).host, b->second.port}.ToString();
    }
    bd->broker_addrs.emplace(h.broker_id, address);
  }
  RemotingCommand r = a.request.CreateResponse(ResponseCode::SUCCESS);
  r.body = common::EncodeTopicRouteData(
      data, common::RouteJsonDialectFor(a.request.version, /*accept_standard_json_only=*/false));
  Answer(a, r);
}

// ----------------------------------------------------------------------------- active messages

RocketMQProxy::Active& RocketMQProxy::CreateActive(Downstream& d, Kind kind, RemotingCommand req,
                                                   MonoTime start) {
  const uint64_t id = ++next_id_;
  Active& a = actives_[id];
  a.id = id;
  a.downstream = d.id;
  a.kind = kind;
  a.topic = TopicOf(req);
  a.request = std::move(req);
  a.start = start;
  d.actives.insert(id);
  GaugesFor(kind, +1);
  return a;
}

void RocketMQProxy::GaugesFor(Kind kind, int64_t delta) {
  stats_.request_active += delta;
  switch (kind) {
    case Kind::kRoute:
      stats_.get_topic_route_active += delta;
      break;
    case Kind::kSendV1:
      stats_.send_message_v1_active += delta;
      break;
    case Kind::kSendV2:
      stats_.send_message_v2_active += delta;
      break;
    case Kind::kPop:
      stats_.pop_message_active += delta;
      break;
    case Kind::kAck:
    case Kind::kChangeInvisible:
    case Kind::kBroker:
      break;
  }
}

RocketMQProxy::Active* RocketMQProxy::FindActive(uint64_t id) {
  auto it = actives_.find(id);
  return it == actives_.end() ? nullptr : &it->second;
}

void RocketMQProxy::Answer(Active& a, const RemotingCommand& resp) {
  Write(a.downstream, resp, a.start);
  Reset(a);
}

void RocketMQProxy::Fail(Active& a, const std::string& remark) {
  if (remark == kMaintenance) ++stats_.maintenance_failure;
  ReleaseUpstream(a, /*reusable=*/false);
  Answer(a, LocalError(a.request, remark));
}

// onReset + deferredDelete: out of the connection's list now, destroyed (and the gauges lowered)
// once the current turn of the event loop is over.
void RocketMQProxy::Reset(Active& a) {
  if (a.reset) return;
  a.reset = true;
  SetPending(a, false);
  if (a.timeout.valid()) rt_.executor().Cancel(a.timeout);
  a.timeout = {};
  auto d = downstreams_.find(a.downstream);
  if (d != downstreams_.end()) d->second.actives.erase(a.id);
  rt_.executor().Post(guard_.Wrap([this, id = a.id] {
    auto it = actives_.find(id);
    if (it == actives_.end()) return;
    // PLANTED BUG proxy.route_gauge_leak: a route query's gauges are never lowered.
    if (!(it->second.kind == Kind::kRoute && RMQ_PLANTED_BUG("proxy.route_gauge_leak"))) {
      GaugesFor(it->second.kind, -1);
    }
    actives_.erase(it);
  }));
}

// ------------------------------------------------------------------------------------ upstream

const Route* RocketMQProxy::MatchRoute(const std::string& topic, int32_t code,
                                       const Active* ack) const {
  for (const Route& r : config_.routes) {
    if (!r.topic.Matches(topic)) continue;
    bool ok = true;
    for (const HeaderMatch& h : r.headers) {
      std::string value;
      if (h.name == "code") {
        value = std::to_string(code);
      } else if (ack != nullptr && h.name == "broker_name") {
        value = ack->directive_broker_name;
      } else if (ack != nullptr && h.name == "broker_id") {
        value = std::to_string(ack->directive_broker_id);
      } else {
        ok = false;
        break;
      }
      if (value != h.exact) {
        ok = false;
        break;
      }
    }
    if (ok) return &r;
  }
  return nullptr;
}

void RocketMQProxy::Forward(Active& a) {
  const bool ack = a.kind == Kind::kAck || a.kind == Kind::kChangeInvisible;
  const Route* route = MatchRoute(a.topic, a.request.code, ack ? &a : nullptr);
  if (route == nullptr) return Fail(a, kNoRoute);
  auto cit = config_.clusters.find(route->cluster);
  if (cit == config_.clusters.end()) return Fail(a, kNoCluster);
  const Cluster& cluster = cit->second;
  if (cluster.maintenance) return Fail(a, kMaintenance);
  std::vector<const Host*> hosts;
  for (const Host& h : cluster.hosts) {
    bool ok = true;
    for (const auto& [k, v] : route->metadata_match) ok = ok && h.Metadata(k) == v;
    if (ok) hosts.push_back(&h);
  }
  if (hosts.empty()) return Fail(a, kNoHost);
  size_t& rr = round_robin_[cluster.name];
  a.host = hosts[rr++ % hosts.size()];
  SendUpstream(a, cluster);
}

std::pair<const Host*, const Cluster*> RocketMQProxy::BrokerHost(
    const std::string& broker_name) const {
  std::pair<const Host*, const Cluster*> best{nullptr, nullptr};
  for (const auto& [name, c] : config_.clusters) {
    for (const Host& h : c.hosts) {
      if (h.broker_name != broker_name) continue;
      if (best.first == nullptr || h.broker_id < best.first->broker_id) best = {&h, &c};
    }
  }
  return best;
}

void RocketMQProxy::ForwardToBroker(Active& a, const std::string& broker_name) {
  auto [host, cluster] = BrokerHost(broker_name);
  if (host == nullptr) return Fail(a, kNoHost);
  if (cluster->maintenance) return Fail(a, kMaintenance);
  a.host = host;
  SendUpstream(a, *cluster);
}

void RocketMQProxy::SendUpstream(Active& a, const Cluster& cluster) {
  if (config_.request_timeout > Duration::zero()) {
    // A pop or a pull may be held by the broker for its poll or suspend time: the timeout starts
    // after that.
    Duration timeout = config_.request_timeout;
    const char* held = a.kind == Kind::kPop ? "pollTime"
                       : a.request.code == RequestCode::PULL_MESSAGE ? "suspendTimeoutMillis"
                                                                     : nullptr;
    if (held != nullptr) {
      auto poll = a.request.GetOptionalInt64(held);
      if (poll.ok() && poll->has_value() && **poll > 0) timeout += milliseconds(**poll);
    }
    a.timeout = rt_.executor().ScheduleAfter(
        timeout, guard_.Wrap([this, id = a.id] {
          Active* x = FindActive(id);
          if (x == nullptr || x->reset) return;
          Fail(*x, kUpstreamTimeout);
        }));
  }
  const std::string key = HostKey(*a.host);
  auto& idle = idle_[key];
  while (!idle.empty()) {
    std::shared_ptr<UpstreamConn> u = idle.back();
    idle.pop_back();
    if (!u->conn->is_open()) continue;
    u->active = a.id;
    a.upstream = u;
    WriteUpstream(a);
    return;
  }
  SetPending(a, true);
  rt_.network().Connect(a.host->address, cluster.connect_timeout,
                        guard_.Wrap([this, id = a.id, key](StatusOr<std::shared_ptr<Connection>> c) {
                          OnUpstreamConnected(id, key, std::move(c));
                        }));
}

void RocketMQProxy::SetPending(Active& a, bool pending) {
  if (a.pending == pending) return;
  a.pending = pending;
  const int64_t delta = pending ? 1 : -1;
  stats_.total_pending += delta;
  switch (a.kind) {
    case Kind::kSendV1:
    case Kind::kSendV2:
      stats_.send_message_pending += delta;
      break;
    case Kind::kPop:
      stats_.pop_message_pending += delta;
      break;
    case Kind::kRoute:
      stats_.get_topic_route_pending += delta;
      break;
    default:
      break;
  }
}

void RocketMQProxy::OnUpstreamConnected(uint64_t active_id, const std::string& host_key,
                                        StatusOr<std::shared_ptr<Connection>> c) {
  Active* a = FindActive(active_id);
  if (!c.ok()) {
    if (a == nullptr || a->reset) return;
    SetPending(*a, false);
    // PLANTED BUG proxy.refused_upstream_counted: a refused connection counted as a response.
    if (RMQ_PLANTED_BUG("proxy.refused_upstream_counted")) ++stats_.response;
    Fail(*a, c.status().code() == StatusCode::kTimeout ? "timeout" : "remote connection failure");
    return;
  }
  auto u = std::make_shared<UpstreamConn>();
  u->id = ++next_id_;
  u->host_key = host_key;
  u->conn = *c;
  upstreams_[u->id] = u;
  std::weak_ptr<UpstreamConn> weak = u;
  u->conn->Start(guard_.Wrap([this, weak](std::span<const std::byte> b) {
                   if (auto s = weak.lock()) OnUpstreamData(s, b);
                 }),
                 guard_.Wrap([this, weak](const Status&) {
                   if (auto s = weak.lock()) OnUpstreamClosed(s);
                 }));
  if (a == nullptr || a->reset) {
    idle_[host_key].push_back(u);  // the request went away meanwhile: keep it for the next
    return;
  }
  SetPending(*a, false);
  u->active = a->id;
  a->upstream = u;
  WriteUpstream(*a);
}

void RocketMQProxy::WriteUpstream(Active& a) {
  auto bytes = a.request.Encode();
  if (!bytes.ok() || !a.upstream->conn->Send(remoting::AsBytes(*bytes)).ok()) {
    Fail(a, "remote connection failure");
    return;
  }
  if (a.request.is_oneway()) {
    if (a.kind == Kind::kAck) directives_.erase(a.ack_key);
    ReleaseUpstream(a, /*reusable=*/true);
    Reset(a);
  }
}

void RocketMQProxy::OnUpstreamData(const std::shared_ptr<UpstreamConn>& u,
                                   std::span<const std::byte> data) {
  u->buffer.append(reinterpret_cast<const char*>(data.data()), data.size());
  Active* a = u->active == 0 ? nullptr : FindActive(u->active);
  if (a == nullptr || a->reset) {
    // Bytes nobody asked for: the connection is not reusable.
    u->conn->Close();
    upstreams_.erase(u->id);
    return;
  }
  Decoded dec = DecodeFrame(u->buffer);
  if (dec.kind == Decoded::Kind::kUnderflow) return;
  ++stats_.response;
  if (dec.kind == Decoded::Kind::kError) {
    ++stats_.response_decoding_error;
    rt_.Trace(TraceEvent("ProxyResponseDecodeError", Severity::kWarn)
                  .Detail("Upstream", u->host_key)
                  .Detail("Error", dec.error));
    Fail(*a, kUpstreamDecodeFailed);
    return;
  }
  ++stats_.response_decoding_success;
  // PLANTED BUG proxy.response_counted_twice: a decoded response counted twice.
  if (RMQ_PLANTED_BUG("proxy.response_counted_twice")) ++stats_.response;
  u->buffer.erase(0, dec.consumed);
  RemotingCommand resp = std::move(dec.command);
  if (resp.code == ResponseCode::SUCCESS) ++stats_.response_success;
  if (a->kind == Kind::kPop) RecordDirectives(*a, resp);
  if (a->kind == Kind::kAck && resp.code == ResponseCode::SUCCESS) directives_.erase(a->ack_key);
  resp.opaque = a->request.opaque;
  ReleaseUpstream(*a, /*reusable=*/u->buffer.empty());
  Answer(*a, resp);
}

void RocketMQProxy::OnUpstreamClosed(const std::shared_ptr<UpstreamConn>& u) {
  upstreams_.erase(u->id);
  auto& idle = idle_[u->host_key];
  std::erase(idle, u);
  Active* a = u->active == 0 ? nullptr : FindActive(u->active);
  if (a == nullptr || a->reset) return;
  a->upstream.reset();
  u->active = 0;
  Fail(*a, kUpstreamClosed);
}

void RocketMQProxy::ReleaseUpstream(Active& a, bool reusable) {
  std::shared_ptr<UpstreamConn> u = std::move(a.upstream);
  a.upstream.reset();
  if (u == nullptr) return;
  u->active = 0;
  if (reusable && u->conn->is_open() && !stopping_) {
    idle_[u->host_key].push_back(u);
  } else {
    u->conn->Close();
    upstreams_.erase(u->id);
  }
}

// fillAckMessageDirective: one directive per message returned, keyed by the pop request's group
// and the record's topic, queue id and queue offset, pointing at the broker that served the pop.
void RocketMQProxy::RecordDirectives(const Active& a, const RemotingCommand& resp) {
  if (resp.code != ResponseCode::SUCCESS && resp.body.empty()) return;
  if (a.host == nullptr) return;
  const std::string group = a.request.GetOptionalString("consumerGroup").value_or("");
  auto msgs = common::DecodeStoredMessages(remoting::AsBytes(resp.body));
  if (!msgs.ok()) {
    rt_.Trace(TraceEvent("ProxyPopBodyUndecodable", Severity::kWarn)
                  .Detail("Error", msgs.status().ToString()));
    return;
  }
  const MonoTime now = rt_.clock().Now();
  for (const common::MessageExt& m : *msgs) {
    directives_[DirectiveKey(group, m.message.topic(), m.queue_id, m.queue_offset)] =
        AckDirective{a.host->broker_name, a.host->broker_id, now};
  }
}

// ------------------------------------------------------------------------------ broker sessions

void RocketMQProxy::RelayToSession(const Downstream& d, const RemotingCommand& cmd) {
  auto [host, cluster] = BrokerHost(d.broker_name);
  if (host == nullptr || stopping_) return;
  auto bytes = cmd.Encode();
  if (!bytes.ok()) return;
  Session& s = sessions_[d.id];
  if (s.conn != nullptr && s.conn->is_open()) {
    (void)s.conn->Send(remoting::AsBytes(*bytes));
    return;
  }
  s.queued.push_back(std::move(*bytes));
  if (s.connecting) return;
  s.connecting = true;
  rt_.network().Connect(host->address, cluster->connect_timeout,
                        guard_.Wrap([this, id = d.id](StatusOr<std::shared_ptr<Connection>> c) {
                          OnSessionConnected(id, std::move(c));
                        }));
}

void RocketMQProxy::OnSessionConnected(uint64_t downstream,
                                       StatusOr<std::shared_ptr<Connection>> c) {
  auto it = sessions_.find(downstream);
  if (it == sessions_.end()) {  // the client went away meanwhile
    if (c.ok()) (*c)->Close();
    return;
  }
  Session& s = it->second;
  s.connecting = false;
  if (!c.ok()) {
    // Dropped: the client's next heartbeat tries again.
    rt_.Trace(TraceEvent("ProxySessionConnectFailed", Severity::kWarn)
                  .Detail("Error", c.status().ToString()));
    s.queued.clear();
    return;
  }
  s.conn = *c;
  s.buffer.clear();
  s.conn->Start(
      guard_.Wrap([this, downstream](std::span<const std::byte> b) {
        OnSessionData(downstream, b);
      }),
      guard_.Wrap([this, downstream, conn = s.conn.get()](const Status&) {
        auto x = sessions_.find(downstream);
        if (x != sessions_.end() && x->second.conn.get() == conn) x->second.conn.reset();
      }));
  for (const std::string& frame : s.queued) (void)s.conn->Send(remoting::AsBytes(frame));
  s.queued.clear();
}

// The broker's answers to relayed heartbeats count as responses (every frame decoded from an
// upstream connection does); its NOTIFY_CONSUMER_IDS_CHANGED goes down to the client.
void RocketMQProxy::OnSessionData(uint64_t downstream, std::span<const std::byte> data) {
  auto it = sessions_.find(downstream);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  s.buffer.append(reinterpret_cast<const char*>(data.data()), data.size());
  while (true) {
    Decoded dec = DecodeFrame(s.buffer);
    if (dec.kind == Decoded::Kind::kUnderflow) return;
    ++stats_.response;
    if (dec.kind == Decoded::Kind::kError) {
      ++stats_.response_decoding_error;
      rt_.Trace(TraceEvent("ProxyResponseDecodeError", Severity::kWarn)
                    .Detail("Upstream", "session")
                    .Detail("Error", dec.error));
      if (s.conn) s.conn->Close();
      s.conn.reset();
      s.buffer.clear();
      return;
    }
    ++stats_.response_decoding_success;
    if (dec.command.code == ResponseCode::SUCCESS) ++stats_.response_success;
    const std::string frame = s.buffer.substr(0, dec.consumed);
    s.buffer.erase(0, dec.consumed);
    if (!dec.command.is_response() &&
        dec.command.code == RequestCode::NOTIFY_CONSUMER_IDS_CHANGED) {
      auto d = downstreams_.find(downstream);
      if (d != downstreams_.end()) (void)d->second.conn->Send(remoting::AsBytes(frame));
    }
  }
}

// ------------------------------------------------------------------------------------- admin

// A minimal HTTP/1.0 responder: one request per connection, answered and closed.
void RocketMQProxy::OnAdminAccept(std::shared_ptr<Connection> c) {
  if (stopping_) {
    c->Close();
    return;
  }
  const uint64_t id = ++next_id_;
  admin_conns_[id].conn = c;
  c->Start(guard_.Wrap([this, id](std::span<const std::byte> b) { OnAdminData(id, b); }),
           guard_.Wrap([this, id](const Status&) { admin_conns_.erase(id); }));
}

void RocketMQProxy::OnAdminData(uint64_t id, std::span<const std::byte> data) {
  auto it = admin_conns_.find(id);
  if (it == admin_conns_.end()) return;
  AdminConn& a = it->second;
  a.request.append(reinterpret_cast<const char*>(data.data()), data.size());
  const size_t end = a.request.find("\r\n\r\n");
  if (end == std::string::npos && a.request.size() < kAdminRequestMax) return;
  std::string status = "200 OK";
  std::string body;
  const std::string line = a.request.substr(0, a.request.find("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  const std::string method = line.substr(0, sp1);
  const std::string target =
      sp1 == std::string::npos ? std::string() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string path = target.substr(0, target.find('?'));
  const std::string query =
      target.find('?') == std::string::npos ? std::string() : target.substr(target.find('?') + 1);
  auto param = [&](const std::string& key) -> std::optional<std::string> {
    for (size_t pos = 0; pos <= query.size();) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      const std::string kv = query.substr(pos, amp - pos);
      if (kv.starts_with(key + "=")) return kv.substr(key.size() + 1);
      pos = amp + 1;
    }
    return std::nullopt;
  };
  if (end == std::string::npos) {
    status = "431 Request Header Fields Too Large";
  } else if (method == "GET" && path == "/stats/prometheus") {
    body = PrometheusText(stats_, config_.stat_prefix);
  } else if (method == "GET" && path == "/stats") {
    const std::string root = StatRoot(config_.stat_prefix);
    for (const StatValue& v : ListStats(stats_)) {
      if (v.type == StatType::kHistogram) {
        body += root + v.name + ": count=" + std::to_string(v.histogram->count) +
                " sum=" + std::to_string(v.histogram->sum) + "\n";
      } else {
        body += root + v.name + ": " + std::to_string(v.value) + "\n";
      }
    }
  } else if (method == "POST" && path == "/maintenance") {
    auto cluster = param("cluster");
    auto enabled = param("enabled");
    if (!cluster || !enabled || (*enabled != "true" && *enabled != "false")) {
      status = "400 Bad Request";
      body = "usage: POST /maintenance?cluster=NAME&enabled=true|false\n";
    } else if (Status st = SetMaintenance(*cluster, *enabled == "true"); !st.ok()) {
      status = "404 Not Found";
      body = st.message() + "\n";
    } else {
      body = "cluster " + *cluster + " maintenance " + *enabled + "\n";
    }
  } else {
    status = "404 Not Found";
    body = "endpoints: GET /stats, GET /stats/prometheus, POST /maintenance\n";
  }
  const std::string response = "HTTP/1.0 " + status +
                               "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                               body;
  (void)a.conn->Send(remoting::AsBytes(response));
  a.conn->Close();
  admin_conns_.erase(it);
}

}  // namespace rmqsim::proxy
