// The simulated network: TCP-like byte streams between processes on machines.
//
// Each connection has two endpoints and a pipe per direction. Send() queues bytes (bounded by the
// send buffer, which counts every byte the peer has not received yet). A pump cuts the queue into
// segments (random lengths with probability segmentation_probability, otherwise all that is
// queued up to a cap), each arriving after the link's latency plus its bandwidth time, never
// before an earlier segment of the same pipe. Segments due at the same instant are delivered in
// one read (coalescing).
//
// Faults, as TCP would show them:
//   partition (full, one-way, isolate): segments are not delivered; they wait (stall) and go on
//     after the heal. Nobody is told; application timeouts decide. Blocks are counted per
//     directed link, so overlapping faults compose (see BlockLink).
//   clog: extra delay on a directed link until a given time.
//   process kill: each of its connections sends a reset; the peer's close handler sees
//     kConnectionReset after one latency. Listeners vanish.
//   power loss: its endpoints vanish silently. Bytes sent to them stall; once the machine is up
//     again (a new boot), its kernel answers them with a reset.
//   connect: refused (no listener) after a round trip; timeout when the host is down or the link
//     is cut.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/ids.h"
#include "sim/base/random.h"
#include "sim/base/status.h"
#include "sim/runtime/network.h"
#include "sim/simulated/config.h"
#include "sim/simulated/scheduler.h"

namespace rmqsim::sim {

class World;
using MachineId = StrongId<struct MachineTag>;

class SimNetwork {
 public:
  SimNetwork(World& world, NetworkConfig config, uint64_t seed);
  ~SimNetwork();

  // --- used by process runtimes ---
  StatusOr<std::unique_ptr<Listener>> Listen(Owner owner, MachineId machine,
                                              const Address& address,
                                              Network::AcceptHandler on_accept);
  void Connect(Owner owner, MachineId machine, const Address& address, Duration timeout,
               Network::ConnectHandler done);

  // --- observation (harness use) ---
  // What an endpoint's data handler is about to receive: called just before the handler runs,
  // with exactly its bytes. The tap must not touch the world; it only observes (a harness uses it
  // to count, independently of a process, what arrived on the process's links).
  struct Delivered {
    uint64_t conn;
    Owner owner;  // the receiving process incarnation
    const Address& local;
    const Address& peer;
    std::span<const std::byte> bytes;
  };
  void set_delivery_tap(std::function<void(const Delivered&)> tap) { tap_ = std::move(tap); }

  // --- used by the world for process and machine faults ---
  void OnProcessKilled(Owner owner);    // reset every endpoint, drop listeners
  void OnProcessSilenced(Owner owner);  // power loss: endpoints vanish without a word
  void OnProcessExited(Owner owner);    // graceful exit: remaining endpoints close (FIN)
  void OnMachineUp(MachineId machine);  // rebooted: stalled bytes to old endpoints get resets

  // --- link faults (policy lives in faults/) ---
  // A directed link carries a count of blocks: each fault that cuts it adds one, and it carries
  // traffic only at zero, so overlapping faults do not undo each other. Bytes stalled on the link
  // move again when the count returns to zero. Each call returns whether the link's state changed
  // (BlockLink: 0 -> 1; UnblockLink: 1 -> 0, a no-op at 0; ClearLinkBlocks: any -> 0).
  // A machine's link to itself (loopback) cannot be blocked.
  bool BlockLink(MachineId from, MachineId to);
  bool UnblockLink(MachineId from, MachineId to);
  bool ClearLinkBlocks(MachineId from, MachineId to);
  bool IsLinkBlocked(MachineId from, MachineId to) const;
  uint32_t LinkBlockCount(MachineId from, MachineId to) const;
  void HealAll();  // clears every block of every link
  void Clog(MachineId from, MachineId to, MonoTime until);
  // Resets every connection between the two machines (both directions, both sides told).
  void ResetBetween(MachineId a, MachineId b);

  const NetworkConfig& config() const { return config_; }
  uint64_t connections_opened() const { return next_conn_id_; }
  size_t open_connections() const { return conns_.size(); }
  uint64_t bytes_delivered() const { return bytes_delivered_; }
  uint64_t segments_delivered() const { return segments_delivered_; }

 private:
  friend class SimConnection;
  friend class SimListener;

  enum class SegKind : uint8_t { kData, kFin, kRst };
  struct Segment {
    int64_t arrival_ns;
    SegKind kind;
    std::vector<std::byte> data;
    int64_t cut_ns = -1;  // when the sender cut it (coalescing window)
  };
  struct Pipe {
    std::deque<std::vector<std::byte>> unsent;  // queued writes, not yet cut into segments
    size_t unsent_head_offset = 0;              // consumed bytes of unsent.front()
    size_t unsent_bytes = 0;
    std::deque<Segment> in_flight;
    size_t in_flight_bytes = 0;
    bool fin_pending = false;   // send a FIN once unsent is empty
    bool pump_scheduled = false;
    bool stalled = false;
    int64_t last_arrival_ns = 0;
  };
  enum class EpState : uint8_t {
    kOpen,         // usable
    kClosed,       // closed locally or by the peer; no more callbacks
    kVanished,     // its machine lost power; the peer has not been told
  };
  struct Endpoint {
    Owner owner;
    MachineId machine;
    uint64_t boot = 0;  // machine boot epoch at creation
    Address local, peer;
    EpState state = EpState::kOpen;
    bool started = false;
    bool delivery_posted = false;
    Connection::DataHandler on_data;
    Connection::CloseHandler on_close;
    std::vector<std::byte> pending_in;  // received before Start()
    bool pending_close = false;         // the peer's close arrived before Start()
    Status pending_close_status;
    size_t send_buffer_limit;
  };
  struct LinkState;
  struct Conn {
    uint64_t id;
    Endpoint ep[2];
    Pipe pipe[2];  // pipe[s]: bytes from ep[s] to ep[1 - s]
    LinkState* link[2];  // link[s]: the directed link ep[s] -> ep[1 - s] (nodes of links_)
  };
  struct ListenerState {
    Owner owner;
    MachineId machine;
    Address address;
    Network::AcceptHandler on_accept;
  };
  struct LinkState {
    uint32_t blocks = 0;  // faults currently cutting this link; it carries traffic at 0
    int64_t clogged_until_ns = 0;
    int64_t free_at_ns = 0;  // bandwidth: when the link can start the next segment
  };
  using PortKey = std::pair<uint64_t, uint16_t>;  // (machine, port)

  // Endpoint API (from SimConnection handles).
  void Start(uint64_t conn, int side, Connection::DataHandler d, Connection::CloseHandler c);
  Status Send(uint64_t conn, int side, std::span<const std::byte> bytes);
  size_t Buffered(uint64_t conn, int side) const;
  void SetLimit(uint64_t conn, int side, size_t bytes);
  void CloseEndpoint(uint64_t conn, int side, bool reset);
  bool IsOpen(uint64_t conn, int side) const;
  void CloseListener(PortKey key, uint64_t listener_id);

  Conn* Find(uint64_t conn);
  const Conn* Find(uint64_t conn) const;
  LinkState& Link(MachineId from, MachineId to);
  void ResumeLink(MachineId from, MachineId to);  // retimes what stalled on a link now open
  Duration SampleLatency(MachineId from, MachineId to);
  void SchedulePump(Conn& c, int side);
  void Pump(uint64_t conn, int side);
  void Pump(Conn& c, int side);
  void ScheduleArrival(Conn& c, int side, int64_t when_ns);
  void OnArrival(uint64_t conn, int side);
  void Retime(Conn& c, int side);
  void DeliverToEndpoint(Conn& c, int side_to, std::vector<std::byte> data);
  void CloseFromPeer(Conn& c, int side_to, Status why);
  void PostDelivery(Conn& c, int side);
  void FlushPending(uint64_t conn, int side);
  void EnqueueControl(Conn& c, int side_from, SegKind kind);
  void ClearPipe(Pipe& p);
  void MaybeErase(uint64_t conn);
  bool EndpointAlive(const Endpoint& e) const;
  void TraceConn(std::string_view name, const Conn& c, int side, const Status* why);

  World& world_;
  NetworkConfig config_;
  Xoshiro256 random_;
  uint64_t next_conn_id_ = 0;
  uint64_t next_listener_id_ = 0;
  std::map<uint64_t, Conn> conns_;  // ordered by id: heal and kill walk them deterministically
  // Lookup by id (ids are allocated in order from 1): one pointer per connection ever opened.
  std::vector<Conn*> by_id_;
  std::map<PortKey, std::pair<uint64_t, ListenerState>> listeners_;
  std::map<uint64_t, uint16_t> next_ephemeral_port_;  // per machine
  std::map<std::pair<uint64_t, uint64_t>, LinkState> links_;
  uint64_t bytes_delivered_ = 0;
  uint64_t segments_delivered_ = 0;
  std::function<void(const Delivered&)> tap_;
};

}  // namespace rmqsim::sim
