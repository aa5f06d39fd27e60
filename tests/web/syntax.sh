#!/usr/bin/env bash
# Every module of the web application and of its browser tests parses: a
# syntax error fails here in a second, not as a page that never draws.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
for file in "$root"/client/web/src/*.js "$root"/client/web/src/pages/*.js "$root"/tests/web/*.mjs \
            "$root"/bench/*.mjs; do
  node --check "$file" || status=1
done
exit $status
