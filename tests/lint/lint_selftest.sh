#!/usr/bin/env bash
# Shows that lint.sh fails on each kind of violation and passes on a clean tree.
set -u
lint=${1:?usage: lint_selftest.sh <lint.sh>}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
mk() { mkdir -p "$tmp/$1"; mkdir -p "$(dirname "$tmp/$1/$2")"; printf '%s\n' "$3" > "$tmp/$1/$2"; }
expect() {  # expect <pass|fail> <case> <file> <content>
  local want=$1 name=$2
  mk "$name" "$3" "$4"
  if bash "$lint" "$tmp/$name" >/dev/null 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$want" ]; then echo "selftest: case '$name' expected $want, got $got"; status=1; fi
}
expect pass clean       system/broker/a.cc '#include "sim/runtime/runtime.h"  // now via rt.Now()'
expect pass cmd_ok      scenarios/cmd/main.cc 'auto t = std::chrono::steady_clock::now();'
expect pass main_ok     system/node/cmd/main.cc '#include "sim/asio/asio_runtime.h"'
expect pass asio_ok     sim/asio/x.cc '#include <boost/asio.hpp>'
expect pass comment_ok  system/a.cc '// never call std::chrono::steady_clock here'
expect fail steady      system/broker/a.cc 'auto t = std::chrono::steady_clock::now();'
expect fail sysclock    faults/a.cc 'auto t = std::chrono::system_clock::now();'
expect fail thread      scenarios/runner/a.cc 'std::thread t([]{});'
expect fail crand       system/a.cc 'int x = rand();'
expect fail randdev     system/a.cc 'std::random_device rd;'
expect fail timenull    system/a.cc 'auto t = time(nullptr);'
expect fail asio_sys    system/a.cc '#include <boost/asio.hpp>'
expect fail asio_sim    sim/simulated/a.cc '#include <boost/asio/io_context.hpp>'
expect fail sim_sys     sim/simulated/a.cc '#include "system/broker/broker.h"'
expect fail asio_sys2   sim/asio/a.cc '#include "system/namesrv/namesrv.h"'
expect fail sys_sim     system/a.cc '#include "sim/simulated/world.h"'
expect fail sleep       faults/a.cc 'usleep(100);'
# The strict rules for components, faults and scenarios.
expect fail unordered   system/a.cc 'std::unordered_map<int, int> m;'
expect fail unordset    scenarios/checkers/a.cc 'std::unordered_set<std::string> s;'
expect fail hash        faults/a.cc 'size_t h = std::hash<std::string>{}(s);'
expect fail random_h    system/a.cc '#include <random>'
expect fail mutex       system/a.cc 'std::mutex m;'
expect fail atomic      scenarios/runner/a.cc 'std::atomic<int> n;'
expect fail atomic_h    faults/a.cc '#include <atomic>'
expect fail fstream     system/a.cc '#include <fstream>'
expect fail filesystem  scenarios/a.cc 'auto p = std::filesystem::path("x");'
expect fail getenv      system/a.cc 'auto v = getenv("X");'
expect fail clockcall   system/a.cc 'auto c = clock();'
expect fail sleepfor    faults/a.cc 'std::this_thread::sleep_for(d);'
expect fail condvar     system/a.cc 'std::condition_variable cv;'
expect pass rtclock     system/a.cc 'auto now = rt_.clock().Now();'
expect pass allowed     scenarios/runner/a.cc '#include <fstream>  // lint-allow: reads a file before the world'
expect fail allow_noreason scenarios/runner/a.cc '#include <fstream>  // lint-allow:'
expect pass cmd_fs      scenarios/cmd/a.cc '#include <filesystem>'
# The tests of the simulated world, but not the real-world (asio) tests.
expect fail test_clock  tests/system/store/a_test.cc 'auto t = std::chrono::steady_clock::now();'
expect fail test_unord  tests/sim/simulated/a_test.cc 'std::unordered_map<int, int> m;'
expect fail test_thread tests/faults/a_test.cc 'std::thread t([]{});'
expect pass test_getenv tests/scenarios/a_test.cc 'if (std::getenv("DUMP")) {}'
expect pass test_asio   tests/system/broker/broker_asio_test.cc 'std::thread t([]{});'
expect pass test_real   tests/sim/asio/a_test.cc 'auto t = std::chrono::steady_clock::now();'
if [ "$status" -eq 0 ]; then echo "selftest: OK"; fi
exit "$status"
