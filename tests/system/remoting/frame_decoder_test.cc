// FrameDecoder: partial and coalesced input, the 16 MiB limit exactly, and a clear error for
// every malformed frame.
#include "system/remoting/frame_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "system/remoting/codes.h"
#include "system/remoting/limits.h"

namespace rmqsim::remoting {
namespace {

using ::testing::HasSubstr;

std::string Be32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}

std::vector<RemotingCommand> SampleCommands() {
  std::vector<RemotingCommand> out;
  RemotingCommand a =
      RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC, {{"topic", "TopicTest"}});
  a.opaque = 1;
  out.push_back(a);
  RemotingCommand b = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2,
                                                     {{"a", "pg"}, {"b", "TopicTest"}});
  b.opaque = 2;
  b.body = std::string(3000, 'm');
  b.serialize_type = SerializeType::ROCKETMQ;
  out.push_back(b);
  RemotingCommand c = a.CreateResponse(ResponseCode::SUCCESS);
  c.body = "{\"brokerDatas\":[]}";
  out.push_back(c);
  return out;
}

std::string EncodeAll(const std::vector<RemotingCommand>& commands) {
  std::string out;
  for (const auto& c : commands) {
    Status s = c.EncodeTo(out);
    RMQ_ASSERT_MSG(s.ok(), s.ToString());
  }
  return out;
}

struct Collector {
  std::vector<RemotingCommand> commands;
  FrameDecoder::CommandHandler handler() {
    return [this](RemotingCommand c) {
      commands.push_back(std::move(c));
      return true;
    };
  }
};

TEST(FrameDecoderTest, ByteAtATime) {
  const auto commands = SampleCommands();
  const std::string bytes = EncodeAll(commands);
  FrameDecoder d;
  Collector got;
  for (char ch : bytes) {
    ASSERT_TRUE(d.Feed(AsBytes(std::string_view(&ch, 1)), got.handler()).ok());
  }
  EXPECT_EQ(got.commands, commands);
  EXPECT_EQ(d.buffered_bytes(), 0u);
  EXPECT_EQ(d.frames_decoded(), 3u);
}

TEST(FrameDecoderTest, SeveralFramesInOneChunkAndATrailingPartial) {
  const auto commands = SampleCommands();
  const std::string bytes = EncodeAll(commands);
  FrameDecoder d;
  Collector got;
  // All three frames plus the first 10 bytes of a fourth.
  const std::string fourth = EncodeAll({commands[0]});
  ASSERT_TRUE(d.Feed(AsBytes(bytes + fourth.substr(0, 10)), got.handler()).ok());
  EXPECT_EQ(got.commands, commands);
  EXPECT_EQ(d.buffered_bytes(), 10u);
  ASSERT_TRUE(d.Feed(AsBytes(fourth.substr(10)), got.handler()).ok());
  ASSERT_EQ(got.commands.size(), 4u);
  EXPECT_EQ(got.commands[3], commands[0]);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, HandlerCanStopDecoding) {
  const std::string bytes = EncodeAll(SampleCommands());
  FrameDecoder d;
  int seen = 0;
  ASSERT_TRUE(d.Feed(AsBytes(bytes), [&](RemotingCommand) { return ++seen < 1; }).ok());
  EXPECT_EQ(seen, 1);
  EXPECT_GT(d.buffered_bytes(), 0u);  // the rest waits
  ASSERT_TRUE(d.Feed({}, [&](RemotingCommand) { return ++seen < 100; }).ok());
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

RC_GTEST_PROP(FrameDecoderProperty, AnySplitGivesTheSameCommands, ()) {
  const auto commands = SampleCommands();
  const std::string bytes = EncodeAll(commands);
  auto cuts = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, bytes.size()));
  std::sort(cuts.begin(), cuts.end());
  FrameDecoder d;
  Collector got;
  size_t pos = 0;
  for (size_t cut : cuts) {
    RC_ASSERT(d.Feed(AsBytes(std::string_view(bytes).substr(pos, cut - pos)), got.handler()).ok());
    pos = cut;
  }
  RC_ASSERT(d.Feed(AsBytes(std::string_view(bytes).substr(pos)), got.handler()).ok());
  RC_ASSERT(got.commands == commands);
}

TEST(FrameDecoderTest, FrameExactlyAtTheLimitIsAccepted) {
  RemotingCommand c = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE);
  std::string header;
  AppendJsonHeader(c, header);
  c.body.assign(limits::kFrameLengthMax - 4 - header.size(), 'x');
  const std::string frame = EncodeAll({c});
  ASSERT_EQ(frame.substr(0, 4), Be32(16777212));
  FrameDecoder d;
  Collector got;
  // In 64 KiB segments, as the network delivers a big frame.
  for (size_t pos = 0; pos < frame.size(); pos += 65536) {
    ASSERT_TRUE(d.Feed(AsBytes(std::string_view(frame).substr(pos, 65536)), got.handler()).ok());
  }
  ASSERT_EQ(got.commands.size(), 1u);
  EXPECT_EQ(got.commands[0].body.size(), c.body.size());
}

TEST(FrameDecoderTest, FrameOverTheLimitIsRefusedFromItsLengthAlone) {
  FrameDecoder d;
  Collector got;
  Status s = d.Feed(AsBytes(Be32(16777213)), got.handler());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("frame length 16777213 exceeds the limit 16777212"));
  EXPECT_THAT(s.message(), HasSubstr("16777216 bytes with its length field"));
  // Broken for good: the same error again, nothing buffered.
  EXPECT_EQ(d.Feed(AsBytes(std::string("more")), got.handler()), s);
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.buffered_bytes(), 0u);

  FrameDecoder huge;
  Status h = huge.Feed(AsBytes(Be32(0xFFFFFFFF)), got.handler());
  EXPECT_THAT(h.message(), HasSubstr("frame length 4294967295 exceeds"));
}

TEST(FrameDecoderTest, SmallerConfiguredLimit) {
  FrameDecoder d(1024);
  Collector got;
  RemotingCommand c = RemotingCommand::CreateRequest(RequestCode::HEART_BEAT);
  c.body.assign(2000, 'h');
  Status s = d.Feed(AsBytes(EncodeAll({c})), got.handler());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("exceeds the limit 1024"));
  EXPECT_TRUE(got.commands.empty());
}

TEST(FrameDecoderTest, LengthTooSmallForTheHeaderWord) {
  FrameDecoder d;
  Collector got;
  Status s = d.Feed(AsBytes(Be32(3) + "abc"), got.handler());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("frame length 3 is less than 4"));
}

TEST(FrameDecoderTest, HeaderLengthGreaterThanLengthMinusFour) {
  FrameDecoder d;
  Collector got;
  // length 20, header length 17 > 16: refused as soon as the header word is in.
  Status s = d.Feed(AsBytes(Be32(20) + Be32(17)), got.handler());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("header length 17 exceeds frame length - 4 = 16"));
  // Exactly length - 4 is fine (no body).
  FrameDecoder ok;
  std::string header = R"({"code":34})";
  std::string frame = Be32(4 + header.size()) + Be32(header.size()) + header;
  EXPECT_TRUE(ok.Feed(AsBytes(frame), got.handler()).ok());
  ASSERT_EQ(got.commands.size(), 1u);
  EXPECT_TRUE(got.commands[0].body.empty());
}

TEST(FrameDecoderTest, TruncatedBinaryHeader) {
  FrameDecoder d;
  Collector got;
  std::string header("\x00\x22\x00\x01\x99\x00\x00", 7);  // 7 of the 17 fixed bytes
  Status s = d.Feed(AsBytes(Be32(4 + 7) + Be32((1u << 24) | 7) + header), got.handler());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("needs 17 bytes at offset 0 but only 7 remain"));
}

TEST(FrameDecoderTest, BadJson) {
  FrameDecoder d;
  Collector got;
  std::string header = R"({"code":105,"opaque":)";
  Status s = d.Feed(AsBytes(Be32(4 + header.size()) + Be32(header.size()) + header), got.handler());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr("JSON header: not valid JSON"));
  EXPECT_THAT(s.message(), HasSubstr(R"(header starts with {"code":105,"opaque":)"));
}

TEST(FrameDecoderTest, UnknownSerializationTypeIsRefusedFromTheHeaderWord) {
  FrameDecoder d;
  Collector got;
  Status s = d.Feed(AsBytes(Be32(100) + Be32((5u << 24) | 10)), got.handler());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown serialization type 5"));
  EXPECT_THAT(s.message(), HasSubstr("expected 0 JSON or 1 ROCKETMQ"));
}

TEST(FrameDecoderTest, GoodFramesBeforeABadOneAreDelivered) {
  const auto commands = SampleCommands();
  FrameDecoder d;
  Collector got;
  Status s = d.Feed(AsBytes(EncodeAll(commands) + Be32(5) + Be32(9) + "x"), got.handler());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(got.commands, commands);
}

}  // namespace
}  // namespace rmqsim::remoting
