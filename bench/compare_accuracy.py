#!/usr/bin/python3
"""Accuracy side by side on the same train/test splits of ../shared/data:
groupguard (naive Bayes, logistic and their ensemble) against fastText (supervised, word
bigrams), scikit-learn (TF-IDF of word 1-2 grams with LogisticRegression, LinearSVC and
MultinomialNB) and bogofilter (its defaults: Robinson-Fisher token statistics). Prints
one table of ROC AUC and spam caught at 1% ham blocked.

  bench/compare_accuracy.py [--groupguard PATH] [--data DIR] [--work DIR]

Rows: each of sms, youtube and tgspam trained on its own train split and tested on
its own test split; then every system trained on the union of those three train
splits and tested on the union of their test splits and on all of datacamp (never
trained on). The groupguard default model (built into the binary) is scored on the
union rows.

The column "groupguard --select" is `groupguard train --select`: groupguard chooses
its model type, --nb-tfidf and --char-ngrams 3 5 by 2 x 5-fold cross-validation on
the row's train posts only (folds stratified by label, posts with equal token
sequences kept in one fold), then trains on the whole train split with the best;
the test sets and datacamp play no part in the choice. The choices are printed
under the table.

Needs the Debian packages fasttext, bogofilter and python3-sklearn
(`scripts/setup.sh --peers`).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

DATASETS = ["sms", "youtube", "tgspam"]


def load(paths):
    texts, labels = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                texts.append(r["text"])
                labels.append(1 if r["label"] == "spam" else 0)
    return texts, np.array(labels)


def caught_at(labels, scores, max_fpr):
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    return float(tpr[fpr <= max_fpr + 1e-12].max())


def figures(labels, scores):
    return roc_auc_score(labels, scores), caught_at(labels, scores, 0.01)


def concat(paths, out):
    with open(out, "w", encoding="utf-8") as o:
        for p in paths:
            with open(p, encoding="utf-8") as f:
                o.write(f.read())
    return out


def groupguard_eval(gg, model, test):
    args = [gg, "eval", "--json", test]
    if model:
        args += ["--model", model]
    m = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return m["roc_auc"], m["spam_caught_at_1pct_ham_blocked"]


def groupguard_train(gg, train_paths, model_type, out):
    subprocess.run([gg, "train", *train_paths, "--model-type", model_type, "-o", out],
                   check=True, capture_output=True)


def groupguard_select(gg, train_paths, out):
    """Trains with `train --select`; returns the chosen line of its report."""
    report = subprocess.run([gg, "train", *train_paths, "--select", "-o", out],
                            check=True, capture_output=True, text=True).stdout
    return next(line.replace("<- chosen", "").strip()
                for line in report.splitlines() if line.endswith("<- chosen"))


def fasttext_scores(work, train_texts, train_labels, tests):
    def clean(t):
        return " ".join(t.split())
    train_file = os.path.join(work, "ft.train.txt")
    with open(train_file, "w", encoding="utf-8") as f:
        for t, y in zip(train_texts, train_labels):
            f.write("__label__%s %s\n" % ("spam" if y else "ham", clean(t)))
    model = os.path.join(work, "ft")
    subprocess.run(["fasttext", "supervised", "-input", train_file, "-output", model,
                    "-wordNgrams", "2", "-epoch", "25", "-lr", "0.5", "-dim", "100",
                    "-thread", "1", "-seed", "1", "-verbose", "0"], check=True,
                   capture_output=True)
    results = []
    for texts in tests:
        test_file = os.path.join(work, "ft.test.txt")
        with open(test_file, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(clean(t) + "\n")
        out = subprocess.run(["fasttext", "predict-prob", model + ".bin", test_file, "2"],
                             check=True, capture_output=True, text=True).stdout
        scores = []
        for line in out.splitlines():
            parts = line.split()
            p = dict(zip(parts[0::2], map(float, parts[1::2])))
            if "__label__spam" in p:
                scores.append(p["__label__spam"])
            else:
                scores.append(1.0 - p.get("__label__ham", 0.5))
        if len(scores) != len(texts):  # an empty line yields no prediction
            raise SystemExit("fastText returned %d predictions for %d posts"
                             % (len(scores), len(texts)))
        results.append(np.array(scores))
    return results


def bogofilter_scores(work, train_texts, train_labels, tests):
    """Trains a fresh bogofilter word list on the posts (each one an e-mail body in
    an mbox, UTF-8) with its built-in settings (-C: no configuration file is read),
    and returns its spamicity of every test post."""
    def write_mbox(texts, path):
        with open(path, "w", encoding="utf-8") as f:
            for t in texts:
                # mboxrd quoting: a body line that looks like a separator gets a '>'.
                body = "\n".join(">" + line if re.match(r">*From ", line) else line
                                 for line in t.split("\n"))
                f.write("From post@example.invalid Thu Jan  1 00:00:00 1970\n"
                        "Content-Type: text/plain; charset=utf-8\n\n%s\n\n" % body)
    db = os.path.join(work, "bogofilter")
    shutil.rmtree(db, ignore_errors=True)
    os.makedirs(db)
    base = ["bogofilter", "-C", "-d", db, "-M"]
    for flag, label in (("-s", 1), ("-n", 0)):
        path = os.path.join(work, "bogo.train.mbox")
        write_mbox([t for t, y in zip(train_texts, train_labels) if y == label], path)
        subprocess.run(base + [flag, "-I", path], check=True, capture_output=True)
    results = []
    for texts in tests:
        path = os.path.join(work, "bogo.test.mbox")
        write_mbox(texts, path)
        # -v -T: one line per message, "S|H|U spamicity". Exit status 0/1/2 is the
        # verdict of the last message, 3 an error.
        run = subprocess.run(base + ["-v", "-T", "-I", path], capture_output=True,
                             text=True)
        if run.returncode == 3:
            raise SystemExit("bogofilter failed: " + run.stderr)
        scores = [float(line.split()[1]) for line in run.stdout.splitlines() if line]
        if len(scores) != len(texts):
            raise SystemExit("bogofilter returned %d scores for %d posts"
                             % (len(scores), len(texts)))
        results.append(np.array(scores))
    return results


def sklearn_scores(train_texts, train_labels, tests):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x = vec.fit_transform(train_texts)
    models = {
        "sklearn LR": LogisticRegression(C=10.0, max_iter=2000),
        "sklearn LinearSVC": LinearSVC(C=1.0),
        "sklearn MultinomialNB": MultinomialNB(alpha=0.1),
    }
    out = {}
    for name, m in models.items():
        m.fit(x, train_labels)
        res = []
        for texts in tests:
            xt = vec.transform(texts)
            if hasattr(m, "predict_proba"):
                res.append(m.predict_proba(xt)[:, 1])
            else:
                res.append(m.decision_function(xt))
        out[name] = res
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--groupguard",
                    default=os.path.join(here, "..", "build", "release", "tools",
                                         "groupguard", "groupguard"))
    ap.add_argument("--data", default=os.environ.get(
        "GROUPGUARD_DATA_DIR", os.path.join(here, "..", "..", "shared", "data")))
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    gg = args.groupguard
    jl = os.path.join(args.data, "jsonl")
    work = args.work or tempfile.mkdtemp(prefix="gg_accuracy_")
    os.makedirs(work, exist_ok=True)

    systems = ["groupguard nb", "groupguard logistic", "groupguard ensemble",
               "groupguard --select", "fastText bigrams", "sklearn LR",
               "sklearn LinearSVC", "sklearn MultinomialNB", "bogofilter"]
    rows = []  # (row name, {system: (auc, caught)})
    choices = []  # (train data, "ROC AUC caught@1% flags" of the chosen settings)

    def run_row(train_paths, test_sets):
        """test_sets: list of (row name, path). Returns rows."""
        results = [dict() for _ in test_sets]
        for t in ("nb", "logistic", "ensemble"):
            model = os.path.join(work, "gg_%s.ggm" % t)
            groupguard_train(gg, train_paths, t, model)
            for i, (_, path) in enumerate(test_sets):
                results[i]["groupguard " + t] = groupguard_eval(gg, model, path)
        model = os.path.join(work, "gg_select.ggm")
        data = " + ".join(os.path.basename(p).split(".")[0] for p in train_paths)
        choices.append((data, groupguard_select(gg, train_paths, model)))
        for i, (_, path) in enumerate(test_sets):
            results[i]["groupguard --select"] = groupguard_eval(gg, model, path)
        train_texts, train_labels = load(train_paths)
        tests = [load([p]) for _, p in test_sets]
        ft = fasttext_scores(work, train_texts, train_labels, [t for t, _ in tests])
        for i, (_, labels) in enumerate(tests):
            results[i]["fastText bigrams"] = figures(labels, ft[i])
        sk = sklearn_scores(train_texts, train_labels, [t for t, _ in tests])
        for name, scores in sk.items():
            for i, (_, labels) in enumerate(tests):
                results[i][name] = figures(labels, scores[i])
        bf = bogofilter_scores(work, train_texts, train_labels, [t for t, _ in tests])
        for i, (_, labels) in enumerate(tests):
            results[i]["bogofilter"] = figures(labels, bf[i])
        return [(name, r) for (name, _), r in zip(test_sets, results)]

    for d in DATASETS:
        rows += run_row([os.path.join(jl, d + ".train.jsonl")],
                        [(d, os.path.join(jl, d + ".test.jsonl"))])
    union_train = [os.path.join(jl, d + ".train.jsonl") for d in DATASETS]
    union_test = concat([os.path.join(jl, d + ".test.jsonl") for d in DATASETS],
                        os.path.join(work, "union.test.jsonl"))
    datacamp = os.path.join(jl, "datacamp.jsonl")
    union_rows = run_row(union_train, [("union -> union of tests", union_test),
                                       ("union -> all datacamp", datacamp)])
    for (name, r), path in zip(union_rows, [union_test, datacamp]):
        r["groupguard default model"] = groupguard_eval(gg, None, path)
    rows += union_rows
    systems.append("groupguard default model")

    print("ROC AUC / spam caught at 1% ham blocked (higher is better)")
    print()
    print("| trained on -> tested on | " + " | ".join(systems) + " |")
    print("|---|" + "---:|" * len(systems))
    for name, r in rows:
        label = name if "->" in name else "%s -> %s" % (name, name)
        peers = [s for s in systems if not s.startswith("groupguard") and s in r]
        best_auc = max(r[s][0] for s in peers)
        best_caught = max(r[s][1] for s in peers)
        cells = []
        for s in systems:
            if s not in r:
                cells.append("")
                continue
            auc, caught = r[s]
            a = "%.4f" % auc
            c = "%.3f" % caught
            if s.startswith("groupguard"):
                a += "" if auc >= best_auc - 1e-9 else " (<)"
                c += "" if caught >= best_caught - 1e-9 else " (<)"
            cells.append("%s / %s" % (a, c))
        print("| %s | %s |" % (label, " | ".join(cells)))
    print()
    print("(<) marks a groupguard figure below the best peer in its row.")
    print()
    print("groupguard --select chose (mean cross-validated ROC AUC, spam caught at 1%):")
    for data, chosen in choices:
        print("  %s: %s" % (data, chosen))


if __name__ == "__main__":
    main()
