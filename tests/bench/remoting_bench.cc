// Google Benchmark: the remoting codec on a realistic SEND_MESSAGE_V2 request (compact header
// fields a..m as a 4.9.8 Java producer sends them, a 1 KiB body), in both header formats, plus the
// JSON header decode alone and the streaming FrameDecoder.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "system/remoting/codes.h"
#include "system/remoting/frame_decoder.h"
#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {
namespace {

RemotingCommand SendMessageV2(SerializeType type) {
  RemotingCommand c = RemotingCommand::CreateRequest(
      RequestCode::SEND_MESSAGE_V2, {{"a", "please_rename_unique_group_name"},
                                     {"b", "TopicTest"},
                                     {"c", "TBW102"},
                                     {"d", "4"},
                                     {"e", "2"},
                                     {"f", "0"},
                                     {"g", "1700000000123"},
                                     {"h", "0"},
                                     {"i",
                                      "TAGS\x01TagA\x02KEYS\x01OrderID188\x02UNIQ_KEY\x01"
                                      "C0A8000112342A9F8B1B4E2E5A3F0000"
                                      "\x02WAIT\x01true\x02"},
                                     {"j", "0"},
                                     {"k", "false"},
                                     {"l", "16"},
                                     {"m", "false"}});
  c.opaque = 17;
  c.body.assign(1024, 'm');
  c.serialize_type = type;
  return c;
}

void BM_Encode(benchmark::State& state, SerializeType type) {
  const RemotingCommand c = SendMessageV2(type);
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = c.EncodeTo(out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.counters["frame_bytes"] = static_cast<double>(out.size());
}

void BM_Decode(benchmark::State& state, SerializeType type) {
  const std::string frame = *SendMessageV2(type).Encode();
  for (auto _ : state) {
    auto c = RemotingCommand::DecodeFrame(AsBytes(frame));
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}

void BM_EncodeDecode(benchmark::State& state, SerializeType type) {
  const RemotingCommand c = SendMessageV2(type);
  std::string out;
  for (auto _ : state) {
    out.clear();
    Status s = c.EncodeTo(out);
    benchmark::DoNotOptimize(s);
    auto d = RemotingCommand::DecodeFrame(AsBytes(out));
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

// The JSON header alone (no frame, no body): the cost of nlohmann's SAX parser + our mapping.
void BM_DecodeJsonHeaderOnly(benchmark::State& state) {
  std::string header;
  AppendJsonHeader(SendMessageV2(SerializeType::JSON), header);
  RemotingCommand c;
  for (auto _ : state) {
    Status s = DecodeJsonHeader(AsBytes(header), c);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * header.size()));
  state.counters["header_bytes"] = static_cast<double>(header.size());
}

// 64 frames back to back, fed in 64 KiB segments as the network delivers them.
void BM_FrameDecoderStream(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 64; ++i) {
    Status s = SendMessageV2(SerializeType::JSON).EncodeTo(stream);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  size_t frames = 0;
  for (auto _ : state) {
    FrameDecoder d;
    for (size_t pos = 0; pos < stream.size(); pos += 65536) {
      Status s = d.Feed(AsBytes(std::string_view(stream).substr(pos, 65536)),
                        [&frames](RemotingCommand c) {
                          benchmark::DoNotOptimize(c);
                          ++frames;
                          return true;
                        });
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(frames));
}

BENCHMARK_CAPTURE(BM_Encode, json, SerializeType::JSON);
BENCHMARK_CAPTURE(BM_Encode, rocketmq, SerializeType::ROCKETMQ);
BENCHMARK_CAPTURE(BM_Decode, json, SerializeType::JSON);
BENCHMARK_CAPTURE(BM_Decode, rocketmq, SerializeType::ROCKETMQ);
BENCHMARK_CAPTURE(BM_EncodeDecode, json, SerializeType::JSON);
BENCHMARK_CAPTURE(BM_EncodeDecode, rocketmq, SerializeType::ROCKETMQ);
BENCHMARK(BM_DecodeJsonHeaderOnly);
BENCHMARK(BM_FrameDecoderStream);

}  // namespace
}  // namespace rmqsim::remoting

BENCHMARK_MAIN();
