// RapidCheck generators of whole scenarios (scenarios/proto/scenario.proto): a topology (name
// servers, broker groups with their role, flush mode and slaves), a workload (producers and
// clustering consumer groups, push or pull) and a fault schedule (a timeline of role-targeted
// faults). See docs/properties.md.
//
// Generation draws an abstract ScenarioSpec (small integers and indexes); BuildScenario turns it
// into a complete Scenario that a scenario file would give. Faults are drawn independently of the
// topology and bound to it only when the scenario is built (a group index is taken modulo the
// groups drawn, a SLAVE fault moves to a group that has slaves or is dropped), so RapidCheck
// shrinks the topology, the workload, the list of faults and each fault's time, duration and
// kind independently, and every shrunk spec still builds a valid scenario.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/proto/scenario.pb.h"
#include "sim/base/status.h"

namespace rmqsim::property {

// One line of the fault menu: a kind aimed at a role, with its range of durations (seconds).
struct FaultChoice {
  scenario::FaultKind kind = scenario::KILL;
  scenario::Role role = scenario::MASTER;
  int min_s = 1;
  int max_s = 30;
  int weight = 1;
  bool peer_name_server = false;  // PARTITION & co.: the other side is a name server
};

// The default menu: broker kills, power cycles (also right after a SEND_OK), graceful stops,
// name-server kills and cuts, partitions and isolation, registration and heartbeat drops long
// enough to expire routes, client kills, slow disks and clogs. Faults outside what the
// configurations promise to survive (destroyed master disks, disk errors, clock jumps) are left
// out; a property that wants them passes its own menu.
std::vector<FaultChoice> DefaultFaultMenu();

struct GenParams {
  int name_servers_min = 1, name_servers_max = 2;
  int groups_min = 1, groups_max = 3;
  int slaves_max = 2;
  std::vector<scenario::BrokerRole> roles = {scenario::SYNC_MASTER, scenario::ASYNC_MASTER};
  std::vector<scenario::FlushDiskType> flushes = {scenario::SYNC_FLUSH, scenario::ASYNC_FLUSH};
  bool pull_consumers = true;      // groups may be PULL as well as PUSH
  int producers_max = 2;           // producer processes
  int rate_min = 4, rate_max = 12;  // messages per second per producer
  std::vector<FaultChoice> menu = DefaultFaultMenu();
  int faults_max = 4;
  // Phases (scenario duration strings) and the chaos phase in seconds (fault times fall in it).
  std::string warmup = "10s";
  int chaos_s = 200;
  std::string quiet = "45s";
  std::string quiet_max = "90s";
  // The checks block every generated scenario carries (text format of scenario.Checks).
  std::string checks = "delivery {} routes {} liveness {}";
  // A last touch on the built scenario (a broken variant, extra configuration); may be empty.
  std::function<void(scenario::Scenario&)> finish;
  // Planted bugs (sim/base/planted_bugs.h) turned on for every run, as `rmqsim run --plant`.
  std::vector<std::string> planted_bugs;
};

struct FaultSpec {
  int choice = 0;       // index into the menu
  int group = 0;        // broker group (modulo the groups drawn)
  int index = 0;        // name server, or the peer name server (modulo their number)
  int at_s = 0;         // after the chaos phase starts
  int duration_permille = 0;  // 0: the choice's min_s .. 1000: its max_s
};

struct ScenarioSpec {
  int name_servers = 1;
  struct Group {
    int role = 0;   // index into GenParams::roles
    int flush = 0;  // index into GenParams::flushes
    int slaves = 0;
  };
  std::vector<Group> groups;
  int queues = 4;
  int producers = 1;
  int rate = 8;
  bool async_sends = false;
  struct Consumers {
    bool pull = false;
    int consumers = 1;
  };
  std::vector<Consumers> consumer_groups;
  std::vector<FaultSpec> faults;
  uint64_t seed = 1;  // the world's seed (not shrunk: another seed is another run)
};

rc::Gen<ScenarioSpec> GenScenarioSpec(const GenParams& params);

// A fault's duration in seconds for its menu line.
int DurationOf(const FaultSpec& f, const FaultChoice& c);

// How RapidCheck prints the specs of a counterexample.
void showValue(const FaultSpec& f, std::ostream& os);
void showValue(const ScenarioSpec& s, std::ostream& os);

// The complete scenario of a spec, with its defaults filled in and validated exactly as
// `rmqsim run` loads a file (so the file written from it replays the same run). Faults that the
// topology cannot take (a SLAVE fault without slaves) are left out.
StatusOr<scenario::Scenario> BuildScenario(const ScenarioSpec& spec, const GenParams& params);

// One line: "2 ns; broker-a SYNC_MASTER/ASYNC_FLUSH +1, ...; 1x8 msg/s; faults: KILL master
// broker-a at 12s for 20s, ...".
std::string DescribeSpec(const ScenarioSpec& spec, const GenParams& params);

}  // namespace rmqsim::property
