#!/usr/bin/env bash
# Installs lmx's build and test dependencies from Debian 12 packages only.
# Idempotent: packages already present are left alone, and apt is not touched
# at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev libssl-dev
  iso-codes python3
  python3-grpcio python3-protobuf  # the Python client (client/python) and its CI test
  libcpp-httplib-dev  # the node's HTTP endpoint (/metrics, SDMX)
  r-cran-rsdmx  # R's SDMX reader, which a test reads lmx's SDMX-ML with
  libxml2-dev  # lmx publish reads SDMX-ML data messages with libxml2
  libxml2-utils  # xmllint, which checks lmx's SDMX-ML against the official XSDs
  chromium  # headless, for the web application's and the dashboard's tests
  clang libclang-rt-14-dev  # libFuzzer, ASan and UBSan for tests/fuzz
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js and npm for the web application's packages (client/web) and its
# browser tests: Debian's, unless the machine already has a node and npm
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The web application's npm packages, pinned by client/web/package-lock.json:
# the world map it draws and playwright-core, which drives Debian's chromium
# in the browser tests. Installed again only when the lockfile changed.
web="$(cd "$(dirname "$0")/.." && pwd)/client/web"
stamp="$web/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$web/package-lock.json" -nt "$stamp" ]]; then
  echo "setup: npm ci in client/web" >&2
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
