#!/usr/bin/env bash
# check.sh BUILD_DIR PREFIX: runs the built example, which loads the installed default
# model by itself, and with the model given as its argument (called by
# tests/install/install_test.sh).
set -euo pipefail
build=$1 prefix=$2
posts() {
  printf '%s\n' "WINNER!! You have won a 1000 cash prize. Call 09061701461 to claim now" \
                 "see you at lunch tomorrow?"
}
out=$(posts | "$build/batch_score")
echo "$out"
[ "$(echo "$out" | wc -l)" -eq 2 ]
echo "$out" | sed -n 1p | grep -q '^spam'
echo "$out" | sed -n 2p | grep -q '^ham'
[ "$(posts | "$build/batch_score" "$prefix/share/groupguard/default.ggm")" = "$out" ]
