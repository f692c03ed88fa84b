// rmq-broker: the RocketMQ broker (a master or a slave) on the real runtime (Boost.Asio). Binds
// brokerIP1 (default 127.0.0.1, loopback) on listenPort (default 10911) and haListenPort
// (default listenPort + 1).
//
//   rmq-broker [-c broker.conf] [-n "127.0.0.1:9876;..."] [--data-dir DIR] [--trace]
//              [--log-dir logs] [--log-level info] [--no-log-stderr]
//
// Log lines go to <log-dir>/broker.log (log-dir relative to --data-dir) and to stderr.
//
// broker.conf keys: brokerClusterName, brokerName, brokerId (0 for a master, > 0 for a slave),
// brokerIP1, listenPort, namesrvAddr (else the NAMESRV_ADDR environment variable),
// storePathRootDir, storePathCommitLog, mappedFileSizeCommitLog (or mapedFileSizeCommitLog),
// flushDiskType, brokerRole (ASYNC_MASTER / SYNC_MASTER / SLAVE), autoCreateTopicEnable,
// deleteWhen, fileReservedTime, defaultTopicQueueNums; HA: haListenPort, haMasterAddress (a
// slave's master HA address; empty: learnt from the name server), slaveReadEnable, slaveTimeout,
// haSendHeartbeatInterval, haHousekeepingInterval, haTransferBatchSize, haSlaveFallbehindMax; ...
// (docs/broker.md). Relative store paths resolve in --data-dir (default: the current directory).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sim/asio/asio_runtime.h"
#include "system/broker/broker.h"
#include "system/node/broker_conf.h"
#include "system/node/cmd/server_flags.h"

int main(int argc, char** argv) {
  CLI::App app{"rmq-broker: RocketMQ 4.x broker, master or slave (rmqsim, real mode)"};
  std::string config_path;
  std::string namesrv;
  std::string data_dir = ".";
  rmqsim::node::ServerFlags flags;
  app.add_option("-c,--config", config_path, "broker.conf file");
  app.add_option("-n,--namesrv", namesrv, "name servers, host:port;host:port (overrides the file)");
  app.add_option("--data-dir", data_dir, "directory relative store paths resolve in");
  rmqsim::node::AddServerFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  }

  std::string text;
  if (!config_path.empty()) {
    if (!rmqsim::node::ReadConfigFile("rmq-broker", config_path, &text)) return 2;
  }
  std::optional<std::string> env;
  if (const char* e = std::getenv("NAMESRV_ADDR")) env = std::string(e);
  auto conf = rmqsim::node::ParseBrokerConf(
      text, config_path.empty() ? std::string("(defaults)") : config_path, env);
  if (!conf.ok()) {
    std::fprintf(stderr, "rmq-broker: %s\n", conf.status().message().c_str());
    return 2;
  }
  for (const auto& w : conf->warnings) std::fprintf(stderr, "rmq-broker: warning: %s\n", w.c_str());
  if (!config_path.empty()) {
    // updateBrokerConfig writes the changed settings here (absolute: the runtime resolves
    // relative paths in --data-dir, not in the working directory).
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(config_path, ec);
    conf->broker.broker_config_path = ec ? config_path : abs.lexically_normal().string();
  }
  if (!namesrv.empty()) {
    auto addrs = rmqsim::broker::ParseNamesrvAddr(namesrv);
    if (!addrs.ok()) {
      std::fprintf(stderr, "rmq-broker: -n: %s\n", addrs.status().message().c_str());
      return 2;
    }
    conf->broker.namesrv_addrs = *addrs;
  }
  if (conf->broker.namesrv_addrs.empty()) {
    std::fprintf(stderr,
                 "rmq-broker: warning: no name server (namesrvAddr, -n or "
                 "NAMESRV_ADDR): the broker will not be routable\n");
  }
  rmqsim::real::AsioRuntimeOptions options{
      .node_name = conf->broker.broker_name + "-" + std::to_string(conf->broker.broker_id),
      .data_dir = data_dir};
  if (!rmqsim::node::ApplyServerFlags(flags, "rmq-broker", data_dir, "broker.log", &options)) {
    return 2;
  }
  rmqsim::real::AsioRuntime rt(options);
  return rmqsim::real::RunServiceMain(rt, [&](rmqsim::Runtime& r) {
    return std::make_unique<rmqsim::broker::Broker>(r, conf->broker, conf->store);
  }, "RocketmqBroker");
}
