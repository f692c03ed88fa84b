// Sequential reads of one segment through a bounded read-ahead buffer (recovery and dispatch
// scans): never more than max(buffer, one record) bytes in memory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"
#include "system/store/limits.h"
#include "system/store/mapped_file.h"

namespace rmqsim::store {

class SegmentReader {
 public:
  // Reads never go past `limit` (default: the physical size), so read-ahead stays within the
  // data the caller wants.
  explicit SegmentReader(const MappedFile& mf, int64_t limit = -1,
                         size_t buffer_bytes = limits::kScanBufferBytes)
      : mf_(mf),
        limit_(limit < 0 ? mf.physical_size() : std::min(limit, mf.physical_size())),
        buffer_bytes_(buffer_bytes) {}

  // A view of the n bytes at segment position `pos`, valid until the next call. kOutOfRange
  // when they are not all below the limit.
  StatusOr<common::ByteSpan> View(int64_t pos, size_t n) {
    if (pos >= buf_start_ &&
        pos + static_cast<int64_t>(n) <= buf_start_ + static_cast<int64_t>(buf_.size())) {
      return common::ByteSpan(buf_).subspan(static_cast<size_t>(pos - buf_start_), n);
    }
    if (pos < 0 || pos + static_cast<int64_t>(n) > limit_) {
      return OutOfRangeError("segment '" + mf_.path() + "' has no " + std::to_string(n) +
                             " bytes at " + std::to_string(pos));
    }
    size_t want = std::max(n, buffer_bytes_);
    want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), limit_ - pos));
    buf_.resize(want);
    auto got = mf_.Read(pos, buf_);
    if (!got.ok()) {
      buf_.clear();
      return got.status();
    }
    buf_.resize(*got);
    buf_start_ = pos;
    if (*got < n) {
      return OutOfRangeError("short read of segment '" + mf_.path() + "' at " +
                             std::to_string(pos));
    }
    return common::ByteSpan(buf_).first(n);
  }

 private:
  const MappedFile& mf_;
  int64_t limit_;
  size_t buffer_bytes_;
  std::vector<std::byte> buf_;
  int64_t buf_start_ = 0;
};

}  // namespace rmqsim::store
