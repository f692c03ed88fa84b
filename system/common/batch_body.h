// The SEND_BATCH_MESSAGE body (reference §4.4; MessageDecoder.encodeMessage / encodeMessages /
// decodeMessages in apache/rocketmq 4.9.8). Per message, back to back:
//   TOTALSIZE 4 | MAGICCODE 4 (0) | BODYCRC 4 (0) | FLAG 4 | BODYLEN 4 + BODY | PROPLEN 2 + PROPS
// The topic and queue come from the request header, not the body.
#pragma once

#include <vector>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"
#include "system/common/message.h"

namespace rmqsim::common {

// Encodes flag, body and properties of each message (topics are ignored). kInvalidArgument if a
// message's properties cannot be encoded or exceed 32767 bytes, or an item exceeds INT32_MAX.
StatusOr<Bytes> EncodeBatchBody(const std::vector<Message>& messages,
                                PropertiesStyle style = PropertiesStyle::kNoTrailingSeparator);

// Decodes items until the body ends; the messages have an empty topic. MAGICCODE and BODYCRC are
// ignored as the broker ignores them. Every failure is kInvalidArgument naming the item index,
// its offset and the field: truncation, negative lengths, a TOTALSIZE that disagrees with the
// lengths inside the item.
StatusOr<std::vector<Message>> DecodeBatchBody(ByteSpan body);

}  // namespace rmqsim::common
