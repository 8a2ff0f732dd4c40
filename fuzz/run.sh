#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan) and runs each for a while.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 seconds, every target
# Corpora grow in build/fuzz/corpus-<target>/; crashes are written to build/fuzz/.
# Seeds: fuzz/seeds/<target>/ if present; the differential targets also get posts of
# the labeled corpora (GROUPGUARD_DATA_DIR, default ../shared/data), when present.
# With PORTABLE=1, builds in build/fuzz-portable with -DGROUPGUARD_PORTABLE=ON, so the
# differential targets check the plain C++ twins of the SSE2 and x86 paths.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
seconds=${1:-60}
shift || true
dir=build/fuzz
portable=OFF
if [ "${PORTABLE:-0}" = 1 ]; then dir=build/fuzz-portable portable=ON; fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DGROUPGUARD_BUILD_FUZZERS=ON -DGROUPGUARD_SANITIZE=address,undefined \
  -DGROUPGUARD_PORTABLE="$portable" -DGROUPGUARD_BUILD_TESTS=OFF \
  -DGROUPGUARD_BUILD_BENCHMARKS=OFF -DGROUPGUARD_BUILD_TOOLS=OFF "${launcher[@]}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
fi
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
data=${GROUPGUARD_DATA_DIR:-../shared/data}
shopt -s extglob
# Writes the first 100 records of each corpus into $1, one seed file each, after
# the target's option bytes $2: for $3 = record, the record with its null fields
# dropped (the plain scanner's kind of record) and the record as it is; for
# $3 = text, what is between the quotes of "text" (JSON escapes left in).
corpus_seeds() {
  local out=$1 prefix=$2 kind=$3 f i=0 line
  rm -rf "$out" && mkdir -p "$out"
  for f in "$data"/jsonl/{sms,youtube,tgspam,datacamp}.jsonl; do
    [ -f "$f" ] || continue
    if [ "$kind" = record ]; then
      while IFS= read -r line; do
        i=$((i + 1))
        printf "$prefix%s\n" "${line//, \"+([a-z])\": null/}" >"$out/$i-plain"
        printf "$prefix%s\n" "$line" >"$out/$i"
      done < <(head -n 100 "$f")
    else
      while IFS= read -r line; do
        i=$((i + 1))
        printf "$prefix%s" "$line" >"$out/$i"
      done < <(head -n 100 "$f" | sed -n 's/.*"text": "\(\([^"\\]\|\\.\)*\)".*/\1/p')
    fi
  done
}
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus-$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  case $t in  # the option bytes: the defaults (see each target)
    tokenizer_diff_fuzzer) corpus_seeds "$dir/seeds-$t" '\x1f\x00' text ;;
    score_diff_fuzzer) corpus_seeds "$dir/seeds-$t" '\x07\x00\x00' text ;;
    record_parser_diff_fuzzer) corpus_seeds "$dir/seeds-$t" '\x00 ' record ;;
  esac
  [ -d "$dir/seeds-$t" ] && seeds+=("$dir/seeds-$t")
  echo "fuzz: $t for ${seconds}s"
  # The targets' scratch files (TMPDIR) go to a directory removed after each run;
  # libFuzzer exits non-zero on a crash (its input is kept in build/fuzz), and
  # pipefail carries that out of the subshell.
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/groupguard-fuzz-XXXXXX")
  (cd "$dir" && TMPDIR="$scratch" "./fuzz/$t" -max_total_time="$seconds" \
     -print_final_stats=1 -max_len=65536 -rss_limit_mb=2048 "corpus-$t" \
     "${seeds[@]/#/../../}" 2>&1 | tail -n 12) || { rm -rf "$scratch"; exit 1; }
  rm -rf "$scratch"
done
