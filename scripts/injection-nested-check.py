#!/usr/bin/env python3
"""How honest is the injection model's calibration on families it never saw? (dev only)

The shipped model trains on all of dev, but its cut comes from out-of-fold scores of fold models
that each saw two thirds of it. This check nests that recipe: dev's near-duplicate families are
dealt to three outer folds (seeded); on each outer training part, three inner family-grouped
folds set the cut as the trainer does (model-alone FPR --target-fpr on the permissive benign
corpus items), then

  * `full`: the model trained on the whole outer training part (what ships), and
  * `crossfit`: the mean of the three inner fold models,

are scored on the outer held-out part at that cut (model alone, no rules), and on the
share-alike items that no model trains on. `equal-FPR` re-cuts each model where the held-out
part's FPR is the target, for a like-for-like TPR.

    python3 scripts/injection-nested-check.py [--seed N] [--augment FILE ...]

About 40 s per seed on a 2-core machine; reads dev only (the test split is never read)."""

import argparse
import importlib.util
import os
import random
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("trainer", os.path.join(HERE, "train-injection-model.py"))
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="assignment of families to outer folds")
    ap.add_argument("--augment", nargs="*", default=t.AUGMENT)
    ap.add_argument("--target-fpr", type=float, default=t.TARGET_FPR)
    args = ap.parse_args()
    t.ensure_deps(__file__)
    import numpy as np

    rows, _, _, held = t.load(t.DEV, t.README, args.augment)
    wins = [t.windows(r.text) for r in rows]
    groups = t.families([r.text for r in rows])
    derived = t.derive_clean(rows, groups)
    dwins = [t.windows(x) for _, x in derived]
    hwins = [t.windows(r.text) for r in held]
    fams = sorted({g for g, r in zip(groups, rows) if not r.team})
    random.Random(args.seed).shuffle(fams)
    outer_of = {g: n % 3 for n, g in enumerate(fams)}
    outer = [-1 if r.team else outer_of[g] for g, r in zip(groups, rows)]
    results = {"full": [], "crossfit": []}
    for o in range(3):
        inside = [g for g in fams if outer_of[g] != o]
        random.Random(args.seed * 100 + o).shuffle(inside)
        inner_of = {g: n % 3 for n, g in enumerate(inside)}
        inner = [inner_of.get(g, -1) if not r.team and outer[i] != o else -1
                 for i, (g, r) in enumerate(zip(groups, rows))]
        keep = lambda i: rows[i].team or outer[i] != o  # noqa: E731 (closure over o)
        models, oof = [], {}
        for k in range(3):
            w, y, keys = t.training_set(rows, wins, derived, dwins, lambda i: keep(i) and (rows[i].team or inner[i] != k))
            model = t.train_mil(w, y, keys)
            models.append(model)
            for i in range(len(rows)):
                if inner[i] == k:
                    oof[i] = t.score_doc(model, wins[i])
        cut = t.threshold_for([z for i, z in oof.items() if not rows[i].y], args.target_fpr)
        w, y, keys = t.training_set(rows, wins, derived, dwins, keep)
        full = t.train_mil(w, y, keys)
        mean_w = sum(np.asarray(q, dtype=float) * scale for q, scale, _ in models) / 3
        q, scale = t.quantise(mean_w)
        crossfit = (q, scale, sum(b for _, _, b in models) / 3)
        part = [i for i in range(len(rows)) if outer[i] == o]
        benign = [i for i in part if not rows[i].y]
        attacks = [i for i in part if rows[i].y]
        for name, model in (("full", full), ("crossfit", crossfit)):
            z = {i: t.score_doc(model, wins[i]) for i in part}
            hz = [(t.score_doc(model, hw), r.y) for hw, r in zip(hwins, held)]
            hb = [s for s, y in hz if not y]

            def rate(scores, c):
                return sum(s >= c for s in scores) / max(1, len(scores))

            fair = t.threshold_for([z[i] for i in benign], args.target_fpr)
            row = (rate([z[i] for i in benign], cut), rate([z[i] for i in attacks], cut), rate(hb, cut),
                   rate([z[i] for i in attacks], fair), rate(hb, fair))
            results[name].append(row)
            print(f"outer fold {o} {name:8s} cut {cut:.3f}: held-out FPR {row[0]:.4f} TPR {row[1]:.4f}, "
                  f"share-alike FPR {row[2]:.4f} | equal-FPR TPR {row[3]:.4f}, share-alike FPR {row[4]:.4f}",
                  flush=True)
    for name, rs in results.items():
        m = [statistics.mean(r[j] for r in rs) for j in range(5)]
        print(f"{name:8s} mean: held-out FPR {m[0]:.4f} TPR {m[1]:.4f}, share-alike FPR {m[2]:.4f} | "
              f"equal-FPR TPR {m[3]:.4f}, share-alike FPR {m[4]:.4f}  (target FPR {args.target_fpr})")


if __name__ == "__main__":
    main()
