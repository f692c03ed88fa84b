// A tiny length-prefixed request/response service, written only against the runtime seam. It is
// the proof that one piece of component code runs unchanged in the simulated world and over real
// TCP, and the workload of the `rmqsim demo` run until the RocketMQ components arrive.
//
// Frame: 4-byte big-endian length, then the payload (at most kMaxFrameBytes).
// Server: answers each request with the same payload. With a log path it is a tiny durable log:
//   it appends each request to the log, fsyncs (group commit: requests that arrive during an
//   fsync share the next one) and only then answers, so an answered request survives power loss.
//   At start it recovers the log, cutting a torn tail.
// Client: a coroutine that connects, sends requests one at a time with a timeout, reconnects
//   with backoff after errors, and counts what happened.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/base/lifetime.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/runtime/task.h"

namespace rmqsim::demo {

inline constexpr size_t kMaxFrameBytes = 1 << 20;

// Streaming decoder for the 4-byte length-prefixed frames; handles partial and coalesced input.
class FrameDecoder {
 public:
  // Feeds bytes; calls on_frame for each complete frame. Returns an error (and stops) on a frame
  // longer than kMaxFrameBytes.
  Status Feed(std::span<const std::byte> bytes,
              const std::function<void(std::string payload)>& on_frame);
  size_t buffered() const { return buffer_.size(); }

 private:
  std::vector<std::byte> buffer_;
};

std::vector<std::byte> EncodeFrame(std::string_view payload);

struct EchoServerOptions {
  Address listen;
  std::string log_path;  // empty: plain echo, no disk
};

class EchoServer final : public Service {
 public:
  EchoServer(Runtime& rt, EchoServerOptions options);
  ~EchoServer() override;
  Status Start() override;
  void Stop(std::function<void()> done) override;

  const Address& address() const { return listener_->address(); }
  uint64_t requests_served() const { return requests_served_; }
  // Records recovered from the log at start, in order.
  const std::vector<std::string>& recovered() const { return recovered_; }
  uint64_t records_logged() const { return records_logged_; }
  uint64_t torn_bytes_cut() const { return torn_bytes_cut_; }
  uint64_t sync_failures() const { return sync_failures_; }

 private:
  struct Session;
  struct PendingReply {
    std::weak_ptr<Session> session;
    std::string payload;
  };
  void OnAccept(std::shared_ptr<Connection> conn);
  void OnRequest(const std::shared_ptr<Session>& s, std::string payload);
  void MaybeSync();
  Status RewriteUnsyncedTail();
  Status Recover();

  Runtime& rt_;
  EchoServerOptions options_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<File> log_;
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;
  std::vector<PendingReply> waiting_for_sync_;  // appended, not yet in a sync
  std::vector<PendingReply> in_sync_;           // covered by the fsync in flight
  bool sync_in_flight_ = false;
  std::vector<std::string> recovered_;
  uint64_t requests_served_ = 0;
  uint64_t records_logged_ = 0;
  uint64_t torn_bytes_cut_ = 0;
  uint64_t synced_size_ = 0;  // log bytes known durable
  uint64_t sync_failures_ = 0;
  bool needs_rewrite_ = false;  // a failed fsync left the unsynced tail marked clean
  TimerId retry_timer_;
  LifetimeGuard guard_;
};

struct EchoClientOptions {
  Address server;
  std::string name = "client";
  uint64_t requests = 0;  // 0: forever
  Duration interval = milliseconds(10);
  Duration request_timeout = seconds(3);
  Duration connect_timeout = seconds(3);
  Duration reconnect_backoff = seconds(1);
  size_t payload_bytes = 32;
  // History hook (test instrumentation, outside the process's memory): called with "invoke",
  // "ok", "fail" (outcome unknown) for each request.
  std::function<void(std::string_view op, const std::string& payload)> record;
};

struct EchoClientStats {
  uint64_t sent = 0;
  uint64_t acked = 0;       // answered with the right payload
  uint64_t failed = 0;      // the connection failed while waiting: unknown outcome
  uint64_t timeouts = 0;    // no answer in time: unknown outcome
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  uint64_t bad_replies = 0; // an answer that did not match the request
};

class EchoClient final : public Service {
 public:
  EchoClient(Runtime& rt, EchoClientOptions options);
  ~EchoClient() override;
  Status Start() override;
  void Stop(std::function<void()> done) override;

  const EchoClientStats& stats() const { return stats_; }
  // Payloads the server acknowledged, in order.
  const std::vector<std::string>& acked_payloads() const { return acked_; }
  bool finished() const { return finished_; }

 private:
  Task<void> Run();
  Task<StatusOr<std::string>> Call(const std::shared_ptr<Connection>& conn, std::string payload);
  void FailPending(const Status& s);

  Runtime& rt_;
  EchoClientOptions options_;
  EchoClientStats stats_;
  std::vector<std::string> acked_;
  FrameDecoder decoder_;
  std::function<void(StatusOr<std::string>)> pending_;  // the outstanding call's completion
  bool finished_ = false;
  bool stopping_ = false;
  TaskScope scope_;  // last member: destroyed first, before what its coroutines use
};

}  // namespace rmqsim::demo
