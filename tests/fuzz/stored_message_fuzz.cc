// libFuzzer target: the stored message layout (system/common/stored_message.{h,cc}): one
// commit-log record, a PULL_MESSAGE body, a commit-log segment.
//
// Input: the first byte is a mode, the rest is the payload.
//   mode % 3 == 0  the payload is one record: DecodeStoredRecord with and without the CRC check
//                  (bit 2 of the mode sets base_offset), then the round trip below.
//   mode % 3 == 1  the payload is a PULL_MESSAGE body: DecodeStoredMessages, each message
//                  round-tripped.
//   mode % 3 == 2  the payload is a commit-log segment: records back to back as recovery walks
//                  them (PeekStoredRecordHeader, then DecodeStoredRecord with the CRC check),
//                  until a blank marker, an error or the end.
// The round trip: a decoded message encodes, the encoding decodes (CRC checked) to the same
// message (BODYCRC and TOTALSIZE aside, as the encoder recomputes them), and encoding that again
// gives the same bytes. Every error must say what is wrong.
//
//   RMQ_FUZZ_WRITE_SEEDS=<dir> ./stored_message_fuzz   writes the seed inputs and exits
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "system/common/stored_message.h"
#include "system/common/sys_flag.h"

namespace {

namespace common = rmqsim::common;
using common::ByteSpan;
using common::MessageExt;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "stored_message_fuzz: FINDING: %s\n", what.c_str());
  std::abort();
}

void CheckError(const rmqsim::Status& s) {
  if (s.ok()) return;
  if (s.message().empty()) Die("an error without a message");
  if (s.code() != rmqsim::StatusCode::kCorruption) Die("not kCorruption: " + s.ToString());
}

MessageExt WithoutComputed(MessageExt m) {
  m.body_crc = 0;
  m.store_size = 0;
  return m;
}

void RoundTrip(const MessageExt& m) {
  auto encoded = common::EncodeStoredMessage(m);
  if (!encoded.ok()) {
    // The decoder accepts exactly what the encoder can write back (lengths are bounded by the
    // same limits), so a decoded message must encode.
    Die("a decoded message does not encode: " + encoded.status().ToString());
  }
  auto again = common::DecodeStoredMessage(ByteSpan(*encoded));
  if (!again.ok()) Die("the encoding does not decode: " + again.status().ToString());
  if (again->store_size != static_cast<int32_t>(encoded->size())) Die("TOTALSIZE != size");
  if (!(WithoutComputed(*again) == WithoutComputed(m))) Die("the round trip changed the message");
  auto twice = common::EncodeStoredMessage(*again);
  if (!twice.ok() || *twice != *encoded) Die("encoding is not stable");
}

void WalkSegment(ByteSpan segment) {
  size_t pos = 0;
  while (pos + 8 <= segment.size()) {
    auto header = common::PeekStoredRecordHeader(segment.subspan(pos));
    if (!header.ok()) {
      CheckError(header.status());
      return;
    }
    auto rec = common::DecodeStoredRecord(segment.subspan(pos), {.check_crc = true,
                                                                  .base_offset = pos});
    if (!rec.ok()) {
      CheckError(rec.status());
      return;
    }
    if (rec->total_size != header->total_size || rec->total_size <= 0) {
      Die("the record size disagrees with its header");
    }
    if (rec->is_blank) return;
    RoundTrip(rec->message);
    pos += static_cast<size_t>(rec->total_size);
  }
}

MessageExt SampleMessage(int i, bool v2, bool ipv6) {
  MessageExt m;
  m.message.set_topic(i == 0 ? "TopicTest" : "%RETRY%CG");
  m.message.set_body(common::BytesFromString("hello-" + std::to_string(i)));
  m.message.SetTags("TagA");
  m.message.SetKeys("k-" + std::to_string(i));
  m.message.PutProperty("UNIQ_KEY", "0A00000300002A9F0000000000000000");
  m.queue_id = i;
  m.queue_offset = 10 + i;
  m.sys_flag = i == 1 ? common::kCompressedFlag : 0;
  m.born_timestamp_ms = 1767225600123;
  m.store_timestamp_ms = 1767225600456;
  m.born_host = common::HostAddress::Ipv4(10, 0, 0, 3, 40000);
  m.store_host = ipv6 ? common::HostAddress::Ipv6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                   0, 2},
                                                  10911)
                      : common::HostAddress::Ipv4(10, 0, 0, 2, 10911);
  m.reconsume_times = i;
  if (v2) m.magic_code = common::kMessageMagicCodeV2;
  return m;
}

void WriteSeeds(const std::string& dir) {
  std::vector<std::string> seeds;
  auto str = [](const common::Bytes& b) { return common::StringFromBytes(b); };
  std::string segment;
  std::string pull_body;
  for (int i = 0; i < 2; ++i) {
    MessageExt m = SampleMessage(i, false, false);
    m.commit_log_offset = static_cast<int64_t>(segment.size());
    std::string rec = str(*common::EncodeStoredMessage(m));
    if (i == 0) seeds.push_back(std::string(1, '\x00') + rec);
    segment += rec;
    pull_body += rec;
  }
  seeds.push_back(std::string(1, '\x00') + str(*common::EncodeStoredMessage(SampleMessage(2, true, true))));
  seeds.push_back(std::string(1, '\x01') + pull_body);
  segment += str(common::EncodeBlankRecord(64));
  segment += std::string(56, '\0');
  seeds.push_back(std::string(1, '\x02') + segment);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir + "/seed-" + std::to_string(i), std::ios::binary);
    out << seeds[i];
  }
  std::fprintf(stderr, "stored_message_fuzz: wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
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
  const ByteSpan payload(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  switch (mode % 3) {
    case 0: {
      const uint64_t base = (mode & 4) ? 4096 : 0;
      for (bool crc : {false, true}) {
        auto rec = common::DecodeStoredRecord(payload, {.check_crc = crc, .base_offset = base});
        if (!rec.ok()) {
          CheckError(rec.status());
          continue;
        }
        if (rec->total_size <= 0 || static_cast<size_t>(rec->total_size) > payload.size()) {
          Die("TOTALSIZE outside the buffer was accepted");
        }
        if (!rec->is_blank) RoundTrip(rec->message);
      }
      break;
    }
    case 1: {
      auto msgs = common::DecodeStoredMessages(payload, {.check_crc = (mode & 4) != 0});
      if (!msgs.ok()) {
        CheckError(msgs.status());
        break;
      }
      size_t total = 0;
      for (const auto& m : *msgs) {
        total += static_cast<size_t>(m.store_size);
        RoundTrip(m);
      }
      if (total != payload.size()) Die("the messages do not add up to the body");
      break;
    }
    default:
      WalkSegment(payload);
  }
  return 0;
}
