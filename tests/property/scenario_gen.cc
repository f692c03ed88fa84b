#include "tests/property/scenario_gen.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <sstream>

#include "scenarios/runner/scenario_file.h"

namespace rmqsim::property {

using scenario::FaultKind;
using scenario::Role;

std::vector<FaultChoice> DefaultFaultMenu() {
  return {
      {.kind = scenario::KILL, .role = scenario::MASTER, .min_s = 1, .max_s = 40, .weight = 3},
      {.kind = scenario::KILL, .role = scenario::SLAVE, .min_s = 1, .max_s = 40, .weight = 1},
      {.kind = scenario::POWER_CYCLE, .role = scenario::MASTER, .min_s = 1, .max_s = 40,
       .weight = 2},
      {.kind = scenario::POWER_CYCLE, .role = scenario::SLAVE, .min_s = 1, .max_s = 40,
       .weight = 1},
      {.kind = scenario::POWER_CYCLE_AFTER_SEND, .role = scenario::MASTER, .min_s = 1,
       .max_s = 30, .weight = 1},
      {.kind = scenario::STOP, .role = scenario::BROKER, .min_s = 1, .max_s = 30, .weight = 1},
      {.kind = scenario::KILL, .role = scenario::NAME_SERVER, .min_s = 1, .max_s = 60,
       .weight = 1},
      {.kind = scenario::CUT_NAME_SERVER, .role = scenario::NAME_SERVER, .min_s = 5,
       .max_s = 180, .weight = 1},
      {.kind = scenario::PARTITION, .role = scenario::MASTER, .min_s = 5, .max_s = 180,
       .weight = 1, .peer_name_server = true},
      {.kind = scenario::ISOLATE, .role = scenario::BROKER, .min_s = 5, .max_s = 180,
       .weight = 1},
      {.kind = scenario::DROP_REGISTRATIONS, .role = scenario::BROKER, .min_s = 90,
       .max_s = 200, .weight = 2},
      {.kind = scenario::DROP_CLIENT_HEARTBEATS, .role = scenario::CONSUMER, .min_s = 10,
       .max_s = 150, .weight = 1},
      {.kind = scenario::KILL, .role = scenario::CONSUMER, .min_s = 1, .max_s = 30, .weight = 1},
      {.kind = scenario::KILL, .role = scenario::PRODUCER, .min_s = 1, .max_s = 30, .weight = 1},
      {.kind = scenario::SLOW_DISK, .role = scenario::BROKER, .min_s = 1, .max_s = 30,
       .weight = 1},
      {.kind = scenario::CLOG, .role = scenario::BROKER, .min_s = 1, .max_s = 30, .weight = 1},
  };
}

namespace {

std::string GroupName(int i) { return std::string("broker-") + static_cast<char>('a' + i); }
std::string Secs(int s) { return std::to_string(s) + "s"; }

// A fault index into the menu, weighted; shrinks towards the first lines.
rc::Gen<int> GenChoice(const std::vector<FaultChoice>& menu) {
  std::vector<int> lines;  // each index repeated by its weight
  for (size_t i = 0; i < menu.size(); ++i) {
    for (int w = 0; w < menu[i].weight; ++w) lines.push_back(static_cast<int>(i));
  }
  if (lines.empty()) lines.push_back(0);
  return rc::gen::elementOf(lines);
}

rc::Gen<FaultSpec> GenFault(const GenParams& p) {
  return rc::gen::build<FaultSpec>(
      rc::gen::set(&FaultSpec::choice, GenChoice(p.menu)),
      rc::gen::set(&FaultSpec::group, rc::gen::inRange(0, 3)),
      rc::gen::set(&FaultSpec::index, rc::gen::inRange(0, 2)),
      rc::gen::set(&FaultSpec::at_s, rc::gen::inRange(0, std::max(p.chaos_s, 1))),
      rc::gen::set(&FaultSpec::duration_permille, rc::gen::inRange(0, 1001)));
}

// A vector of min..max elements (max >= 1). Its length is drawn by rc::gen::container at size
// `max`; the elements' generators ignore the size.
template <typename T>
rc::Gen<std::vector<T>> Between(int min, int max, rc::Gen<T> element) {
  auto g = rc::gen::resize(std::max(max, 1), rc::gen::container<std::vector<T>>(element));
  if (min <= 0) return g;
  return rc::gen::suchThat(g, [min](const std::vector<T>& v) {
    return static_cast<int>(v.size()) >= min;
  });
}

}  // namespace

rc::Gen<ScenarioSpec> GenScenarioSpec(const GenParams& p) {
  using Group = ScenarioSpec::Group;
  using Consumers = ScenarioSpec::Consumers;
  const int nroles = static_cast<int>(p.roles.size());
  const int nflushes = static_cast<int>(p.flushes.size());
  auto group = rc::gen::build<Group>(rc::gen::set(&Group::role, rc::gen::inRange(0, nroles)),
                                     rc::gen::set(&Group::flush, rc::gen::inRange(0, nflushes)),
                                     rc::gen::set(&Group::slaves, rc::gen::inRange(0, p.slaves_max + 1)));
  auto consumers = rc::gen::build<Consumers>(
      rc::gen::set(&Consumers::pull, p.pull_consumers ? rc::gen::arbitrary<bool>() : rc::gen::just(false)),
      rc::gen::set(&Consumers::consumers, rc::gen::inRange(1, 3)));
  return rc::gen::build<ScenarioSpec>(
      rc::gen::set(&ScenarioSpec::name_servers,
                   rc::gen::inRange(p.name_servers_min, p.name_servers_max + 1)),
      // Containers whose length is drawn by the container itself (not through mapcat), so that
      // shrinking removes elements instead of drawing new ones.
      rc::gen::set(&ScenarioSpec::groups, Between<Group>(p.groups_min, p.groups_max, group)),
      rc::gen::set(&ScenarioSpec::queues, rc::gen::inRange(2, 5)),
      rc::gen::set(&ScenarioSpec::producers, rc::gen::inRange(1, p.producers_max + 1)),
      rc::gen::set(&ScenarioSpec::rate, rc::gen::inRange(p.rate_min, p.rate_max + 1)),
      rc::gen::set(&ScenarioSpec::async_sends, rc::gen::arbitrary<bool>()),
      rc::gen::set(&ScenarioSpec::consumer_groups, Between<Consumers>(1, 2, consumers)),
      rc::gen::set(&ScenarioSpec::faults, Between<FaultSpec>(0, p.faults_max, GenFault(p))),
      rc::gen::set(&ScenarioSpec::seed,
                   rc::gen::noShrink(rc::gen::inRange<uint64_t>(1, 1'000'000'000))));
}

int DurationOf(const FaultSpec& f, const FaultChoice& c) {
  const int permille = std::clamp(f.duration_permille, 0, 1000);
  return c.min_s + (c.max_s - c.min_s) * permille / 1000;
}

void showValue(const FaultSpec& f, std::ostream& os) {
  os << "{choice " << f.choice << ", group " << f.group << ", index " << f.index << ", at "
     << f.at_s << "s, duration " << f.duration_permille << "/1000}";
}

void showValue(const ScenarioSpec& s, std::ostream& os) {
  os << "{ns " << s.name_servers << ", groups [";
  for (const auto& g : s.groups) os << "(role " << g.role << " flush " << g.flush << " slaves " << g.slaves << ")";
  os << "], queues " << s.queues << ", producers " << s.producers << " x " << s.rate
     << (s.async_sends ? " ASYNC" : " SYNC") << ", consumer groups [";
  for (const auto& c : s.consumer_groups) os << (c.pull ? "(pull " : "(push ") << c.consumers << ")";
  os << "], faults [";
  for (const auto& f : s.faults) showValue(f, os);
  os << "], seed " << s.seed << "}";
}

namespace {

scenario::BrokerRole RoleOf(const ScenarioSpec& spec, const GenParams& p, int g) {
  return p.roles[static_cast<size_t>(spec.groups[static_cast<size_t>(g)].role) % p.roles.size()];
}
int SlavesOf(const ScenarioSpec& spec, const GenParams& p, int g) {
  const int drawn = spec.groups[static_cast<size_t>(g)].slaves;
  return RoleOf(spec, p, g) == scenario::SYNC_MASTER ? std::max(drawn, 1) : drawn;
}

// The fault as a timeline entry for this topology; false when it cannot be placed.
bool PlaceFault(const FaultSpec& f, const ScenarioSpec& spec, const GenParams& p,
                scenario::ScriptedFault* out) {
  if (f.choice < 0 || f.choice >= static_cast<int>(p.menu.size())) return false;
  const FaultChoice& c = p.menu[static_cast<size_t>(f.choice)];
  const int ngroups = static_cast<int>(spec.groups.size());
  if (ngroups == 0) return false;
  out->set_kind(c.kind);
  out->set_at(Secs(std::clamp(f.at_s, 0, std::max(p.chaos_s - 1, 0))));
  out->set_duration(Secs(DurationOf(f, c)));
  scenario::Target* t = out->mutable_target();
  t->set_role(c.role);
  int g = f.group % ngroups;
  switch (c.role) {
    case scenario::SLAVE: {
      int tries = 0;
      while (SlavesOf(spec, p, g) == 0 && tries++ < ngroups) g = (g + 1) % ngroups;
      if (SlavesOf(spec, p, g) == 0) return false;
      t->set_group(GroupName(g));
      break;
    }
    case scenario::MASTER:
    case scenario::BROKER:
      t->set_group(GroupName(g));
      break;
    case scenario::NAME_SERVER:
      t->set_role(scenario::ROLE_ANY);
      t->set_name("namesrv-" + std::to_string(f.index % spec.name_servers + 1));
      break;
    default:
      break;  // clients: one of the role's processes, picked with the run's seed
  }
  if (c.peer_name_server) {
    out->mutable_peer()->set_name("namesrv-" + std::to_string(f.index % spec.name_servers + 1));
  }
  return true;
}

}  // namespace

StatusOr<scenario::Scenario> BuildScenario(const ScenarioSpec& spec, const GenParams& p) {
  scenario::Scenario s;
  s.set_name("property");
  s.set_description("Generated by tests/property (see docs/properties.md).");
  auto* topo = s.mutable_topology();
  topo->set_name_servers(spec.name_servers);
  for (size_t i = 0; i < spec.groups.size(); ++i) {
    const auto& g = spec.groups[i];
    auto* bg = topo->add_broker_groups();
    bg->set_name(GroupName(static_cast<int>(i)));
    bg->set_role(p.roles[static_cast<size_t>(g.role) % p.roles.size()]);
    bg->set_flush(p.flushes[static_cast<size_t>(g.flush) % p.flushes.size()]);
    // A SYNC_MASTER without a slave answers SLAVE_NOT_AVAILABLE to every send (never SEND_OK):
    // such a group has at least one slave.
    bg->set_slaves(bg->role() == scenario::SYNC_MASTER ? std::max(g.slaves, 1) : g.slaves);
  }
  auto* w = s.mutable_workload();
  auto* topic = w->add_topics();
  topic->set_name("PropTopic");
  topic->set_queues(spec.queues);
  auto* prod = w->add_producers();
  prod->set_name("producer");
  prod->set_count(spec.producers);
  prod->set_rate(spec.rate);
  prod->set_mode(spec.async_sends ? scenario::ASYNC : scenario::SYNC);
  for (size_t i = 0; i < spec.consumer_groups.size(); ++i) {
    const auto& c = spec.consumer_groups[i];
    auto* cg = w->add_consumer_groups();
    cg->set_group("prop_cg" + std::to_string(i + 1));
    cg->set_kind(c.pull ? scenario::PULL : scenario::PUSH);
    cg->set_consumers(c.consumers);
  }
  for (const FaultSpec& f : spec.faults) {
    scenario::ScriptedFault sf;
    if (PlaceFault(f, spec, p, &sf)) *s.mutable_faults()->add_timeline() = sf;
  }
  s.mutable_faults()->mutable_nemesis()->set_enabled(false);
  auto* ph = s.mutable_phases();
  ph->set_warmup(p.warmup);
  ph->set_chaos(Secs(p.chaos_s));
  ph->set_quiet(p.quiet);
  ph->set_quiet_max(p.quiet_max);
  if (!google::protobuf::TextFormat::ParseFromString(p.checks, s.mutable_checks())) {
    return InvalidArgumentError("GenParams::checks is not a Checks message: " + p.checks);
  }
  if (p.finish) p.finish(s);
  // Exactly what `rmqsim run FILE` would load from the file written for this scenario.
  return scenarios::ParseScenario(scenarios::ScenarioToText(s), "generated scenario");
}

std::string DescribeSpec(const ScenarioSpec& spec, const GenParams& p) {
  std::ostringstream os;
  os << spec.name_servers << " ns;";
  for (size_t i = 0; i < spec.groups.size(); ++i) {
    const auto& g = spec.groups[i];
    os << (i ? ", " : " ") << GroupName(static_cast<int>(i)) << " "
       << scenario::BrokerRole_Name(p.roles[static_cast<size_t>(g.role) % p.roles.size()]) << "/"
       << scenario::FlushDiskType_Name(p.flushes[static_cast<size_t>(g.flush) % p.flushes.size()])
       << " +" << SlavesOf(spec, p, static_cast<int>(i));
  }
  os << "; " << spec.producers << "x" << spec.rate << " msg/s " << (spec.async_sends ? "ASYNC" : "SYNC")
     << ", " << spec.queues << " queues; groups:";
  for (const auto& c : spec.consumer_groups) os << " " << (c.pull ? "pull" : "push") << "x" << c.consumers;
  os << "; faults:";
  if (spec.faults.empty()) os << " none";
  for (const FaultSpec& f : spec.faults) {
    scenario::ScriptedFault sf;
    if (!PlaceFault(f, spec, p, &sf)) {
      os << " (unplaceable)";
      continue;
    }
    os << " " << scenario::FaultKind_Name(sf.kind()) << " "
       << (sf.target().name().empty() ? scenario::Role_Name(sf.target().role()) : sf.target().name())
       << (sf.target().group().empty() ? "" : " " + sf.target().group()) << " at " << sf.at()
       << " for " << sf.duration() << ";";
  }
  os << " seed " << spec.seed;
  return os.str();
}

}  // namespace rmqsim::property
