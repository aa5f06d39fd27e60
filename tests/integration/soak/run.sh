#!/usr/bin/env bash
# The long soak, for a manual run: tests/integration/soak_integration_test.cc for
# LMX_SOAK_SECONDS (default 1800) of crashes, partitions and restores, then
# the ledger check. CI runs the same test for 60 s.
#   bash tests/integration/soak/run.sh [SECONDS] [SEED]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/deploy/build.sh"
export LMX_SOAK_SECONDS="${1:-1800}"
[ -n "${2:-}" ] && export LMX_SOAK_SEED="$2"
exec "$root/build/tests/lmx_integration_tests" --gtest_filter='SoakTest.*'
