#include "sim/base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace rmqsim {
namespace {
thread_local std::function<std::string()> g_failure_context;
thread_local bool g_in_simulation = false;
}  // namespace

bool InSimulation() { return g_in_simulation; }

void AssertionFailed(const char* condition, const char* file, int line,
                     const std::string& message) {
  std::fprintf(stderr, "\n*** rmqsim assertion failed: %s\n    at %s:%d\n", condition, file, line);
  if (!message.empty()) std::fprintf(stderr, "    %s\n", message.c_str());
  if (g_failure_context) {
    std::string context = g_failure_context();
    if (!context.empty()) std::fprintf(stderr, "%s\n", context.c_str());
  }
  std::fflush(stderr);
  std::abort();
}

ScopedFailureContext::ScopedFailureContext(std::function<std::string()> provider,
                                           bool in_simulation)
    : previous_provider_(std::move(g_failure_context)), previous_in_simulation_(g_in_simulation) {
  g_failure_context = std::move(provider);
  g_in_simulation = in_simulation;
}

ScopedFailureContext::~ScopedFailureContext() {
  g_failure_context = std::move(previous_provider_);
  g_in_simulation = previous_in_simulation_;
}

}  // namespace rmqsim
