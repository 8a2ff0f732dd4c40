#!/usr/bin/env bash
# Scoring time by kind of post: the first 400,000 posts of the end-to-end dump
# (bench/compare_speed.sh writes it to build/speed/posts.jsonl) split four ways, each
# kind repeated to 1,000,000 posts and scored with `groupguard score --threads 1`.
# Prints each kind's share of the dump, its mean bytes of text and the wall-clock ns
# per post (median of 3 runs).
#   bench/speed_by_kind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
gg=build/release/tools/groupguard/groupguard
dump=build/speed/posts.jsonl
work=build/speed/by_kind
[ -x "$gg" ] || { echo "build first: cmake --build build/release" >&2; exit 1; }
[ -f "$dump" ] || { echo "make the dump first: bash bench/compare_speed.sh" >&2; exit 1; }
mkdir -p "$work"
python3 - "$dump" "$work" > "$work/kinds.txt" <<'PY'
import json, re, sys
dump, work = sys.argv[1], sys.argv[2]
kinds = ["plain", "digits", "markup", "nonascii"]

def kind(text):
    if any(ord(c) > 127 for c in text):
        return "nonascii"
    if re.search(r"[&<@/:]", text):
        return "markup"  # entities, tags, URLs, e-mail
    if re.search(r"\d", text):
        return "digits"
    return "plain"  # ASCII letters, spaces and other punctuation only

lines = {k: [] for k in kinds}
with open(dump, encoding="utf-8") as f:
    for i, line in enumerate(f):
        if i == 400000:
            break
        lines[kind(json.loads(line)["text"])].append(line)
total = sum(len(v) for v in lines.values())
for k in kinds:
    mean = sum(len(json.loads(l)["text"].encode()) for l in lines[k]) / len(lines[k])
    with open("%s/%s.jsonl" % (work, k), "w", encoding="utf-8") as out:
        for i in range(1000000):
            out.write(lines[k][i % len(lines[k])])
    print(k, "%.1f%%" % (100.0 * len(lines[k]) / total), "%.0f" % mean)
PY
echo "| kind | share of the dump | bytes of text | ns per post |"
echo "|---|---:|---:|---:|"
while read -r kind share bytes; do
  times=()
  for i in 1 2 3; do
    /usr/bin/time -f "%e" -o "$work/time" "$gg" score --threads 1 "$work/$kind.jsonl" >/dev/null
    times+=("$(cat "$work/time")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  echo "| $kind | $share | $bytes | $(python3 -c "print(round($median * 1000))") |"
done < "$work/kinds.txt"
