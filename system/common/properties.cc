#include "system/common/properties.h"

namespace rmqsim::common {

StatusOr<std::string> EncodeProperties(const Properties& properties, PropertiesStyle style) {
  std::string out;
  for (const auto& [name, value] : properties) {
    if (name.empty()) return InvalidArgumentError("property with an empty name");
    if (name.find_first_of(std::string_view("\x01\x02", 2)) != std::string::npos) {
      return InvalidArgumentError("property name \"" + name +
                                  "\" contains a separator character 0x01 or 0x02");
    }
    if (value.empty()) {
      return InvalidArgumentError("property " + name +
                                  " has an empty value (decoders drop such properties)");
    }
    if (value.find(kPropertySeparator) != std::string::npos) {
      return InvalidArgumentError("value of property " + name +
                                  " contains the property separator 0x02");
    }
    out += name;
    out += kNameValueSeparator;
    out += value;
    out += kPropertySeparator;
  }
  if (style == PropertiesStyle::kNoTrailingSeparator && !out.empty()) out.pop_back();
  return out;
}

Properties DecodeProperties(std::string_view text) {
  Properties map;
  size_t index = 0;
  const size_t len = text.size();
  while (index < len) {
    size_t end = text.find(kPropertySeparator, index);
    if (end == std::string_view::npos) end = len;
    if (end - index >= 3) {
      const size_t sep = text.find(kNameValueSeparator, index);
      // The name needs one character before the 0x01 and the value one after it.
      if (sep != std::string_view::npos && sep > index && sep < end - 1) {
        map[std::string(text.substr(index, sep - index))] =
            std::string(text.substr(sep + 1, end - sep - 1));
      }
    }
    index = end + 1;
  }
  return map;
}

}  // namespace rmqsim::common
