#include "system/common/compression.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <string>

namespace rmqsim::common {
namespace {

// Output grows in chunks of this size while inflating or deflating.
constexpr size_t kChunkBytes = 64 * 1024;

std::string ZlibMessage(const z_stream& zs, int rc) {
  std::string m = "zlib error " + std::to_string(rc);
  if (zs.msg != nullptr) m += std::string(" (") + zs.msg + ")";
  return m;
}

}  // namespace

StatusOr<Bytes> ZlibCompress(ByteSpan input, int level) {
  if (level < 0 || level > 9) {
    return InvalidArgumentError("zlib level must be 0..9, saw " + std::to_string(level));
  }
  if (input.size() > std::numeric_limits<uInt>::max()) {
    return InvalidArgumentError("zlib input too large: " + std::to_string(input.size()));
  }
  z_stream zs{};
  int rc = deflateInit(&zs, level);
  if (rc != Z_OK) return InternalError("deflateInit: " + ZlibMessage(zs, rc));
  Bytes out(deflateBound(&zs, static_cast<uLong>(input.size())));
  zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&zs, Z_FINISH);
  const size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return InternalError("deflate: " + ZlibMessage(zs, rc));
  out.resize(produced);
  return out;
}

StatusOr<Bytes> ZlibUncompress(ByteSpan input, size_t max_output_bytes) {
  if (input.size() > std::numeric_limits<uInt>::max()) {
    return InvalidArgumentError("zlib input too large: " + std::to_string(input.size()));
  }
  z_stream zs{};
  int rc = inflateInit(&zs);
  if (rc != Z_OK) return InternalError("inflateInit: " + ZlibMessage(zs, rc));
  zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  // Inflate one byte past the limit so that "exactly at the limit" and "over it" differ.
  const size_t cap = max_output_bytes < std::numeric_limits<size_t>::max() ? max_output_bytes + 1
                                                                           : max_output_bytes;
  Bytes out;
  Status status;
  while (true) {
    if (out.size() >= cap) {
      status = ResourceExhaustedError("inflated data exceeds the limit of " +
                                      std::to_string(max_output_bytes) + " bytes");
      break;
    }
    const size_t room = std::min(kChunkBytes, cap - out.size());
    const size_t at = out.size();
    out.resize(at + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(at + (room - zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in != 0) {
        status = InvalidArgumentError("zlib stream ends with " + std::to_string(zs.avail_in) +
                                      " unread trailing bytes");
      } else if (out.size() > max_output_bytes) {
        status = ResourceExhaustedError("inflated data exceeds the limit of " +
                                        std::to_string(max_output_bytes) + " bytes");
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && zs.avail_out != 0) {
      status = InvalidArgumentError("zlib stream truncated after " + std::to_string(zs.total_in) +
                                    " input bytes");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = InvalidArgumentError("inflate at input byte " + std::to_string(zs.total_in) + ": " +
                                    ZlibMessage(zs, rc));
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  return out;
}

}  // namespace rmqsim::common
