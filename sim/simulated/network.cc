#include "sim/simulated/network.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "sim/base/limits.h"
#include "sim/simulated/world.h"

namespace rmqsim::sim {

// The application's handle on one endpoint.
class SimConnection final : public Connection {
 public:
  SimConnection(SimNetwork& net, uint64_t conn, int side, Address local, Address peer)
      : net_(net), conn_(conn), side_(side), local_(std::move(local)), peer_(std::move(peer)) {}
  ~SimConnection() override { net_.CloseEndpoint(conn_, side_, /*reset=*/false); }

  void Start(DataHandler on_data, CloseHandler on_close) override {
    net_.Start(conn_, side_, std::move(on_data), std::move(on_close));
  }
  Status Send(std::span<const std::byte> bytes) override { return net_.Send(conn_, side_, bytes); }
  size_t buffered_bytes() const override { return net_.Buffered(conn_, side_); }
  void SetSendBufferLimit(size_t bytes) override { net_.SetLimit(conn_, side_, bytes); }
  void Close() override { net_.CloseEndpoint(conn_, side_, /*reset=*/false); }
  void Reset() override { net_.CloseEndpoint(conn_, side_, /*reset=*/true); }
  bool is_open() const override { return net_.IsOpen(conn_, side_); }
  const Address& local_address() const override { return local_; }
  const Address& peer_address() const override { return peer_; }
  uint64_t id() const override { return conn_ * 2 + static_cast<uint64_t>(side_); }

 private:
  SimNetwork& net_;
  uint64_t conn_;
  int side_;
  Address local_, peer_;
};

class SimListener final : public Listener {
 public:
  SimListener(SimNetwork& net, SimNetwork::PortKey key, uint64_t id, Address address)
      : net_(net), key_(key), id_(id), address_(std::move(address)) {}
  ~SimListener() override { Close(); }
  const Address& address() const override { return address_; }
  void Close() override {
    if (closed_) return;
    closed_ = true;
    net_.CloseListener(key_, id_);
  }

 private:
  SimNetwork& net_;
  SimNetwork::PortKey key_;
  uint64_t id_;
  Address address_;
  bool closed_ = false;
};

SimNetwork::SimNetwork(World& world, NetworkConfig config, uint64_t seed)
    : world_(world), config_(config), random_(seed) {}

SimNetwork::~SimNetwork() = default;

SimNetwork::Conn* SimNetwork::Find(uint64_t conn) {
  return conn < by_id_.size() ? by_id_[conn] : nullptr;
}
const SimNetwork::Conn* SimNetwork::Find(uint64_t conn) const {
  return conn < by_id_.size() ? by_id_[conn] : nullptr;
}

SimNetwork::LinkState& SimNetwork::Link(MachineId from, MachineId to) {
  return links_[{from.value(), to.value()}];
}

bool SimNetwork::IsLinkBlocked(MachineId from, MachineId to) const {
  return LinkBlockCount(from, to) > 0;
}

uint32_t SimNetwork::LinkBlockCount(MachineId from, MachineId to) const {
  auto it = links_.find({from.value(), to.value()});
  return it == links_.end() ? 0 : it->second.blocks;
}

Duration SimNetwork::SampleLatency(MachineId from, MachineId to) {
  if (from == to) return config_.loopback_latency;
  return config_.latency_min + random_.ExponentialDuration(config_.latency_jitter_mean);
}

bool SimNetwork::EndpointAlive(const Endpoint& e) const {
  return e.state == EpState::kOpen && world_.IsAlive(e.owner);
}

void SimNetwork::TraceConn(std::string_view name, const Conn& c, int side, const Status* why) {
  const Endpoint& e = c.ep[side];
  TraceEvent ev(name);
  ev.Detail("Conn", c.id).Detail("Local", e.local.ToString()).Detail("Peer", e.peer.ToString());
  if (why != nullptr) ev.Detail("Reason", why->ToString());
  world_.EmitTrace(world_.OwnerName(e.owner), std::move(ev));
}

// ------------------------------------------------------------------ listen and connect

StatusOr<std::unique_ptr<Listener>> SimNetwork::Listen(Owner owner, MachineId machine,
                                                        const Address& address,
                                                        Network::AcceptHandler on_accept) {
  const std::string& ip = world_.machine_ip(machine);
  if (!address.is_any() && !address.is_loopback() && address.host != ip) {
    return InvalidArgumentError("cannot listen on " + address.ToString() + ": not an address of " +
                                world_.machine_name(machine) + " (" + ip + ")");
  }
  uint16_t port = address.port;
  if (port == 0) {
    auto& next = next_ephemeral_port_[machine.value()];
    if (next < 32768) next = 32768;
    for (int tries = 0; tries < 28232; ++tries) {
      uint16_t candidate = next;
      next = next >= 60999 ? 32768 : next + 1;
      if (!listeners_.contains({machine.value(), candidate})) {
        port = candidate;
        break;
      }
    }
    if (port == 0) return ResourceExhaustedError("no free ephemeral port on " + ip);
  }
  PortKey key{machine.value(), port};
  if (listeners_.contains(key)) {
    return AlreadyExistsError("cannot listen on " + ip + ":" + std::to_string(port) +
                              ": address already in use");
  }
  uint64_t id = ++next_listener_id_;
  Address bound{address.is_any() || address.is_loopback() ? address.host : ip, port};
  listeners_.emplace(key, std::pair{id, ListenerState{owner, machine, bound, std::move(on_accept)}});
  world_.EmitTrace(world_.OwnerName(owner),
                   TraceEvent("Listening").Detail("Address", bound.ToString()));
  return std::unique_ptr<Listener>(std::make_unique<SimListener>(*this, key, id, bound));
}

void SimNetwork::CloseListener(PortKey key, uint64_t listener_id) {
  auto it = listeners_.find(key);
  if (it != listeners_.end() && it->second.first == listener_id) listeners_.erase(it);
}

void SimNetwork::Connect(Owner owner, MachineId machine, const Address& address,
                         Duration timeout, Network::ConnectHandler done) {
  // `done` runs exactly once, on the connecting process, unless it dies first.
  struct Pending {
    bool finished = false;
    Network::ConnectHandler done;
  };
  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  auto finish = [this, owner, pending](MonoTime when, StatusOr<std::shared_ptr<Connection>> r) {
    world_.ScheduleAt(when, owner, [pending, r = std::move(r)]() mutable {
      if (pending->finished) return;
      pending->finished = true;
      auto d = std::move(pending->done);
      d(std::move(r));
    });
  };
  MonoTime now = world_.now();
  if (!IsIpv4Literal(address.host) || address.port == 0 || address.is_any()) {
    finish(now, InvalidArgumentError("cannot connect to " + address.ToString() +
                                     ": not a host:port with a non-zero port"));
    return;
  }
  if (timeout <= Duration::zero()) timeout = milliseconds(1);
  // The timeout fires unless an answer comes first.
  finish(now + timeout, TimeoutError("connect to " + address.ToString() + " timed out after " +
                                     FormatDuration(timeout)));
  std::optional<MachineId> target =
      address.is_loopback() ? std::optional<MachineId>(machine) : world_.MachineByIp(address.host);
  if (!target) return;  // nobody has this address: only the timeout answers
  MachineId to = *target;
  if (IsLinkBlocked(machine, to)) return;  // the SYN is lost
  Duration there = SampleLatency(machine, to);
  uint64_t from_boot = world_.boot_epoch(machine);
  // The SYN arrives at the target machine (a world event: the kernel, not a process, answers).
  world_.ScheduleAt(now + there, Owner{}, [this, owner, machine, to, address, pending, finish,
                                           from_boot] {
    if (pending->finished || !world_.IsAlive(owner)) return;
    if (!world_.IsMachineUp(to) || world_.boot_epoch(machine) != from_boot) return;
    MonoTime t = world_.now();
    auto it = listeners_.find({to.value(), address.port});
    if (it == listeners_.end() || !world_.IsAlive(it->second.second.owner)) {
      if (IsLinkBlocked(to, machine)) return;
      finish(t + SampleLatency(to, machine),
             ConnectionRefusedError("connect to " + address.ToString() +
                                    ": connection refused (nothing listening)"));
      return;
    }
    const ListenerState& ls = it->second.second;
    uint64_t id = ++next_conn_id_;
    Conn& c = conns_[id];
    if (by_id_.size() <= id) by_id_.resize(id + 1, nullptr);
    by_id_[id] = &c;
    c.id = id;
    c.link[0] = &Link(machine, to);
    c.link[1] = &Link(to, machine);
    // Side 0: the connecting end; side 1: the accepted end.
    auto& next = next_ephemeral_port_[machine.value()];
    if (next < 32768) next = 32768;
    uint16_t local_port = next;
    next = next >= 60999 ? 32768 : next + 1;
    std::string from_ip = address.is_loopback() ? address.host : world_.machine_ip(machine);
    std::string to_ip = address.is_loopback() ? address.host : world_.machine_ip(to);
    c.ep[0] = Endpoint{};
    c.ep[0].owner = owner;
    c.ep[0].machine = machine;
    c.ep[0].boot = world_.boot_epoch(machine);
    c.ep[0].local = Address{from_ip, local_port};
    c.ep[0].peer = Address{to_ip, address.port};
    c.ep[0].send_buffer_limit = limits::kSendBufferBytesDefault;
    c.ep[1] = Endpoint{};
    c.ep[1].owner = ls.owner;
    c.ep[1].machine = to;
    c.ep[1].boot = world_.boot_epoch(to);
    c.ep[1].local = c.ep[0].peer;
    c.ep[1].peer = c.ep[0].local;
    c.ep[1].send_buffer_limit = limits::kSendBufferBytesDefault;
    TraceConn("ConnectionAccepted", c, 1, nullptr);
    auto server_handle =
        std::make_shared<SimConnection>(*this, id, 1, c.ep[1].local, c.ep[1].peer);
    auto on_accept = ls.on_accept;
    world_.ScheduleAt(t, ls.owner, [on_accept, server_handle] { on_accept(server_handle); });
    // The SYN-ACK travels back. If it cannot, the client times out and never learns of this
    // connection; bytes the server sends to it are dropped.
    if (IsLinkBlocked(to, machine)) {
      c.ep[0].state = EpState::kClosed;
      return;
    }
    auto client_handle =
        std::make_shared<SimConnection>(*this, id, 0, c.ep[0].local, c.ep[0].peer);
    finish(t + SampleLatency(to, machine), std::shared_ptr<Connection>(client_handle));
  });
}

// ------------------------------------------------------------------ endpoint operations

void SimNetwork::Start(uint64_t conn, int side, Connection::DataHandler d,
                       Connection::CloseHandler c) {
  Conn* cn = Find(conn);
  if (cn == nullptr) return;
  Endpoint& e = cn->ep[side];
  RMQ_ASSERT_MSG(!e.started, "Connection::Start called twice");
  e.started = true;
  e.on_data = std::move(d);
  e.on_close = std::move(c);
  if (!e.pending_in.empty() || e.pending_close) PostDelivery(*cn, side);
}

Status SimNetwork::Send(uint64_t conn, int side, std::span<const std::byte> bytes) {
  Conn* c = Find(conn);
  if (c == nullptr || c->ep[side].state != EpState::kOpen) {
    return ClosedError("send on a closed connection");
  }
  Pipe& p = c->pipe[side];
  if (p.fin_pending) return ClosedError("send on a closed connection");
  size_t buffered = p.unsent_bytes + p.in_flight_bytes;
  if (buffered + bytes.size() > c->ep[side].send_buffer_limit) {
    return ResourceExhaustedError("send buffer full (" + std::to_string(buffered) + " + " +
                                  std::to_string(bytes.size()) + " bytes > limit " +
                                  std::to_string(c->ep[side].send_buffer_limit) + ")");
  }
  if (bytes.empty()) return Status::Ok();
  p.unsent.emplace_back(bytes.begin(), bytes.end());
  p.unsent_bytes += bytes.size();
  if (!p.pump_scheduled) Pump(*c, side);  // cut segments now: no callback runs in here
  return Status::Ok();
}

size_t SimNetwork::Buffered(uint64_t conn, int side) const {
  const Conn* c = Find(conn);
  if (c == nullptr) return 0;
  return c->pipe[side].unsent_bytes + c->pipe[side].in_flight_bytes;
}

void SimNetwork::SetLimit(uint64_t conn, int side, size_t bytes) {
  Conn* c = Find(conn);
  if (c != nullptr) c->ep[side].send_buffer_limit = std::min(bytes, limits::kSendBufferBytesMax);
}

bool SimNetwork::IsOpen(uint64_t conn, int side) const {
  const Conn* c = Find(conn);
  return c != nullptr && c->ep[side].state == EpState::kOpen && !c->pipe[side].fin_pending;
}

void SimNetwork::ClearPipe(Pipe& p) {
  p.unsent.clear();
  p.unsent_head_offset = 0;
  p.unsent_bytes = 0;
  p.in_flight.clear();
  p.in_flight_bytes = 0;
  p.fin_pending = false;
}

void SimNetwork::EnqueueControl(Conn& c, int side_from, SegKind kind) {
  Pipe& p = c.pipe[side_from];
  if (kind == SegKind::kRst) {
    // A reset overtakes queued data (it is not retransmitted in order) but not bytes already on
    // the wire.
    p.unsent.clear();
    p.unsent_head_offset = 0;
    p.unsent_bytes = 0;
    p.fin_pending = false;
  }
  if (kind == SegKind::kFin && p.unsent_bytes > 0) {
    p.fin_pending = true;  // the pump sends it after the data
    return;
  }
  MachineId from = c.ep[side_from].machine, to = c.ep[1 - side_from].machine;
  int64_t now = ToNanos(world_.now());
  LinkState& link = Link(from, to);
  int64_t arrival = now + SampleLatency(from, to).count();
  arrival = std::max({arrival, link.clogged_until_ns, p.last_arrival_ns});
  p.last_arrival_ns = arrival;
  p.in_flight.push_back(Segment{arrival, kind, {}});
  ScheduleArrival(c, side_from, arrival);
}

void SimNetwork::CloseEndpoint(uint64_t conn, int side, bool reset) {
  Conn* c = Find(conn);
  if (c == nullptr) return;
  Endpoint& e = c->ep[side];
  if (e.state != EpState::kOpen) return;
  e.state = EpState::kClosed;
  e.on_data = nullptr;
  e.on_close = nullptr;
  e.pending_in.clear();
  TraceConn(reset ? "ConnectionResetLocally" : "ConnectionClosedLocally", *c, side, nullptr);
  // Anything still coming towards us is dropped on arrival.
  Endpoint& peer = c->ep[1 - side];
  if (peer.state == EpState::kOpen) {
    EnqueueControl(*c, side, reset ? SegKind::kRst : SegKind::kFin);
  } else {
    ClearPipe(c->pipe[side]);
  }
  MaybeErase(conn);
}

// ------------------------------------------------------------------ transmission

void SimNetwork::SchedulePump(Conn& c, int side) {
  Pipe& p = c.pipe[side];
  if (p.pump_scheduled) return;
  p.pump_scheduled = true;
  // Pumping at the end of the current instant coalesces the writes made within it. (The closure
  // packs connection and side into one word so that it fits std::function's inline storage.)
  uint64_t key = c.id << 1 | static_cast<uint64_t>(side);
  world_.ScheduleAt(world_.now(), Owner{}, [this, key] { Pump(key >> 1, static_cast<int>(key & 1)); });
}

void SimNetwork::Pump(uint64_t conn, int side) {
  Conn* c = Find(conn);
  if (c == nullptr) return;
  Pump(*c, side);
}

void SimNetwork::Pump(Conn& conn_ref, int side) {
  Conn* c = &conn_ref;
  Pipe& p = c->pipe[side];
  p.pump_scheduled = false;
  MachineId from = c->ep[side].machine, to = c->ep[1 - side].machine;
  LinkState& link = *c->link[side];
  if (link.blocks > 0) {
    p.stalled = true;  // resumes on heal
    return;
  }
  int64_t now = ToNanos(world_.now());
  while (p.unsent_bytes > 0) {
    size_t take = std::min(p.unsent_bytes, limits::kSimSegmentBytesMax);
    if (take > 1 && random_.Bernoulli(config_.segmentation_probability)) {
      take = static_cast<size_t>(random_.UniformInt(1, static_cast<int64_t>(take)));
    }
    Segment seg{0, SegKind::kData, {}};
    if (p.unsent_head_offset == 0 && p.unsent.front().size() == take) {
      seg.data = std::move(p.unsent.front());  // a whole write: move it, no copy
      p.unsent.pop_front();
    } else {
      seg.data.reserve(take);
    }
    while (seg.data.size() < take) {
      auto& head = p.unsent.front();
      size_t avail = head.size() - p.unsent_head_offset;
      size_t n = std::min(avail, take - seg.data.size());
      seg.data.insert(seg.data.end(), head.begin() + static_cast<ptrdiff_t>(p.unsent_head_offset),
                      head.begin() + static_cast<ptrdiff_t>(p.unsent_head_offset + n));
      p.unsent_head_offset += n;
      if (p.unsent_head_offset == head.size()) {
        p.unsent.pop_front();
        p.unsent_head_offset = 0;
      }
    }
    p.unsent_bytes -= take;
    p.in_flight_bytes += take;
    // Coalescing: bytes written within one instant may ride in the segment cut just before.
    if (!p.in_flight.empty()) {
      Segment& last = p.in_flight.back();
      if (last.kind == SegKind::kData && last.cut_ns == now &&
          last.data.size() + take <= limits::kSimSegmentBytesMax &&
          random_.Bernoulli(config_.coalescing_probability)) {
        // The merged bytes still take their time on the wire: the segment lands that much later.
        int64_t extra_ns = static_cast<int64_t>(static_cast<double>(take) * 1e9 /
                                                static_cast<double>(config_.bandwidth_bytes_per_second));
        last.data.insert(last.data.end(), seg.data.begin(), seg.data.end());
        link.free_at_ns = std::max(now, link.free_at_ns) + extra_ns;
        last.arrival_ns += extra_ns;
        p.last_arrival_ns = std::max(p.last_arrival_ns, last.arrival_ns);
        if (extra_ns > 0) ScheduleArrival(*c, side, last.arrival_ns);
        continue;
      }
    }
    seg.cut_ns = now;
    // Bandwidth: the link sends one segment at a time.
    int64_t wire_ns = static_cast<int64_t>(
        static_cast<double>(take) * 1e9 / static_cast<double>(config_.bandwidth_bytes_per_second));
    int64_t depart = std::max(now, link.free_at_ns) + wire_ns;
    link.free_at_ns = depart;
    int64_t arrival = depart + SampleLatency(from, to).count();
    arrival = std::max({arrival, link.clogged_until_ns, p.last_arrival_ns});
    p.last_arrival_ns = arrival;
    p.in_flight.push_back(std::move(seg));
    p.in_flight.back().arrival_ns = arrival;
    ScheduleArrival(*c, side, arrival);
  }
  if (p.fin_pending) {
    p.fin_pending = false;
    EnqueueControl(*c, side, SegKind::kFin);
  }
}

void SimNetwork::ScheduleArrival(Conn& c, int side, int64_t when_ns) {
  // An arrival event delivers whatever is due when it fires. A stale event (its segment was
  // re-timed after a stall, or cleared) finds nothing due and does nothing, so no epoch is
  // needed in the closure, which keeps it within std::function's inline storage.
  uint64_t key = c.id << 1 | static_cast<uint64_t>(side);
  world_.ScheduleAt(MonoFromNanos(when_ns), Owner{},
                    [this, key] { OnArrival(key >> 1, static_cast<int>(key & 1)); });
}

void SimNetwork::OnArrival(uint64_t conn, int side) {
  Conn* c = Find(conn);
  if (c == nullptr) return;
  Pipe& p = c->pipe[side];
  int64_t now = ToNanos(world_.now());
  if (p.in_flight.empty() || p.in_flight.front().arrival_ns > now) return;  // stale event
  int to_side = 1 - side;
  if (c->link[side]->blocks > 0 || !world_.IsMachineUp(c->ep[to_side].machine)) {
    p.stalled = true;  // lost on the wire; retransmitted after the heal or reboot
    return;
  }
  std::vector<std::byte> data;
  std::optional<SegKind> control;
  while (!p.in_flight.empty() && p.in_flight.front().arrival_ns <= now) {
    Segment seg = std::move(p.in_flight.front());
    p.in_flight.pop_front();
    if (seg.kind != SegKind::kData) {
      control = seg.kind;  // delivered after the data before it; nothing follows it
      break;
    }
    p.in_flight_bytes -= seg.data.size();
    ++segments_delivered_;
    bytes_delivered_ += seg.data.size();
    if (data.empty()) {
      data = std::move(seg.data);
    } else {
      data.insert(data.end(), seg.data.begin(), seg.data.end());
    }
  }
  // Unsent bytes may be waiting for the buffer space this delivery frees.
  if (!control && (p.unsent_bytes > 0 || p.fin_pending)) SchedulePump(*c, side);
  if (!data.empty()) {
    DeliverToEndpoint(*c, to_side, std::move(data));  // may close or erase the connection
    c = Find(conn);
    if (c == nullptr) return;
  }
  if (!control) {
    MaybeErase(conn);  // the last bytes to an end already gone: nothing else will come
    return;
  }
  Endpoint& dst = c->ep[to_side];
  if (dst.state == EpState::kOpen || dst.state == EpState::kVanished) {
    CloseFromPeer(*c, to_side,
                  *control == SegKind::kFin
                      ? ClosedError("connection closed by peer " + dst.peer.ToString())
                      : ConnectionResetError("connection reset by peer " + dst.peer.ToString()));
  }
  ClearPipe(c->pipe[side]);
  MaybeErase(conn);
}

void SimNetwork::DeliverToEndpoint(Conn& c, int side_to, std::vector<std::byte> data) {
  Endpoint& dst = c.ep[side_to];
  if (dst.state == EpState::kClosed) return;  // closed locally: the bytes are dropped
  bool vanished = dst.state == EpState::kVanished || !world_.IsAlive(dst.owner) ||
                  world_.boot_epoch(dst.machine) != dst.boot;
  if (vanished) {
    // The machine rebooted (or the process is gone without having told the peer): the kernel
    // answers with a reset.
    int from_side = 1 - side_to;
    dst.state = EpState::kClosed;
    ClearPipe(c.pipe[from_side]);
    if (c.ep[from_side].state == EpState::kOpen) EnqueueControl(c, side_to, SegKind::kRst);
    return;
  }
  if (dst.started && dst.pending_in.empty() && !dst.delivery_posted && !dst.pending_close) {
    // The common case: hand the bytes straight to the receiver, in its context.
    // Borrow the handler (it may close the connection, or erase `c`), then give it back.
    uint64_t id = c.id;
    auto handler = std::move(dst.on_data);
    world_.DigestBytes(c.id * 2 + static_cast<uint64_t>(side_to), data);
    if (tap_) tap_({c.id, dst.owner, dst.local, dst.peer, data});
    world_.RunAs(dst.owner, [&] { handler(std::span<const std::byte>(data)); });
    Conn* after = Find(id);
    if (after != nullptr && after->ep[side_to].state == EpState::kOpen &&
        !after->ep[side_to].on_data) {
      after->ep[side_to].on_data = std::move(handler);
    }
    return;
  }
  world_.DigestBytes(c.id * 2 + static_cast<uint64_t>(side_to), data);
  dst.pending_in.insert(dst.pending_in.end(), data.begin(), data.end());
  if (dst.started) PostDelivery(c, side_to);
}

void SimNetwork::CloseFromPeer(Conn& c, int side_to, Status why) {
  Endpoint& dst = c.ep[side_to];
  if (!EndpointAlive(dst)) {
    dst.state = EpState::kClosed;
    return;
  }
  TraceConn(why.code() == StatusCode::kConnectionReset ? "ConnectionReset" : "ConnectionEof", c,
            side_to, nullptr);
  dst.pending_close = true;
  dst.pending_close_status = std::move(why);
  // The peer's end will never read what we still want to send.
  ClearPipe(c.pipe[side_to]);
  if (dst.started) PostDelivery(c, side_to);
}

void SimNetwork::PostDelivery(Conn& c, int side) {
  Endpoint& e = c.ep[side];
  if (e.delivery_posted) return;
  e.delivery_posted = true;
  uint64_t id = c.id;
  world_.ScheduleAt(world_.now(), e.owner, [this, id, side] { FlushPending(id, side); });
}

void SimNetwork::FlushPending(uint64_t conn, int side) {
  Conn* c = Find(conn);
  if (c == nullptr) return;
  Endpoint& e = c->ep[side];
  e.delivery_posted = false;
  if (e.state != EpState::kOpen || !e.started) return;
  if (!e.pending_in.empty()) {
    std::vector<std::byte> data = std::move(e.pending_in);
    e.pending_in.clear();
    auto handler = e.on_data;  // the handler may close the connection (and erase c)
    if (tap_) tap_({conn, e.owner, e.local, e.peer, data});
    handler(std::span<const std::byte>(data));
    c = Find(conn);
    if (c == nullptr) return;
  }
  Endpoint& e2 = c->ep[side];
  if (e2.pending_close && e2.state == EpState::kOpen) {
    e2.state = EpState::kClosed;
    auto handler = std::move(e2.on_close);
    Status why = e2.pending_close_status;
    e2.on_data = nullptr;
    e2.on_close = nullptr;
    MaybeErase(conn);
    if (handler) handler(why);
  }
}

void SimNetwork::MaybeErase(uint64_t conn) {
  Conn* c = Find(conn);
  if (c == nullptr) return;
  for (int s = 0; s < 2; ++s) {
    if (c->ep[s].state == EpState::kOpen) return;
    if (!c->pipe[s].in_flight.empty() || c->pipe[s].unsent_bytes > 0 || c->pipe[s].fin_pending) {
      return;
    }
    // A posted delivery does not keep it: FlushPending finds an erased connection (ids are never
    // reused) or a closed endpoint and does nothing. (Its event may also have been purged with a
    // dead owner, and would never clear the flag.)
  }
  by_id_[conn] = nullptr;
  conns_.erase(conn);
}

void SimNetwork::Retime(Conn& c, int side) {
  Pipe& p = c.pipe[side];
  p.stalled = false;
  MachineId from = c.ep[side].machine, to = c.ep[1 - side].machine;
  int64_t now = ToNanos(world_.now());
  p.last_arrival_ns = now;
  for (auto& seg : p.in_flight) {
    int64_t arrival = std::max(now + SampleLatency(from, to).count(), p.last_arrival_ns);
    seg.arrival_ns = arrival;
    p.last_arrival_ns = arrival;
    ScheduleArrival(c, side, arrival);
  }
  if (p.unsent_bytes > 0 || p.fin_pending) SchedulePump(c, side);
}

// ------------------------------------------------------------------ process and machine faults

void SimNetwork::OnProcessKilled(Owner owner) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    it = it->second.second.owner == owner ? listeners_.erase(it) : std::next(it);
  }
  // Collect first, close after: closing one endpoint can erase its connection (when the other end
  // is already closed), and both ends may be this process's (a connection to itself). Each
  // CloseEndpoint looks the connection up again.
  std::vector<std::pair<uint64_t, int>> open;
  for (auto& [id, c] : conns_) {
    for (int s = 0; s < 2; ++s) {
      if (c.ep[s].owner == owner && c.ep[s].state == EpState::kOpen) open.emplace_back(id, s);
    }
  }
  for (auto [id, s] : open) CloseEndpoint(id, s, /*reset=*/true);
}

void SimNetwork::OnProcessSilenced(Owner owner) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    it = it->second.second.owner == owner ? listeners_.erase(it) : std::next(it);
  }
  std::vector<uint64_t> touched;
  for (auto& [id, c] : conns_) {
    for (int s = 0; s < 2; ++s) {
      Endpoint& e = c.ep[s];
      if (e.owner == owner && e.state == EpState::kOpen) {
        if (touched.empty() || touched.back() != id) touched.push_back(id);
        e.state = EpState::kVanished;
        e.on_data = nullptr;
        e.on_close = nullptr;
        e.pending_in.clear();
        // What it had queued dies with the machine's memory; what is on the wire still lands.
        Pipe& p = c.pipe[s];
        p.unsent.clear();
        p.unsent_head_offset = 0;
        p.unsent_bytes = 0;
        p.fin_pending = false;
      }
    }
  }
  // A connection whose other end was already closed or gone too (both ends on this machine, or
  // a peer that closed without our having read its FIN) has nobody left to tell: drop it.
  for (uint64_t id : touched) MaybeErase(id);
}

void SimNetwork::OnProcessExited(Owner owner) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    it = it->second.second.owner == owner ? listeners_.erase(it) : std::next(it);
  }
  std::vector<std::pair<uint64_t, int>> open;
  for (auto& [id, c] : conns_) {
    for (int s = 0; s < 2; ++s) {
      if (c.ep[s].owner == owner && c.ep[s].state == EpState::kOpen) open.emplace_back(id, s);
    }
  }
  for (auto [id, s] : open) CloseEndpoint(id, s, /*reset=*/false);
}

void SimNetwork::OnMachineUp(MachineId machine) {
  std::vector<std::pair<uint64_t, int>> stalled;
  for (auto& [id, c] : conns_) {
    for (int s = 0; s < 2; ++s) {
      if (c.pipe[s].stalled && c.ep[1 - s].machine == machine) stalled.emplace_back(id, s);
    }
  }
  for (auto [id, s] : stalled) {
    if (Conn* c = Find(id)) Retime(*c, s);
  }
}

bool SimNetwork::BlockLink(MachineId from, MachineId to) {
  RMQ_ASSERT_MSG(from != to, "a machine's link to itself (loopback) cannot be blocked");
  LinkState& l = Link(from, to);
  RMQ_ASSERT_MSG(l.blocks < UINT32_MAX, "link block count overflow");
  return ++l.blocks == 1;
}

bool SimNetwork::UnblockLink(MachineId from, MachineId to) {
  auto it = links_.find({from.value(), to.value()});
  if (it == links_.end() || it->second.blocks == 0) return false;
  if (--it->second.blocks > 0) return false;
  ResumeLink(from, to);
  return true;
}

bool SimNetwork::ClearLinkBlocks(MachineId from, MachineId to) {
  auto it = links_.find({from.value(), to.value()});
  if (it == links_.end() || it->second.blocks == 0) return false;
  it->second.blocks = 0;
  ResumeLink(from, to);
  return true;
}

void SimNetwork::ResumeLink(MachineId from, MachineId to) {
  std::vector<std::pair<uint64_t, int>> stalled;
  for (auto& [id, c] : conns_) {
    for (int s = 0; s < 2; ++s) {
      if (c.pipe[s].stalled && c.ep[s].machine == from && c.ep[1 - s].machine == to) {
        stalled.emplace_back(id, s);
      }
    }
  }
  for (auto [id, s] : stalled) {
    if (Conn* c = Find(id)) Retime(*c, s);
  }
}

void SimNetwork::HealAll() {
  std::vector<std::pair<uint64_t, uint64_t>> blocked;
  for (auto& [key, link] : links_) {
    if (link.blocks > 0) blocked.push_back(key);
  }
  for (auto [a, b] : blocked) ClearLinkBlocks(MachineId(a), MachineId(b));
}

void SimNetwork::Clog(MachineId from, MachineId to, MonoTime until) {
  LinkState& l = Link(from, to);
  l.clogged_until_ns = std::max(l.clogged_until_ns, ToNanos(until));
}

void SimNetwork::ResetBetween(MachineId a, MachineId b) {
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) {
    bool between = (c.ep[0].machine == a && c.ep[1].machine == b) ||
                   (c.ep[0].machine == b && c.ep[1].machine == a);
    if (between) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    Conn* c = Find(id);
    if (c == nullptr) continue;
    for (int s = 0; s < 2; ++s) {
      Endpoint& e = c->ep[s];
      if (e.state != EpState::kOpen) continue;
      // Both ends are told at once, as by a middlebox sending RSTs both ways.
      ClearPipe(c->pipe[s]);
      if (EndpointAlive(e)) {
        e.pending_close = true;
        e.pending_close_status =
            ConnectionResetError("connection reset (network) with " + e.peer.ToString());
        TraceConn("ConnectionReset", *c, s, nullptr);
        if (e.started) {
          PostDelivery(*c, s);
        }
      } else {
        e.state = EpState::kClosed;
      }
    }
    MaybeErase(id);
  }
}

}  // namespace rmqsim::sim
