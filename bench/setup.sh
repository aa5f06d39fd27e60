#!/usr/bin/env bash
# Installs what the benchmarks compare against, from Debian packages:
# RocksDB's db_bench (rocksdb-tools) and PostgreSQL 15, plus bc; and from
# npm, DuckDB.
set -euo pipefail
missing=()
for p in rocksdb-tools postgresql bc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# DuckDB, the analyst's peer (bench/duckdb.mjs), from npm at the version
# pinned in bench/package-lock.json.
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d "$here/node_modules/@duckdb/node-api" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
