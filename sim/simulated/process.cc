#include "sim/simulated/process.h"

#include "sim/simulated/disk.h"
#include "sim/simulated/world.h"

namespace rmqsim::sim {

class ProcessRuntime::SimClock final : public Clock {
 public:
  SimClock(World& w, MachineId m) : world_(w), machine_(m) {}
  MonoTime Now() const override { return world_.now(); }
  WallTime WallNow() const override { return world_.MachineWallTime(machine_); }

 private:
  World& world_;
  MachineId machine_;
};

class ProcessRuntime::SimExecutor final : public Executor {
 public:
  explicit SimExecutor(ProcessRuntime& rt) : rt_(rt) {}
  void Post(Callback cb) override {
    if (rt_.dead_) return;
    rt_.world_.ScheduleAt(rt_.world_.now(), rt_.owner_, std::move(cb));
  }
  TimerId ScheduleAfter(Duration delay, Callback cb) override {
    if (rt_.dead_) return {};
    if (delay < Duration::zero()) delay = Duration::zero();
    return rt_.world_.ScheduleAt(rt_.world_.now() + delay, rt_.owner_, std::move(cb), true);
  }
  bool Cancel(TimerId id) override { return rt_.world_.Cancel(id); }

 private:
  ProcessRuntime& rt_;
};

class ProcessRuntime::SimNet final : public Network {
 public:
  explicit SimNet(ProcessRuntime& rt) : rt_(rt) {}
  StatusOr<std::unique_ptr<Listener>> Listen(const Address& address,
                                              AcceptHandler on_accept) override {
    if (rt_.dead_) return UnavailableError("process is dead");
    return rt_.world_.network().Listen(rt_.owner_, rt_.machine_, address, std::move(on_accept));
  }
  void Connect(const Address& address, Duration timeout, ConnectHandler done) override {
    if (rt_.dead_) return;
    rt_.world_.network().Connect(rt_.owner_, rt_.machine_, address, timeout, std::move(done));
  }

 private:
  ProcessRuntime& rt_;
};

namespace {

class SimFile final : public File {
 public:
  SimFile(ProcessRuntime& rt, SimDisk& disk, std::shared_ptr<SimDisk::FileData> data,
          std::string path, World& world)
      : rt_(rt), disk_(disk), data_(std::move(data)), path_(std::move(path)), world_(world) {}

  const std::string& path() const override { return path_; }
  StatusOr<uint64_t> Size() const override {
    RMQ_RETURN_IF_ERROR(CheckOpen());
    return static_cast<uint64_t>(data_->current.size());
  }
  Status Append(std::span<const std::byte> bytes) override {
    RMQ_RETURN_IF_ERROR(CheckOpen());
    return disk_.WriteAt(*data_, path_, data_->current.size(), bytes);
  }
  Status WriteAt(uint64_t offset, std::span<const std::byte> bytes) override {
    RMQ_RETURN_IF_ERROR(CheckOpen());
    if (offset > data_->current.size()) {
      // Zero-fill the gap (a sparse region reads as zeros).
      RMQ_RETURN_IF_ERROR(disk_.Truncate(*data_, path_, offset));
    }
    return disk_.WriteAt(*data_, path_, offset, bytes);
  }
  StatusOr<size_t> ReadAt(uint64_t offset, std::span<std::byte> out) const override {
    RMQ_RETURN_IF_ERROR(CheckOpen());
    return disk_.ReadAt(*data_, path_, offset, out);
  }
  Status Truncate(uint64_t size) override {
    RMQ_RETURN_IF_ERROR(CheckOpen());
    return disk_.Truncate(*data_, path_, size);
  }
  void Sync(SyncHandler done) override {
    if (rt_.dead()) return;
    if (closed_) {
      rt_.executor().Post([done = std::move(done), p = path_] {
        done(ClosedError("fsync of closed file '" + p + "'"));
      });
      return;
    }
    disk_.Sync(data_, path_, rt_.owner(), std::move(done));
  }
  void Close() override { closed_ = true; }

 private:
  Status CheckOpen() const {
    if (closed_) return ClosedError("file '" + path_ + "' is closed");
    return Status::Ok();
  }
  ProcessRuntime& rt_;
  SimDisk& disk_;
  std::shared_ptr<SimDisk::FileData> data_;
  std::string path_;
  World& world_;
  bool closed_ = false;
};

}  // namespace

namespace {

// Released on destruction; the disk also forgets a lock whose process died.
class SimFileLock final : public FileLock {
 public:
  SimFileLock(World& world, MachineId machine, std::string path, uint64_t id)
      : world_(world), machine_(machine), path_(std::move(path)), id_(id) {}
  ~SimFileLock() override { world_.disk(machine_).Unlock(path_, id_); }

 private:
  World& world_;
  MachineId machine_;
  std::string path_;
  uint64_t id_;
};

}  // namespace

class ProcessRuntime::SimFs final : public FileSystem {
 public:
  SimFs(ProcessRuntime& rt, World& w, MachineId m) : rt_(rt), world_(w), machine_(m) {}

  StatusOr<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(path));
    RMQ_ASSIGN_OR_RETURN(auto data, disk().Open(p, mode));
    return std::unique_ptr<File>(
        std::make_unique<SimFile>(rt_, disk(), std::move(data), std::move(p), world_));
  }
  Status Rename(const std::string& from, const std::string& to) override {
    RMQ_ASSIGN_OR_RETURN(std::string f, Resolve(from));
    RMQ_ASSIGN_OR_RETURN(std::string t, Resolve(to));
    return disk().Rename(f, t);
  }
  Status Remove(const std::string& path) override {
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(path));
    return disk().Remove(p);
  }
  StatusOr<std::unique_ptr<FileLock>> TryLock(const std::string& path) override {
    if (rt_.dead()) return UnavailableError("process is dead");
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(path));
    RMQ_ASSIGN_OR_RETURN(auto data, disk().Open(p, OpenMode::kCreateOrOpen));
    RMQ_ASSIGN_OR_RETURN(uint64_t id, disk().TryLock(p, rt_.life()));
    return std::unique_ptr<FileLock>(std::make_unique<SimFileLock>(world_, machine_, p, id));
  }
  double SpaceUsedRatio() const override {
    const SimDisk& d = disk();
    return static_cast<double>(d.used_bytes()) / static_cast<double>(d.config().capacity_bytes);
  }
  Status CreateDirectories(const std::string& path) override {
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(path));
    return disk().CreateDirectories(p);
  }
  StatusOr<std::vector<std::string>> List(const std::string& dir) const override {
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(dir));
    return disk().List(p);
  }
  bool Exists(const std::string& path) const override {
    auto p = Resolve(path);
    return p.ok() && disk().Exists(*p);
  }
  StatusOr<uint64_t> FileSize(const std::string& path) const override {
    RMQ_ASSIGN_OR_RETURN(std::string p, Resolve(path));
    return disk().FileSize(p);
  }

 private:
  SimDisk& disk() const { return world_.disk(machine_); }
  StatusOr<std::string> Resolve(const std::string& path) const {
    if (path.empty()) return InvalidArgumentError("empty path");
    if (path[0] == '/') return SimDisk::Normalize(path);
    return SimDisk::Normalize(rt_.data_dir() + "/" + path);
  }
  ProcessRuntime& rt_;
  World& world_;
  MachineId machine_;
};

class ProcessRuntime::SimTrace final : public TraceSink {
 public:
  explicit SimTrace(ProcessRuntime& rt) : rt_(rt) {}
  void Emit(TraceEvent event) override {
    if (rt_.dead_) return;
    rt_.world_.EmitTrace(rt_.name_, std::move(event));
  }
  bool Enabled(Severity) const override { return true; }

 private:
  ProcessRuntime& rt_;
};

ProcessRuntime::ProcessRuntime(World& world, Owner owner, MachineId machine, std::string name,
                               std::string data_dir, uint64_t seed)
    : world_(world),
      owner_(owner),
      machine_(machine),
      name_(std::move(name)),
      data_dir_(std::move(data_dir)),
      random_(seed, world.random_draw_counter()),
      clock_(std::make_unique<SimClock>(world, machine)),
      executor_(std::make_unique<SimExecutor>(*this)),
      net_(std::make_unique<SimNet>(*this)),
      fs_(std::make_unique<SimFs>(*this, world, machine)),
      trace_(std::make_unique<SimTrace>(*this)) {}

ProcessRuntime::~ProcessRuntime() = default;

Clock& ProcessRuntime::clock() { return *clock_; }
Executor& ProcessRuntime::executor() { return *executor_; }
Network& ProcessRuntime::network() { return *net_; }
FileSystem& ProcessRuntime::fs() { return *fs_; }
TraceSink& ProcessRuntime::trace() { return *trace_; }
bool ProcessRuntime::Buggify(std::string_view site, double fire_probability) {
  return world_.BuggifyCheck(site, fire_probability);
}
bool ProcessRuntime::BuggifyEnabled() const { return world_.buggify().enabled(); }

}  // namespace rmqsim::sim
