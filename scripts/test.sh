#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs packages, builds,
# runs the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, then
# every test (unit, integration, crash, end-to-end in headless Chromium) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh

# Sanitizers: the unit suites of every module except the embedded store, whose engine is a
# 566 MB uninstrumented library loaded at run time (its suite runs in the main pass below).
# The Redis-backed queue and PubSub contract suites start their own redis-server.
SANITIZED=(unit_core unit_enrich unit_queue unit_appdb unit_auth unit_ingest unit_pipeline
  unit_net unit_realtime contract_queue contract_pubsub)
if [[ "${BKLIT_SKIP_SANITIZERS:-0}" != 1 ]]; then
  if [[ ! -f build-asan/build.ninja ]]; then
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBKLIT_SANITIZE=ON \
      -DBKLIT_BENCH=OFF >/dev/null
  fi
  ninja -C build-asan -j"$(nproc)" "${SANITIZED[@]}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  for t in "${SANITIZED[@]}"; do
    echo "== $t (ASan + UBSan)"
    exe=$(find build-asan/tests -name "$t" -type f -perm -u+x | head -n 1)
    "$exe" --gtest_brief=1
  done
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

cd build
# Tests with a chDB store each load a 566 MB library: two at a time on two cores.
ctest --output-on-failure --timeout 900 -j2 "$@"
