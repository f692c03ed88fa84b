// The Runtime of one incarnation of a simulated process: its clock is its machine's, its
// executor schedules owned events in the world, its network speaks from its machine's address,
// its file system is its machine's disk, its random stream derives from the world seed.
#pragma once

#include <memory>
#include <string>

#include "sim/base/random.h"
#include "sim/runtime/runtime.h"
#include "sim/simulated/network.h"
#include "sim/simulated/scheduler.h"

namespace rmqsim::sim {

class World;
class SimDisk;

// A process's random stream, counting its draws into the world's total (the deep digest).
class CountedRandom final : public RandomSource {
 public:
  CountedRandom(uint64_t seed, uint64_t* draws) : random_(seed), draws_(draws) {}
  uint64_t Next64() override {
    ++*draws_;
    return random_.Next64();
  }

 private:
  Xoshiro256 random_;
  uint64_t* draws_;
};

class ProcessRuntime final : public Runtime {
 public:
  ProcessRuntime(World& world, Owner owner, MachineId machine, std::string name,
                 std::string data_dir, uint64_t seed);
  ~ProcessRuntime() override;

  Clock& clock() override;
  Executor& executor() override;
  Network& network() override;
  FileSystem& fs() override;
  RandomSource& random() override { return random_; }
  TraceSink& trace() override;
  bool Buggify(std::string_view site, double fire_probability) override;
  bool BuggifyEnabled() const override;
  const std::string& node_name() const override { return name_; }

  Owner owner() const { return owner_; }
  const std::string& data_dir() const { return data_dir_; }
  // After this, nothing new can be scheduled: the incarnation is over.
  void MarkDead() {
    dead_ = true;
    life_.reset();  // releases its file locks
  }
  bool dead() const { return dead_; }
  // Alive while this incarnation lives: file locks are held in its name.
  std::weak_ptr<const int> life() const { return life_; }

 private:
  class SimClock;
  class SimExecutor;
  class SimNet;
  class SimFs;
  class SimTrace;

  World& world_;
  Owner owner_;
  MachineId machine_;
  std::string name_;
  std::string data_dir_;
  CountedRandom random_;
  bool dead_ = false;
  std::shared_ptr<const int> life_ = std::make_shared<const int>(0);
  std::unique_ptr<SimClock> clock_;
  std::unique_ptr<SimExecutor> executor_;
  std::unique_ptr<SimNet> net_;
  std::unique_ptr<SimFs> fs_;
  std::unique_ptr<SimTrace> trace_;
};

}  // namespace rmqsim::sim
