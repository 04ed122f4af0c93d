#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs packages, builds,
# runs unit, contract, integration and end-to-end tests with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
cd build
# Tests with a chDB store each load a 566 MB library: two at a time on two cores.
ctest --output-on-failure --timeout 900 -j2 "$@"
