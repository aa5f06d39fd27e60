#!/usr/bin/env bash
# Regional aggregates at growing size (issues 6 and 21). Origin nodes each
# publish PER_ORIGIN flow rows (bench/gen.py); at each size of SIZES (total
# observations: 1M, 3M, 10M and 30M by default) a new regional node joins
# and pulls every origin (catch-up, timed until it holds every
# observation). It then answers
#   lmx aggregate flows --by=occupation:1,country   and   --by=counterpart
# through the CLI, RUNS times each (p50, p99), against DuckDB (bench/
# duckdb.mjs: as a user would, and tuned) on the same rows in the same run.
# At PG_SIZE (10M) PostgreSQL 15 GROUP BY on the same rows, loaded with
# COPY into one indexed table, is measured too. A table of the p50s by size
# ends the run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
per=${PER_ORIGIN:-500000}; runs=${RUNS:-5}
sizes=(${SIZES:-1000000 3000000 10000000 30000000})
pg_size=${PG_SIZE:-10000000}
# African Union members: an origin each, as many as the largest size needs.
countries=(KEN UGA TZA RWA BDI ETH SOM SSD DJI ERI SDN EGY MWI ZMB ZWE MOZ MDG COD NGA GHA
  DZA AGO BEN BWA BFA CPV CMR CAF TCD COM COG CIV GNQ SWZ GAB GMB GIN GNB LSO LBR
  LBY MLI MRT MUS MAR NAM NER STP SEN SLE ZAF TGO TUN
  IND PAK BGD NPL LKA PHL IDN VNM THA MYS)
peers=(); files=(); origins=0; region_n=0
declare -A table
pg_loaded=0
[[ " ${sizes[*]} " == *" $pg_size "* ]] && { pg_start; psql_run -c "CREATE TABLE flows (country text,
  period text, direction text, counterpart text, count bigint, occupation text, sex text, age text,
  channel text)"; }
lmx_time() {  # the seconds one `lmx aggregate flows ARGS` takes
  local t0; t0=$(now)
  "$lmx" --node="$region" aggregate flows "$@" --format=csv >/dev/null 2>&1
  elapsed "$t0" "$(now)"
}
for size in "${sizes[@]}"; do
  want=$(((size + per - 1) / per))
  ((want <= ${#countries[@]})) || { echo "at most $((${#countries[@]} * per)) observations"; exit 1; }
  for ((; origins < want; origins++)); do
    c=${countries[$origins]}
    python3 "$root/bench/gen.py" flows "$per" "$c" "$origins" >"$work/$c.csv"
    chmod 644 "$work/$c.csv"
    start_node "$c" "$c"
    "$lmx" --node="$address" publish flows "$work/$c.csv" >/dev/null 2>&1
    peers+=("$c=$address"); files+=("$work/$c.csv")
    if ((origins * per < pg_size)) && [[ -n "$pg_dir" ]]; then
      psql_run -c "ALTER TABLE flows ALTER country SET DEFAULT '$c'" \
        -c "COPY flows (period,direction,counterpart,count,occupation,sex,age,channel) FROM '$work/$c.csv' WITH (FORMAT csv, HEADER true)"
    fi
  done
  total=$((origins * per))
  echo "== $total observations from $origins origins"
  # A new regional node joins and catches up on every origin.
  ((region_n += 1))
  t0=$(now)
  start_node "REGION$region_n" SYC --peers="$(IFS=,; echo "${peers[*]}")"
  region=$address; region_pid=${pids[-1]}
  until [[ "$("$lmx" --node="$region" peers --format=csv 2>/dev/null | awk -F, 'NR > 1 && $2 >= 1 && $4 == 0' | wc -l)" -ge "$origins" ]]; do
    sleep 0.05
  done
  catch_up=$(elapsed "$t0" "$(now)")
  echo "catch-up: a new node pulled $total observations from $origins origins in ${catch_up} s = $(echo "$total / $catch_up" | bc) obs/s (node start included; target >= 200,000 obs/s)"
  echo "region node RSS after catch-up: $(rss_mb "$region_pid") MB; its store on disk: $(du -sm "$work/REGION$region_n/data" | cut -f1) MB"
  # The columns of each origin are built from its batch as it commits
  # (node/query/flow_cache.h): nothing is left to wait for.
  echo "first aggregate right after the catch-up: $(lmx_time --by=country) s; region node RSS then $(rss_mb "$region_pid") MB"
  echo "first ask of a new shape (sums the columns): $(lmx_time --by=age,sex --occupation=2 --from=1901-01) s"
  if ((total == pg_size)) && [[ -n "$pg_dir" ]]; then
    psql_run -c "CREATE UNIQUE INDEX flows_key ON flows (country, period, direction, counterpart, occupation, sex, age, channel)" \
      -c "VACUUM ANALYZE flows"
  fi
  duck=$(node "$root/bench/duckdb.mjs" "$runs" "${files[@]}")
  echo "$duck"
  query() {  # name lmx-args sql
    local ours=() theirs=()
    lmx_time $2 >/dev/null  # warm
    for _ in $(seq 1 "$runs"); do
      ours+=($(lmx_time $2))
      if ((total == pg_size)) && [[ -n "$pg_dir" ]]; then theirs+=($(pg_time "$3")); fi
    done
    local op; op=$(median "${ours[@]}")
    local dp; dp=$(echo "$duck" | awk -v q="$1" '$2 == "plain" && $3 == q":" {print $5}')
    local dt; dt=$(echo "$duck" | awk -v q="$1" '$2 == "tuned" && $3 == q":" {print $5}')
    table[$1,$total]="$op $dp $dt"
    echo "aggregate $1 over $total observations, $runs runs:"
    echo "  lmx (CLI)      p50 ${op} s, p99 $(p99 "${ours[@]}") s"
    echo "  DuckDB         p50 ${dp} s; lmx is $(ratio "$dp" "$op")x faster (target >= 3x)"
    echo "  DuckDB, tuned  p50 ${dt} s; lmx is $(ratio "$dt" "$op")x faster"
    if ((${#theirs[@]})); then
      local pp; pp=$(median "${theirs[@]}")
      echo "  PostgreSQL     p50 ${pp} s; lmx is $(ratio "$pp" "$op")x faster (target >= 10x)"
    fi
  }
  query "--by=occupation:1,country" "--by=occupation:1,country" \
    "SELECT left(occupation, 1), country, sum(count), count(DISTINCT country) FROM flows GROUP BY 1, 2"
  query "--by=counterpart" "--by=counterpart" \
    "SELECT counterpart, sum(count), count(DISTINCT country) FROM flows GROUP BY 1"
  # Only the origins stay up for the next size.
  kill "$region_pid"; wait "$region_pid" 2>/dev/null || true
  rm -rf "$work/REGION$region_n"
done
echo "== p50 by size (seconds: lmx through the CLI, DuckDB, DuckDB tuned)"
for q in "--by=occupation:1,country" "--by=counterpart"; do
  line="$q"
  for size in "${sizes[@]}"; do line+=" | $((size / 1000000))M: ${table[$q,$((((size + per - 1) / per) * per))]}"; done
  echo "$line"
  first=${sizes[0]}; last=${sizes[-1]}
  a=$(echo "${table[$q,$((((first + per - 1) / per) * per))]}" | cut -d' ' -f1)
  b=$(echo "${table[$q,$((((last + per - 1) / per) * per))]}" | cut -d' ' -f1)
  echo "  lmx from $((first / 1000000))M to $((last / 1000000))M: $(ratio "$b" "$a")x (target < 2x)"
done
