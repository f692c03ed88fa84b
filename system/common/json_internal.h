// INTERNAL to system/common: nlohmann::json helpers shared by the JSON codecs. Only .cc files of
// this folder include it, which keeps nlohmann/json.hpp out of the public headers.
//
// Reading follows fastjson's tolerance where real clients rely on it: a missing or null member
// keeps the field's default; integers may come as JSON numbers or decimal strings; booleans as
// true/false or "true"/"false". Errors are kInvalidArgument and name the JSON path.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {
struct TopicConfig;
struct MessageQueue;
struct SubscriptionData;
}  // namespace rmqsim::common

namespace rmqsim::common::json_internal {

using Json = nlohmann::json;

// Parses `text`; a syntax error names `what` and nlohmann's position message.
StatusOr<Json> Parse(std::string_view text, std::string_view what);
// Compact output. ensure_ascii writes non-ASCII as \uXXXX (fastjson BrowserCompatible); otherwise
// UTF-8 is written raw (fastjson default). Invalid UTF-8 is replaced by U+FFFD, never thrown.
std::string Dump(const Json& j, bool ensure_ascii);
// fastjson's default output writes integer map keys bare: {0:"a"}. Quotes every object key that
// is a bare (optionally negative) integer so a standard parser accepts it. String contents are
// left alone.
std::string QuoteBareIntegerKeys(std::string_view text);

Status AsString(const Json& v, const std::string& path, std::string* out);
Status AsInt32(const Json& v, const std::string& path, int32_t* out);
Status AsInt64(const Json& v, const std::string& path, int64_t* out);
Status AsBool(const Json& v, const std::string& path, bool* out);

// Reads members of one JSON object.
class ObjectReader {
 public:
  // kInvalidArgument unless `j` is an object.
  static StatusOr<ObjectReader> Make(const Json& j, std::string path);

  // Missing or null members leave *out unchanged, unless `required`.
  Status String(const char* key, std::string* out, bool required = false) const;
  Status Int32(const char* key, int32_t* out, bool required = false) const;
  Status Int64(const char* key, int64_t* out, bool required = false) const;
  Status Bool(const char* key, bool* out, bool required = false) const;
  // The member if it is an array / object; nullptr if missing or null (an error if required).
  StatusOr<const Json*> Array(const char* key, bool required = false) const;
  StatusOr<const Json*> Object(const char* key, bool required = false) const;
  // The member, or nullptr if missing or null.
  const Json* Find(const char* key) const;
  std::string PathOf(std::string_view key) const { return path_ + "." + std::string(key); }
  const std::string& path() const { return path_; }

 private:
  ObjectReader(const Json* j, std::string path) : j_(j), path_(std::move(path)) {}
  Status Missing(const char* key) const;

  const Json* j_;
  std::string path_;
};

// Writes one JSON object member by member, in the order given (callers give keys sorted, as
// fastjson does), with values either as Json or as already-serialized text.
class ObjectWriter {
 public:
  explicit ObjectWriter(bool ensure_ascii) : ensure_ascii_(ensure_ascii) {}
  void Raw(std::string_view key, std::string_view json_text);
  void Value(std::string_view key, const Json& v);
  std::string Finish();

 private:
  bool ensure_ascii_;
  std::string out_ = "{";
};

// Conversions shared between codecs. The FromJson functions leave *out unchanged on error; for
// TopicConfig, members missing from the JSON keep the values *out had.
Json TopicConfigToJson(const TopicConfig& c);
Status TopicConfigFromJson(const Json& j, const std::string& path, TopicConfig* out);
Json MessageQueueToJson(const MessageQueue& q);
Status MessageQueueFromJson(const Json& j, const std::string& path, MessageQueue* out);

// SubscriptionData as Java's fastjson writes it (heartbeats, consumer connection lists), and back.
Json SubscriptionToJson(const SubscriptionData& s);
Status SubscriptionFromJson(const Json& j, const std::string& path, SubscriptionData* out);

}  // namespace rmqsim::common::json_internal
