// Java .properties files, as RocketMQ's broker.conf and namesrv.properties are read
// (MixAll.properties2Object): `key=value` or `key: value` lines, `#` and `!` comments, blank
// lines ignored, surrounding whitespace trimmed. Errors name the file, the line and the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::node {

class PropertiesFile {
 public:
  // Parses text; `origin` names it in errors ("broker.conf").
  static StatusOr<PropertiesFile> Parse(std::string_view text, std::string origin);

  const std::string& origin() const { return origin_; }
  bool Has(std::string_view key) const { return values_.contains(std::string(key)); }
  std::optional<std::string> GetString(std::string_view key) const;
  // Typed getters: absent -> nullopt; present but malformed -> an error naming file:line:key.
  StatusOr<std::optional<int64_t>> GetInt(std::string_view key) const;
  StatusOr<std::optional<bool>> GetBool(std::string_view key) const;
  // Keys in the file that are not in `known` (so a typo is reported, not silently ignored).
  std::vector<std::string> UnknownKeys(const std::vector<std::string_view>& known) const;
  std::string Where(std::string_view key) const;  // "broker.conf:12 (brokerId)"

 private:
  struct Entry {
    std::string value;
    int line = 0;
  };
  std::string origin_;
  std::map<std::string, Entry> values_;
};

}  // namespace rmqsim::node
