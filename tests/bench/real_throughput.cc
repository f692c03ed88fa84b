// Real-mode throughput on loopback: messages per second through rmq-broker's code (ASYNC_FLUSH and
// SYNC_FLUSH stores on real files) beside a plain framed echo server on the same runtime (a
// RemotingServer that answers every request at once), with the same clients, in one run.
//
//   real_throughput [--seconds 2] [--producers 1,8] [--sizes 200,4096] [--window 32]
//                   [--servers echo,ASYNC_FLUSH,SYNC_FLUSH]
//
// Each server runs in a child process of its own (one thread, like rmq-broker). Each producer is a
// thread with its own AsioRuntime and connection, sending SEND_MESSAGE_V2 requests straight to
// the server: "sync" waits for each answer before the next request, "async" keeps --window
// requests in flight. Only SUCCESS answers count. Prints one row per case and the broker's share
// of the echo ceiling. Exit status 1 if a case sent nothing.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/asio/asio_runtime.h"
#include "system/broker/broker.h"
#include "system/node/broker_conf.h"
#include "system/remoting/remoting_client.h"
#include "system/remoting/remoting_server.h"

namespace {

using rmqsim::Address;
using rmqsim::remoting::RemotingCommand;
using rmqsim::remoting::RequestCode;
using rmqsim::remoting::ResponseCode;

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Answers every request with SUCCESS at once: the ceiling of the runtime and the framing.
class EchoServer final : public rmqsim::Service {
 public:
  EchoServer(rmqsim::Runtime& rt, uint16_t port)
      : server_(rt, {.listen = {"127.0.0.1", port}}) {}
  rmqsim::Status Start() override {
    server_.RegisterDefaultProcessor(
        [](RemotingCommand req, rmqsim::remoting::Responder) -> std::optional<RemotingCommand> {
          RemotingCommand r = req.CreateResponse(ResponseCode::SUCCESS);
          r.SetExtField("msgId", "7F00000100002A9F0000000000000000");
          r.SetExtField("queueId", "0");
          r.SetExtField("queueOffset", "0");
          return r;
        });
    return server_.Start();
  }

 private:
  rmqsim::remoting::RemotingServer server_;
};

struct Server {
  pid_t pid = -1;
  uint16_t port = 0;
  std::string dir;
};

// Forks a child that runs the server ("echo", "ASYNC_FLUSH" or "SYNC_FLUSH") until SIGTERM.
Server StartServer(const std::string& kind) {
  Server s;
  s.port = FreePort();
  char tmpl[] = "/tmp/rmqsim-bench-XXXXXX";
  s.dir = mkdtemp(tmpl);
  s.pid = fork();
  if (s.pid == 0) {
    rmqsim::real::AsioRuntime rt({.node_name = kind,
                                  .data_dir = s.dir,
                                  .trace_to_stderr = false,
                                  .log_to_stderr = true,
                                  .log_level = rmqsim::Severity::kError});
    int rc = rmqsim::real::RunServiceMain(rt, [&](rmqsim::Runtime& r)
                                                   -> std::unique_ptr<rmqsim::Service> {
      if (kind == "echo") return std::make_unique<EchoServer>(r, s.port);
      std::ostringstream conf;
      conf << "listenPort=" << s.port << "\nflushDiskType=" << kind
           << "\nstorePathRootDir=store\nbrokerName=broker-a\n";
      auto c = rmqsim::node::ParseBrokerConf(conf.str(), "bench", std::nullopt);
      if (!c.ok()) {
        std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
        std::_Exit(2);
      }
      return std::make_unique<rmqsim::broker::Broker>(r, c->broker, c->store);
    });
    std::_Exit(rc);
  }
  return s;
}

void StopServer(Server& s) {
  ::kill(s.pid, SIGTERM);
  int status = 0;
  ::waitpid(s.pid, &status, 0);
  std::filesystem::remove_all(s.dir);
}

RemotingCommand SendRequest(const std::string& body) {
  auto req = RemotingCommand::CreateRequest(RequestCode::SEND_MESSAGE_V2);
  req.SetExtField("a", "bench_producer");
  req.SetExtField("b", "BenchTopic");
  req.SetExtField("c", "TBW102");
  req.SetExtFieldInt("d", 4);
  req.SetExtFieldInt("e", 0);
  req.SetExtFieldInt("f", 0);
  req.SetExtFieldInt("g", 1'767'225'600'000);
  req.SetExtFieldInt("h", 0);
  req.SetExtField("i", std::string("UNIQ_KEY\x01" "7F0000010000\x02WAIT\x01true\x02"));
  req.SetExtFieldInt("j", 0);
  req.SetExtFieldBool("k", false);
  req.SetExtFieldBool("m", false);
  req.body = body;
  return req;
}

// Waits until the server answers (it is up).
bool WaitReady(uint16_t port) {
  rmqsim::real::AsioRuntime rt({.node_name = "probe", .trace_to_stderr = false});
  rmqsim::remoting::RemotingClient client(rt);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<bool> ok;
    auto req = RemotingCommand::CreateRequest(RequestCode::UPDATE_AND_CREATE_TOPIC);
    req.SetExtField("topic", "BenchTopic");
    req.SetExtField("defaultTopic", "TBW102");
    req.SetExtFieldInt("readQueueNums", 8);
    req.SetExtFieldInt("writeQueueNums", 8);
    req.SetExtFieldInt("perm", 6);
    req.SetExtField("topicFilterType", "SINGLE_TAG");
    req.SetExtFieldInt("topicSysFlag", 0);
    req.SetExtFieldBool("order", false);
    client.Invoke({"127.0.0.1", port}, std::move(req), rmqsim::seconds(2),
                  [&](rmqsim::StatusOr<RemotingCommand> r) {
                    ok = r.ok() && r->code == ResponseCode::SUCCESS;
                    if (r.ok() && r->code != ResponseCode::SUCCESS) {
                      std::fprintf(stderr, "real_throughput: UPDATE_AND_CREATE_TOPIC: %d %s\n",
                                   r->code, r->remark.value_or("").c_str());
                    }
                  });
    rt.RunUntil([&] { return ok.has_value(); }, rmqsim::seconds(3));
    if (ok.value_or(false)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// One producer: sends for `seconds`, `window` requests in flight (1: sync). Returns answers.
uint64_t Produce(uint16_t port, const std::string& body, int window, double seconds,
                 int queue) {
  rmqsim::real::AsioRuntime rt({.node_name = "producer", .trace_to_stderr = false});
  rmqsim::remoting::RemotingClient client(rt);
  const Address addr{"127.0.0.1", port};
  RemotingCommand proto = SendRequest(body);
  proto.SetExtFieldInt("e", queue % 8);
  uint64_t ok = 0;
  int in_flight = 0;
  bool stopping = false;
  std::function<void()> send_one = [&] {
    ++in_flight;
    client.Invoke(addr, proto, rmqsim::seconds(10), [&](rmqsim::StatusOr<RemotingCommand> r) {
      --in_flight;
      if (r.ok() && r->code == ResponseCode::SUCCESS) ++ok;
      if (!stopping) send_one();
    });
  };
  for (int i = 0; i < window; ++i) send_one();
  rt.RunFor(rmqsim::milliseconds(static_cast<int64_t>(seconds * 1000)));
  stopping = true;
  const uint64_t counted = ok;
  rt.RunUntil([&] { return in_flight == 0; }, rmqsim::seconds(10));
  return counted;
}

double Run(uint16_t port, int producers, const std::string& body, int window, double seconds) {
  std::vector<std::thread> threads;
  std::vector<uint64_t> counts(static_cast<size_t>(producers));
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      counts[static_cast<size_t>(p)] = Produce(port, body, window, seconds, p);
    });
  }
  for (auto& t : threads) t.join();
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return static_cast<double>(total) / seconds;
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"real_throughput: rmq-broker on loopback beside a framed echo server"};
  double seconds = 2;
  std::string producers_text = "1,8", sizes_text = "200,4096";
  int window = 32;
  std::string servers_text = "echo,ASYNC_FLUSH,SYNC_FLUSH";
  app.add_option("--seconds", seconds, "Length of each case")->check(CLI::Range(0.1, 600.0));
  app.add_option("--producers", producers_text, "Producer counts, comma-separated");
  app.add_option("--sizes", sizes_text, "Body sizes in bytes, comma-separated");
  app.add_option("--window", window, "Requests in flight per async producer")
      ->check(CLI::Range(1, 10000));
  app.add_option("--servers", servers_text, "Servers to measure: echo, ASYNC_FLUSH, SYNC_FLUSH");
  CLI11_PARSE(app, argc, argv);
  std::vector<int> producer_counts, sizes;
  try {
    producer_counts = ParseList(producers_text);
    sizes = ParseList(sizes_text);
  } catch (const std::exception&) {
    std::fprintf(stderr, "real_throughput: --producers and --sizes are comma-separated numbers\n");
    return 2;
  }

  std::vector<std::string> kinds;
  {
    std::stringstream in(servers_text);
    std::string k;
    while (std::getline(in, k, ',')) {
      if (k != "echo" && k != "ASYNC_FLUSH" && k != "SYNC_FLUSH") {
        std::fprintf(stderr, "real_throughput: --servers: unknown server '%s'\n", k.c_str());
        return 2;
      }
      kinds.push_back(k);
    }
  }
  // results[kind][(producers, mode, size)] = msg/s
  std::map<std::string, std::map<std::tuple<int, int, int>, double>> results;
  bool failed = false;
  for (const auto& kind : kinds) {
    Server s = StartServer(kind);
    if (!WaitReady(s.port)) {
      std::fprintf(stderr, "real_throughput: the %s server did not come up\n", kind.c_str());
      StopServer(s);
      return 1;
    }
    for (int p : producer_counts) {
      for (int w : {1, window}) {
        for (int size : sizes) {
          double rate = Run(s.port, p, std::string(static_cast<size_t>(size), 'b'), w, seconds);
          results[kind][{p, w, size}] = rate;
          if (rate <= 0) failed = true;
        }
      }
    }
    StopServer(s);
  }
  std::printf("%-10s %-6s %-6s %12s %14s %14s %9s %9s\n", "producers", "mode", "body",
              "echo msg/s", "ASYNC_FLUSH", "SYNC_FLUSH", "async/echo", "sync/echo");
  for (int p : producer_counts) {
    for (int w : {1, window}) {
      for (int size : sizes) {
        const double echo = results["echo"][{p, w, size}];
        const double af = results["ASYNC_FLUSH"][{p, w, size}];
        const double sf = results["SYNC_FLUSH"][{p, w, size}];
        std::printf("%-10d %-6s %-6d %12.0f %14.0f %14.0f %8.0f%% %8.0f%%\n", p,
                    w == 1 ? "sync" : "async", size, echo, af, sf,
                    echo > 0 ? 100 * af / echo : 0.0, echo > 0 ? 100 * sf / echo : 0.0);
      }
    }
  }
  return failed ? 1 : 0;
}
