#!/usr/bin/env bash
# Rebuilds the shipped default model, models/default.ggm, bit for bit:
#   models/build_default.sh            train it, then rebuild groupguard so it embeds it
#   models/build_default.sh --check    train it twice more and compare the SHA-256s, and
#                                      fail if it differs from the committed model
#   models/build_default.sh --card     also print its metrics on every test split
# Data: the train splits of youtube, sms and tgspam in ${GROUPGUARD_DATA_DIR:-../shared/data}
# (datacamp is for evaluation only: never trained on). The settings are fixed here;
# everything else is the library's default at the commit you build.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${GROUPGUARD_DATA_DIR:-../shared/data}
build=${GROUPGUARD_BUILD_DIR:-build/release}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target groupguard_cli >&2
gg="$build/tools/groupguard/groupguard"

train() {  # train OUT
  "$gg" train \
    "$data/jsonl/youtube.train.jsonl" \
    "$data/jsonl/sms.train.jsonl" \
    "$data/jsonl/tgspam.train.jsonl" \
    --model-type ensemble \
    --seed 1 \
    --date 2026-11-25 \
    --description "groupguard default model: youtube, sms and tgspam train splits" \
    -o "$1"
}

committed=
if git rev-parse --verify -q HEAD:models/default.ggm >/dev/null 2>&1; then
  committed=$(git show HEAD:models/default.ggm | sha256sum | cut -d' ' -f1)
fi
train models/default.ggm >&2
sha=$(sha256sum models/default.ggm | cut -d' ' -f1)
echo "models/default.ggm: $(stat -c %s models/default.ggm) bytes, sha256 $sha"
if [ -n "$committed" ] && [ "$committed" != "$sha" ]; then
  echo "differs from the committed model (sha256 $committed): training, tokenizing or" \
       "hashing changed; commit the new model and update models/MODEL_CARD.md" >&2
  [ "${1:-}" = "--check" ] && exit 1
fi

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for i in 1 2; do
    train "$tmp/again$i.ggm" >/dev/null
    again=$(sha256sum "$tmp/again$i.ggm" | cut -d' ' -f1)
    [ "$again" = "$sha" ] || { echo "not reproducible: run $i gave $again" >&2; exit 1; }
  done
  echo "reproducible: 3 runs gave the same bytes"
fi

# Re-run CMake so the rebuilt groupguard embeds the new model.
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target groupguard_cli >&2

if [ "${1:-}" = "--card" ]; then
  echo "| test set | posts (spam) | ROC AUC | spam caught at 1% ham blocked | at 0.1% | accuracy | precision | recall | F1 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for set in youtube.test sms.test tgspam.test datacamp.test datacamp; do
    "$gg" eval --json "$data/jsonl/$set.jsonl" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("| %s | %d (%d) | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |" % (sys.argv[1], m["posts"], m["spam"],
      m["roc_auc"], m["spam_caught_at_1pct_ham_blocked"], m["spam_caught_at_0_1pct_ham_blocked"],
      m["accuracy"], m["precision"], m["recall"], m["f1"]))' "$set"
  done
fi
