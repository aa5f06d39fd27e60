#!/usr/bin/env bash
# Footprint (issue 6, figure 5): the RSS of an idle node, and a region of
# NODES nodes (20 by default) started on this machine in a full mesh (each
# pulls from every other), each publishing one small shortage file: the
# time from the first start until every node holds every origin with
# agreeing digests, and the region's total RSS then.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=${NODES:-20}
countries=(KEN UGA TZA RWA BDI ETH SOM SSD DJI ERI SDN EGY MWI ZMB ZWE MOZ MDG COD NGA GHA)
start_node IDLE KEN
sleep 3
echo "idle node RSS: $(rss_mb "${pids[-1]}") MB (target < 100 MB)"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; pids=()
# Ports first, so that every node can name all the others at start.
base=$(python3 "$root/deploy/free_ports.py" "$n")
t0=$(now)
for ((i = 0; i < n; i++)); do
  peers=()
  for ((j = 0; j < n; j++)); do ((j != i)) && peers+=("${countries[$j]}=127.0.0.1:$((base + j))"); done
  dir="$work/${countries[$i]}"; mkdir -p "$dir"
  "$node" --country="${countries[$i]}" --data_dir="$dir/data" --listen=127.0.0.1:$((base + i)) \
    --peers="$(IFS=,; echo "${peers[*]}")" --ready_file="$dir/ready" 2>"$dir/log" &
  pids+=($!)
done
for ((i = 0; i < n; i++)); do
  c=${countries[$i]}
  until [[ -s "$work/$c/ready" ]]; do sleep 0.05; done
  printf 'period,occupation,status\n2025-Q1,2512,SHORTAGE\n2025-Q1,2221,SURPLUS\n' >"$work/$c/s.csv"
  "$lmx" --node=127.0.0.1:$((base + i)) publish shortages "$work/$c/s.csv" >/dev/null 2>&1
done
converged() {
  for ((i = 0; i < n; i++)); do
    local agree
    agree=$("$lmx" --node=127.0.0.1:$((base + i)) peers --format=csv 2>/dev/null |
      awk -F, 'NR > 1 && $2 == 1 && $4 == 0' | wc -l)
    ((agree >= n)) || return 1
  done
}
until converged; do sleep 0.1; done
t1=$(now)
total=0
for p in "${pids[@]}"; do total=$(echo "$total + $(rss_mb "$p")" | bc); done
echo "a $n-node full-mesh region ($((n * (n - 1))) Pull streams) converged in $(elapsed "$t0" "$t1") s from the first start; total RSS $total MB ($(echo "scale=1; $total / $n" | bc) MB a node)"
