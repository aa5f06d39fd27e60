#!/usr/bin/env bash
# Validates a running node's SDMX-JSON answers against the official
# SDMX-JSON 2.0 data-message schemas, with Ajv (client/web's pinned npm
# packages, through tests/integration/sdmx_json_validate.mjs), by hand:
#
#   tests/integration/sdmx_json_schema_check.sh HOST:HTTP_PORT [TOKEN]
#
# CI runs the same validation on every message a node can produce
# (SdmxConformanceTest.EveryMessageValidatesAgainstTheOfficialSchemas).
# The schemas are the copies in ../shared/data/sdmx/sdmx-json/, or those
# named by LMX_SDMX_JSON_SCHEMAS (comma-separated). Upstream, the 2.0.0
# schema is at the v2.0.0 tag of github.com/sdmx-twg/sdmx-json:
#   https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json
# (the master branch no longer has that path).
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 HOST:HTTP_PORT [TOKEN]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
shared="$root/../shared/data/sdmx/sdmx-json"
schemas=${LMX_SDMX_JSON_SCHEMAS:-$shared/sdmx-json-data-schema-2.0.0-tag.json,$shared/sdmx-json-data-schema-2.0-5fbfb8f.json}
base="http://$1/sdmx/3.0/data/dataflow/LMX"
auth=()
[[ $# -ge 2 ]] && auth=(-H "Authorization: Bearer $2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
files=()
check() {  # NAME QUERY EXPECTED_STATUS
  local status
  status=$(curl -s "${auth[@]}" -H 'Accept: application/vnd.sdmx.data+json;version=2.0.0' \
    -o "$work/$1.json" -w '%{http_code}' "$base/$2")
  if [[ $status != "$3" ]]; then
    echo "$1: HTTP $status, expected $3" >&2
    failed=1
  fi
  files+=("$work/$1.json")
}
check flow 'FLOW/1.0/*' 200
check flow_all_dimensions 'FLOW/1.0/*?dimensionAtObservation=AllDimensions' 200
check flow_keys 'FLOW/1.0/*?detail=serieskeysonly' 200
check flow_history 'FLOW/1.0/*?includeHistory=true' 200
check shortage 'SHORTAGE/1.0/*' 200
check shortage_recent 'SHORTAGE/1.0/*?lastNObservations=1' 200
check vacancy_agg 'VACANCY_AGG/1.0/*' 200
check no_results 'FLOW/1.0/*?updatedAfter=2199-01-01T00:00:00Z' 404
check bad_key 'FLOW/1.0/XXX' 400
node "$root/tests/integration/sdmx_json_validate.mjs" "$schemas" "${files[@]}" || failed=1
[[ $failed == 0 ]] && echo "every answer validates against $schemas"
exit $failed
