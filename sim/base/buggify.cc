#include "sim/base/buggify.h"

namespace rmqsim {

BuggifyRegistry::BuggifyRegistry(uint64_t seed, Options options)
    : options_(options), random_(seed) {}

bool BuggifyRegistry::Check(std::string_view site, double fire_probability) {
  if (!options_.enabled) return false;
  auto it = sites_.find(site);
  if (it == sites_.end()) {
    Site s;
    s.active = random_.Bernoulli(options_.site_enable_probability);
    it = sites_.emplace(std::string(site), s).first;
  }
  ++it->second.checks;
  if (!it->second.active) return false;
  if (!random_.Bernoulli(fire_probability)) return false;
  ++it->second.fired;
  ++firings_;
  return true;
}

size_t BuggifyRegistry::sites_enabled() const {
  size_t n = 0;
  for (const auto& [name, site] : sites_) n += site.active ? 1 : 0;
  return n;
}

}  // namespace rmqsim
