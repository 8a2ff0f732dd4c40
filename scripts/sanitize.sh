#!/usr/bin/env bash
# Builds the test suite with sanitizers and runs it.
#   scripts/sanitize.sh address,undefined   # the whole suite under ASan+UBSan
#   scripts/sanitize.sh thread              # the tests labeled "concurrency" under TSan
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/data_dir.sh
bash scripts/setup.sh
sanitizers=${1:-address,undefined}
dir=build/san-${sanitizers//,/-}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGROUPGUARD_SANITIZE="$sanitizers" \
  -DGROUPGUARD_BUILD_BENCHMARKS=OFF -DGROUPGUARD_BUILD_TOOLS=ON "${data_args[@]}" "${launcher[@]}" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
if [ "$sanitizers" = "thread" ]; then
  cmake --build "$dir" -j "$(nproc)"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$(nproc)" -L concurrency
else
  cmake --build "$dir" -j "$(nproc)"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$(nproc)" -LE "slow|install"
fi
