#!/usr/bin/env bash
# The web application (issue 19), in Debian's chromium driven by
# playwright-core (bench/web.mjs):
# - page load: each page of a node of a three-node region holding the
#   demo's sample data, opened fresh, to the page being drawn and usable,
#   against the limit of 1 s;
# - search: each keystroke's time to its suggestions, against 100 ms;
# - publishing ROWS flow rows (default 1M) through the Publish page, against
#   `lmx publish` of the same file to a fresh node in the same run, with the
#   browser's peak memory beside the file's size.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${ROWS:-1000000}

# The demo region: three nodes, each ministry's sample files.
bash "$root/deploy/local-region.sh" start 3 "$work/region" --http >"$work/region.txt"
trap 'bash "$root/deploy/local-region.sh" stop "$work/region" >/dev/null 2>&1; cleanup' EXIT
base=$(awk '/KEN grpc/ {split($3, a, ":"); print a[2]}' "$work/region.txt")
web=$(awk '/KEN grpc/ {print $4}' "$work/region.txt")
web=${web%/}
i=0
for c in KEN UGA TZA; do
  python3 "$root/deploy/make_sample_data.py" --country=$c --out="$work/sample-$c" --seed=$((i + 7)) >/dev/null
  for d in shortages vacancies flows; do
    "$lmx" --node="127.0.0.1:$((base + i))" publish $d "$work/sample-$c/$d.csv" >/dev/null 2>&1
  done
  i=$((i + 1))
done
# KEN holds every origin before the pages are opened.
for _ in $(seq 1 300); do
  n=$("$lmx" --node="127.0.0.1:$base" peers --format=csv 2>/dev/null | awk -F, 'NR>1 && $2==3' | wc -l)
  [[ $n -ge 3 ]] && break
  sleep 0.1
done

node "$root/bench/web.mjs" load --url="$web" --runs=5
node "$root/bench/web.mjs" search --url="$web"
bash "$root/deploy/local-region.sh" stop "$work/region" >/dev/null

python3 "$root/bench/gen.py" flows "$rows" KEN >"$work/flows.csv"
start_node KEN-cli KEN
t0=$(now)
"$lmx" --node="$address" publish flows "$work/flows.csv" >/dev/null 2>&1
t1=$(now)
cli_s=$(elapsed "$t0" "$t1")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

start_node KEN-web KEN --http_listen=127.0.0.1:0 --http_ready_file="$work/KEN-web/http"
node "$root/bench/web.mjs" publish --url="http://$(cat "$work/KEN-web/http")" --file="$work/flows.csv" \
  --rows="$rows" --cli_seconds="$cli_s"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
