// The JSON header (serialization type 0). The only file of the remoting layer that includes
// nlohmann/json.hpp.
//
// Writing: by hand, to match fastjson's bytes exactly (see AppendJsonHeader).
// Reading: first a hand-written scanner for what clients actually send (one flat object: string
// keys, integer / string / literal values, an extFields object of strings), which either
// produces exactly what the general path would or gives up; then, if it gave up, the general
// path: nlohmann's SAX parser feeding a small state machine that fills the RemotingCommand
// directly. No DOM is built, so memory stays proportional to the strings kept, and values of
// unknown keys (however deeply nested) are skipped without being stored. Every error message
// comes from the general path. tests/system/remoting/json_header_fast_test.cc checks the two
// agree.
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "system/remoting/remoting_command.h"

namespace rmqsim::remoting {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void AppendUnicodeEscape(unsigned code_point, std::string& out) {
  out += "\\u00";
  out.push_back(kHexDigits[(code_point >> 4) & 0xF]);
  out.push_back(kHexDigits[code_point & 0xF]);
}

bool IsContinuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const size_t left = s.size() - i;
  if (c >= 0xC2 && c <= 0xDF) {
    return left >= 2 && IsContinuation(b(1)) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !IsContinuation(b(1)) || !IsContinuation(b(2))) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !IsContinuation(b(1)) || !IsContinuation(b(2)) || !IsContinuation(b(3))) {
      return 0;
    }
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// A JSON string as fastjson writes it with default features: '"' and '\' escaped, \b \t \n \f \r
// in their short forms, every other character below U+0020 and U+007F..U+009F as \u00XX
// (uppercase hex), '/' and everything else (non-ASCII included) as is. Bytes that are not
// well-formed UTF-8 become U+FFFD, as they would in a Java String, so the output always parses.
void AppendJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  size_t i = 0;
  size_t run = 0;  // start of the pending run of bytes copied as they are
  auto flush = [&](size_t end) { out.append(s.data() + run, end - run); };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      flush(i);
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          AppendUnicodeEscape(c, out);
          break;  // other controls and DEL
      }
      run = ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      flush(i);
      out += "\xEF\xBF\xBD";
      run = ++i;
      continue;
    }
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      flush(i);  // U+0080..U+009F: C1 controls
      AppendUnicodeEscape(static_cast<unsigned char>(s[i + 1]), out);
      i += 2;
      run = i;
      continue;
    }
    i += n;
  }
  flush(i);
  out.push_back('"');
}

void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ptr);
}

std::string Excerpt(std::span<const std::byte> header) {
  constexpr size_t kMax = 64;
  std::string s;
  for (size_t i = 0; i < header.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(header[i]);
    if (c >= 0x20 && c < 0x7F) {
      s.push_back(static_cast<char>(c));
    } else {
      s += "\\x";
      s.push_back(kHexDigits[c >> 4]);
      s.push_back(kHexDigits[c & 0xF]);
    }
  }
  if (header.size() > kMax) s += "...";
  return s;
}

using Json = nlohmann::json;

// Fills a RemotingCommand from SAX events. Any handler returning false stops the parse; the
// reason is in error_.
class HeaderSax {
 public:
  explicit HeaderSax(RemotingCommand& out) : out_(out) {}

  const std::string& error() const { return error_; }
  bool saw_code() const { return saw_code_; }

  bool null() {
    if (skip_depth_ > 0) return true;
    if (depth_ == 1) return TopNull();
    if (depth_ == 2) return true;  // extFields "k":null is Java null: the key reads as absent
    return Fail("top-level JSON value is null, not an object");
  }
  bool boolean(bool v) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) return ExtValue(v ? "true" : "false");
    if (depth_ == 1) return TopScalar("a boolean", std::nullopt);
    return Fail("top-level JSON value is a boolean, not an object");
  }
  bool number_integer(Json::number_integer_t v) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) {
      std::string s;
      AppendInt(v, s);
      return ExtValue(std::move(s));
    }
    if (depth_ == 1) return TopScalar("a number", v);
    return Fail("top-level JSON value is a number, not an object");
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) return ExtValue(std::to_string(v));
    if (depth_ == 1) {
      if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        const Field f = CurrentField();
        if (f == Field::kOther || f == Field::kLanguage) return TopScalar("a number", -1);
        if (f == Field::kRemark || f == Field::kExtFields) return TopScalar("a number", 0);
        return Fail("field \"" + key_ + "\" value " + std::to_string(v) +
                    " is out of the 32-bit integer range");
      }
      return TopScalar("a number", static_cast<int64_t>(v));
    }
    return Fail("top-level JSON value is a number, not an object");
  }
  bool number_float(Json::number_float_t, const Json::string_t& raw) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) return ExtValue(raw);  // keep the number's text as it was sent
    if (depth_ == 1) return TopScalar("a non-integer number " + raw, std::nullopt);
    return Fail("top-level JSON value is a number, not an object");
  }
  bool string(Json::string_t& v) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) return ExtValue(std::move(v));
    if (depth_ == 1) return TopString(std::move(v));
    return Fail("top-level JSON value is a string, not an object");
  }
  bool binary(Json::binary_t&) { return Fail("binary value in a JSON header"); }

  bool start_object(std::size_t) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) {
      if (key_ == "extFields") {
        depth_ = 2;
        return true;
      }
      return StartSkipOrFail("an object");
    }
    return Fail("extFields value for key \"" + ext_key_ +
                "\" is an object; expected a string, "
                "number or boolean");
  }
  bool end_object() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    --depth_;  // 2 -> 1 (end of extFields), 1 -> 0 (end of the header)
    return true;
  }
  bool start_array(std::size_t) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (depth_ == 0) return Fail("top-level JSON value is an array, not an object");
    if (depth_ == 1) return StartSkipOrFail("an array");
    return Fail("extFields value for key \"" + ext_key_ +
                "\" is an array; expected a string, "
                "number or boolean");
  }
  bool end_array() {
    --skip_depth_;  // arrays are only ever skipped
    return true;
  }
  bool key(Json::string_t& k) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) {
      ext_key_ = std::move(k);
    } else {
      key_ = std::move(k);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    return Fail(std::string("not valid JSON: ") + ex.what());
  }

 private:
  enum class Field { kCode, kLanguage, kVersion, kOpaque, kFlag, kRemark, kExtFields, kOther };

  Field CurrentField() const {
    if (key_ == "code") return Field::kCode;
    if (key_ == "language") return Field::kLanguage;
    if (key_ == "version") return Field::kVersion;
    if (key_ == "opaque") return Field::kOpaque;
    if (key_ == "flag") return Field::kFlag;
    if (key_ == "remark") return Field::kRemark;
    if (key_ == "extFields") return Field::kExtFields;
    return Field::kOther;  // serializeTypeCurrentRPC and anything unknown: ignored
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  bool WrongType(std::string_view expected, std::string_view got) {
    return Fail("field \"" + key_ + "\" must be " + std::string(expected) + ", got " +
                std::string(got));
  }

  bool StartSkipOrFail(std::string_view what) {
    switch (CurrentField()) {
      case Field::kOther:
        skip_depth_ = 1;
        return true;
      case Field::kRemark:
        return WrongType("a string", what);
      case Field::kLanguage:
        return WrongType("a language name", what);
      case Field::kExtFields:
        return WrongType("an object", what);
      default:
        return WrongType("an integer", what);
    }
  }

  bool TopNull() {
    // Java null: the field keeps its default. A null code is a missing code.
    switch (CurrentField()) {
      case Field::kRemark:
        out_.remark.reset();
        return true;
      case Field::kExtFields:
        out_.ext_fields.clear();
        return true;
      default:
        return true;
    }
  }

  bool SetInt32(int32_t& field, int64_t v) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return Fail("field \"" + key_ + "\" value " + std::to_string(v) +
                  " is out of the 32-bit integer range");
    }
    field = static_cast<int32_t>(v);
    return true;
  }

  // A scalar other than a string at the top level; `integer` holds its value if it is one.
  bool TopScalar(const std::string& what, std::optional<int64_t> integer) {
    const Field f = CurrentField();
    switch (f) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag: {
        if (!integer) return WrongType("an integer", what);
        int32_t& target = f == Field::kCode      ? out_.code
                          : f == Field::kVersion ? out_.version
                          : f == Field::kOpaque  ? out_.opaque
                                                 : out_.flag;
        if (f == Field::kCode) saw_code_ = true;
        return SetInt32(target, *integer);
      }
      case Field::kLanguage:
        // fastjson also reads an enum from its ordinal; LanguageCode ordinals are its codes.
        if (!integer) return WrongType("a language name", what);
        out_.language = (*integer >= 0 && *integer <= static_cast<int64_t>(LanguageCode::RUST))
                            ? static_cast<LanguageCode>(*integer)
                            : LanguageCode::OTHER;
        return true;
      case Field::kRemark:
        return WrongType("a string", what);
      case Field::kExtFields:
        return WrongType("an object", what);
      case Field::kOther:
        return true;
    }
    return true;
  }

  bool TopString(std::string v) {
    switch (CurrentField()) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag:
        return WrongType("an integer", "a string");
      case Field::kLanguage: {
        // An unknown name is accepted (fastjson reads it as null; the sender's language only
        // matters for logging), as OTHER.
        out_.language = ParseLanguageCode(v).value_or(LanguageCode::OTHER);
        return true;
      }
      case Field::kRemark:
        out_.remark = std::move(v);
        return true;
      case Field::kExtFields:
        return WrongType("an object", "a string");
      case Field::kOther:
        return true;
    }
    return true;
  }

  bool ExtValue(std::string v) {
    out_.ext_fields.insert_or_assign(std::move(ext_key_), std::move(v));
    ext_key_.clear();
    return true;
  }

  RemotingCommand& out_;
  int depth_ = 0;       // 0 before the top-level object, 1 inside it, 2 inside extFields
  int skip_depth_ = 0;  // > 0 while skipping the value of an ignored key
  bool saw_code_ = false;
  std::string key_;      // current top-level key
  std::string ext_key_;  // current extFields key
  std::string error_;
};

// The fast path. Accepts a subset of JSON on which it agrees with HeaderSax: every construct
// outside the subset, and every input the general path would reject, makes it return false.
class FastHeaderScanner {
 public:
  explicit FastHeaderScanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool Parse(RemotingCommand& out) {
    if (!Eat('{')) return false;
    if (Eat('}')) return false;  // no code: the general path reports it
    bool saw_code = false;
    std::string key;
    std::string value;
    while (true) {
      if (!Peek('"') || !String(key) || !Eat(':')) return false;
      Ws();
      if (key == "extFields") {
        if (Peek('n')) {
          if (!Literal("null")) return false;
          out.ext_fields.clear();
        } else if (!ExtFields(out)) {
          return false;
        }
      } else if (key == "code" || key == "version" || key == "opaque" || key == "flag") {
        int64_t v = 0;
        if (!Integer(v) || v < INT32_MIN || v > INT32_MAX) return false;
        const auto i = static_cast<int32_t>(v);
        if (key == "code") {
          out.code = i;
          saw_code = true;
        } else if (key == "version") {
          out.version = i;
        } else if (key == "opaque") {
          out.opaque = i;
        } else {
          out.flag = i;
        }
      } else if (key == "language") {
        if (!Peek('"') || !String(value)) return false;
        out.language = ParseLanguageCode(value).value_or(LanguageCode::OTHER);
      } else if (key == "remark") {
        if (Peek('n')) {
          if (!Literal("null")) return false;
          out.remark.reset();
        } else {
          if (!Peek('"') || !String(value)) return false;
          out.remark = value;
        }
      } else if (!SkipScalar()) {  // serializeTypeCurrentRPC and other ignored keys
        return false;
      }
      if (Eat(',')) {
        Ws();
        continue;
      }
      if (Eat('}')) break;
      return false;
    }
    Ws();
    return p_ == end_ && saw_code;
  }

 private:
  void Ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Peek(char c) const { return p_ < end_ && *p_ == c; }
  bool Eat(char c) {
    Ws();
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }
  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // {"k":"v",...} with string, integer, boolean or null values (null: the key reads as absent;
  // numbers and booleans as their text, as the general path stores them: ali-ons sends
  // "queueId":3 and "k":false).
  bool ExtFields(RemotingCommand& out) {
    if (!Eat('{')) return false;
    if (Eat('}')) return true;
    std::string k;
    std::string v;
    while (true) {
      Ws();
      if (!Peek('"') || !String(k) || !Eat(':')) return false;
      Ws();
      if (Peek('n')) {
        if (!Literal("null")) return false;
      } else if (Peek('"')) {
        if (!String(v)) return false;
        out.ext_fields.insert_or_assign(k, v);
      } else if (Peek('t') || Peek('f')) {
        const bool t = Peek('t');
        if (!Literal(t ? "true" : "false")) return false;
        out.ext_fields.insert_or_assign(k, t ? "true" : "false");
      } else {
        int64_t n = 0;
        if (!Integer(n)) return false;
        v.clear();
        AppendInt(n, v);
        out.ext_fields.insert_or_assign(k, v);
      }
      if (Eat(',')) continue;
      return Eat('}');
    }
  }

  // A value of an ignored key: a string, an integer, true, false or null.
  bool SkipScalar() {
    if (Peek('"')) {
      std::string ignored;
      return String(ignored);
    }
    if (Peek('t')) return Literal("true");
    if (Peek('f')) return Literal("false");
    if (Peek('n')) return Literal("null");
    int64_t ignored = 0;
    return Integer(ignored);
  }

  // A JSON integer of at most 18 digits (no fraction, no exponent).
  bool Integer(int64_t& v) {
    bool negative = false;
    if (Peek('-')) {
      negative = true;
      ++p_;
    }
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;
    int64_t x = 0;
    int digits = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      if (++digits > 18) return false;
      x = x * 10 + (*p_ - '0');
      ++p_;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    v = negative ? -x : x;
    return true;
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // A string at p_ ('"'): escapes decoded, UTF-8 checked as nlohmann does; surrogate escapes
  // are left to the general path.
  bool String(std::string& out) {
    out.clear();
    ++p_;
    const char* run = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c == '\\') {
        out.append(run, p_);
        if (++p_ >= end_) return false;
        const char e = *p_++;
        switch (e) {
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case '/':
            out.push_back('/');
            break;
          case 'b':
            out.push_back('\b');
            break;
          case 'f':
            out.push_back('\f');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'u': {
            if (end_ - p_ < 4) return false;
            unsigned cp = 0;
            for (int i = 0; i < 4; ++i) {
              const int h = HexValue(p_[i]);
              if (h < 0) return false;
              cp = cp * 16 + static_cast<unsigned>(h);
            }
            p_ += 4;
            if (cp >= 0xD800 && cp <= 0xDFFF) return false;
            if (cp < 0x80) {
              out.push_back(static_cast<char>(cp));
            } else if (cp < 0x800) {
              out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
              out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            } else {
              out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
              out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
              out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            }
            break;
          }
          default:
            return false;
        }
        run = p_;
        continue;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        const size_t n = Utf8SequenceLength(std::string_view(p_, static_cast<size_t>(end_ - p_)), 0);
        if (n == 0) return false;
        p_ += n;
        continue;
      }
      ++p_;
    }
    return false;
  }

  const char* p_;
  const char* end_;
};

void ResetToJavaDefaults(RemotingCommand& out) {
  out.code = 0;
  out.language = LanguageCode::JAVA;
  out.version = 0;
  out.opaque = 0;
  out.flag = 0;
  out.remark.reset();
  out.ext_fields.clear();
}

}  // namespace

void AppendJsonHeader(const RemotingCommand& c, std::string& out) {
  // fastjson default features: bean properties sorted by name, nulls left out, enums by name.
  out += "{\"code\":";
  AppendInt(c.code, out);
  if (!c.ext_fields.empty()) {
    out += ",\"extFields\":{";
    bool first = true;
    for (const auto& [k, v] : c.ext_fields) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(k, out);
      out.push_back(':');
      AppendJsonString(v, out);
    }
    out.push_back('}');
  }
  out += ",\"flag\":";
  AppendInt(c.flag, out);
  out += ",\"language\":\"";
  std::string_view language = LanguageCodeName(c.language);
  out += language == "UNKNOWN" ? std::string_view("OTHER") : language;
  out += "\",\"opaque\":";
  AppendInt(c.opaque, out);
  if (c.remark) {
    out += ",\"remark\":";
    AppendJsonString(*c.remark, out);
  }
  out += ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":";
  AppendInt(c.version, out);
  out.push_back('}');
}

bool DecodeJsonHeaderFast(std::span<const std::byte> header, RemotingCommand& out) {
  ResetToJavaDefaults(out);
  FastHeaderScanner scanner(
      std::string_view(reinterpret_cast<const char*>(header.data()), header.size()));
  return scanner.Parse(out);
}

Status DecodeJsonHeaderGeneral(std::span<const std::byte> header, RemotingCommand& out) {
  // Java's field defaults for whatever the header leaves out.
  ResetToJavaDefaults(out);
  HeaderSax sax(out);
  bool ok = false;
  const auto* first = reinterpret_cast<const char*>(header.data());
  try {
    ok = Json::sax_parse(first, first + header.size(), &sax, nlohmann::json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("JSON header: ") + e.what() + "; header starts with " +
                           Excerpt(header));
  }
  if (!ok) {
    return CorruptionError("JSON header: " + sax.error() + "; header starts with " +
                           Excerpt(header));
  }
  if (!sax.saw_code()) {
    return CorruptionError("JSON header has no integer \"code\"; header starts with " +
                           Excerpt(header));
  }
  return Status::Ok();
}

Status DecodeJsonHeader(std::span<const std::byte> header, RemotingCommand& out) {
  if (DecodeJsonHeaderFast(header, out)) return Status::Ok();
  return DecodeJsonHeaderGeneral(header, out);
}

}  // namespace rmqsim::remoting
