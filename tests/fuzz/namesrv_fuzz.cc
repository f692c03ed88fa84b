// libFuzzer target: the name server's request handling (system/namesrv, through
// system/remoting). Each input is a script of writes over simulated connections to a NameServer
// in a fresh world; see sim_server_fuzz.h for the input format and the checks,
// docs/fuzzing.md for how to run it.
//
//   RMQ_FUZZ_WRITE_SEEDS=<dir> ./namesrv_fuzz   writes the seed inputs (tests/fuzz/corpus/) and exits
#include <cstdlib>
#include <string>
#include <vector>

#include "system/common/checksum.h"
#include "system/common/register_broker_body.h"
#include "system/namesrv/name_server.h"
#include "system/remoting/codes.h"
#include "tests/fuzz/sim_server_fuzz.h"

namespace {

using rmqsim::remoting::RemotingCommand;
using rmqsim::remoting::RequestCode;
using rmqsim::remoting::SerializeType;
namespace common = rmqsim::common;
namespace fuzz = rmqsim::fuzz;

const rmqsim::Address kNamesrv{"10.0.0.1", 9876};

fuzz::ServerUnderTest Server() {
  return {.name = "namesrv",
          .address = kNamesrv,
          .factory =
              [](rmqsim::Runtime& rt) {
                return std::make_unique<rmqsim::namesrv::NameServer>(
                    rt, rmqsim::namesrv::NamesrvConfig{.listen = {"0.0.0.0", 9876}});
              },
          // Unknown codes get no answer from a 4.9.8 name server: probe with a known one.
          .probe = [] {
            return RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
          }};
}

RemotingCommand Register(const std::string& broker, int64_t id, const std::string& addr,
                         const std::vector<std::string>& topics) {
  common::RegisterBrokerBody body;
  body.topic_config_serialize_wrapper.data_version = {.timestamp = 1767225600000, .counter = 3};
  for (const auto& t : topics) {
    common::TopicConfig c;
    c.topic_name = t;
    c.read_queue_nums = 4;
    c.write_queue_nums = 4;
    body.topic_config_serialize_wrapper.topic_config_table[t] = c;
  }
  auto req = RemotingCommand::CreateRequest(RequestCode::REGISTER_BROKER);
  req.SetExtField("brokerName", broker);
  req.SetExtField("brokerAddr", addr);
  req.SetExtField("clusterName", "DefaultCluster");
  req.SetExtField("haServerAddr", "10.0.0.2:10912");
  req.SetExtFieldInt("brokerId", id);
  req.SetExtFieldBool("compressed", false);
  req.body = common::EncodeRegisterBrokerBody(body);
  req.SetExtFieldInt("bodyCrc32", common::Crc32Masked(common::AsByteSpan(req.body)));
  return req;
}

RemotingCommand Unregister(const std::string& broker, int64_t id, const std::string& addr) {
  auto req = RemotingCommand::CreateRequest(RequestCode::UNREGISTER_BROKER);
  req.SetExtField("brokerName", broker);
  req.SetExtField("brokerAddr", addr);
  req.SetExtField("clusterName", "DefaultCluster");
  req.SetExtFieldInt("brokerId", id);
  return req;
}

RemotingCommand Route(const std::string& topic, int32_t version = -1) {
  auto req = RemotingCommand::CreateRequest(RequestCode::GET_ROUTEINFO_BY_TOPIC);
  req.SetExtField("topic", topic);
  if (version >= 0) req.version = version;
  return req;
}

RemotingCommand Kv(int32_t code, const std::string& key, const std::string& value = "") {
  auto req = RemotingCommand::CreateRequest(code);
  req.SetExtField("namespace", "ORDER_TOPIC_CONFIG");
  req.SetExtField("key", key);
  if (code == RequestCode::PUT_KV_CONFIG) req.SetExtField("value", value);
  return req;
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const auto as = [](RemotingCommand c, SerializeType t) {
    c.serialize_type = t;
    return c;
  };
  for (SerializeType t : {SerializeType::JSON, SerializeType::ROCKETMQ}) {
    seeds.push_back(
        fuzz::FrameRecord(as(Register("broker-a", 0, "10.0.0.2:10911", {"T", "TBW102"}), t)) +
        fuzz::FrameRecord(as(Route("T"), t)) +
        fuzz::FrameRecord(as(RemotingCommand::CreateRequest(RequestCode::GET_BROKER_CLUSTER_INFO),
                             t)));
  }
  // A master and its slave, the old-client route dialect, the topic list, then the slave leaves.
  seeds.push_back(
      fuzz::FrameRecord(Register("broker-a", 0, "10.0.0.2:10911", {"T"})) +
      fuzz::FrameRecord(Register("broker-a", 1, "10.0.0.3:10911", {"T"})) +
      fuzz::FrameRecord(Register("broker-b", 0, "10.0.0.4:10911", {"T", "U"})) +
      fuzz::FrameRecord(Route("T", 100)) +
      fuzz::FrameRecord(
          RemotingCommand::CreateRequest(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER)) +
      fuzz::FrameRecord(Unregister("broker-a", 1, "10.0.0.3:10911")) +
      fuzz::FrameRecord(Route("T")));
  // KV config (order topics).
  seeds.push_back(fuzz::FrameRecord(Kv(RequestCode::PUT_KV_CONFIG, "T", "broker-a:4")) +
                  fuzz::FrameRecord(Kv(RequestCode::GET_KV_CONFIG, "T")) +
                  fuzz::FrameRecord(Register("broker-a", 0, "10.0.0.2:10911", {"T"})) +
                  fuzz::FrameRecord(Route("T")) +
                  fuzz::FrameRecord(Kv(RequestCode::DELETE_KV_CONFIG, "T")) +
                  fuzz::FrameRecord(Kv(RequestCode::GET_KV_CONFIG, "T")));
  // The registering channel closes (its routes go), another expires after 120 s.
  seeds.push_back(fuzz::FrameRecord(Register("broker-a", 0, "10.0.0.2:10911", {"T"})) +
                  fuzz::ReconnectRecord(true) + fuzz::FrameRecord(Route("T")) +
                  fuzz::FrameRecord(Register("broker-b", 0, "10.0.0.4:10911", {"T"})) +
                  fuzz::WaitRecord(60000) + fuzz::WaitRecord(60000) + fuzz::WaitRecord(10000) +
                  fuzz::FrameRecord(Route("T")));
  // Raw: a split frame, and an unknown code (no answer).
  {
    auto frame = *Route("TBW102").Encode();
    seeds.push_back(fuzz::RawRecord(frame.substr(0, 5)) + fuzz::RawRecord(frame.substr(5)) +
                    fuzz::FrameRecord(RemotingCommand::CreateRequest(12345)));
  }
  return seeds;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("RMQ_FUZZ_WRITE_SEEDS")) {
    fuzz::WriteSeeds("namesrv_fuzz", dir, Seeds());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ServerUnderTest server = Server();
  fuzz::RunServerInput(server, data, size);
  return 0;
}
