#!/usr/bin/env bash
# SDMX data answers at size (issue 20): one node holding ROWS flow rows
# (1,000,000 by default) answers the whole dataflow in each SDMX format,
# flat and in series, RUNS times each (median), beside `lmx query flows
# --format=csv` over gRPC on the same node in the same run. Reports each
# answer's time, its size, and the node's peak RSS (VmHWM) after it: flat
# answers stream; series are grouped one country at a time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${ROWS:-1000000}; runs=${RUNS:-3}
python3 "$root/bench/gen.py" flows "$rows" KEN 0 >"$work/flows.csv"
start_node KEN KEN --http_listen=127.0.0.1:0 --http_ready_file="$work/http"
for _ in $(seq 1 200); do [[ -s "$work/http" ]] && break; sleep 0.05; done
http=$(cat "$work/http")
pid=${pids[-1]}
"$lmx" --node="$address" publish flows "$work/flows.csv" >/dev/null 2>&1
hwm_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
echo "rows: $rows; node RSS after publish: $(rss_mb "$pid") MB, peak $(hwm_mb "$pid") MB"
timed() {  # name command...
  local name=$1; shift
  "$@" >"$work/out" 2>/dev/null  # warm
  local times=()
  for _ in $(seq 1 "$runs"); do
    local t0; t0=$(now)
    "$@" >"$work/out" 2>/dev/null
    times+=($(elapsed "$t0" "$(now)"))
  done
  t=$(median "${times[@]}")
  echo "$name: ${t} s, $(($(stat -c %s "$work/out") / 1048576)) MiB, node peak RSS $(hwm_mb "$pid") MB"
}
url="http://$http/sdmx/3.0/data/dataflow/LMX/FLOW/1.0/*"
timed "lmx query flows --format=csv (gRPC)" "$lmx" --node="$address" query flows --format=csv
grpc=$t
sdmx() {  # name accept [query]
  timed "$1" curl -sf -H "Accept: $2" "$url${3:-}"
  echo "  = $(ratio "$t" "$grpc") x lmx query"
}
sdmx "SDMX-CSV 2.0.0 (flat, streamed)" "application/vnd.sdmx.data+csv;version=2.0.0"
sdmx "SDMX-ML structure-specific, flat" "application/vnd.sdmx.structurespecificdata+xml;version=2.1" "?dimensionAtObservation=AllDimensions"
sdmx "SDMX-JSON 2.0.0, flat" "application/vnd.sdmx.data+json;version=2.0.0" "?dimensionAtObservation=AllDimensions"
sdmx "SDMX-ML generic, series (default)" "application/vnd.sdmx.genericdata+xml;version=2.1"
sdmx "SDMX-ML structure-specific, series" "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
sdmx "SDMX-JSON 2.0.0, series (default)" "application/vnd.sdmx.data+json;version=2.0.0"
