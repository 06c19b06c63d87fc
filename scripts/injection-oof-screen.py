#!/usr/bin/env python3
"""Dev estimate of the whole injection screen: out-of-fold model logits combined with a
rules-only scan of dev, the way the screen combines its signals (see
`filter/src/detect/injection/mod.rs`): the model signal is sigmoid(logit - cut) and counts only
when >= 0.15 (`MODEL_FLOOR`), the signals combine as a noisy-or, and an item is flagged at
>= 0.5 (the default policy's threshold).

    python3 scripts/injection-oof-screen.py RULES.jsonl OOF.jsonl [OOF2.jsonl ...]
        [--vs BASE.jsonl ...] [--preds OUT.jsonl]
        [--docs DOCS.jsonl ... [--vs-docs BASE_DOCS.jsonl ...]]
        [--gate DOCMODEL.jsonl ... [--gate-docs DOCMODEL_DOCS.jsonl ...] --tau T ... --context C]

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

`--gate` (round 7) takes a second model's OOF files (the trainer with `--only`, e.g. a document
model), one per assignment in the same order as the OOF files, and `--gate-docs` its
`--clean-docs` files: an item in the document context (`--context`: `oracle` = the two document
categories, or a test on the text the filter can make, `bytes:N` / `windows:K`, or a context
model's logit, `model:KAPPA` with `--context-model` files from the trainer's `--positive`) whose flag would
rest on the model (rules-only score below the flag) is flagged only when the second model's logit
is >= tau as well. Printed per tau against no gate, at the main model's calibrated cut and at the
FPR-matched cut (the category counts there too).

"TPR at FPR <= x" moves the model cut alone (rules fixed) to the lowest cut whose combined
benign FPR is at most x.
"""

import argparse
import importlib.util
import json
import math
import os
import statistics

TRAINER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-injection-model.py")
_spec = importlib.util.spec_from_file_location("train_injection_model", TRAINER_PATH)
TRAINER = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TRAINER)

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


def view_bytes(text):
    """Length in bytes of the model's view of a text (`features::model_view`), what the filter
    knows of a text's size before scoring it."""
    return len(TRAINER.model_view(text).encode("utf-8"))


def model_windows(text):
    """Windows the model scores on a text (`windows` in the trainer): two-block windows over the
    padded view, one when there are at most two blocks."""
    blocks = (view_bytes(text) + 2 - 1) // TRAINER.BLOCK + 1
    return 1 if blocks <= 2 else blocks - 1


def context_test(spec, logits=None):
    """The gate's document context: `oracle` (the two document categories, which the filter does
    not know), `bytes:N` (model view of at least N bytes), `windows:K` (at least K windows) or
    `model:KAPPA` (a context model's logit, from `logits` by id, at least KAPPA); several joined
    by `&` must all hold."""
    if "&" in spec:
        tests = [context_test(part, logits) for part in spec.split("&")]
        return lambda d: all(t(d) for t in tests)
    if spec == "oracle":
        return lambda d: d["category"] in ("benign_document", "prompt_injection_indirect")
    kind, _, value = spec.partition(":")
    if kind == "bytes":
        return lambda d: view_bytes(d["text"]) >= int(value)
    if kind == "windows":
        return lambda d: model_windows(d["text"]) >= int(value)
    if kind == "model" and logits is not None:
        return lambda d: logits[d["id"]]["logit"] >= float(value)
    raise SystemExit(f"unknown --context {spec!r} (oracle, bytes:N, windows:K, model:KAPPA with --context-model)")


def gated(d, rules_score, crit, gate):
    """The critical cut under the document gate: an item in context whose flag would rest on the
    model (its rules-only score below the flag) is flagged only when the document model's logit
    is at least tau as well, or (`--margin`) when the main model's logit clears the cut by the
    margin; otherwise no model cut flags it."""
    if gate is None or rules_score >= THRESHOLD:
        return crit
    doc, tau, in_context, margin = gate[:4]
    assist = gate[4] if len(gate) > 4 else 0.0
    if in_context(d) and doc[d["id"]]["logit"] < tau:
        # Flagged only if the model's signal clears the cut by `margin` logits (inf: never).
        return crit - margin
    if in_context(d):
        # `--assist`: both models agree, so the main model may fall short of the cut by this much.
        return crit + assist
    return crit


def estimate(dev, rules, oof_path, target_fpr, levels, fixed_cut=None, gate=None):
    """`gate`: (document model logits by id, tau, context test), see `gated`."""
    oof = {d["id"]: d for d in load(oof_path)}
    if fixed_cut is not None:
        cut = fixed_cut
    else:
        # The trainer's calibration (`threshold_for`): the model alone flags target_fpr of them.
        benign = [d["logit"] for d in oof.values() if not d["y"] and not d.get("held_out")]
        cut = cut_at(benign, target_fpr) + 1e-6
    items = [
        (d, gated(d, rules[d["id"]]["score"], critical_cut(oof[d["id"]]["logit"], rules[d["id"]]["score"]), gate))
        for d in dev
    ]
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
    for n, level in enumerate(levels):
        t = cut_at(benign_crit, level)
        out[f"tpr@{level}"] = sum(c > t for c in attacks) / len(attacks)
        if n == 0:
            # Flags by category at the first level's cut too (where the gate's TPR is compared).
            out["recut"] = t
            out["cats_recut"] = {}
            for d, c in items:
                out["cats_recut"][d["category"]] = out["cats_recut"].get(d["category"], 0) + (c > t)
    return out


def clean_docs(dev, rules, docs_path, cut, gate=None, strict=False):
    """Flagged clean documents by source ([n, flagged]) of a trainer `--clean-docs` file at `cut`
    (`strict`: above it, as at an FPR-matched cut); `gate` as in `estimate` (the document model's
    own `--clean-docs` logits)."""
    src = {d["id"]: d for d in dev}
    out = {}
    for d in load(docs_path):
        item, score = src[d["id"]], rules[d["id"]]["score"]
        c = gated(item, score, critical_cut(d["logit"], score), gate)
        tally(out, item["source"], c > cut if strict else c >= cut)
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
        recut = statistics.mean(r["cats_recut"][cat] for r in runs) if levels else float("nan")
        print(f"    {cat:36} n={n:4} {kind} {hits / n:.4f} ({hits:.1f} per assignment; {recut:.1f} at the "
              f"FPR <= {levels[0] if levels else '-'} cut)")
    show_sources("documents, family held out, by source", [r["sources"] for r in runs])


def paired(runs, base, keys):
    """Mean and standard error over assignments of each key's difference, run minus base."""
    for key in keys:
        d = [r[key] - b[key] for r, b in zip(runs, base)]
        se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else 0.0
        print(f"  paired {key}: {statistics.mean(d):+.4f} ± {se:.4f} ({' '.join(f'{x:+.4f}' for x in d)})")


def gate_runs(args, dev, rules):
    """The OOF files without the gate, then with it at every --tau: one summary line per tau
    (mean over assignments), the by-category table and the paired differences against no gate."""
    ctx_files = [{d["id"]: d for d in load(p)} for p in args.context_model or []] or [None] * len(args.oof)
    ctx_docs = [{d["id"]: d for d in load(p)} for p in args.context_model_docs or []] or [None] * len(args.oof)
    in_ctx = [context_test(args.context, c) for c in ctx_files]
    in_ctx_docs = [context_test(args.context, c) for c in ctx_docs]
    n_ctx = {}
    for d in dev:
        if in_ctx[0](d):
            n_ctx[d["category"]] = n_ctx.get(d["category"], 0) + 1
    print(f"context {args.context} (first assignment): " + ", ".join(f"{k} {v}" for k, v in sorted(n_ctx.items())))
    base = [estimate(dev, rules, p, args.target_fpr, args.at) for p in args.oof]
    base_docs = [clean_docs(dev, rules, p, r["cut"]) for p, r in zip(args.docs or [], base)]
    show("no gate", base, args.at)
    if base_docs:
        show_sources("clean documents held out alone, by source", base_docs)
        recut = [clean_docs(dev, rules, p, r["recut"], strict=True) for p, r in zip(args.docs, base)]
        show_sources(f"the same at the FPR <= {args.at[0]} cut", recut)
    gates = [{d["id"]: d for d in load(p)} for p in args.gate]
    gate_docs = [{d["id"]: d for d in load(p)} for p in args.gate_docs or []]
    keys = ["tpr", "fpr"] + [f"tpr@{level}" for level in args.at]
    for tau in args.tau:
        # The calibrated cut stays the main model's: the gate only takes model-alone flags away.
        runs = [
            estimate(dev, rules, p, args.target_fpr, args.at, b["cut"], (g, tau, c, args.margin, args.assist))
            for p, b, g, c in zip(args.oof, base, gates, in_ctx)
        ]
        docs = [
            clean_docs(dev, rules, p, b["cut"], (g, tau, c, args.margin, args.assist))
            for p, b, g, c in zip(args.docs or [], base, gate_docs, in_ctx_docs)
        ]
        print()
        show(f"gate tau {tau}", runs, args.at)
        if docs:
            show_sources("clean documents held out alone, by source", docs)
            recut = [
                clean_docs(dev, rules, p, r["recut"], (g, tau, c, args.margin, args.assist), strict=True)
                for p, r, g, c in zip(args.docs, runs, gate_docs, in_ctx_docs)
            ]
            show_sources(f"the same at the FPR <= {args.at[0]} cut", recut)
        paired(runs, base, keys)


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
    ap.add_argument("--gate", nargs="*", help="document model --oof files (trainer --only), same order as OOF: "
                    "gate the model-alone flags of items in --context on the document model's logit >= --tau")
    ap.add_argument("--gate-docs", nargs="*", help="the document model's --clean-docs files, same order as --docs")
    ap.add_argument("--tau", type=float, nargs="*", default=[0.0], help="gate thresholds (one line each)")
    ap.add_argument("--context-model", nargs="*", help="a context model's --oof files (trainer --positive), "
                    "same order as OOF, for --context model:KAPPA")
    ap.add_argument("--context-model-docs", nargs="*", help="the context model's --clean-docs files, same order")
    ap.add_argument("--margin", type=float, default=math.inf,
                    help="an item the gate holds is still flagged when the main logit clears the cut by this much")
    ap.add_argument("--assist", type=float, default=0.0,
                    help="an item in context that the document model confirms (>= tau) is flagged when the main "
                    "logit is within this much under the cut (both models agree)")
    ap.add_argument("--context", default="oracle", help="oracle, bytes:N or windows:K (see context_test)")
    ap.add_argument("--preds", help="write the first file's flags here (score_injection.py input)")
    args = ap.parse_args()
    dev = load(args.dev)
    rules = {d["id"]: d for d in load(args.rules)}
    if args.gate:
        gate_runs(args, dev, rules)
        return
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
        paired(runs, base, ["tpr", "fpr"] + [f"tpr@{level}" for level in args.at])


if __name__ == "__main__":
    main()
