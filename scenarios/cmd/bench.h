// rmqsim bench: whole-run benchmarks of the scenario library. Each row runs a library scenario
// (with --set overrides) in a child process, several times, and reports the median wall time,
// the simulated time, the simulated-to-wall ratio, the events, the events per wall second and the
// child's peak RSS, as a table and as CSV. See docs/performance.md.
#pragma once

#include <string>
#include <vector>

namespace rmqsim::bench {

struct BenchFlags {
  bool quick = false;                 // shorter simulated phases (a smoke run of every row)
  int runs = 3;                       // runs per row; the medians are reported
  int chaos_seeds = 6;                // seeds of the chaos row (each its own process)
  std::string csv;                    // also write the table as CSV here ("-": standard output)
  std::vector<std::string> only;      // row groups: reference, idle, chaos, rate, groups
  std::string library = "scenarios/library";
};

// The row groups, in the order they run.
const std::vector<std::string>& BenchGroups();

// Writes all of `s` to `fd` (a child's result line to its parent), retrying short writes.
void WriteAll(int fd, const std::string& s);

// Runs the benchmark; 0 when every run passed its checks and gave the same digest on every
// repetition, 1 otherwise, 2 on bad flags or unreadable files.
int BenchCommand(const BenchFlags& flags);

}  // namespace rmqsim::bench
