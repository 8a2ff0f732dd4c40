#!/usr/bin/env bash
# check.sh BUILD_DIR PREFIX: runs the built example with the installed default model
# (called by tests/install/install_test.sh).
set -euo pipefail
build=$1 prefix=$2
out=$(printf '%s\n' "WINNER!! You have won a 1000 cash prize. Call 09061701461 to claim now" \
                    "see you at lunch tomorrow?" |
      "$build/batch_score" "$prefix/share/groupguard/default.ggm")
echo "$out"
[ "$(echo "$out" | wc -l)" -eq 2 ]
echo "$out" | sed -n 1p | grep -q '^spam'
echo "$out" | sed -n 2p | grep -q '^ham'
