# Shared helpers of the benchmarks (sourced). Uses the built binaries in
# build/ and, for the peer figures, a throwaway PostgreSQL 15 cluster and
# RocksDB's db_bench from Debian (bench/setup.sh installs them).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node="$root/build/node/lmx-node"
lmx="$root/build/client/lmx"
work=${work:-$(mktemp -d /tmp/lmx-bench.XXXXXX)}
chmod 755 "$work"
pids=()
pg_dir=""
cleanup() {
  set +e  # everything below runs, whatever has already stopped
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n "$pg_dir" ]] && pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
# seconds between two `now`s, 3 decimals
elapsed() { echo "scale=3; ($2 - $1) / 1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p99() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); if(i<1)i=1; print a[i]}'; }

# start_node NAME COUNTRY [FLAGS...]: a node on a free loopback port, in
# $work/NAME; sets `address` to where it listens. `node_pin` (say
# "taskset -c 1") pins it to cores, as `pg_pin` and `psql_pin` do the
# PostgreSQL server and psql.
start_node() {
  local name=$1 country=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  ${node_pin:-} "$node" --country="$country" --data_dir="$dir/data" --listen=127.0.0.1:0 \
    --ready_file="$dir/ready" "$@" >/dev/null 2>"$dir/log" &
  pids+=($!)
  for _ in $(seq 1 600); do [[ -s "$dir/ready" ]] && break; sleep 0.05; done
  [[ -s "$dir/ready" ]] || { echo "$name did not start:"; cat "$dir/log"; exit 1; }
  address=$(cat "$dir/ready")
}

# RSS of a process in MB.
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# A PostgreSQL 15 cluster of our own on a Unix socket in $work.
pg_start() {
  pg_dir="$work/pg"
  mkdir -p "$pg_dir"
  chown postgres "$pg_dir" "$work"
  local bin=/usr/lib/postgresql/15/bin
  runuser -u postgres -- "$bin/initdb" -D "$pg_dir/data" -A trust >/dev/null
  ${pg_pin:-} runuser -u postgres -- "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-k $pg_dir -c listen_addresses='' -c shared_buffers=1GB -c work_mem=256MB -c max_wal_size=4GB -c synchronous_commit=on" start >/dev/null
}
pg_stop() {
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  pg_dir=""
}
psql_run() { ${psql_pin:-} runuser -u postgres -- psql -h "$pg_dir" -d postgres -q -v ON_ERROR_STOP=1 "$@"; }
# pg_time SQL: the server-side time of one statement, in seconds.
pg_time() {
  psql_run -c '\timing on' -c "$1" | awk '/^Time:/ {t=$2} END {printf "%.3f", t / 1000}'
}
