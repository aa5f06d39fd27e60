#!/usr/bin/env bash
# Point queries (issue 6, figure 3): a node holding a ministry's sample
# shortages answers the shortage view and one-country shortage queries,
# asked by 1 and then 16 concurrent clients for SECONDS each (gRPC, own
# load generator: build/bench/lmx_point_queries).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_EACH:-5}
python3 "$root/deploy/make_sample_data.py" --country=KEN --out="$work/ken" --seed=7 >/dev/null
start_node KEN KEN
"$lmx" --node="$address" publish shortages "$work/ken/shortages.csv" >/dev/null 2>&1
echo "point queries on $(($(wc -l <"$work/ken/shortages.csv") - 1)) shortage rows:"
for clients in 1 16; do
  echo "  $("$root/build/bench/lmx_point_queries" "$address" "$clients" "$seconds")"
done
