// rmq-proxy's configuration file (proxy_file.proto, Protobuf text format) -> ProxyConfig.
#pragma once

#include <string>
#include <string_view>

#include "sim/base/status.h"
#include "system/proxy/proxy_config.h"

namespace rmqsim::node {

// Parses `text` (named `origin` in errors) and checks it. Errors name the file, the line and
// column, and the field ("proxy.textproto:7:3: routes[0].cluster: no cluster named 'x'").
StatusOr<proxy::ProxyConfig> ParseProxyFile(std::string_view text, const std::string& origin);

}  // namespace rmqsim::node
