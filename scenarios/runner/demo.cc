#include "scenarios/runner/demo.h"

#include <cinttypes>

#include "scenarios/runner/summary.h"
#include <cstdio>
#include <map>
#include <set>

#include "sim/simulated/world.h"

namespace rmqsim::scenarios {

namespace {
constexpr const char* kServerIp = "10.0.0.1";
constexpr uint16_t kServerPort = 7000;
}  // namespace

DemoResult RunDemo(const DemoOptions& options) {
  sim::WorldConfig wc;
  wc.seed = options.seed;
  wc.buggify = options.buggify;
  wc.trace_to_stderr = options.trace_to_stderr;
  wc.trace_events_kept = 10'000;
  wc.replay_command = options.replay_command;
  // The history lives outside every process: what the clients asked and what they were told.
  // (Declared before the world so that it outlives every process that records into it.)
  struct History {
    uint64_t invoked = 0, acked = 0, unknown = 0;
    std::set<std::string> acked_payloads;
  } history;
  sim::World world(wc);
  MonoTime chaos_end = world.now() + options.chaos;
  uint64_t acked_at_chaos_end = 0;

  auto server_machine = world.AddMachine({.name = "store-1", .ip = kServerIp});
  RMQ_ASSERT(server_machine.ok());
  Address server_addr{kServerIp, kServerPort};
  auto server = world.AddProcess(*server_machine, "echo-server", [&](Runtime& rt) {
    return std::make_unique<demo::EchoServer>(
        rt, demo::EchoServerOptions{.listen = server_addr, .log_path = "echo.log"});
  });
  RMQ_ASSERT(server.ok());
  std::vector<sim::MachineId> machines{*server_machine};
  std::vector<sim::ProcessId> processes{*server};
  for (int i = 1; i <= options.clients; ++i) {
    std::string name = "client-" + std::to_string(i);
    auto m = world.AddMachine({.name = name, .ip = "10.0.1." + std::to_string(i)});
    RMQ_ASSERT(m.ok());
    auto p = world.AddProcess(*m, name, [&, name](Runtime& rt) {
      demo::EchoClientOptions co;
      co.server = server_addr;
      co.name = name;
      co.interval = milliseconds(50);
      co.record = [&history](std::string_view op, const std::string& payload) {
        if (op == "invoke") ++history.invoked;
        if (op == "ok") {
          ++history.acked;
          history.acked_payloads.insert(payload);
        }
        if (op == "fail") ++history.unknown;
      };
      return std::make_unique<demo::EchoClient>(rt, co);
    });
    RMQ_ASSERT(p.ok());
    machines.push_back(*m);
    processes.push_back(*p);
  }
  for (sim::ProcessId p : processes) RMQ_ASSERT(world.StartProcess(p).ok());

  faults::MachineNemesis nemesis(world, {.seed = DeriveSeed(options.seed, "nemesis"),
                                        .start = world.now() + seconds(5),
                                        .stop = chaos_end,
                                        .mean_interval = options.fault_mean_interval,
                                        .machines = machines,
                                        .processes = processes});
  if (options.faults) nemesis.Arm();

  world.RunUntil(chaos_end);
  acked_at_chaos_end = history.acked;
  world.RunUntil(chaos_end + options.quiet);

  DemoResult r;
  r.seed = options.seed;
  r.invoked = history.invoked;
  r.acked = history.acked;
  r.unknown = history.unknown;
  r.acked_during_quiet = history.acked - acked_at_chaos_end;
  r.liveness_ok = r.acked_during_quiet > 0;

  // Durability: stop the clients (so that nothing is acknowledged after the snapshot), pull the
  // plug on the store, boot it, and let the server recover its log.
  for (sim::ProcessId p : processes) {
    if (p != *server) world.KillProcess(p);
  }
  world.PowerOff(*server_machine);
  world.PowerOn(*server_machine);
  RMQ_ASSERT(world.StartProcess(*server).ok());
  world.RunFor(seconds(1));
  auto* es = world.service_as<demo::EchoServer>(*server);
  RMQ_ASSERT_MSG(es != nullptr, "echo server did not come back after the final power cycle");
  std::set<std::string> recovered(es->recovered().begin(), es->recovered().end());
  r.recovered_records = es->recovered().size();
  for (const auto& p : history.acked_payloads) {
    if (!recovered.contains(p)) {
      ++r.lost_acked;
      if (r.lost_examples.size() < 5) r.lost_examples.push_back(p);
    }
  }
  r.durability_ok = r.lost_acked == 0;

  r.digest = world.digest();
  r.events = world.events_processed();
  r.trace_events = world.trace_events_emitted();
  r.simulated = world.now() - MonoTime{};
  r.connections = world.network().connections_opened();
  r.bytes_delivered = world.network().bytes_delivered();
  for (sim::MachineId m : machines) {
    r.fsyncs += world.disk(m).syncs_completed();
    r.torn_writes += world.disk(m).torn_writes();
  }
  for (const auto& ev : world.trace_events()) {
    if (ev.event.name() == "EchoLogSyncFailed") ++r.sync_failures;
  }
  r.fault_history = nemesis.history();
  return r;
}

std::string FormatDemoSummary(const DemoResult& r, const DemoOptions& o) {
  SummaryWriter w;
  w.Line("rmqsim demo  seed=%" PRIu64 "  chaos=%s  quiet=%s  clients=%d  buggify=%s", r.seed,
       FormatDuration(o.chaos).c_str(), FormatDuration(o.quiet).c_str(), o.clients,
       o.buggify ? "on" : "off");
  w.Simulated(r.simulated, r.events, r.trace_events);
  w.Faults(r.fault_history);
  w.Line("  network        %" PRIu64 " connections, %" PRIu64 " bytes delivered", r.connections,
       r.bytes_delivered);
  w.Line("  disk           %" PRIu64 " fsyncs, %" PRIu64 " failed fsyncs recovered, %" PRIu64
       " torn writes",
       r.fsyncs, r.sync_failures, r.torn_writes);
  w.Line("  history        %" PRIu64 " requests: %" PRIu64 " acknowledged, %" PRIu64
       " unknown outcome",
       r.invoked, r.acked, r.unknown);
  w.Line("  check durability  %s: %" PRIu64 " acknowledged, %" PRIu64
       " recovered records after a final power loss, %" PRIu64 " acknowledged lost",
       r.durability_ok ? "PASS" : "FAIL", r.acked, r.recovered_records, r.lost_acked);
  for (const auto& e : r.lost_examples) w.Line("      lost: %s", e.c_str());
  w.Line("  check liveness    %s: %" PRIu64 " acknowledged in the quiet phase",
       r.liveness_ok ? "PASS" : "FAIL", r.acked_during_quiet);
  w.Footer(r.digest, r.ok(), o.replay_command);
  return w.Take();
}

}  // namespace rmqsim::scenarios
