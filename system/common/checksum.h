// RocketMQ's body checksum: CRC-32 (the zlib/java.util.zip polynomial) of the bytes, masked to 31
// bits so it is a non-negative Java int (UtilAll.crc32 in apache/rocketmq 4.9.8). Used for the
// BODYCRC field of stored messages (§4.1) and the bodyCrc32 of REGISTER_BROKER (§3.7).
#pragma once

#include <cstdint>

#include "system/common/byte_buffer.h"

namespace rmqsim::common {

// crc32(bytes) & 0x7FFFFFFF. The empty input gives 0.
int32_t Crc32Masked(ByteSpan bytes);

}  // namespace rmqsim::common
