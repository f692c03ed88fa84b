#include "system/store/ha_service.h"

#include <algorithm>
#include <utility>

#include "sim/base/assert.h"
#include "sim/base/buggify.h"
#include "sim/base/planted_bugs.h"
#include "sim/runtime/log.h"
#include "system/store/mapped_file.h"

namespace rmqsim::store {
namespace {

constexpr size_t kFrameHeaderBytes = 12;  // phyOffset (8) + bodySize (4)
// Bound on the bytes queued to one slave before the master waits for the network to drain.
constexpr size_t kMaxQueuedBytes = 1024 * 1024;

common::Bytes EncodeOffset(int64_t offset) {
  common::Bytes b(8);
  common::StoreI64(b.data(), offset);
  return b;
}

}  // namespace

HAService::HAService(Runtime& rt, DefaultMessageStore& store, HAOptions options)
    : rt_(rt), store_(store), options_(std::move(options)) {}

HAService::~HAService() {
  if (tick_timer_.valid()) rt_.executor().Cancel(tick_timer_);
  master_timer_.Cancel();
  for (auto& [id, w] : waiters_) {
    if (w.timer.valid()) rt_.executor().Cancel(w.timer);
  }
}

Status HAService::Start() {
  running_ = true;
  if (store_.config().broker_role == BrokerRole::kSlave) {
    // Without haMasterAddress the broker supplies it from its REGISTER_BROKER responses.
    if (!options_.master_ha_address.empty()) ConnectMaster();
    tick_timer_ = rt_.executor().ScheduleAfter(seconds(1), guard_.Wrap([this] { SlaveTick(); }));
    return Status::Ok();
  }
  auto addr = Address::Make(options_.listen_host, options_.ha_listen_port);
  if (!addr.ok()) return addr.status();
  auto l = rt_.network().Listen(*addr, guard_.Wrap([this](std::shared_ptr<Connection> c) {
    OnAccept(std::move(c));
  }));
  if (!l.ok()) return l.status();
  listener_ = std::move(*l);
  store_.set_replica_hook(guard_.Wrap(
      [this](int64_t next_offset, Duration timeout, CommitLog::StatusCallback done) {
        ReplicaWait(next_offset, timeout, std::move(done));
      }));
  // New data: one transfer pass per executor turn, however many records were dispatched.
  store_.AddDispatchListener(guard_.Wrap([this](const std::string&, int32_t, int64_t, int64_t) {
    if (pump_posted_) return;
    pump_posted_ = true;
    rt_.executor().Post(guard_.Wrap([this] {
      pump_posted_ = false;
      if (running_) Pump();
    }));
  }));
  master_timer_.Schedule(options_.transfer_poll_interval, rt_.Now());
  rt_.Trace(TraceEvent("HAServiceStarted")
                .Detail("Role", std::string(BrokerRoleName(store_.config().broker_role)))
                .Detail("Port", static_cast<int64_t>(options_.ha_listen_port)));
  return Status::Ok();
}

void HAService::Shutdown() {
  running_ = false;
  if (tick_timer_.valid()) rt_.executor().Cancel(tick_timer_);
  tick_timer_ = {};
  master_timer_.Cancel();
  if (listener_) listener_->Close();
  listener_.reset();
  for (auto& [id, c] : conns_) c.conn->Close();
  conns_.clear();
  if (master_) master_->Close();
  master_.reset();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, w] : waiters) {
    rt_.executor().Cancel(w.timer);
    rt_.executor().Post(
        guard_.Wrap([done = std::move(w.done)] { done(PutMessageStatus::kFlushSlaveTimeout); }));
  }
}

// ------------------------------------------------------------------------------------ master

bool HAService::IsSlaveOk(int64_t master_put_where) const {
  return !conns_.empty() &&
         master_put_where - push_to_slave_max_offset_ < options_.slave_fallbehind_max;
}

void HAService::OnAccept(std::shared_ptr<Connection> c) {
  if (!running_) {
    c->Close();
    return;
  }
  const uint64_t id = ++next_conn_id_;
  Conn& conn = conns_[id];
  conn.id = id;
  conn.conn = c;
  conn.last_read = rt_.clock().Now();
  conn.last_write = rt_.clock().Now();
  RMQ_LOG_INFO(rt_, "RocketmqStore", "HAService receive new connection, {}",
               c->peer_address().ToString());
  rt_.Trace(TraceEvent("HAConnectionAccepted")
                .Detail("Peer", c->peer_address().ToString())
                .Detail("Connections", static_cast<int64_t>(conns_.size())));
  master_timer_.Wake();  // its housekeeping is due in housekeeping_interval
  c->Start(guard_.Wrap([this, id](std::span<const std::byte> d) { OnMasterData(id, d); }),
           guard_.Wrap([this, id](const Status& st) { CloseConn(id, st.ToString()); }));
}

void HAService::OnMasterData(uint64_t id, std::span<const std::byte> data) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  c.in.insert(c.in.end(), data.begin(), data.end());
  c.last_read = rt_.clock().Now();
  // ReadSocketService: only the last complete 8-byte report matters.
  const size_t whole = c.in.size() - c.in.size() % 8;
  if (whole == 0) return;
  const int64_t offset = common::LoadI64(c.in.data() + whole - 8);
  c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(whole));
  c.slave_ack_offset = offset;
  if (c.slave_request_offset < 0) {
    c.slave_request_offset = offset;
    rt_.Trace(TraceEvent("HASlaveRequestOffset")
                  .Detail("Peer", c.conn->peer_address().ToString())
                  .Detail("Offset", offset));
  }
  // Simulation: a slave never acknowledges bytes its master did not send it. Its first report on
  // a connection may exceed everything this master has (a master that lost an unflushed tail the
  // slave had: docs/store.md, the diverged slave); after that its log only grows by the frames
  // sent on this connection (a blank marker's frame moves it to the segment end).
  RMQ_SIM_ASSERT_MSG(offset <= std::max(c.slave_request_offset, c.sent_bound),
                     "slave " + c.conn->peer_address().ToString() + " acknowledged " +
                         std::to_string(offset) + " but was sent up to " +
                         std::to_string(c.sent_bound) + " after asking for " +
                         std::to_string(c.slave_request_offset) + " (master max " +
                         std::to_string(store_.GetMaxPhyOffset()) + ")");
  OnSlaveAck(offset);
  PumpOne(c);
}

void HAService::CloseConn(uint64_t id, const std::string& why) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  it->second.conn->Close();
  rt_.Trace(TraceEvent("HAConnectionClosed", Severity::kWarn)
                .Detail("Peer", it->second.conn->peer_address().ToString())
                .Detail("Reason", why));
  conns_.erase(it);
}

void HAService::Pump() {
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = conns_.find(id);
    if (it != conns_.end()) PumpOne(it->second);
  }
}

// WriteSocketService: transfers from nextTransferFromWhere while the send buffer has room.
void HAService::PumpOne(Conn& c) {
  if (c.slave_request_offset < 0 || !c.conn->is_open()) return;
  const int64_t max_offset = store_.GetMaxPhyOffset();
  if (c.next_transfer_from < 0) {
    if (c.slave_request_offset == 0) {
      const int64_t seg = store_.config().mapped_file_size_commit_log;
      c.next_transfer_from = max_offset - max_offset % seg;
    } else {
      c.next_transfer_from = c.slave_request_offset;
    }
  }
  const MappedFileQueue& q = store_.commit_log().mapped_file_queue();
  bool sent = false;
  while (c.next_transfer_from < max_offset && c.conn->buffered_bytes() < kMaxQueuedBytes) {
    const MappedFile* mf = q.FindMappedFileByOffset(c.next_transfer_from);
    if (mf == nullptr) break;
    const int64_t pos = c.next_transfer_from - mf->from();
    if (mf->IsFull() && pos >= mf->physical_size()) {
      c.next_transfer_from = mf->from() + mf->file_size();  // past the blank marker
      continue;
    }
    const int64_t avail = mf->wrote_position() - pos;
    if (avail <= 0) break;
    size_t want = static_cast<size_t>(std::min<int64_t>(avail, options_.transfer_batch_size));
    // BUGGIFY: a frame smaller than haTransferBatchSize, cut anywhere, usually inside a record
    // (HAConnection.WriteSocketService sends what getCommitLogData returned, capped by the batch
    // size, and the socket may take less): the slave must keep the partial record until the rest
    // arrives.
    if (want > 1 && RMQ_BUGGIFY(rt_)) want = 1 + static_cast<size_t>(rt_.random().Below(want));
    common::Bytes frame(kFrameHeaderBytes + want);
    auto n = mf->Read(pos, std::span<std::byte>(frame.data() + kFrameHeaderBytes, want));
    if (!n.ok()) {
      rt_.Trace(TraceEvent("HATransferReadFailed", Severity::kWarn)
                    .Detail("Offset", c.next_transfer_from)
                    .Detail("Error", n.status().ToString()));
      break;
    }
    frame.resize(kFrameHeaderBytes + *n);
    common::StoreI64(frame.data(), c.next_transfer_from);
    common::StoreI32(frame.data() + 8, static_cast<int32_t>(*n));
    Status st = c.conn->Send(frame);
    if (!st.ok()) break;  // buffer full or closed: the tick retries
    sent = true;
    {
      // What the slave may acknowledge after this frame: its end, or the segment's end once
      // the blank marker that ends a full segment is complete.
      int64_t bound = c.next_transfer_from + static_cast<int64_t>(*n);
      if (mf->IsFull() && bound >= mf->from() + mf->physical_size()) {
        bound = mf->from() + mf->file_size();
      }
      c.sent_bound = std::max(c.sent_bound, bound);
    }
    c.last_write = rt_.clock().Now();
    // A full segment's blank tail is not physical: the next frame starts the next segment.
    if (*n < want && mf->IsFull()) {
      c.next_transfer_from = mf->from() + mf->file_size();
    } else {
      c.next_transfer_from += static_cast<int64_t>(*n);
      if (*n == 0) break;
    }
  }
  if (!sent && rt_.clock().Now() - c.last_write >= options_.heartbeat_interval) {
    common::Bytes hb(kFrameHeaderBytes);
    common::StoreI64(hb.data(), c.next_transfer_from);
    common::StoreI32(hb.data() + 8, 0);
    if (c.conn->Send(hb).ok()) {
      c.last_write = rt_.clock().Now();
      // A diverged slave fills its segment up to a heartbeat at the next segment start.
      c.sent_bound = std::max(c.sent_bound, c.next_transfer_from);
    }
  }
  // Left to send (the send buffer is full, the data not readable yet): the loop retries it.
  if (c.next_transfer_from < max_offset) master_timer_.Wake();
}

// When the master's loop next has something to do, if nothing is written meanwhile: a
// connection's housekeeping, a heartbeat, or (now) a transfer left unfinished.
MonoTime HAService::MasterIdleUntil() const {
  MonoTime until = PassTimer::kNever;
  const int64_t max_offset = store_.GetMaxPhyOffset();
  for (const auto& [id, c] : conns_) {
    until = std::min(until, c.last_read + options_.housekeeping_interval + nanoseconds(1));
    if (c.slave_request_offset < 0 || !c.conn->is_open()) continue;
    if (c.next_transfer_from < max_offset) return rt_.Now();
    until = std::min(until, c.last_write + options_.heartbeat_interval);
  }
  return until;
}

void HAService::MasterTick() {
  Duration wait = options_.transfer_poll_interval;
  // BUGGIFY: the master's transfer and housekeeping loop runs up to 1 s late (WriteSocketService
  // and the housekeeping of HAConnection descheduled): slaves and SYNC_MASTER puts wait longer.
  if (RMQ_BUGGIFY(rt_)) wait += rt_.random().UniformDuration(Duration::zero(), seconds(1));
  const MonoTime now = rt_.clock().Now();
  std::vector<uint64_t> expired;
  for (auto& [id, c] : conns_) {
    if (now - c.last_read > options_.housekeeping_interval) expired.push_back(id);
  }
  for (uint64_t id : expired) CloseConn(id, "housekeeping: no report from the slave");
  Pump();
  // The passes with nothing due are skipped; new data pumps at once (the dispatch listener).
  master_timer_.Schedule(wait, MasterIdleUntil());
}

void HAService::OnSlaveAck(int64_t offset) {
  if (offset <= push_to_slave_max_offset_) return;
  push_to_slave_max_offset_ = offset;
  std::vector<uint64_t> done;
  for (auto& [id, w] : waiters_) {
    if (w.next_offset <= offset) done.push_back(id);
  }
  for (uint64_t id : done) FinishWaiter(id, PutMessageStatus::kPutOk);
}

// CommitLog.submitReplicaRequest + GroupTransferService.
void HAService::ReplicaWait(int64_t next_offset, Duration timeout,
                            CommitLog::StatusCallback done) {
  if (!IsSlaveOk(store_.GetMaxPhyOffset())) {
    rt_.executor().Post(
        guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kSlaveNotAvailable); }));
    return;
  }
  if (push_to_slave_max_offset_ >= next_offset) {
    rt_.executor().Post(guard_.Wrap([done = std::move(done)] { done(PutMessageStatus::kPutOk); }));
    return;
  }
  const uint64_t id = ++next_waiter_id_;
  Waiter& w = waiters_[id];
  w.next_offset = next_offset;
  w.done = std::move(done);
  w.timer = rt_.executor().ScheduleAfter(timeout, guard_.Wrap([this, id] {
    FinishWaiter(id, PutMessageStatus::kFlushSlaveTimeout);
  }));
  Pump();
}

void HAService::FinishWaiter(uint64_t id, PutMessageStatus st) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  rt_.executor().Cancel(w.timer);
  if (st == PutMessageStatus::kFlushSlaveTimeout) {
    rt_.Trace(TraceEvent("HAFlushSlaveTimeout", Severity::kWarn)
                  .Detail("NextOffset", w.next_offset)
                  .Detail("PushToSlaveMaxOffset", push_to_slave_max_offset_));
  }
  rt_.executor().Post(guard_.Wrap([done = std::move(w.done), st] { done(st); }));
}

// ------------------------------------------------------------------------------------ slave

void HAService::UpdateMasterAddress(const std::string& address) {
  if (address == options_.master_ha_address) return;
  rt_.Trace(TraceEvent("HAMasterAddressUpdated")
                .Detail("From", options_.master_ha_address)
                .Detail("To", address));
  // HAClient.updateMasterAddress only stores it: a live connection stays until it breaks, and
  // the next connect uses the new address.
  options_.master_ha_address = address;
  if (running_ && store_.config().broker_role == BrokerRole::kSlave) ConnectMaster();
}

void HAService::ConnectMaster() {
  if (!running_ || master_ || connecting_) return;
  auto addr = Address::Parse(options_.master_ha_address);
  if (!addr.ok()) return;
  connecting_ = true;
  const uint64_t epoch = ++master_epoch_;
  rt_.network().Connect(
      *addr, seconds(3),
      guard_.Wrap([this, epoch](StatusOr<std::shared_ptr<Connection>> c) {
        if (epoch != master_epoch_) {  // a stale attempt: leave the current one alone
          if (c.ok()) (*c)->Close();
          return;
        }
        connecting_ = false;
        if (!running_) {
          if (c.ok()) (*c)->Close();
          return;
        }
        if (!c.ok()) {
          rt_.Trace(TraceEvent("HAConnectMasterFailed", Severity::kWarn)
                        .Detail("Master", options_.master_ha_address)
                        .Detail("Error", c.status().ToString()));
          return;  // the tick retries after reconnect_interval
        }
        master_ = std::move(*c);
        slave_in_.clear();
        slave_pending_.clear();
        slave_deferred_.clear();
        slave_bound_ = store_.GetMaxPhyOffset();
        slave_last_read_ = rt_.clock().Now();
        RMQ_LOG_INFO(rt_, "RocketmqStore", "HAClient connect to master {} (max offset {})",
                     options_.master_ha_address, store_.GetMaxPhyOffset());
        rt_.Trace(TraceEvent("HAConnectedToMaster")
                      .Detail("Master", options_.master_ha_address)
                      .Detail("MaxOffset", store_.GetMaxPhyOffset()));
        master_->Start(
            guard_.Wrap([this, epoch](std::span<const std::byte> d) {
              if (epoch == master_epoch_) OnSlaveData(d);
            }),
            guard_.Wrap([this, epoch](const Status& st) {
              if (epoch == master_epoch_) CloseMaster(st.ToString());
            }));
        ReportOffset();
      }));
}

void HAService::CloseMaster(const std::string& why) {
  if (!master_) return;
  master_->Close();
  master_.reset();
  ++master_epoch_;
  slave_in_.clear();
  slave_pending_.clear();
  slave_deferred_.clear();
  rt_.Trace(TraceEvent("HAMasterConnectionClosed", Severity::kWarn).Detail("Reason", why));
}

void HAService::ReportOffset() {
  if (!master_) return;
  CheckSlaveLogWithinReceived();
  common::Bytes b = EncodeOffset(store_.GetMaxPhyOffset());
  if (master_->Send(b).ok()) slave_last_report_ = rt_.clock().Now();
}

void HAService::OnSlaveData(std::span<const std::byte> data) {
  if (!slave_deferred_.empty()) {
    // A short read is pending: what arrives meanwhile queues behind it, in order.
    slave_deferred_.insert(slave_deferred_.end(), data.begin(), data.end());
    return;
  }
  // BUGGIFY: a short read: the slave takes only part of what arrived now (often a partial frame)
  // and the rest up to 50 ms later (HAClient's read loop gets what one read() returns, then
  // selects again), so frames are decoded across reads.
  if (data.size() > 1 && RMQ_BUGGIFY(rt_)) {
    const size_t now = 1 + static_cast<size_t>(rt_.random().Below(data.size() - 1));
    slave_deferred_.assign(data.begin() + static_cast<std::ptrdiff_t>(now), data.end());
    const uint64_t epoch = master_epoch_;
    rt_.executor().ScheduleAfter(
        rt_.random().UniformDuration(Duration::zero(), milliseconds(50)),
        guard_.Wrap([this, epoch] {
          if (epoch != master_epoch_ || !master_) return;  // closed meanwhile: dropped with it
          common::Bytes rest = std::move(slave_deferred_);
          slave_deferred_.clear();
          OnSlaveData(rest);
        }));
    data = data.first(now);
  }
  ProcessSlaveData(data);
}

void HAService::CheckSlaveLogWithinReceived() const {
  // The slave never appends beyond what its master sent: its log ends at or before the furthest
  // frame end received since it connected (or where it was when it connected), or at the end of
  // that frame's segment when a blank marker (or a diverged slave's fill) closed the segment.
  const int64_t seg = store_.config().mapped_file_size_commit_log;
  const int64_t max = store_.GetMaxPhyOffset();
  RMQ_ASSERT_MSG(max <= slave_bound_ || (max % seg == 0 && max - seg < slave_bound_),
                 "slave log ends at " + std::to_string(max) +
                     ", beyond the bytes the master sent (up to " + std::to_string(slave_bound_) +
                     ")");
}

// HAClient.dispatchReadRequest.
void HAService::ProcessSlaveData(std::span<const std::byte> data) {
  CheckSlaveLogWithinReceived();
  slave_in_.insert(slave_in_.end(), data.begin(), data.end());
  slave_last_read_ = rt_.clock().Now();
  size_t pos = 0;
  bool appended = false;
  while (slave_in_.size() - pos >= kFrameHeaderBytes) {
    const int64_t phy = common::LoadI64(slave_in_.data() + pos);
    const int32_t body = common::LoadI32(slave_in_.data() + pos + 8);
    if (body < 0 || body > (64 << 20)) {
      CloseMaster("bad frame body size " + std::to_string(body));
      return;
    }
    if (slave_in_.size() - pos < kFrameHeaderBytes + static_cast<size_t>(body)) break;
    const int64_t max = store_.GetMaxPhyOffset();
    if (slave_diverged_) {
      // The log no longer matches the master's: append what it pushes, as Java always does.
      // A heartbeat (no body) at the next segment start fills the current segment as the zero
      // tail Java's master would have sent; any other offset mismatch closes the connection.
      auto n = store_.AppendRawToCommitLog(
          phy, common::ByteSpan(slave_in_.data() + pos + kFrameHeaderBytes,
                                static_cast<size_t>(body)));
      if (!n.ok()) {
        CloseMaster("raw append failed: " + n.status().ToString());
        return;
      }
      if (*n > 0 || store_.GetMaxPhyOffset() != max) appended = true;  // report the new end
      pos += kFrameHeaderBytes + static_cast<size_t>(body);
    slave_bound_ = std::max(slave_bound_, phy + body);
      continue;
    }
    const int64_t expected = max + static_cast<int64_t>(slave_pending_.size());
    // Java: an empty slave accepts any start; otherwise the master must push at its end.
    const bool empty_slave = max == 0 && slave_pending_.empty();
    const int64_t seg = store_.config().mapped_file_size_commit_log;
    const bool next_segment = expected % seg != 0 && phy == expected - expected % seg + seg;
    if (!empty_slave && next_segment) {
      // The master's log ends this segment before the slave's does (it lost a tail the slave
      // has, then rolled): Java's master sends the segment's zero tail and the slave appends it.
      slave_diverged_ = true;
      rt_.Trace(TraceEvent("HASlaveDiverged", Severity::kError)
                    .Detail("Offset", max)
                    .Detail("MasterOffset", phy)
                    .Detail("Error", "the master's segment ends before the slave's log"));
      common::Bytes raw = std::move(slave_pending_);
      slave_pending_.clear();
      if (!raw.empty()) {
        auto n = store_.AppendRawToCommitLog(max, raw);
        if (!n.ok()) {
          CloseMaster("raw append failed: " + n.status().ToString());
          return;
        }
      }
      continue;  // the frame itself is appended by the diverged branch above
    }
    if (!empty_slave && phy != expected) {
      CloseMaster("master pushed offset " + std::to_string(phy) + ", slave expects " +
                  std::to_string(expected));
      return;
    }
    if (body > 0) {
      const std::byte* b = slave_in_.data() + pos + kFrameHeaderBytes;
      slave_pending_.insert(slave_pending_.end(), b, b + body);
      // PLANTED BUG (tests only): the slave flips the last byte of one transfer in fifty.
      if (RMQ_PLANTED_BUG("ha.slave_flips_byte") && rt_.random().Bernoulli(0.02)) {
        slave_pending_.back() ^= std::byte{0x5a};
      }
      const int64_t at = empty_slave ? phy : max;
      auto consumed = store_.AppendToCommitLog(at, slave_pending_);
      if (!consumed.ok() && consumed.status().code() == StatusCode::kCorruption && !empty_slave) {
        // The bytes at the slave's end are not a record of the master's: the master lost a tail
        // the slave has (power loss under ASYNC_FLUSH) and now pushes its own bytes from here.
        // 4.x does not notice: the slave appends them, acknowledges them (so a SYNC_MASTER
        // answers PUT_OK for messages the slave cannot serve) and its dispatch stalls.
        slave_diverged_ = true;
        rt_.Trace(TraceEvent("HASlaveDiverged", Severity::kError)
                      .Detail("Offset", max)
                      .Detail("Error", consumed.status().ToString()));
        common::Bytes raw = std::move(slave_pending_);
        slave_pending_.clear();
        auto n = store_.AppendRawToCommitLog(max, raw);
        if (!n.ok()) {
          CloseMaster("raw append failed: " + n.status().ToString());
          return;
        }
        appended = true;
        pos += kFrameHeaderBytes + static_cast<size_t>(body);
    slave_bound_ = std::max(slave_bound_, phy + body);
        continue;
      }
      if (!consumed.ok()) {
        CloseMaster("append failed: " + consumed.status().ToString());
        return;
      }
      slave_pending_.erase(slave_pending_.begin(),
                           slave_pending_.begin() + static_cast<std::ptrdiff_t>(*consumed));
      if (*consumed > 0) appended = true;
    }
    pos += kFrameHeaderBytes + static_cast<size_t>(body);
    slave_bound_ = std::max(slave_bound_, phy + body);
  }
  slave_in_.erase(slave_in_.begin(), slave_in_.begin() + static_cast<std::ptrdiff_t>(pos));
  CheckSlaveLogWithinReceived();
  if (!appended) return;
  // BUGGIFY: the slave reports its new offset up to 1 s late (HAClient reports when its select
  // loop comes round, at the latest every haSendHeartbeatInterval): SYNC_MASTER puts wait
  // longer, and may answer FLUSH_SLAVE_TIMEOUT.
  if (RMQ_BUGGIFY(rt_)) {
    const uint64_t epoch = master_epoch_;
    rt_.executor().ScheduleAfter(rt_.random().UniformDuration(Duration::zero(), seconds(1)),
                                 guard_.Wrap([this, epoch] {
                                   if (epoch == master_epoch_) ReportOffset();
                                 }));
    return;
  }
  // PLANTED BUG (tests only): after appending, the slave acknowledges 4 KiB it does not have.
  if (RMQ_PLANTED_BUG("ha.slave_acks_ahead")) {
    if (master_ && master_->Send(EncodeOffset(store_.GetMaxPhyOffset() + 4096)).ok()) {
      slave_last_report_ = rt_.clock().Now();
    }
    return;
  }
  ReportOffset();
}

void HAService::SlaveTick() {
  tick_timer_ = rt_.executor().ScheduleAfter(seconds(1), guard_.Wrap([this] { SlaveTick(); }));
  const MonoTime now = rt_.clock().Now();
  if (!master_) {
    if (!connecting_ && now - slave_last_report_ >= options_.reconnect_interval) {
      slave_last_report_ = now;
      ConnectMaster();
    }
    return;
  }
  if (now - slave_last_read_ > options_.housekeeping_interval) {
    CloseMaster("housekeeping: nothing from the master");
    slave_last_report_ = now;
    return;
  }
  if (now - slave_last_report_ >= options_.heartbeat_interval) ReportOffset();
}

}  // namespace rmqsim::store
