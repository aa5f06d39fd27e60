#!/usr/bin/env bash
# Regional aggregate (issue 6, figure 2) and catch-up (figure 4b): ORIGINS
# origin nodes each publish PER_ORIGIN flow rows (20 x 500,000 = 10M by
# default); a new regional node then joins and pulls them all (catch-up,
# timed until it holds every observation). It then answers
#   lmx aggregate flows --by=occupation:1,country   and   --by=counterpart
# RUNS times each (p50, p99), against PostgreSQL 15 GROUP BY on the same
# rows, loaded with COPY into one indexed table, in the same run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
origins=${ORIGINS:-20}; per=${PER_ORIGIN:-500000}; runs=${RUNS:-5}
countries=(KEN UGA TZA RWA BDI ETH SOM SSD DJI ERI SDN EGY MWI ZMB ZWE MOZ MDG COD NGA GHA)
total=$((origins * per))
pg_start
psql_run -c "CREATE TABLE flows (country text, period text, direction text, counterpart text,
  count bigint, occupation text, sex text, age text, channel text)"
peers=()
for ((i = 0; i < origins; i++)); do
  c=${countries[$i]}
  python3 "$root/bench/gen.py" flows "$per" "$c" "$i" >"$work/$c.csv"
  chmod 644 "$work/$c.csv"
  start_node "$c" "$c"
  "$lmx" --node="$address" publish flows "$work/$c.csv" >/dev/null 2>&1
  peers+=("$c=$address")
  psql_run -c "ALTER TABLE flows ALTER country SET DEFAULT '$c'" \
    -c "COPY flows (period,direction,counterpart,count,occupation,sex,age,channel) FROM '$work/$c.csv' WITH (FORMAT csv, HEADER true)"
  rm "$work/$c.csv"
done
psql_run -c "CREATE UNIQUE INDEX flows_key ON flows (country, period, direction, counterpart, occupation, sex, age, channel)" \
  -c "VACUUM ANALYZE flows"
# The regional node joins and catches up on every origin.
t0=$(now)
start_node REGION SYC --peers="$(IFS=,; echo "${peers[*]}")"
region=$address
until [[ "$("$lmx" --node="$region" peers --format=csv 2>/dev/null | awk -F, 'NR > 1 && $2 >= 1 && $4 == 0' | wc -l)" -ge "$origins" ]]; do
  sleep 0.05
done
t1=$(now)
catch_up=$(elapsed "$t0" "$t1")
echo "catch-up: a new node pulled $total observations from $origins origins in ${catch_up} s = $(echo "$total / $catch_up" | bc) obs/s (node start included; target >= 200,000 obs/s)"
# The origins are done; only the region node and PostgreSQL run from here.
for ((i = 0; i < origins; i++)); do kill "${pids[$i]}" 2>/dev/null || true; done
region_pid=${pids[-1]}
echo "region node RSS after catch-up: $(rss_mb "$region_pid") MB"
# Each origin's flows are read into columns once per flow batch, by a
# background thread once the store is quiet (node/query/flow_cache.h). The first
# aggregate right after the catch-up waits for what it has not built yet.
t0=$(now)
"$lmx" --node="$region" aggregate flows --by=country --format=csv >/dev/null 2>&1
echo "first aggregate right after catch-up (waits for the background column build): $(elapsed "$t0" "$(now)") s; region node RSS then $(rss_mb "$region_pid") MB"
query() {  # name lmx-args sql
  local ours=() theirs=()
  "$lmx" --node="$region" aggregate flows $2 --format=csv >/dev/null 2>&1  # warm
  for _ in $(seq 1 "$runs"); do
    local t0; t0=$(now)
    "$lmx" --node="$region" aggregate flows $2 --format=csv >/dev/null 2>&1
    ours+=($(elapsed "$t0" "$(now)"))
    theirs+=($(pg_time "$3"))
  done
  local op; op=$(median "${ours[@]}"); local pp; pp=$(median "${theirs[@]}")
  echo "aggregate $1 over $total observations, $runs runs:"
  echo "  lmx        p50 ${op} s, p99 $(p99 "${ours[@]}") s"
  echo "  PostgreSQL p50 ${pp} s, p99 $(p99 "${theirs[@]}") s"
  echo "  lmx p50 is $(ratio "$pp" "$op")x faster than PostgreSQL GROUP BY (target >= 10x)"
}
query "--by=occupation:1,country" "--by=occupation:1,country" \
  "SELECT left(occupation, 1), country, sum(count), count(DISTINCT country) FROM flows GROUP BY 1, 2"
query "--by=counterpart" "--by=counterpart" \
  "SELECT counterpart, sum(count), count(DISTINCT country) FROM flows GROUP BY 1"
