// LifetimeGuard: makes callbacks that outlive their object harmless.
//
// A component that hands `this`-capturing callbacks to a runtime (timers, connection handlers,
// connect completions) holds a LifetimeGuard member and wraps each callback with Wrap(). When the
// component is destroyed the guard's flag drops, and a wrapped callback that fires later does
// nothing. (A killed simulated process never runs its callbacks at all; this is for objects that
// die while their process lives on.)
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace rmqsim {

class LifetimeGuard {
 public:
  LifetimeGuard() : alive_(std::make_shared<bool>(true)) {}
  ~LifetimeGuard() { *alive_ = false; }
  LifetimeGuard(const LifetimeGuard&) = delete;
  LifetimeGuard& operator=(const LifetimeGuard&) = delete;

  template <typename F>
  auto Wrap(F f) const {
    return [alive = std::weak_ptr<bool>(alive_), f = std::move(f)](auto&&... args) mutable {
      auto a = alive.lock();
      if (a && *a) f(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::shared_ptr<bool> alive_;
};

}  // namespace rmqsim
