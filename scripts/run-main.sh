#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a chaos scenario on a simulated
# RocketMQ cluster (2 name servers, 2 broker masters, producers, push consumers, a random
# nemesis) with a readable summary. Extra arguments go to `rmqsim cluster` (e.g. --seed 7
# --chaos 10m --async-flush).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh rmqsim
exec "${RMQSIM_BUILD_DIR:-build}/scenarios/rmqsim" cluster "$@"
