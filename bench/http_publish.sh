#!/usr/bin/env bash
# Publishing over HTTP (issue 19): ROWS flow rows POSTed to
# /api/v1/PublishService/Publish as the body, streamed (curl --data-binary
# @file, as a browser's upload sends a File), against `lmx publish` of the
# same file to a fresh node, in the same run. Prints both times, the ratio
# and the node's peak RSS in each case: the body is streamed, so the HTTP
# path should need no more memory than the gRPC one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${ROWS:-1000000}
python3 "$root/bench/gen.py" flows "$rows" KEN >"$work/flows.csv"
size_mb=$(du -m "$work/flows.csv" | cut -f1)

peak_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

start_node KEN-cli KEN
t0=$(now)
"$lmx" --node="$address" publish flows "$work/flows.csv" >/dev/null 2>&1
t1=$(now)
cli_s=$(elapsed "$t0" "$t1")
cli_mb=$(peak_mb "${pids[-1]}")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

start_node KEN-http KEN --http_listen=127.0.0.1:0 --http_ready_file="$work/KEN-http/http"
http=$(cat "$work/KEN-http/http")
t0=$(now)
code=$(curl -s -o "$work/answer.json" -w '%{http_code}' -X POST --data-binary @"$work/flows.csv" \
  -H 'Content-Type: text/csv' \
  "http://$http/api/v1/PublishService/Publish?dataset=flows&source=flows.csv")
t1=$(now)
http_s=$(elapsed "$t0" "$t1")
http_mb=$(peak_mb "${pids[-1]}")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
[[ $code == 200 ]] || { echo "HTTP publish answered $code: $(head -c 400 "$work/answer.json")"; exit 1; }

echo "publish $rows flow rows ($size_mb MB file):"
echo "  lmx publish (gRPC)        ${cli_s} s = $(echo "$rows / $cli_s" | bc) rows/s, node peak RSS $cli_mb MB"
echo "  HTTP POST of the file     ${http_s} s = $(echo "$rows / $http_s" | bc) rows/s, node peak RSS $http_mb MB"
echo "  -> HTTP at $(ratio "$cli_s" "$http_s")x the speed of lmx publish"
rm -rf "$work/KEN-cli" "$work/KEN-http" "$work/flows.csv"
