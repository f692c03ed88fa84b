#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/base/status.h"

namespace rmqsim {

// An open file. Writes land in the page cache at once (like writes to an mmap'ed commit log);
// Sync() makes them durable. Reads see the page cache. Errors are values: kIoError (EIO),
// kNoSpace (ENOSPC), kOutOfRange (read past the end), kClosed (after Close()).
class File {
 public:
  using SyncHandler = std::function<void(const Status&)>;
  virtual ~File() = default;  // closes; unsynced bytes stay in the page cache

  virtual const std::string& path() const = 0;
  // Current size, including bytes not yet synced.
  virtual StatusOr<uint64_t> Size() const = 0;

  // Appends at the current end.
  virtual Status Append(std::span<const std::byte> bytes) = 0;
  // Writes at `offset`; extends the file (zero-filling any gap) when writing past the end.
  virtual Status WriteAt(uint64_t offset, std::span<const std::byte> bytes) = 0;
  // Reads up to out.size() bytes at `offset`; returns how many were read (fewer only at the end
  // of the file). Reading at or past the end (with a non-empty buffer) is kOutOfRange.
  virtual StatusOr<size_t> ReadAt(uint64_t offset, std::span<std::byte> out) const = 0;
  // Sets the size; growing zero-fills.
  virtual Status Truncate(uint64_t size) = 0;

  // fsync: makes everything written so far durable. `done` runs on the executor once the data is
  // durable (OK) or the device failed (kIoError). Never runs inside this call, never after the
  // process dies.
  virtual void Sync(SyncHandler done) = 0;

  virtual void Close() = 0;
};

// An exclusive advisory lock on a file, held until this handle is destroyed or the process dies
// (as the OS releases a dead process's locks).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode : uint8_t {
  kOpenExisting,    // fail with kNotFound if missing
  kCreateOrOpen,    // create empty if missing
  kCreateNew,       // fail with kAlreadyExists if present
  kCreateTruncate,  // create, or truncate an existing file to zero
};

// Paths are '/'-separated; relative paths are resolved against the runtime's data directory.
// Metadata operations (create, rename, remove, mkdir) are durable when they return.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Creates the directory and its parents; OK if it exists.
  virtual Status CreateDirectories(const std::string& path) = 0;
  // Names (not paths) of the entries directly in `dir`, sorted. kNotFound if no such directory.
  virtual StatusOr<std::vector<std::string>> List(const std::string& dir) const = 0;
  virtual bool Exists(const std::string& path) const = 0;
  // Size of a file without opening it.
  virtual StatusOr<uint64_t> FileSize(const std::string& path) const = 0;
  // Takes an exclusive lock on `path` (created empty if missing) without waiting: kUnavailable
  // when another holder (another process, or another handle in this one) has it. Real mode uses
  // an open-file-description lock on byte 0, which also conflicts with the lock Java's broker
  // takes (FileChannel.tryLock(0, 1, false)).
  virtual StatusOr<std::unique_ptr<FileLock>> TryLock(const std::string& path) = 0;
  // The used fraction (0..1) of the disk that holds the data directory, as Java's
  // UtilAll.getDiskPartitionSpaceUsedPercent ((total - free) / total); -1 when unknown.
  virtual double SpaceUsedRatio() const = 0;
};

}  // namespace rmqsim
