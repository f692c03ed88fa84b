#include "system/common/json_internal.h"

#include "system/common/java_string.h"

namespace rmqsim::common::json_internal {
namespace {

std::string TypeOf(const Json& v) {
  if (v.is_string()) return "string " + Dump(v, true);
  if (v.is_number_integer()) return "integer " + v.dump();
  if (v.is_number_float()) return "number " + v.dump();
  return std::string(v.type_name());
}

Status WrongType(const std::string& path, std::string_view expected, const Json& v) {
  return InvalidArgumentError(path + ": expected " + std::string(expected) + ", saw " + TypeOf(v));
}

}  // namespace

StatusOr<Json> Parse(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return InvalidArgumentError(std::string(what) + ": malformed JSON: " + e.what());
  }
}

std::string Dump(const Json& j, bool ensure_ascii) {
  try {
    return j.dump(-1, ' ', ensure_ascii, Json::error_handler_t::replace);
  } catch (const Json::exception& e) {
    // Not reachable with error_handler_t::replace; keep exceptions inside this folder anyway.
    RMQ_ASSERT_MSG(false, std::string("JSON dump failed: ") + e.what());
    return "null";
  }
}

std::string QuoteBareIntegerKeys(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  bool expect_key = false;  // just after '{' or ',' (outside strings)
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      expect_key = false;
      out += c;
      ++i;
      continue;
    }
    if (c == '{' || c == ',') {
      expect_key = true;
      out += c;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      out += c;
      ++i;
      continue;
    }
    if (expect_key && (c == '-' || (c >= '0' && c <= '9'))) {
      size_t j = i + (c == '-' ? 1 : 0);
      const size_t digits_start = j;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      size_t k = j;
      while (k < text.size() &&
             (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r')) {
        ++k;
      }
      if (j > digits_start && k < text.size() && text[k] == ':') {
        out += '"';
        out.append(text.substr(i, j - i));
        out += '"';
        i = j;
        expect_key = false;
        continue;
      }
    }
    expect_key = false;
    out += c;
    ++i;
  }
  return out;
}

Status AsString(const Json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return WrongType(path, "a string", v);
  *out = v.get<std::string>();
  return Status::Ok();
}

Status AsInt64(const Json& v, const std::string& path, int64_t* out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgumentError(path + ": " + v.dump() + " is out of range for a Java long");
    }
    *out = static_cast<int64_t>(u);
    return Status::Ok();
  }
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return Status::Ok();
  }
  if (v.is_string()) {
    auto parsed = ParseJavaLong(v.get<std::string>(), path);
    if (!parsed.ok()) return parsed.status();
    *out = *parsed;
    return Status::Ok();
  }
  return WrongType(path, "an integer", v);
}

Status AsInt32(const Json& v, const std::string& path, int32_t* out) {
  if (v.is_string()) {
    auto parsed = ParseJavaInt(v.get<std::string>(), path);
    if (!parsed.ok()) return parsed.status();
    *out = *parsed;
    return Status::Ok();
  }
  int64_t wide = 0;
  RMQ_RETURN_IF_ERROR(AsInt64(v, path, &wide));
  if (wide < INT32_MIN || wide > INT32_MAX) {
    return InvalidArgumentError(path + ": " + std::to_string(wide) +
                                " is out of range for a Java int");
  }
  *out = static_cast<int32_t>(wide);
  return Status::Ok();
}

Status AsBool(const Json& v, const std::string& path, bool* out) {
  if (v.is_boolean()) {
    *out = v.get<bool>();
    return Status::Ok();
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "true" || s == "false") {
      *out = s == "true";
      return Status::Ok();
    }
  }
  return WrongType(path, "a boolean", v);
}

StatusOr<ObjectReader> ObjectReader::Make(const Json& j, std::string path) {
  if (!j.is_object()) return WrongType(path, "an object", j);
  return ObjectReader(&j, std::move(path));
}

const Json* ObjectReader::Find(const char* key) const {
  auto it = j_->find(key);
  if (it == j_->end() || it->is_null()) return nullptr;
  return &*it;
}

Status ObjectReader::Missing(const char* key) const {
  return InvalidArgumentError(PathOf(key) + ": required member is missing");
}

Status ObjectReader::String(const char* key, std::string* out, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  return AsString(*v, PathOf(key), out);
}

Status ObjectReader::Int32(const char* key, int32_t* out, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  return AsInt32(*v, PathOf(key), out);
}

Status ObjectReader::Int64(const char* key, int64_t* out, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  return AsInt64(*v, PathOf(key), out);
}

Status ObjectReader::Bool(const char* key, bool* out, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  return AsBool(*v, PathOf(key), out);
}

StatusOr<const Json*> ObjectReader::Array(const char* key, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) {
    if (required) return Missing(key);
    return static_cast<const Json*>(nullptr);
  }
  if (!v->is_array()) return WrongType(PathOf(key), "an array", *v);
  return v;
}

StatusOr<const Json*> ObjectReader::Object(const char* key, bool required) const {
  const Json* v = Find(key);
  if (v == nullptr) {
    if (required) return Missing(key);
    return static_cast<const Json*>(nullptr);
  }
  if (!v->is_object()) return WrongType(PathOf(key), "an object", *v);
  return v;
}

void ObjectWriter::Raw(std::string_view key, std::string_view json_text) {
  if (out_.size() > 1) out_ += ',';
  out_ += Dump(Json(std::string(key)), ensure_ascii_);
  out_ += ':';
  out_.append(json_text);
}

void ObjectWriter::Value(std::string_view key, const Json& v) {
  Raw(key, Dump(v, ensure_ascii_));
}

std::string ObjectWriter::Finish() {
  out_ += '}';
  return std::move(out_);
}

}  // namespace rmqsim::common::json_internal
