#!/usr/bin/env bash
# Installs, builds and runs every test (unit and integration). CI runs this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/build.sh"
ctest --test-dir "$root/build" --output-on-failure --parallel 2 --timeout 600
