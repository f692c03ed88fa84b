#include "system/common/admin_bodies.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>

#include "system/common/java_string.h"
#include "system/common/json_internal.h"

namespace rmqsim::common {
namespace {

using json_internal::Json;
using json_internal::ObjectReader;

// ------------------------------------------------------------------ lenient (fastjson) reading

// A JSON reader that also takes fastjson's non-standard object keys: any JSON value may be a
// key (a MessageQueue object, a bare integer). A key that is not a string is kept as its compact
// standard JSON text, which the decoders parse again.
class LenientReader {
 public:
  explicit LenientReader(std::string_view text) : s_(text) {}

  StatusOr<Json> Document(std::string_view what) {
    auto v = Value(0);
    if (!v.ok()) return InvalidArgumentError(std::string(what) + ": " + v.status().message());
    SkipWs();
    if (i_ != s_.size()) {
      return InvalidArgumentError(std::string(what) + ": trailing characters at byte " +
                                  std::to_string(i_));
    }
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  Status Error(std::string_view what) const {
    return InvalidArgumentError("malformed JSON at byte " + std::to_string(i_) + ": " +
                                std::string(what));
  }
  StatusOr<Json> Scalar(std::string_view token) {
    Json j = Json::parse(token, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Error("bad value '" + std::string(token.substr(0, 40)) + "'");
    return j;
  }
  StatusOr<Json> String() {
    size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
    if (j >= s_.size()) return Error("unterminated string");
    auto v = Scalar(s_.substr(i_, j - i_ + 1));
    i_ = j + 1;
    return v;
  }
  StatusOr<Json> Value(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    SkipWs();
    if (i_ >= s_.size()) return Error("unexpected end");
    const char c = s_[i_];
    if (c == '"') return String();
    if (c == '{' || c == '[') {
      const bool object = c == '{';
      const char close = object ? '}' : ']';
      Json out = object ? Json::object() : Json::array();
      ++i_;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == close) {
        ++i_;
        return out;
      }
      while (true) {
        if (object) {
          RMQ_ASSIGN_OR_RETURN(Json key, Value(depth + 1));
          SkipWs();
          if (i_ >= s_.size() || s_[i_] != ':') return Error("expected ':'");
          ++i_;
          RMQ_ASSIGN_OR_RETURN(Json v, Value(depth + 1));
          out[key.is_string() ? key.get<std::string>() : json_internal::Dump(key, false)] =
              std::move(v);
        } else {
          RMQ_ASSIGN_OR_RETURN(Json v, Value(depth + 1));
          out.push_back(std::move(v));
        }
        SkipWs();
        if (i_ >= s_.size()) return Error("unexpected end");
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == close) {
          ++i_;
          return out;
        }
        return Error(object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    size_t j = i_;
    while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '-' ||
                             s_[j] == '+' || s_[j] == '.')) {
      ++j;
    }
    if (j == i_) return Error(std::string("unexpected '") + c + "'");
    auto v = Scalar(s_.substr(i_, j - i_));
    i_ = j;
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

StatusOr<Json> ParseLenient(std::string_view text, std::string_view what) {
  return LenientReader(text).Document(what);
}

// A map keyed by MessageQueue: each member's key is a MessageQueue as JSON text.
template <typename V, typename F>
Status ReadQueueMap(const ObjectReader& r, const char* member, std::map<MessageQueue, V>* out,
                    F&& read_value) {
  RMQ_ASSIGN_OR_RETURN(const Json* table, r.Object(member));
  if (table == nullptr) return Status::Ok();
  for (const auto& [key, value] : table->items()) {
    const std::string path = r.PathOf(member) + "[" + key + "]";
    Json k = Json::parse(key, nullptr, false);
    if (k.is_discarded() || !k.is_object()) {
      return InvalidArgumentError(path + ": the key is not a MessageQueue object");
    }
    MessageQueue mq;
    RMQ_RETURN_IF_ERROR(json_internal::MessageQueueFromJson(k, path, &mq));
    V v{};
    RMQ_RETURN_IF_ERROR(read_value(value, path, &v));
    (*out)[mq] = std::move(v);
  }
  return Status::Ok();
}

// {key:value,...} with MessageQueue keys as fastjson writes them.
template <typename V, typename F>
std::string WriteQueueMap(const std::map<MessageQueue, V>& table, F&& value_json) {
  std::string out = "{";
  for (const auto& [mq, v] : table) {
    if (out.size() > 1) out += ',';
    out += EncodeMessageQueueJson(mq);
    out += ':';
    out += value_json(v);
  }
  return out + "}";
}


}  // namespace

std::string MQVersionDesc(int32_t ordinal) {
  constexpr int32_t kV4_0_0_Snapshot = 212;
  if (ordinal < kV4_0_0_Snapshot) return "ordinal " + std::to_string(ordinal);
  const int32_t i = ordinal - kV4_0_0_Snapshot;
  const int32_t minor_index = i / 20;
  return "V" + std::to_string(4 + minor_index / 10) + "_" + std::to_string(minor_index % 10) + "_" +
         std::to_string((i % 20) / 2) + (i % 2 == 0 ? "_SNAPSHOT" : "");
}

std::string JavaDoubleString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const double a = std::fabs(v);
  if (a == 0 || (a >= 1e-3 && a < 1e7)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // "1.5e+10", "1e-05"
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  int exponent = std::stoi(s.substr(e + 1));
  return mantissa + "E" + std::to_string(exponent);
}

// ------------------------------------------------------------------ TopicStatsTable

std::string EncodeTopicStatsTable(const TopicStatsTable& table) {
  return "{\"offsetTable\":" +
         WriteQueueMap(
             table.offset_table,
             [](const TopicOffset& o) {
               return "{\"lastUpdateTimestamp\":" + std::to_string(o.last_update_timestamp) +
                      ",\"maxOffset\":" + std::to_string(o.max_offset) +
                      ",\"minOffset\":" + std::to_string(o.min_offset) + "}";
             }) +
         "}";
}

StatusOr<TopicStatsTable> DecodeTopicStatsTable(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseLenient(json, "TopicStatsTable"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "TopicStatsTable"));
  TopicStatsTable out;
  RMQ_RETURN_IF_ERROR(
      ReadQueueMap(r, "offsetTable", &out.offset_table,
                   [](const Json& v, const std::string& path, TopicOffset* o) -> Status {
                     RMQ_ASSIGN_OR_RETURN(ObjectReader vr, ObjectReader::Make(v, path));
                     RMQ_RETURN_IF_ERROR(vr.Int64("minOffset", &o->min_offset));
                     RMQ_RETURN_IF_ERROR(vr.Int64("maxOffset", &o->max_offset));
                     return vr.Int64("lastUpdateTimestamp", &o->last_update_timestamp);
                   }));
  return out;
}

// ------------------------------------------------------------------ ConsumeStats

int64_t ConsumeStats::ComputeTotalDiff() const {
  int64_t diff = 0;
  for (const auto& [mq, w] : offset_table) diff += w.broker_offset - w.consumer_offset;
  return diff;
}

std::string EncodeConsumeStats(const ConsumeStats& stats) {
  return "{\"consumeTps\":" + JavaDoubleString(stats.consume_tps) + ",\"offsetTable\":" +
         WriteQueueMap(stats.offset_table,
                       [](const OffsetWrapper& o) {
                         return "{\"brokerOffset\":" + std::to_string(o.broker_offset) +
                                ",\"consumerOffset\":" + std::to_string(o.consumer_offset) +
                                ",\"lastTimestamp\":" + std::to_string(o.last_timestamp) + "}";
                       }) +
         "}";
}

StatusOr<ConsumeStats> DecodeConsumeStats(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseLenient(json, "ConsumeStats"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "ConsumeStats"));
  ConsumeStats out;
  if (const Json* tps = r.Find("consumeTps")) {
    if (!tps->is_number()) return InvalidArgumentError(r.PathOf("consumeTps") + ": not a number");
    out.consume_tps = tps->get<double>();
  }
  RMQ_RETURN_IF_ERROR(
      ReadQueueMap(r, "offsetTable", &out.offset_table,
                   [](const Json& v, const std::string& path, OffsetWrapper* o) -> Status {
                     RMQ_ASSIGN_OR_RETURN(ObjectReader vr, ObjectReader::Make(v, path));
                     RMQ_RETURN_IF_ERROR(vr.Int64("brokerOffset", &o->broker_offset));
                     RMQ_RETURN_IF_ERROR(vr.Int64("consumerOffset", &o->consumer_offset));
                     return vr.Int64("lastTimestamp", &o->last_timestamp);
                   }));
  return out;
}

// ------------------------------------------------------------------ ConsumerConnection

int32_t ConsumerConnection::ComputeMinVersion() const {
  int32_t v = INT32_MAX;
  for (const Connection& c : connection_set) v = std::min(v, c.version);
  return v;
}

std::string EncodeConsumerConnection(const ConsumerConnection& cc) {
  Json j = Json::object();
  j["connectionSet"] = Json::array();
  for (const Connection& c : cc.connection_set) {
    j["connectionSet"].push_back(Json{{"clientAddr", c.client_addr},
                                      {"clientId", c.client_id},
                                      {"language", c.language},
                                      {"version", c.version}});
  }
  j["consumeFromWhere"] = std::string(ConsumeFromWhereName(cc.consume_from_where));
  j["consumeType"] = std::string(ConsumeTypeName(cc.consume_type));
  j["messageModel"] = std::string(MessageModelName(cc.message_model));
  j["subscriptionTable"] = Json::object();
  for (const auto& [topic, s] : cc.subscription_table) {
    j["subscriptionTable"][topic] = json_internal::SubscriptionToJson(s);
  }
  return json_internal::Dump(j, false);
}

StatusOr<ConsumerConnection> DecodeConsumerConnection(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseLenient(json, "ConsumerConnection"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "ConsumerConnection"));
  ConsumerConnection out;
  RMQ_ASSIGN_OR_RETURN(const Json* set, r.Array("connectionSet"));
  if (set != nullptr) {
    for (size_t i = 0; i < set->size(); ++i) {
      RMQ_ASSIGN_OR_RETURN(
          ObjectReader cr,
          ObjectReader::Make((*set)[i], r.PathOf("connectionSet") + "[" + std::to_string(i) + "]"));
      Connection c;
      RMQ_RETURN_IF_ERROR(cr.String("clientId", &c.client_id));
      RMQ_RETURN_IF_ERROR(cr.String("clientAddr", &c.client_addr));
      RMQ_RETURN_IF_ERROR(cr.String("language", &c.language));
      RMQ_RETURN_IF_ERROR(cr.Int32("version", &c.version));
      out.connection_set.push_back(std::move(c));
    }
  }
  std::string name;
  if (r.Find("consumeType") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("consumeType", &name));
    RMQ_ASSIGN_OR_RETURN(out.consume_type, ParseConsumeType(name));
  }
  if (r.Find("messageModel") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("messageModel", &name));
    RMQ_ASSIGN_OR_RETURN(out.message_model, ParseMessageModel(name));
  }
  if (r.Find("consumeFromWhere") != nullptr) {
    RMQ_RETURN_IF_ERROR(r.String("consumeFromWhere", &name));
    RMQ_ASSIGN_OR_RETURN(out.consume_from_where, ParseConsumeFromWhere(name));
  }
  RMQ_ASSIGN_OR_RETURN(const Json* subs, r.Object("subscriptionTable"));
  if (subs != nullptr) {
    for (const auto& [topic, v] : subs->items()) {
      SubscriptionData s;
      RMQ_RETURN_IF_ERROR(json_internal::SubscriptionFromJson(
          v, r.PathOf("subscriptionTable") + "." + topic, &s));
      out.subscription_table[topic] = std::move(s);
    }
  }
  return out;
}

// ------------------------------------------------------------------ ResetOffsetBody, GroupList

std::string EncodeResetOffsetBody(const ResetOffsetBody& body) {
  return "{\"offsetTable\":" +
         WriteQueueMap(body.offset_table, [](int64_t v) { return std::to_string(v); }) + "}";
}

StatusOr<ResetOffsetBody> DecodeResetOffsetBody(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseLenient(json, "ResetOffsetBody"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "ResetOffsetBody"));
  ResetOffsetBody out;
  RMQ_RETURN_IF_ERROR(ReadQueueMap(r, "offsetTable", &out.offset_table,
                                   [](const Json& v, const std::string& path, int64_t* o) {
                                     return json_internal::AsInt64(v, path, o);
                                   }));
  return out;
}

std::string EncodeGroupList(const std::set<std::string>& groups) {
  Json j = Json::object();
  j["groupList"] = Json::array();
  for (const auto& g : groups) j["groupList"].push_back(g);
  return json_internal::Dump(j, false);
}

StatusOr<std::set<std::string>> DecodeGroupList(std::string_view json) {
  RMQ_ASSIGN_OR_RETURN(Json j, ParseLenient(json, "GroupList"));
  RMQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(j, "GroupList"));
  std::set<std::string> out;
  RMQ_ASSIGN_OR_RETURN(const Json* list, r.Array("groupList"));
  if (list != nullptr) {
    for (size_t i = 0; i < list->size(); ++i) {
      std::string g;
      RMQ_RETURN_IF_ERROR(json_internal::AsString(
          (*list)[i], r.PathOf("groupList") + "[" + std::to_string(i) + "]", &g));
      out.insert(std::move(g));
    }
  }
  return out;
}

// ------------------------------------------------------------------ Properties text

std::string PropertiesToString(const std::map<std::string, std::string>& properties) {
  std::string out;
  for (const auto& [k, v] : properties) out += k + "=" + v + "\n";
  return out;
}

namespace {
// The key of a properties line ("" for a blank or comment line), as StringToProperties reads it.
std::string_view PropertiesLineKey(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  line = JavaTrim(line);
  if (line.empty() || line[0] == '#' || line[0] == '!') return {};
  return line.substr(0, line.find_first_of("=: \t"));
}
}  // namespace

std::string UpdatePropertiesText(std::string_view text,
                                 const std::map<std::string, std::string>& updates) {
  std::string out;
  std::set<std::string, std::less<>> seen;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::string_view key = PropertiesLineKey(line);
    auto it = key.empty() ? updates.end() : updates.find(std::string(key));
    if (it != updates.end()) {
      out += it->first + "=" + it->second;
      seen.insert(it->first);
    } else {
      out += line;
    }
    out += '\n';
  }
  for (const auto& [key, value] : updates) {
    if (!seen.contains(key)) out += key + "=" + value + "\n";
  }
  return out;
}

StatusOr<std::map<std::string, std::string>> StringToProperties(std::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = JavaTrim(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    if (line.back() == '\\') {
      return InvalidArgumentError("properties line " + std::to_string(line_no) +
                                  ": continuation lines are not supported");
    }
    size_t sep = line.find_first_of("=: \t");
    std::string_view key = line.substr(0, sep);
    std::string_view value;
    if (sep != std::string_view::npos) {
      value = JavaTrim(line.substr(sep + 1));
      if (line[sep] == ' ' || line[sep] == '\t') {
        // "key = value": the '=' or ':' after the blanks is the separator.
        if (!value.empty() && (value[0] == '=' || value[0] == ':')) {
          value = JavaTrim(value.substr(1));
        }
      }
    }
    out[std::string(key)] = std::string(value);
  }
  return out;
}

}  // namespace rmqsim::common
