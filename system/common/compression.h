// zlib-format (RFC 1950) compression as java.util.zip.Deflater/Inflater do it with default
// "nowrap=false": message bodies with sysFlag COMPRESSED and compression type ZLIB (§4.3), and the
// compressed REGISTER_BROKER body (§3.7). LZ4 and ZSTD bodies are not supported here.
#pragma once

#include <cstddef>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"

namespace rmqsim::common {

// Java producers compress with level 5 (rocketmq.message.compressLevel default).
inline constexpr int kDefaultMessageCompressLevel = 5;

// Compresses with zlib at `level` (0-9; 9 = Deflater.BEST_COMPRESSION).
StatusOr<Bytes> ZlibCompress(ByteSpan input, int level);

// Inflates a zlib stream. Fails with kInvalidArgument on a damaged stream or trailing garbage, and
// with kResourceExhausted when the output would exceed `max_output_bytes` (a bound against
// decompression bombs; callers pass their message or body size limit).
StatusOr<Bytes> ZlibUncompress(ByteSpan input, size_t max_output_bytes);

}  // namespace rmqsim::common
