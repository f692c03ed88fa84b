// RapidCheck helpers shared by the tests in tests/property: a seeded rc::check whose case count
// scales with the build (RMQSIM_PROPERTY_SCALE) or with RC_PARAMS, and result formatting.
//
// Seeds: every property runs with a fixed RapidCheck seed (so CI is reproducible), unless the
// build sets RMQSIM_PROPERTY_SEED (a CMake cache variable) to another one. Cases: each property
// names its CI count; the CMake cache variable RMQSIM_PROPERTY_SCALE multiplies it, and
// RC_PARAMS="max_success=N" (any N but RapidCheck's default 100) replaces it.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>

#ifndef RMQSIM_PROPERTY_SCALE
#define RMQSIM_PROPERTY_SCALE 1
#endif
#ifndef RMQSIM_PROPERTY_SEED
#define RMQSIM_PROPERTY_SEED 0
#endif

namespace rmqsim::property {

inline constexpr uint64_t kDefaultRapidCheckSeed = 0x5eed4a11;

// The RapidCheck seed of every property in this build.
inline uint64_t RapidCheckSeed() {
  const uint64_t s = static_cast<uint64_t>(RMQSIM_PROPERTY_SEED);
  return s != 0 ? s : kDefaultRapidCheckSeed;
}

// The number of cases a property runs: `ci_cases` times the build's scale, or RC_PARAMS'
// max_success when it was set to something other than RapidCheck's default.
inline int Cases(int ci_cases) {
  const int from_env = rc::detail::configuration().testParams.maxSuccess;
  if (from_env != 100) return from_env;
  return ci_cases * static_cast<int>(RMQSIM_PROPERTY_SCALE);
}

// rc::check with the build's seed and `max_success` cases (not scaled: pass Cases(n)).
template <typename Testable>
rc::detail::TestResult CheckSeeded(const std::string& name, int max_success, Testable&& t,
                                   uint64_t seed = RapidCheckSeed()) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.seed = seed;
  params.maxSuccess = max_success;
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  return rc::detail::checkTestable(std::forward<Testable>(t), metadata, params);
}

inline bool Passed(const rc::detail::TestResult& r) {
  return r.template is<rc::detail::SuccessResult>();
}

inline std::string Describe(const rc::detail::TestResult& r) {
  std::ostringstream os;
  rc::detail::printResultMessage(r, os);
  return os.str();
}

}  // namespace rmqsim::property
