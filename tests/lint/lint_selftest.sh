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
if [ "$status" -eq 0 ]; then echo "selftest: OK"; fi
exit "$status"
