#include "system/node/properties_file.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace rmqsim::node {

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}
}  // namespace

StatusOr<PropertiesFile> PropertiesFile::Parse(std::string_view text, std::string origin) {
  PropertiesFile out;
  out.origin_ = std::move(origin);
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(pos, nl - pos));
    ++line_no;
    pos = nl + 1;
    if (line.empty() || line.front() == '#' || line.front() == '!') {
      if (nl == text.size()) break;
      continue;
    }
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) {
      return InvalidArgumentError(out.origin_ + ":" + std::to_string(line_no) +
                                  ": expected key=value, got '" + std::string(line) + "'");
    }
    std::string key(Trim(line.substr(0, sep)));
    if (key.empty()) {
      return InvalidArgumentError(out.origin_ + ":" + std::to_string(line_no) + ": empty key");
    }
    out.values_[key] = Entry{std::string(Trim(line.substr(sep + 1))), line_no};
    if (nl == text.size()) break;
  }
  return out;
}

std::optional<std::string> PropertiesFile::GetString(std::string_view key) const {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return std::nullopt;
  return it->second.value;
}

std::string PropertiesFile::Where(std::string_view key) const {
  auto it = values_.find(std::string(key));
  std::string line = it == values_.end() ? "?" : std::to_string(it->second.line);
  return origin_ + ":" + line + " (" + std::string(key) + ")";
}

StatusOr<std::optional<int64_t>> PropertiesFile::GetInt(std::string_view key) const {
  auto s = GetString(key);
  if (!s) return std::optional<int64_t>();
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || p != s->data() + s->size()) {
    return InvalidArgumentError(Where(key) + ": '" + *s + "' is not an integer");
  }
  return std::optional<int64_t>(v);
}

StatusOr<std::optional<bool>> PropertiesFile::GetBool(std::string_view key) const {
  auto s = GetString(key);
  if (!s) return std::optional<bool>();
  std::string lower = *s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true") return std::optional<bool>(true);
  if (lower == "false") return std::optional<bool>(false);
  return InvalidArgumentError(Where(key) + ": '" + *s + "' is not true or false");
}

std::vector<std::string> PropertiesFile::UnknownKeys(
    const std::vector<std::string_view>& known) const {
  std::vector<std::string> out;
  for (const auto& [k, e] : values_) {
    if (std::find(known.begin(), known.end(), k) == known.end()) out.push_back(k);
  }
  return out;
}

}  // namespace rmqsim::node
