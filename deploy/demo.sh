#!/usr/bin/env bash
# The main job: installs, builds, starts a region of four nodes on loopback
# (KEN, UGA and TZA in a mesh, RWA behind TZA), publishes each ministry's
# sample files, and runs the queries an employer and a regional analyst
# would run, at KEN and at the relayed RWA. The region runs as it would in
# production: mutual TLS between nodes with the region's CA, and a bearer
# token with its role for every client. Everything lives in a temporary
# directory that is removed at the end.
#
# Every node also serves the web application (client/web) on its HTTP port.
# With --keep the region stays up after the demo, until Ctrl-C, so that you
# can open it in a browser with the tokens printed at the end.
#
#   bash deploy/demo.sh [--keep]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
  esac
done
bash "$root/deploy/build.sh"

lmx_node="$root/build/node/lmx-node"
lmx="$root/build/client/lmx"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; }

# Eight free loopback ports in a row: the four nodes' gRPC ports, then their
# HTTP ports (the web application, the JSON API, SDMX, /metrics).
base=$(python3 "$root/deploy/free_ports.py" 8)
countries=(KEN UGA TZA RWA)
step "a region of four nodes: signing keys, a CA and certificates, the manifest" \
  lmx region init --dir=region --countries=KEN,UGA,TZA,RWA --base_port=$base --tls
"$lmx" region init --dir="$work/region" --countries=KEN,UGA,TZA,RWA --base_port="$base" --name=EAC \
  --tls
# Clients verify the nodes' certificates with the region's CA.
export LMX_TLS_CA="$work/region/ca.pem"
# Each ministry gives its people tokens with roles (docs/security.md).
token() {
  "$lmx" admin token create --config="$work/region/$1/config.json" --name="$2" --role="$3" 2>/dev/null
}
step "each node's tokens: a publisher per ministry, an employer portal, the secretariat" \
  lmx admin token create --config=region/KEN/config.json --name=ken-statistics --role=publisher
ken_publisher=$(token KEN ken-statistics publisher)
ken_admin=$(token KEN ken-operations admin)
ken_reader=$(token KEN employer-portal reader)
uga_publisher=$(token UGA uga-statistics publisher)
tza_publisher=$(token TZA tza-statistics publisher)
rwa_analyst=$(token RWA eac-secretariat analyst)
"$lmx" admin token list --config="$work/region/KEN/config.json"
address() { echo "127.0.0.1:$((base + $1))"; }
web() { echo "http://127.0.0.1:$((base + 4 + $1))"; }
# KEN, UGA and TZA pull from each other; RWA only from TZA, which relays.
peers=("UGA=$(address 1),TZA=$(address 2)" "KEN=$(address 0),TZA=$(address 2)"
       "KEN=$(address 0),UGA=$(address 1)" "TZA=$(address 2)")
for i in 0 1 2 3; do
  c=${countries[$i]}
  "$lmx_node" --country="$c" --data_dir="$work/region/$c" --listen="$(address $i)" \
    --region="$work/region/region.json" --peers="${peers[$i]}" \
    --http_listen="127.0.0.1:$((base + 4 + i))" --ready_file="$work/$c.ready" 2>"$work/$c.log" &
  pids+=($!)
done
for c in "${countries[@]}"; do
  for _ in $(seq 1 300); do [[ -s "$work/$c.ready" ]] && break; sleep 0.1; done
  [[ -s "$work/$c.ready" ]] || { echo "$c did not start"; cat "$work/$c.log"; exit 1; }
done
cat "$work/KEN.log"
export LMX_NODE=$(address 0)
echo
echo "the web application: KEN at $(web 0)/  UGA at $(web 1)/  TZA at $(web 2)/  RWA at $(web 3)/"


echo "== generating each ministry's sample files"
for c in KEN UGA TZA; do
  python3 "$root/deploy/make_sample_data.py" --country=$c --out="$work/${c,,}" --seed=${#c}$((RANDOM % 100))
done
for c in UGA TZA; do
  i=$([[ $c == UGA ]] && echo 1 || echo 2)
  publisher=$([[ $c == UGA ]] && echo "$uga_publisher" || echo "$tza_publisher")
  for dataset in shortages vacancies flows; do
    LMX_TOKEN="$publisher" "$lmx" --node="$(address $i)" publish "$dataset" \
      "$work/${c,,}/$dataset.csv" 2>/dev/null
  done
done
# From here on, KEN's statistics office calls its own node.
export LMX_TOKEN="$ken_publisher"

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

step "employer (reader token): where are software developers short?" lmx shortages --occupation=2512
LMX_TOKEN="$ken_reader" "$lmx" shortages --occupation=2512
step "employer: the whole ICT professionals group, rolled up from unit groups" lmx shortages --occupation=25
LMX_TOKEN="$ken_reader" "$lmx" shortages --occupation=25
step "employer: flows are not a reader's to see" lmx aggregate flows --by=occupation:1
LMX_TOKEN="$ken_reader" "$lmx" aggregate flows --by=occupation:1 || echo "(exit code $?)"
step "employer: vacancies for nursing professionals (first five)" "lmx query vacancies --occupation=222 --format=csv | head -6"
# Whole, then cut: `| head` would end lmx with SIGPIPE, which pipefail
# counts as a failure.
"$lmx" query vacancies --occupation=222 --format=csv >"$work/nursing.csv"
head -6 "$work/nursing.csv"
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

rwa=$(address 3)
export LMX_TOKEN="$rwa_analyst"
step "the relayed node RWA waits for every origin" "lmx --node=RWA peers"
for _ in $(seq 1 300); do
  n=$("$lmx" --node="$rwa" peers --format=csv 2>/dev/null | awk -F, 'NR>1 && $7=="agree"' | wc -l)
  [[ $n -ge 3 ]] && break
  sleep 0.1
done
"$lmx" --node="$rwa" peers
step "regional analyst at RWA: flows by ISCO major group, all countries" \
  lmx --node=RWA aggregate flows --by=occupation:1
"$lmx" --node="$rwa" aggregate flows --by=occupation:1
step "regional analyst at RWA: vacancies by country (VACANCY_AGG; microdata stay home)" \
  lmx --node=RWA aggregate vacancies --by=country
"$lmx" --node="$rwa" aggregate vacancies --by=country
step "employer at RWA: where are software developers short, region-wide?" \
  lmx --node=RWA shortages --occupation=2512
"$lmx" --node="$rwa" shortages --occupation=2512
step "regional observatory at RWA: who reported which periods, at which version" \
  lmx --node=RWA completeness --dataset=shortages
"$lmx" --node="$rwa" completeness --dataset=shortages
step "analyst at RWA: mirror statistics, UGA's outflow to KEN beside KEN's inflow (first lines)" \
  "lmx --node=RWA flows --mirror --corridor=UGA-KEN --period=2025-Q3 | head -8"
"$lmx" --node="$rwa" flows --mirror --corridor=UGA-KEN --period=2025-Q3 >"$work/mirror.txt"
head -8 "$work/mirror.txt"
step "analyst at RWA: candidate skills partnerships by ISCO sub-major group (the top 8)" \
  "lmx --node=RWA match --level=2 | head -10"
"$lmx" --node="$rwa" match --level=2 >"$work/match.txt"
head -10 "$work/match.txt"
step "analyst at RWA: KEN's occupational shortage list (SHORTAGE in 2 of the last 3 quarters, or an index above 0.5), with its evidence (first lines)" \
  "lmx --node=RWA shortage-list --country=KEN | head -8"
"$lmx" --node="$rwa" shortage-list --country=KEN >"$work/list.txt"
head -8 "$work/list.txt"

# A release under embargo: stored at KEN now, seen by nobody until its time.
export LMX_TOKEN="$ken_publisher"
release=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)
printf 'period,occupation,status,shortage_index\n2026-Q1,2221,SHORTAGE,0.8\n' >"$work/ken/release.csv"
step "ministry: a release under embargo" lmx publish shortages release.csv --release_at="$release"
"$lmx" publish shortages "$work/ken/release.csv" --release_at="$release"
step "ministry: the release calendar" lmx admin calendar
"$lmx" admin calendar
step "before its time nobody sees it, not even at KEN" lmx query shortages --period=2026-Q1
"$lmx" query shortages --period=2026-Q1
for _ in $(seq 1 300); do
  n=$(LMX_TOKEN="$rwa_analyst" "$lmx" --node="$rwa" query shortages --period=2026-Q1 \
    --format=csv 2>/dev/null | wc -l)
  [[ $n -ge 2 ]] && break
  sleep 0.1
done
step "after $release: published, and replicated to RWA" \
  lmx --node=RWA query shortages --period=2026-Q1
LMX_TOKEN="$rwa_analyst" "$lmx" --node="$rwa" query shortages --period=2026-Q1
step "KEN's operator: the audit log (who did what; never replicated)" lmx admin audit --last=6
LMX_TOKEN="$ken_admin" "$lmx" admin audit --last=6

printf '\n\033[1m== the web application\033[0m\n'
for i in 0 1 2 3; do echo "  ${countries[$i]}: $(web $i)/"; done
echo "  sign in at KEN with one of these tokens (the box at the top right):"
echo "    reader (an employer):      $ken_reader"
echo "    publisher (the ministry):  $ken_publisher"
echo "  and at RWA as the regional analyst: $rwa_analyst"
if $keep; then
  echo "the region stays up until Ctrl-C (--keep)."
  trap 'echo; echo "stopping the region"; exit 0' INT TERM
  while true; do sleep 3600 & wait $!; done
fi
echo "demo finished; the region and its data are removed (bash deploy/demo.sh --keep leaves it up)."
