// The replicas checker: after the quiet phase every slave is connected to its master and holds
// exactly the master's log. A diverged slave (4.x: its master lost a tail the slave had, whether
// the slave noticed or the offsets happen to line up) is allowed when a power loss of its master
// explains it (under ASYNC_FLUSH the unflushed tail, under SYNC_FLUSH a put in flight), or when
// the settings allow it.
#include <cinttypes>
#include <cstdio>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

// The first fault that took power (and with it the unflushed tail) from `master`.
const history::FaultWindow* MasterPowerLoss(const history::History& h, const std::string& master) {
  for (const history::FaultWindow& f : h.faults()) {
    const std::string& k = f.kind();
    const bool power = k == "POWER_CYCLE" || k == "POWER_CYCLE_AFTER_SEND" ||
                       k == "SLOW_DISK_THEN_POWER_LOSS" || k == "DESTROY" || k == "DESTROY_GROUP";
    if (power && FaultHitProcess(f, master)) return &f;
  }
  return nullptr;
}

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
    // A diverged slave: flagged by the slave itself (bytes that are not a record, dispatch
    // stuck), or a log that differs from its master's while the offsets line up (4.x does not
    // notice that one either).
    const bool differs = rs.slave_up() && rs.master_up() && rs.first_difference() != -1;
    if (rs.diverged() || differs) {
      ++diverged;
      const history::GroupConfig* g = view.Group(rs.group());
      const history::FaultWindow* power = MasterPowerLoss(h, view.MasterOf(rs.group()));
      std::string line = pair + (rs.diverged() ? " diverged" : " differs from its master") +
                         " (" + offsets + ", first difference at " +
                         std::to_string(rs.first_difference()) + ")";
      if (power != nullptr || settings.replicas().allow_diverged()) {
        ++diverged_allowed;
        AddNote(r, line + ": allowed (" +
                       (power != nullptr
                            ? power->kind() + " of the master at " + FormatTime(power->start_ns()) +
                                  ": it lost a tail its slave had (unflushed under " +
                                  (g == nullptr ? std::string("?") : g->flush()) +
                                  ", or a put in flight), the 4.x diverged slave"
                            : std::string("allow_diverged")) +
                       ")");
      } else {
        AddViolation(r, line + "; expected an identical log: no power loss of the master "
                               "explains it");
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
