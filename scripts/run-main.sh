#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the chaos scenario
# (scenarios/library/chaos.textproto: 2 name servers, 2 broker groups of SYNC_MASTER + slave,
# producers, push consumers, a role-aware random nemesis) with a readable summary. Extra
# arguments go to `rmqsim run` (e.g. --seed 7 --set phases.chaos=30m --buggify).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh rmqsim
exec "${RMQSIM_BUILD_DIR:-build}/scenarios/rmqsim" run scenarios/library/chaos.textproto "$@"
