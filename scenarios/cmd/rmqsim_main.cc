// rmqsim: the command line. (cmd/ is the composition root: the only place in scenarios/ that may
// read the real clock, to report simulated-to-wall time ratios, and fork worker processes.)
//
//   rmqsim run FILE [--seed N] [--set path=value]... [--buggify] [--swarm] [--history F] [--trace F]
//              [--text-trace F [--filter S]] [--logs DIR]
//   rmqsim sweep FILES... --seeds 1..500 [--jobs J] [--shard K/N] [--junit F] [--check-determinism]
//                [--buggify] [--swarm]
//   rmqsim replay FILE --seed N [--set ...] [--trace F] [--text-trace F [--filter S]] [--history F]
//   rmqsim shrink FILE --seed N [--set ...]
//   rmqsim list [DIR]
//   rmqsim demo ...
//   rmqsim bench [--quick] [--runs N] [--only GROUP]... [--csv F]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/checkers/checker.h"
#include "scenarios/cmd/bench.h"
#include "scenarios/history/history_export.h"
#include "scenarios/runner/demo.h"
#include "scenarios/runner/scenario_file.h"
#include "scenarios/runner/scenario_runner.h"
#include "scenarios/runner/shrink.h"
#include "scenarios/runner/swarm.h"
#include "sim/base/planted_bugs.h"
#include "sim/runtime/log.h"

namespace {

using rmqsim::Duration;
namespace sc = rmqsim::scenarios;

constexpr int kExitOk = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;

double PeakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double WallSeconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Parses a duration flag or exits with a clear message naming the flag.
Duration DurationFlag(const std::string& flag, const std::string& text) {
  auto d = rmqsim::ParseDuration(text);
  if (!d.ok()) {
    std::fprintf(stderr, "rmqsim: --%s: %s\n", flag.c_str(), d.status().message().c_str());
    std::exit(kExitUsage);
  }
  return *d;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "rmqsim: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

std::string Quote(const std::string& s) {
  if (s.find_first_of(" \t'\"$|&;<>()*?[]{}\\`!#~") == std::string::npos && !s.empty()) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Flags shared by run, replay, sweep and shrink beyond the seed.
struct Variant {
  std::vector<std::string> sets;
  bool buggify = false;
  bool swarm = false;
  std::vector<std::string> plant;  // planted bugs
};

std::string ReplayLine(const std::string& file, uint64_t seed, const Variant& v) {
  std::string line = "rmqsim run " + Quote(file) + " --seed " + std::to_string(seed);
  for (const auto& s : v.sets) line += " --set " + Quote(s);
  if (v.buggify) line += " --buggify";
  if (v.swarm) line += " --swarm";
  for (const auto& p : v.plant) line += " --plant " + p;
  return line;
}

// A planted bug's name (see `rmqsim list`).
const CLI::Validator kPlantValidator(
    [](const std::string& v) {
      if (rmqsim::IsPlantedBug(v)) return std::string();
      std::string known;
      for (const auto& b : rmqsim::PlantedBugs()) known += std::string(known.empty() ? "" : ", ") + b.name;
      return "unknown planted bug \"" + v + "\" (known: " + known + ")";
    },
    "BUG");

// The seed's swarm variant of a scenario (see swarm.h), or exit 2 naming the problem.
sc::SwarmVariant SwarmOrExit(const rmqsim::scenario::Scenario& base, uint64_t seed) {
  auto v = sc::ApplySwarm(base, seed);
  if (!v.ok()) {
    std::fprintf(stderr, "rmqsim: --swarm: %s\n", v.status().message().c_str());
    std::exit(kExitUsage);
  }
  return *std::move(v);
}

// Loads a scenario or exits 2 with the loader's file:line:column errors.
rmqsim::scenario::Scenario LoadOrExit(const std::string& file, const std::vector<std::string>& sets) {
  auto s = sc::LoadScenarioFile(file, sets);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    std::exit(kExitUsage);
  }
  return *s;
}

// "1..500", "7", "1,5,9", "1..10,20": the seeds in order, or an error.
bool ParseSeeds(const std::string& text, std::vector<uint64_t>* out) {
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    auto dots = part.find("..");
    char* end = nullptr;
    if (dots == std::string::npos) {
      uint64_t v = std::strtoull(part.c_str(), &end, 10);
      if (part.empty() || *end != '\0' || part[0] == '-') return false;
      out->push_back(v);
      continue;
    }
    std::string a = part.substr(0, dots), b = part.substr(dots + 2);
    uint64_t lo = std::strtoull(a.c_str(), &end, 10);
    if (a.empty() || *end != '\0' || a[0] == '-') return false;
    uint64_t hi = std::strtoull(b.c_str(), &end, 10);
    if (b.empty() || *end != '\0' || b[0] == '-' || hi < lo || hi - lo > 10'000'000) return false;
    for (uint64_t v = lo; v <= hi; ++v) out->push_back(v);
  }
  return !out->empty();
}

// ------------------------------------------------------------------------------ run / replay

// `--logs DIR`: each process's log lines (sim/runtime/log.h) in DIR/<process>.log, stamped with
// simulated time: "+00:01:02.500 INFO RocketmqBroker - ...".
class LogFiles {
 public:
  explicit LogFiles(const std::string& dir) : dir_(dir) {
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      std::fprintf(stderr, "rmqsim: --logs: cannot create %s: %s\n", dir.c_str(),
                   ec.message().c_str());
      ok_ = false;
    }
  }
  ~LogFiles() {
    for (auto& [node, file] : files_) {
      if (file != nullptr) std::fclose(file);
    }
  }
  LogFiles(const LogFiles&) = delete;
  LogFiles& operator=(const LogFiles&) = delete;
  bool ok() const { return ok_; }

  void Write(const rmqsim::StampedTraceEvent& e) {
    auto text = rmqsim::LogLineText(e.event);
    if (!text.has_value()) return;
    const std::string node = e.node.empty() ? "world" : e.node;
    auto it = files_.find(node);
    if (it == files_.end()) {
      const std::string path = dir_ + "/" + node + ".log";
      std::FILE* file = std::fopen(path.c_str(), "w");
      if (file == nullptr) std::fprintf(stderr, "rmqsim: --logs: cannot write %s\n", path.c_str());
      it = files_.emplace(node, file).first;
    }
    if (it->second == nullptr) return;
    std::fprintf(it->second, "%s %s %s\n", rmqsim::FormatMonoTime(e.time).c_str(),
                 std::string(rmqsim::SeverityName(e.event.severity())).c_str(), text->c_str());
  }

 private:
  std::string dir_;
  bool ok_ = true;
  std::map<std::string, std::FILE*> files_;
};

struct RunFlags {
  std::string file;
  uint64_t seed = 1;
  Variant v;
  bool trace_stderr = false;
  bool digest_only = false;
  std::string history_out;
  std::string trace_out;       // Chrome/Perfetto JSON
  std::string text_trace_out;  // every trace event, one per line
  std::string filter;          // text trace: only lines containing this
  std::string logs_dir;        // one log file per process
  int event_kinds = 0;         // print the N most frequent event kinds
};

int RunCommand(const RunFlags& f) {
  auto scenario = LoadOrExit(f.file, f.v.sets);
  sc::RunOptions o;
  o.planted_bugs = f.v.plant;
  if (f.v.swarm) {
    sc::SwarmVariant v = SwarmOrExit(scenario, f.seed);
    scenario = std::move(v.scenario);
    o.swarm_drawn = std::move(v.drawn);
  }
  o.seed = f.seed;
  o.buggify = f.v.buggify;
  o.trace_to_stderr = f.trace_stderr;
  o.count_event_kinds = f.event_kinds > 0;
  o.replay_command = ReplayLine(f.file, f.seed, f.v);
  std::FILE* text_trace = nullptr;
  if (!f.text_trace_out.empty()) {
    text_trace = std::fopen(f.text_trace_out.c_str(), "w");
    if (text_trace == nullptr) {
      std::fprintf(stderr, "rmqsim: cannot write %s\n", f.text_trace_out.c_str());
      return kExitUsage;
    }
    std::string filter = f.filter;
    o.trace_listener = [text_trace, filter](const std::string& line) {
      if (filter.empty() || line.find(filter) != std::string::npos) {
        std::fputs(line.c_str(), text_trace);
        std::fputc('\n', text_trace);
      }
    };
  }
  LogFiles logs(f.logs_dir);
  if (!f.logs_dir.empty()) {
    if (!logs.ok()) return kExitUsage;
    o.event_listener = [&logs](const rmqsim::StampedTraceEvent& e) { logs.Write(e); };
  }
  auto wall_start = std::chrono::steady_clock::now();
  // A progress line on a terminal once a run has taken 2 s (RMQSIM_PROGRESS=always: every
  // 5 simulated seconds wherever stderr goes; never: none). The run is driven in 5-second
  // pieces, which is the same run as one straight through (ScenarioRun).
  const char* mode = std::getenv("RMQSIM_PROGRESS");
  const std::string progress_mode = mode == nullptr ? "" : mode;
  const bool always = progress_mode == "always";
  const bool progress = always || (progress_mode != "never" && !f.digest_only &&
                                   !f.trace_stderr && isatty(fileno(stderr)) != 0);
  sc::RunResult r;
  if (progress) {
    sc::ScenarioRun run(scenario, o);
    double last_shown = 0;
    bool shown = false;
    while (!run.ended()) {
      run.RunUntil(run.world().now() + rmqsim::seconds(5));
      const double w = WallSeconds(wall_start);
      if (always || (w >= 2.0 && w - last_shown >= 0.5)) {
        std::fprintf(stderr, "%s  %-6s %s simulated (the quiet phase ends at %s), %.2fM events, "
                             "%.1fs wall   ",
                     always ? "" : "\r", run.PhaseName().c_str(),
                     rmqsim::FormatDuration(run.world().now() - rmqsim::MonoTime{}).c_str(),
                     rmqsim::FormatDuration(run.quiet_end() - rmqsim::MonoTime{}).c_str(),
                     static_cast<double>(run.world().events_processed()) / 1e6, w);
        if (always) std::fputc('\n', stderr);
        last_shown = w;
        shown = true;
      }
    }
    if (shown && !always) std::fprintf(stderr, "\r%110s\r", "");
    r = run.Finish();
  } else {
    r = sc::RunScenario(scenario, o);
  }
  double wall = WallSeconds(wall_start);
  if (text_trace != nullptr) std::fclose(text_trace);
  if (!f.history_out.empty() &&
      !WriteFile(f.history_out, sc::HistoryToJsonLines(r.history()))) {
    return kExitUsage;
  }
  if (!f.trace_out.empty() && !WriteFile(f.trace_out, sc::HistoryToChromeTrace(r.history()))) {
    return kExitUsage;
  }
  if (f.digest_only) {
    std::printf("%016" PRIx64 "\n", r.digest);
    return r.ok() ? kExitOk : kExitViolation;
  }
  std::fputs(sc::FormatRunSummary(r, scenario, o).c_str(), stdout);
  double sim_s = static_cast<double>(r.simulated.count()) / 1e9;
  std::printf("  speed          %.2fs wall, %.0fx real time, %.2fM events/s, peak RSS %.1f MiB\n",
              wall, wall > 0 ? sim_s / wall : 0.0,
              wall > 0 ? static_cast<double>(r.events) / wall / 1e6 : 0.0, PeakRssMiB());
  if (f.event_kinds > 0) {
    std::printf("  event kinds    the %d most frequent of %zu:\n", f.event_kinds, r.event_kinds.size());
    for (size_t i = 0; i < r.event_kinds.size() && i < static_cast<size_t>(f.event_kinds); ++i) {
      std::printf("  %12" PRIu64 " %5.1f%%  %s\n", r.event_kinds[i].second,
                  r.events > 0 ? 100.0 * static_cast<double>(r.event_kinds[i].second) /
                                     static_cast<double>(r.events)
                               : 0.0,
                  r.event_kinds[i].first.c_str());
    }
  }
  return r.ok() ? kExitOk : kExitViolation;
}

// ------------------------------------------------------------------------------ sweep

struct SeedOutcome {
  std::string file;
  uint64_t seed = 0;
  bool ok = false;
  bool crashed = false;
  uint64_t digest = 0;
  uint64_t digest2 = 0;  // --check-determinism: the second run
  bool nondeterministic = false;
  double wall = 0;
  double simulated = 0;
  std::string failed_checks;  // "delivery,routes"
  std::string first_violation;
  std::map<std::string, int> coverage;  // "KILL/master" -> fault windows
  std::map<std::string, std::pair<int, uint64_t>> buggify;  // site -> (enabled, firings)
};

// Splits a child's result line at tabs.
std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  if (!out.empty()) {
    while (!out.back().empty() && out.back().back() == '\n') out.back().pop_back();
  }
  return out;
}

// Runs one seed in this (child) process and writes one line to fd.
// The line: ok, digest, wall, simulated, failed checks, fault coverage, BUGGIFY sites, first
// violation (tab-separated; "-" for an empty field).
void RunSeedChild(const rmqsim::scenario::Scenario& base, uint64_t seed, const Variant& v, int fd) {
  sc::RunOptions o;
  o.seed = seed;
  o.buggify = v.buggify;
  o.planted_bugs = v.plant;
  auto start = std::chrono::steady_clock::now();
  rmqsim::scenario::Scenario s = v.swarm ? SwarmOrExit(base, seed).scenario : base;
  sc::RunResult r = sc::RunScenario(s, o);
  std::string failed, first;
  for (const auto& c : r.checks) {
    if (c.verdict != rmqsim::checkers::Verdict::kFail) continue;
    failed += (failed.empty() ? "" : ",") + c.checker;
    if (first.empty()) first = c.violations.empty() ? c.headline : c.violations.front();
  }
  for (char& ch : first) {
    if (ch == '\n' || ch == '\t') ch = ' ';
  }
  std::map<std::string, int> coverage;
  for (const auto& f : r.history().faults()) {
    std::set<std::string> roles(f.roles().begin(), f.roles().end());
    for (const auto& role : roles) ++coverage[f.kind() + "/" + role];
  }
  std::string cov;
  for (const auto& [k, n] : coverage) cov += (cov.empty() ? "" : ",") + k + "=" + std::to_string(n);
  std::string bug;
  for (const auto& [site, st] : r.buggify_sites) {
    bug += (bug.empty() ? "" : ",") + site + "=" + (st.enabled ? "1" : "0") + ":" +
           std::to_string(st.fired);
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d\t%016" PRIx64 "\t%.3f\t%.3f\t", r.ok() ? 1 : 0, r.digest,
                WallSeconds(start), static_cast<double>(r.simulated.count()) / 1e9);
  std::string line = buf + (failed.empty() ? "-" : failed) + "\t" + (cov.empty() ? "-" : cov) +
                     "\t" + (bug.empty() ? "-" : bug) + "\t" + (first.empty() ? "-" : first) + "\n";
  rmqsim::bench::WriteAll(fd, line);
}

struct Job {
  pid_t pid;
  int fd;
  size_t index;  // into outcomes
  int pass;      // 1 or 2 (determinism check)
  std::string out;
};

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct SweepFlags {
  std::vector<std::string> files;
  std::string seeds = "1..10";
  int jobs = 1;
  std::string shard;  // "K/N"
  std::string junit;
  Variant v;
  bool check_determinism = false;
};

int SweepCommand(const SweepFlags& f) {
  std::vector<uint64_t> seeds;
  if (!ParseSeeds(f.seeds, &seeds)) {
    std::fprintf(stderr, "rmqsim: --seeds: \"%s\" is not a seed list such as 1..500 or 1,5,9\n",
                 f.seeds.c_str());
    return kExitUsage;
  }
  int shard_k = 1, shard_n = 1;
  if (!f.shard.empty()) {
    if (std::sscanf(f.shard.c_str(), "%d/%d", &shard_k, &shard_n) != 2 || shard_n < 1 ||
        shard_k < 1 || shard_k > shard_n) {
      std::fprintf(stderr, "rmqsim: --shard: \"%s\" is not K/N with 1 <= K <= N\n", f.shard.c_str());
      return kExitUsage;
    }
  }
  std::vector<rmqsim::scenario::Scenario> scenarios;
  for (const auto& file : f.files) scenarios.push_back(LoadOrExit(file, f.v.sets));
  std::vector<SeedOutcome> outcomes;
  std::vector<size_t> scenario_of;
  size_t k = 0;
  for (size_t i = 0; i < f.files.size(); ++i) {
    for (uint64_t seed : seeds) {
      if (static_cast<int>(k++ % static_cast<size_t>(shard_n)) != shard_k - 1) continue;
      outcomes.push_back({f.files[i], seed});
      scenario_of.push_back(i);
    }
  }
  const bool tty = isatty(fileno(stderr)) != 0;
  const int passes = f.check_determinism ? 2 : 1;
  const size_t total_runs = outcomes.size() * static_cast<size_t>(passes);
  std::vector<std::pair<size_t, int>> queue;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    for (int p = 1; p <= passes; ++p) queue.emplace_back(i, p);
  }
  std::vector<Job> running;
  size_t next = 0, done = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();
  std::fflush(stdout);
  while (done < total_runs) {
    while (next < queue.size() && static_cast<int>(running.size()) < std::max(1, f.jobs)) {
      auto [index, pass] = queue[next++];
      int fds[2];
      if (pipe(fds) != 0) {
        std::perror("rmqsim: pipe");
        return kExitUsage;
      }
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        RunSeedChild(scenarios[scenario_of[index]], outcomes[index].seed, f.v, fds[1]);
        close(fds[1]);
        _exit(0);
      }
      close(fds[1]);
      running.push_back({pid, fds[0], index, pass, ""});
    }
    // Wait for any child, then read its line.
    int status = 0;
    pid_t pid = wait(&status);
    if (pid < 0) break;
    auto it = std::find_if(running.begin(), running.end(), [&](const Job& j) { return j.pid == pid; });
    if (it == running.end()) continue;
    char buf[4096];
    ssize_t n;
    while ((n = read(it->fd, buf, sizeof buf)) > 0) it->out.append(buf, static_cast<size_t>(n));
    close(it->fd);
    SeedOutcome& out = outcomes[it->index];
    int ok = 0;
    char digest[32] = {};
    double wall = 0, sim = 0;
    char failed_checks[1024] = {};
    bool parsed = !it->out.empty() &&
                  std::sscanf(it->out.c_str(), "%d\t%31s\t%lf\t%lf\t%1023[^\t]", &ok, digest, &wall,
                              &sim, failed_checks) == 5;
    if (!parsed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      out.crashed = true;
      out.ok = false;
      out.first_violation = "the run crashed (exit status " + std::to_string(status) + ")";
    } else {
      uint64_t d = std::strtoull(digest, nullptr, 16);
      if (it->pass == 1) {
        out.ok = ok == 1 && !out.crashed;
        out.digest = d;
        out.wall = wall;
        out.simulated = sim;
        out.failed_checks = failed_checks[0] == '-' ? "" : failed_checks;
        const std::vector<std::string> fields = SplitTabs(it->out);
        auto items = [](const std::string& field, auto&& each) {
          std::stringstream list(field == "-" ? "" : field);
          std::string item;
          while (std::getline(list, item, ',')) {
            auto eq = item.find('=');
            if (eq != std::string::npos) each(item.substr(0, eq), item.substr(eq + 1));
          }
        };
        if (fields.size() >= 8) {
          items(fields[5], [&](const std::string& k, const std::string& v) {
            out.coverage[k] += std::stoi(v);
          });
          items(fields[6], [&](const std::string& site, const std::string& v) {
            auto colon = v.find(':');
            out.buggify[site] = {v.substr(0, colon) == "1" ? 1 : 0,
                                 std::stoull(v.substr(colon + 1))};
          });
          out.first_violation = fields[7] == "-" ? "" : fields[7];
        }
      } else {
        out.digest2 = d;
      }
    }
    running.erase(it);
    ++done;
    if (done == total_runs || tty) {
      failed = 0;
      for (const auto& o : outcomes) failed += (!o.ok || o.crashed) ? 1 : 0;
      double elapsed = WallSeconds(start);
      if (tty) {
        std::fprintf(stderr, "\r[%zu/%zu] %zu failed  %.1f runs/min  ", done, total_runs, failed,
                     elapsed > 0 ? static_cast<double>(done) * 60 / elapsed : 0.0);
        std::fflush(stderr);
      }
    }
  }
  if (tty) std::fputc('\n', stderr);
  double elapsed = WallSeconds(start);
  size_t bad = 0, nondet = 0;
  double sim_total = 0;
  for (auto& o : outcomes) {
    if (f.check_determinism && !o.crashed && o.digest != o.digest2) {
      o.nondeterministic = true;
      o.ok = false;
      ++nondet;
    }
    if (!o.ok) ++bad;
    sim_total += o.simulated;
  }
  std::printf("rmqsim sweep  %zu scenario file(s) x %zu seed(s)%s%s: %zu runs in %.1fs wall "
              "(%.1f seeds/min with %d job(s), %.0fx real time per job)\n",
              f.files.size(), seeds.size(), f.shard.empty() ? "" : ", shard ",
              f.shard.c_str(), outcomes.size(), elapsed,
              elapsed > 0 ? static_cast<double>(outcomes.size()) * 60 / elapsed : 0.0, f.jobs,
              elapsed > 0 ? sim_total / elapsed / std::max(1, f.jobs) : 0.0);
  // Fault coverage: which kinds hit which roles, in how many runs.
  std::map<std::string, std::pair<int, int>> coverage;  // kind/role -> (runs, windows)
  for (const auto& o : outcomes) {
    for (const auto& [k, n] : o.coverage) {
      ++coverage[k].first;
      coverage[k].second += n;
    }
  }
  if (!coverage.empty()) {
    std::printf("  fault coverage (kind/role: runs that hit it, fault windows):\n");
    std::string line;
    int col = 0;
    for (const auto& [k, rn] : coverage) {
      char cell[96];
      std::snprintf(cell, sizeof cell, "%s %d/%d", k.c_str(), rn.first, rn.second);
      line += std::string(col == 0 ? "    " : "   ") + cell;
      if (++col == 3) {
        std::printf("%s\n", line.c_str());
        line.clear();
        col = 0;
      }
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
  }
  // BUGGIFY coverage: per site, the runs that enabled it and the runs where it fired.
  std::map<std::string, std::array<uint64_t, 3>> sites;  // site -> runs enabled, runs fired, firings
  for (const auto& o : outcomes) {
    for (const auto& [site, st] : o.buggify) {
      auto& row = sites[site];
      row[0] += st.first ? 1 : 0;
      row[1] += st.second > 0 ? 1 : 0;
      row[2] += st.second;
    }
  }
  if (!sites.empty()) {
    std::printf("  buggify sites (runs enabled / runs fired / firings, of %zu runs):\n",
                outcomes.size());
    for (const auto& [site, row] : sites) {
      std::printf("    %-56s %5" PRIu64 " %5" PRIu64 " %8" PRIu64 "\n", site.c_str(), row[0],
                  row[1], row[2]);
    }
  }
  if (f.check_determinism) {
    std::printf("  determinism    each seed run twice: %zu of %zu digests differ\n", nondet,
                outcomes.size());
  }
  if (bad > 0) {
    std::printf("  failures (%zu):\n", bad);
    std::printf("    %-40s %6s  %-20s %s\n", "scenario", "seed", "checks", "first violation");
    for (const auto& o : outcomes) {
      if (o.ok) continue;
      std::string checks = o.nondeterministic ? "determinism" : o.crashed ? "crash" : o.failed_checks;
      std::printf("    %-40s %6" PRIu64 "  %-20s %s\n", o.file.c_str(), o.seed, checks.c_str(),
                  o.nondeterministic ? "digests differ between two runs" : o.first_violation.c_str());
      std::printf("      replay: %s\n", ReplayLine(o.file, o.seed, f.v).c_str());
    }
  }
  std::printf("%zu passed, %zu failed\n", outcomes.size() - bad, bad);
  if (!f.junit.empty()) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    for (const auto& file : f.files) {
      size_t tests = 0, failures = 0;
      double time = 0;
      for (const auto& o : outcomes) {
        if (o.file != file) continue;
        ++tests;
        failures += o.ok ? 0 : 1;
        time += o.wall;
      }
      char head[512];
      std::snprintf(head, sizeof head,
                    "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
                    XmlEscape(file).c_str(), tests, failures, time);
      xml += head;
      for (const auto& o : outcomes) {
        if (o.file != file) continue;
        char tc[512];
        std::snprintf(tc, sizeof tc, "    <testcase classname=\"%s\" name=\"seed %" PRIu64 "\" time=\"%.3f\"",
                      XmlEscape(file).c_str(), o.seed, o.wall);
        xml += tc;
        if (o.ok) {
          xml += "/>\n";
          continue;
        }
        std::string what = o.nondeterministic ? "digests differ between two runs of the seed"
                                              : o.first_violation;
        xml += ">\n      <failure message=\"" + XmlEscape(what) + "\">" +
               XmlEscape("checks: " + (o.nondeterministic ? std::string("determinism") : o.failed_checks) +
                         "\nreplay: " + ReplayLine(o.file, o.seed, f.v)) +
               "</failure>\n    </testcase>\n";
      }
      xml += "  </testsuite>\n";
    }
    xml += "</testsuites>\n";
    if (!WriteFile(f.junit, xml)) return kExitUsage;
  }
  return bad == 0 ? kExitOk : kExitViolation;
}

// ------------------------------------------------------------------------------ shrink

int ShrinkCommand(const std::string& file, uint64_t seed, const Variant& v) {
  auto scenario = LoadOrExit(file, v.sets);
  if (v.swarm) scenario = SwarmOrExit(scenario, seed).scenario;
  sc::ShrinkOptions o;
  o.seed = seed;
  o.buggify = v.buggify;
  o.planted_bugs = v.plant;
  o.log = [](const std::string& line) { std::fprintf(stderr, "shrink: %s\n", line.c_str()); };
  auto r = sc::Shrink(scenario, o);
  if (!r.ok()) {
    std::fprintf(stderr, "rmqsim shrink: %s\n", r.status().message().c_str());
    return r.status().code() == rmqsim::StatusCode::kFailedPrecondition ? kExitOk : kExitUsage;
  }
  // The shrunk file carries every override and the swarm draw: only the flags remain.
  Variant rest;
  rest.buggify = v.buggify;
  rest.plant = v.plant;
  std::printf("# Shrunk from %s%s, seed %" PRIu64 ": %d fault(s) -> %d; checker %s still fails.\n"
              "# Replay: %s\n",
              file.c_str(), v.swarm ? " (its swarm variant)" : "", seed, r->faults_before,
              r->faults_after, r->checker.c_str(), ReplayLine("<this file>", seed, rest).c_str());
  std::fputs(sc::ScenarioToText(r->scenario).c_str(), stdout);
  return kExitViolation;
}

// ------------------------------------------------------------------------------ list

int ListCommand(const std::string& dir) {
  std::printf("scenario files in %s:\n", dir.c_str());
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".textproto") files.push_back(e.path());
  }
  if (ec) {
    std::fprintf(stderr, "rmqsim list: %s: %s\n", dir.c_str(), ec.message().c_str());
    return kExitUsage;
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    auto s = sc::LoadScenarioFile(p.string());
    if (!s.ok()) {
      std::printf("  %-36s INVALID: %s\n", p.filename().c_str(), s.status().message().c_str());
      continue;
    }
    std::string d = s->description();
    if (d.size() > 90) d = d.substr(0, 87) + "...";
    std::printf("  %-36s %s\n", p.filename().c_str(), d.c_str());
  }
  std::printf("workloads:");
  for (const auto& w : sc::WorkloadNames()) std::printf(" %s", w.c_str());
  std::printf("\ncheckers:");
  for (const auto& c : rmqsim::checkers::CheckerNames()) std::printf(" %s", c.c_str());
  std::printf("\nplanted bugs (off unless --plant NAME):\n");
  for (const auto& b : rmqsim::PlantedBugs()) std::printf("  %-28s %s\n", b.name, b.description);
  std::printf("fault kinds:");
  const auto* kinds = rmqsim::scenario::FaultKind_descriptor();
  for (int i = 1; i < kinds->value_count(); ++i) std::printf(" %s", kinds->value(i)->name().c_str());
  std::printf("\n");
  return kExitOk;
}

// ------------------------------------------------------------------------------ demo

int RunDemoCommand(rmqsim::scenarios::DemoOptions o, const std::string& chaos,
                   const std::string& quiet, bool digest_only) {
  o.chaos = DurationFlag("chaos", chaos);
  o.quiet = DurationFlag("quiet", quiet);
  if (o.chaos == rmqsim::Duration::zero() && o.quiet == rmqsim::Duration::zero()) {
    // As for a scenario's phases: a run with neither has nothing to check.
    std::fprintf(stderr, "rmqsim demo: --chaos and --quiet cannot both be zero\n");
    return kExitUsage;
  }
  o.replay_command = "rmqsim demo --seed " + std::to_string(o.seed) + " --chaos " + chaos +
                     " --quiet " + quiet + " --clients " + std::to_string(o.clients) +
                     (o.faults ? "" : " --no-faults") + (o.buggify ? " --buggify" : "");
  auto wall_start = std::chrono::steady_clock::now();
  auto r = rmqsim::scenarios::RunDemo(o);
  double wall = WallSeconds(wall_start);
  if (digest_only) {
    std::printf("%016" PRIx64 "\n", r.digest);
    return r.ok() ? kExitOk : kExitViolation;
  }
  std::fputs(rmqsim::scenarios::FormatDemoSummary(r, o).c_str(), stdout);
  double sim_s = static_cast<double>(r.simulated.count()) / 1e9;
  std::printf("  speed          %.2fs wall, %.0fx real time, %.2fM events/s, peak RSS %.1f MiB\n",
              wall, wall > 0 ? sim_s / wall : 0.0,
              wall > 0 ? static_cast<double>(r.events) / wall / 1e6 : 0.0, PeakRssMiB());
  return r.ok() ? kExitOk : kExitViolation;
}

// A seed is a non-negative integer (CLI11 would wrap "-1" to 2^64 - 1).
const CLI::Validator kSeedValidator(
    [](const std::string& v) {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
        return std::string("a seed is a non-negative integer, got \"") + v + "\"";
      }
      return std::string();
    },
    "SEED");

void AddRunFlags(CLI::App* c, RunFlags& f) {
  c->add_option("--seed", f.seed, "World seed (the same seed gives the same run)")
      ->check(kSeedValidator);
  c->add_option("--set", f.v.sets, "Override a scenario field: path=value (repeatable), e.g. "
                                 "phases.chaos=10m, topology.broker_groups[0].flush=ASYNC_FLUSH");
  c->add_flag("--buggify", f.v.buggify, "Enable BUGGIFY sites");
  c->add_option("--plant", f.v.plant, "Turn a planted bug on (repeatable; see rmqsim list)")
      ->check(kPlantValidator);
  c->add_flag("--swarm", f.v.swarm,
              "Run the seed's swarm variant: knobs, topology sizes and fault mix drawn from the seed");
  c->add_option("--history", f.history_out, "Write the history as JSON lines to this file");
  c->add_option("--trace", f.trace_out,
                "Write a Chrome/Perfetto trace-event JSON of the run to this file");
  auto* text = c->add_option("--text-trace", f.text_trace_out,
                             "Write every trace event (one line each) to this file");
  c->add_option("--filter", f.filter, "Text trace: keep only lines containing this text")
      ->needs(text);
  c->add_option("--logs", f.logs_dir,
                "Write each process's log lines (INFO and up) to DIR/<process>.log, stamped with "
                "simulated time");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rmqsim: deterministic simulation and testing for Apache RocketMQ clusters"};
  app.require_subcommand(1);

  RunFlags run;
  auto* r = app.add_subcommand("run", "Run a scenario file with one seed and print its summary");
  r->add_option("file", run.file, "Scenario file (Protobuf text format)")->required();
  AddRunFlags(r, run);
  r->add_flag("--digest-only", run.digest_only, "Print only the trace digest");
  r->add_flag("--trace-stderr", run.trace_stderr, "Print every trace event to stderr");
  r->add_option("--event-kinds", run.event_kinds,
                "After the summary, print the N most frequent event kinds (profiling)")
      ->check(CLI::Range(1, 100000));

  RunFlags replay;
  auto* rp = app.add_subcommand("replay", "Re-run one seed of a scenario with traces to files");
  rp->add_option("file", replay.file, "Scenario file")->required();
  AddRunFlags(rp, replay);

  SweepFlags sweep;
  auto* sw = app.add_subcommand("sweep", "Run scenario files over many seeds");
  sw->add_option("files", sweep.files, "Scenario files")->required();
  sw->add_option("--seeds", sweep.seeds, "Seeds: 1..500, 7, 1,5,9 (default 1..10)");
  sw->add_option("--jobs", sweep.jobs, "Runs in parallel (processes)")->check(CLI::Range(1, 256));
  sw->add_option("--shard", sweep.shard, "Run only shard K of N (K/N) of the file x seed runs");
  sw->add_option("--junit", sweep.junit, "Write JUnit XML to this file");
  sw->add_option("--set", sweep.v.sets, "Override a scenario field in every file (repeatable)");
  sw->add_flag("--buggify", sweep.v.buggify, "Enable BUGGIFY sites");
  sw->add_option("--plant", sweep.v.plant, "Turn a planted bug on (repeatable; see rmqsim list)")
      ->check(kPlantValidator);
  sw->add_flag("--swarm", sweep.v.swarm, "Each seed runs its own swarm variant of each file");
  sw->add_flag("--check-determinism", sweep.check_determinism,
               "Run every seed twice (separate processes) and compare the digests");

  std::string shrink_file;
  uint64_t shrink_seed = 1;
  Variant shrink_v;
  auto* sh = app.add_subcommand(
      "shrink", "Shrink a failing seed's fault plan to a minimal scripted timeline");
  sh->add_option("file", shrink_file, "Scenario file")->required();
  sh->add_option("--seed", shrink_seed, "The failing seed")
      ->required()
      ->check(kSeedValidator);
  sh->add_option("--set", shrink_v.sets, "Override a scenario field (repeatable)");
  sh->add_flag("--buggify", shrink_v.buggify, "Enable BUGGIFY sites");
  sh->add_option("--plant", shrink_v.plant, "Turn a planted bug on (repeatable; see rmqsim list)")
      ->check(kPlantValidator);
  sh->add_flag("--swarm", shrink_v.swarm,
               "Shrink the seed's swarm variant (the printed scenario is that variant)");

  std::string list_dir = "scenarios/library";
  auto* ls = app.add_subcommand("list", "List the scenario library, workloads, checkers, faults");
  ls->add_option("dir", list_dir, "Directory of scenario files (default scenarios/library)");

  rmqsim::scenarios::DemoOptions demo;
  std::string chaos = "1h", quiet = "2m";
  bool no_faults = false, digest_only = false;
  auto* d = app.add_subcommand(
      "demo", "Run the simulated world under a random nemesis with the durable echo workload");
  d->add_option("--seed", demo.seed, "World seed (the same seed gives the same run)")
      ->check(kSeedValidator);
  d->add_option("--chaos", chaos, "Length of the fault phase (e.g. 10m, 1h)");
  d->add_option("--quiet", quiet, "Length of the healed phase that checks liveness");
  d->add_option("--clients", demo.clients, "Number of client machines")->check(CLI::Range(1, 64));
  d->add_flag("--no-faults", no_faults, "Run without the nemesis");
  d->add_flag("--buggify", demo.buggify, "Enable BUGGIFY sites");
  d->add_flag("--trace", demo.trace_to_stderr, "Print every trace event to stderr");
  d->add_flag("--digest-only", digest_only, "Print only the trace digest");

  rmqsim::bench::BenchFlags bench;
  auto* b = app.add_subcommand(
      "bench", "Benchmark whole runs of library scenarios: ratio, events/s, peak RSS (a table)");
  b->add_flag("--quick", bench.quick, "Short simulated phases: a smoke run of every row");
  b->add_option("--runs", bench.runs, "Runs per row; medians are reported (default 3)")
      ->check(CLI::Range(1, 100));
  b->add_option("--chaos-seeds", bench.chaos_seeds, "Seeds of the chaos row (default 6)")
      ->check(CLI::Range(1, 1000));
  b->add_option("--only", bench.only,
                "Only these row groups: reference, idle, chaos, rate, groups, proxy")
      ->check(CLI::IsMember(rmqsim::bench::BenchGroups()));
  b->add_option("--csv", bench.csv, "Also write the table as CSV to this file (- for stdout)");
  b->add_option("--library", bench.library, "Directory of the scenario library");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (r->parsed()) return RunCommand(run);
  if (rp->parsed()) return RunCommand(replay);
  if (sw->parsed()) return SweepCommand(sweep);
  if (sh->parsed()) return ShrinkCommand(shrink_file, shrink_seed, shrink_v);
  if (ls->parsed()) return ListCommand(list_dir);
  if (b->parsed()) return rmqsim::bench::BenchCommand(bench);
  if (d->parsed()) {
    demo.faults = !no_faults;
    return RunDemoCommand(demo, chaos, quiet, digest_only);
  }
  return kExitUsage;
}
