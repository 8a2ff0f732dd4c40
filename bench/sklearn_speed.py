#!/usr/bin/python3
"""Times scikit-learn (TF-IDF 1-2 grams + LogisticRegression) scoring a dump.

  bench/sklearn_speed.py TRAIN.jsonl[,TRAIN2.jsonl...] POSTS.txt

Trains on the labeled JSON Lines files (untimed), then scores POSTS.txt (one text per
line) in chunks of 10,000, writing P(spam) per line to stdout, and prints
"sklearn_seconds=S posts=N" on stderr for the scoring phase alone.
"""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def main():
    texts, labels = [], []
    for path in sys.argv[1].split(","):
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                texts.append(r["text"])
                labels.append(1 if r["label"] == "spam" else 0)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    model = LogisticRegression(C=10.0, max_iter=2000)
    model.fit(vectorizer.fit_transform(texts), labels)

    out = sys.stdout
    start = time.perf_counter()
    n = 0
    with open(sys.argv[2], encoding="utf-8") as f:
        while True:
            chunk = [line for _, line in zip(range(10000), f)]
            if not chunk:
                break
            p = model.predict_proba(vectorizer.transform(chunk))[:, 1]
            out.write("".join("%.6f\n" % x for x in p))
            n += len(chunk)
    elapsed = time.perf_counter() - start
    print("sklearn_seconds=%.3f posts=%d" % (elapsed, n), file=sys.stderr)


if __name__ == "__main__":
    main()
