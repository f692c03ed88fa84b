// Checkers: each reads only the recorded history (scenarios/proto/history.proto) and the
// scenario's check settings, and returns a verdict with its figures. They never look inside the
// simulated processes, so a history exported from a run (or written by hand in a test) can be
// checked offline.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/proto/history.pb.h"
#include "scenarios/proto/scenario.pb.h"

namespace rmqsim::checkers {

enum class Verdict : uint8_t { kPass, kFail, kSkipped };
std::string_view VerdictName(Verdict v);  // "PASS", "FAIL", "SKIP"

struct CheckResult {
  std::string checker;   // "delivery", "routes", ...
  Verdict verdict = Verdict::kPass;
  std::string headline;  // one line: "0 SEND_OK lost, 3 duplicated, 12 recovered"
  // Violations, each a complete sentence naming what was expected, what was seen and when
  // ("SEND_OK key k1 (broker-a q2 @41) never delivered to chaos_cg"). Kept to a few examples;
  // `violations_total` counts all.
  std::vector<std::string> violations;
  uint64_t violations_total = 0;
  // Figures (not verdicts): name -> value, printed and exported ("lost", "duplicated", ...).
  std::map<std::string, double> metrics;
  // Extra lines for the summary (explained losses, per-fault failover figures, ...).
  std::vector<std::string> notes;
  // Figures per item as rows of named cells (the metrics checker: one row per fault and broker
  // group), for tables outside the summary (the Python API). Numbers are written as numbers;
  // an empty cell is "not applicable".
  std::vector<std::map<std::string, std::string>> table;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string name() const = 0;
  virtual CheckResult Check(const history::History& h, const scenario::Checks& settings) const = 0;
};

// The registry: every checker by name, in a fixed order (delivery, routes, liveness, replicas,
// retry, metrics, proxy, coverage).
std::vector<std::string> CheckerNames();
std::unique_ptr<Checker> MakeChecker(const std::string& name);

// Runs the checkers the settings enable (all when `settings_present` is false).
std::vector<CheckResult> RunCheckers(const history::History& h, const scenario::Checks& settings,
                                     bool settings_present);

}  // namespace rmqsim::checkers

// ------------------------------------------------------------------------------ additions
// Everything below was added after the contract above; the contract itself is unchanged.

namespace rmqsim::checkers {

// One factory per checker (each in its own file); MakeChecker dispatches to them.
std::unique_ptr<Checker> MakeDeliveryChecker();  // delivery_checker.cc
std::unique_ptr<Checker> MakeRoutesChecker();    // routes_checker.cc
std::unique_ptr<Checker> MakeLivenessChecker();  // liveness_checker.cc
std::unique_ptr<Checker> MakeReplicasChecker();  // replicas_checker.cc
std::unique_ptr<Checker> MakeRetryChecker();     // retry_checker.cc
std::unique_ptr<Checker> MakeMetricsChecker();   // metrics_checker.cc
std::unique_ptr<Checker> MakeProxyChecker();     // proxy_checker.cc
std::unique_ptr<Checker> MakeCoverageChecker();  // coverage_checker.cc

// Helpers shared by the checkers (checker_util.cc).

// Violation examples kept per result (violations_total counts them all).
inline constexpr size_t kMaxViolationExamples = 20;
// Route samples are taken every second (when the table changed): a change seen at t happened
// in (t - kRouteSamplePeriodNs, t].
inline constexpr int64_t kRouteSamplePeriodNs = 1'000'000'000;

// Records one violation: counts it, keeps it if fewer than kMaxViolationExamples are kept, and
// sets the verdict to FAIL.
void AddViolation(CheckResult& r, std::string sentence);
// Keeps a note, up to `limit` notes per result; beyond that one last line counts the notes left
// out ("... and 3 more notes").
void AddNote(CheckResult& r, std::string line, size_t limit = 50);

// "t=312.4s": virtual nanoseconds since the world started, as seconds.
std::string FormatTime(int64_t ns);
// "12.3s": a duration in seconds with one decimal.
std::string FormatSeconds(int64_t ns);
// A duration setting ("120s", "500ms"); empty or malformed: `fallback_ns` (malformed also sets
// *error when given).
int64_t DurationSetting(const std::string& text, int64_t fallback_ns,
                        std::string* error = nullptr);

// Does a message with `tags` match `subscription` ("*", "" or "TagA || TagB")? A message without
// a tag matches only "*".
bool SubscriptionMatches(std::string_view subscription, std::string_view tags);

// outcome OK with status SEND_OK (an OK without a status counts as SEND_OK).
bool IsSendOk(const history::Send& s);
// "SEND_OK", "FLUSH_DISK_TIMEOUT", ..., "UNKNOWN", "FAIL", "PENDING".
std::string OutcomeName(const history::Send& s);
// Whether a fault window lists `process` among the processes it hit.
bool FaultHitProcess(const history::FaultWindow& f, std::string_view process);
bool FaultHasRole(const history::FaultWindow& f, std::string_view role);

// The topic a delivery was pulled from (its topic when pulled_topic is empty).
std::string_view PulledTopic(const history::Delivery& d);
// A record of a message found in %DLQ%<group> at the end (consumer "dlq").
bool IsDlqRecord(const history::Delivery& d);
// The consumer group of a delivery (a %DLQ% record without one: from its topic).
std::string_view GroupOf(const history::Delivery& d);

// The brokers of a run, from RunConfig (group, process name, brokerId, address). A ClusterView
// refers to the RunConfig it was built from, which must outlive it.
struct BrokerProcess {
  std::string group;    // brokerName
  std::string process;  // "broker-a", "broker-a-s1"
  int64_t broker_id = 0;
  std::string address;  // ip:port ("" when the configuration does not say)
};
class ClusterView {
 public:
  explicit ClusterView(const history::RunConfig& config);
  const std::vector<BrokerProcess>& brokers() const { return brokers_; }
  const BrokerProcess* ByProcess(std::string_view process) const;
  const BrokerProcess* ByAddress(std::string_view address) const;
  // A route entry's process: by address, else by the naming convention ("<group>" for brokerId
  // 0, "<group>-s<id>" for slaves).
  std::string ProcessOf(const history::RouteEntry& e) const;
  const history::GroupConfig* Group(std::string_view name) const;
  std::string MasterOf(std::string_view group) const;  // "<group>" when not configured

 private:
  const history::RunConfig* config_;
  std::vector<BrokerProcess> brokers_;
};

}  // namespace rmqsim::checkers
