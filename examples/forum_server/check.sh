#!/usr/bin/env bash
# check.sh BUILD_DIR PREFIX: runs the forum example with the installed default model and
# checks the moderation flow (called by tests/install/install_test.sh).
set -euo pipefail
build=$1 prefix=$2
model="$prefix/share/groupguard/default.ggm"
args=()
[ -f "$model" ] && args=("$model")
out=$("$build/forum_server" "${args[@]}")
echo "$out"
grep -q 'POST p3 .*chess.*-> 403' <<<"$out"              # not a member
grep -q 'POST p3 .*knitting.*-> 404' <<<"$out"           # no such group
grep -q 'POST 2000B .*-> 400' <<<"$out"                  # an id over 1 KiB
grep -q 'leo flags sam in cooking.*PERMISSION_DENIED' <<<"$out"
grep -q 'POST p4 .*-> 202 hold; on probation since' <<<"$out"
grep -q 'POST p5 .*-> 202 hold; on probation' <<<"$out"  # a group joined later
grep -q 'ada grants the appeal .*-> OK' <<<"$out"
grep -q 'POST p6 .*-> 201 publish' <<<"$out"             # lifted everywhere
grep -q 'state identical after restart: yes' <<<"$out"
grep -q '1 probation(s) expired' <<<"$out"
grep -q 'POST p8 .*-> 201 publish' <<<"$out"
grep -q 'POST p9 .*-> 201 publish' <<<"$out"             # a gate without a model
if [ ${#args[@]} -gt 0 ]; then                            # the model swapped in decides
  grep -q 'model swapped in from' <<<"$out"
  grep -q 'POST p10 .*-> 202 hold' <<<"$out"
fi
# Erasure: administrators only; the member's held post is withdrawn, they are no
# longer a member, and the audit log no longer names them.
grep -q 'mia tries to erase sam .*PERMISSION_DENIED' <<<"$out"
grep -q 'POST p11 .*-> 202 hold' <<<"$out"
grep -q 'post_withdrawn member=sam group=cooking' <<<"$out"
grep -q 'ada erases sam .*-> OK' <<<"$out"
grep -q 'compaction drops .*-> OK' <<<"$out"
grep -q 'POST p12 .*-> 403' <<<"$out"
grep -q 'about (forgotten); entries naming sam: 0' <<<"$out"
# A failed registry: 503 (not 403) for every post, with no internal message to the
# client, until the server reopens it.
grep -q 'POST q1 .*-> 503 moderation is unavailable' <<<"$out"
grep -q 'POST q2 .*-> 503 moderation is unavailable' <<<"$out"
grep -q 'POST q3 .*-> 503 moderation is unavailable' <<<"$out"
grep -q 'reopened; health: OK' <<<"$out"
grep -q 'POST q4 .*-> 202 hold' <<<"$out"
if grep -- '-> [0-9]* .*\(fdatasync\|registry accepts\)' <<<"$out"; then
  echo "check.sh: an internal error message reached a client" >&2
  exit 1
fi
