// HAService (store/.../ha/HAService.java, HAConnection.java in 4.9.8; reference §5.11, §5.5):
// master/slave replication of the commit log.
//
// Master: listens on haListenPort; per slave connection it reads 8-byte big-endian max offsets
// (the slave's acknowledgement) and streams commit-log bytes from the requested offset as frames
// {8-byte phyOffset, 4-byte bodySize, body} (at most haTransferBatchSize bytes, never across a
// segment), or an empty heartbeat frame after haSendHeartbeatInterval without data. A connection
// silent for haHousekeepingInterval is closed. It installs the store's replica hook: a SYNC_MASTER
// put waits until a slave has acknowledged its end offset (FLUSH_SLAVE_TIMEOUT after
// slaveTimeout), or SLAVE_NOT_AVAILABLE when no slave is connected or the best one lags more than
// haSlaveFallbehindMax.
//
// Slave: connects to the master's HA address, reports its max offset at once, after each
// appended frame and every haSendHeartbeatInterval; appends frames at exactly its end through
// DefaultMessageStore::AppendToCommitLog (an incomplete record is kept until the rest arrives);
// a frame at another offset or an invalid record closes the connection; reconnects after 5 s.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/pass_timer.h"
#include "sim/runtime/runtime.h"
#include "system/common/byte_buffer.h"
#include "system/store/default_message_store.h"

namespace rmqsim::store {

struct HAOptions {
  std::string listen_host = "0.0.0.0";             // master: where to listen
  uint16_t ha_listen_port = 10912;                 // haListenPort (listenPort + 1); 0: any
  Duration heartbeat_interval = seconds(5);        // haSendHeartbeatInterval
  Duration housekeeping_interval = seconds(20);    // haHousekeepingInterval
  int32_t transfer_batch_size = 32 * 1024;         // haTransferBatchSize
  int64_t slave_fallbehind_max = 256ll * 1024 * 1024;  // haSlaveFallbehindMax
  Duration reconnect_interval = seconds(5);        // HAClient waits 5 s after a failed connect
  Duration transfer_poll_interval = milliseconds(100);  // WriteSocketService wait
  std::string master_ha_address;                   // slave: "ip:port" of the master's HA port
};

class HAService {
 public:
  HAService(Runtime& rt, DefaultMessageStore& store, HAOptions options);
  HAService(const HAService&) = delete;
  HAService& operator=(const HAService&) = delete;
  ~HAService();

  // Master roles listen (and install the replica hook on SYNC_MASTER); a slave starts its client.
  Status Start();
  void Shutdown();

  // Master side. The bound HA port (the real one when 0 was asked for); 0 on a slave.
  uint16_t listen_port() const { return listener_ ? listener_->address().port : 0; }
  size_t connection_count() const { return conns_.size(); }
  int64_t push_to_slave_max_offset() const { return push_to_slave_max_offset_; }
  bool IsSlaveOk(int64_t master_put_where) const;
  // Slave side.
  bool connected_to_master() const { return master_ != nullptr; }
  // True once the slave's log stopped matching the master's (see AppendRaw); until a restart.
  bool slave_diverged() const { return slave_diverged_; }
  // The master's HA address "ip:port"; a change drops the current connection (a slave learns it
  // from the REGISTER_BROKER response when not configured: updateHaMasterAddress).
  void UpdateMasterAddress(const std::string& address);
  const std::string& master_address() const { return options_.master_ha_address; }

 private:
  struct Conn {
    uint64_t id = 0;
    std::shared_ptr<Connection> conn;
    common::Bytes in;
    int64_t slave_request_offset = -1;
    int64_t slave_ack_offset = -1;
    int64_t next_transfer_from = -1;
    int64_t sent_bound = -1;  // the most the slave may acknowledge after what was sent
    MonoTime last_read{};
    MonoTime last_write{};
  };
  struct Waiter {
    int64_t next_offset;
    TimerId timer;
    CommitLog::StatusCallback done;
  };

  // Master.
  void OnAccept(std::shared_ptr<Connection> c);
  void OnMasterData(uint64_t id, std::span<const std::byte> data);
  void CloseConn(uint64_t id, const std::string& why);
  void Pump();
  void PumpOne(Conn& c);
  void MasterTick();
  MonoTime MasterIdleUntil() const;
  void OnSlaveAck(int64_t offset);
  void ReplicaWait(int64_t next_offset, Duration timeout, CommitLog::StatusCallback done);
  void FinishWaiter(uint64_t id, PutMessageStatus st);

  // Slave.
  void ConnectMaster();
  void OnSlaveData(std::span<const std::byte> data);
  void ProcessSlaveData(std::span<const std::byte> data);
  // RMQ_ASSERT: the slave's log ends within what the master sent (slave_bound_).
  void CheckSlaveLogWithinReceived() const;
  void CloseMaster(const std::string& why);
  void ReportOffset();
  void SlaveTick();

  Runtime& rt_;
  DefaultMessageStore& store_;
  HAOptions options_;
  bool running_ = false;

  std::unique_ptr<Listener> listener_;
  std::map<uint64_t, Conn> conns_;
  uint64_t next_conn_id_ = 0;
  int64_t push_to_slave_max_offset_ = 0;
  std::map<uint64_t, Waiter> waiters_;
  uint64_t next_waiter_id_ = 0;
  TimerId tick_timer_;
  bool pump_posted_ = false;

  std::shared_ptr<Connection> master_;
  bool connecting_ = false;
  common::Bytes slave_in_;       // undecoded frame bytes
  common::Bytes slave_pending_;  // body bytes of an incomplete record
  common::Bytes slave_deferred_;  // received bytes not yet read (a short read, BUGGIFY)
  int64_t slave_bound_ = 0;  // the log's end at connect, then the furthest frame end received
  MonoTime slave_last_read_{};
  MonoTime slave_last_report_{};
  uint64_t master_epoch_ = 0;
  bool slave_diverged_ = false;

  LifetimeGuard guard_;
  // The master's transfer and housekeeping loop (WriteSocketService's wake-ups, HAConnection's
  // housekeeping): every transfer_poll_interval, skipping the passes with nothing due.
  PassTimer master_timer_{rt_, guard_.Wrap([this] { MasterTick(); })};
};

}  // namespace rmqsim::store
