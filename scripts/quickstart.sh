#!/usr/bin/env bash
# Sets everything up, builds in Release and scores the sample post dump with the
# shipped default model. Extra arguments go to `groupguard score`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build build/release -j "$(nproc)" --target groupguard_cli >&2
build/release/tools/groupguard/groupguard score examples/data/sample_posts.jsonl "$@"
