#include "system/common/sys_flag.h"

#include <string>

namespace rmqsim::common {

std::string_view CompressionTypeName(CompressionType type) {
  switch (type) {
    case CompressionType::kLz4:
      return "LZ4";
    case CompressionType::kZstd:
      return "ZSTD";
    case CompressionType::kZlib:
      return "ZLIB";
  }
  return "UNKNOWN";
}

StatusOr<CompressionType> GetCompressionType(int32_t sys_flag) {
  const int32_t value = (sys_flag & kCompressionTypeComparator) >> 8;
  switch (value) {
    case 0:  // older clients: COMPRESSED alone means zlib
    case 3:
      return CompressionType::kZlib;
    case 1:
      return CompressionType::kLz4;
    case 2:
      return CompressionType::kZstd;
    default:
      return InvalidArgumentError("sysFlag compression type bits 8-10 hold unknown value " +
                                  std::to_string(value));
  }
}

}  // namespace rmqsim::common
