#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs packages, builds,
# checks the changed C++ files with clang-tidy and clang-format, runs the unit tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer and the threaded suites under
# ThreadSanitizer, then every test (unit, integration, crash, end-to-end in headless
# Chromium) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh

# Static checks on what the change touches (scripts/tidy-changed.sh says what "changed"
# means in a branch and in CI's fresh clone). Skip with BKLIT_SKIP_TIDY=1.
if [[ "${BKLIT_SKIP_TIDY:-0}" != 1 ]]; then
  bash scripts/tidy-changed.sh build
fi

# Runs each gtest executable named in the arguments from build dir $1.
run_suites() {
  local dir=$1 label=$2
  shift 2
  for t in "$@"; do
    echo "== $t ($label)"
    exe=$(find "$dir/tests" -name "$t" -type f -perm -u+x | head -n 1)
    "$exe" --gtest_brief=1
  done
}

# Sanitizers: the unit suites of every module except the embedded store, whose engine is a
# 566 MB uninstrumented library loaded at run time (its suite runs in the main pass below).
# The Redis-backed queue and PubSub contract suites start their own redis-server.
SANITIZED=(unit_core unit_enrich unit_queue unit_appdb unit_auth unit_ingest unit_pipeline
  unit_net unit_realtime unit_api contract_queue contract_pubsub)
if [[ "${BKLIT_SKIP_SANITIZERS:-0}" != 1 ]]; then
  if [[ ! -f build-asan/build.ninja ]]; then
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBKLIT_SANITIZE=ON \
      -DBKLIT_BENCH=OFF >/dev/null
  fi
  ninja -C build-asan -j"$(nproc)" "${SANITIZED[@]}"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  run_suites build-asan "ASan + UBSan" "${SANITIZED[@]}"
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# ThreadSanitizer: the suites whose code runs on several threads at once (the queues'
# writer and consumer threads, PubSub dispatch, the network server and Redis client, the
# worker loop), with the Redis-backed contract suites against a real redis-server.
THREADED=(unit_queue unit_realtime unit_net unit_pipeline unit_api contract_queue contract_pubsub)
if [[ "${BKLIT_SKIP_SANITIZERS:-0}" != 1 ]]; then
  if [[ ! -f build-tsan/build.ninja ]]; then
    cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBKLIT_SANITIZE=thread \
      -DBKLIT_BENCH=OFF >/dev/null
  fi
  ninja -C build-tsan -j"$(nproc)" "${THREADED[@]}"
  # halt_on_error: a race fails the suite. second_deadlock_stack: both stacks of a
  # lock-order inversion.
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  run_suites build-tsan "TSan" "${THREADED[@]}"
  unset TSAN_OPTIONS
fi

cd build
# Tests with a chDB store each load a 566 MB library: two at a time on two cores.
ctest --output-on-failure --timeout 900 -j2 "$@"
