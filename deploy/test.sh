#!/usr/bin/env bash
# Installs, builds and runs every test (unit and integration), then the
# fuzzers for a bounded time (LMX_FUZZ_SECONDS per target, default 20). CI
# runs this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/build.sh"
ctest --test-dir "$root/build" --output-on-failure --parallel 2 --timeout 600
bash "$root/tests/fuzz/run.sh" "${LMX_FUZZ_SECONDS:-20}"
