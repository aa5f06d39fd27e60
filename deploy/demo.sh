#!/usr/bin/env bash
# The main job: installs, builds, starts a node for Kenya on loopback,
# publishes a ministry's sample files, and runs the queries an employer and
# a regional analyst would run. Everything lives in a temporary directory
# that is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/build.sh"

lmx_node="$root/build/node/lmx-node"
lmx="$root/build/client/lmx"
work=$(mktemp -d)
node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; }

echo "== generating a ministry's sample files"
python3 "$root/deploy/make_sample_data.py" --country=KEN --out="$work/ken"

"$lmx_node" --country=KEN --data_dir="$work/node-ken" --listen=127.0.0.1:0 \
  --ready_file="$work/ken.ready" 2>"$work/node.log" &
node_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$work/ken.ready" ]] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log"; exit 1; }
  sleep 0.1
done
[[ -s "$work/ken.ready" ]] || { echo "node did not start"; cat "$work/node.log"; exit 1; }
export LMX_NODE=$(cat "$work/ken.ready")
cat "$work/node.log"

for dataset in shortages vacancies flows; do
  step "ministry publishes $dataset" lmx publish "$dataset" "$dataset.csv"
  "$lmx" publish "$dataset" "$work/ken/$dataset.csv"
done

# A file with mistakes is refused whole, with every bad row named.
cat >"$work/ken/corrections.csv" <<'CSV'
period,direction,counterpart,count,occupation,sex
2025-Q3,OUTFLOW,SAU,120,5322,F
2025-Q3,OUTFLOW,SAU,-4,5322,M
2025-Q3,OUTFLOW,XYZ,7,9999,F
CSV
step "a file with bad rows writes nothing" lmx publish flows corrections.csv
"$lmx" publish flows "$work/ken/corrections.csv" || echo "(exit code $?)"

# A ministry that codes occupations nationally imports its crosswalk once,
# then publishes in its own codes; the node maps them to ISCO-08.
step "ministry imports a national classification's crosswalk" \
  lmx classifications import --id=SOC2010 --target=ISCO08 soc2010_isco08.csv
"$lmx" classifications import --id=SOC2010 --target=ISCO08 "$root/deploy/samples/soc2010_isco08.csv"
cat >"$work/ken/flows_soc.csv" <<'CSV'
period,direction,counterpart,occupation,sex,count
2026-Q1,OUTFLOW,USA,29-1141,F,57
2026-Q1,OUTFLOW,USA,29-1171,F,8
2026-Q1,OUTFLOW,USA,11-1011,M,4
2026-Q1,OUTFLOW,USA,47-2061,M,100
CSV
step "ministry publishes flows coded in SOC 2010" lmx publish flows flows_soc.csv --classification=SOC2010
"$lmx" publish flows "$work/ken/flows_soc.csv" --classification=SOC2010
step "analyst: those flows, in ISCO-08, with the codes they came from" lmx query flows --period=2026-Q1
"$lmx" query flows --period=2026-Q1
step "anyone: what is ISCO 2221, and what maps to it?" lmx classifications show ISCO08 2221
"$lmx" classifications show ISCO08 2221

step "employer: where are software developers short?" lmx shortages --occupation=2512
"$lmx" shortages --occupation=2512
step "employer: the whole ICT professionals group, rolled up from unit groups" lmx shortages --occupation=25
"$lmx" shortages --occupation=25
step "employer: vacancies for nursing professionals (first five)" "lmx query vacancies --occupation=222 --format=csv | head -6"
"$lmx" query vacancies --occupation=222 --format=csv | head -6
step "analyst: flows by ISCO major group" lmx aggregate flows --by=occupation:1
"$lmx" aggregate flows --by=occupation:1
step "analyst: flows by direction and corridor in 2025" lmx aggregate flows --by=direction,counterpart --period=2025
"$lmx" aggregate flows --by=direction,counterpart --period=2025
step "analyst: shortage index by major group, Q4 2025" lmx aggregate shortages --by=occupation:1 --period=2025-Q4
"$lmx" aggregate shortages --by=occupation:1 --period=2025-Q4
step "analyst: vacancies posted per month, first half of 2025" lmx aggregate vacancies --by=period --from=2025-01 --to=2025-06
"$lmx" aggregate vacancies --by=period --from=2025-01 --to=2025-06
step "operator: what the node holds" lmx peers
"$lmx" peers
echo
echo "demo finished; the node and its data are removed."
