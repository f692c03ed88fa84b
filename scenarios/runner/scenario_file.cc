#include "scenarios/runner/scenario_file.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>  // lint-allow: reads the scenario file before any world exists
#include <set>
#include <sstream>

#include "faults/random_nemesis.h"
#include "faults/timeline.h"
#include "scenarios/runner/process_names.h"
#include "scenarios/workloads/client_settings.h"
#include "system/broker/broker_config.h"
#include "system/client/client_config.h"
#include "system/store/message_store_config.h"

namespace rmqsim::scenarios {

namespace pb = google::protobuf;
using scenario::Scenario;

namespace {

// Collects the parser's errors as "file:line:column: message" (1-based, as editors count).
class ErrorCollector final : public pb::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::string origin) : origin_(std::move(origin)) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    errors_.push_back(origin_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
                      ": " + message);
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    AddError(line, column, message);
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string origin_;
  std::vector<std::string> errors_;
};

bool IsDurationField(const std::string& name) {
  static const std::set<std::string> kNames = {
      "at",       "duration",     "warmup",       "chaos",         "quiet",
      "quiet_max", "mean_interval", "min_duration", "max_duration", "slow_duration",
      "expiry",   "scan",         "register_interval", "tolerance", "request_timeout",
      "invisible_time", "poll_time"};
  return kNames.contains(name);
}

// Walks the parsed message with the parse tree beside it, so every complaint names the line
// and column of the field it is about (or of the closest enclosing field that was written).
class Validator {
 public:
  Validator(std::string origin, std::vector<std::string>* errors)
      : origin_(std::move(origin)), errors_(errors) {}

  void Walk(const pb::Message& m, const pb::TextFormat::ParseInfoTree* tree,
            const std::string& path, pb::TextFormat::ParseLocation where) {
    const pb::Reflection* r = m.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const pb::FieldDescriptor* f : fields) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const int index = f->is_repeated() ? i : -1;
        pb::TextFormat::ParseLocation loc = where;
        if (tree != nullptr) {
          auto l = tree->GetLocation(f, index);
          if (l.line >= 0) loc = l;
        }
        std::string p = path.empty() ? f->name() : path + "." + f->name();
        if (f->is_repeated() && !f->is_map()) p += "[" + std::to_string(i) + "]";
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          const pb::Message& sub =
              f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
          if (f->is_map()) continue;  // checked by the caller with its semantics
          const pb::TextFormat::ParseInfoTree* st =
              tree == nullptr ? nullptr : tree->GetTreeForNested(f, index);
          Walk(sub, st, p, loc);
          continue;
        }
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING && IsDurationField(f->name())) {
          std::string v = f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
          if (v.empty()) continue;
          auto d = ParseDuration(v);
          if (!d.ok()) {
            Error(loc, p, "bad duration \"" + v + "\": " + d.status().message());
          } else if (d->count() < 0) {
            Error(loc, p, "duration must not be negative");
          }
        }
        locations_[p] = loc;
      }
    }
  }

  void Error(pb::TextFormat::ParseLocation loc, const std::string& field, const std::string& msg) {
    std::string at = origin_;
    if (loc.line >= 0) at += ":" + std::to_string(loc.line + 1) + ":" + std::to_string(loc.column + 1);
    errors_->push_back(at + ": " + field + ": " + msg);
  }
  // The location of `path` if it was written, else of its closest written parent.
  pb::TextFormat::ParseLocation Where(std::string path) const {
    while (true) {
      auto it = locations_.find(path);
      if (it != locations_.end()) return it->second;
      auto dot = path.find_last_of('.');
      if (dot == std::string::npos) return {};
      path.resize(dot);
    }
  }
  void Error(const std::string& field, const std::string& msg) { Error(Where(field), field, msg); }

  // Record locations of message-valued fields too (Walk stores leaves only).
  void Remember(const std::string& path, pb::TextFormat::ParseLocation loc) { locations_[path] = loc; }

 private:
  std::string origin_;
  std::vector<std::string>* errors_;
  std::map<std::string, pb::TextFormat::ParseLocation> locations_;
};

// Records where every message field starts, so that errors about a message name its line.
void RememberMessages(Validator& v, const pb::Message& m, const pb::TextFormat::ParseInfoTree* tree,
                      const std::string& path) {
  if (tree == nullptr) return;
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const int index = f->is_repeated() ? i : -1;
      std::string p = path.empty() ? f->name() : path + "." + f->name();
      if (f->is_repeated() && !f->is_map()) p += "[" + std::to_string(i) + "]";
      auto loc = tree->GetLocation(f, index);
      if (loc.line >= 0) v.Remember(p, loc);
      if (f->is_map()) {
        // Map entries: remember "field[key]".
        const pb::Message& entry = r->GetRepeatedMessage(m, f, i);
        const pb::FieldDescriptor* kf = entry.GetDescriptor()->FindFieldByName("key");
        std::string key = entry.GetReflection()->GetString(entry, kf);
        if (loc.line >= 0) v.Remember(path.empty() ? f->name() + "[" + key + "]"
                                                   : path + "." + f->name() + "[" + key + "]", loc);
        continue;
      }
      const pb::Message& sub =
          f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      RememberMessages(v, sub, tree->GetTreeForNested(f, index), p);
    }
  }
}

void CheckBrokerConf(Validator& v, const std::string& path,
                     const google::protobuf::Map<std::string, std::string>& conf) {
  for (const auto& [key, value] : std::map<std::string, std::string>(conf.begin(), conf.end())) {
    broker::BrokerConfig b;
    store::MessageStoreConfig s;
    Status st = b.SetByName(key, value);
    if (st.code() == StatusCode::kNotFound) st = s.SetByName(key, value);
    if (st.ok()) st = b.Validate();
    if (st.ok()) st = s.Validate();
    if (!st.ok()) v.Error(path + "[" + key + "]", st.code() == StatusCode::kNotFound
                                                      ? "unknown broker.conf key"
                                                      : st.message());
  }
}

void CheckClientConf(Validator& v, const std::string& path,
                     const google::protobuf::Map<std::string, std::string>& conf,
                     ClientRole role) {
  for (const auto& [key, value] : std::map<std::string, std::string>(conf.begin(), conf.end())) {
    ClientSettings cs;
    Status st = ApplyClientSetting(cs, role, key, value);
    if (!st.ok()) v.Error(path + "[" + key + "]", st.message());
  }
}

void CheckSemantics(const Scenario& s, Validator& v) {
  const auto& t = s.topology();
  if (t.name_servers() < 1 || t.name_servers() > 8) {
    v.Error("topology.name_servers", "must be 1..8");
  }
  if (t.broker_groups_size() > 16) v.Error("topology.broker_groups", "at most 16 groups");
  std::set<std::string> names;
  for (int i = 0; i < t.broker_groups_size(); ++i) {
    const auto& g = t.broker_groups(i);
    std::string p = "topology.broker_groups[" + std::to_string(i) + "]";
    if (!names.insert(g.name()).second) v.Error(p + ".name", "duplicate group \"" + g.name() + "\"");
    if (g.slaves() < 0 || g.slaves() > 4) v.Error(p + ".slaves", "must be 0..4");
    CheckBrokerConf(v, p + ".conf", g.conf());
  }
  CheckBrokerConf(v, "topology.broker_conf", t.broker_conf());
  if (t.disk_mib() != 0 && (t.disk_mib() < 16 || t.disk_mib() > 1024 * 1024)) {
    v.Error("topology.disk_mib", "must be 16..1048576 MiB (0: the default, 64 GiB)");
  }
  CheckClientConf(v, "topology.client_conf", t.client_conf(), ClientRole::kAny);
  const auto& w = s.workload();
  std::set<std::string> topics;
  for (int i = 0; i < w.topics_size(); ++i) {
    std::string p = "workload.topics[" + std::to_string(i) + "]";
    if (w.topics(i).name().empty()) v.Error(p + ".name", "a topic needs a name");
    if (!topics.insert(w.topics(i).name()).second) v.Error(p + ".name", "duplicate topic");
    if (w.topics(i).queues() < 1 || w.topics(i).queues() > 64) v.Error(p + ".queues", "must be 1..64");
  }
  std::set<std::string> proxies;
  for (int i = 0; i < t.proxies_size(); ++i) {
    std::string p = "topology.proxies[" + std::to_string(i) + "]";
    if (!proxies.insert(t.proxies(i).name()).second) v.Error(p + ".name", "duplicate proxy");
  }
  std::set<std::string> process_names;
  for (int i = 0; i < w.producers_size(); ++i) {
    const auto& pr = w.producers(i);
    std::string p = "workload.producers[" + std::to_string(i) + "]";
    if (!topics.contains(pr.topic())) v.Error(p + ".topic", "unknown topic \"" + pr.topic() + "\"");
    if (pr.count() < 1 || pr.count() > 64) v.Error(p + ".count", "must be 1..64");
    if (!(pr.rate() > 0) || pr.rate() > 100000) v.Error(p + ".rate", "must be in (0, 100000]");
    if (pr.batch_size() < 1 || pr.batch_size() > 256) v.Error(p + ".batch_size", "must be 1..256");
    if (pr.body_min() < 1 || pr.body_max() < pr.body_min() || pr.body_max() > 4 * 1024 * 1024) {
      v.Error(p + ".body_min", "need 1 <= body_min <= body_max <= 4 MiB");
    }
    if (pr.max_in_flight() < 1) v.Error(p + ".max_in_flight", "must be positive");
    if (!pr.via_proxy().empty() && !proxies.contains(pr.via_proxy())) {
      v.Error(p + ".via_proxy", "no proxy named \"" + pr.via_proxy() + "\" in topology.proxies");
    }
    if (!process_names.insert(pr.name()).second) v.Error(p + ".name", "duplicate name");
    CheckClientConf(v, p + ".conf", pr.conf(), ClientRole::kProducer);
  }
  std::set<std::string> groups;
  for (int i = 0; i < w.consumer_groups_size(); ++i) {
    const auto& cg = w.consumer_groups(i);
    std::string p = "workload.consumer_groups[" + std::to_string(i) + "]";
    if (!groups.insert(cg.group()).second) v.Error(p + ".group", "duplicate group");
    if (!topics.contains(cg.topic())) v.Error(p + ".topic", "unknown topic \"" + cg.topic() + "\"");
    if (cg.consumers() < 1 || cg.consumers() > 64) v.Error(p + ".consumers", "must be 1..64");
    if (cg.failure_rate() < 0 || cg.failure_rate() > 1) v.Error(p + ".failure_rate", "must be 0..1");
    if (cg.slow_rate() < 0 || cg.slow_rate() > 1) v.Error(p + ".slow_rate", "must be 0..1");
    if (cg.max_reconsume_times() < 0 || cg.max_reconsume_times() > 64) {
      v.Error(p + ".max_reconsume_times", "must be 0..64");
    }
    if (cg.kind() == scenario::PULL && cg.model() == scenario::BROADCASTING) {
      v.Error(p + ".model", "PULL consumers here are clustering only");
    }
    if (cg.kind() == scenario::PULL && (cg.failure_rate() > 0 || cg.slow_rate() > 0)) {
      v.Error(p + ".failure_rate", "PULL consumers have no retry path: failures and slowness "
                                   "are for PUSH consumers");
    }
    if (cg.kind() == scenario::POP && cg.model() == scenario::BROADCASTING) {
      v.Error(p + ".model", "POP consumers are clustering only");
    }
    if (cg.kind() == scenario::POP && cg.slow_rate() > 0) {
      v.Error(p + ".slow_rate", "POP consumers here are never slow");
    }
    if (!cg.via_proxy().empty()) {
      if (!proxies.contains(cg.via_proxy())) {
        v.Error(p + ".via_proxy", "no proxy named \"" + cg.via_proxy() + "\" in topology.proxies");
      }
    }
    if (!cg.invisible_time().empty() && cg.kind() != scenario::POP) {
      v.Error(p + ".invisible_time", "only POP consumers have an invisible time");
    }
    if (!cg.poll_time().empty() && cg.kind() != scenario::POP) {
      v.Error(p + ".poll_time", "only POP consumers have a poll time");
    }
    CheckClientConf(v, p + ".conf", cg.conf(), ClientRole::kConsumer);
  }
  const auto& nem = s.faults().nemesis();
  if (nem.max_concurrent() < 1) v.Error("faults.nemesis.max_concurrent", "must be positive");
  for (int i = 0; i < nem.kinds_size(); ++i) {
    std::string p = "faults.nemesis.kinds[" + std::to_string(i) + "]";
    if (nem.kinds(i).kind() == scenario::FAULT_KIND_UNSPECIFIED) v.Error(p + ".kind", "missing");
    if (nem.kinds(i).weight() < 0) v.Error(p + ".weight", "must not be negative");
  }
  for (int i = 0; i < s.faults().timeline_size(); ++i) {
    std::string p = "faults.timeline[" + std::to_string(i) + "]";
    if (s.faults().timeline(i).kind() == scenario::FAULT_KIND_UNSPECIFIED) {
      v.Error(p + ".kind", "missing");
    }
    if (s.faults().timeline(i).at().empty()) v.Error(p + ".at", "missing");
  }
  // Fault targets resolve against the scenario's processes.
  const faults::ClusterMap map = DescribeCluster(s);
  for (int i = 0; i < s.faults().timeline_size(); ++i) {
    if (s.faults().timeline(i).kind() == scenario::FAULT_KIND_UNSPECIFIED) continue;
    Status st = faults::ValidateFault(map, s.faults().timeline(i));
    if (!st.ok()) v.Error("faults.timeline[" + std::to_string(i) + "]", st.message());
  }
  if (Status st = faults::ValidateNemesis(map, s.faults().nemesis()); !st.ok()) {
    v.Error("faults.nemesis", st.message());
  }
  if (DurationOr(s.phases().chaos(), {}) <= Duration::zero() &&
      DurationOr(s.phases().quiet(), {}) <= Duration::zero()) {
    v.Error("phases", "chaos and quiet cannot both be zero");
  }
  if (DurationOr(s.phases().quiet_max(), {}) < DurationOr(s.phases().quiet(), {})) {
    v.Error("phases.quiet_max", "must be at least quiet");
  }
}

template <typename T>
void DefaultIfZero(T& field_value, T fallback) {
  if (field_value == T{}) field_value = fallback;
}

}  // namespace

faults::ClusterMap DescribeCluster(const Scenario& s) {
  faults::ClusterMap map;
  for (int i = 1; i <= s.topology().name_servers(); ++i) {
    map.processes.push_back({NamesrvName(i), {}, {}, faults::Role::kNameServer, "", -1, {}});
  }
  for (const auto& g : s.topology().broker_groups()) {
    for (int id = 0; id <= g.slaves(); ++id) {
      map.processes.push_back({BrokerName(g.name(), id), {}, {},
                               id == 0 ? faults::Role::kMaster : faults::Role::kSlave, g.name(),
                               id, {}});
    }
  }
  for (const auto& p : s.topology().proxies()) {
    map.processes.push_back({p.name(), {}, {}, faults::Role::kProxy, "", -1, {}});
  }
  for (const auto& p : s.workload().producers()) {
    for (int i = 1; i <= p.count(); ++i) {
      map.processes.push_back({ProducerName(p, i), {}, {}, faults::Role::kProducer, "", -1, {}});
    }
  }
  for (const auto& g : s.workload().consumer_groups()) {
    for (int i = 1; i <= g.consumers(); ++i) {
      map.processes.push_back(
          {ConsumerName(g, i), {}, {}, faults::Role::kConsumer, g.group(), -1, {}});
    }
  }
  return map;
}

Duration DurationOr(const std::string& text, Duration fallback) {
  if (text.empty()) return fallback;
  auto d = ParseDuration(text);
  return d.ok() ? *d : fallback;
}

void FillDefaults(Scenario& s) {
  auto* t = s.mutable_topology();
  if (t->name_servers() == 0) t->set_name_servers(2);
  if (t->broker_groups_size() == 0) {
    t->add_broker_groups();
    t->add_broker_groups();
  }
  for (int i = 0; i < t->broker_groups_size(); ++i) {
    auto* g = t->mutable_broker_groups(i);
    if (g->name().empty()) g->set_name(std::string("broker-") + static_cast<char>('a' + i));
    if (g->role() == scenario::BROKER_ROLE_DEFAULT) g->set_role(scenario::SYNC_MASTER);
    if (g->flush() == scenario::FLUSH_DEFAULT) g->set_flush(scenario::SYNC_FLUSH);
    if (!g->has_slaves()) g->set_slaves(1);
  }
  for (int i = 0; i < t->proxies_size(); ++i) {
    auto* px = t->mutable_proxies(i);
    if (px->name().empty()) px->set_name("proxy-" + std::to_string(i + 1));
    if (px->request_timeout().empty()) px->set_request_timeout("10s");
  }
  auto* w = s.mutable_workload();
  if (w->topics_size() == 0) w->add_topics()->set_name("ChaosTopic");
  for (auto& topic : *w->mutable_topics()) {
    if (topic.queues() == 0) topic.set_queues(4);
  }
  if (w->producers_size() == 0) w->add_producers()->set_count(2);
  for (auto& p : *w->mutable_producers()) {
    if (p.name().empty()) p.set_name("producer");
    if (p.count() == 0) p.set_count(1);
    if (p.topic().empty()) p.set_topic(w->topics(0).name());
    if (p.group().empty()) p.set_group(p.name() + "_pg");
    if (p.rate() == 0) p.set_rate(50);
    if (p.mode() == scenario::SEND_MODE_DEFAULT) p.set_mode(scenario::SYNC);
    if (p.batch_size() == 0) p.set_batch_size(4);
    if (p.body_min() == 0) p.set_body_min(64);
    if (p.body_max() == 0) p.set_body_max(p.body_min());
    if (p.max_in_flight() == 0) p.set_max_in_flight(256);
  }
  if (w->consumer_groups_size() == 0) w->add_consumer_groups();
  for (int i = 0; i < w->consumer_groups_size(); ++i) {
    auto* c = w->mutable_consumer_groups(i);
    if (c->group().empty()) c->set_group(i == 0 ? "chaos_cg" : "chaos_cg_" + std::to_string(i + 1));
    if (c->topic().empty()) c->set_topic(w->topics(0).name());
    if (c->subscription().empty()) c->set_subscription("*");
    if (c->model() == scenario::MESSAGE_MODEL_DEFAULT) c->set_model(scenario::CLUSTERING);
    if (c->kind() == scenario::CONSUMER_KIND_DEFAULT) c->set_kind(scenario::PUSH);
    if (c->consumers() == 0) c->set_consumers(2);
    if (c->slow_duration().empty()) c->set_slow_duration("2s");
    if (c->max_reconsume_times() == 0) c->set_max_reconsume_times(16);
  }
  auto* n = s.mutable_faults()->mutable_nemesis();
  if (n->mean_interval().empty()) n->set_mean_interval("30s");
  if (n->min_duration().empty()) n->set_min_duration("1s");
  if (n->max_duration().empty()) n->set_max_duration("30s");
  if (n->max_concurrent() == 0) n->set_max_concurrent(3);
  for (auto& f : *s.mutable_faults()->mutable_timeline()) {
    if (f.duration().empty()) f.set_duration("30s");
  }
  auto* ph = s.mutable_phases();
  if (ph->warmup().empty()) ph->set_warmup("30s");
  if (ph->chaos().empty()) ph->set_chaos("5m");
  if (ph->quiet().empty()) ph->set_quiet("2m");
  if (ph->quiet_max().empty()) ph->set_quiet_max(ph->quiet());
}

Status ApplyOverride(Scenario& s, std::string_view assignment) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("--set " + std::string(assignment) + ": " + why);
  };
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) return bad("expected path=value");
  std::string path(assignment.substr(0, eq));
  std::string value(assignment.substr(eq + 1));
  pb::Message* m = &s;
  std::stringstream parts(path);
  std::string part;
  std::vector<std::string> segments;
  while (std::getline(parts, part, '.')) segments.push_back(part);
  for (size_t k = 0; k < segments.size(); ++k) {
    std::string name = segments[k];
    std::string key;
    bool indexed = false;
    if (auto lb = name.find('['); lb != std::string::npos) {
      if (name.back() != ']') return bad("unclosed [ in \"" + name + "\"");
      key = name.substr(lb + 1, name.size() - lb - 2);
      name.resize(lb);
      indexed = true;
    }
    const pb::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(name);
    if (f == nullptr) return bad("no field \"" + name + "\" in " + m->GetDescriptor()->name());
    const pb::Reflection* r = m->GetReflection();
    const bool last = k + 1 == segments.size();
    if (f->is_map()) {
      if (!indexed || !last) return bad("a map field is set as " + name + "[key]=value");
      // Maps here are string -> string.
      std::string text = name + " { key: \"" + key + "\" value: \"" + value + "\" }";
      // Replace an existing entry: remove it first.
      for (int i = r->FieldSize(*m, f) - 1; i >= 0; --i) {
        const pb::Message& e = r->GetRepeatedMessage(*m, f, i);
        if (e.GetReflection()->GetString(e, e.GetDescriptor()->FindFieldByName("key")) == key) {
          r->SwapElements(m, f, i, r->FieldSize(*m, f) - 1);
          r->RemoveLast(m, f);
        }
      }
      pb::TextFormat::Parser parser;
      parser.AllowPartialMessage(true);
      if (!parser.MergeFromString(text, m)) return bad("cannot set map entry");
      return Status::Ok();
    }
    if (f->is_repeated()) {
      if (!indexed) return bad("\"" + name + "\" is a list: use " + name + "[index]");
      char* end = nullptr;
      long idx = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || idx < 0) return bad("bad index \"" + key + "\"");
      if (idx > r->FieldSize(*m, f)) return bad("index " + key + " is beyond the end");
      if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        return bad("setting elements of scalar lists is not supported");
      }
      m = idx == r->FieldSize(*m, f) ? r->AddMessage(m, f) : r->MutableRepeatedMessage(m, f, idx);
      if (last) return bad("a message cannot take a value");
      continue;
    }
    if (indexed) return bad("\"" + name + "\" is not a list");
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (last) return bad("a message cannot take a value");
      m = r->MutableMessage(m, f);
      continue;
    }
    if (!last) return bad("\"" + name + "\" is not a message");
    // Let the text-format parser convert the value (numbers, enums, bools, quoted strings).
    std::string literal = value;
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      literal = "\"" + pb::CEscape(value) + "\"";
    }
    ErrorCollector errors("--set " + path);
    pb::TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFieldValueFromString(literal, f, m)) {
      return bad("bad value \"" + value + "\" for " + f->type_name() + " field " + name);
    }
    return Status::Ok();
  }
  return bad("empty path");
}

StatusOr<Scenario> ParseScenario(std::string_view text, const std::string& origin,
                                 const std::vector<std::string>& overrides) {
  Scenario s;
  ErrorCollector errors(origin);
  pb::TextFormat::Parser parser;
  pb::TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &s)) {
    std::string all;
    for (const auto& e : errors.errors()) all += (all.empty() ? "" : "\n") + e;
    if (all.empty()) all = origin + ": cannot parse";
    return InvalidArgumentError(all);
  }
  for (const auto& o : overrides) RMQ_RETURN_IF_ERROR(ApplyOverride(s, o));
  std::vector<std::string> problems;
  Validator v(origin, &problems);
  RememberMessages(v, s, &tree, "");
  v.Walk(s, &tree, "", {});
  FillDefaults(s);
  CheckSemantics(s, v);
  if (!problems.empty()) {
    std::string all;
    for (const auto& e : problems) all += (all.empty() ? "" : "\n") + e;
    return InvalidArgumentError(all);
  }
  if (s.name().empty()) {
    std::string base = origin.substr(origin.find_last_of('/') + 1);
    if (auto dot = base.find(".textproto"); dot != std::string::npos) base.resize(dot);
    s.set_name(base);
  }
  return s;
}

StatusOr<Scenario> LoadScenarioFile(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open the scenario file");
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseScenario(buf.str(), path, overrides);
}

std::string ScenarioToText(const Scenario& s) {
  std::string out;
  pb::TextFormat::Printer printer;
  printer.PrintToString(s, &out);
  return out;
}

}  // namespace rmqsim::scenarios
