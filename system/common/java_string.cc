#include "system/common/java_string.h"

#include <charconv>

namespace rmqsim::common {
namespace {

constexpr char16_t kReplacement = 0xFFFD;

bool InRange(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

}  // namespace

std::u16string Utf8ToJavaUtf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    // Well-formed sequences (Unicode Table 3-7): length and the range of the second byte.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (InRange(b0, 0xC2, 0xDF)) {
      len = 2;
    } else if (b0 == 0xE0) {
      len = 3, lo = 0xA0;
    } else if (InRange(b0, 0xE1, 0xEC) || InRange(b0, 0xEE, 0xEF)) {
      len = 3;
    } else if (b0 == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b0 == 0xF0) {
      len = 4, lo = 0x90;
    } else if (InRange(b0, 0xF1, 0xF3)) {
      len = 4;
    } else if (b0 == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    uint32_t cp = b0 & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    size_t j = i + 1;
    bool ok = true;
    for (size_t k = 1; k < len; ++k, ++j) {
      const unsigned char lo_k = k == 1 ? lo : 0x80;
      const unsigned char hi_k = k == 1 ? hi : 0xBF;
      if (j >= n || !InRange(static_cast<unsigned char>(utf8[j]), lo_k, hi_k)) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[j]) & 0x3F);
    }
    if (!ok) {
      // The maximal subpart i..j-1 becomes one replacement character.
      out.push_back(kReplacement);
      i = j;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i = j;
  }
  return out;
}

int32_t JavaStringHashCode(std::string_view utf8) {
  uint32_t h = 0;
  bool ascii = true;
  for (char c : utf8) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (char c : utf8) h = 31 * h + static_cast<unsigned char>(c);
  } else {
    for (char16_t c : Utf8ToJavaUtf16(utf8)) h = 31 * h + c;
  }
  return static_cast<int32_t>(h);
}

int64_t TagsCode(std::string_view tags) {
  if (tags.empty()) return 0;
  return static_cast<int64_t>(JavaStringHashCode(tags));
}

std::string_view JavaTrim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
  return s.substr(b, e - b);
}

namespace {

template <typename T>
StatusOr<T> ParseJavaInteger(std::string_view text, std::string_view what, const char* type) {
  size_t first_digit = 0;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) first_digit = 1;
  bool bad = first_digit == text.size();
  for (size_t i = first_digit; i < text.size() && !bad; ++i) bad = text[i] < '0' || text[i] > '9';
  if (bad) {
    return InvalidArgumentError(std::string(what) + ": expected a decimal " + type + ", saw \"" +
                                std::string(text) + "\"");
  }
  // from_chars takes a leading '-' but not '+'.
  std::string_view number = text.front() == '+' ? text.substr(1) : text;
  T value{};
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) {
    return InvalidArgumentError(std::string(what) + ": \"" + std::string(text) +
                                "\" is out of range for a Java " + type);
  }
  return value;
}

}  // namespace

StatusOr<int32_t> ParseJavaInt(std::string_view text, std::string_view what) {
  return ParseJavaInteger<int32_t>(text, what, "int");
}

StatusOr<int64_t> ParseJavaLong(std::string_view text, std::string_view what) {
  return ParseJavaInteger<int64_t>(text, what, "long");
}

bool ParseJavaBoolean(std::string_view text) {
  if (text.size() != 4) return false;
  static constexpr char kTrue[] = "true";
  for (size_t i = 0; i < 4; ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kTrue[i]) return false;
  }
  return true;
}

}  // namespace rmqsim::common
