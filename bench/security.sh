#!/usr/bin/env bash
# What security costs: the same 1,000,000-row flow file published, and the
# same regional aggregate asked, at a node that is open and plaintext and at
# a node with mutual TLS and a publisher's token (region init --tls), in one
# run, alternating, RUNS times each. Prints the medians and their ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/build/node/lmx-node"; lmx="$root/build/client/lmx"
runs=${RUNS:-3}; rows=${ROWS:-1000000}
work=$(mktemp -d); pid=
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$rows" "$root/federation/classifications/isco08.csv" >"$work/flows.csv" <<'PY'
import random, sys
rows, isco = int(sys.argv[1]), sys.argv[2]
codes = [l.split(',')[0] for l in open(isco).read().split('\n')[1:] if len(l.split(',')[0]) == 4]
random.seed(1)
print("period,direction,counterpart,count,occupation,sex,age,channel")
n = 0
for y in range(1900, 2400):
    for m in range(1, 13):
        for o in codes[:400]:
            for s in "FM":
                for a in ("Y15T24", "Y25T54", "Y55T64", "Y_GE65"):
                    print(f"{y}-{m:02d},OUTFLOW,SAU,{random.randint(5, 900)},{o},{s},{a},_T")
                    n += 1
                    if n == rows: sys.exit(0)
PY
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run MODE: starts a fresh node, publishes, aggregates; prints "publish aggregate" seconds.
run() {
  local dir="$work/$1-$RANDOM" args=()
  if [[ $1 == secure ]]; then
    "$lmx" region init --dir="$dir" --countries=KEN --tls >/dev/null
    token=$("$lmx" admin token create --config="$dir/KEN/config.json" --name=bench --role=publisher 2>/dev/null)
    args=(--region="$dir/region.json")
    client=(--tls_ca="$dir/ca.pem" --tls_server_name=KEN --token="$token")
  else
    client=()
  fi
  "$node" --country=KEN --data_dir="$dir/KEN" --listen=127.0.0.1:0 --ready_file="$dir/ready" \
    "${args[@]}" 2>"$dir.log" & pid=$!
  for _ in $(seq 1 300); do [[ -s "$dir/ready" ]] && break; sleep 0.05; done
  local address; address=$(cat "$dir/ready")
  local t0 t1 t2
  t0=$(now); "$lmx" --node="$address" "${client[@]}" publish flows "$work/flows.csv" >/dev/null 2>&1
  t1=$(now); "$lmx" --node="$address" "${client[@]}" aggregate flows --by=occupation:1 >/dev/null 2>&1
  t2=$(now)
  kill $pid; wait $pid 2>/dev/null || true; pid=; rm -rf "$dir"
  echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc)"
}
open_publish=(); open_aggregate=(); secure_publish=(); secure_aggregate=()
for _ in $(seq 1 "$runs"); do
  read -r p a < <(run open); open_publish+=($p); open_aggregate+=($a)
  read -r p a < <(run secure); secure_publish+=($p); secure_aggregate+=($a)
done
op=$(median "${open_publish[@]}"); sp=$(median "${secure_publish[@]}")
oa=$(median "${open_aggregate[@]}"); sa=$(median "${secure_aggregate[@]}")
echo "publish $rows flow rows: open plaintext ${op}s ($(echo "$rows / $op" | bc) rows/s), TLS + token ${sp}s ($(echo "$rows / $sp" | bc) rows/s); secure/open throughput $(echo "scale=2; $op / $sp" | bc)x"
echo "aggregate flows --by=occupation:1: open ${oa}s, TLS + token ${sa}s; secure/open time $(echo "scale=2; $sa / $oa" | bc)x"
