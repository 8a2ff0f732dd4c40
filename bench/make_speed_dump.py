#!/usr/bin/env python3
"""Writes the end-to-end speed dump: N posts (default 1,000,000) as JSON Lines, a
deterministic mix of every sms and youtube text in the labeled data (84 bytes of text
per post on average), and the same texts one per line for fastText.

  bench/make_speed_dump.py DATA_DIR OUT_DIR [N]

Standard library only; the same arguments write the same bytes.
"""
import json
import os
import random
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) == 4 else 1_000_000
    texts = []
    for name in ("sms", "youtube"):
        with open(os.path.join(data_dir, "jsonl", name + ".jsonl"), encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"] for line in f)
    rng = random.Random(20261125)
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    with open(os.path.join(out_dir, "posts.jsonl"), "w", encoding="utf-8") as jl, \
         open(os.path.join(out_dir, "posts.txt"), "w", encoding="utf-8") as txt:
        order = []
        for i in range(n):
            if not order:
                order = list(range(len(texts)))
                rng.shuffle(order)
            text = texts[order.pop()]
            total += len(text.encode("utf-8"))
            jl.write(json.dumps({"id": "p%07d" % i, "text": text}, ensure_ascii=False))
            jl.write("\n")
            txt.write(" ".join(text.split()) + "\n")
    print("wrote %d posts, %.1f bytes of text per post" % (n, total / n))


if __name__ == "__main__":
    main()
