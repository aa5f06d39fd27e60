#!/usr/bin/env bash
# Replication figures on loopback: publish-to-visible latency at a peer
# (p50, p99 over N one-row publishes) and catch-up throughput of a new node
# joining an origin that holds ROWS flow observations. Uses the built
# binaries in build/. Prints both numbers of each comparison.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/build/node/lmx-node"; lmx="$root/build/client/lmx"
n=${N:-50}; rows=${ROWS:-500000}
work=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
start() {  # country port peers
  "$node" --country=$1 --data_dir="$work/$1" --listen=127.0.0.1:$2 --peers=$3 \
    --ready_file="$work/$1.ready" 2>"$work/$1.log" & pids+=($!)
  for _ in $(seq 1 300); do [[ -s "$work/$1.ready" ]] && return; sleep 0.05; done; exit 1
}
version_at() { "$lmx" --node=127.0.0.1:$1 peers --format=csv 2>/dev/null | awk -F, -v o=$2 '$1==o{print $2}'; }
now_ms() { date +%s%3N; }
base=$((30000 + RANDOM % 20000))
start KEN $base UGA=127.0.0.1:$((base+1)); start UGA $((base+1)) KEN=127.0.0.1:$base
lat=()
for i in $(seq 1 "$n"); do
  printf 'period,occupation,status\n%d,2512,SHORTAGE\n' $((1990 + i)) > "$work/s.csv"
  "$lmx" --node=127.0.0.1:$base publish shortages "$work/s.csv" >/dev/null 2>&1
  t0=$(now_ms)
  until [[ "$(version_at $((base+1)) KEN)" == "$i" ]]; do :; done
  lat+=($(( $(now_ms) - t0 )))
done
sorted=($(printf '%s\n' "${lat[@]}" | sort -n))
echo "publish-to-visible at a peer over $n publishes: p50 ${sorted[$((n/2))]} ms, p99 ${sorted[$((n*99/100))]} ms (polling with the lmx CLI, ~10 ms a poll)"
python3 - "$rows" > "$work/flows.csv" <<'PY'
import sys
rows = int(sys.argv[1]); n = 0; m = 0
print("period,direction,counterpart,count,occupation,sex,age,channel")
occ = ["2221","2211","3221","5120","6111","7115","8322","9312","1120","4110"]
while n < rows:
    period = "%d-%02d" % (1900 + m // 12, m % 12 + 1); m += 1
    for o in occ:
        for s in "FM":
            for a in ["Y15T24","Y25T54","Y55T64","Y_GE65"]:
                for c in range(12):
                    print("%s,OUTFLOW,SAU,%d,%s,%s,%s,C%d" % (period, 5 + (n * 7919) % 500, o, s, a, c)); n += 1
PY
"$lmx" --node=127.0.0.1:$base publish flows "$work/flows.csv" >/dev/null 2>&1
until [[ "$(version_at $((base+1)) KEN)" == "$((n+1))" ]]; do sleep 0.05; done
cells=$(($(wc -l < "$work/flows.csv") - 1))
t0=$(now_ms)
start TZA $((base+2)) KEN=127.0.0.1:$base
until [[ "$(version_at $((base+2)) KEN)" == "$((n+1))" ]]; do sleep 0.05; done
ms=$(( $(now_ms) - t0 ))
echo "catch-up of a new node: $cells flow observations in $ms ms = $(( cells * 1000 / (ms > 0 ? ms : 1) )) obs/s (target 200000 obs/s: $(python3 -c "print(round($cells*1000/max($ms,1)/200000, 2))")x)"
