#include "system/node/proxy_file.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <vector>

#include "system/node/proxy_file.pb.h"

namespace rmqsim::node {

namespace pb = google::protobuf;

namespace {

class Errors final : public pb::io::ErrorCollector {
 public:
  explicit Errors(std::string origin) : origin_(std::move(origin)) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) {
      first_ = origin_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
               message;
    }
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    AddError(line, column, message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string origin_;
  std::string first_;
};

// "origin:line:column: " of a field (of the message `tree` describes), or "origin: ".
std::string At(const std::string& origin, const pb::TextFormat::ParseInfoTree* tree,
               const pb::Message& m, const char* field, int index = -1) {
  if (tree != nullptr) {
    const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(field);
    if (f != nullptr) {
      if (f->is_repeated() && index < 0) index = 0;  // a map: its first entry
      if (!f->is_repeated()) index = -1;
      auto loc = tree->GetLocation(f, index);
      if (loc.line >= 0) {
        return origin + ":" + std::to_string(loc.line + 1) + ":" + std::to_string(loc.column + 1) +
               ": ";
      }
    }
  }
  return origin + ": ";
}

}  // namespace

StatusOr<proxy::ProxyConfig> ParseProxyFile(std::string_view text, const std::string& origin) {
  proxyfile::ProxyFile file;
  pb::TextFormat::Parser parser;
  Errors errors(origin);
  pb::TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &file)) {
    return InvalidArgumentError(errors.first().empty() ? origin + ": cannot parse"
                                                       : errors.first());
  }
  proxy::ProxyConfig c;
  auto fail = [&](const pb::TextFormat::ParseInfoTree* t, const pb::Message& m, const char* field,
                  int index, const std::string& path, const std::string& msg) {
    return InvalidArgumentError(At(origin, t, m, field, index) + path + ": " + msg);
  };
  auto address = [&](const std::string& value, const pb::TextFormat::ParseInfoTree* t,
                     const pb::Message& m, const char* field,
                     const std::string& path) -> StatusOr<Address> {
    auto a = Address::Parse(value);
    if (!a.ok()) return fail(t, m, field, -1, path, a.status().message());
    return *a;
  };
  auto duration = [&](const std::string& value, Duration dflt,
                      const pb::TextFormat::ParseInfoTree* t, const pb::Message& m,
                      const char* field, const std::string& path) -> StatusOr<Duration> {
    if (value.empty()) return dflt;
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(t, m, field, -1, path, "bad duration \"" + value + "\"");
    return *d;
  };
  c.listen = Address{"127.0.0.1", 10000};
  if (!file.listen().empty()) {
    RMQ_ASSIGN_OR_RETURN(c.listen, address(file.listen(), &tree, file, "listen", "listen"));
  }
  if (!file.admin().empty()) {
    RMQ_ASSIGN_OR_RETURN(c.admin, address(file.admin(), &tree, file, "admin", "admin"));
  }
  if (!file.advertise().empty()) {
    RMQ_ASSIGN_OR_RETURN(c.advertise,
                         address(file.advertise(), &tree, file, "advertise", "advertise"));
  }
  if (!file.stat_prefix().empty()) c.stat_prefix = file.stat_prefix();
  c.develop_mode = file.develop_mode();
  RMQ_ASSIGN_OR_RETURN(c.transient_object_life_span,
                       duration(file.transient_object_life_span(), seconds(30), &tree, file,
                                "transient_object_life_span", "transient_object_life_span"));
  RMQ_ASSIGN_OR_RETURN(c.request_timeout,
                       duration(file.request_timeout(), Duration::zero(), &tree, file,
                                "request_timeout", "request_timeout"));
  for (int i = 0; i < file.clusters_size(); ++i) {
    const proxyfile::Cluster& fc = file.clusters(i);
    const auto* ct = tree.GetTreeForNested(file.GetDescriptor()->FindFieldByName("clusters"), i);
    const std::string path = "clusters[" + std::to_string(i) + "]";
    if (fc.name().empty()) return fail(&tree, file, "clusters", i, path + ".name", "missing");
    if (c.clusters.contains(fc.name())) {
      return fail(ct, fc, "name", -1, path + ".name", "'" + fc.name() + "' defined twice");
    }
    proxy::Cluster cl;
    cl.name = fc.name();
    cl.maintenance = fc.maintenance();
    RMQ_ASSIGN_OR_RETURN(cl.connect_timeout,
                         duration(fc.connect_timeout(), seconds(1), ct, fc, "connect_timeout",
                                  path + ".connect_timeout"));
    for (int j = 0; j < fc.hosts_size(); ++j) {
      const proxyfile::Host& fh = fc.hosts(j);
      const auto* ht =
          ct == nullptr ? nullptr
                        : ct->GetTreeForNested(fc.GetDescriptor()->FindFieldByName("hosts"), j);
      const std::string hpath = path + ".hosts[" + std::to_string(j) + "]";
      proxy::Host h;
      RMQ_ASSIGN_OR_RETURN(h.address, address(fh.address(), ht, fh, "address", hpath + ".address"));
      if (fh.broker_name().empty()) {
        return fail(ct, fc, "hosts", j, hpath + ".broker_name", "missing");
      }
      h.broker_name = fh.broker_name();
      h.broker_id = fh.broker_id();
      h.cluster_name = fh.cluster_name().empty() ? "DefaultCluster" : fh.cluster_name();
      h.read_queue_num = fh.read_queue_num() == 0 ? 4 : fh.read_queue_num();
      h.write_queue_num = fh.write_queue_num() == 0 ? 4 : fh.write_queue_num();
      h.perm = fh.perm() == 0 ? 6 : fh.perm();
      cl.hosts.push_back(std::move(h));
    }
    c.clusters[cl.name] = std::move(cl);
  }
  for (int i = 0; i < file.routes_size(); ++i) {
    const proxyfile::Route& fr = file.routes(i);
    const auto* rt = tree.GetTreeForNested(file.GetDescriptor()->FindFieldByName("routes"), i);
    const std::string path = "routes[" + std::to_string(i) + "]";
    proxy::Route r;
    using K = proxy::StringMatch::Kind;
    switch (fr.topic_case()) {
      case proxyfile::Route::kExact: r.topic = {K::kExact, fr.exact()}; break;
      case proxyfile::Route::kPrefix: r.topic = {K::kPrefix, fr.prefix()}; break;
      case proxyfile::Route::kSuffix: r.topic = {K::kSuffix, fr.suffix()}; break;
      case proxyfile::Route::kContains: r.topic = {K::kContains, fr.contains()}; break;
      case proxyfile::Route::TOPIC_NOT_SET: r.topic = {K::kPrefix, ""}; break;
    }
    for (const auto& [k, v] : fr.headers()) {
      if (k != "code" && k != "broker_name" && k != "broker_id") {
        return fail(rt, fr, "headers", -1, path + ".headers",
                    "unknown header '" + k + "' (code, broker_name, broker_id)");
      }
    }
    // Map entries iterate in an unspecified order: sort them for a stable configuration.
    std::map<std::string, std::string> headers(fr.headers().begin(), fr.headers().end());
    for (const auto& [k, v] : headers) r.headers.push_back({k, v});
    r.metadata_match = std::map<std::string, std::string>(fr.metadata_match().begin(),
                                                          fr.metadata_match().end());
    if (fr.cluster().empty()) return fail(&tree, file, "routes", i, path + ".cluster", "missing");
    if (!c.clusters.contains(fr.cluster())) {
      return fail(rt, fr, "cluster", -1, path + ".cluster",
                  "no cluster named '" + fr.cluster() + "'");
    }
    r.cluster = fr.cluster();
    c.routes.push_back(std::move(r));
  }
  for (int i = 0; i < file.broker_listen_size(); ++i) {
    const proxyfile::BrokerListen& fb = file.broker_listen(i);
    const auto* bt =
        tree.GetTreeForNested(file.GetDescriptor()->FindFieldByName("broker_listen"), i);
    const std::string path = "broker_listen[" + std::to_string(i) + "]";
    if (fb.broker_name().empty()) {
      return fail(&tree, file, "broker_listen", i, path + ".broker_name", "missing");
    }
    if (c.broker_listen.contains(fb.broker_name())) {
      return fail(bt, fb, "broker_name", -1, path + ".broker_name",
                  "'" + fb.broker_name() + "' listed twice");
    }
    RMQ_ASSIGN_OR_RETURN(c.broker_listen[fb.broker_name()],
                         address(fb.address(), bt, fb, "address", path + ".address"));
  }
  if (Status st = c.Validate(); !st.ok()) return InvalidArgumentError(origin + ": " + st.message());
  return c;
}

}  // namespace rmqsim::node
