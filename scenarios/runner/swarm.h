// Swarm testing: each seed runs its own variant of a scenario. From the seed (and nothing else)
// the swarm draws, within ranges where RocketMQ's settings are valid:
//
//   knobs     broker and store settings (flush intervals and least pages, commit-log and
//             consume-queue segment sizes, sync flush timeout, HA heartbeat and housekeeping
//             intervals, registration period, long polling on or off), client settings (name
//             server poll, heartbeat and offset-persist intervals, send timeout and retries,
//             pull batch size, consume batch size) and every topic's queue count;
//   topology  name servers, broker groups, each group's role, flush mode and slaves, producer
//             and consumer process counts: only when no fault, placement or requirement of the
//             scenario names a group or a process (such a scenario keeps its topology);
//   faults    the nemesis mix: each line kept or dropped (kinds the scenario requires are kept),
//             its weight scaled, the mean interval and the number of concurrent faults.
//
// A setting the scenario file sets itself is kept. The variant goes through the scenario loader's
// validation again. `drawn` lists what was drawn as "path=value" lines for the run summary; the
// replay line (`--swarm --seed N`) reproduces the same variant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/proto/scenario.pb.h"
#include "sim/base/status.h"

namespace rmqsim::scenarios {

struct SwarmVariant {
  scenario::Scenario scenario;
  std::vector<std::string> drawn;  // "topology.name_servers=1", "broker_conf[...]=...", ...
  bool topology_drawn = false;
};

// `base` is a loaded scenario (defaults filled). The same (base, seed) always gives the same
// variant. An error means the swarm drew something the loader rejects (a bug in the swarm).
StatusOr<SwarmVariant> ApplySwarm(const scenario::Scenario& base, uint64_t seed);

}  // namespace rmqsim::scenarios
