#include "system/common/stored_message.h"

#include <cstdio>
#include <limits>

#include "system/common/checksum.h"
#include "system/common/message_id.h"
#include "system/common/sys_flag.h"

namespace rmqsim::common {
namespace {

std::string Hex32(int32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", static_cast<uint32_t>(v));
  return buf;
}

int HostBytes(int32_t sys_flag, int32_t v6_flag) {
  return (sys_flag & v6_flag) == 0 ? 8 : 20;
}

int TopicLengthBytes(int32_t magic_code) {
  return magic_code == kMessageMagicCodeV2 ? 2 : 1;
}

void PutHost(ByteWriter& w, const HostAddress& h) {
  for (size_t i = 0; i < h.ip_length(); ++i) w.PutU8(h.ip[i]);
  w.PutI32(h.port);
}

StatusOr<HostAddress> ReadHost(ByteReader& r, bool ipv6, std::string_view field) {
  HostAddress h;
  h.ipv6 = ipv6;
  RMQ_ASSIGN_OR_RETURN(ByteSpan ip, r.ReadBytes(h.ip_length(), field));
  for (size_t i = 0; i < ip.size(); ++i) h.ip[i] = static_cast<uint8_t>(ip[i]);
  RMQ_ASSIGN_OR_RETURN(h.port, r.ReadI32(std::string(field) + " port"));
  return h;
}

}  // namespace

std::string MessageExt::OffsetMsgId() const {
  return CreateOffsetMessageId(store_host, commit_log_offset);
}

int64_t CalMsgLength(int32_t sys_flag, int64_t body_length, int64_t topic_length,
                     int64_t properties_length, int topic_length_bytes) {
  return 4                                                       // TOTALSIZE
         + 4                                                     // MAGICCODE
         + 4                                                     // BODYCRC
         + 4                                                     // QUEUEID
         + 4                                                     // FLAG
         + 8                                                     // QUEUEOFFSET
         + 8                                                     // PHYSICALOFFSET
         + 4                                                     // SYSFLAG
         + 8                                                     // BORNTIMESTAMP
         + HostBytes(sys_flag, kBornHostV6Flag)                  // BORNHOST
         + 8                                                     // STORETIMESTAMP
         + HostBytes(sys_flag, kStoreHostAddressV6Flag)          // STOREHOST
         + 4                                                     // RECONSUMETIMES
         + 8                                                     // PREPARED TRANSACTION OFFSET
         + 4 + (body_length > 0 ? body_length : 0)               // BODY
         + topic_length_bytes + topic_length                     // TOPIC
         + 2 + (properties_length > 0 ? properties_length : 0);  // PROPERTIES
}

int32_t SysFlagWithHostBits(int32_t sys_flag, const HostAddress& born, const HostAddress& store) {
  int32_t f = sys_flag & ~(kBornHostV6Flag | kStoreHostAddressV6Flag);
  if (born.ipv6) f |= kBornHostV6Flag;
  if (store.ipv6) f |= kStoreHostAddressV6Flag;
  return f;
}

Status AppendStoredMessage(const MessageExt& msg, Bytes* out, PropertiesStyle style) {
  const std::string& topic = msg.message.topic();
  if (msg.magic_code != kMessageMagicCode && msg.magic_code != kMessageMagicCodeV2) {
    return InvalidArgumentError("stored message magic code must be " + Hex32(kMessageMagicCode) +
                                " or " + Hex32(kMessageMagicCodeV2) + ", saw " +
                                Hex32(msg.magic_code));
  }
  const int topic_length_bytes = TopicLengthBytes(msg.magic_code);
  const int32_t topic_max =
      topic_length_bytes == 1 ? kStoredTopicMaxBytesV1 : kStoredTopicMaxBytesV2;
  if (topic.size() > static_cast<size_t>(topic_max)) {
    return InvalidArgumentError("topic is " + std::to_string(topic.size()) +
                                " bytes, the stored layout allows at most " +
                                std::to_string(topic_max));
  }
  auto props = EncodeProperties(msg.message.properties(), style);
  if (!props.ok()) return props.status().WithContext("stored message properties");
  if (props->size() > kPropertiesMaxBytes) {
    return InvalidArgumentError("properties are " + std::to_string(props->size()) +
                                " bytes, the stored layout allows at most " +
                                std::to_string(kPropertiesMaxBytes));
  }
  const Bytes& body = msg.message.body();
  const int32_t sys_flag = SysFlagWithHostBits(msg.sys_flag, msg.born_host, msg.store_host);
  const int64_t total =
      CalMsgLength(sys_flag, static_cast<int64_t>(body.size()), static_cast<int64_t>(topic.size()),
                   static_cast<int64_t>(props->size()), topic_length_bytes);
  if (total > std::numeric_limits<int32_t>::max()) {
    return InvalidArgumentError("stored message would be " + std::to_string(total) +
                                " bytes, more than a Java int can describe");
  }
  const size_t start = out->size();
  out->reserve(start + static_cast<size_t>(total));
  ByteWriter w(out);
  w.PutI32(static_cast<int32_t>(total));
  w.PutI32(msg.magic_code);
  w.PutI32(Crc32Masked(body));
  w.PutI32(msg.queue_id);
  w.PutI32(msg.message.flag());
  w.PutI64(msg.queue_offset);
  w.PutI64(msg.commit_log_offset);
  w.PutI32(sys_flag);
  w.PutI64(msg.born_timestamp_ms);
  PutHost(w, msg.born_host);
  w.PutI64(msg.store_timestamp_ms);
  PutHost(w, msg.store_host);
  w.PutI32(msg.reconsume_times);
  w.PutI64(msg.prepared_transaction_offset);
  w.PutI32(static_cast<int32_t>(body.size()));
  w.PutBytes(body);
  if (topic_length_bytes == 1) {
    w.PutU8(static_cast<uint8_t>(topic.size()));
  } else {
    w.PutI16(static_cast<int16_t>(topic.size()));
  }
  w.PutString(topic);
  w.PutI16(static_cast<int16_t>(props->size()));
  w.PutString(*props);
  RMQ_ASSERT_MSG(out->size() - start == static_cast<size_t>(total),
                 "stored message size mismatch after encoding");
  return Status::Ok();
}

StatusOr<Bytes> EncodeStoredMessage(const MessageExt& msg, PropertiesStyle style) {
  Bytes out;
  RMQ_RETURN_IF_ERROR(AppendStoredMessage(msg, &out, style));
  return out;
}

Bytes EncodeBlankRecord(int32_t total_size) {
  Bytes out;
  ByteWriter w(&out);
  w.PutI32(total_size);
  w.PutI32(kBlankMagicCode);
  return out;
}

StatusOr<StoredRecordHeader> PeekStoredRecordHeader(ByteSpan bytes) {
  ByteReader r(bytes);
  RMQ_ASSIGN_OR_RETURN(int32_t total_size, r.ReadI32("TOTALSIZE"));
  RMQ_ASSIGN_OR_RETURN(int32_t magic, r.ReadI32("MAGICCODE"));
  StoredRecordHeader h{total_size, magic};
  if (magic == kBlankMagicCode) {
    if (total_size < kEndFileMinBlankLength) {
      return CorruptionError("blank marker TOTALSIZE " + std::to_string(total_size) +
                             " is below the minimum " + std::to_string(kEndFileMinBlankLength));
    }
    return h;
  }
  if (magic != kMessageMagicCode && magic != kMessageMagicCodeV2) {
    return CorruptionError("MAGICCODE at offset 4: expected " + Hex32(kMessageMagicCode) +
                           " (message), " + Hex32(kMessageMagicCodeV2) + " (5.x message) or " +
                           Hex32(kBlankMagicCode) + " (blank), saw " + Hex32(magic));
  }
  const int64_t min_size = CalMsgLength(0, 0, 0, 0, TopicLengthBytes(magic));
  if (total_size < min_size) {
    return CorruptionError("TOTALSIZE " + std::to_string(total_size) +
                           " is below the smallest possible record (" + std::to_string(min_size) +
                           " bytes)");
  }
  return h;
}

StatusOr<StoredRecord> DecodeStoredRecord(ByteSpan bytes, const DecodeOptions& options) {
  auto where = [&] {  // built only for an error: this runs for every record read
    return "stored record at offset " + std::to_string(options.base_offset);
  };
  auto header = PeekStoredRecordHeader(bytes);
  if (!header.ok()) return header.status().WithContext(where());
  StoredRecord rec;
  rec.total_size = header->total_size;
  if (static_cast<uint64_t>(header->total_size) > bytes.size()) {
    return CorruptionError(where() + ": TOTALSIZE " + std::to_string(header->total_size) +
                           " runs past the end of the buffer (" + std::to_string(bytes.size()) +
                           " bytes available)");
  }
  if (header->is_blank()) {
    rec.is_blank = true;
    return rec;
  }
  // Read only inside the record: a length field that points past TOTALSIZE is a short read.
  // Field offsets in errors are relative to the record, whose own offset `where` names.
  ByteReader r(bytes.first(static_cast<size_t>(header->total_size)), StatusCode::kCorruption);
  MessageExt& m = rec.message;
  Status s = [&]() -> Status {
    RMQ_ASSIGN_OR_RETURN(m.store_size, r.ReadI32("TOTALSIZE"));
    RMQ_ASSIGN_OR_RETURN(m.magic_code, r.ReadI32("MAGICCODE"));
    RMQ_ASSIGN_OR_RETURN(m.body_crc, r.ReadI32("BODYCRC"));
    RMQ_ASSIGN_OR_RETURN(m.queue_id, r.ReadI32("QUEUEID"));
    RMQ_ASSIGN_OR_RETURN(int32_t flag, r.ReadI32("FLAG"));
    m.message.set_flag(flag);
    RMQ_ASSIGN_OR_RETURN(m.queue_offset, r.ReadI64("QUEUEOFFSET"));
    RMQ_ASSIGN_OR_RETURN(m.commit_log_offset, r.ReadI64("PHYSICALOFFSET"));
    RMQ_ASSIGN_OR_RETURN(m.sys_flag, r.ReadI32("SYSFLAG"));
    RMQ_ASSIGN_OR_RETURN(m.born_timestamp_ms, r.ReadI64("BORNTIMESTAMP"));
    RMQ_ASSIGN_OR_RETURN(m.born_host, ReadHost(r, (m.sys_flag & kBornHostV6Flag) != 0, "BORNHOST"));
    RMQ_ASSIGN_OR_RETURN(m.store_timestamp_ms, r.ReadI64("STORETIMESTAMP"));
    RMQ_ASSIGN_OR_RETURN(m.store_host,
                         ReadHost(r, (m.sys_flag & kStoreHostAddressV6Flag) != 0, "STOREHOST"));
    RMQ_ASSIGN_OR_RETURN(m.reconsume_times, r.ReadI32("RECONSUMETIMES"));
    RMQ_ASSIGN_OR_RETURN(m.prepared_transaction_offset, r.ReadI64("PREPARED TRANSACTION OFFSET"));

    RMQ_ASSIGN_OR_RETURN(int32_t body_len, r.ReadI32("BODYLEN"));
    if (body_len < 0) return r.Error("BODYLEN", "negative length " + std::to_string(body_len), 4);
    RMQ_ASSIGN_OR_RETURN(ByteSpan body, r.ReadBytes(static_cast<size_t>(body_len), "BODY"));
    if (options.check_crc && body_len > 0) {
      const int32_t crc = Crc32Masked(body);
      if (crc != m.body_crc) {
        return CorruptionError("BODYCRC mismatch: record says " + Hex32(m.body_crc) + ", body of " +
                               std::to_string(body_len) + " bytes has " + Hex32(crc));
      }
    }
    m.message.set_body(Bytes(body.begin(), body.end()));

    int32_t topic_len = 0;
    if (TopicLengthBytes(m.magic_code) == 1) {
      RMQ_ASSIGN_OR_RETURN(int8_t len8, r.ReadI8("TOPICLEN"));
      topic_len = len8;
    } else {
      RMQ_ASSIGN_OR_RETURN(int16_t len16, r.ReadI16("TOPICLEN"));
      topic_len = len16;
    }
    if (topic_len < 0)
      return r.Error("TOPICLEN", "negative length " + std::to_string(topic_len),
                     TopicLengthBytes(m.magic_code));
    RMQ_ASSIGN_OR_RETURN(ByteSpan topic, r.ReadBytes(static_cast<size_t>(topic_len), "TOPIC"));
    m.message.set_topic(StringFromBytes(topic));

    RMQ_ASSIGN_OR_RETURN(int16_t props_len, r.ReadI16("PROPLEN"));
    if (props_len < 0) return r.Error("PROPLEN", "negative length " + std::to_string(props_len), 2);
    RMQ_ASSIGN_OR_RETURN(ByteSpan props, r.ReadBytes(static_cast<size_t>(props_len), "PROPERTIES"));
    m.message.set_properties(DecodeProperties(AsStringView(props)));

    const int64_t expected =
        CalMsgLength(m.sys_flag, body_len, topic_len, props_len, TopicLengthBytes(m.magic_code));
    if (expected != m.store_size) {
      return CorruptionError(
          "TOTALSIZE " + std::to_string(m.store_size) + " does not match the fields (body " +
          std::to_string(body_len) + ", topic " + std::to_string(topic_len) + ", properties " +
          std::to_string(props_len) + " bytes imply " + std::to_string(expected) + ")");
    }
    return Status::Ok();
  }();
  if (!s.ok()) return s.WithContext(where());
  return rec;
}

StatusOr<MessageExt> DecodeStoredMessage(ByteSpan bytes, const DecodeOptions& options) {
  RMQ_ASSIGN_OR_RETURN(StoredRecord rec, DecodeStoredRecord(bytes, options));
  if (rec.is_blank) {
    return CorruptionError("stored record at offset " + std::to_string(options.base_offset) +
                           ": blank end-of-segment marker where a message was expected");
  }
  return std::move(rec.message);
}

StatusOr<std::vector<MessageExt>> DecodeStoredMessages(ByteSpan bytes,
                                                       const DecodeOptions& options) {
  std::vector<MessageExt> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    DecodeOptions o = options;
    o.base_offset = options.base_offset + pos;
    auto m = DecodeStoredMessage(bytes.subspan(pos), o);
    if (!m.ok()) return m.status().WithContext("message #" + std::to_string(out.size()));
    pos += static_cast<size_t>(m->store_size);
    out.push_back(std::move(m).value());
  }
  return out;
}

}  // namespace rmqsim::common
