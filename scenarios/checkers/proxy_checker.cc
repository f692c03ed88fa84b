// The proxy checker: the proxies' statistics (docs/proxy.md), sampled into the history every few
// seconds and at the end, must be consistent at every sample, come back to zero at rest, and
// count at least what the producers' own records imply.
//
// At every sample of a running proxy:
//   request == request_decoding_success + request_decoding_error;
//   response == response_decoding_success + response_decoding_error;
//   response_success <= response_decoding_success;
//   the per-command counters together <= request_decoding_success;
//   no gauge below zero; the per-command active gauges together <= request_active;
//   the pending gauges together <= total_pending <= request_active;
//   answers timed (request_time_ms) <= request_decoding_success;
//   counters never decrease within one incarnation of the proxy;
//   the receive-side counters (request*, the per-command counters, response*) equal what the
//   harness counted from the bytes delivered on the proxy's links (ProxySample.observed).
// At rest (the last sample, once the run converged): every gauge is 0.
// Against the producers' records: for a proxy that never restarted, the SEND_OKs of the
// producers that send through it are at most its send counters and at most its successful
// responses (each SEND_OK is one relayed response with code SUCCESS).
#include <map>
#include <set>

#include "scenarios/checkers/checker.h"

namespace rmqsim::checkers {
namespace {

constexpr const char* kCommandCounters[] = {"heartbeat",     "unregister",     "get_topic_route",
                                            "send_message_v1", "send_message_v2", "pop_message",
                                            "ack_message",   "get_consumer_list"};
constexpr const char* kCounters[] = {
    "request",          "request_decoding_error", "request_decoding_success",
    "response",         "response_decoding_error", "response_decoding_success",
    "response_error",   "response_success",       "heartbeat",
    "unregister",       "get_topic_route",        "send_message_v1",
    "send_message_v2",  "pop_message",            "ack_message",
    "get_consumer_list", "maintenance_failure",   "request_time_ms"};
constexpr const char* kGauges[] = {"request_active",        "send_message_v1_active",
                                   "send_message_v2_active", "pop_message_active",
                                   "get_topic_route_active", "send_message_pending",
                                   "pop_message_pending",    "get_topic_route_pending",
                                   "total_pending"};

using Stats = std::map<std::string, int64_t>;

int64_t Get(const Stats& s, const std::string& name) {
  auto it = s.find(name);
  return it == s.end() ? 0 : it->second;
}

class ProxyChecker : public Checker {
 public:
  std::string name() const override { return "proxy"; }
  CheckResult Check(const history::History& h, const scenario::Checks& settings) const override;
};

CheckResult ProxyChecker::Check(const history::History& h, const scenario::Checks&) const {
  CheckResult r;
  r.checker = name();
  if (h.config().proxies_size() == 0) {
    r.verdict = Verdict::kSkipped;
    r.headline = "no proxies in the run";
    return r;
  }
  uint64_t samples = 0, rest_samples = 0, observed = 0;
  std::map<std::string, std::set<uint64_t>> incarnations;
  std::map<std::string, Stats> last_up;  // by proxy: the last sample of a running incarnation
  std::map<std::string, uint64_t> last_incarnation;
  for (const history::ProxySample& ps : h.proxies()) {
    if (!ps.up()) continue;
    ++samples;
    const std::string at = ps.proxy() + " at " + FormatTime(ps.time_ns());
    Stats s;
    for (const history::ProxyStat& st : ps.stats()) s[st.name()] = st.value();
    auto fail = [&](const std::string& what) { AddViolation(r, at + ": " + what); };
    auto v = [&](const char* n) { return Get(s, n); };
    if (v("request") != v("request_decoding_success") + v("request_decoding_error")) {
      fail("request " + std::to_string(v("request")) + " != request_decoding_success " +
           std::to_string(v("request_decoding_success")) + " + request_decoding_error " +
           std::to_string(v("request_decoding_error")));
    }
    if (v("response") != v("response_decoding_success") + v("response_decoding_error")) {
      fail("response " + std::to_string(v("response")) + " != response_decoding_success " +
           std::to_string(v("response_decoding_success")) + " + response_decoding_error " +
           std::to_string(v("response_decoding_error")));
    }
    if (v("response_success") > v("response_decoding_success")) {
      fail("response_success " + std::to_string(v("response_success")) +
           " > response_decoding_success " + std::to_string(v("response_decoding_success")));
    }
    int64_t commands = 0;
    for (const char* n : kCommandCounters) commands += v(n);
    if (commands > v("request_decoding_success")) {
      fail("the per-command counters add up to " + std::to_string(commands) +
           " > request_decoding_success " + std::to_string(v("request_decoding_success")));
    }
    for (const char* g : kGauges) {
      if (v(g) < 0) fail(std::string(g) + " is " + std::to_string(v(g)));
    }
    const int64_t actives = v("send_message_v1_active") + v("send_message_v2_active") +
                            v("pop_message_active") + v("get_topic_route_active");
    if (actives > v("request_active")) {
      fail("the per-command active gauges add up to " + std::to_string(actives) +
           " > request_active " + std::to_string(v("request_active")));
    }
    const int64_t pending = v("send_message_pending") + v("pop_message_pending") +
                            v("get_topic_route_pending");
    if (pending > v("total_pending") || v("total_pending") > v("request_active")) {
      fail("pending gauges " + std::to_string(pending) + ", total_pending " +
           std::to_string(v("total_pending")) + ", request_active " +
           std::to_string(v("request_active")) + ": not pending <= total <= active");
    }
    if (v("request_time_ms") > v("request_decoding_success")) {
      fail("request_time_ms has " + std::to_string(v("request_time_ms")) +
           " samples > request_decoding_success " + std::to_string(v("request_decoding_success")));
    }
    auto prev = last_up.find(ps.proxy());
    if (prev != last_up.end() && last_incarnation[ps.proxy()] == ps.incarnation()) {
      for (const char* c : kCounters) {
        if (v(c) < Get(prev->second, c)) {
          fail(std::string(c) + " went down from " + std::to_string(Get(prev->second, c)) +
               " to " + std::to_string(v(c)) + " without a restart");
        }
      }
    }
    // The receive-side counters against the harness's count of the proxy's links.
    for (const history::ProxyStat& o : ps.observed()) {
      if (v(o.name().c_str()) != o.value()) {
        fail(o.name() + " is " + std::to_string(v(o.name().c_str())) +
             " but the traffic on the proxy's links makes it " + std::to_string(o.value()));
      }
    }
    observed += ps.observed_size() > 0 ? 1 : 0;
    if (ps.at_rest()) {
      ++rest_samples;
      for (const char* g : kGauges) {
        if (v(g) != 0) {
          fail(std::string(g) + " is " + std::to_string(v(g)) + " at rest (expected 0)");
        }
      }
    }
    last_up[ps.proxy()] = s;
    last_incarnation[ps.proxy()] = ps.incarnation();
    incarnations[ps.proxy()].insert(ps.incarnation());
  }
  // Against the producers' own records.
  uint64_t send_ok_through = 0;
  for (const history::ProxyConfig& pc : h.config().proxies()) {
    if (incarnations[pc.name()].size() != 1) continue;  // restarted: its counts start over
    const std::set<std::string> producers(pc.producers().begin(), pc.producers().end());
    int64_t ok = 0;
    for (const history::Send& s : h.sends()) {
      if (producers.contains(s.producer()) && IsSendOk(s)) ++ok;
    }
    send_ok_through += static_cast<uint64_t>(ok);
    const Stats& s = last_up[pc.name()];
    const int64_t sends = Get(s, "send_message_v1") + Get(s, "send_message_v2");
    if (ok > sends || ok > Get(s, "response_success")) {
      AddViolation(r, pc.name() + ": its producers have " + std::to_string(ok) +
                          " SEND_OK but it counted " + std::to_string(sends) + " sends and " +
                          std::to_string(Get(s, "response_success")) + " successful responses");
    }
    for (const auto& [name, value] : s) r.metrics[pc.name() + "." + name] = static_cast<double>(value);
  }
  r.metrics["samples"] = static_cast<double>(samples);
  r.headline = std::to_string(h.config().proxies_size()) + " prox" +
               (h.config().proxies_size() == 1 ? "y" : "ies") + ", " + std::to_string(samples) +
               " samples consistent (" + std::to_string(observed) +
               " matched against the traffic on its links), " + std::to_string(rest_samples) +
               " at rest with every gauge 0; " +
               std::to_string(send_ok_through) +
               " SEND_OK through proxies that never restarted, all counted";
  if (r.violations_total > 0) {
    r.headline = std::to_string(r.violations_total) + " inconsistencies in " +
                 std::to_string(samples) + " samples of " +
                 std::to_string(h.config().proxies_size()) + " proxies";
  }
  return r;
}

}  // namespace

std::unique_ptr<Checker> MakeProxyChecker() { return std::make_unique<ProxyChecker>(); }

}  // namespace rmqsim::checkers
