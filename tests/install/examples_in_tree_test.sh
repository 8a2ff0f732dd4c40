#!/usr/bin/env bash
# examples_in_tree_test.sh SOURCE_DIR SCRATCH_DIR: configures the source tree with
# GROUPGUARD_BUILD_EXAMPLES=ON, as a user would to build the examples in-tree, and
# checks that the build has their targets. It does not build them (that would compile
# the library again); install_test.sh builds and runs them against the package.
set -euo pipefail
source=$1 scratch=$2
rm -rf "$scratch"
cmake -S "$source" -B "$scratch" -DGROUPGUARD_BUILD_EXAMPLES=ON \
  -DGROUPGUARD_BUILD_TESTS=OFF -DGROUPGUARD_BUILD_TOOLS=OFF \
  -DGROUPGUARD_BUILD_BENCHMARKS=OFF >/dev/null
targets=$(cmake --build "$scratch" --target help)
for example in batch_score forum_server; do
  grep -qw "$example" <<<"$targets" || { echo "no target $example" >&2; exit 1; }
done
echo "examples configured in-tree: batch_score, forum_server"
