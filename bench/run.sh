#!/usr/bin/env bash
# Every benchmark (issue 6, then 19), in one command, each printing both of its
# numbers and their ratio from the same run. Installs the peers (bench/
# setup.sh) and builds (deploy/build.sh) first. Takes about 15 minutes on a
# 2-core machine; figures go to docs/performance.md by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/setup.sh"
bash "$here/../deploy/build.sh"
for bench in publish http_publish web aggregate point_queries replication security footprint continent; do
  echo "== bench/$bench.sh"
  bash "$here/$bench.sh"
done
