#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan) and runs each for a while.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 seconds, every target
# Corpora grow in build/fuzz/corpus-<target>/; crashes are written to build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
seconds=${1:-60}
shift || true
dir=build/fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DGROUPGUARD_BUILD_FUZZERS=ON -DGROUPGUARD_SANITIZE=address,undefined \
  -DGROUPGUARD_BUILD_TESTS=OFF -DGROUPGUARD_BUILD_BENCHMARKS=OFF \
  -DGROUPGUARD_BUILD_TOOLS=OFF "${launcher[@]}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
fi
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus-$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "fuzz: $t for ${seconds}s"
  (cd "$dir" && "./fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
     -max_len=65536 -rss_limit_mb=2048 "corpus-$t" "${seeds[@]/#/../../}" 2>&1 | tail -n 12)
  # libFuzzer exits non-zero on a crash; pipefail carries it here.
done
