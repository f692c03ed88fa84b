#include "scenarios/demo/echo_service.h"

#include <cstring>

#include "sim/base/buggify.h"

namespace rmqsim::demo {

namespace {
uint32_t ReadBe32(const std::byte* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
void AppendBe32(std::vector<std::byte>& out, uint32_t v) {
  out.push_back(static_cast<std::byte>(v >> 24));
  out.push_back(static_cast<std::byte>(v >> 16));
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v));
}
}  // namespace

std::vector<std::byte> EncodeFrame(std::string_view payload) {
  std::vector<std::byte> out;
  out.reserve(4 + payload.size());
  AppendBe32(out, static_cast<uint32_t>(payload.size()));
  const auto* p = reinterpret_cast<const std::byte*>(payload.data());
  out.insert(out.end(), p, p + payload.size());
  return out;
}

Status FrameDecoder::Feed(std::span<const std::byte> bytes,
                          const std::function<void(std::string)>& on_frame) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  while (buffer_.size() - pos >= 4) {
    uint32_t len = ReadBe32(buffer_.data() + pos);
    if (len > kMaxFrameBytes) {
      buffer_.clear();
      return InvalidArgumentError("frame of " + std::to_string(len) + " bytes exceeds the limit " +
                                  std::to_string(kMaxFrameBytes));
    }
    if (buffer_.size() - pos - 4 < len) break;
    std::string payload(reinterpret_cast<const char*>(buffer_.data() + pos + 4), len);
    pos += 4 + len;
    on_frame(std::move(payload));
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(pos));
  return Status::Ok();
}

// ------------------------------------------------------------------ server

struct EchoServer::Session {
  std::shared_ptr<Connection> conn;
  FrameDecoder decoder;
};

EchoServer::EchoServer(Runtime& rt, EchoServerOptions options)
    : rt_(rt), options_(std::move(options)) {}

EchoServer::~EchoServer() = default;

Status EchoServer::Recover() {
  RMQ_ASSIGN_OR_RETURN(log_, rt_.fs().Open(options_.log_path, OpenMode::kCreateOrOpen));
  RMQ_ASSIGN_OR_RETURN(uint64_t size, log_->Size());
  std::vector<std::byte> data(size);
  uint64_t off = 0;
  while (off < size) {
    RMQ_ASSIGN_OR_RETURN(size_t n, log_->ReadAt(off, std::span(data).subspan(off)));
    off += n;
  }
  // Records: 4-byte length, payload. A record cut short is a torn tail.
  uint64_t pos = 0;
  while (size - pos >= 4) {
    uint32_t len = ReadBe32(data.data() + pos);
    if (len > kMaxFrameBytes || size - pos - 4 < len) break;
    recovered_.emplace_back(reinterpret_cast<const char*>(data.data() + pos + 4), len);
    pos += 4 + len;
  }
  if (pos < size) {
    torn_bytes_cut_ = size - pos;
    RMQ_RETURN_IF_ERROR(log_->Truncate(pos));
  }
  records_logged_ = recovered_.size();
  synced_size_ = pos;
  rt_.Trace(TraceEvent("EchoLogRecovered")
                .Detail("Records", recovered_.size())
                .Detail("TornBytes", torn_bytes_cut_));
  return Status::Ok();
}

Status EchoServer::Start() {
  if (!options_.log_path.empty()) RMQ_RETURN_IF_ERROR(Recover());
  RMQ_ASSIGN_OR_RETURN(listener_, rt_.network().Listen(options_.listen, guard_.Wrap(
                                      [this](std::shared_ptr<Connection> c) { OnAccept(c); })));
  return Status::Ok();
}

void EchoServer::Stop(std::function<void()> done) {
  if (listener_) listener_->Close();
  for (auto& [id, s] : sessions_) s->conn->Close();
  sessions_.clear();
  done();
}

void EchoServer::OnAccept(std::shared_ptr<Connection> conn) {
  auto s = std::make_shared<Session>();
  s->conn = conn;
  uint64_t id = conn->id();
  sessions_[id] = s;
  std::weak_ptr<Session> weak = s;
  conn->Start(
      guard_.Wrap([this, weak](std::span<const std::byte> bytes) {
        auto s = weak.lock();
        if (!s) return;
        Status st = s->decoder.Feed(bytes, [&](std::string p) { OnRequest(s, std::move(p)); });
        if (!st.ok()) {
          rt_.Trace(TraceEvent("EchoBadFrame", Severity::kWarn).Detail("Error", st.ToString()));
          s->conn->Reset();
          sessions_.erase(s->conn->id());
        }
      }),
      guard_.Wrap([this, id](const Status&) { sessions_.erase(id); }));
}

void EchoServer::OnRequest(const std::shared_ptr<Session>& s, std::string payload) {
  if (!log_) {
    ++requests_served_;
    (void)s->conn->Send(EncodeFrame(payload));
    return;
  }
  Status st = log_->Append(EncodeFrame(payload));
  if (!st.ok()) {
    // Nothing is answered for a write that did not land; the client sees a timeout.
    rt_.Trace(TraceEvent("EchoLogAppendFailed", Severity::kWarn).Detail("Error", st.ToString()));
    return;
  }
  ++records_logged_;
  waiting_for_sync_.push_back({s, std::move(payload)});
  MaybeSync();
}

Status EchoServer::RewriteUnsyncedTail() {
  RMQ_ASSIGN_OR_RETURN(uint64_t size, log_->Size());
  if (size <= synced_size_) return Status::Ok();
  std::vector<std::byte> tail(size - synced_size_);
  RMQ_ASSIGN_OR_RETURN(size_t n, log_->ReadAt(synced_size_, tail));
  if (n != tail.size()) return IoError("short read of the unsynced tail");
  return log_->WriteAt(synced_size_, tail);
}

void EchoServer::MaybeSync() {
  if (sync_in_flight_ || waiting_for_sync_.empty()) return;
  if (needs_rewrite_) {
    Status st = RewriteUnsyncedTail();
    if (!st.ok()) {
      // Syncing now would acknowledge bytes that are not on their way to the disk: retry later.
      rt_.Trace(TraceEvent("EchoLogRewriteFailed", Severity::kWarn).Detail("Error", st.ToString()));
      rt_.executor().Cancel(retry_timer_);
      retry_timer_ = rt_.executor().ScheduleAfter(milliseconds(100),
                                                  guard_.Wrap([this] { MaybeSync(); }));
      return;
    }
    needs_rewrite_ = false;
  }
  sync_in_flight_ = true;
  in_sync_ = std::move(waiting_for_sync_);
  waiting_for_sync_.clear();
  auto size = log_->Size();
  uint64_t covers = size.ok() ? *size : synced_size_;
  log_->Sync(guard_.Wrap([this, covers](const Status& st) {
    sync_in_flight_ = false;
    if (st.ok()) {
      synced_size_ = std::max(synced_size_, covers);
      auto batch = std::move(in_sync_);
      in_sync_.clear();
      for (auto& r : batch) {
        ++requests_served_;
        auto s = r.session.lock();
        if (!s) continue;
        if (RMQ_BUGGIFY(rt_)) {
          // The record is durable but the answer is lost: the client sees an unknown outcome.
          s->conn->Reset();
          continue;
        }
        (void)s->conn->Send(EncodeFrame(r.payload));
      }
    } else {
      // A failed fsync marks the dirty pages clean without writing them (Linux): rewriting the
      // unsynced tail from the page cache dirties it again, and the batch waits for a new fsync.
      ++sync_failures_;
      rt_.Trace(TraceEvent("EchoLogSyncFailed", Severity::kWarn).Detail("Error", st.ToString()));
      needs_rewrite_ = true;
      in_sync_.insert(in_sync_.end(), std::make_move_iterator(waiting_for_sync_.begin()),
                      std::make_move_iterator(waiting_for_sync_.end()));
      waiting_for_sync_ = std::move(in_sync_);
      in_sync_.clear();
    }
    MaybeSync();
  }));
}

// ------------------------------------------------------------------ client

EchoClient::EchoClient(Runtime& rt, EchoClientOptions options)
    : rt_(rt), options_(std::move(options)) {}

EchoClient::~EchoClient() = default;

Status EchoClient::Start() {
  scope_.Spawn(Run());
  return Status::Ok();
}

void EchoClient::Stop(std::function<void()> done) {
  stopping_ = true;
  scope_.DestroyAll();
  done();
}

void EchoClient::FailPending(const Status& s) {
  if (pending_) std::exchange(pending_, nullptr)(s);
}

Task<StatusOr<std::string>> EchoClient::Call(const std::shared_ptr<Connection>& conn,
                                             std::string payload) {
  Status st = conn->Send(EncodeFrame(payload));
  if (!st.ok()) co_return st;
  Executor& ex = rt_.executor();
  TimerId timer;
  auto result = co_await AwaitCallback<StatusOr<std::string>>(
      ex, [&](std::function<void(StatusOr<std::string>)> done) {
        pending_ = std::move(done);
        timer = ex.ScheduleAfter(options_.request_timeout, [this] {
          FailPending(TimeoutError("request timed out"));
        });
      });
  ex.Cancel(timer);
  co_return result;
}

Task<void> EchoClient::Run() {
  Executor& ex = rt_.executor();
  uint64_t seq = 0;
  while (!stopping_ && (options_.requests == 0 || stats_.sent < options_.requests)) {
    auto connected = co_await AwaitCallback<StatusOr<std::shared_ptr<Connection>>>(
        ex, [&](Network::ConnectHandler done) {
          rt_.network().Connect(options_.server, options_.connect_timeout, std::move(done));
        });
    if (!connected.ok()) {
      ++stats_.connect_failures;
      co_await Sleep(ex, options_.reconnect_backoff);
      continue;
    }
    ++stats_.connects;
    std::shared_ptr<Connection> conn = *connected;
    decoder_ = FrameDecoder();
    conn->Start(
        [this](std::span<const std::byte> bytes) {
          Status st = decoder_.Feed(bytes, [this](std::string p) {
            if (pending_) std::exchange(pending_, nullptr)(std::move(p));
          });
          if (!st.ok()) FailPending(st);
        },
        [this](const Status& s) { FailPending(s); });
    while (!stopping_ && conn->is_open() &&
           (options_.requests == 0 || stats_.sent < options_.requests)) {
      std::string payload = options_.name + "#" + std::to_string(++seq) + ":";
      while (payload.size() < options_.payload_bytes) {
        payload.push_back(static_cast<char>('a' + rt_.random().Below(26)));
      }
      ++stats_.sent;
      if (options_.record) options_.record("invoke", payload);
      auto reply = co_await Call(conn, payload);
      if (reply.ok()) {
        if (*reply == payload) {
          ++stats_.acked;
          acked_.push_back(payload);
          if (options_.record) options_.record("ok", payload);
        } else {
          ++stats_.bad_replies;
        }
        co_await Sleep(ex, options_.interval);
        continue;
      }
      if (options_.record) options_.record("fail", payload);
      if (reply.status().code() == StatusCode::kTimeout) {
        ++stats_.timeouts;
      } else {
        ++stats_.failed;
      }
      rt_.Trace(TraceEvent("EchoCallFailed").Detail("Error", reply.status().ToString()));
      conn->Reset();  // after an unknown outcome, start over on a fresh connection
      co_await Sleep(ex, options_.reconnect_backoff);
      break;
    }
  }
  finished_ = true;
}

}  // namespace rmqsim::demo
