#include "sim/simulated/disk.h"

#include <algorithm>
#include <cstring>

#include "sim/base/hash.h"
#include "sim/base/limits.h"
#include "sim/simulated/world.h"

namespace rmqsim::sim {

SimDisk::SimDisk(World& world, std::string machine_name, DiskConfig config, uint64_t seed)
    : world_(world), machine_name_(std::move(machine_name)), config_(config), random_(seed) {}

StatusOr<std::string> SimDisk::Normalize(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return InvalidArgumentError("path '" + path + "' is not absolute");
  }
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string_view part(path.data() + i, j - i);
    if (part == "..") return InvalidArgumentError("path '" + path + "' contains '..'");
    if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out.empty() ? std::string("/") : out;
}

namespace {
std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}
}  // namespace

Status SimDisk::CheckParent(const std::string& path) const {
  std::string parent = ParentOf(path);
  if (!dirs_.contains(parent)) {
    return NotFoundError("no such directory '" + parent + "' for '" + path + "'");
  }
  return Status::Ok();
}

Status SimDisk::MaybeIoError(double probability, const char* op, const std::string& path) {
  if (probability > 0 && random_.Bernoulli(probability)) {
    return IoError(std::string(op) + " '" + path + "' failed: input/output error (disk of " +
                   machine_name_ + ")");
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<SimDisk::FileData>> SimDisk::Open(const std::string& path,
                                                           OpenMode mode) {
  auto it = files_.find(path);
  if (it != files_.end()) {
    if (mode == OpenMode::kCreateNew) return AlreadyExistsError("file '" + path + "' exists");
    if (mode == OpenMode::kCreateTruncate) RMQ_RETURN_IF_ERROR(Truncate(*it->second, path, 0));
    return it->second;
  }
  if (dirs_.contains(path)) return FailedPreconditionError("'" + path + "' is a directory");
  if (mode == OpenMode::kOpenExisting) return NotFoundError("no such file '" + path + "'");
  RMQ_RETURN_IF_ERROR(CheckParent(path));
  auto f = std::make_shared<FileData>();
  files_.emplace(path, f);
  return f;
}

Status SimDisk::Rename(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) return NotFoundError("rename: no such file '" + from + "'");
  RMQ_RETURN_IF_ERROR(CheckParent(to));
  if (dirs_.contains(to)) return FailedPreconditionError("rename: '" + to + "' is a directory");
  auto data = it->second;
  files_.erase(it);
  auto old = files_.find(to);
  if (old != files_.end()) {
    used_bytes_ -= old->second->current.size();
    old->second = std::move(data);
  } else {
    files_.emplace(to, std::move(data));
  }
  return Status::Ok();
}

Status SimDisk::Remove(const std::string& path) {
  auto it = files_.find(path);
  if (it != files_.end()) {
    used_bytes_ -= it->second->current.size();
    files_.erase(it);
    return Status::Ok();
  }
  if (dirs_.contains(path)) {
    std::string prefix = path == "/" ? "/" : path + "/";
    auto f = files_.lower_bound(prefix);
    auto d = dirs_.upper_bound(path);
    bool has_files = f != files_.end() && f->first.rfind(prefix, 0) == 0;
    bool has_dirs = d != dirs_.end() && d->rfind(prefix, 0) == 0;
    if (has_files || has_dirs) {
      return FailedPreconditionError("remove: directory '" + path + "' is not empty");
    }
    if (path == "/") return InvalidArgumentError("remove: cannot remove '/'");
    dirs_.erase(path);
    return Status::Ok();
  }
  return NotFoundError("remove: no such file or directory '" + path + "'");
}

Status SimDisk::CreateDirectories(const std::string& path) {
  if (files_.contains(path)) return AlreadyExistsError("'" + path + "' exists and is a file");
  std::string cur;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (files_.contains(cur)) return AlreadyExistsError("'" + cur + "' exists and is a file");
    dirs_.insert(cur);
    i = j + 1;
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> SimDisk::List(const std::string& dir) const {
  if (!dirs_.contains(dir)) return NotFoundError("no such directory '" + dir + "'");
  std::string prefix = dir == "/" ? "/" : dir + "/";
  std::set<std::string> names;
  auto collect = [&](const std::string& p) {
    if (p.size() <= prefix.size() || p.rfind(prefix, 0) != 0) return false;
    std::string rest = p.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('/')));
    return true;
  };
  for (auto it = files_.lower_bound(prefix); it != files_.end() && collect(it->first); ++it) {
  }
  for (auto it = dirs_.lower_bound(prefix); it != dirs_.end() && collect(*it); ++it) {
  }
  return std::vector<std::string>(names.begin(), names.end());
}

bool SimDisk::Exists(const std::string& path) const {
  return files_.contains(path) || dirs_.contains(path);
}

StatusOr<uint64_t> SimDisk::FileSize(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFoundError("no such file '" + path + "'");
  return static_cast<uint64_t>(it->second->current.size());
}

Status SimDisk::Grow(FileData& f, const std::string& path, uint64_t new_size) {
  uint64_t old_size = f.current.size();
  if (new_size <= old_size) return Status::Ok();
  if (new_size > limits::kSimFileBytesMax) {
    return InvalidArgumentError("file '" + path + "' would exceed the simulated file size limit");
  }
  uint64_t growth = new_size - old_size;
  if (faults_.full || used_bytes_ + growth > config_.capacity_bytes) {
    return NoSpaceError("write to '" + path + "': no space left on device (disk of " +
                        machine_name_ + ", " + std::to_string(used_bytes_) + " of " +
                        std::to_string(config_.capacity_bytes) + " bytes used)");
  }
  f.current.resize(new_size);
  used_bytes_ += growth;
  f.size_dirty = true;
  return Status::Ok();
}

void SimDisk::MarkDirty(FileData& f, uint64_t start, uint64_t end) {
  if (start >= end) return;
  // Merge with overlapping or adjacent ranges.
  auto it = f.dirty.upper_bound(start);
  if (it != f.dirty.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) {
      start = prev->first;
      end = std::max(end, prev->second);
      it = f.dirty.erase(prev);
    }
  }
  while (it != f.dirty.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = f.dirty.erase(it);
  }
  f.dirty.emplace(start, end);
}

Status SimDisk::WriteAt(FileData& f, const std::string& path, uint64_t offset,
                        std::span<const std::byte> bytes) {
  RMQ_RETURN_IF_ERROR(MaybeIoError(faults_.write_error_probability, "write", path));
  if (bytes.empty()) return Status::Ok();
  RMQ_RETURN_IF_ERROR(Grow(f, path, offset + bytes.size()));
  std::memcpy(f.current.data() + offset, bytes.data(), bytes.size());
  world_.DigestBytes(Fnv1a64(path) ^ offset, bytes);
  MarkDirty(f, offset, offset + bytes.size());
  f.has_last_write = true;
  f.last_write_offset = offset;
  f.last_write_length = bytes.size();
  return Status::Ok();
}

StatusOr<size_t> SimDisk::ReadAt(const FileData& f, const std::string& path, uint64_t offset,
                                 std::span<std::byte> out) {
  RMQ_RETURN_IF_ERROR(MaybeIoError(faults_.read_error_probability, "read", path));
  if (out.empty()) return static_cast<size_t>(0);
  if (offset >= f.current.size()) {
    return OutOfRangeError("read at offset " + std::to_string(offset) + " is past the end of '" +
                           path + "' (size " + std::to_string(f.current.size()) + ")");
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), f.current.size() - offset));
  n = std::min(n, limits::kReadBytesMax);
  std::memcpy(out.data(), f.current.data() + offset, n);
  return n;
}

Status SimDisk::Truncate(FileData& f, const std::string& path, uint64_t size) {
  RMQ_RETURN_IF_ERROR(MaybeIoError(faults_.write_error_probability, "truncate", path));
  uint64_t old_size = f.current.size();
  if (size > old_size) {
    RMQ_RETURN_IF_ERROR(Grow(f, path, size));
    MarkDirty(f, old_size, size);
    return Status::Ok();
  }
  if (size == old_size) return Status::Ok();
  f.current.resize(size);
  used_bytes_ -= old_size - size;
  f.size_dirty = true;
  // Clip dirty ranges to the new size.
  for (auto it = f.dirty.begin(); it != f.dirty.end();) {
    if (it->first >= size) {
      it = f.dirty.erase(it);
    } else {
      it->second = std::min(it->second, size);
      ++it;
    }
  }
  if (f.has_last_write && f.last_write_offset + f.last_write_length > size) {
    f.has_last_write = false;
  }
  return Status::Ok();
}

void SimDisk::MakeDurable(FileData& f) {
  f.durable.resize(f.current.size());
  for (const auto& [start, end] : f.dirty) {
    std::memcpy(f.durable.data() + start, f.current.data() + start, end - start);
  }
  f.dirty.clear();
  f.size_dirty = false;
  f.has_last_write = false;
}

void SimDisk::Sync(std::shared_ptr<FileData> f, const std::string& path, Owner owner,
                   std::function<void(const Status&)> done) {
  MonoTime now = world_.now();
  Duration latency = config_.sync_latency_min +
                     random_.ExponentialDuration(config_.sync_latency_mean);
  latency = Duration(static_cast<int64_t>(static_cast<double>(latency.count()) *
                                          std::max(1.0, faults_.sync_slowdown)));
  MonoTime start = std::max(now, device_free_at_);
  device_free_at_ = start + latency;
  bool fail = faults_.sync_error_probability > 0 &&
              random_.Bernoulli(faults_.sync_error_probability);
  world_.ScheduleAt(device_free_at_, owner,
                    [this, f = std::move(f), path, fail, done = std::move(done)] {
                      if (fail) {
                        // Linux: the pages are marked clean though they never reached the disk.
                        f->dirty.clear();
                        f->size_dirty = false;
                        f->has_last_write = false;
                        done(IoError("fsync '" + path + "' failed: input/output error (disk of " +
                                     machine_name_ + ")"));
                        return;
                      }
                      MakeDurable(*f);
                      ++syncs_completed_;
                      done(Status::Ok());
                    });
}

void SimDisk::PowerLoss() {
  used_bytes_ = 0;
  // The device's queue dies with the power: fsyncs after the reboot do not wait for ones issued
  // (and lost) before it.
  device_free_at_ = MonoTime{};
  for (auto& [path, f] : files_) {
    bool tear = f->has_last_write && random_.Bernoulli(config_.tear_probability);
    uint64_t keep_from = 0, keep_to = 0;
    if (tear) {
      // Sector boundaries strictly inside the write: a prefix up to one of them survives.
      uint64_t first = f->last_write_offset / limits::kSectorBytes + 1;
      uint64_t last = (f->last_write_offset + f->last_write_length - 1) / limits::kSectorBytes;
      if (first <= last) {
        uint64_t boundary = static_cast<uint64_t>(random_.UniformInt(
                                static_cast<int64_t>(first), static_cast<int64_t>(last))) *
                            limits::kSectorBytes;
        keep_from = f->last_write_offset;
        keep_to = boundary;
      }
    }
    std::vector<std::byte> survived = f->durable;
    if (keep_to > keep_from) {
      if (survived.size() < keep_to) survived.resize(keep_to);
      std::memcpy(survived.data() + keep_from, f->current.data() + keep_from, keep_to - keep_from);
      ++torn_writes_;
    }
    f->current = survived;
    f->durable = std::move(survived);
    f->dirty.clear();
    f->size_dirty = false;
    f->has_last_write = false;
    used_bytes_ += f->current.size();
  }
}

void SimDisk::Wipe() {
  files_.clear();
  dirs_ = {"/"};
  used_bytes_ = 0;
}

StatusOr<std::vector<std::byte>> SimDisk::DurableContent(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFoundError("no such file '" + path + "'");
  return it->second->durable;
}

StatusOr<std::vector<std::byte>> SimDisk::CachedContent(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFoundError("no such file '" + path + "'");
  return it->second->current;
}

StatusOr<uint64_t> SimDisk::TryLock(const std::string& path, std::weak_ptr<const int> holder) {
  if (files_.find(path) == files_.end()) return NotFoundError("no such file '" + path + "'");
  auto it = locks_.find(path);
  if (it != locks_.end() && !it->second.holder.expired()) {
    return UnavailableError("'" + path + "' is locked by another holder");
  }
  const uint64_t id = ++next_lock_id_;
  locks_[path] = LockEntry{id, std::move(holder)};
  return id;
}

void SimDisk::Unlock(const std::string& path, uint64_t id) {
  auto it = locks_.find(path);
  if (it != locks_.end() && it->second.id == id) locks_.erase(it);
}

}  // namespace rmqsim::sim
