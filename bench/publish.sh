#!/usr/bin/env bash
# Bulk publish (issue 6, figure 1): the real `lmx publish` of ROWS flow rows
# and of ROWS vacancy rows (CLI -> gRPC -> validation -> RocksDB, one
# synced batch) against, in the same run:
#   - RocksDB's own `db_bench --benchmarks=fillrandom` with the same count
#     and the key and value sizes the node actually stored (read back with
#     ldb);
#   - PostgreSQL 15 `COPY` of the same file into a table with a unique index
#     on the same key.
# Issue 21: `lmx publish` sends the file's bytes and the node reads them, as
# COPY does (--send=bytes, the default); the rows-from-the-CLI way
# (--send=rows) is measured too. For a fair comparison the servers are
# pinned to core 1 and their clients to core 0 (taskset): lmx-node and
# `lmx`, PostgreSQL's server and psql. lmx unpinned is given beside.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${ROWS:-1000000}
server_core=${SERVER_CORE:-1}; client_core=${CLIENT_CORE:-0}
pg_pin="taskset -c $server_core"; psql_pin="taskset -c $client_core"
pg_start
psql_run <<'SQL'
CREATE TABLE flows (country text DEFAULT 'KEN', period text, direction text, counterpart text,
  count bigint, occupation text, sex text, age text, channel text);
CREATE UNIQUE INDEX flows_key ON flows (country, period, direction, counterpart, occupation, sex, age, channel);
CREATE TABLE vacancies (country text DEFAULT 'KEN', vacancy_id text, posted date, occupation text,
  positions int, title text, status text);
CREATE UNIQUE INDEX vacancies_key ON vacancies (country, vacancy_id);
SQL
for dataset in flows vacancies; do
  python3 "$root/bench/gen.py" "$dataset" "$rows" KEN >"$work/$dataset.csv"
  chmod 644 "$work/$dataset.csv"
  # publish_once PIN_NODE PIN_CLI SEND: seconds of one publish to a fresh node
  publish_once() {
    rm -rf "$work/KEN-$dataset"
    node_pin=$1 start_node "KEN-$dataset" KEN
    local t0; t0=$(now)
    $2 "$lmx" --node="$address" publish "$dataset" "$work/$dataset.csv" --send="$3" >/dev/null 2>&1
    elapsed "$t0" "$(now)"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  }
  rows_s=$(publish_once "taskset -c $server_core" "taskset -c $client_core" rows)
  free_s=$(publish_once "" "" bytes)
  lmx_s=$(publish_once "taskset -c $server_core" "taskset -c $client_core" bytes)
  # The sizes RocksDB really got from the node.
  read -r key value < <(ldb --db="$work/KEN-$dataset/data/db" --column_family=observations scan \
    --hex 2>/dev/null | head -2000 | awk -F' : ' '{k += length($1) / 2 - 1; v += length($2) / 2 - 1; n++}
    END {printf "%d %d\n", k / n, v / n}')
  db_out=$(db_bench --benchmarks=fillrandom --num="$rows" --key_size="$key" --value_size="$value" \
    --compression_type=lz4 --db="$work/db_bench-$dataset" --threads=1 2>&1)
  db_ops=$(echo "$db_out" | awk '/^fillrandom/ {for (i = 1; i <= NF; i++) if ($i ~ /^ops\/sec/) print $(i - 1)}')
  db_ops=${db_ops%.*}
  rm -rf "$work/db_bench-$dataset"
  pg_s=$(pg_time "COPY $dataset ($(head -1 "$work/$dataset.csv")) FROM '$work/$dataset.csv' WITH (FORMAT csv, HEADER true)")
  lmx_rate=$(echo "$rows / $lmx_s" | bc)
  pg_rate=$(echo "$rows / $pg_s" | bc)
  echo "bulk publish $dataset, $rows rows (key $key B, value $value B):"
  echo "  lmx publish (bytes, pinned)  ${lmx_s} s = $lmx_rate rows/s"
  echo "  lmx publish (rows, pinned)   ${rows_s} s = $(echo "$rows / $rows_s" | bc) rows/s"
  echo "  lmx publish (bytes, unpinned) ${free_s} s = $(echo "$rows / $free_s" | bc) rows/s"
  echo "  db_bench fillrandom  $db_ops ops/s   -> lmx at $(ratio "$lmx_rate" "$db_ops")x of it (target >= 0.5x)"
  echo "  PostgreSQL COPY (pinned) ${pg_s} s = $pg_rate rows/s -> lmx at $(ratio "$lmx_rate" "$pg_rate")x of it (target >= 2x)"
  rm -rf "$work/KEN-$dataset" "$work/$dataset.csv"
done
