#include "system/common/batch_body.h"

#include <limits>
#include <string>

namespace rmqsim::common {
namespace {

// TOTALSIZE + MAGICCODE + BODYCRC + FLAG + BODYLEN + PROPLEN.
constexpr int64_t kItemFixedBytes = 4 + 4 + 4 + 4 + 4 + 2;

}  // namespace

StatusOr<Bytes> EncodeBatchBody(const std::vector<Message>& messages, PropertiesStyle style) {
  Bytes out;
  ByteWriter w(&out);
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    const std::string item = "batch item #" + std::to_string(i);
    auto props = EncodeProperties(m.properties(), style);
    if (!props.ok()) return props.status().WithContext(item);
    if (props->size() > kPropertiesMaxBytes) {
      return InvalidArgumentError(item + ": properties are " + std::to_string(props->size()) +
                                  " bytes, at most " + std::to_string(kPropertiesMaxBytes));
    }
    const int64_t size = kItemFixedBytes + static_cast<int64_t>(m.body().size()) +
                         static_cast<int64_t>(props->size());
    if (size > std::numeric_limits<int32_t>::max()) {
      return InvalidArgumentError(item + ": " + std::to_string(size) + " bytes is too large");
    }
    w.PutI32(static_cast<int32_t>(size));
    w.PutI32(0);  // MAGICCODE
    w.PutI32(0);  // BODYCRC
    w.PutI32(m.flag());
    w.PutI32(static_cast<int32_t>(m.body().size()));
    w.PutBytes(m.body());
    w.PutI16(static_cast<int16_t>(props->size()));
    w.PutString(*props);
  }
  return out;
}

StatusOr<std::vector<Message>> DecodeBatchBody(ByteSpan body) {
  std::vector<Message> out;
  ByteReader r(body, StatusCode::kInvalidArgument);
  while (r.remaining() > 0) {
    const size_t item_start = r.offset();
    Message m;
    Status s = [&]() -> Status {
      RMQ_ASSIGN_OR_RETURN(int32_t total, r.ReadI32("TOTALSIZE"));
      RMQ_ASSIGN_OR_RETURN(int32_t magic, r.ReadI32("MAGICCODE"));
      (void)magic;
      RMQ_ASSIGN_OR_RETURN(int32_t crc, r.ReadI32("BODYCRC"));
      (void)crc;
      RMQ_ASSIGN_OR_RETURN(int32_t flag, r.ReadI32("FLAG"));
      m.set_flag(flag);
      RMQ_ASSIGN_OR_RETURN(int32_t body_len, r.ReadI32("BODYLEN"));
      if (body_len < 0) return r.Error("BODYLEN", "negative length " + std::to_string(body_len), 4);
      RMQ_ASSIGN_OR_RETURN(ByteSpan b, r.ReadBytes(static_cast<size_t>(body_len), "BODY"));
      m.set_body(Bytes(b.begin(), b.end()));
      RMQ_ASSIGN_OR_RETURN(int16_t props_len, r.ReadI16("PROPLEN"));
      if (props_len < 0) {
        return r.Error("PROPLEN", "negative length " + std::to_string(props_len), 2);
      }
      RMQ_ASSIGN_OR_RETURN(ByteSpan p, r.ReadBytes(static_cast<size_t>(props_len), "PROPERTIES"));
      m.set_properties(DecodeProperties(AsStringView(p)));
      const int64_t expected = kItemFixedBytes + body_len + props_len;
      if (total != expected) {
        return InvalidArgumentError("TOTALSIZE " + std::to_string(total) +
                                    " does not match the fields (body " + std::to_string(body_len) +
                                    ", properties " + std::to_string(props_len) + " bytes imply " +
                                    std::to_string(expected) + ")");
      }
      return Status::Ok();
    }();
    if (!s.ok()) {
      return s.WithContext("batch item #" + std::to_string(out.size()) + " at offset " +
                           std::to_string(item_start));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace rmqsim::common
