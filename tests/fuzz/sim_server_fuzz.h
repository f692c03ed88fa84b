// Shared harness of the server fuzz targets (broker_fuzz, namesrv_fuzz): a fresh, small
// simulated world per input, with the server under test on one machine and a raw client on
// another; the input is a script of writes over simulated connections to the server's port, and
// the world runs a bounded virtual time. See docs/fuzzing.md.
//
// Input: records back to back, each  op (1 byte) | length (2 bytes, big endian) | data.
//   A record that claims more data than is left takes what is left.
//   op & 3 == 0  RAW: `data` is written as is on the current connection.
//   op & 3 == 1  FRAME: `data` = header length (2 bytes, big endian) | header | body; the
//                harness writes a well-formed remoting frame around it (frame length, serialize
//                type (op >> 2) & 1: 0 JSON, 1 ROCKETMQ binary, header length), so the fuzzer
//                mutates headers and bodies without breaking the framing.
//   op & 3 == 2  RECONNECT: closes the current connection (a reset when (op >> 2) & 1) and opens
//                a new one.
//   op & 3 == 3  WAIT: runs the world for `length` milliseconds (no data).
//   For RAW and FRAME, the world first runs (op >> 3) * 10 ms (0 to 310 ms).
// Inputs may send the server RESPONSE commands (flag bit 0 set): a server drops a response that
// matches no request of its own (found by these targets: see docs/fuzzing.md).
// After the last record the world runs another second, then the check: the server process must
// still be running and must answer a well-formed request on a new connection within 5 s of
// virtual time. A crash, a sanitizer report, a failed RMQ_ASSERT or a failed check is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/runtime.h"
#include "sim/runtime/service.h"
#include "sim/simulated/world.h"
#include "system/remoting/frame_decoder.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::fuzz {

// Limits that keep one input cheap.
inline constexpr size_t kMaxRecords = 64;
inline constexpr uint32_t kMaxWaitMs = 60'000;  // per WAIT record
inline constexpr Duration kMaxTotalWait = seconds(150);

enum Op : uint8_t { kRaw = 0, kFrame = 1, kReconnect = 2, kWait = 3 };

// The client process: it does nothing by itself; the harness uses its runtime.
class IdleService final : public Service {
 public:
  Status Start() override { return Status::Ok(); }
};

inline std::string Be32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}

// One record of the input format (for writing seeds).
inline std::string Record(uint8_t op, std::string_view data) {
  std::string r(1, static_cast<char>(op));
  r.push_back(static_cast<char>(data.size() >> 8));
  r.push_back(static_cast<char>(data.size() & 0xFF));
  r.append(data);
  return r;
}
// A FRAME record for a command (its header and body as the codec encodes them).
inline std::string FrameRecord(const remoting::RemotingCommand& c, uint8_t delay_tens_ms = 0) {
  auto frame = c.Encode();
  if (!frame.ok()) {
    std::fprintf(stderr, "fuzz seed: encode failed: %s\n", frame.status().ToString().c_str());
    std::abort();
  }
  const size_t header_len = frame->size() - 8 - c.body.size();
  std::string data;
  data.push_back(static_cast<char>(header_len >> 8));
  data.push_back(static_cast<char>(header_len & 0xFF));
  data.append(*frame, 8, std::string::npos);
  const uint8_t type = c.serialize_type == remoting::SerializeType::ROCKETMQ ? 1 : 0;
  return Record(static_cast<uint8_t>(kFrame | (type << 2) | (delay_tens_ms << 3)), data);
}
inline std::string RawRecord(std::string_view bytes) { return Record(kRaw, bytes); }
inline std::string WaitRecord(uint16_t ms) {
  std::string r(1, static_cast<char>(kWait));
  r.push_back(static_cast<char>(ms >> 8));
  r.push_back(static_cast<char>(ms & 0xFF));
  return r;
}
inline std::string ReconnectRecord(bool reset) {
  return Record(static_cast<uint8_t>(kReconnect | (reset ? 4 : 0)), "");
}

// Writes `seeds` as seed-<i> files into `dir` (RMQ_FUZZ_WRITE_SEEDS=<dir>).
inline void WriteSeeds(const char* target, const std::string& dir,
                       const std::vector<std::string>& seeds) {
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir + "/seed-" + std::to_string(i), std::ios::binary);
    out << seeds[i];
  }
  std::fprintf(stderr, "%s: wrote %zu seeds to %s\n", target, seeds.size(), dir.c_str());
}

struct ServerUnderTest {
  std::string name;          // process name
  Address address;           // where it listens
  sim::ServiceFactory factory;
  // A well-formed request it must answer after the input (the liveness check).
  std::function<remoting::RemotingCommand()> probe;
};

[[noreturn]] inline void Finding(const ServerUnderTest& s, const std::string& what) {
  std::fprintf(stderr, "%s fuzz: FINDING: %s\n", s.name.c_str(), what.c_str());
  std::abort();
}

// Walks the records of an input: on_write(bytes) for RAW and FRAME (after on_wait(delay)),
// on_reconnect(reset), on_wait(duration).
template <typename Write, typename Reconnect, typename Wait>
void WalkRecords(const uint8_t* data, size_t size, Write on_write, Reconnect on_reconnect,
                 Wait on_wait) {
  Duration waited{0};
  size_t pos = 0;
  for (size_t records = 0; pos < size && records < kMaxRecords; ++records) {
    const uint8_t op = data[pos];
    uint32_t len = 0;
    if (pos + 1 < size) len |= uint32_t{data[pos + 1]} << 8;
    if (pos + 2 < size) len |= data[pos + 2];
    pos = std::min(size, pos + 3);
    const uint8_t kind = op & 3;
    if (kind == kWait) {
      Duration d = milliseconds(std::min(len, kMaxWaitMs));
      if (waited + d > kMaxTotalWait) d = kMaxTotalWait - waited;
      waited += d;
      on_wait(d);
      continue;
    }
    const size_t take = std::min<size_t>(len, size - pos);
    std::string_view bytes(reinterpret_cast<const char*>(data + pos), take);
    pos += take;
    if (kind == kReconnect) {
      on_reconnect(((op >> 2) & 1) != 0);
      continue;
    }
    on_wait(milliseconds(10 * (op >> 3)));
    if (kind == kRaw) {
      on_write(std::string(bytes));
      continue;
    }
    const uint8_t type = (op >> 2) & 1;
    size_t header_len = 0;
    if (bytes.size() >= 2) {
      header_len = (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
      bytes.remove_prefix(2);
    } else {
      bytes = {};
    }
    header_len = std::min(header_len, bytes.size());
    std::string frame = Be32(static_cast<uint32_t>(4 + bytes.size())) +
                        Be32((uint32_t{type} << 24) | static_cast<uint32_t>(header_len));
    frame.append(bytes);
    on_write(frame);
  }
}

// Whether the input sends a response command (decoded as the server will decode it).
inline bool SendsResponse(const uint8_t* data, size_t size) {
  bool response = false;
  auto decoder = std::make_unique<remoting::FrameDecoder>();
  WalkRecords(
      data, size,
      [&](const std::string& bytes) {
        if (decoder->failed()) return;
        (void)decoder->Feed({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()},
                            [&](remoting::RemotingCommand c) {
                              if (c.is_response()) response = true;
                              return true;
                            });
      },
      [&](bool) { decoder = std::make_unique<remoting::FrameDecoder>(); }, [](Duration) {});
  return response;
}

inline void RunServerInput(const ServerUnderTest& server, const uint8_t* data, size_t size) {
  sim::WorldConfig config;
  config.seed = 1;
  config.trace_events_kept = 16;
  config.replay_command = "the fuzz target, given the input file as its argument";
  sim::World world(std::move(config));
  auto server_machine = *world.AddMachine({.name = "server", .ip = server.address.host});
  auto client_machine = *world.AddMachine({.name = "client", .ip = "10.0.0.9"});
  auto server_proc = *world.AddProcess(server_machine, server.name, server.factory);
  if (!world.StartProcess(server_proc).ok()) Finding(server, "the server did not start");
  auto client_proc = *world.AddProcess(client_machine, "client", [](Runtime&) {
    return std::make_unique<IdleService>();
  });
  if (!world.StartProcess(client_proc).ok()) Finding(server, "the client did not start");
  world.RunFor(milliseconds(100));
  Runtime& crt = *world.runtime(client_proc);

  std::shared_ptr<Connection> conn;
  auto connect = [&] {
    if (conn) conn->Close();
    conn.reset();
    std::optional<StatusOr<std::shared_ptr<Connection>>> result;
    crt.network().Connect(server.address, seconds(3),
                          [&result](StatusOr<std::shared_ptr<Connection>> r) {
                            result = std::move(r);
                          });
    world.RunUntil([&] { return result.has_value(); }, world.now() + seconds(4));
    if (result && result->ok()) {
      conn = std::move(**result);
      conn->Start([](std::span<const std::byte>) {}, [](const Status&) {});
    }
  };
  auto send = [&](std::string_view bytes) {
    if (!conn || !conn->is_open()) return;  // closed by the server: a clear refusal
    (void)conn->Send({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
  };

  connect();
  WalkRecords(
      data, size, [&](const std::string& bytes) { send(bytes); },
      [&](bool reset) {
        if (conn && reset) conn->Reset();
        connect();
      },
      [&](Duration d) { world.RunFor(d); });
  world.RunFor(seconds(1));
  if (conn) conn->Close();
  conn.reset();

  // The check: still running, and answers a well-formed request on a new connection.
  if (!world.IsRunning(server_proc)) Finding(server, "the server process is no longer running");
  {
    remoting::RemotingClient client(crt);
    std::optional<StatusOr<remoting::RemotingCommand>> answer;
    client.Invoke(server.address, server.probe(), seconds(5),
                  [&answer](StatusOr<remoting::RemotingCommand> r) { answer = std::move(r); });
    world.RunUntil([&] { return answer.has_value(); }, world.now() + seconds(6));
    if (!answer) Finding(server, "the probe request never completed");
    if (!answer->ok()) {
      Finding(server, "no answer to a well-formed request after the input: " +
                          answer->status().ToString());
    }
  }
  world.RunFor(milliseconds(10));
}

}  // namespace rmqsim::fuzz
