#!/usr/bin/env bash
# Installs what groupguard needs to build and test from Debian 12 packages. Idempotent
# and quiet when everything is already there. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ccache
  libabsl-dev libprotobuf-dev protobuf-compiler libeigen3-dev
  libxxhash-dev libutf8proc-dev libpsl-dev libsimdjson-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
)
if [ "${1:-}" = "--peers" ]; then
  # Only for the side-by-side accuracy and speed scripts in bench/.
  packages+=(fasttext bogofilter python3-sklearn python3-numpy hyperfine valgrind time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
