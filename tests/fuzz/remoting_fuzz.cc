// libFuzzer target for the remoting frame and header decoders (system/remoting).
//
// Input layout: the first byte is a mode, the rest is the payload.
//   mode bit 7 set: the payload is one header; it is wrapped into a frame by hand (type = mode
//                   bit 0), so the fuzzer reaches the JSON and binary header decoders directly.
//   otherwise:      the payload is a raw byte stream fed to a FrameDecoder in chunks of
//                   1 + (mode % 64) bytes (partial and coalesced frames).
// Every command that decodes must re-encode (or be refused for size) and decode back to itself.
//
// Run (clang build, see docs/remoting.md):
//   RMQ_FUZZ_WRITE_SEEDS=/tmp/remoting-corpus ./remoting_fuzz   # writes seed inputs, exits
//   ./remoting_fuzz /tmp/remoting-corpus -max_len=65536 -rss_limit_mb=4096
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "system/remoting/codes.h"
#include "system/remoting/frame_decoder.h"
#include "system/remoting/remoting_command.h"

namespace {

using rmqsim::StatusCode;
using rmqsim::remoting::AsBytes;
using rmqsim::remoting::FrameDecoder;
using rmqsim::remoting::RemotingCommand;
using rmqsim::remoting::SerializeType;

[[noreturn]] void Die(const char* what, const RemotingCommand& c) {
  std::fprintf(stderr, "remoting_fuzz: %s: %s\n", what, c.ToString().c_str());
  std::abort();
}

void CheckRoundTrip(const RemotingCommand& c) {
  auto encoded = c.Encode();
  if (!encoded.ok()) {
    // Re-encoding may grow a header (escapes, "serializeTypeCurrentRPC") past the frame limit;
    // nothing else may fail for a command that decoded.
    if (encoded.status().code() != StatusCode::kInvalidArgument) Die("encode failed", c);
    return;
  }
  auto again = RemotingCommand::DecodeFrame(AsBytes(*encoded));
  if (!again.ok()) Die(("re-decode failed: " + again.status().ToString()).c_str(), c);
  if (!(*again == c)) Die("round trip changed the command", c);
}

std::string Be32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}

void WriteSeeds(const std::string& dir) {
  std::vector<std::string> seeds;
  RemotingCommand route = RemotingCommand::CreateRequest(
      rmqsim::remoting::RequestCode::GET_ROUTEINFO_BY_TOPIC, {{"topic", "TopicTest"}});
  route.opaque = 7;
  RemotingCommand send = RemotingCommand::CreateRequest(
      rmqsim::remoting::RequestCode::SEND_MESSAGE_V2, {{"a", "pg"},
                                                       {"b", "TopicTest"},
                                                       {"c", "TBW102"},
                                                       {"d", "4"},
                                                       {"e", "1"},
                                                       {"f", "0"},
                                                       {"g", "1700000000123"},
                                                       {"h", "0"},
                                                       {"i", "TAGS\x01TagA\x02KEYS\x01K\x02"}});
  send.body = "hello";
  RemotingCommand response = route.CreateResponse(0, "remark \x01 \"q\"");
  for (SerializeType type : {SerializeType::JSON, SerializeType::ROCKETMQ}) {
    for (RemotingCommand c : {route, send, response}) {
      c.serialize_type = type;
      auto frame = *c.Encode();
      seeds.push_back(std::string(1, '\x07') + frame + frame);  // stream mode, 8-byte chunks
      std::string header = frame.substr(8, frame.size() - 8 - c.body.size());
      seeds.push_back(std::string(1, static_cast<char>(0x80 | static_cast<int>(type))) + header);
    }
  }
  seeds.push_back(std::string(1, '\x80') +
                  R"({"code":310,"language":"CPP","remark":"","extFields":{"d":4,"k":false}})");
  seeds.push_back(std::string(1, '\x00') + Be32(16777213));
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir + "/seed-" + std::to_string(i), std::ios::binary);
    out << seeds[i];
  }
  std::fprintf(stderr, "remoting_fuzz: wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("RMQ_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);

  if (mode & 0x80) {
    const uint32_t type = mode & 1;
    if (payload.size() > 0xFFFFFF) return 0;
    std::string frame = Be32(static_cast<uint32_t>(4 + payload.size())) +
                        Be32((type << 24) | static_cast<uint32_t>(payload.size())) + payload;
    auto c = RemotingCommand::DecodeFrame(AsBytes(frame));
    if (c.ok()) {
      CheckRoundTrip(*c);
    } else if (c.status().message().empty()) {
      std::abort();  // every error says what went wrong
    }
    return 0;
  }

  FrameDecoder decoder;
  const size_t chunk = 1 + mode % 64;
  for (size_t pos = 0; pos < payload.size(); pos += chunk) {
    auto piece = AsBytes(std::string_view(payload).substr(pos, chunk));
    auto s = decoder.Feed(piece, [](RemotingCommand c) {
      CheckRoundTrip(c);
      return true;
    });
    if (!s.ok()) {
      if (s.message().empty() || !decoder.failed()) std::abort();
      break;
    }
  }
  return 0;
}
