// The properties string (reference §4.2; MessageDecoder.messageProperties2String and
// string2messageProperties in apache/rocketmq 4.9.8): name 0x01 value 0x02 name 0x01 value ...
#pragma once

#include <boost/container/flat_map.hpp>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace rmqsim::common {

// Ordered by name (the encoding is in name order, deterministic): a sorted vector, since a
// message has a handful of properties and is decoded on every put, pull and consume.
using Properties = boost::container::flat_map<std::string, std::string, std::less<>>;

inline constexpr char kNameValueSeparator = '\x01';
inline constexpr char kPropertySeparator = '\x02';
// The stored layout keeps the properties length in a Java short (§4.1).
inline constexpr size_t kPropertiesMaxBytes = 32767;

enum class PropertiesStyle {
  kNoTrailingSeparator,  // 4.9.3 and later: the final 0x02 is dropped (the 4.9.8 form)
  kTrailingSeparator,    // 4.9.2 and earlier, ali-ons, C++ and Go clients: every pair ends in 0x02
};

// Encodes in name order. Fails with kInvalidArgument, naming the property, for what
// the decoder would not give back: an empty name or value, a name containing 0x01 or 0x02, a
// value containing 0x02. (A value may contain 0x01: the decoder splits at the first one.)
StatusOr<std::string> EncodeProperties(
    const Properties& properties, PropertiesStyle style = PropertiesStyle::kNoTrailingSeparator);

// Decodes as 4.9.8 does; never fails. Segments between 0x02 separators without a 0x01 that has a
// character on each side (empty names, empty values) are dropped; a trailing 0x02 is harmless; a
// repeated name keeps the last value.
Properties DecodeProperties(std::string_view text);

}  // namespace rmqsim::common
