// rmq-proxy: the Envoy-style RocketMQ proxy on the real runtime (Boost.Asio).
//
//   rmq-proxy -c proxy.textproto [--listen host:port] [--admin host:port] [--trace]
//             [--log-dir logs] [--log-level info] [--no-log-stderr]   (log file: proxy.log)
//
// The configuration file is Protobuf text (system/node/proxy_file.proto, docs/proxy.md):
// listen and admin addresses, stat prefix, develop mode, routes (topic -> cluster) and clusters
// (broker hosts with their metadata, maintenance mode). The admin endpoint serves the 27
// statistics (GET /stats, GET /stats/prometheus) and turns maintenance mode on and off
// (POST /maintenance?cluster=NAME&enabled=true|false).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "sim/asio/asio_runtime.h"
#include "system/node/cmd/server_flags.h"
#include "system/node/proxy_file.h"
#include "system/proxy/rocketmq_proxy.h"

int main(int argc, char** argv) {
  CLI::App app{"rmq-proxy: Envoy-style RocketMQ proxy (rmqsim, real mode)"};
  std::string config_path;
  std::string listen;
  std::string admin;
  rmqsim::node::ServerFlags flags;
  app.add_option("-c,--config", config_path, "configuration file (Protobuf text)")->required();
  app.add_option("--listen", listen, "host:port for clients (overrides the file)");
  app.add_option("--admin", admin, "host:port of the admin endpoint (overrides the file)");
  rmqsim::node::AddServerFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::string text;
  if (!rmqsim::node::ReadConfigFile("rmq-proxy", config_path, &text)) return 2;
  auto config = rmqsim::node::ParseProxyFile(text, config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "rmq-proxy: %s\n", config.status().message().c_str());
    return 2;
  }
  if (!listen.empty()) {
    auto a = rmqsim::Address::Parse(listen);
    if (!a.ok()) {
      std::fprintf(stderr, "rmq-proxy: --listen: %s\n", a.status().message().c_str());
      return 2;
    }
    config->listen = *a;
  }
  if (!admin.empty()) {
    auto a = rmqsim::Address::Parse(admin);
    if (!a.ok()) {
      std::fprintf(stderr, "rmq-proxy: --admin: %s\n", a.status().message().c_str());
      return 2;
    }
    config->admin = *a;
  }
  if (auto st = config->Validate(); !st.ok()) {
    std::fprintf(stderr, "rmq-proxy: %s\n", st.message().c_str());
    return 2;
  }
  rmqsim::real::AsioRuntimeOptions options{.node_name = "proxy"};
  if (!rmqsim::node::ApplyServerFlags(flags, "rmq-proxy", "", "proxy.log", &options)) return 2;
  rmqsim::real::AsioRuntime rt(options);
  return rmqsim::real::RunServiceMain(rt, [&](rmqsim::Runtime& r) {
    return std::make_unique<rmqsim::proxy::RocketMQProxy>(r, *config);
  }, "RocketmqProxy");
}
