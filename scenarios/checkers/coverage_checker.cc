// The coverage checker: did the run inject what the scenario requires (scenario.Require: kind,
// role, at least N)? Also counts every fault window by kind and role.
#include <cinttypes>
#include <cstdio>
#include <set>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

// Roles as the history names them, in table order.
constexpr std::string_view kRoles[] = {"master", "slave", "name-server", "producer", "consumer"};

// The history roles a scenario.Role stands for (empty: any).
std::vector<std::string_view> RolesOf(scenario::Role role) {
  switch (role) {
    case scenario::MASTER:
      return {"master"};
    case scenario::SLAVE:
      return {"slave"};
    case scenario::BROKER:
      return {"master", "slave"};
    case scenario::NAME_SERVER:
      return {"name-server"};
    case scenario::PRODUCER:
      return {"producer"};
    case scenario::CONSUMER:
      return {"consumer"};
    case scenario::CLIENT:
      return {"producer", "consumer"};
    case scenario::PROXY:
      return {"proxy"};
    default:
      return {};
  }
}

// "master", "broker (master or slave)", "any role".
std::string RoleLabel(scenario::Role role) {
  switch (role) {
    case scenario::BROKER:
      return "broker";
    case scenario::CLIENT:
      return "client";
    case scenario::ROLE_ANY:
      return "any role";
    default:
      return std::string(RolesOf(role).front());
  }
}

class CoverageChecker : public Checker {
 public:
  std::string name() const override { return "coverage"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

CheckResult CoverageChecker::Check(const history::History& h,
                                   const scenario::Checks& settings) const {
  CheckResult r;
  r.checker = name();

  // kind -> role -> windows (a window counts once per role it hit).
  std::map<std::string, std::map<std::string, uint64_t>> table;
  for (const history::FaultWindow& f : h.faults()) {
    std::set<std::string> roles(f.roles().begin(), f.roles().end());
    auto& row = table[f.kind()];
    for (const std::string& role : roles) ++row[role];
    r.metrics["faults." + f.kind() + ".any"] += 1;
  }
  for (const auto& [kind, row] : table) {
    for (const auto& [role, n] : row) r.metrics["faults." + kind + "." + role] = n;
  }
  r.metrics["faults.total"] = h.faults_size();

  // The table as notes: a header, then one line per kind.
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %6s %6s %12s %9s %9s %6s", "kind x role", "master",
                "slave", "name-server", "producer", "consumer", "any");
  AddNote(r, line, 100);
  for (const auto& [kind, by_role] : table) {
    const auto& row = by_role;  // a lambda cannot capture a structured binding in clang 14
    auto n = [&](std::string_view role) -> unsigned long long {
      auto it = row.find(std::string(role));
      return it == row.end() ? 0 : it->second;
    };
    std::snprintf(line, sizeof line, "%-26s %6llu %6llu %12llu %9llu %9llu %6.0f", kind.c_str(),
                  n(kRoles[0]), n(kRoles[1]), n(kRoles[2]), n(kRoles[3]), n(kRoles[4]),
                  r.metrics["faults." + kind + ".any"]);
    AddNote(r, line, 100);
  }

  int met = 0;
  for (const scenario::Require& req : settings.require()) {
    const std::string kind = scenario::FaultKind_Name(req.kind());
    const std::vector<std::string_view> roles = RolesOf(req.role());
    const int at_least = req.at_least() > 0 ? req.at_least() : 1;
    int64_t got = 0;
    for (const history::FaultWindow& f : h.faults()) {
      if (f.kind() != kind) continue;
      bool match = roles.empty();
      for (std::string_view role : roles) match = match || FaultHasRole(f, role);
      if (match) ++got;
    }
    if (got >= at_least) {
      ++met;
      continue;
    }
    AddViolation(r, "required at least " + std::to_string(at_least) + " " + kind + " on " +
                        RoleLabel(req.role()) + ", got " + std::to_string(got));
  }

  char buf[160];
  std::snprintf(buf, sizeof buf, "%d of %d requirements met (%d fault windows)", met,
                settings.require_size(), h.faults_size());
  r.headline = buf;
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeCoverageChecker() {
  return std::make_unique<CoverageChecker>();
}

}  // namespace rmqsim::checkers
