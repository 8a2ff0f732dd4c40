#!/usr/bin/env bash
# Builds the test suite with only the machine-independent code paths (the plain C++
# twins of the SSE2, x86-assembly and POPCNT ones: lib/util/platform.h), as a CPU
# other than x86 would run it, and runs it. The tests compare against the same
# expected figures as the normal build, so the two paths must agree.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/data_dir.sh
bash scripts/setup.sh
dir=build/portable
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DGROUPGUARD_PORTABLE=ON \
  -DGROUPGUARD_BUILD_BENCHMARKS=OFF -DGROUPGUARD_BUILD_TOOLS=ON "${data_args[@]}" "${launcher[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$(nproc)" -LE "slow|install" "$@"
