// DecodeMemo: the last document a receiver decoded, and what it decoded to.
//
// Decoding a JSON body is a pure function of its bytes, and servers receive the same documents
// again and again: a slave copies its master's topic and subscription tables every 10 s, a broker
// registers the same topic table with each name server every 30 s. A receiver keeps one DecodeMemo
// per sender and document kind; a body equal to the last one is answered with the last result
// instead of being parsed again. Results are identical (the decoder is pure); only time is saved.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sim/base/status.h"

namespace rmqsim::common {

template <typename T>
class DecodeMemo {
 public:
  // `decode(body)` returns StatusOr<T>; it runs only when `body` differs from the last one.
  template <typename Decode>
  const StatusOr<T>& Get(std::string_view body, Decode&& decode) {
    if (!last_.has_value() || body != last_body_) {
      last_.emplace(std::forward<Decode>(decode)(body));
      last_body_.assign(body);
    }
    return *last_;
  }

 private:
  std::string last_body_;
  std::optional<StatusOr<T>> last_;
};

}  // namespace rmqsim::common
