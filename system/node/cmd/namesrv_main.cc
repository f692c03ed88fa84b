// rmq-namesrv: the RocketMQ name server on the real runtime (Boost.Asio, loopback by default).
//
//   rmq-namesrv [--listen 127.0.0.1:9876] [-c namesrv.properties] [--trace]
//               [--log-dir logs] [--log-level info] [--no-log-stderr]   (log file: namesrv.log)
//
// namesrv.properties keys: listenPort, orderMessageEnable, scanNotActiveBrokerInterval (ms).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "sim/asio/asio_runtime.h"
#include "system/namesrv/name_server.h"
#include "system/node/cmd/server_flags.h"
#include "system/node/properties_file.h"

int main(int argc, char** argv) {
  CLI::App app{"rmq-namesrv: RocketMQ 4.x name server (rmqsim, real mode)"};
  std::string listen = "127.0.0.1:9876";
  std::string config_path;
  rmqsim::node::ServerFlags flags;
  app.add_option("--listen", listen, "host:port to listen on (default loopback)");
  app.add_option("-c,--config", config_path, "namesrv.properties file");
  rmqsim::node::AddServerFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every bad flag or value exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  }

  rmqsim::namesrv::NamesrvConfig config;
  auto addr = rmqsim::Address::Parse(listen);
  if (!addr.ok()) {
    std::fprintf(stderr, "rmq-namesrv: --listen: %s\n", addr.status().message().c_str());
    return 2;
  }
  config.listen = *addr;
  if (!config_path.empty()) {
    std::string text;
    if (!rmqsim::node::ReadConfigFile("rmq-namesrv", config_path, &text)) return 2;
    auto props = rmqsim::node::PropertiesFile::Parse(text, config_path);
    if (!props.ok()) {
      std::fprintf(stderr, "rmq-namesrv: %s\n", props.status().message().c_str());
      return 2;
    }
    auto port = props->GetInt("listenPort");
    auto order = props->GetBool("orderMessageEnable");
    auto scan = props->GetInt("scanNotActiveBrokerInterval");
    for (const rmqsim::Status* s : {&port.status(), &order.status(), &scan.status()}) {
      if (!s->ok()) {
        std::fprintf(stderr, "rmq-namesrv: %s\n", s->message().c_str());
        return 2;
      }
    }
    if (*port) config.listen.port = static_cast<uint16_t>(**port);
    if (*order) config.order_message_enable = **order;
    if (*scan) config.scan_not_active_broker_interval = rmqsim::milliseconds(**scan);
    for (const auto& k : props->UnknownKeys({"listenPort", "orderMessageEnable",
                                             "scanNotActiveBrokerInterval", "rocketmqHome",
                                             "kvConfigPath", "configStorePath"})) {
      std::fprintf(stderr, "rmq-namesrv: warning: %s: unknown key ignored\n",
                   props->Where(k).c_str());
    }
  }
  rmqsim::real::AsioRuntimeOptions options{.node_name = "namesrv"};
  if (!rmqsim::node::ApplyServerFlags(flags, "rmq-namesrv", "", "namesrv.log", &options)) {
    return 2;
  }
  rmqsim::real::AsioRuntime rt(options);
  return rmqsim::real::RunServiceMain(rt, [&](rmqsim::Runtime& r) {
    return std::make_unique<rmqsim::namesrv::NameServer>(r, config);
  }, "RocketmqNamesrv");
}
