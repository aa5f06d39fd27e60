#!/usr/bin/env bash
# Bulk publish (issue 6, figure 1): the real `lmx publish` of ROWS flow rows
# and of ROWS vacancy rows (CLI -> gRPC -> validation -> RocksDB, one
# synced batch) against, in the same run:
#   - RocksDB's own `db_bench --benchmarks=fillrandom` with the same count
#     and the key and value sizes the node actually stored (read back with
#     ldb);
#   - PostgreSQL 15 `COPY` of the same file into a table with a unique index
#     on the same key.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${ROWS:-1000000}
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
  start_node "KEN-$dataset" KEN
  t0=$(now)
  "$lmx" --node="$address" publish "$dataset" "$work/$dataset.csv" >/dev/null 2>&1
  t1=$(now)
  lmx_s=$(elapsed "$t0" "$t1")
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
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
  echo "  lmx publish          ${lmx_s} s = $lmx_rate rows/s"
  echo "  db_bench fillrandom  $db_ops ops/s   -> lmx at $(ratio "$lmx_rate" "$db_ops")x of it (target >= 0.5x)"
  echo "  PostgreSQL COPY      ${pg_s} s = $pg_rate rows/s -> lmx at $(ratio "$lmx_rate" "$pg_rate")x of it (target >= 2x)"
  rm -rf "$work/KEN-$dataset" "$work/$dataset.csv"
done
