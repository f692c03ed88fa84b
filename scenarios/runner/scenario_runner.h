// The scenario runner: builds the cluster a scenario describes on a simulated world, composes
// its workloads, fault plan (random nemesis and scripted timeline) and checkers, runs the phases
// (bring-up, warm-up, chaos, quiet, drain) and returns the history with the checkers' verdicts.
//
//   bring-up   name servers and brokers start; topics are created on every master; clients start
//   warm-up    traffic without faults
//   chaos      the fault plan runs; at its end every fault is healed and every process restarted
//   quiet      traffic goes on, healed (liveness is judged here)
//   drain      producers stop; the run ends when every consumer group has caught up and every
//              slave equals its master, or at quiet_max after the chaos phase
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faults/cluster_map.h"
#include "faults/fault_injector.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/history/history_recorder.h"
#include "scenarios/proto/history.pb.h"
#include "scenarios/proto/scenario.pb.h"
#include "sim/simulated/world.h"

namespace rmqsim::scenarios {

struct RunOptions {
  uint64_t seed = 1;
  bool buggify = false;          // or'ed with the scenario's own
  bool trace_to_stderr = false;
  std::string replay_command;    // printed with failures and assertion failures
  // What a swarm draw chose for this run ("path=value" lines, see swarm.h), for the summary.
  std::vector<std::string> swarm_drawn;
  // Planted bugs to turn on for this run (sim/base/planted_bugs.h); names must be known.
  std::vector<std::string> planted_bugs;
  // Receives every trace event as one formatted line (text traces).
  std::function<void(const std::string&)> trace_listener;
  // Receives every trace event as recorded (per-process log files, exporters).
  std::function<void(const StampedTraceEvent&)> event_listener;
  // Count the dispatched events by kind (RunResult::event_kinds; costs a map lookup per event).
  bool count_event_kinds = false;
  // Called once the world is built, before anything starts (tests, trace exporters).
  std::function<void(sim::World&, const faults::ClusterMap&)> on_world;
};

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  uint64_t digest = 0;
  uint64_t events = 0;
  // BUGGIFY sites reached in this run: site ("system/store/commit_log.cc:123") -> (enabled,
  // firings). Empty when BUGGIFY is off.
  struct BuggifySite {
    bool enabled = false;
    uint64_t fired = 0;
  };
  std::map<std::string, BuggifySite> buggify_sites;
  uint64_t trace_events = 0;
  // With RunOptions::count_event_kinds: (event kind, events), largest first.
  std::vector<std::pair<std::string, uint64_t>> event_kinds;
  Duration simulated{0};
  bool converged = false;  // the drain phase ended with every group caught up
  // The recorded history (on the recorder's arena, which the pointer keeps alive).
  std::shared_ptr<const history::History> history_ptr;
  const history::History& history() const;
  std::vector<checkers::CheckResult> checks;
  bool ok() const;
};

// Everything a workload needs to put its processes into the cluster.
struct RunContext {
  sim::World& world;
  faults::ClusterMap& map;
  HistoryRecorder& recorder;
  const scenario::Scenario& scenario;
  std::string namesrv_list;  // "ip:port;ip:port"
  std::map<std::string, std::string> proxy_addrs;  // proxy name -> "ip:port"
  // The machine a process runs on (placement, or a machine of its own); created on demand.
  std::function<sim::MachineId(const std::string& process)> machine_for;
};

// A workload: adds its processes (Setup), starts them (Start), stops producing for the drain
// phase (Drain), reports figures (Metrics).
class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  virtual void Setup(RunContext& ctx) = 0;
  virtual void Start(RunContext& ctx) = 0;
  virtual void Drain(RunContext& ctx) {}
  virtual void Metrics(std::map<std::string, double>& out) const {}
};

// The workload registry: each workload kind of a scenario file by name ("producers",
// "push-consumers"), in the order they are set up.
std::vector<std::string> WorkloadNames();
std::vector<std::unique_ptr<Workload>> MakeWorkloads(const scenario::Scenario& s);

// One run of a scenario that its caller drives (the Python API, tests): the constructor builds
// the cluster and runs the bring-up; RunUntil / Step advance the world, and carry out the
// phases' milestones as they are reached (at the end of the chaos phase every fault is healed,
// at the end of the quiet phase the producers stop, then the drain waits for the groups to catch
// up); Finish runs to the end and returns the result with the checkers' verdicts. Running a
// scenario in pieces gives the same run, event for event, as RunScenario.
class ScenarioRun {
 public:
  enum class Phase { kChaos, kQuiet, kDraining, kSettling, kEnded, kFinished };

  ScenarioRun(const scenario::Scenario& s, const RunOptions& options);
  ~ScenarioRun();
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  // Runs every event up to `target` (milestones included). Nothing runs once the run has ended.
  void RunUntil(MonoTime target);
  // Runs until `pred()` holds, checking it first and then every `check_every` of simulated time,
  // or until `deadline` or the end of the run. Returns whether it held.
  bool RunUntil(const std::function<bool()>& pred, Duration check_every, MonoTime deadline);
  // One event, or the next milestone when it comes first. False once the run has ended.
  bool Step();
  void RunToEnd();
  // Runs to the end, runs the checkers once, hands the history over. Callable again (the same
  // result).
  RunResult Finish();

  Phase phase() const;
  // "warmup", "chaos", "quiet", "drain", "settle", "ended", "finished".
  std::string PhaseName() const;
  bool ended() const;
  MonoTime chaos_start() const;
  MonoTime chaos_end() const;
  MonoTime quiet_end() const;

  sim::World& world();
  const sim::World& world() const;
  const faults::ClusterMap& map() const;
  faults::FaultInjector& injector();
  const history::History& history() const;  // as recorded so far
  const scenario::Scenario& scenario() const;
  const RunOptions& options() const;

 private:
  struct State;
  MonoTime NextMilestone() const;
  void Milestone();
  void CheckConvergence();
  void EndSample();
  std::unique_ptr<State> state_;
};

// Runs a loaded scenario (see scenario_file.h) with one seed.
RunResult RunScenario(const scenario::Scenario& s, const RunOptions& options);

// "system/store/commit_log.cc:120" from the compiler's file name of a BUGGIFY site.
std::string ShortSiteName(std::string_view site);

// The readable summary (ends with the digest, the result and, on a violation, the replay line).
std::string FormatRunSummary(const RunResult& r, const scenario::Scenario& s,
                             const RunOptions& options);

}  // namespace rmqsim::scenarios
