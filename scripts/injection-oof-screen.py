#!/usr/bin/env python3
"""Dev estimate of the whole injection screen: out-of-fold model logits combined with a
rules-only scan of dev, the way the screen combines its signals (see
`filter/src/detect/injection/mod.rs`): the model signal is sigmoid(logit - cut) and counts only
when >= 0.15 (`MODEL_FLOOR`), the signals combine as a noisy-or, and an item is flagged at
>= 0.5 (the default policy's threshold).

    python3 scripts/injection-oof-screen.py RULES.jsonl OOF.jsonl [OOF2.jsonl ...]
        [--vs BASE.jsonl ...] [--preds OUT.jsonl]
        [--docs DOCS.jsonl ... [--vs-docs BASE_DOCS.jsonl ...]]

OOF files come from `scripts/train-injection-model.py --oof FILE [--fold-seed N] --oof-only`
(one per fold assignment; the share-alike items are in them, scored by one fold model each).
The cut of each file is the trainer's: the logit at which the model alone flags --target-fpr
of the permissive benign corpus items. `--vs` takes the baseline's files, one per assignment in
the same order, and prints the paired differences (mean and standard error over assignments).
`--preds` writes the flags of the first file for `shared/eval/score_injection.py`.
`--docs` takes the trainer's `--clean-docs` files (only the corpus's clean documents held out),
one per assignment in the same order as the OOF files: each is cut at its OOF file's calibrated
cut, and the flagged documents are counted by source (mean per assignment); `--vs-docs` the
baseline's, paired with the `--vs` files' cuts. The grouped estimate's documents are shown by
source too.

RULES.jsonl is `llm-warden scan` output for the dev split with the model's signal left out.
The screen has no switch for that; build the CLI once from a copy of the tree in which the
model signal in `InjectionScreen::screen_text` is also conditioned on an environment variable
(e.g. `&& std::env::var_os("WARDEN_RULES_ONLY").is_none()`), in its own CARGO_TARGET_DIR,
and never commit it. Given the shipped model's own logits for dev (in-sample, `id` and `logit`
per line) and `--cut` its OFFSET, this combination reproduces the full scan's flags item for
item (checked on the round-5 rules: 4,160 of 4,160).

"TPR at FPR <= x" moves the model cut alone (rules fixed) to the lowest cut whose combined
benign FPR is at most x.
"""

import argparse
import json
import math
import statistics

DEV = "/work/shared/eval/injection/dev.jsonl"
MODEL_FLOOR = 0.15
THRESHOLD = 0.5


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def critical_cut(logit, rules):
    """Highest model cut at which an item with this logit and rules-only score is flagged."""
    if rules >= THRESHOLD:
        return math.inf
    need = max(MODEL_FLOOR, 1 - (1 - THRESHOLD) / (1 - rules))
    if need >= 1:
        return -math.inf
    return logit - math.log(need / (1 - need))


def cut_at(benign_crit, fpr):
    """Flag when critical cut > the returned value: at most floor(fpr * n) benign items."""
    s = sorted(benign_crit, reverse=True)
    return s[int(math.floor(fpr * len(s)))]


def tally(counts, key, hit):
    """Adds one item, flagged or not, to `counts[key]` ([n, flagged])."""
    n = counts.setdefault(key, [0, 0])
    n[0] += 1
    n[1] += hit


def estimate(dev, rules, oof_path, target_fpr, levels, fixed_cut=None):
    oof = {d["id"]: d for d in load(oof_path)}
    if fixed_cut is not None:
        cut = fixed_cut
    else:
        # The trainer's calibration (`threshold_for`): the model alone flags target_fpr of them.
        benign = [d["logit"] for d in oof.values() if not d["y"] and not d.get("held_out")]
        cut = cut_at(benign, target_fpr) + 1e-6
    items = [(d, critical_cut(oof[d["id"]]["logit"], rules[d["id"]]["score"])) for d in dev]
    attacks = [c for d, c in items if d["label"] == "attack"]
    benign_crit = [c for d, c in items if d["label"] != "attack"]
    cats, sources = {}, {}
    for d, c in items:
        if d["category"] == "benign_document":
            tally(sources, d["source"], c >= cut)
        tally(cats, d["category"], c >= cut)
    out = {
        "cut": cut,
        "tpr": sum(c >= cut for c in attacks) / len(attacks),
        "fpr": sum(c >= cut for c in benign_crit) / len(benign_crit),
        "cats": cats,
        "sources": sources,
        "flags": {d["id"]: c >= cut for d, c in items},
    }
    for level in levels:
        t = cut_at(benign_crit, level)
        out[f"tpr@{level}"] = sum(c > t for c in attacks) / len(attacks)
    return out


def clean_docs(dev, rules, docs_path, cut):
    """Flagged clean documents by source ([n, flagged]) of a trainer `--clean-docs` file at `cut`."""
    src = {d["id"]: d for d in dev}
    out = {}
    for d in load(docs_path):
        tally(out, src[d["id"]]["source"], critical_cut(d["logit"], rules[d["id"]]["score"]) >= cut)
    return out


def show_sources(title, per_run):
    """Mean flagged per assignment by source, and the total."""
    total = statistics.mean(sum(h for _, h in r.values()) for r in per_run)
    n = sum(v[0] for v in per_run[0].values())
    parts = []
    for source in sorted(per_run[0]):
        hits = [r[source][1] for r in per_run]
        parts.append(f"{source} {statistics.mean(hits):.2f} of {per_run[0][source][0]} ({' '.join(map(str, hits))})")
    print(f"  {title}: {total:.2f} of {n}; " + "; ".join(parts))


def show(name, runs, levels):
    mean = lambda key: statistics.mean(r[key] for r in runs)
    each = lambda key: " ".join(f"{r[key]:.4f}" for r in runs)
    print(f"{name}: at the calibrated cut TPR {mean('tpr'):.4f} ({each('tpr')}) FPR {mean('fpr'):.4f} ({each('fpr')})")
    for level in levels:
        key = f"tpr@{level}"
        print(f"  TPR at FPR <= {level}: {mean(key):.4f} ({each(key)})")
    for cat in sorted(runs[0]["cats"]):
        n = runs[0]["cats"][cat][0]
        hits = statistics.mean(r["cats"][cat][1] for r in runs)
        kind = "TPR" if not cat.startswith("benign") else "FPR"
        print(f"    {cat:36} n={n:4} {kind} {hits / n:.4f} ({hits:.1f} per assignment)")
    show_sources("documents, family held out, by source", [r["sources"] for r in runs])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rules", help="rules-only `llm-warden scan` output for the dev split")
    ap.add_argument("oof", nargs="+", help="trainer --oof files, one per fold assignment")
    ap.add_argument("--vs", nargs="*", help="the baseline's --oof files, same assignments, same order")
    ap.add_argument("--dev", default=DEV)
    ap.add_argument("--target-fpr", type=float, default=0.003, help="the trainer's calibration target")
    ap.add_argument("--at", type=float, nargs="*", default=[0.005, 0.004], help="FPR levels for TPR at FPR <= x")
    ap.add_argument("--cut", type=float, help="use this model cut instead of calibrating one (e.g. OFFSET)")
    ap.add_argument("--docs", nargs="*", help="trainer --clean-docs files, same assignments and order as OOF")
    ap.add_argument("--vs-docs", nargs="*", help="the baseline's --clean-docs files, same order as --vs")
    ap.add_argument("--preds", help="write the first file's flags here (score_injection.py input)")
    args = ap.parse_args()
    dev = load(args.dev)
    rules = {d["id"]: d for d in load(args.rules)}
    runs = [estimate(dev, rules, p, args.target_fpr, args.at, args.cut) for p in args.oof]
    show("estimate", runs, args.at)
    if args.docs:
        docs = [clean_docs(dev, rules, p, r["cut"]) for p, r in zip(args.docs, runs)]
        show_sources("clean documents held out alone, by source", docs)
    if args.preds:
        with open(args.preds, "w", encoding="utf-8") as f:
            for k, flagged in runs[0]["flags"].items():
                f.write(json.dumps({"id": k, "flagged": flagged}) + "\n")
    if args.vs:
        base = [estimate(dev, rules, p, args.target_fpr, args.at) for p in args.vs]
        show("baseline", base, args.at)
        if args.vs_docs:
            base_docs = [clean_docs(dev, rules, p, r["cut"]) for p, r in zip(args.vs_docs, base)]
            show_sources("clean documents held out alone, by source", base_docs)
        for key in ["tpr", "fpr"] + [f"tpr@{level}" for level in args.at]:
            d = [r[key] - b[key] for r, b in zip(runs, base)]
            se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else 0.0
            print(f"  paired {key}: {statistics.mean(d):+.4f} ± {se:.4f} ({' '.join(f'{x:+.4f}' for x in d)})")


if __name__ == "__main__":
    main()
