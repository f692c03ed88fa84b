#!/usr/bin/env bash
# Layering and determinism lint. Usage: lint.sh <project-root>
# Fails (exit 1) with one line per violation.
#  - system/, faults/, scenarios/ (except the composition roots scenarios/cmd/ and the real-mode
#    mains in system/*/cmd/), sim/base,
#    sim/runtime and sim/simulated use no real clock, thread, C rand, OS randomness or Boost.Asio:
#    they get those only through the Runtime seam.
#  - system/, faults/, scenarios/ (same exceptions) also use no unordered container or std::hash
#    (iteration order is unspecified; use std::map/std::set or a sorted vector), no <random>
#    (distributions differ between standard libraries: use sim/base/random.h), no mutex, atomic,
#    threads, condition variables or futures, no <fstream>/std::filesystem (files come from the
#    Runtime's FileSystem), no getenv, no clock() and no sleeping.
#  - The tests of the simulated parts (tests/sim/simulated, tests/system, tests/faults,
#    tests/scenarios, tests/determinism, tests/property; not the *asio* tests, which run the
#    real world) follow the same rules, getenv excepted (optional debug switches).
#  - A line may opt out with a trailing `// lint-allow: <reason>` (the reason is required).
#  - Boost.Asio appears only in sim/asio.
#  - sim/simulated and sim/asio never include system/; system/ never includes sim/simulated or
#    sim/asio (it links the seam only), except the real-mode mains in system/*/cmd/.
set -u
root=${1:?usage: lint.sh <project-root>}
cd "$root" || exit 2
fail=0
report() { echo "lint: $1"; fail=1; }

src() { find "$@" -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) 2>/dev/null; }

banned='std::chrono::(system_clock|steady_clock|high_resolution_clock)|std::this_thread|std::thread|std::jthread|std::async|std::random_device|(^|[^_a-zA-Z0-9:.>])s?rand\(|(^|[^_a-zA-Z:])time\((nullptr|NULL|0)\)|gettimeofday|clock_gettime|boost/asio|[<"]asio[./]|pthread_create|usleep\(|sleep\('
dirs=()
for d in system faults scenarios sim/base sim/runtime sim/simulated; do [ -d "$d" ] && dirs+=("$d"); done
if [ ${#dirs[@]} -gt 0 ]; then
  while IFS= read -r f; do
    case "$f" in scenarios/cmd/*|system/*/cmd/*) continue ;; esac
    while IFS= read -r hit; do
      report "$f:$hit: real time, threads or OS randomness outside the seam (use Runtime&)"
    done < <(grep -nE "$banned" "$f" | grep -vE '^[0-9]+:\s*//' | cut -d: -f1)
  done < <(src "${dirs[@]}")
fi

# Nondeterminism and OS access beyond the seam: components, faults, scenarios and their tests.
strict='std::unordered_(map|set|multimap|multiset)|std::hash<|#include[[:space:]]*<(random|mutex|shared_mutex|atomic|thread|condition_variable|future|fstream|filesystem)>|std::filesystem|std::(mutex|shared_mutex|atomic|condition_variable|future|async)|std::this_thread|(^|[^_a-zA-Z0-9.>:])clock\(\)|sleep_for|sleep_until|nanosleep'
strict_hits() {  # strict_hits <file> <extra-pattern>: line numbers of violations not opted out
  grep -nE "$strict${2:+|$2}" "$1" | grep -vE '^[0-9]+:\s*//' | grep -vE '// lint-allow: [^ ]' | cut -d: -f1
}
sdirs=()
for d in system faults scenarios; do [ -d "$d" ] && sdirs+=("$d"); done
if [ ${#sdirs[@]} -gt 0 ]; then
  while IFS= read -r f; do
    case "$f" in scenarios/cmd/*|system/*/cmd/*) continue ;; esac
    while IFS= read -r n; do
      report "$f:$n: unordered containers, std::hash, <random>, threads, atomics, locks, files outside the seam, getenv, clock() or sleeping (use the Runtime, std::map, sim/base/random.h; or add // lint-allow: <reason>)"
    done < <(strict_hits "$f" 'getenv\(')
  done < <(src "${sdirs[@]}")
fi
tdirs=()
for d in tests/sim/simulated tests/system tests/faults tests/scenarios tests/determinism tests/property; do
  [ -d "$d" ] && tdirs+=("$d")
done
if [ ${#tdirs[@]} -gt 0 ]; then
  while IFS= read -r f; do
    case "$f" in *asio*) continue ;; esac
    while IFS= read -r n; do
      report "$f:$n: a test of the simulated world uses real time, threads, OS randomness, unordered containers or files outside the seam (or add // lint-allow: <reason>)"
    done < <(grep -nE "$banned|$strict" "$f" | grep -vE '^[0-9]+:\s*//' | grep -vE '// lint-allow: [^ ]' | cut -d: -f1)
  done < <(src "${tdirs[@]}")
fi

while IFS= read -r f; do
  case "$f" in sim/asio/*) continue ;; esac
  grep -qE '#include\s*[<"](boost/asio|asio)' "$f" && report "$f: includes Boost.Asio (only sim/asio may)"
done < <(src sim system faults scenarios python 2>/dev/null)

while IFS= read -r f; do
  grep -nE '#include\s*"system/' "$f" | cut -d: -f1 | while IFS= read -r n; do
    echo "lint: $f:$n: sim/simulated and sim/asio must not include system/"
  done
done < <(src sim/simulated sim/asio) | grep . && fail=1

while IFS= read -r f; do
  grep -nE '#include\s*"sim/(simulated|asio)/' "$f" | cut -d: -f1 | while IFS= read -r n; do
    echo "lint: $f:$n: system/ links the seam only (sim/base, sim/runtime)"
  done
done < <(src system | grep -v '/cmd/') | grep . && fail=1

if [ "$fail" -eq 0 ]; then echo "lint: OK"; fi
exit "$fail"
