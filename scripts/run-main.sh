#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a chaos run of the simulated world
# with a readable summary. Extra arguments go to `rmqsim demo` (e.g. --seed 7 --chaos 10m).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh rmqsim
exec "${RMQSIM_BUILD_DIR:-build}/scenarios/rmqsim" demo "$@"
