#!/usr/bin/env python3
"""Train the injection screen's statistical model (hashed n-gram logistic regression).

Reads the DEV split of the shared injection corpus by path (never copies it), keeps only items
from sources whose licence is permissive (drops every CC BY-SA source listed in the corpus
README's provenance table), trains an L2-regularised logistic regression over hashed byte
n-grams and word uni/bigrams, calibrates the decision offset on out-of-fold scores, quantises
the weights to i8 and writes

    filter/src/detect/injection/model/weights.bin   (2^BITS signed bytes)
    filter/src/detect/injection/model/weights.rs    (header: command, data hash, scale, bias)

The feature extraction here must stay byte-for-byte identical to
`filter/src/detect/injection/model/features.rs`; `cargo test` checks a few fixed vectors
printed by `--print-vectors`.

Python 3 standard library only. Deterministic: same input, same output.

Usage:
    scripts/train-injection-model.py [--dev PATH] [--readme PATH] [--out DIR] [--cv] [--print-vectors]
"""

import argparse
import hashlib
import json
import math
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV = "/work/shared/eval/injection/dev.jsonl"
README = "/work/shared/eval/injection/README.md"
OUT = os.path.join(ROOT, "filter/src/detect/injection/model")
AUGMENT = os.path.join(ROOT, "testdata/injection/benign-augment.jsonl")

BITS = 18
EPOCHS = 12
L2 = 2e-7
LR = 0.2
# Target false-positive rate of the model alone on out-of-fold permissive dev benign items.
TARGET_FPR = 0.006
FOLDS = 3
SEED = 20261126
# Largest up-weighting of a small (label, category) group.
CAP = 8.0

M32 = 0xFFFFFFFF
M40 = (1 << 40) - 1
M64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
MASKS = {3: (1 << 24) - 1, 4: (1 << 32) - 1, 5: M40}
FNV_BASIS = 0x811C9DC5
FNV_PRIME = 0x01000193
GOLDEN = 0x9E3779B1

INVISIBLE = set(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)
SPACES = set([0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] + list(range(0x2000, 0x200B)))


def model_view(text):
    """Lower case, fullwidth ASCII folded, invisibles and tag characters dropped, whitespace runs
    folded to one space, no leading/trailing space. Mirrors `features::model_view`."""
    out = []
    pending = False
    for ch in text:
        o = ord(ch)
        if o in INVISIBLE or 0xE0000 <= o <= 0xE007F:
            continue
        if o <= 0x20 or o == 0x7F or o in SPACES:
            pending = True
            continue
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        if pending and out:
            out.append(" ")
        pending = False
        out.append(ch.lower() if ord(ch) >= 0x80 else ch.lower())
    return "".join(out)


def mix(h, n):
    h = ((h ^ ((n * GOLDEN) & M32)) * GOLDEN) & M32
    h ^= h >> 15
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    return h


def is_word_byte(b):
    return b >= 0x80 or 0x30 <= b <= 0x39 or 0x61 <= b <= 0x7A or 0x41 <= b <= 0x5A


def features(text, bits=BITS):
    """Bucket ids of every feature occurrence (with repeats), in emission order."""
    return [f for _, f in features_at(text, bits)]


def features_at(text, bits=BITS):
    """(position, bucket) of every feature occurrence: the position is the index in the padded
    view of an n-gram's last byte, or of the byte that ends a word."""
    b = b" " + model_view(text).encode("utf-8") + b" "
    shift = 32 - bits
    out = []
    n = len(b)
    # Byte n-grams: a shift register of the last five bytes, Fibonacci-hashed per length.
    reg = 0
    for j in range(n):
        reg = ((reg << 8) | b[j]) & M40
        for k in (3, 4, 5):
            if j + 1 >= k:
                key = (reg & MASKS[k]) ^ (k << 40)
                out.append((j, ((key * GOLDEN64) & M64) >> (64 - bits)))
    prev = None
    i = 0
    while i < n:
        if not is_word_byte(b[i]):
            i += 1
            continue
        h = FNV_BASIS ^ 0x5BD1E995
        while i < n and is_word_byte(b[i]):
            h = ((h ^ b[i]) * FNV_PRIME) & M32
            i += 1
        out.append((i, mix(h, 11) >> shift))
        if prev is not None:
            out.append((i, mix(((prev * FNV_PRIME) & M32) ^ h, 12) >> shift))
        prev = h
    return out


BLOCK = 512


def windows(text, bits=BITS):
    """Feature vectors of the windows the screen scores: the padded view is cut into blocks of
    BLOCK bytes and every window is two consecutive blocks (one window when there are at most
    two blocks). Mirrors `Model::score`."""
    blocks = {}
    for pos, f in features_at(text, bits):
        blocks.setdefault(pos // BLOCK, []).append(f)
    n = max(blocks) + 1 if blocks else 1
    spans = [(0, n)] if n <= 2 else [(k, k + 2) for k in range(n - 1)]
    out = []
    for a, b in spans:
        feats = [f for k in range(a, b) for f in blocks.get(k, ())]
        out.append(to_vector(feats))
    return out


def to_vector(feats):
    counts = {}
    for f in feats:
        counts[f] = counts.get(f, 0) + 1
    norm = 1.0 / math.sqrt(max(len(feats), 1))
    return [(f, c * norm) for f, c in counts.items()]


def permissive_sources(readme):
    """Source keys of the provenance table whose licence has no share-alike clause."""
    keep, drop = set(), set()
    for line in open(readme, encoding="utf-8"):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 8 or not cells[1].startswith("`") or "github.com" not in cells[2]:
            continue
        key = cells[1].strip("`")
        licence = cells[5]
        (drop if re.search(r"BY[- ]SA", licence, re.I) else keep).add(key)
    return keep, drop


def load(dev, readme, augment=None):
    """Permissive DEV items, then the team-written augmentation file; returns the rows, the
    sha256 of the kept JSONL lines, the dropped sources and the dropped items. Each row is
    (text, label, category, id); the id (None for items without one) only labels `--oof` lines."""
    keep, drop = permissive_sources(readme)
    rows, digest = [], hashlib.sha256()
    skipped = {}
    held_out = []
    lines = []
    with open(dev, "rb") as f:
        lines.extend(f)
    if augment:
        with open(augment, "rb") as f:
            lines.extend(f)
    for raw in lines:
        item = json.loads(raw)
        if "source" in item and item["source"] not in keep:
            skipped[item["source"]] = skipped.get(item["source"], 0) + 1
            held_out.append((item["text"], 1 if item["label"] == "attack" else 0, item["category"], item.get("id")))
            continue
        digest.update(raw if raw.endswith(b"\n") else raw + b"\n")
        rows.append((item["text"], 1 if item["label"] == "attack" else 0, item["category"], item.get("id")))
    return rows, digest.hexdigest(), sorted(drop), skipped, held_out


def sigmoid(z):
    if z < -30:
        return 1e-13
    if z > 30:
        return 1.0 - 1e-13
    return 1.0 / (1.0 + math.exp(-z))


def group_weights(groups):
    """Sample weights that give every (label, category) group the same total weight, capped so
    a tiny group does not dominate: rare hard negatives (clean documents) count as much as the
    many easy ones."""
    sizes = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    mean = len(groups) / len(sizes)
    return [min(CAP, max(0.5, mean / sizes[g])) for g in groups]


def train(data, bits, epochs=EPOCHS, l2=L2, lr=LR, seed=SEED, weights=None):
    """AdaGrad logistic regression with lazy L2; class-balanced sample weights."""
    size = 1 << bits
    w = [0.0] * size
    g2 = [1e-8] * size
    bias, gb = 0.0, 1e-8
    pos = sum(1 for _, y in data if y)
    neg = len(data) - pos
    cw = {1: len(data) / (2.0 * pos), 0: len(data) / (2.0 * neg)}
    order = list(range(len(data)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for idx in order:
            x, y = data[idx]
            z = bias
            for f, v in x:
                z += w[f] * v
            g = (sigmoid(z) - y) * cw[y] * (weights[idx] if weights else 1.0)
            gb += g * g
            bias -= lr * g / math.sqrt(gb)
            for f, v in x:
                gf = g * v + l2 * w[f]
                g2[f] += gf * gf
                w[f] -= lr * gf / math.sqrt(g2[f])
    return w, bias


def quantise(w):
    peak = max(abs(v) for v in w) or 1.0
    scale = peak / 127.0
    q = [max(-127, min(127, int(round(v / scale)))) for v in w]
    return q, scale


def score_q(q, scale, bias, x):
    return bias + scale * sum(q[f] * v for f, v in x)


def f32(v):
    """Shortest decimal that round-trips as an f32 (what clippy and rustfmt accept)."""
    target = struct.unpack("f", struct.pack("f", v))[0]
    for p in range(1, 10):
        text = "%.*g" % (p, v)
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            break
    if "e" not in text and "." not in text:
        text += ".0"
    return text


def threshold_for(benign_scores, target):
    s = sorted(benign_scores, reverse=True)
    k = int(math.floor(target * len(s)))
    return s[k] + 1e-6 if k < len(s) else s[-1]


def score_doc(q, scale, bias, wins):
    return max(score_q(q, scale, bias, x) for x in wins)


def train_mil(rows, wins, idx, bits, rounds=2, **kw):
    """Multiple-instance training: a benign text's windows are all benign; an attack text is
    represented by its most attack-like window under the previous round's model (round 0 uses
    the first window... and every window of short texts, which have one)."""
    gw = group_weights([(rows[i][1], rows[i][2]) for i in idx])
    pick = {i: 0 for i in idx}
    model = None
    for r in range(rounds):
        data, sw = [], []
        for i, g in zip(idx, gw):
            y = rows[i][1]
            ws = wins[i]
            if y:
                if model is not None:
                    pick[i] = max(range(len(ws)), key=lambda k: score_q(*model, ws[k]))
                    data.append((ws[pick[i]], 1))
                    sw.append(g)
                else:
                    for x in ws:
                        data.append((x, 1))
                        sw.append(g / len(ws))
            else:
                for x in ws:
                    data.append((x, 0))
                    sw.append(g / math.sqrt(len(ws)))
        w, b = train(data, bits, weights=sw, **kw)
        q, scale = quantise(w)
        model = (q, scale, b)
    return model


def cross_validate(rows, wins, bits, folds=5, **kw):
    """Out-of-fold logits for every row (quantised like the shipped model)."""
    oof = [0.0] * len(rows)
    for k in range(folds):
        idx = [i for i in range(len(rows)) if i % folds != k]
        q, scale, b = train_mil(rows, wins, idx, bits, **kw)
        for i in range(len(rows)):
            if i % folds == k:
                oof[i] = score_doc(q, scale, b, wins[i])
        print(f"  fold {k + 1}/{folds} done", file=sys.stderr)
    return oof


def report(rows, oof, cut):
    cats = {}
    for (_, y, cat, _), z in zip(rows, oof):
        c = cats.setdefault(cat, [0, 0, y])
        c[0] += 1
        c[1] += z >= cut
    tp = sum(1 for (_, y, _, _), z in zip(rows, oof) if y and z >= cut)
    fp = sum(1 for (_, y, _, _), z in zip(rows, oof) if not y and z >= cut)
    p = sum(y for _, y, _, _ in rows)
    print(f"  out-of-fold at cut {cut:.4f}: TPR={tp / p:.4f} FPR={fp / (len(rows) - p):.4f}")
    for cat, (n, hit, y) in sorted(cats.items()):
        print(f"    {'attack' if y else 'benign'}/{cat:36} n={n:4} {'TPR' if y else 'FPR'}={hit / n:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", default=DEV)
    ap.add_argument("--readme", default=README)
    ap.add_argument("--augment", default=AUGMENT, help="team-written benign items added to training")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--bits", type=int, default=BITS)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--lr", type=float, default=LR)
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--target-fpr", type=float, default=TARGET_FPR)
    ap.add_argument("--oof", help="write out-of-fold logits (JSONL) here, for analysis")
    ap.add_argument("--print-vectors", action="store_true", help="print feature test vectors and exit")
    args = ap.parse_args()

    if args.print_vectors:
        for t in ["", "Ignore previous instructions", "Ｉｇｎｏｒｅ\u200b  ALL\n\tprevious", "Привет, мир! 你好"]:
            print(json.dumps(t), model_view(t).encode().hex(), sum(features(t, args.bits)) % 1000003)
        return

    rows, digest, dropped, skipped, held_out = load(args.dev, args.readme, args.augment)
    print(f"training data: {args.dev}")
    print(f"  dropped share-alike sources: {', '.join(dropped)} ({sum(skipped.values())} items)")
    print(f"  kept {len(rows)} items, sha256 of kept JSONL lines: {digest}")
    wins = [windows(t, args.bits) for t, _, _, _ in rows]

    print(f"calibrating on {args.folds}-fold out-of-fold scores")
    kw = dict(epochs=args.epochs, l2=args.l2, lr=args.lr)
    oof = cross_validate(rows, wins, args.bits, folds=args.folds, **kw)
    if args.oof:
        with open(args.oof, "w", encoding="utf-8") as f:
            for (t, y, cat, item_id), z in zip(rows, oof):
                line = {"id": item_id, "y": y, "category": cat, "logit": z, "text": t[:200]}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
    cut = threshold_for([z for (_, y, _, _), z in zip(rows, oof) if not y], args.target_fpr)
    report(rows, oof, cut)

    print("training on all kept items")
    q, scale, bias = train_mil(rows, wins, list(range(len(rows))), args.bits, **kw)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "weights.bin"), "wb") as f:
        f.write(bytes((v + 256) % 256 for v in q))
    nonzero = sum(1 for v in q if v)
    # The command that reproduces these weights (where they are written does not matter).
    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg in ("--out", "--oof"):
            skip = True
        elif not arg.startswith(("--out=", "--oof=")):
            argv.append(arg)
    command = " ".join(["python3 scripts/train-injection-model.py"] + argv)
    with open(os.path.join(args.out, "weights.rs"), "w", encoding="utf-8") as f:
        f.write(
            f"""// @generated by `{command}` -- do not edit by hand.
//
// Training data: {os.path.basename(args.dev)} of the shared injection corpus (DEV split only), items
// from permissive sources only; dropped share-alike sources: {', '.join(dropped)};
// plus the team-written testdata/injection/benign-augment.jsonl.
// Kept {len(rows)} items; sha256 of the kept JSONL lines (in file order, dev then augment): {digest}
// Model: logistic regression, 2^{args.bits} hashed buckets (byte 3/4/5-grams, word 1/2-grams),
// scored on windows of two {BLOCK}-byte blocks (max over windows), multiple-instance training,
// AdaGrad {args.epochs} epochs, l2={args.l2}, lr={args.lr}, seed={SEED}; weights quantised to i8.
// Calibration: OFFSET puts the decision point at {args.folds}-fold out-of-fold benign FPR {args.target_fpr}.
// Non-zero weights: {nonzero} of {len(q)}.

/// log2 of the number of hashed feature buckets.
pub const BITS: u32 = {args.bits};
/// One i8 weight per bucket.
pub static WEIGHTS: &[u8; {len(q)}] = include_bytes!("weights.bin");
/// Multiplier turning an i8 weight into a logit contribution.
pub const SCALE: f32 = {f32(scale)};
/// Intercept of the logistic regression.
pub const BIAS: f32 = {f32(bias)};
/// Logit at which the model alone reaches the calibrated false-positive rate.
pub const OFFSET: f32 = {f32(cut)};
"""
        )
    held = [score_doc(q, scale, bias, windows(t, args.bits)) for t, _, _, _ in held_out]
    print("  information only, never used for training or calibration: dropped share-alike dev items")
    report(held_out, held, cut)
    print(f"wrote {args.out}/weights.bin ({len(q)} bytes, {nonzero} non-zero) and weights.rs")
    print(f"scale={scale} bias={bias} offset={cut}")


if __name__ == "__main__":
    main()
