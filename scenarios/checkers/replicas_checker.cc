// The replicas checker: after the quiet phase every slave is connected to its master and holds
// exactly the master's log. A diverged slave (4.x: its master lost a tail the slave had) is
// allowed under ASYNC_FLUSH or when the settings allow it.
#include <cinttypes>
#include <cstdio>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

class ReplicasChecker : public Checker {
 public:
  std::string name() const override { return "replicas"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

CheckResult ReplicasChecker::Check(const history::History& h,
                                   const scenario::Checks& settings) const {
  CheckResult r;
  r.checker = name();
  if (h.replicas_size() == 0) {
    r.verdict = Verdict::kSkipped;
    r.headline = "no replica pairs in the history";
    return r;
  }
  const ClusterView view(h.config());
  uint64_t in_sync = 0, diverged = 0, diverged_allowed = 0, broken = 0;
  for (const history::ReplicaState& rs : h.replicas()) {
    const std::string pair =
        "slave " + rs.slave() + " of " + view.MasterOf(rs.group()) + " (group " + rs.group() + ")";
    const std::string offsets = "master max offset " + std::to_string(rs.master_max_offset()) +
                                ", slave max offset " + std::to_string(rs.slave_max_offset());
    if (rs.diverged()) {
      ++diverged;
      const history::GroupConfig* g = view.Group(rs.group());
      const bool async_flush = g != nullptr && g->flush() == "ASYNC_FLUSH";
      std::string line = pair + " diverged (" + offsets + ", first difference at " +
                         std::to_string(rs.first_difference()) + ")";
      if (settings.replicas().allow_diverged() || async_flush) {
        ++diverged_allowed;
        AddNote(r, line + ": allowed (" +
                       (async_flush ? std::string("ASYNC_FLUSH: the master can lose a tail its "
                                                  "slave has, as in 4.x")
                                    : std::string("allow_diverged")) +
                       ")");
      } else {
        AddViolation(r, line + "; expected an identical log under " +
                            (g == nullptr ? std::string("this configuration") : g->flush()));
      }
      continue;
    }
    if (!rs.slave_up() || !rs.master_up()) {
      ++broken;
      AddViolation(r, pair + ": " + (rs.master_up() ? "the slave" : "the master") +
                          (rs.master_up() || rs.slave_up() ? " is" : " and the slave are") +
                          " down at the end (expected both up after the quiet phase)");
      continue;
    }
    if (!rs.connected()) {
      ++broken;
      AddViolation(r, pair + " is not connected to its master at the end while both are up (" +
                          offsets + ")");
      continue;
    }
    if (rs.first_difference() != -1) {
      ++broken;
      AddViolation(r, pair + " differs from its master's log at offset " +
                          std::to_string(rs.first_difference()) + " (" + offsets +
                          "; expected no difference)");
      continue;
    }
    if (rs.slave_max_offset() != rs.master_max_offset()) {
      ++broken;
      AddViolation(r, pair + " has not caught up: " + offsets + " (expected equal)");
      continue;
    }
    ++in_sync;
  }
  r.metrics["replicas"] = static_cast<double>(h.replicas_size());
  r.metrics["in_sync"] = static_cast<double>(in_sync);
  r.metrics["diverged"] = static_cast<double>(diverged);
  r.metrics["diverged_allowed"] = static_cast<double>(diverged_allowed);
  r.metrics["broken"] = static_cast<double>(broken);
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "%" PRIu64 " of %d slaves in sync, %" PRIu64 " diverged (%" PRIu64
                " allowed), %" PRIu64 " disconnected, down or different",
                in_sync, h.replicas_size(), diverged, diverged_allowed, broken);
  r.headline = buf;
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeReplicasChecker() {
  return std::make_unique<ReplicasChecker>();
}

}  // namespace rmqsim::checkers
