#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running Bklit on its embedded defaults:
# installs packages, builds, and runs `bklit serve` on 127.0.0.1:8080 with data in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
exec ./build/bklit serve --data-dir "${BKLIT_DATA_DIR:-./data}" "$@"
