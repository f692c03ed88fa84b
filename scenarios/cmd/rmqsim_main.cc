// rmqsim: the command line. (cmd/ is the composition root: the only place in scenarios/ that may
// read the real clock, to report simulated-to-wall time ratios.)
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "scenarios/runner/cluster.h"
#include "scenarios/runner/demo.h"

namespace {

using rmqsim::Duration;

// Parses a duration flag or exits with a clear message naming the flag.
Duration DurationFlag(const std::string& flag, const std::string& text) {
  auto d = rmqsim::ParseDuration(text);
  if (!d.ok()) {
    std::fprintf(stderr, "rmqsim: --%s: %s\n", flag.c_str(), d.status().message().c_str());
    std::exit(2);
  }
  return *d;
}

double PeakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// Runs a scenario, prints its summary (or only its digest) and the speed, and returns the exit
// status: 0 when every check passed, 1 on a violation.
template <typename Run, typename Format>
int RunAndReport(Run run, Format format, bool digest_only) {
  auto wall_start = std::chrono::steady_clock::now();
  auto r = run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (digest_only) {
    std::printf("%016" PRIx64 "\n", r.digest);
    return r.ok() ? 0 : 1;
  }
  std::fputs(format(r).c_str(), stdout);
  double sim_s = static_cast<double>(r.simulated.count()) / 1e9;
  std::printf("  speed          %.2fs wall, %.0fx real time, %.2fM events/s, peak RSS %.1f MiB\n",
              wall, wall > 0 ? sim_s / wall : 0.0,
              wall > 0 ? static_cast<double>(r.events) / wall / 1e6 : 0.0, PeakRssMiB());
  return r.ok() ? 0 : 1;
}

int RunDemoCommand(rmqsim::scenarios::DemoOptions o, const std::string& chaos,
                   const std::string& quiet, bool digest_only) {
  o.chaos = DurationFlag("chaos", chaos);
  o.quiet = DurationFlag("quiet", quiet);
  o.replay_command = "rmqsim demo --seed " + std::to_string(o.seed) + " --chaos " + chaos +
                     " --quiet " + quiet + " --clients " + std::to_string(o.clients) +
                     (o.faults ? "" : " --no-faults") + (o.buggify ? " --buggify" : "");
  return RunAndReport([&] { return rmqsim::scenarios::RunDemo(o); },
                      [&](const auto& r) { return rmqsim::scenarios::FormatDemoSummary(r, o); },
                      digest_only);
}

int RunClusterCommand(rmqsim::scenarios::ClusterOptions o, const std::string& chaos,
                      const std::string& quiet, bool digest_only) {
  o.chaos = DurationFlag("chaos", chaos);
  o.quiet = DurationFlag("quiet", quiet);
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", o.rate_per_producer);
  o.replay_command = "rmqsim cluster --seed " + std::to_string(o.seed) + " --chaos " + chaos +
                     " --quiet " + quiet + " --brokers " + std::to_string(o.brokers) +
                     " --producers " + std::to_string(o.producers) + " --rate " + rate +
                     " --consumers " + std::to_string(o.consumers) +
                     " --slaves " + std::to_string(o.slaves) +
                     (o.sync_master ? "" : " --async-master") +
                     (o.slave_read_enable ? " --slave-read" : "") +
                     (o.sync_flush ? "" : " --async-flush") + (o.faults ? "" : " --no-faults") +
                     (o.buggify ? " --buggify" : "");
  return RunAndReport([&] { return rmqsim::scenarios::RunCluster(o); },
                      [&](const auto& r) { return rmqsim::scenarios::FormatClusterSummary(r, o); },
                      digest_only);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rmqsim: deterministic simulation and testing for Apache RocketMQ clusters"};
  app.require_subcommand(1);

  rmqsim::scenarios::DemoOptions demo;
  std::string chaos = "1h", quiet = "2m";
  bool no_faults = false, digest_only = false;
  auto* d = app.add_subcommand(
      "demo", "Run the simulated world under a random nemesis with the durable echo workload");
  d->add_option("--seed", demo.seed, "World seed (the same seed gives the same run)");
  d->add_option("--chaos", chaos, "Length of the fault phase (e.g. 10m, 1h)");
  d->add_option("--quiet", quiet, "Length of the healed phase that checks liveness");
  d->add_option("--clients", demo.clients, "Number of client machines")->check(CLI::Range(1, 64));
  d->add_flag("--no-faults", no_faults, "Run without the nemesis");
  d->add_flag("--buggify", demo.buggify, "Enable BUGGIFY sites");
  d->add_flag("--trace", demo.trace_to_stderr, "Print every trace event to stderr");
  d->add_flag("--digest-only", digest_only, "Print only the trace digest");

  rmqsim::scenarios::ClusterOptions cluster;
  std::string cchaos = "30m", cquiet = "3m";
  bool cno_faults = false, casync = false, cdigest_only = false;
  auto* c = app.add_subcommand(
      "cluster", "Run a simulated RocketMQ cluster under the random nemesis and check delivery");
  c->add_option("--seed", cluster.seed, "World seed (the same seed gives the same run)");
  c->add_option("--chaos", cchaos, "Length of the fault phase (e.g. 10m, 1h)");
  c->add_option("--quiet", cquiet, "Length of the healed phase (consumers must catch up)");
  c->add_option("--namesrvs", cluster.namesrvs, "Name servers")->check(CLI::Range(1, 8));
  c->add_option("--brokers", cluster.brokers, "Broker groups (masters)")->check(CLI::Range(1, 16));
  c->add_option("--producers", cluster.producers, "Producer processes")->check(CLI::Range(1, 64));
  c->add_option("--rate", cluster.rate_per_producer, "Messages per second per producer")
      ->check(CLI::Range(0.01, 100000.0));
  c->add_option("--consumers", cluster.consumers, "Push consumers in the group")
      ->check(CLI::Range(1, 64));
  c->add_option("--slaves", cluster.slaves, "Slaves per broker group")->check(CLI::Range(0, 4));
  bool casync_master = false;
  c->add_flag("--async-master", casync_master,
              "Masters are ASYNC_MASTER (default SYNC_MASTER: a send waits for a slave)");
  c->add_flag("--slave-read", cluster.slave_read_enable, "Brokers run with slaveReadEnable=true");
  c->add_flag("--async-flush", casync, "Brokers use ASYNC_FLUSH (power loss may lose messages)");
  c->add_flag("--no-faults", cno_faults, "Run without the nemesis");
  c->add_flag("--buggify", cluster.buggify, "Enable BUGGIFY sites");
  c->add_flag("--trace", cluster.trace_to_stderr, "Print every trace event to stderr");
  c->add_flag("--digest-only", cdigest_only, "Print only the trace digest");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (c->parsed()) {
    cluster.faults = !cno_faults;
    cluster.sync_flush = !casync;
    cluster.sync_master = !casync_master;
    return RunClusterCommand(cluster, cchaos, cquiet, cdigest_only);
  }
  if (d->parsed()) {
    demo.faults = !no_faults;
    return RunDemoCommand(demo, chaos, quiet, digest_only);
  }
  return 2;
}
