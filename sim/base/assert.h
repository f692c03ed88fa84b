// Assertion tiers.
//
//   RMQ_ASSERT(cond)        always on, every build, both worlds. For invariants whose violation
//                           means data loss or corruption (a CRC mismatch, an offset going back).
//   RMQ_SIM_ASSERT(cond)    on whenever the code runs inside the simulated world (any build), off
//                           in real mode. For expensive cross-checks and "we think" invariants.
//   RMQ_DEBUG_ASSERT(cond)  on in debug builds only (NDEBUG not defined).
//
// A failed assertion prints the condition, the place, the message, and the failure context that
// the composition root registered (in simulation: the seed, the virtual time and the one-line
// replay command), then aborts. Assertions are for bugs; expected failures are Status values.
#pragma once

#include <functional>
#include <string>

namespace rmqsim {

// Prints the failure report and aborts. Never returns.
[[noreturn]] void AssertionFailed(const char* condition, const char* file, int line,
                                  const std::string& message);

// True while the current thread is running the simulated world.
bool InSimulation();

// Installs, for the current thread, the provider of the text printed after an assertion failure
// (seed, time, replay command) and whether simulation-only assertions are on. Scoped: restores
// the previous provider on destruction, so nested and successive worlds behave.
class ScopedFailureContext {
 public:
  ScopedFailureContext(std::function<std::string()> provider, bool in_simulation);
  ~ScopedFailureContext();
  ScopedFailureContext(const ScopedFailureContext&) = delete;
  ScopedFailureContext& operator=(const ScopedFailureContext&) = delete;

 private:
  std::function<std::string()> previous_provider_;
  bool previous_in_simulation_;
};

}  // namespace rmqsim

#define RMQ_ASSERT_MSG(cond, msg)                                              \
  do {                                                                         \
    if (!(cond)) [[unlikely]]                                                  \
      ::rmqsim::AssertionFailed(#cond, __FILE__, __LINE__, (msg));             \
  } while (0)
#define RMQ_ASSERT(cond) RMQ_ASSERT_MSG(cond, std::string())

#define RMQ_SIM_ASSERT_MSG(cond, msg)                                          \
  do {                                                                         \
    if (::rmqsim::InSimulation() && !(cond)) [[unlikely]]                      \
      ::rmqsim::AssertionFailed(#cond, __FILE__, __LINE__, (msg));             \
  } while (0)
#define RMQ_SIM_ASSERT(cond) RMQ_SIM_ASSERT_MSG(cond, std::string())

#ifdef NDEBUG
#define RMQ_DEBUG_ASSERT(cond) \
  do {                         \
    (void)sizeof(!(cond));     \
  } while (0)
#else
#define RMQ_DEBUG_ASSERT(cond) RMQ_ASSERT(cond)
#endif

#define RMQ_UNREACHABLE(msg) ::rmqsim::AssertionFailed("unreachable", __FILE__, __LINE__, (msg))
