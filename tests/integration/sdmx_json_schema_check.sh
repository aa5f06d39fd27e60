#!/usr/bin/env bash
# Validates a node's SDMX-JSON answers against the official SDMX-JSON 2.0.0
# data-message schema, with ajv-cli from the npm registry.
#
#   tests/integration/sdmx_json_schema_check.sh SCHEMA HOST:HTTP_PORT [TOKEN]
#
# SCHEMA is data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json of
# github.com/sdmx-twg/sdmx-json. It is not in this repository (third-party
# material), nor in any Debian or npm package, so CI cannot run this: run it
# where the schema can be fetched, against a node holding data (for example
# one of `deploy/local-region.sh start 2 DIR --http` after the demo data).
#
# The schema is draft-04 style: it names itself with `id`, which Ajv 8
# refuses, and one TIME_PERIOD pattern escapes `-` outside a class, which
# Ajv's unicode regular expressions refuse. A five-line plugin makes Ajv
# read it as it is; the schema file is not changed.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 SCHEMA HOST:HTTP_PORT [TOKEN]" >&2; exit 2; }
schema=$(realpath "$1")
base="http://$2/sdmx/3.0/data/dataflow/LMX"
auth=()
[[ $# -ge 3 ]] && auth=(-H "Authorization: Bearer $3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent ajv-cli@5 ajv-formats@3 >/dev/null
cat >compat.js <<'JS'
module.exports = function (ajv) {
  ajv.removeKeyword("id");
  ajv.addKeyword({ keyword: "id", schemaType: "string" });
  ajv.opts.unicodeRegExp = false;
  return ajv;
};
JS
failed=0
check() {  # NAME QUERY EXPECTED_STATUS
  local status
  status=$(curl -s "${auth[@]}" -o "$1.json" -w '%{http_code}' "$base/$2")
  if [[ $status != "$3" ]]; then
    echo "$1: HTTP $status, expected $3" >&2
    failed=1
    return
  fi
  npx ajv validate -s "$schema" -d "$1.json" --strict=false -c ./compat.js -c ajv-formats \
    --all-errors 2>&1 | grep -v 'npm warn' || true
  [[ ${PIPESTATUS[0]} == 0 ]] || failed=1
}
check flow 'FLOW/1.0/*?format=jsondata' 200
check flow_all_dimensions 'FLOW/1.0/*?format=jsondata&dimensionAtObservation=AllDimensions' 200
check shortage 'SHORTAGE/1.0/*?format=jsondata' 200
check shortage_recent 'SHORTAGE/1.0/*?format=jsondata&lastNObservations=1' 200
check vacancy_agg 'VACANCY_AGG/1.0/*?format=jsondata' 200
check no_results 'FLOW/1.0/*?format=jsondata&updatedAfter=2199-01-01T00:00:00Z' 404
check bad_key 'FLOW/1.0/XXX?format=jsondata' 400
[[ $failed == 0 ]] && echo "every answer validates against $schema"
exit $failed
