#!/usr/bin/env bash
# Runs the README's two commands the way a new user would: as root on a fresh Debian 12
# (a debootstrap'd minimal root with only a compiler, CMake and git added), on a clone
# of this repository's HEAD, with the labeled data mounted read-only at ../shared/data.
#   sudo bash scripts/fresh_machine_check.sh [--keep]
# Needs root on a Debian host that reaches deb.debian.org; installs debootstrap if it
# is missing. Takes about ten minutes on 2 cores (most of it building). Not part of CI:
# it checks what CI's machine, which already has the packages, cannot.
# --keep leaves the root in place (its path is printed) for a look inside.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
data=$(realpath "${GROUPGUARD_DATA_DIR:-../shared/data}")
keep=0
[ "${1:-}" = "--keep" ] && keep=1
[ "$(id -u)" -eq 0 ] || { echo "fresh_machine_check: run as root" >&2; exit 2; }
[ -d "$data/jsonl" ] || { echo "fresh_machine_check: no data at $data" >&2; exit 2; }

root=$(mktemp -d /var/tmp/groupguard-fresh.XXXXXX)
ws=$root/root/ws
cleanup() {
  for m in "$ws/shared/data" "$root/dev" "$root/proc"; do
    mountpoint -q "$m" && umount -R "$m"
  done
  if [ "$keep" -eq 0 ]; then rm -rf --one-file-system "$root"; else echo "kept: $root" >&2; fi
}
trap cleanup EXIT

command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
echo "fresh_machine_check: debootstrap bookworm into $root" >&2
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mkdir -p "$ws/shared/data"
mount --bind "$data" "$ws/shared/data"
mount -o remount,bind,ro "$ws/shared/data"
git clone -q "$repo" "$ws/groupguard"
git -C "$ws/groupguard" checkout -q "$(git -C "$repo" rev-parse HEAD)"

# What the ground rules say a fresh machine has: a compiler and CMake (and git, to
# have the repository at all). Everything else is the project's scripts' job.
chroot "$root" /bin/bash -c 'DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ cmake git ca-certificates' \
  >/dev/null

status=0
for cmd in "bash scripts/quickstart.sh" "bash scripts/test.sh"; do
  echo "fresh_machine_check: $cmd" >&2
  start=$SECONDS
  if chroot "$root" /bin/bash -c "cd /root/ws/groupguard && $cmd" </dev/null \
      >"$root/last.log" 2>&1; then
    echo "fresh_machine_check: $cmd: ok in $((SECONDS - start)) s" >&2
    # ctest's summary line, or the last lines (quickstart's scores).
    grep -a "tests passed" "$root/last.log" >&2 || tail -n 3 "$root/last.log" >&2
  else
    status=1
    echo "fresh_machine_check: $cmd FAILED after $((SECONDS - start)) s; the end of its output:" >&2
    tail -n 40 "$root/last.log" >&2
  fi
done
exit "$status"
