#!/usr/bin/env bash
# Installs what the benchmarks compare against, from Debian packages:
# RocksDB's db_bench (rocksdb-tools) and PostgreSQL 15, plus bc.
set -euo pipefail
missing=()
for p in rocksdb-tools postgresql bc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
