#!/usr/bin/env python3
"""Train the injection screen's statistical model (hashed n-gram logistic regression).

Reads the DEV split of the shared injection corpus by path (never copies it), keeps only items
from sources whose licence is permissive (drops every CC BY-SA source listed in the corpus
README's provenance table), adds clean copies of the documents that carry planted instructions
(derived from the dev attacks themselves, see `derive_clean`), trains an L2-regularised
logistic regression over hashed byte 6-grams and word uni/bigrams with multiple-instance
learning over windows, calibrates the decision offset on out-of-fold scores, quantises the
weights to i8 and writes

    filter/src/detect/injection/model/weights.bin   (2^BITS signed bytes)
    filter/src/detect/injection/model/weights.rs    (header: command, data hash, scale, bias)

The feature extraction here must stay byte-for-byte identical to
`filter/src/detect/injection/model/features.rs`; `cargo test` checks a few fixed vectors
printed by `--print-vectors`.

Needs numpy, scipy and numba (pinned in `PINS`; numba compiles the AdaGrad loop): when they are missing the script creates its own venv
under target/ (`VENV`), installs the pins there and runs itself again with it; the filter stays
pure Rust. Deterministic: same input, same output (seeded shuffles).

Usage:
    scripts/train-injection-model.py [--dev PATH] [--readme PATH] [--out DIR] [--folds N]
                                      [--per-item] [--oof FILE [--fold-seed N] [--oof-only]]
                                      [--only CATEGORY...] [--positive CATEGORY...] [--whole-text]
                                      [--print-vectors]

`--only` trains a specialist on some categories only (every item is still scored out of fold,
with the same families and fold assignment): round 7's document model, whose out-of-fold logits
gate the main model's document flags in `scripts/injection-oof-screen.py --gate`. `--positive`
makes those categories the positive class instead of the attacks: round 7's context model (is
this text a document, clean or injected?), which decides where the gate applies.
"""

import argparse
import difflib
import hashlib
import json
import math
import os
import random
import re
import struct
import subprocess
import sys

try:
    import numpy as np
except ImportError:  # ensure_deps() installs it and runs the script again
    np = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "injection-train-venv")
PINS = ["numpy==2.2.6", "scipy==1.17.1", "llvmlite==0.50.0", "numba==0.68.1"]


def ensure_deps(script=None):
    """Re-runs this script (or `script`, another script that imports this one) under the training
    venv (created on first use) when a pinned module is missing."""
    try:
        import numba  # noqa: F401
        import numpy  # noqa: F401
        import scipy  # noqa: F401

        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        sys.exit(f"numpy/scipy/numba still missing in {VENV}; remove it and run again")
    if not os.path.exists(python):
        print(f"+ python3 -m venv {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    print(f"+ pip install {' '.join(PINS)}", file=sys.stderr)
    subprocess.check_call([python, "-m", "pip", "install", "--quiet", *PINS])
    os.execv(python, [python, os.path.abspath(script or __file__), *sys.argv[1:]])
DEV = "/work/shared/eval/injection/dev.jsonl"
README = "/work/shared/eval/injection/README.md"
OUT = os.path.join(ROOT, "filter/src/detect/injection/model")
# Team-written items (see testdata/injection/README.md): benign texts, then attack/benign pairs
# composed from hand-written parts by testdata/injection/compose/compose.py.
AUGMENT = [
    os.path.join(ROOT, "testdata/injection/benign-augment.jsonl"),
    os.path.join(ROOT, "testdata/injection/team-augment.jsonl"),
]

# Team-written benign texts never trained on (see testdata/injection/README.md): how often the
# model alone flags requests and security-guidance paragraphs of families neither the corpus nor
# the training set holds. Reported for information, never used for training or calibration.
PROBES = [
    os.path.join(ROOT, "testdata/injection/instruction-probe.jsonl"),
    os.path.join(ROOT, "testdata/injection/security-probe.jsonl"),
]

BITS = 18
# AdaGrad: epochs, learning rate, lazy L2 per update, shuffling seed. AdaGrad rather than a
# full-batch solver: its per-feature step sizes let rare features (the few translated items of
# each language) reach large weights, where an L2 optimum shrinks them (out of fold: multilingual
# TPR 0.60 against 0.46 with L-BFGS at l2 3e-5, overall 0.775 against 0.764 at FPR 0.01).
EPOCHS = 12
LR = 0.2
L2 = 2e-7
SEED = 20261126
# Members of the seed ensemble: models trained on the same rows in different shuffled orders,
# their weights averaged (one linear model, so scoring costs nothing more). AdaGrad's result
# depends on the order it sees the rows in: single seeds ranged over 0.767-0.797 dev TPR
# (family-grouped, rules included, mean of three fold assignments), three averaged gave
# 0.800-0.805; five, 0.808.
ENSEMBLE = 3
# Rounds of multiple-instance training (round 0: every window of an attack is positive).
ROUNDS = 2
# Target false-positive rate of the model alone on out-of-fold permissive dev benign corpus
# items, the folds grouped by near-duplicate family (a fold never holds part of a family, so a
# benign text is scored by a model that saw nothing like it, as on unseen traffic). Per-item
# folds were optimistic: the cut they chose gave 0.006 on the per-item dev estimate (rules and
# share-alike items included) and 0.0131 on test; family-grouped folds put the same cut at
# about 0.008. 0.003 puts the whole screen at 0.0050-0.0054 on the grouped dev estimate (three
# assignments of families to folds), a margin under the 0.01 bound.
TARGET_FPR = 0.003
FOLDS = 3
# Largest up-weighting of a small (label, category) group.
CAP = 8.0
# Sources whose attacks are copies of one document with different planted instructions: the
# words their copies share are the clean document (`derive_clean`).
DERIVE_FROM = ("garak:latentinjection", "bipia:email")
# `--derive-pairs bipia:email` also makes clean copies of two-copy e-mail families (the words the
# two share). Measured in round 6 and not the default: documents fell a little on dev, but the
# false positives moved to instructions and security discussion (testdata/injection/README.md).

M64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
# Multipliers of the word unigram and bigram buckets (odd 64-bit constants).
WORD_UNI = 0xD6E8FEB86659FD93
WORD_BI = 0xA0761D6478BD642F
# Bytes per n-gram (the last six bytes at every position).
NGRAM = 6

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


SPACE_BYTES = 0x2020202020202020
ONES = 0x0101010101010101
HIGHS = 0x8080808080808080


def features(text, bits=BITS):
    """Bucket ids of every feature occurrence (with repeats), in emission order."""
    return [f for _, f in features_at(text, bits)]


def features_at(text, bits=BITS):
    """(position, bucket) of every feature occurrence of the padded view (one space each side).
    Everything comes from one 64-bit register of the last eight bytes (spaces before the start):
    at every byte, the n-gram of the last NGRAM bytes; at every space that ends a word, the
    word's unigram and its bigram with the word before (the first word's with zero). A word is
    the bytes since the previous space, at most its last eight, found in the register without a
    loop (the lowest space byte). Mirrors `features::block_sums`."""
    b = b" " + model_view(text).encode("utf-8") + b" "
    out = []
    reg = SPACE_BYTES
    prev = 0
    for j, c in enumerate(b):
        if c == 0x20:
            t = reg ^ SPACE_BYTES
            spaces = ((t - ONES) & M64) & ~t & HIGHS
            word = reg & (((spaces & -spaces) >> 7) - 1) & M64
            if word:
                h = (word * GOLDEN64) & M64
                h ^= h >> 29
                out.append((j, ((h * WORD_UNI) & M64) >> (64 - bits)))
                rot = ((prev << 17) | (prev >> 47)) & M64
                out.append((j, (((rot ^ h) * WORD_BI) & M64) >> (64 - bits)))
                prev = h
        reg = ((reg << 8) | c) & M64
        out.append((j, ((((reg << (64 - 8 * NGRAM)) & M64) * GOLDEN64) & M64) >> (64 - bits)))
    return out


BLOCK = 256


def windows(text, bits=BITS, whole=False):
    """Sparse rows (one per window) of the windows the screen scores: the padded view is cut into
    blocks of BLOCK bytes and every window is two consecutive blocks (one window when there are at
    most two blocks); a row holds feature counts divided by the root of the window's feature
    count. Mirrors `Model::logit`. `whole`: one row for the whole text (`--whole-text`)."""
    import numpy as np
    import scipy.sparse as sp

    blocks = {}
    for pos, f in features_at(text, bits):
        blocks.setdefault(pos // BLOCK, []).append(f)
    n = max(blocks) + 1 if blocks else 1
    spans = [(0, n)] if n <= 2 or whole else [(k, k + 2) for k in range(n - 1)]
    rows, cols, vals = [], [], []
    for r, (a, b) in enumerate(spans):
        feats = [f for k in range(a, b) for f in blocks.get(k, ())]
        counts = {}
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
        norm = 1.0 / math.sqrt(max(len(feats), 1))
        for f, c in sorted(counts.items()):
            rows.append(r)
            cols.append(f)
            vals.append(c * norm)
    return sp.csr_matrix((np.array(vals, dtype=float), (rows, cols)), shape=(len(spans), 1 << bits))


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


class Row:
    """One item: text, label (1 = attack), category, id, source ("team" for team-written items,
    which have no source field)."""

    def __init__(self, item):
        self.text = item["text"]
        self.y = 1 if item["label"] == "attack" else 0
        self.category = item["category"]
        self.id = item.get("id")
        self.source = item.get("source", "team")
        self.team = "source" not in item


def load(dev, readme, augment=()):
    """Permissive DEV items, then the team-written augmentation files; returns the rows, the
    sha256 of the kept JSONL lines, the dropped sources and the dropped (held-out) rows."""
    keep, drop = permissive_sources(readme)
    rows, held_out, digest = [], [], hashlib.sha256()
    lines = []
    for path in [dev, *augment]:
        with open(path, "rb") as f:
            lines.extend(f)
    for raw in lines:
        item = json.loads(raw)
        if "source" in item and item["source"] not in keep:
            held_out.append(Row(item))
            continue
        digest.update(raw if raw.endswith(b"\n") else raw + b"\n")
        rows.append(Row(item))
    return rows, digest.hexdigest(), sorted(drop), held_out


def families(texts, k=5, overlap=0.5):
    """Groups of near-duplicate items: union-find over items whose sets of word k-grams (of the
    model view) overlap by at least `overlap` of the smaller set. Copies of one document with
    different planted instructions, one jailbreak template with different goals, ... land in one
    group. Returns a group number per item (the smallest index of its group)."""
    import numpy as np
    import scipy.sparse as sp

    vocab, rows, cols = {}, [], []
    for i, t in enumerate(texts):
        w = model_view(t).split()
        for s in {" ".join(w[j : j + k]) for j in range(max(1, len(w) - k + 1))}:
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), max(len(vocab), 1)))
    sizes = np.asarray(x.sum(1)).ravel()
    shared = (x @ x.T).tocoo()
    parent = list(range(len(texts)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j, c in zip(shared.row, shared.col, shared.data):
        if i < j and c >= overlap * min(sizes[i], sizes[j]):
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]


def common_words(a, b, min_run=3):
    """Words of `a` that `b` also has in the same order, in runs of at least `min_run` words."""
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out = []
    for m in sm.get_matching_blocks():
        if m.size >= min_run:
            out.extend(a[m.a : m.a + m.size])
    return out


def derive_clean(rows, groups, min_share=0.4, pairs=()):
    """Clean documents derived from dev attacks (augmentation, no new text): the garak latent-
    injection and BIPIA email attacks are copies of one document, each with another planted
    instruction. The words an attack shares with the two copies of its family closest to it (most
    shared word trigrams) are that document without the instruction; training on them as benign
    teaches the model that the document itself is no evidence, only the planted instruction is
    (without them it flagged the corpus's clean copies of those documents). The closest copies, not
    any two: a family can join several documents that share boilerplate (WHOIS records), and the
    words three different records share are only that boilerplate. A family of two copies has no
    third to vote with, so it makes no clean copy unless its source is in `pairs`: then the words
    the two share are the clean copy (right for BIPIA e-mails, whose copies carry different
    planted tasks; wrong for garak, whose two copies can share the planted wording). Returns
    (index of the attack, derived text)."""
    members = {}
    for i, r in enumerate(rows):
        if r.y and r.source in DERIVE_FROM:
            members.setdefault(groups[i], []).append(i)
    out = []
    for idx in members.values():
        two = len(idx) == 2 and all(rows[i].source in pairs for i in idx)
        if len(idx) < 3 and not two:
            continue
        words = {i: rows[i].text.split() for i in idx}
        trigrams = {i: set(zip(words[i], words[i][1:], words[i][2:])) for i in idx}
        for i in idx:
            if two:
                c = common_words(words[i], words[idx[0] + idx[1] - i])
                if min_share * len(words[i]) <= len(c) < len(words[i]):
                    out.append((i, " ".join(c)))
                continue
            j, k = sorted((o for o in idx if o != i), key=lambda o: (-len(trigrams[i] & trigrams[o]), o))[:2]
            c = common_words(common_words(words[i], words[j]), words[k])
            if min_share * len(words[i]) <= len(c) < len(words[i]):
                out.append((i, " ".join(c)))
    return out


def group_weights(groups):
    """Sample weights that give every (label, category) group the same total weight, capped so
    a tiny group does not dominate: rare hard negatives (clean documents) count as much as the
    many easy ones."""
    sizes = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    mean = len(groups) / len(sizes)
    return [min(CAP, max(0.5, mean / sizes[g])) for g in groups]


def _adagrad(indptr, indices, data, y, sw, orders, dim, lr, l2, cw0, cw1):
    """One AdaGrad run over CSR rows in the given per-epoch orders (compiled by numba)."""
    w = np.zeros(dim)
    g2 = np.full(dim, 1e-8)
    bias, gb = 0.0, 1e-8
    for e in range(orders.shape[0]):
        for t in range(orders.shape[1]):
            i = orders[e, t]
            z = bias
            for k in range(indptr[i], indptr[i + 1]):
                z += w[indices[k]] * data[k]
            if z < -30:
                s = 1e-13
            elif z > 30:
                s = 1.0 - 1e-13
            else:
                s = 1.0 / (1.0 + math.exp(-z))
            g = (s - y[i]) * (cw1 if y[i] == 1 else cw0) * sw[i]
            gb += g * g
            bias -= lr * g / math.sqrt(gb)
            for k in range(indptr[i], indptr[i + 1]):
                f = indices[k]
                gf = g * data[k] + l2 * w[f]
                g2[f] += gf * gf
                w[f] -= lr * gf / math.sqrt(g2[f])
    return w, bias


_ADAGRAD = []


def fit(rows, y, sw, l2=L2, epochs=EPOCHS, lr=LR, seed=SEED, members=ENSEMBLE):
    """AdaGrad logistic regression with lazy L2 over sparse rows ((indices, values) pairs); the
    classes are balanced by count, `sw` weights each row. The weights and bias are the mean of
    `members` runs that differ only in the shuffled order of the rows (member 0 shuffles with
    `seed`, member e with `seed * 1000 + e`). Deterministic."""
    import numba

    if not _ADAGRAD:
        _ADAGRAD.append(numba.njit(cache=False)(_adagrad))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(idx) for idx, _ in rows])
    indices = np.array([f for idx, _ in rows for f in idx], dtype=np.int64)
    data = np.array([v for _, val in rows for v in val], dtype=float)
    ya = np.array(y, dtype=np.int64)
    swa = np.array(sw, dtype=float)
    pos = sum(y)
    neg = len(y) - pos
    cw1, cw0 = len(y) / (2.0 * pos), len(y) / (2.0 * neg)
    dim = 1 << BITS_IN_USE[0]
    w_sum, b_sum = np.zeros(dim), 0.0
    for e in range(members):
        rng = random.Random(seed if e == 0 else seed * 1000 + e)
        order, orders = list(range(len(rows))), []
        for _ in range(epochs):
            rng.shuffle(order)
            orders.append(list(order))
        w, b = _ADAGRAD[0](indptr, indices, data, ya, swa, np.array(orders, dtype=np.int64), dim, lr, l2, cw0, cw1)
        w_sum += w
        b_sum += b
    return w_sum / members, b_sum / members


# The bucket count of the run (set in main before training).
BITS_IN_USE = [BITS]
# The label of the derived clean documents (1 when `--positive` names benign_document).
DERIVED_LABEL = [0]


def sigmoid(z):
    if z < -30:
        return 1e-13
    if z > 30:
        return 1.0 - 1e-13
    return 1.0 / (1.0 + math.exp(-z))


def quantise(w):
    import numpy as np

    peak = float(np.abs(w).max()) or 1.0
    scale = peak / 127.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int64), scale


def score_doc(model, wins):
    """Highest window logit of the quantised model (what the screen computes)."""
    q, scale, bias = model
    return float((wins @ q).max()) * scale + bias


def train_mil(wins, ys, keys, rounds=ROUNDS):
    """Multiple-instance training: a benign text's windows are all benign (weight shared as
    1/sqrt(windows)); an attack is positive through its most attack-like window under the
    previous round's model (round 0: every window, weight shared 1/windows). Per-(label,
    category) group weights."""
    import numpy as np

    gw = group_weights(keys)
    model = None
    for _ in range(rounds):
        rows, y, sw = [], [], []
        for m, label, g in zip(wins, ys, gw):
            n = m.shape[0]
            picks = range(n)
            if label and model is not None:
                picks = [int(np.argmax(m @ model[0]))]
            for k in picks:
                row = m.getrow(k)
                rows.append((row.indices.tolist(), row.data.tolist()))
                y.append(label)
                if label and model is not None:
                    sw.append(g)
                else:
                    sw.append(g / (n if label else math.sqrt(n)))
        w, b = fit(rows, y, sw)
        q, scale = quantise(np.array(w))
        model = (q, scale, b)
    return model


def f32(v):
    """Shortest decimal that round-trips as an f32 (what clippy's excessive_precision accepts)."""
    import numpy as np

    text = np.format_float_positional(np.float32(v), unique=True, trim="0")
    if text.endswith("."):
        text += "0"
    if "." not in text:
        text += ".0"
    return text


def threshold_for(benign_scores, target):
    s = sorted(benign_scores, reverse=True)
    k = int(math.floor(target * len(s)))
    return s[k] + 1e-6 if k < len(s) else s[-1]


def training_set(rows, wins, derived, derived_wins, keep):
    """Windows, labels and group keys of the rows with `keep(i)`, then their derived clean copies
    (benign documents)."""
    idx = [i for i in range(len(rows)) if keep(i)]
    w = [wins[i] for i in idx] + [dw for (i, _), dw in zip(derived, derived_wins) if keep(i)]
    dy = DERIVED_LABEL[0]
    y = [rows[i].y for i in idx] + [dy for i, _ in derived if keep(i)]
    keys = [(rows[i].y, rows[i].category) for i in idx] + [(dy, "benign_document") for i, _ in derived if keep(i)]
    return w, y, keys


def cross_validate(rows, wins, derived, derived_wins, folds, fold_of, extra=((), ()), train=lambda i: True):
    """Out-of-fold logits for every corpus row (quantised like the shipped model); team-written
    rows train in every fold and are never scored (they are not the corpus being estimated); a
    derived clean copy trains only in the folds where its attack trains. `extra` is (windows,
    fold) of texts never trained on (the share-alike items): each is scored by the model of its
    fold, so they count in the estimate as one fold model sees them. `train(i)`: row i may train
    at all (`--only`); every row is scored all the same."""
    oof = [0.0] * len(rows)
    extra_wins, extra_fold = extra
    extra_oof = [0.0] * len(extra_wins)
    for k in range(folds):
        w, y, keys = training_set(
            rows, wins, derived, derived_wins, lambda i: (fold_of[i] != k or rows[i].team) and train(i)
        )
        model = train_mil(w, y, keys)
        for i in range(len(rows)):
            if fold_of[i] == k and not rows[i].team:
                oof[i] = score_doc(model, wins[i])
        for j, ew in enumerate(extra_wins):
            if extra_fold[j] == k:
                extra_oof[j] = score_doc(model, ew)
        print(f"  fold {k + 1}/{folds} done", file=sys.stderr)
    return oof, extra_oof


def report(rows, scores, cut):
    cats = {}
    for r, z in zip(rows, scores):
        c = cats.setdefault(r.category, [0, 0, r.y])
        c[0] += 1
        c[1] += z >= cut
    tp = sum(1 for r, z in zip(rows, scores) if r.y and z >= cut)
    fp = sum(1 for r, z in zip(rows, scores) if not r.y and z >= cut)
    p = sum(r.y for r in rows)
    tpr = tp / p if p else float("nan")
    fpr = fp / (len(rows) - p) if len(rows) > p else float("nan")
    print(f"  at cut {cut:.4f}: TPR={tpr:.4f} FPR={fpr:.4f}")
    for cat, (n, hit, y) in sorted(cats.items()):
        print(f"    {'attack' if y else 'benign'}/{cat:36} n={n:4} {'TPR' if y else 'FPR'}={hit / n:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", default=DEV)
    ap.add_argument("--readme", default=README)
    ap.add_argument("--augment", nargs="*", default=AUGMENT, help="team-written items added to training")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--probe", nargs="*", default=PROBES, help="benign texts scored for information only (none: no files)")
    ap.add_argument("--bits", type=int, default=BITS)
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--per-item", action="store_true",
                    help="folds per item instead of per near-duplicate family (optimistic; report only)")
    ap.add_argument("--no-derive", action="store_true", help="leave out the derived clean documents")
    ap.add_argument("--derive-pairs", nargs="*", default=[], metavar="SOURCE",
                    help="also derive clean copies from two-copy families of these sources (e.g. bipia:email)")
    ap.add_argument("--target-fpr", type=float, default=TARGET_FPR)
    ap.add_argument("--oof", help="write out-of-fold logits (JSONL) here, for analysis; the share-alike "
                    "items (never trained on) are scored by one fold model each and marked \"held_out\"")
    ap.add_argument("--fold-seed", type=int,
                    help="shuffle the corpus families with this seed before dealing them to folds "
                    "(another fold assignment for paired estimates; the default keeps their order)")
    ap.add_argument("--clean-docs", action="store_true",
                    help="with --oof: hold out only the corpus's clean documents (benign_document), dealt to "
                    "folds by --fold-seed, everything else training in every fold; --oof then holds those "
                    "documents only (the situation of a clean document whose injected copies are known)")
    ap.add_argument("--oof-only", action="store_true",
                    help="stop after the out-of-fold estimate (no final model, nothing written to --out)")
    ap.add_argument("--only", nargs="*", metavar="CATEGORY",
                    help="train only on items of these categories (their derived clean copies too), still "
                    "scoring every item: a specialist model, e.g. the round-7 document model (--bits 15 --only "
                    "prompt_injection_indirect benign_document); `attack` stands for every attack category; "
                    "needs --oof-only or a non-default --out")
    ap.add_argument("--positive", nargs="*", metavar="CATEGORY",
                    help="the positive class is these categories instead of the attacks: a context model "
                    "(round 7: is this text a document?); needs --oof-only or a non-default --out")
    ap.add_argument("--whole-text", action="store_true",
                    help="one window per text (the features of the whole text) instead of two-block windows")
    ap.add_argument("--print-vectors", action="store_true", help="print feature test vectors and exit")
    args = ap.parse_args()

    if args.print_vectors:
        vectors = [
            "",
            "Ignore previous instructions",
            "Ｉｇｎｏｒｅ\u200b  ALL\n\tprevious",
            "Привет, мир! 你好",
            "Supercalifragilisticexpialidocious, indeed: 42 a b!",
        ]
        for t in vectors:
            print(json.dumps(t), model_view(t).encode().hex(), sum(features(t, args.bits)) % 1000003)
        return
    ensure_deps()
    BITS_IN_USE[0] = args.bits
    if (args.only or args.whole_text or args.positive) and not args.oof_only and (
        os.path.abspath(args.out) == os.path.abspath(OUT)
    ):
        sys.exit("--only / --positive / --whole-text would overwrite the shipped weights: add --oof-only or --out DIR")

    rows, digest, dropped, held_out = load(args.dev, args.readme, args.augment)
    print(f"training data: {args.dev}")
    print(f"  dropped share-alike sources: {', '.join(dropped)} ({len(held_out)} items)")
    print(f"  kept {len(rows)} items, sha256 of kept JSONL lines: {digest}")
    whole = args.whole_text
    wins = [windows(r.text, args.bits, whole) for r in rows]
    groups = families([r.text for r in rows])
    derived = [] if args.no_derive else derive_clean(rows, groups, pairs=tuple(args.derive_pairs))
    derived_wins = [windows(t, args.bits, whole) for _, t in derived]
    if args.positive:
        # After derive_clean, which picks the attacks to derive from by their attack label.
        for r in rows + held_out:
            r.y = int(r.category in args.positive)
        DERIVED_LABEL[0] = int("benign_document" in args.positive)
    print(f"  {len(set(groups))} near-duplicate families; {len(derived)} clean documents derived from dev attacks")

    if args.clean_docs:
        # Fold -1 trains in every fold and is never scored.
        docs = [i for i, r in enumerate(rows) if not r.team and r.category == "benign_document"]
        random.Random(args.fold_seed or 0).shuffle(docs)
        fold_of = [-1] * len(rows)
        for n, i in enumerate(docs):
            fold_of[i] = n % args.folds
    elif not args.per_item:
        # Families go to folds round-robin in order of their first item: no family straddles folds.
        # With --fold-seed, the families that hold a corpus item are shuffled first (team-only
        # families sort after them and train in every fold anyway, so adding team-written items
        # does not change how the corpus is split).
        ordered = sorted(set(groups))
        if args.fold_seed is not None:
            corpus_groups = sorted({g for g, r in zip(groups, rows) if not r.team})
            team_only = sorted(set(ordered) - set(corpus_groups))
            random.Random(args.fold_seed).shuffle(corpus_groups)
            ordered = corpus_groups + team_only
        order = {g: n for n, g in enumerate(ordered)}
        fold_of = [order[g] % args.folds for g in groups]
    else:
        fold_of = [i % args.folds for i in range(len(rows))]
    kind = "clean-documents" if args.clean_docs else "per-item" if args.per_item else "family-grouped"
    print(f"calibrating on {args.folds}-fold {kind} out-of-fold scores")
    extra_wins, extra_fold = [], []
    if args.oof:
        if args.clean_docs:
            held_out = [r for r in held_out if r.category == "benign_document"]
        extra_wins = [windows(r.text, args.bits, whole) for r in held_out]
        deal = list(range(len(held_out)))
        random.Random(args.fold_seed or 0).shuffle(deal)
        extra_fold = [0] * len(held_out)
        for n, j in enumerate(deal):
            extra_fold[j] = n % args.folds
    only = set(args.only or ())
    train = (lambda i: rows[i].category in only or ("attack" in only and rows[i].y)) if only else (lambda i: True)
    if args.only:
        n = sum(1 for i in range(len(rows)) if train(i))
        print(f"  training only on {', '.join(args.only)}: {n} items (and their derived copies)")
    oof, extra_oof = cross_validate(
        rows, wins, derived, derived_wins, args.folds, fold_of, (extra_wins, extra_fold), train
    )
    if args.oof:
        with open(args.oof, "w", encoding="utf-8") as f:
            for r, z, fold in zip(rows, oof, fold_of):
                if r.team or fold < 0:
                    continue
                line = {"id": r.id, "y": r.y, "category": r.category, "fold": fold, "logit": z}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
            for r, z, fold in zip(held_out, extra_oof, extra_fold):
                line = {"id": r.id, "y": r.y, "category": r.category, "fold": fold, "logit": z, "held_out": True}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
    if args.clean_docs:
        return
    corpus = [(r, z) for r, z in zip(rows, oof) if not r.team]
    cut = threshold_for([z for r, z in corpus if not r.y], args.target_fpr)
    print("  out-of-fold, model alone (corpus items; team-written items train in every fold):")
    report([r for r, _ in corpus], [z for _, z in corpus], cut)
    if args.oof_only:
        return

    print("training on all kept items")
    w, y, keys = training_set(rows, wins, derived, derived_wins, train)
    q, scale, bias = train_mil(w, y, keys)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "weights.bin"), "wb") as f:
        f.write(bytes(int(v) % 256 for v in q))
    nonzero = int(sum(1 for v in q if v))
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
    derived_note = "none" if args.no_derive else f"{len(derived)} clean documents derived from dev attacks"
    with open(os.path.join(args.out, "weights.rs"), "w", encoding="utf-8") as f:
        f.write(
            f"""// @generated by `{command}` -- do not edit by hand.
//
// Training data: {os.path.basename(args.dev)} of the shared injection corpus (DEV split only), items
// from permissive sources only; dropped share-alike sources: {', '.join(dropped)};
// plus the team-written {", ".join(os.path.relpath(a, ROOT) for a in args.augment)};
// augmentation: {derived_note}.
// Kept {len(rows)} items; sha256 of the kept JSONL lines (in file order, dev then augment): {digest}
// Model: logistic regression, 2^{args.bits} hashed buckets (byte {NGRAM}-grams, word 1/2-grams),
// scored on windows of two {BLOCK}-byte blocks (max over windows), multiple-instance training
// ({ROUNDS} rounds), AdaGrad {EPOCHS} epochs, lr={LR}, l2={L2}, seed={SEED},
// weights averaged over {ENSEMBLE} shuffle seeds, then quantised to i8.
// Calibration: OFFSET puts the decision point at {args.folds}-fold {kind} out-of-fold benign FPR {args.target_fpr}
// of the model alone on the corpus items.
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
    held = [score_doc((q, scale, bias), windows(r.text, args.bits, whole)) for r in held_out]
    print("  information only, never used for training or calibration: dropped share-alike dev items")
    report(held_out, held, cut)
    for path in args.probe or ():
        probe = [Row(json.loads(line)) for line in open(path, encoding="utf-8")]
        hits = sum(1 for r in probe if score_doc((q, scale, bias), windows(r.text, args.bits, whole)) >= cut)
        print(f"  information only: {os.path.relpath(path, ROOT)} (never trained on): "
              f"the model alone flags {hits} of {len(probe)} at the cut")
    print(f"wrote {args.out}/weights.bin ({len(q)} bytes, {nonzero} non-zero) and weights.rs")
    print(f"scale={scale} bias={bias} offset={cut}")


if __name__ == "__main__":
    main()
