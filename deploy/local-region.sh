#!/usr/bin/env bash
# Starts N lmx nodes on loopback as one region, with their signing keys and
# the region manifest, and leaves them running; or stops them.
#
#   deploy/local-region.sh start N [DIR] [--tls] [--http]
#   deploy/local-region.sh stop [DIR]
#
# DIR (default ./local-region) gets each member's data directory, region.json,
# the nodes' logs and pids, and with --tls the region's CA. Every node pulls
# from every other (a full mesh). With --http each node also serves the web
# application, the JSON API, SDMX and /metrics on an HTTP port after the
# gRPC ones. Uses the binaries in build/ (deploy/build.sh makes them), or in
# $LMX_BUILD_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LMX_BUILD_DIR:-$root/build}
lmx_node="$build/node/lmx-node"
lmx="$build/client/lmx"
usage() { echo "usage: $0 start N [DIR] [--tls] [--http] | stop [DIR]" >&2; exit 2; }

stop() {
  local dir=$1
  [[ -f "$dir/pids" ]] || { echo "no region running in $dir" >&2; return 0; }
  while read -r country pid; do
    kill "$pid" 2>/dev/null && echo "stopped $country ($pid)" || true
  done <"$dir/pids"
  rm -f "$dir/pids"
}

[[ $# -ge 1 ]] || usage
command=$1; shift
case "$command" in
  stop) stop "${1:-local-region}"; exit 0 ;;
  start) ;;
  *) usage ;;
esac
[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || usage
n=$1; shift
dir=local-region
tls=()
http=false
for arg in "$@"; do
  case "$arg" in
    --tls) tls=(--tls) ;;
    --http) http=true ;;
    -*) usage ;;
    *) dir=$arg ;;
  esac
done
all=(KEN UGA TZA RWA BDI SSD ETH SOM DJI ERI SDN COD ZMB MWI MOZ ZWE NGA GHA SEN EGY)
((n >= 1 && n <= ${#all[@]})) || { echo "N must be 1 to ${#all[@]}" >&2; exit 2; }
countries=("${all[@]:0:n}")
[[ -x "$lmx_node" && -x "$lmx" ]] || { echo "build first: bash deploy/build.sh" >&2; exit 1; }
[[ -e "$dir/region.json" ]] && { echo "$dir already holds a region; stop it and remove $dir" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# N+1 free loopback ports in a row: one per node, then HTTP ports after.
ports=$((n * 2))
base=$(python3 "$root/deploy/free_ports.py" "$ports")
list=$(IFS=,; echo "${countries[*]}")
"$lmx" region init --dir="$dir" --countries="$list" --base_port="$base" --name=LOCAL "${tls[@]}" >/dev/null
: >"$dir/pids"
for i in "${!countries[@]}"; do
  c=${countries[$i]}
  flags=(--country="$c" --data_dir="$dir/$c" --listen="127.0.0.1:$((base + i))"
         --region="$dir/region.json" --ready_file="$dir/$c.ready")
  $http && flags+=(--http_listen="127.0.0.1:$((base + n + i))")
  nohup "$lmx_node" "${flags[@]}" >"$dir/$c.log" 2>&1 &
  echo "$c $!" >>"$dir/pids"
done
for c in "${countries[@]}"; do
  for _ in $(seq 1 300); do [[ -s "$dir/$c.ready" ]] && break; sleep 0.1; done
  [[ -s "$dir/$c.ready" ]] || { echo "$c did not start:" >&2; cat "$dir/$c.log" >&2; stop "$dir"; exit 1; }
done
echo "region LOCAL: ${#countries[@]} nodes in $dir"
for i in "${!countries[@]}"; do
  c=${countries[$i]}
  line="  $c grpc 127.0.0.1:$((base + i))"
  $http && line+="  http://127.0.0.1:$((base + n + i))/"
  echo "$line"
done
[[ ${#tls[@]} -gt 0 ]] && echo "clients: export LMX_TLS_CA=$dir/ca.pem and pass --tls_server_name=COUNTRY"
echo "try:  $lmx --node=127.0.0.1:$base query flows"
echo "stop: $0 stop $dir"
