#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test (C++ unit, property,
# determinism and lint tests under CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd "${RMQSIM_BUILD_DIR:-build}" && ctest --output-on-failure -j"$(nproc)" --timeout 600)
# The sanitizer stage and the fuzz smoke (docs/ci.md): in CI (CI=true) or when asked
# (RMQSIM_SANITIZE=1). ASan + UBSan build in build-asan/, its tests, then each fuzz target 25 s.
if [ "${CI:-}" = true ] || [ "${RMQSIM_SANITIZE:-0}" = 1 ]; then
  bash scripts/sanitize.sh
  if command -v clang++ >/dev/null 2>&1; then bash scripts/fuzz.sh --smoke; fi
fi
