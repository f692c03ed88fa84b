// Planted bugs: deliberate defects in the components, each behind a named switch that is off
// unless a test or `rmqsim run --plant NAME` turns it on, and only inside a simulated run. They
// measure the testing framework's power: the scenario sweep and the properties must catch every
// one within a bounded number of seeds (tests/property, docs/testing.md).
//
// A component writes `if (RMQ_PLANTED_BUG("store.sync_flush_no_wait")) { ...defect... }`. The
// name must be one of PlantedBugs() (an unknown name is an assertion failure once any bug is
// on). With no bug on, the check is one thread-local load.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rmqsim {

struct PlantedBugInfo {
  const char* name;         // "component.what"
  const char* description;  // what the defect does, and what should catch it
};

// Every planted bug, in a fixed order.
const std::vector<PlantedBugInfo>& PlantedBugs();
bool IsPlantedBug(std::string_view name);

// Whether the named bug is on for the current thread's run.
bool PlantedBugOn(std::string_view name);

// Turns bugs on for the current thread (one simulated run); restores the previous set on
// destruction. Names must be known (see IsPlantedBug).
class ScopedPlantedBugs {
 public:
  explicit ScopedPlantedBugs(std::vector<std::string> names);
  ~ScopedPlantedBugs();
  ScopedPlantedBugs(const ScopedPlantedBugs&) = delete;
  ScopedPlantedBugs& operator=(const ScopedPlantedBugs&) = delete;

 private:
  std::vector<std::string> previous_;
};

}  // namespace rmqsim

#define RMQ_PLANTED_BUG(name) (::rmqsim::PlantedBugOn(name))
