// rmqsim bench (see bench.h). cmd/ is the composition root: it may read the real clock and fork.
#include "scenarios/cmd/bench.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "scenarios/runner/scenario_file.h"
#include "scenarios/runner/scenario_runner.h"

namespace rmqsim::bench {
namespace {

namespace sc = rmqsim::scenarios;

// One row of the table: a library file, its seeds (each a process) and overrides.
struct Row {
  std::string group;  // reference, idle, chaos, rate, groups, proxy
  std::string label;
  std::string file;
  std::vector<uint64_t> seeds;
  std::vector<std::string> sets;
  double scale = 0;  // rate rows: msg/s in all; groups rows: broker groups
};

// What one process reported (one seed of one run).
struct Measured {
  bool ran = false;  // the child exited normally with a parseable line
  bool ok = false;   // the scenario's checks passed
  uint64_t digest = 0;
  double wall = 0;        // seconds, RunScenario only (not process start-up)
  double simulated = 0;   // seconds
  uint64_t events = 0;
  double peak_rss_mib = 0;  // of the child process (wait4's ru_maxrss)
};

// One run of a row: the sum over its seeds (RSS: the largest).
struct RunFigures {
  bool ran = true, ok = true;
  std::vector<uint64_t> digests;
  double wall = 0, simulated = 0, peak_rss_mib = 0;
  uint64_t events = 0;
};

// Group letters for added broker groups: broker-b, broker-c, ...
std::vector<std::string> AddGroups(int first_index, int groups) {
  std::vector<std::string> sets;
  for (int i = first_index; i < groups; ++i) {
    std::string p = "topology.broker_groups[" + std::to_string(i) + "].";
    sets.push_back(p + "name=broker-" + std::string(1, static_cast<char>('a' + i)));
    sets.push_back(p + "role=SYNC_MASTER");
    sets.push_back(p + "flush=SYNC_FLUSH");
  }
  return sets;
}

std::vector<Row> Rows(const BenchFlags& f) {
  const std::string lib = f.library + "/";
  const bool q = f.quick;
  std::vector<Row> rows;
  // --quick: the row's chaos phase shortened to `length` (the files' own lengths otherwise).
  auto quick = [&](const char* length) {
    return q ? std::vector<std::string>{std::string("phases.chaos=") + length}
             : std::vector<std::string>{};
  };
  rows.push_back({"reference", q ? "reference 3m" : "reference 1h", lib + "reference.textproto",
                  {1}, quick("3m"), 0});
  rows.push_back({"idle", q ? "idle 2h" : "idle 24h", lib + "idle.textproto", {1}, quick("2h"), 0});
  {
    Row r{"chaos", "", lib + "chaos.textproto", {}, {}, 0};
    int n = q ? std::min(2, f.chaos_seeds) : f.chaos_seeds;
    for (int s = 1; s <= n; ++s) r.seeds.push_back(static_cast<uint64_t>(s));
    r.sets = quick("2m");
    r.label = "chaos " + std::to_string(n) + " seeds";
    rows.push_back(r);
  }
  // Rate: 100..2,000 msg/s in all (2 producers), 2 groups.
  for (int total : {100, 250, 500, 1000, 2000}) {
    Row r{"rate", std::to_string(total) + " msg/s", lib + "scale.textproto", {1}, AddGroups(1, 2),
          static_cast<double>(total)};
    r.sets.insert(r.sets.begin(), "workload.producers[0].rate=" + std::to_string(total / 2));
    for (auto& set : quick("30s")) r.sets.push_back(set);
    rows.push_back(r);
  }
  // Broker groups: 1..8 SYNC_MASTER + slave groups at 1,000 msg/s in all.
  for (int groups : {1, 2, 4, 8}) {
    Row r{"groups", std::to_string(groups) + (groups == 1 ? " group" : " groups"),
          lib + "scale.textproto", {1}, AddGroups(1, groups), static_cast<double>(groups)};
    for (auto& set : quick("30s")) r.sets.push_back(set);
    rows.push_back(r);
  }
  // The proxy's cost: 2 groups at 500 msg/s in all, the producers and the push group straight to
  // the brokers, then both through one proxy (sends, pulls, offsets and heartbeats).
  for (bool proxied : {false, true}) {
    Row r{"proxy", proxied ? "through proxy" : "proxy: direct", lib + "scale.textproto", {1},
          AddGroups(1, 2), 500};
    r.sets.insert(r.sets.begin(), "workload.producers[0].rate=250");
    if (proxied) {
      r.sets.push_back("topology.proxies[0].name=proxy-1");
      r.sets.push_back("workload.producers[0].via_proxy=proxy-1");
      r.sets.push_back("workload.consumer_groups[0].via_proxy=proxy-1");
    }
    for (auto& set : quick("30s")) r.sets.push_back(set);
    rows.push_back(r);
  }
  if (f.only.empty()) return rows;
  std::vector<Row> picked;
  for (const auto& r : rows) {
    if (std::find(f.only.begin(), f.only.end(), r.group) != f.only.end()) picked.push_back(r);
  }
  return picked;
}

// Runs one seed of a row in a child process.
Measured RunChild(const scenario::Scenario& s, uint64_t seed) {
  Measured m;
  int fds[2];
  if (pipe(fds) != 0) return m;
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return m;
  if (pid == 0) {
    close(fds[0]);
    sc::RunOptions o;
    o.seed = seed;
    auto start = std::chrono::steady_clock::now();
    sc::RunResult r = sc::RunScenario(s, o);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char line[256];
    std::snprintf(line, sizeof line, "%d %016" PRIx64 " %.6f %.6f %" PRIu64 "\n", r.ok() ? 1 : 0,
                  r.digest, wall, static_cast<double>(r.simulated.count()) / 1e9, r.events);
    WriteAll(fds[1], line);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) != pid) return m;
  int ok = 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
      std::sscanf(out.c_str(), "%d %" SCNx64 " %lf %lf %" SCNu64, &ok, &m.digest, &m.wall,
                  &m.simulated, &m.events) == 5) {
    m.ran = true;
    m.ok = ok == 1;
  }
  m.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return m;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string FormatDuration(double seconds) {
  auto total = static_cast<long long>(seconds + 0.5);
  long long h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buf[64];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", m, s);
  }
  return buf;
}

std::string CommandLine(const Row& r, uint64_t seed) {
  std::string line = "rmqsim run " + r.file + " --seed " + std::to_string(seed);
  for (const auto& s : r.sets) line += " --set " + s;
  return line;
}

struct Result {
  Row row;
  double simulated = 0, wall = 0, ratio = 0, events_per_s = 0, peak_rss_mib = 0;
  uint64_t events = 0;
  std::string verdict;  // OK, VIOLATION, CRASHED, NONDETERMINISTIC
  std::string note;
};

}  // namespace

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

const std::vector<std::string>& BenchGroups() {
  static const std::vector<std::string> groups = {"reference", "idle",   "chaos",
                                                  "rate",      "groups", "proxy"};
  return groups;
}

int BenchCommand(const BenchFlags& f) {
  for (const auto& g : f.only) {
    if (std::find(BenchGroups().begin(), BenchGroups().end(), g) == BenchGroups().end()) {
      std::fprintf(stderr, "rmqsim bench: --only: unknown row group \"%s\" (known: reference, "
                           "idle, chaos, rate, groups, proxy)\n", g.c_str());
      return 2;
    }
  }
  std::FILE* csv = nullptr;
  if (f.csv == "-") {
    csv = stdout;
  } else if (!f.csv.empty()) {
    csv = std::fopen(f.csv.c_str(), "w");
    if (csv == nullptr) {
      std::fprintf(stderr, "rmqsim bench: cannot write %s\n", f.csv.c_str());
      return 2;
    }
  }
  const std::vector<Row> rows = Rows(f);
  // Load everything first: a bad file stops the benchmark before any run.
  std::vector<scenario::Scenario> scenarios;
  for (const auto& r : rows) {
    auto s = sc::LoadScenarioFile(r.file, r.sets);
    if (!s.ok()) {
      std::fprintf(stderr, "rmqsim bench: %s\n", s.status().message().c_str());
      return 2;
    }
    scenarios.push_back(*std::move(s));
  }
  const bool tty = isatty(fileno(stderr)) != 0;
  std::vector<Result> results;
  int exit_code = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    std::vector<RunFigures> runs;
    for (int run = 0; run < f.runs; ++run) {
      RunFigures fig;
      for (uint64_t seed : row.seeds) {
        if (tty) {
          std::fprintf(stderr, "\r  running %-18s run %d/%d seed %" PRIu64 "   ", row.label.c_str(),
                       run + 1, f.runs, seed);
        }
        Measured m = RunChild(scenarios[i], seed);
        fig.ran = fig.ran && m.ran;
        fig.ok = fig.ok && m.ok;
        fig.digests.push_back(m.digest);
        fig.wall += m.wall;
        fig.simulated += m.simulated;
        fig.events += m.events;
        fig.peak_rss_mib = std::max(fig.peak_rss_mib, m.peak_rss_mib);
      }
      runs.push_back(fig);
    }
    if (tty) std::fprintf(stderr, "\r%60s\r", "");
    Result res;
    res.row = row;
    std::vector<double> walls, rss;
    bool ran = true, ok = true, same = true;
    for (const auto& r : runs) {
      walls.push_back(r.wall);
      rss.push_back(r.peak_rss_mib);
      ran = ran && r.ran;
      ok = ok && r.ok;
      same = same && r.digests == runs.front().digests && r.events == runs.front().events;
    }
    res.wall = Median(walls);
    res.peak_rss_mib = Median(rss);
    res.simulated = runs.front().simulated;
    res.events = runs.front().events;
    res.ratio = res.wall > 0 ? res.simulated / res.wall : 0;
    res.events_per_s = res.wall > 0 ? static_cast<double>(res.events) / res.wall : 0;
    res.verdict = !ran ? "CRASHED" : !same ? "NONDETERMINISTIC" : !ok ? "VIOLATION" : "OK";
    if (res.verdict != "OK") exit_code = 1;
    char note[128] = "";
    if (row.group == "chaos" && res.wall > 0) {
      std::snprintf(note, sizeof note, "%.1f seeds/min/core",
                    60.0 * static_cast<double>(row.seeds.size()) / res.wall);
    } else if ((row.group == "rate" || row.group == "groups") && res.simulated > 0) {
      // Wall seconds per simulated minute: linear in the rate when every message costs the same.
      std::snprintf(note, sizeof note, "%.2f s wall per sim minute", res.wall / res.simulated * 60);
    } else if (row.group == "proxy" && row.label == "through proxy" && !results.empty() &&
               results.back().row.group == "proxy" && results.back().events > 0 &&
               results.back().wall > 0) {
      // Against the direct row just before: what the proxy in the path costs.
      const Result& direct = results.back();
      std::snprintf(note, sizeof note, "events x%.2f, wall x%.2f of direct",
                    static_cast<double>(res.events) / static_cast<double>(direct.events),
                    res.wall / direct.wall);
    }
    res.note = note;
    results.push_back(res);
    if (res.verdict != "OK") {
      std::fprintf(stderr, "rmqsim bench: %s: %s; replay: %s\n", row.label.c_str(),
                   res.verdict.c_str(), CommandLine(row, row.seeds.front()).c_str());
    }
  }

  char when[64];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("rmqsim bench%s  %s  %ld cores  %d run%s per row (medians)\n",
              f.quick ? " --quick" : "", when, sysconf(_SC_NPROCESSORS_ONLN), f.runs,
              f.runs == 1 ? "" : "s");
  std::printf("  %-18s %10s %9s %8s %11s %10s %10s  %-7s %s\n", "workload", "simulated", "wall s",
              "ratio", "events", "events/s", "peak RSS", "result", "note");
  for (const auto& r : results) {
    std::printf("  %-18s %10s %9.2f %7.0fx %11" PRIu64 " %9.2fM %6.0f MiB  %-7s %s\n",
                r.row.label.c_str(), FormatDuration(r.simulated).c_str(), r.wall, r.ratio,
                r.events, r.events_per_s / 1e6, r.peak_rss_mib, r.verdict.c_str(),
                r.note.c_str());
  }
  if (csv != nullptr) {
    std::fprintf(csv, "group,workload,simulated_s,wall_s,ratio,events,events_per_s,peak_rss_mib,"
                      "runs,result,note,command\n");
    for (const auto& r : results) {
      std::fprintf(csv, "%s,%s,%.3f,%.3f,%.1f,%" PRIu64 ",%.0f,%.1f,%d,%s,%s,\"%s%s\"\n",
                   r.row.group.c_str(), r.row.label.c_str(), r.simulated, r.wall, r.ratio,
                   r.events, r.events_per_s, r.peak_rss_mib, f.runs, r.verdict.c_str(),
                   r.note.c_str(), CommandLine(r.row, r.row.seeds.front()).c_str(),
                   r.row.seeds.size() > 1 ? " (and the next seeds)" : "");
    }
    if (csv != stdout) std::fclose(csv);
  }
  return exit_code;
}

}  // namespace rmqsim::bench
