// MappedFile (store/.../MappedFile.java in 4.9.8): one fixed-size segment of the commit log or of
// a consume queue, named by the 20-digit offset of its first byte.
//
// Java maps a pre-allocated file; here the file grows as it is written (the "logical" size is
// file_size(), the physical size is what was written) and everything goes through File::WriteAt /
// ReadAt, so no segment is ever held in memory. A segment is full when its write position reaches
// file_size(): the commit log then ends it with an 8-byte blank marker and counts the rest as
// written, as RocketMQ does.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sim/base/status.h"
#include "sim/runtime/file_system.h"
#include "system/common/byte_buffer.h"

namespace rmqsim::store {

class MappedFile {
 public:
  // A new, empty segment (an existing file of that name is truncated: a new segment is only ever
  // created past the recovered end).
  static StatusOr<std::shared_ptr<MappedFile>> Create(FileSystem& fs, std::string path,
                                                      int64_t from, int64_t file_size);
  // An existing segment, as MappedFileQueue.load finds it: its write and flush positions are set
  // to file_size() (full) until recovery says otherwise. kFailedPrecondition when the file is
  // larger than file_size.
  static StatusOr<std::shared_ptr<MappedFile>> OpenExisting(FileSystem& fs, std::string path,
                                                            int64_t from, int64_t file_size);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::string& path() const { return path_; }
  int64_t from() const { return from_; }  // fileFromOffset
  int64_t file_size() const { return file_size_; }
  int64_t wrote_position() const { return wrote_; }      // also the read position
  int64_t flushed_position() const { return flushed_; }  // confirmed durable by an fsync
  int64_t physical_size() const { return physical_; }
  bool IsFull() const { return wrote_ == file_size_; }
  int64_t RemainingBytes() const { return file_size_ - wrote_; }

  // Recovery: both positions at `pos` (the data before it is on disk already).
  void SetPositions(int64_t pos);
  void set_flushed_position(int64_t pos) { flushed_ = pos; }

  // Writes at the write position and advances it. On error nothing advances.
  Status Append(common::ByteSpan bytes);
  // Writes the end-of-file marker at the write position and marks the segment full.
  Status AppendEndOfFile(common::ByteSpan marker);

  // Reads up to out.size() bytes at `pos` (within the physical size). Fewer only at the end.
  StatusOr<size_t> Read(int64_t pos, std::span<std::byte> out) const;
  // Reads exactly out.size() bytes; kOutOfRange if the file is shorter.
  Status ReadFully(int64_t pos, std::span<std::byte> out) const;

  // Cuts the physical file at `size` (recovery removes torn or dirty bytes this way).
  Status TruncatePhysical(int64_t size);

  // fsync of the segment; see File::Sync.
  void Sync(File::SyncHandler done);
  // After a failed fsync the kernel has marked the dirty pages clean without writing them: reads
  // the range not yet confirmed durable back from the page cache and writes it again, so that
  // the next fsync really writes it.
  Status RewriteUnflushed();
  bool needs_rewrite() const { return needs_rewrite_; }
  void set_needs_rewrite(bool v) { needs_rewrite_ = v; }

  // Closes and removes the file.
  Status Destroy(FileSystem& fs);

  // Newest store timestamp (ms) of the messages appended to this segment (commit log only).
  int64_t store_timestamp() const { return store_timestamp_; }
  void set_store_timestamp(int64_t ms) { store_timestamp_ = ms; }
  // Wall time (ms) the segment was last written, for retention (Java: File.lastModified()).
  int64_t last_modified_ms() const { return last_modified_ms_; }
  void set_last_modified_ms(int64_t ms) { last_modified_ms_ = ms; }
  // The first segment created in an empty queue by this process (ConsumeQueue.fillPreBlank).
  bool first_create_in_queue() const { return first_create_in_queue_; }
  void set_first_create_in_queue(bool v) { first_create_in_queue_ = v; }

 private:
  MappedFile(std::unique_ptr<File> file, std::string path, int64_t from, int64_t file_size);

  std::unique_ptr<File> file_;
  std::string path_;
  int64_t from_;
  int64_t file_size_;
  int64_t wrote_ = 0;
  int64_t flushed_ = 0;
  int64_t physical_ = 0;
  bool needs_rewrite_ = false;
  int64_t store_timestamp_ = 0;
  int64_t last_modified_ms_ = 0;
  bool first_create_in_queue_ = false;
  bool destroyed_ = false;
};

}  // namespace rmqsim::store
