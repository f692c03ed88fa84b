#include "sim/base/planted_bugs.h"

#include <algorithm>

#include "sim/base/assert.h"

namespace rmqsim {
namespace {
thread_local std::vector<std::string> g_on;
}  // namespace

const std::vector<PlantedBugInfo>& PlantedBugs() {
  static const std::vector<PlantedBugInfo> kBugs = {
      {"namesrv.never_purge",
       "the name server never removes a broker, neither when its registrations stop nor when its "
       "channel closes (routes: stale routes)"},
      {"namesrv.expire_early",
       "the name server expires a broker 25 s after its last registration instead of 120 s "
       "(routes: early purges)"},
      {"store.sync_flush_no_wait",
       "a SYNC_FLUSH put is acknowledged before its flush (delivery: SEND_OK lost on power loss)"},
      {"store.recover_drop_last",
       "recovery after a crash drops the last complete message of the commit log (delivery: "
       "SEND_OK lost after kill -9)"},
      {"ha.slave_acks_ahead",
       "after appending a transfer, a slave acknowledges 4 KiB more than it has (the master's "
       "check that a slave never acknowledges more than it was sent)"},
      {"ha.slave_flips_byte",
       "a slave flips the last byte of one transfer in fifty before appending it (replicas: the "
       "slave's commit log differs from its master's)"},
      {"broker.pull_skip_message",
       "a pull that finds more messages than it returns reports a next offset one too far "
       "(delivery: messages never delivered)"},
      {"broker.send_back_dropped",
       "CONSUMER_SEND_MSG_BACK answers SUCCESS without storing the retry message (delivery / "
       "retry: failed consumptions never come back)"},
      {"broker.pop_revive_dropped",
       "the pop revive service marks an expired checkpoint done without writing the retry copies "
       "(delivery: messages popped but never acknowledged are lost)"},
      {"client.commit_on_receipt",
       "a push consumer commits offsets of messages it has pulled but not yet consumed "
       "(delivery: messages lost when a consumer dies)"},
      {"client.rebalance_drops_queue",
       "the average allocation leaves the last message queue of a topic to nobody (delivery: "
       "messages never consumed)"},
      {"proxy.route_gauge_leak",
       "the proxy never lowers request_active and get_topic_route_active once a route query is "
       "answered (proxy: gauges not back at zero at rest)"},
      {"proxy.send_v2_counted_as_v1",
       "the proxy counts a SEND_MESSAGE_V2 in send_message_v1 (proxy: the counts disagree with "
       "the traffic on its links; every sum stays consistent)"},
      {"proxy.refused_upstream_counted",
       "the proxy counts a refused upstream connection as a response (proxy: response != "
       "decoding success + error, only while a broker is down)"},
      {"proxy.response_counted_twice",
       "the proxy counts each decoded upstream response twice in `response` (proxy: response "
       "!= response_decoding_success + response_decoding_error)"},
  };
  return kBugs;
}

bool IsPlantedBug(std::string_view name) {
  for (const auto& b : PlantedBugs()) {
    if (name == b.name) return true;
  }
  return false;
}

bool PlantedBugOn(std::string_view name) {
  if (g_on.empty()) return false;
  RMQ_ASSERT_MSG(IsPlantedBug(name), "unknown planted bug " + std::string(name));
  return std::find(g_on.begin(), g_on.end(), name) != g_on.end();
}

ScopedPlantedBugs::ScopedPlantedBugs(std::vector<std::string> names) : previous_(g_on) {
  for (const auto& n : names) RMQ_ASSERT_MSG(IsPlantedBug(n), "unknown planted bug " + n);
  g_on = std::move(names);
}

ScopedPlantedBugs::~ScopedPlantedBugs() { g_on = std::move(previous_); }

}  // namespace rmqsim
