// Helpers shared by the checkers: result building, time formatting, subscriptions, the cluster's
// brokers as the run configuration describes them.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "scenarios/checkers/checker.h"
#include "sim/base/time.h"

namespace rmqsim::checkers {

void AddViolation(CheckResult& r, std::string sentence) {
  ++r.violations_total;
  r.verdict = Verdict::kFail;
  if (r.violations.size() < kMaxViolationExamples) r.violations.push_back(std::move(sentence));
}

void AddNote(CheckResult& r, std::string line, size_t limit) {
  // The overflow line is the last one and starts with this prefix.
  static constexpr std::string_view kMore = "... and ";
  if (r.notes.size() < limit) {
    r.notes.push_back(std::move(line));
    return;
  }
  uint64_t more = 1;
  if (r.notes.size() == limit + 1 && r.notes.back().starts_with(kMore)) {
    more = std::strtoull(r.notes.back().c_str() + kMore.size(), nullptr, 10) + 1;
    r.notes.pop_back();
  }
  r.notes.push_back(std::string(kMore) + std::to_string(more) + " more notes");
}

std::string FormatTime(int64_t ns) {
  return "t=" + FormatSeconds(ns);
}

std::string FormatSeconds(int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ns) / 1e9);
  return buf;
}

int64_t DurationSetting(const std::string& text, int64_t fallback_ns, std::string* error) {
  if (text.empty()) return fallback_ns;
  auto d = ParseDuration(text);
  if (!d.ok()) {
    if (error != nullptr) *error = "bad duration \"" + text + "\"";
    return fallback_ns;
  }
  return ToNanos(*d);
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool SubscriptionMatches(std::string_view subscription, std::string_view tags) {
  subscription = Trim(subscription);
  if (subscription.empty() || subscription == "*") return true;
  if (tags.empty()) return false;
  while (true) {
    size_t bar = subscription.find("||");
    if (Trim(subscription.substr(0, bar)) == tags) return true;
    if (bar == std::string_view::npos) return false;
    subscription.remove_prefix(bar + 2);
  }
}

bool IsSendOk(const history::Send& s) {
  return s.outcome() == history::OK && (s.status().empty() || s.status() == "SEND_OK");
}

std::string OutcomeName(const history::Send& s) {
  switch (s.outcome()) {
    case history::OK:
      return s.status().empty() ? "SEND_OK" : s.status();
    case history::UNKNOWN:
      return "UNKNOWN";
    case history::PENDING:
      return "PENDING";
    case history::FAIL:
      return "FAIL";
    default:
      return "UNSPECIFIED";
  }
}

bool FaultHitProcess(const history::FaultWindow& f, std::string_view process) {
  for (const auto& p : f.processes()) {
    if (p == process) return true;
  }
  return false;
}

bool FaultHasRole(const history::FaultWindow& f, std::string_view role) {
  for (const auto& r : f.roles()) {
    if (r == role) return true;
  }
  return false;
}

std::string_view PulledTopic(const history::Delivery& d) {
  return d.pulled_topic().empty() ? std::string_view(d.topic()) : d.pulled_topic();
}

bool IsDlqRecord(const history::Delivery& d) {
  return d.consumer() == "dlq" || PulledTopic(d).starts_with("%DLQ%");
}

std::string_view GroupOf(const history::Delivery& d) {
  static constexpr std::string_view kDlq = "%DLQ%";
  if (!d.group().empty() || !PulledTopic(d).starts_with(kDlq)) return d.group();
  return PulledTopic(d).substr(kDlq.size());
}

ClusterView::ClusterView(const history::RunConfig& config) : config_(&config) {
  for (const auto& g : config.groups()) {
    std::string master = g.master().empty() ? g.name() : g.master();
    brokers_.push_back({g.name(), master, 0, g.addresses_size() > 0 ? g.addresses(0) : ""});
    int slaves = std::max(g.slaves(), g.slave_processes_size());
    for (int i = 0; i < slaves; ++i) {
      std::string name = i < g.slave_processes_size() ? g.slave_processes(i)
                                                      : g.name() + "-s" + std::to_string(i + 1);
      std::string address = i + 1 < g.addresses_size() ? g.addresses(i + 1) : "";
      brokers_.push_back({g.name(), name, i + 1, address});
    }
  }
}

const BrokerProcess* ClusterView::ByProcess(std::string_view process) const {
  for (const auto& b : brokers_) {
    if (b.process == process) return &b;
  }
  return nullptr;
}

const BrokerProcess* ClusterView::ByAddress(std::string_view address) const {
  if (address.empty()) return nullptr;
  for (const auto& b : brokers_) {
    if (b.address == address) return &b;
  }
  return nullptr;
}

std::string ClusterView::ProcessOf(const history::RouteEntry& e) const {
  if (const BrokerProcess* b = ByAddress(e.address())) return b->process;
  for (const auto& b : brokers_) {
    if (b.group == e.broker_name() && b.broker_id == e.broker_id()) return b.process;
  }
  return e.broker_id() == 0 ? e.broker_name()
                            : e.broker_name() + "-s" + std::to_string(e.broker_id());
}

const history::GroupConfig* ClusterView::Group(std::string_view name) const {
  for (const auto& g : config_->groups()) {
    if (g.name() == name) return &g;
  }
  return nullptr;
}

std::string ClusterView::MasterOf(std::string_view group) const {
  const history::GroupConfig* g = Group(group);
  if (g == nullptr || g->master().empty()) return std::string(group);
  return g->master();
}

}  // namespace rmqsim::checkers
