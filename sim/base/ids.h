// Strongly typed integer ids, so a MachineId cannot be passed where a ProcessId is expected.
// Ids are allocated from counters, never from addresses, so they are the same in every run.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace rmqsim {

template <typename Tag>
class StrongId {
 public:
  constexpr StrongId() = default;
  constexpr explicit StrongId(uint64_t v) : value_(v) {}
  constexpr uint64_t value() const { return value_; }
  constexpr bool valid() const { return value_ != 0; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
  friend std::ostream& operator<<(std::ostream& os, StrongId id) { return os << id.value_; }

 private:
  uint64_t value_ = 0;  // 0 is "no id"
};

// Hands out 1, 2, 3, ...
template <typename Id>
class IdAllocator {
 public:
  Id Next() { return Id(++last_); }

 private:
  uint64_t last_ = 0;
};

}  // namespace rmqsim

template <typename Tag>
struct std::hash<rmqsim::StrongId<Tag>> {
  size_t operator()(rmqsim::StrongId<Tag> id) const noexcept {
    return std::hash<uint64_t>()(id.value());
  }
};
