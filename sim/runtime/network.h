#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "sim/base/status.h"
#include "sim/base/time.h"
#include "sim/runtime/address.h"

namespace rmqsim {

// One end of a TCP-like byte stream. Bytes arrive in order, but split and merged arbitrarily:
// the application must frame them. Owned by shared_ptr; dropping the last reference closes the
// connection in an orderly way (as Close()).
class Connection {
 public:
  // Bytes received, in order. The span is valid only during the call.
  using DataHandler = std::function<void(std::span<const std::byte>)>;
  // The connection ended from the far side or the network: kClosed for the peer's orderly close
  // (EOF), kConnectionReset for a reset (peer killed, peer rebooted, Reset()). Called at most once
  // and never after a local Close() or Reset().
  using CloseHandler = std::function<void(const Status&)>;

  virtual ~Connection() = default;

  // Installs the handlers and starts delivery. Bytes that arrived earlier are delivered right
  // after (on the executor, not inside this call). Call once.
  virtual void Start(DataHandler on_data, CloseHandler on_close) = 0;

  // Queues bytes for sending (copied). Errors: kClosed once the connection is closed or reset
  // (locally or by the peer); kResourceExhausted if the bytes would take the unacknowledged
  // bytes over the send-buffer limit (nothing is queued then: no partial writes).
  virtual Status Send(std::span<const std::byte> bytes) = 0;

  // Bytes queued that the peer has not received yet.
  virtual size_t buffered_bytes() const = 0;
  // The bound on buffered_bytes() (default limits::kSendBufferBytesDefault).
  virtual void SetSendBufferLimit(size_t bytes) = 0;

  // Orderly close: queued bytes are still delivered, then the peer sees EOF. No callbacks run
  // after this call. Idempotent.
  virtual void Close() = 0;
  // Abortive close: queued bytes are dropped and the peer sees a reset. No callbacks run after
  // this call. Idempotent.
  virtual void Reset() = 0;

  // False after Close(), Reset(), or the close handler has been called.
  virtual bool is_open() const = 0;
  virtual const Address& local_address() const = 0;
  virtual const Address& peer_address() const = 0;
  // Unique within the runtime, allocated in order (stable across runs in simulation).
  virtual uint64_t id() const = 0;
};

// A listening socket. Closing it (or destroying it) stops new accepts; accepted connections stay.
class Listener {
 public:
  virtual ~Listener() = default;
  // The bound address, with the real port when port 0 was asked for.
  virtual const Address& address() const = 0;
  virtual void Close() = 0;
};

class Network {
 public:
  using AcceptHandler = std::function<void(std::shared_ptr<Connection>)>;
  using ConnectHandler = std::function<void(StatusOr<std::shared_ptr<Connection>>)>;
  virtual ~Network() = default;

  // Binds and listens. Port 0 picks a free port. Errors: kInvalidArgument for a host that is not
  // this machine's, kAlreadyExists when the address is in use. `on_accept` runs on the executor
  // for each accepted connection, which the handler must Start().
  virtual StatusOr<std::unique_ptr<Listener>> Listen(const Address& address,
                                                      AcceptHandler on_accept) = 0;

  // Connects. `done` runs exactly once on the executor (never inside this call), unless the
  // process dies first: with the connection, or kConnectionRefused (nothing listening),
  // kTimeout (no answer within `timeout`: host down or unreachable), kInvalidArgument.
  virtual void Connect(const Address& address, Duration timeout, ConnectHandler done) = 0;
};

}  // namespace rmqsim
