// Java string semantics RocketMQ's wire data depends on, computed on UTF-8 std::strings.
//
// Java strings are UTF-16. Tags travel as UTF-8 and Java decodes them with `new String(bytes,
// UTF_8)` before hashing, so String.hashCode here first decodes UTF-8 to UTF-16 code units
// (supplementary characters become surrogate pairs; each maximal ill-formed subsequence becomes
// one U+FFFD, the Unicode-recommended practice Java's decoder follows for ordinary malformed input)
// and then computes h = 31*h + c with 32-bit wraparound.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

// UTF-8 -> UTF-16 code units, as Java's UTF-8 decoder with REPLACE would produce.
std::u16string Utf8ToJavaUtf16(std::string_view utf8);

// java.lang.String.hashCode() of the string Java would decode from `utf8`. "" -> 0.
int32_t JavaStringHashCode(std::string_view utf8);

// The ConsumeQueue tags code of a TAGS value: hashCode sign-extended to 64 bits, 0 when the tag
// is empty (MessageExtBrokerInner.tagsString2tagsCode; reference §4.7).
int64_t TagsCode(std::string_view tags);

// String.trim(): strips leading and trailing characters <= U+0020.
std::string_view JavaTrim(std::string_view s);

// Integer.parseInt / Long.parseLong: optional '+' or '-', decimal digits, in range. Errors name
// `what` and the text.
StatusOr<int32_t> ParseJavaInt(std::string_view text, std::string_view what);
StatusOr<int64_t> ParseJavaLong(std::string_view text, std::string_view what);

// Boolean.parseBoolean: true only for "true" in any letter case.
bool ParseJavaBoolean(std::string_view text);

}  // namespace rmqsim::common
