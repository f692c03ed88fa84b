#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test (C++ unit, property,
# determinism and lint tests under CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd "${RMQSIM_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" --timeout 600
