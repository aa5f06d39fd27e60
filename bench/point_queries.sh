#!/usr/bin/env bash
# Concurrent queries (issue 6, figure 3; issue 21): a node holding a
# ministry's sample shortages and AGG_ROWS flow observations (bench/gen.py,
# 1M by default) answers 1, 4 and 16 concurrent clients for SECONDS each
# (gRPC, own load generator: build/bench/lmx_point_queries, one thread and
# connection per client):
#   - point queries: the shortage view and one-country shortage queries;
#   - aggregates: --by=occupation:1,country, --by=counterpart and
#     --by=period --occupation=2 in turn.
# The load generator runs on the same 2 cores as the node, as an analyst's
# tools would beside a small server; each line gives the rate beside the
# one-client rate.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds=${SECONDS_EACH:-5}; agg_rows=${AGG_ROWS:-1000000}
python3 "$root/deploy/make_sample_data.py" --country=KEN --out="$work/ken" --seed=7 >/dev/null
python3 "$root/bench/gen.py" flows "$agg_rows" KEN 1 >"$work/flows.csv"
start_node KEN KEN
"$lmx" --node="$address" publish shortages "$work/ken/shortages.csv" >/dev/null 2>&1
"$lmx" --node="$address" publish flows "$work/flows.csv" >/dev/null 2>&1
"$lmx" --node="$address" aggregate flows --by=country >/dev/null 2>&1  # columns built
echo "on $(($(wc -l <"$work/ken/shortages.csv") - 1)) shortage rows and $agg_rows flow rows:"
for mode in point aggregate; do
  one=""
  for clients in 1 4 16; do
    line=$("$root/build/bench/lmx_point_queries" "$address" "$clients" "$seconds" "$mode")
    rate=$(echo "$line" | awk '{for (i = 1; i <= NF; i++) if ($i == "queries/s,") print $(i - 1)}')
    [[ -z "$one" ]] && one=$rate
    echo "  $line; $(ratio "$rate" "$one")x the one-client rate"
  done
done
