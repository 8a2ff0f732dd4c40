#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

build_project() {  # build_project NAME DIR
  cmake -S "$2" -B "$scratch/$1" -DCMAKE_PREFIX_PATH="$scratch/prefix" \
    -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
  cmake --build "$scratch/$1" -j "$(nproc)" >/dev/null
}

build_project consumer "$source/tests/install/consumer"
out=$("$scratch/consumer/consumer")
echo "$out"
[[ "$out" == "groupguard "*" tokens "* ]]

for example in "$source"/examples/*/; do
  [ -f "$example/CMakeLists.txt" ] || continue
  name=$(basename "$example")
  build_project "$name" "$example"
  echo "built example $name"
  if [ -x "$example/check.sh" ]; then
    bash "$example/check.sh" "$scratch/$name" "$scratch/prefix"
    echo "ran example $name"
  fi
done
