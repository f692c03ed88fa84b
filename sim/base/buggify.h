// BUGGIFY: rare paths taken on purpose, in simulation only.
//
// A code site written as `if (RMQ_BUGGIFY(runtime)) { ...rare path... }` asks the runtime whether
// to misbehave here. In the simulated world each site is enabled or not once per run (with
// probability site_enable_probability), and an enabled site then fires on each check with its own
// probability. In real mode the answer is always false. Decisions come from a dedicated random
// stream, so turning BUGGIFY on does not shift any other stream.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sim/base/random.h"

#define RMQ_STRINGIFY_INNER_(x) #x
#define RMQ_STRINGIFY_(x) RMQ_STRINGIFY_INNER_(x)
// The site key of the current line.
#define RMQ_BUGGIFY_SITE __FILE__ ":" RMQ_STRINGIFY_(__LINE__)
// `if (RMQ_BUGGIFY(rt))`: true when the rare path should be taken (simulation only).
#define RMQ_BUGGIFY(rt) ((rt).Buggify(RMQ_BUGGIFY_SITE, 0.05))
// Same with an explicit firing probability for an enabled site.
#define RMQ_BUGGIFY_WITH_PROB(rt, p) ((rt).Buggify(RMQ_BUGGIFY_SITE, (p)))

namespace rmqsim {

class BuggifyRegistry {
 public:
  struct Options {
    bool enabled = false;                   // master switch for the run
    double site_enable_probability = 0.25;  // chance that a given site is active in this run
  };

  BuggifyRegistry(uint64_t seed, Options options);

  // Whether the site fires now. Sites are keyed by "file:line".
  bool Check(std::string_view site, double fire_probability);

  bool enabled() const { return options_.enabled; }
  // Number of sites seen, enabled, and total firings (for the run summary).
  size_t sites_seen() const { return sites_.size(); }
  size_t sites_enabled() const;
  uint64_t firings() const { return firings_; }

  struct Site {
    bool active = false;  // enabled for this run
    uint64_t checks = 0;  // times the site was reached
    uint64_t fired = 0;   // times the rare path was taken
  };
  // Every site reached in this run, by "file:line" (the file as the compiler named it).
  const std::map<std::string, Site, std::less<>>& sites() const { return sites_; }

 private:
  Options options_;
  Xoshiro256 random_;
  std::map<std::string, Site, std::less<>> sites_;
  uint64_t firings_ = 0;
};

}  // namespace rmqsim
