// The simulated disk of one machine: a file system in memory with a page cache.
//
// Each file has the bytes the page cache holds (what reads see) and the durable bytes (what a
// power loss leaves). Writes dirty the page cache; an fsync makes everything dirty durable after
// a latency drawn from the disk's seeded distribution (fsyncs on one device are serialized).
// A process kill changes nothing here: the page cache belongs to the machine. A power loss
// replaces every file's contents with its durable bytes, and may tear the last unsynced write of
// a file at a sector boundary (a prefix of it survives). Metadata (create, rename, remove, mkdir)
// is durable at once, like a journaled file system.
//
// Faults: EIO on writes, reads or fsyncs with given probabilities; a full disk (ENOSPC when a
// write grows the used bytes past the capacity, or at once when forced); slow fsyncs. A failed
// fsync behaves as Linux does: the dirty pages are marked clean without reaching the disk, so the
// data is readable until a power loss and then gone (the "fsyncgate" behaviour).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "sim/base/random.h"
#include "sim/base/status.h"
#include "sim/runtime/file_system.h"
#include "sim/simulated/config.h"
#include "sim/simulated/scheduler.h"

namespace rmqsim::sim {

class World;

struct DiskFaults {
  double write_error_probability = 0;  // each write/append/truncate fails with EIO
  double read_error_probability = 0;   // each read fails with EIO
  double sync_error_probability = 0;   // each fsync fails with EIO (dirty data then unsynced)
  double sync_slowdown = 1;            // fsync latency multiplier (slow disk)
  bool full = false;                   // every growing write fails with ENOSPC
};

class SimDisk {
 public:
  struct FileData {
    std::vector<std::byte> current;           // page cache view
    std::vector<std::byte> durable;           // what survives power loss
    std::map<uint64_t, uint64_t> dirty;       // [start, end) ranges not yet durable
    bool size_dirty = false;                  // size differs from durable size
    bool has_last_write = false;              // the newest unsynced write, for tearing
    uint64_t last_write_offset = 0;
    uint64_t last_write_length = 0;
  };

  SimDisk(World& world, std::string machine_name, DiskConfig config, uint64_t seed);

  // --- file system operations (absolute, normalized paths) ---
  StatusOr<std::shared_ptr<FileData>> Open(const std::string& path, OpenMode mode);
  Status Rename(const std::string& from, const std::string& to);
  Status Remove(const std::string& path);
  Status CreateDirectories(const std::string& path);
  StatusOr<std::vector<std::string>> List(const std::string& dir) const;
  bool Exists(const std::string& path) const;
  StatusOr<uint64_t> FileSize(const std::string& path) const;

  // --- advisory locks (FileSystem::TryLock) ---
  // Takes the lock on `path` (an existing file) for `holder`, a token alive while the holding
  // process lives; returns the lock's id. kUnavailable while a live holder has it.
  StatusOr<uint64_t> TryLock(const std::string& path, std::weak_ptr<const int> holder);
  // Releases lock `id` on `path` (nothing if it was released or taken over since).
  void Unlock(const std::string& path, uint64_t id);

  // --- data operations on an open file ---
  Status WriteAt(FileData& f, const std::string& path, uint64_t offset,
                 std::span<const std::byte> bytes);
  StatusOr<size_t> ReadAt(const FileData& f, const std::string& path, uint64_t offset,
                          std::span<std::byte> out);
  Status Truncate(FileData& f, const std::string& path, uint64_t size);
  // Schedules the fsync completion on `owner`'s executor.
  void Sync(std::shared_ptr<FileData> f, const std::string& path, Owner owner,
            std::function<void(const Status&)> done);

  // --- machine-level events ---
  void PowerLoss();  // page cache lost, unsynced bytes dropped or torn
  void Wipe();       // the machine is destroyed: nothing survives

  // --- faults and inspection ---
  void SetFaults(const DiskFaults& faults) { faults_ = faults; }
  const DiskFaults& faults() const { return faults_; }
  uint64_t used_bytes() const { return used_bytes_; }
  const DiskConfig& config() const { return config_; }
  // The durable / cached bytes of a file (tests and checkers).
  StatusOr<std::vector<std::byte>> DurableContent(const std::string& path) const;
  StatusOr<std::vector<std::byte>> CachedContent(const std::string& path) const;
  uint64_t syncs_completed() const { return syncs_completed_; }
  uint64_t torn_writes() const { return torn_writes_; }

  // Normalizes `path` (absolute, no empty or "." components). ".." is rejected.
  static StatusOr<std::string> Normalize(const std::string& path);

 private:
  Status CheckParent(const std::string& path) const;
  Status Grow(FileData& f, const std::string& path, uint64_t new_size);
  void MarkDirty(FileData& f, uint64_t start, uint64_t end);
  void MakeDurable(FileData& f);
  Status MaybeIoError(double probability, const char* op, const std::string& path);

  World& world_;
  std::string machine_name_;
  DiskConfig config_;
  Xoshiro256 random_;
  DiskFaults faults_;
  std::map<std::string, std::shared_ptr<FileData>> files_;
  std::set<std::string> dirs_{"/"};
  struct LockEntry {
    uint64_t id = 0;
    std::weak_ptr<const int> holder;
  };
  std::map<std::string, LockEntry> locks_;
  uint64_t next_lock_id_ = 0;
  uint64_t used_bytes_ = 0;
  MonoTime device_free_at_{};
  uint64_t syncs_completed_ = 0;
  uint64_t torn_writes_ = 0;
};

}  // namespace rmqsim::sim
