#!/usr/bin/env bash
# Sets everything up, builds in Release and runs the whole test suite under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/data_dir.sh
bash scripts/setup.sh
jobs=$(nproc)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release "${data_args[@]}" \
  "${launcher[@]}" >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure --no-tests=error -j "$jobs" "$@"
