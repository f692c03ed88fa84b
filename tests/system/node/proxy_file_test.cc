// rmq-proxy's configuration file: every field reaches ProxyConfig, defaults apply, and each kind
// of mistake is refused with the file, line, column and field.
#include "system/node/proxy_file.h"

#include <gtest/gtest.h>

namespace rmqsim::node {
namespace {

constexpr const char* kGood = R"(
listen: "127.0.0.1:10000"
admin: "127.0.0.1:9901"
stat_prefix: "edge"
develop_mode: true
request_timeout: "10s"
routes { exact: "TopicA" headers { key: "code" value: "310" } cluster: "east" }
routes { prefix: "" cluster: "east" metadata_match { key: "broker_id" value: "0" } }
clusters {
  name: "east"
  maintenance: true
  hosts { address: "10.0.0.2:10911" broker_name: "broker-a" }
  hosts { address: "10.0.0.3:10911" broker_name: "broker-a" broker_id: 1 perm: 4 }
}
)";

TEST(ProxyFileTest, EveryFieldArrives) {
  auto c = ParseProxyFile(kGood, "p.textproto");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen.ToString(), "127.0.0.1:10000");
  EXPECT_EQ(c->admin->ToString(), "127.0.0.1:9901");
  EXPECT_EQ(c->stat_prefix, "edge");
  EXPECT_TRUE(c->develop_mode);
  EXPECT_EQ(c->request_timeout, seconds(10));
  EXPECT_EQ(c->transient_object_life_span, seconds(30));
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes[0].topic.kind, proxy::StringMatch::Kind::kExact);
  EXPECT_EQ(c->routes[0].headers.at(0).name, "code");
  EXPECT_EQ(c->routes[1].metadata_match.at("broker_id"), "0");
  const proxy::Cluster& east = c->clusters.at("east");
  EXPECT_TRUE(east.maintenance);
  ASSERT_EQ(east.hosts.size(), 2u);
  EXPECT_EQ(east.hosts[0].cluster_name, "DefaultCluster");
  EXPECT_EQ(east.hosts[0].write_queue_num, 4);
  EXPECT_EQ(east.hosts[0].perm, 6);
  EXPECT_EQ(east.hosts[1].broker_id, 1);
  EXPECT_EQ(east.hosts[1].perm, 4);
}

TEST(ProxyFileTest, MistakesNameTheFileLineAndField) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"listen: \"nowhere\"\n", "p.textproto:1:1: listen: invalid address"},
      {"\n\nroutes { cluster: \"missing\" }\n", "p.textproto:3:10: routes[0].cluster: no cluster named 'missing'"},
      {"clusters { name: \"c\" hosts { broker_name: \"b\" address: \"1.2.3.4\" } }\n",
       "clusters[0].hosts[0].address"},
      {"clusters { name: \"c\" hosts { address: \"1.2.3.4:1\" } }\n",
       "clusters[0].hosts[0].broker_name: missing"},
      {"request_timeout: \"soon\"\n", "p.textproto:1:1: request_timeout: bad duration"},
      {"colour: 3\n", "p.textproto:1:7:"},
      {"clusters { name: \"c\" } clusters { name: \"c\" }\n", "clusters[1].name: 'c' defined twice"},
      {"clusters { name: \"c\" }\nroutes { cluster: \"c\" headers { key: \"x\" value: \"1\" } }\n",
       "routes[0].headers: unknown header 'x'"},
      {"develop_mode: true listen: \"0.0.0.0:10000\"\n", "advertise"},
      {"stat_prefix: \"\" transient_object_life_span: \"0s\"\n", "transient_object_life_span"},
  };
  for (const Case& c : cases) {
    auto r = ParseProxyFile(c.text, "p.textproto");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace rmqsim::node
