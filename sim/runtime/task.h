// The asynchronous style: C++20 coroutines on one small task type.
//
//   Task<T>      a lazy coroutine returning T. Awaiting it starts it; the awaiting coroutine
//                resumes (by symmetric transfer) when it finishes. A Task owns its frame:
//                destroying an unfinished Task destroys the frame and, recursively, whatever it
//                is awaiting.
//   TaskScope    owns the root tasks of a component (Spawn). Destroying the scope destroys every
//                unfinished root, and with it each chain of awaited tasks.
//   Sleep(ex, d) and AwaitCallback(ex, start) are the leaf awaitables. Each is cancel-safe: if
//                its frame is destroyed while suspended, its destructor cancels the timer or
//                disarms the callback, so nothing can resume a destroyed frame. Resumptions
//                always go through the process's Executor, never inline from another stack.
//
// Together this gives "a killed process never runs again": the kill destroys the component, its
// TaskScope destroys the frames, their awaiters disarm, and the executor drops whatever was
// queued. See docs/async-style.md.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "sim/base/assert.h"
#include "sim/base/time.h"
#include "sim/runtime/executor.h"

namespace rmqsim {

class TaskScope;

namespace internal {

struct TaskPromiseBase {
  std::coroutine_handle<> continuation;
  TaskScope* scope = nullptr;  // set for roots spawned in a scope
  uint64_t root_id = 0;

  std::suspend_always initial_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept {
    RMQ_UNREACHABLE("exception escaped a coroutine; component code reports errors as Status");
  }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept;
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
};

template <typename T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() { return std::move(*value); }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  void return_void() {}
  void take() {}
};

}  // namespace internal

template <typename T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : internal::TaskPromise<T> {
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : handle_(h) {}
  Task(Task&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      Reset();
      handle_ = std::exchange(o.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { Reset(); }

  bool valid() const { return static_cast<bool>(handle_); }
  bool done() const { return handle_ && handle_.done(); }

  // Awaiting a task starts it and resumes the awaiter with its result.
  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().continuation = awaiting;
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    RMQ_ASSERT_MSG(handle_, "co_await on an empty Task");
    return Awaiter{handle_};
  }

  // For TaskScope: gives up ownership of the frame.
  Handle release() { return std::exchange(handle_, {}); }

 private:
  void Reset() {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  Handle handle_;
};

// Owns detached root tasks. Not copyable or movable (roots point back at it).
class TaskScope {
 public:
  TaskScope() = default;
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
  ~TaskScope() { DestroyAll(); }

  // Starts `task` now (it runs until its first suspension inside this call). The scope owns it
  // until it finishes.
  void Spawn(Task<void> task) {
    auto h = task.release();
    RMQ_ASSERT_MSG(h, "Spawn of an empty Task");
    uint64_t id = ++last_id_;
    h.promise().scope = this;
    h.promise().root_id = id;
    roots_.emplace(id, std::coroutine_handle<>(h));
    h.resume();
  }

  // Destroys every unfinished root (and what it awaits). Safe to call more than once.
  void DestroyAll() {
    auto roots = std::move(roots_);
    roots_.clear();
    for (auto& [id, h] : roots) h.destroy();
  }

  size_t active() const { return roots_.size(); }

 private:
  friend struct internal::TaskPromiseBase;
  void OnRootDone(uint64_t id) { roots_.erase(id); }

  uint64_t last_id_ = 0;
  std::map<uint64_t, std::coroutine_handle<>> roots_;  // ordered: destruction order is stable
};

template <typename P>
std::coroutine_handle<> internal::TaskPromiseBase::FinalAwaiter::await_suspend(
    std::coroutine_handle<P> h) noexcept {
  auto& p = h.promise();
  if (p.continuation) return p.continuation;
  if (p.scope != nullptr) {
    p.scope->OnRootDone(p.root_id);
    h.destroy();  // a finished root frees itself; legal at the final suspend point
  }
  return std::noop_coroutine();
}

// co_await Sleep(executor, 5s): resumes after the delay. Cancel-safe.
class Sleep {
 public:
  Sleep(Executor& ex, Duration d) : ex_(ex), delay_(d) {}
  Sleep(const Sleep&) = delete;
  Sleep& operator=(const Sleep&) = delete;
  ~Sleep() {
    if (pending_) ex_.Cancel(timer_);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    pending_ = true;
    timer_ = ex_.ScheduleAfter(delay_, [this, h] {
      pending_ = false;
      h.resume();
    });
  }
  void await_resume() const noexcept {}

 private:
  Executor& ex_;
  Duration delay_;
  TimerId timer_;
  bool pending_ = false;
};

// Adapts a callback-style operation into an awaitable:
//
//   StatusOr<std::shared_ptr<Connection>> c = co_await AwaitCallback<StatusOr<...>>(ex,
//       [&](auto done) { net.Connect(addr, 3s, std::move(done)); });
//
// `start` receives a callback taking T. The coroutine resumes on the executor after the callback
// runs. If the awaiting frame is destroyed first, a later callback does nothing.
template <typename T>
class AwaitCallback {
 public:
  using Done = std::function<void(T)>;
  AwaitCallback(Executor& ex, std::function<void(Done)> start)
      : ex_(ex), start_(std::move(start)), state_(std::make_shared<State>()) {}
  AwaitCallback(const AwaitCallback&) = delete;
  AwaitCallback& operator=(const AwaitCallback&) = delete;
  ~AwaitCallback() { state_->waiter = {}; }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    state_->waiter = h;
    std::weak_ptr<State> weak = state_;
    Executor* ex = &ex_;
    start_([weak, ex](T value) {
      auto s = weak.lock();
      if (!s || !s->waiter || s->value) return;
      s->value.emplace(std::move(value));
      ex->Post([weak] {
        auto s2 = weak.lock();
        if (s2 && s2->waiter) std::exchange(s2->waiter, {}).resume();
      });
    });
  }
  T await_resume() { return std::move(*state_->value); }

 private:
  struct State {
    std::coroutine_handle<> waiter;
    std::optional<T> value;
  };
  Executor& ex_;
  std::function<void(Done)> start_;
  std::shared_ptr<State> state_;
};

}  // namespace rmqsim
