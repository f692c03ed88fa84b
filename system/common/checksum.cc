#include "system/common/checksum.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace rmqsim::common {

int32_t Crc32Masked(ByteSpan bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  // zlib takes a uInt length; feed large inputs in chunks.
  while (left > 0) {
    const auto n = static_cast<uInt>(std::min<size_t>(left, std::numeric_limits<uInt>::max()));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<int32_t>(crc & 0x7FFFFFFFu);
}

}  // namespace rmqsim::common
